"""``merchant-console sync``: one line per pass, and an exit code a script can use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console import cli
from console.billing import PayLinkDraft
from console.ledger import Checked, Ledger
from console.status import BillStatus
from tests.contract.billing_support import CLOSED_PORT_URL, NO_FILE, OPERATOR, open_desk


@pytest.fixture
def desk(sandbox_url, tmp_path, monkeypatch):
    monkeypatch.setenv("MERCHANT_CONSOLE_SANDBOX_URL", sandbox_url)
    monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", NO_FILE)
    monkeypatch.setenv("MERCHANT_CONSOLE_WEBHOOKS_URL", CLOSED_PORT_URL)
    monkeypatch.delenv("MERCHANT_CONSOLE_MODE", raising=False)
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


def test_one_pass_prints_a_summary_and_exits_zero(desk, capsys):
    created = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount="2", currency="EUR", description="x")
    )
    desk.pay_checkout(created.bill.token)

    code = cli.main(["sync", "--ledger", str(desk.ledger.path)])

    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and len(out) == 1
    assert "sync: 1 due checked" in out[0] and "1 status changes, 1 new payments" in out[0]
    with Ledger(desk.ledger.path) as ledger:
        assert ledger.get_bill(created.bill.id).status == BillStatus.PAID


def test_a_failed_object_makes_the_exit_code_one(desk, capsys):
    created = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount="2", currency="EUR", description="x")
    )
    desk.fault(method="GET", path=f"/ctp/api/checkouts/{created.bill.token}", kind="error",
               status=503, count=3)  # fmt: skip
    assert cli.main(["sync", "--ledger", str(desk.ledger.path)]) == 1
    assert f"first: {created.ref}" in capsys.readouterr().out


def test_every_repeats_until_interrupted(desk, capsys, monkeypatch):
    passes = []

    def stop_after_two(seconds):
        passes.append(seconds)
        if len(passes) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli, "pause", stop_after_two)
    assert cli.main(["sync", "--ledger", str(desk.ledger.path), "--every", "30"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    assert all(0 < seconds <= 30 for seconds in passes)


@pytest.mark.parametrize("every", [0, -5])
def test_every_must_be_positive(desk, capsys, every):
    assert cli.main(["sync", "--ledger", str(desk.ledger.path), "--every", str(every)]) == 2
    assert "--every" in capsys.readouterr().err


def test_unusable_ledger_path_is_a_clear_error(desk, tmp_path, capsys):
    assert cli.main(["sync", "--ledger", str(tmp_path)]) == 2  # a directory, not a file
    assert "directory" in capsys.readouterr().err


def test_all_asks_about_objects_that_are_not_due_yet(desk, capsys):
    created = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount="3", currency="EUR", description="x")
    )
    assert cli.main(["sync", "--ledger", str(desk.ledger.path)]) == 0
    later = datetime.now(UTC) + timedelta(hours=1)  # the schedule says: not before an hour
    desk.ledger.polling.record([Checked("bill", created.bill.id, None, later)])
    desk.pay_checkout(created.bill.token)
    assert cli.main(["sync", "--ledger", str(desk.ledger.path)]) == 0  # nothing due
    assert cli.main(["sync", "--all", "--ledger", str(desk.ledger.path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert "sync: 1 due checked" in out[0] and "sync: 0 due checked" in out[1]
    assert "sync: 1 due checked" in out[2] and "1 status changes" in out[2]
    with Ledger(desk.ledger.path) as ledger:
        assert ledger.get_bill(created.bill.id).status == BillStatus.PAID
