"""The console's web server: Streamlit (``st.App``) with the sign-in routes, the page gate and
the route that streams prepared downloads (``/download/<ticket>``).

``python -m console.ui.server --port 8501 --address 127.0.0.1`` is what
``merchant-console run`` starts. Everything it needs comes from the command line and
the environment the command hands it (absolute paths, see :mod:`console.paths`), never
from the folder it runs in: Streamlit's options are set here, not in a
``.streamlit/config.toml`` that may or may not be in the working folder.

Local mode (no users, no single sign-on) refuses a non-loopback address before the
server starts; the entry script and the page gate refuse non-loopback browsers too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import streamlit as st
from starlette.middleware import Middleware

from console.config import Settings, check_users_for_console, load_settings
from console.errors import ConfigError, ConsoleError
from console.ledger import Ledger
from console.progress import ProgressBar
from console.sessions import Authority, Directory
from console.ui.registry import ENTRY_SCRIPT
from console.web import SessionGate, download_routes, is_loopback, signin_routes

#: Streamlit options the console always runs with.
STREAMLIT_OPTIONS: dict[str, Any] = {
    "server.headless": True,
    # No reloading on file changes: a reload would hand cached Ledger/Billing objects of
    # the old classes to new code. Restart `merchant-console run` after an upgrade.
    "server.fileWatcherType": "none",
    "server.runOnSave": False,
    "server.enableXsrfProtection": True,
    "browser.gatherUsageStats": False,
    # No "Deploy" button or developer menu for merchants.
    "client.toolbarMode": "minimal",
    "theme.primaryColor": "#0f766e",
}


def build_app(settings: Settings) -> st.App:
    """Streamlit's ASGI app for the entry script, with the sign-in routes and the gate.

    The ledger is opened here, before the server listens: a file from an older console
    is migrated now, its progress drawn on stderr (``run`` has usually done it already).
    """
    bar = ProgressBar("Updating the ledger: ")
    try:
        ledger = Ledger(settings.ledger_path, progress=bar)
    finally:
        bar.close()
    authority = Authority(ledger, Directory(settings.secrets_path))
    secrets = {"auth": settings.sso.streamlit_auth} if settings.sso else None
    return st.App(
        str(ENTRY_SCRIPT),
        routes=[*signin_routes(authority), *download_routes(authority)],
        middleware=[Middleware(SessionGate, authority=authority)],
        secrets=secrets,
    )


def check_address(settings: Settings, address: str) -> None:
    """Raises ConfigError: live mode without users, or local mode off loopback."""
    check_users_for_console(settings)
    if settings.is_local and not is_loopback(address):
        raise ConfigError(
            f"Local mode (no users configured) serves 127.0.0.1 only, not {address}: add a "
            "user with merchant-console user add NAME --role admin first."
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.ui.server")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="127.0.0.1")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        check_address(settings, args.address)
        app = build_app(settings)
    except ConsoleError as exc:
        print(f"merchant-console: {exc.title}: {exc.message}", file=sys.stderr)
        return 1
    sys.argv = sys.argv[:1]  # Streamlit hands the rest to the page scripts as their argv
    app.run(config={**STREAMLIT_OPTIONS, "server.port": args.port, "server.address": args.address})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
