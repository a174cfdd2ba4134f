"""The ``merchant-console`` command: run | sandbox | webhooks | sync | demo | migrate | user.

``run`` is what the README's first command calls: in sandbox mode it starts the
sandbox, then the notification receiver (when a notification URL is configured —
always in sandbox mode), then the Streamlit console, all on loopback; it prints the
URLs and keeps them alive until Ctrl-C, stopping all if one dies. Before starting
anything it opens the ledger once itself, so a file from an older console is migrated
here, with a progress bar, and not by the console and the receiver racing at start.
``migrate`` does only that.

Paths: every file path (``--ledger``, ``--state``, ``--secrets``, and the same settings
from the environment or the secrets file) is made absolute here, against the folder
the command was started in, and ``run`` hands the absolute paths to each process it
starts (:mod:`console.paths`). Started from any folder, the console, the receiver
and ``user add`` agree on one ledger and one secrets file.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from console.config import Settings, load_settings
from console.errors import ConfigError, ConsoleError
from console.paths import ENV_PREFIX, SECRETS_ENV, absolute, secrets_path

CONSOLE_ADDRESS = "127.0.0.1"  # run serves loopback only; put a TLS proxy in front for a team


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="merchant-console",
        description="Merchant Console: bePaid / beGateway and Payture bills, with a sandbox.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="start the sandbox (in sandbox mode) and the console")
    run.add_argument("--port", type=int, default=8501, help="console port (default 8501)")
    run.add_argument("--ledger", help="ledger file (default: settings, data/ledger.db)")

    sandbox = commands.add_parser("sandbox", help="run the provider sandbox alone")
    sandbox.add_argument("--host", default="127.0.0.1", help="loopback address only")
    sandbox.add_argument("--port", type=int, default=8600)
    sandbox.add_argument("--state", default="data/sandbox.db", help="sandbox state file")
    sandbox.add_argument("--speed", type=float, default=1.0, help="sandbox seconds per second")
    sandbox.add_argument(
        "--payture-notify-url", default=None, help="where Payture bill status changes are posted"
    )

    webhooks = commands.add_parser("webhooks", help="run the notification receiver alone")
    webhooks.add_argument("--port", type=int, default=8601)
    webhooks.add_argument("--ledger")

    sync = commands.add_parser(
        "sync", help="ask the providers about the open bills and subscriptions that are due"
    )
    sync.add_argument("--ledger")
    sync.add_argument("--every", type=float, metavar="SECONDS", help="repeat every N seconds")
    sync.add_argument(
        "--all",
        action="store_true",
        dest="everything",
        help="every open object, due or not (still within the polling budget)",
    )

    demo = commands.add_parser("demo", help="fill a ledger with a realistic demo history")
    demo.add_argument("--ledger")
    demo.add_argument("--bills", type=int, default=5000, help="number of bills (default 5000)")
    demo.add_argument("--seed", type=int, default=1, help="random seed for repeatability")
    demo.add_argument("--days", type=int, default=365, help="length of the history in days")

    migrate = commands.add_parser(
        "migrate", help="bring a ledger file to this console's schema (with progress)"
    )
    migrate.add_argument("--ledger", help="ledger file (default: settings, data/ledger.db)")

    user = commands.add_parser("user", help="manage console users")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_commands.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["admin", "operator", "support", "viewer"])
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.add_argument("--replace", action="store_true", help="change an existing user")
    add.add_argument("--secrets", help="secrets file (default .streamlit/secrets.toml)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for name in ("ledger", "state", "secrets"):  # relative to the folder the person is in
        if getattr(args, name, None):
            setattr(args, name, str(absolute(getattr(args, name))))
    handler = {
        "run": cmd_run,
        "sandbox": cmd_sandbox,
        "demo": cmd_demo,
        "migrate": cmd_migrate,
        "user": cmd_user,
        "webhooks": cmd_webhooks,
        "sync": cmd_sync,
    }[args.command]
    try:
        return handler(args)
    except ConsoleError as exc:
        print(f"merchant-console {args.command}: {exc.title}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def cmd_user(args: argparse.Namespace) -> int:
    from console.users import run_user_add_command

    secrets = Path(args.secrets) if args.secrets else None
    return run_user_add_command(
        args.name, args.role, secrets, args.password_stdin, replace=args.replace
    )


def cmd_sync(args: argparse.Namespace) -> int:
    """``merchant-console sync [--ledger PATH] [--every SECONDS] [--all]``.

    Each pass asks about the open objects that are due (``--all``: every open object),
    within the polling budget shared with every other process on the ledger; what the
    budget leaves out stays due for the next pass. Prints one summary line per pass.
    One pass (no ``every``): exit code 0 when every object was refreshed, 1 when some
    failed, 2 for a configuration or ledger problem.
    With ``every``, passes repeat (each starting ``every`` seconds after the previous
    one started, or at once when a pass took longer) until Ctrl+C, which ends with 0.
    """
    from console.billing import Billing

    every = args.every
    if every is not None and not every > 0:
        print("--every must be a positive number of seconds.", file=sys.stderr)
        return 2
    try:
        billing = Billing.open(ledger_path=Path(args.ledger) if args.ledger else None)
    except ConsoleError as exc:
        print(f"{exc.title}: {exc.message}", file=sys.stderr)
        return 2
    try:
        while True:
            started = time.monotonic()
            try:
                report = billing.sync.refresh_open(everything=args.everything)
            except ConsoleError as exc:
                print(f"{exc.title}: {exc.message}", file=sys.stderr)
                return 2
            print(report.summary(), flush=True)
            if every is None:
                return 0 if report.ok else 1
            pause(max(0.0, every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        return 0
    finally:
        billing.ledger.close()


def pause(seconds: float) -> None:
    """Wait between sync passes (a seam for tests, which stop the loop here)."""
    time.sleep(seconds)


def cmd_webhooks(args: argparse.Namespace) -> int:
    from console.webhooks import serve

    serve(args.port, Path(args.ledger) if args.ledger else None)
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from provider_sandbox.errors import SandboxConfigError
    from provider_sandbox.server import run

    try:
        run(
            host=args.host,
            port=args.port,
            state_path=args.state,
            speed=args.speed,
            payture_notify_url=args.payture_notify_url,
        )
    except SandboxConfigError as exc:  # the sandbox is its own program with its own errors
        raise ConfigError(exc.message) from exc
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from console.demo import generate_demo

    settings = load_settings()
    ledger_path = Path(args.ledger) if args.ledger else settings.ledger_path
    report = generate_demo(ledger_path, bills=args.bills, seed=args.seed, days=args.days)
    print(report.summary())
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """``merchant-console migrate [--ledger PATH]``: an existing ledger file only."""
    path = Path(args.ledger) if args.ledger else load_settings().ledger_path
    if not path.is_file():
        print(f"merchant-console migrate: there is no ledger file at {path}.", file=sys.stderr)
        return 2
    print(migrate_ledger(path), flush=True)
    return 0


def migrate_ledger(path: Path) -> str:
    """Open (creating or migrating) the ledger at ``path`` with a progress bar on stderr;
    a sentence saying what was done."""
    from console.ledger import Ledger
    from console.progress import ProgressBar

    bar = ProgressBar("Updating the ledger: ")
    try:
        with Ledger(path, progress=bar) as ledger:
            found, now = ledger.found_version, ledger.schema_version
    finally:
        bar.close()
    if found == now:
        return f"Ledger {path}: schema version {now}, nothing to do."
    if found == 0:
        return f"Ledger {path}: created (schema version {now})."
    return f"Ledger {path}: migrated from schema version {found} to {now}."


def cmd_run(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    env[SECRETS_ENV] = str(secrets_path(env))
    if args.ledger:
        env[ENV_PREFIX + "LEDGER"] = args.ledger
    settings = load_settings(env)
    check_address(settings, CONSOLE_ADDRESS)  # live mode refuses to start without users
    # Every process gets the same absolute files, whatever folder it runs in.
    env[ENV_PREFIX + "LEDGER"] = str(settings.ledger_path)
    env[ENV_PREFIX + "SANDBOX_STATE"] = str(settings.sandbox_state)
    migrated = migrate_ledger(settings.ledger_path)  # before any child opens it
    if "migrated" in migrated:
        print(migrated, flush=True)
    children: list[subprocess.Popen[bytes]] = []
    # A service manager or test harness stops us with SIGTERM: make it unwind like
    # Ctrl-C so the `finally` below stops every child instead of orphaning them.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    try:
        if settings.is_sandbox:
            sandbox_env = dict(env)
            if settings.webhook_url and settings.bepaid and settings.payture:
                # The sandbox's Payture "back office" setting: where bill statuses go.
                sandbox_env["MERCHANT_CONSOLE_SANDBOX_PAYTURE_NOTIFY_URL"] = (
                    f"{settings.webhook_url}/notifications/payture"
                )
            children.append(_start_sandbox(settings, sandbox_env))
            _wait_until_up(f"{settings.sandbox_url}/__sandbox/health", children[-1], "sandbox")
            shop = settings.bepaid.shop_id if settings.bepaid else ""
            print(f"Sandbox:  {settings.sandbox_url}  (shop {shop} / sandbox-secret)")
        if settings.webhook_url and settings.bepaid:
            children.append(_start_receiver(settings, env))
            health = f"http://127.0.0.1:{settings.webhook_port}/health"
            _wait_until_up(health, children[-1], "notification receiver")
            print(f"Receiver: {settings.webhook_url}  (notifications from providers)")
        else:
            print("Receiver: not started (no [webhooks] url): statuses arrive by polling")
        children.append(_start_console(args.port, env))
        _wait_until_up(f"http://127.0.0.1:{args.port}/_stcore/health", children[-1], "console")
        mode = "SANDBOX" if settings.is_sandbox else "LIVE"
        print(f"Ledger:   {settings.ledger_path}")
        print(
            f"Secrets:  {settings.secrets_path}"
            + ("" if settings.secrets_path.exists() else " (none)")
        )
        sign_in = (
            "local mode, no login (127.0.0.1 only)" if settings.is_local else "sign-in required"
        )
        print(
            f"Console:  http://127.0.0.1:{args.port}  ({mode} mode, {sign_in})  — Ctrl-C to stop",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 1
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def check_address(settings: Settings, address: str) -> None:
    from console.ui.server import check_address as check  # late: it imports Streamlit

    check(settings, address)


def _start_sandbox(settings: Settings, env: dict[str, str]) -> subprocess.Popen[bytes]:
    settings.sandbox_state.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "provider_sandbox",
        "--port",
        str(settings.sandbox_port),
        "--state",
        str(settings.sandbox_state),
        "--speed",
        str(settings.sandbox_speed),
    ]
    return subprocess.Popen(command, env=env)  # noqa: S603 - our own interpreter and module


def _start_receiver(settings: Settings, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "console.webhooks", "--port", str(settings.webhook_port)]
    command += ["--ledger", str(settings.ledger_path)]
    return subprocess.Popen(command, env=env)  # noqa: S603 - our own interpreter and module


def _start_console(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "console.ui.server", "--port", str(port)]
    command += ["--address", CONSOLE_ADDRESS]
    return subprocess.Popen(command, env=env)  # noqa: S603 - our own interpreter and module


def _wait_until_up(
    url: str, child: subprocess.Popen[bytes], name: str, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise ConsoleError(f"the {name} exited during start (code {child.returncode}).")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise ConsoleError(f"the {name} did not answer at {url} within {timeout:.0f} s.")


if __name__ == "__main__":
    raise SystemExit(main())
