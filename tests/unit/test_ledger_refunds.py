"""Refunds in the ledger: each refund the provider made is one row and one negative payment,
whichever report arrives first (the answer, a notification, a poll), and what remains
never lets attempts together exceed the charge."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.errors import ValidationError
from console.ledger import Ledger, NewBill
from console.status import BillStatus

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


@pytest.fixture
def charge(ledger):
    """A paid 10.00 BYN card bill's charge."""
    bill_id = ledger.create_bill(
        NewBill(provider="bepaid", kind="card_link", tracking_id="o-1", amount=1000, currency="BYN")
    )
    paid = {"provider": "bepaid", "provider_txn_id": "ch-1", "amount": 1000, "currency": "BYN"}
    ledger.record_payment(**paid, at=AT, bill_id=bill_id)
    ledger.record_bill_status(bill_id, BillStatus.PAID, "successful", "poll", at=AT)
    return ledger.payments_of("bill", bill_id)[0]


def seen(ledger, charge, uid, amount):
    report = {"native_status": "successful", "at": AT, "source": "webhook", "reason": "reported"}
    return ledger.refunds.record_seen(
        charge, provider_uid=uid, amount=amount, actor="provider", **report
    )


def refunds_paid(ledger, charge):
    return sorted(p.amount for p in ledger.payments_of("bill", charge.bill_id) if p.amount < 0)


def test_the_notification_before_the_answer_is_one_refund(ledger, charge):
    attempt = ledger.refunds.start(charge, 400, "Torn", actor="olga")
    recorded = seen(ledger, charge, "r-1", 400)  # the notification matches the attempt
    assert recorded.id == attempt and recorded.actor == "olga" and recorded.reason == "Torn"
    answered = ledger.refunds.succeed(attempt, provider_uid="r-1", native_status="ok", at=AT)
    assert answered is False  # the answer finds it recorded
    assert refunds_paid(ledger, charge) == [-400]
    assert ledger.get_bill(charge.bill_id).status == BillStatus.PARTIALLY_REFUNDED


def test_two_equal_attempts_whose_reports_cross_are_two_refunds(ledger, charge):
    first = ledger.refunds.start(charge, 300, "One", actor="olga")
    second = ledger.refunds.start(charge, 300, "Two", actor="olga")
    seen(ledger, charge, "r-B", 300)  # the second attempt's refund, matched to the first
    assert ledger.refunds.succeed(second, provider_uid="r-B", native_status="s", at=AT) is False
    assert ledger.refunds.succeed(first, provider_uid="r-A", native_status="s", at=AT) is True
    assert refunds_paid(ledger, charge) == [-300, -300]
    rows = ledger.refunds.of_payment(charge.id)
    assert {r.provider_uid for r in rows} == {"r-A", "r-B"}
    assert {r.status for r in rows} == {"succeeded"}
    assert ledger.refunds.remaining(charge) == 400


def test_an_answer_for_an_attempt_a_notification_already_settled_gets_its_own_row(ledger, charge):
    only = ledger.refunds.start(charge, 200, "One", actor="olga")
    seen(ledger, charge, "r-X", 200)  # settles the only attempt
    assert ledger.refunds.succeed(only, provider_uid="r-Y", native_status="s", at=AT) is True
    assert refunds_paid(ledger, charge) == [-200, -200]  # two refunds were made: both count
    assert len(ledger.refunds.of_payment(charge.id)) == 2


def test_a_refund_made_elsewhere_is_recorded_once(ledger, charge):
    assert seen(ledger, charge, "r-9", 1000).source == "webhook"
    assert seen(ledger, charge, "r-9", 1000) is None  # the repeat
    assert ledger.get_bill(charge.bill_id).status == BillStatus.REFUNDED
    assert ledger.refunds.remaining(charge) == 0


def test_attempts_being_confirmed_hold_their_amount(ledger, charge):
    ledger.refunds.start(charge, 600, "Lost answer", actor="olga")
    assert ledger.refunds.remaining(charge) == 400
    with pytest.raises(ValidationError, match="At most 400"):
        ledger.refunds.start(charge, 401, "Too much", actor="olga")


def test_recent_lists_the_newest_first(ledger, charge):
    first = ledger.refunds.start(charge, 100, "a", actor="olga")
    second = ledger.refunds.start(charge, 100, "b", actor="olga")
    assert [r.id for r in ledger.refunds.recent(10)] == [second, first]
    assert ledger.refunds.charge("ch-1", ("bepaid",)).id == charge.id
    assert ledger.refunds.charge("ch-1", ("begateway",)) is None
