"""``python -m console.webhooks [--port N] [--ledger PATH]``: the receiver as a child process."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.errors import ConsoleError
from console.webhooks._serve import DEFAULT_HOST, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.webhooks")
    parser.add_argument("--port", type=int, help="default: settings (8601)")
    parser.add_argument("--ledger", help="default: settings (data/ledger.db)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    args = parser.parse_args(argv)
    try:
        serve(args.port, Path(args.ledger) if args.ledger else None, host=args.host)
    except ConsoleError as exc:
        print(f"notification receiver: {exc.title}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
