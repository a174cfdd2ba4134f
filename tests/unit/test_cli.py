"""The merchant-console command: subcommands, options, and honest messages."""

import subprocess
import sys

from console.cli import build_parser


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_help_lists_every_stable_subcommand():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in ("run", "sandbox", "webhooks", "sync", "demo", "user"):
        assert name in result.stdout


def test_stable_options_parse():
    parser = build_parser()
    args = parser.parse_args(["run", "--port", "9000", "--ledger", "x.db"])
    assert (args.port, args.ledger) == (9000, "x.db")
    args = parser.parse_args(["sandbox", "--port", "8700", "--state", "s.db", "--speed", "60"])
    assert (args.port, args.state, args.speed) == (8700, "s.db", 60.0)
    args = parser.parse_args(["demo", "--bills", "10", "--seed", "3"])
    assert (args.bills, args.seed) == (10, 3)
    args = parser.parse_args(["user", "add", "ann", "--role", "support"])
    assert (args.name, args.role) == ("ann", "support")


def test_demo_writes_a_ledger_and_reports_rows_per_second(tmp_path):
    ledger = tmp_path / "demo.db"
    result = run_cli("demo", "--ledger", str(ledger), "--bills", "200", "--seed", "2")
    assert result.returncode == 0, result.stderr
    assert "200 bills" in result.stdout and "rows/s" in result.stdout
    assert ledger.exists()


def test_demo_refusal_is_a_message_not_a_traceback(tmp_path):
    ledger = tmp_path / "demo.db"
    assert run_cli("demo", "--ledger", str(ledger), "--bills", "20").returncode == 0
    again = run_cli("demo", "--ledger", str(ledger), "--bills", "20")
    assert again.returncode == 1
    assert "only fills an empty ledger" in again.stderr
    assert "Traceback" not in again.stderr


def test_bad_option_value_is_refused():
    result = run_cli("user", "add", "ann", "--role", "owner")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_user_add_writes_a_hash_never_the_password(tmp_path):
    secrets = tmp_path / "secrets.toml"
    result = subprocess.run(
        [sys.executable, "-m", "console.cli", "user", "add", "ann", "--role", "support",
         "--password-stdin", "--secrets", str(secrets)],
        input="correct horse battery\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = secrets.read_text()
    assert "[users.ann]" in text and 'role = "support"' in text and "scrypt$" in text
    assert "correct horse battery" not in text + result.stdout + result.stderr
