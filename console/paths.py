"""Where the console's files are: one rule, applied once, where a command starts.

Every path a person gives — the ledger, the secrets file, the sandbox's state file,
on the command line, in the environment or in the secrets file — is read relative
to the folder the person is in when they start the command, and made absolute right
there. ``merchant-console run`` then hands the absolute paths to every process it
starts (sandbox, notification receiver, console) through the environment, so the
console, the receiver and ``user add`` always agree on one ledger and one secrets
file, whatever folder each process happens to run in.

This module has no imports from the rest of the console, so both
:mod:`console.config` and :mod:`console.users` can use it without a cycle.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENV_PREFIX = "MERCHANT_CONSOLE_"
SECRETS_ENV = ENV_PREFIX + "SECRETS"
#: The secrets file when ``MERCHANT_CONSOLE_SECRETS`` is not set (relative to the folder
#: the command starts in, as Streamlit's own ``.streamlit/secrets.toml`` is).
DEFAULT_SECRETS = Path(".streamlit/secrets.toml")


def absolute(path: str | os.PathLike[str], base: Path | None = None) -> Path:
    """``path`` made absolute against ``base`` (default: the current folder), with
    ``~`` expanded; ``..`` parts are kept (the file system resolves them)."""
    given = Path(path).expanduser()
    if given.is_absolute():
        return given
    return (base or Path.cwd()) / given


def secrets_path(
    env: Mapping[str, str] | None = None, given: str | os.PathLike[str] | None = None
) -> Path:
    """The secrets file every part of the console reads and ``user add`` writes.

    ``given`` (a command-line ``--secrets``) wins, then ``MERCHANT_CONSOLE_SECRETS`` when
    it is set and not blank, then :data:`DEFAULT_SECRETS`; always absolute.
    """
    env = os.environ if env is None else env
    chosen = given if given not in (None, "") else (env.get(SECRETS_ENV) or "").strip()
    return absolute(chosen or DEFAULT_SECRETS)
