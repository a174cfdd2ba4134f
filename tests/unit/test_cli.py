"""The merchant-console command: subcommands, options, and honest messages."""

import subprocess
import sys

import pytest

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
    for name in ("run", "sandbox", "webhooks", "sync", "demo", "migrate", "user"):
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


@pytest.mark.parametrize("bills", ["0", "20000001"])
def test_a_demo_size_out_of_range_is_a_message_and_writes_nothing(tmp_path, bills):
    ledger = tmp_path / "demo.db"
    result = run_cli("demo", "--ledger", str(ledger), "--bills", bills)
    assert result.returncode == 1
    assert "--bills must be between 1 and 20,000,000" in result.stderr
    assert "Traceback" not in result.stderr
    assert not ledger.exists()  # checked before the ledger is opened


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


def _v6_ledger(path, monkeypatch):
    """A ledger an older console (schema 6) wrote: a paid bill, a pending one."""
    from datetime import UTC, datetime

    from console.ledger import Ledger, NewBill, _schema

    with monkeypatch.context() as patch:
        patch.setattr(_schema, "MIGRATIONS", _schema.MIGRATIONS[:6])
        patch.setattr(_schema, "SCHEMA_VERSION", 6)
        with Ledger(path) as old:
            for number in range(3):
                bill = old.create_bill(
                    NewBill(
                        provider="bepaid",
                        kind="card_link",
                        tracking_id=f"o-{number}",
                        amount=500,
                        currency="EUR",
                    )
                )
            old.record_payment(
                provider="bepaid",
                provider_txn_id="t-1",
                amount=500,
                currency="EUR",
                at=datetime(2026, 5, 1, tzinfo=UTC),
                bill_id=bill,
            )


def test_migrate_brings_an_older_ledger_up_to_date_and_shows_its_progress(tmp_path, monkeypatch):
    from console.ledger import SCHEMA_VERSION

    ledger = tmp_path / "old.db"
    _v6_ledger(ledger, monkeypatch)
    result = run_cli("migrate", "--ledger", str(ledger))
    assert result.returncode == 0, result.stderr
    assert f"migrated from schema version 6 to {SCHEMA_VERSION}" in result.stdout
    # Not a terminal here: the step is named, then one line says how it ended.
    assert "Updating the ledger: report summaries" in result.stderr
    assert "report summaries: 4 rows in" in result.stderr  # 3 bills + 1 payment
    again = run_cli("migrate", "--ledger", str(ledger))
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert again.stderr == ""


def test_migrate_refuses_a_file_that_is_not_there(tmp_path):
    result = run_cli("migrate", "--ledger", str(tmp_path / "typo.db"))
    assert result.returncode == 2
    assert "there is no ledger file at" in result.stderr
    assert not (tmp_path / "typo.db").exists()


def test_run_migrates_the_ledger_before_it_starts_anything(tmp_path, monkeypatch):
    """The console and the receiver must not both find an old file and race to migrate it."""
    from console import cli
    from console.errors import ConsoleError
    from console.ledger import SCHEMA_VERSION, Ledger

    ledger = tmp_path / "old.db"
    _v6_ledger(ledger, monkeypatch)
    monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "none.toml"))
    started = []

    def first_child(settings, env):
        with Ledger(settings.ledger_path) as seen:
            started.append(seen.found_version)
        raise ConsoleError("stop here")

    monkeypatch.setattr(cli, "_start_sandbox", first_child)
    assert cli.main(["run", "--ledger", str(ledger)]) == 1
    assert started == [SCHEMA_VERSION]  # already migrated when the first child would start


def test_the_progress_bar_draws_on_a_terminal_and_ends_with_a_line():
    import io

    from console.progress import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    bar = ProgressBar("Updating the ledger: ", file=screen)
    bar("nothing", 0, 0)  # a new ledger: nothing to read, nothing drawn
    for done in (0, 250, 1000, 1000):
        bar("report summaries", done, 1000)
    bar.close()
    text = screen.getvalue()
    assert "nothing" not in text
    assert "25%" in text and "100%" in text
    assert text.count("report summaries: 1,000 rows in") == 1
