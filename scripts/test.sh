#!/usr/bin/env bash
# The README's second command: install everything the tests need — Debian chromium for
# the browser tests included — then lint and run the whole suite. `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian chromium for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq chromium >/dev/null
fi

echo "== installing the console with its test extras"
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e ".[test]"

echo "== ruff"
python3 -m ruff check .
python3 -m ruff format --check .

echo "== pytest"
python3 -m pytest "$@"
