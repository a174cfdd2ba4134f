#!/usr/bin/env bash
# The README's second command: install everything the tests need — Debian chromium for
# the browser tests and its colour emoji font (status marks and screenshots show what
# people see, not empty boxes) included — then lint, type-check and run the whole suite. `.ci/run`
# calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || missing+=(fonts-noto-color-emoji)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian ${missing[*]} for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== installing the console with its test extras"
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e ".[test]"

echo "== ruff"
python3 -m ruff check .
python3 -m ruff format --check .

echo "== mypy"
python3 -m mypy

echo "== pytest"
python3 -m pytest "$@"
