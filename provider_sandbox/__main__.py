"""``python -m provider_sandbox``: run the provider sandbox on loopback (see server.py)."""

from __future__ import annotations

import argparse
import sys

from provider_sandbox.errors import SandboxError
from provider_sandbox.server import run


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m provider_sandbox",
        description="Emulate bePaid / beGateway / Payture bills over HTTP on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8600, help="port (default 8600)")
    parser.add_argument(
        "--state", default="data/sandbox.db", help="SQLite state file (default data/sandbox.db)"
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="sandbox seconds per real second (1440 = a day per minute; default 1)",
    )
    parser.add_argument(
        "--public-url", default=None, help="base URL in pay links (default http://HOST:PORT)"
    )
    parser.add_argument(
        "--payture-notify-url",
        default=None,
        help="where Payture bill status changes are posted (default: none; also "
        "MERCHANT_CONSOLE_SANDBOX_PAYTURE_NOTIFY_URL)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run(
            args.host,
            args.port,
            args.state,
            args.speed,
            args.public_url,
            payture_notify_url=args.payture_notify_url,
        )
    except SandboxError as exc:
        print(f"Sandbox not started: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C after a clean shutdown
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
