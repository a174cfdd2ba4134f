"""Status reports through the ledger: a late report never regresses a final status,
repeats append nothing, and a native-only change (Payture PAID -> DONE) is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.errors import ValidationError
from console.ledger import Ledger, NewBill, NewSubscription
from console.status import BillStatus, SubscriptionStatus

B, S = BillStatus, SubscriptionStatus
T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


@pytest.fixture
def bill_id(ledger):
    return ledger.create_bill(
        NewBill(
            provider="payture",
            kind="payture_bill",
            tracking_id="o-1",
            amount=500,
            currency="RUB",
            status=B.PENDING,
            at=T0,
        )
    )


@pytest.mark.parametrize(
    ("reports", "final", "changes"),
    [
        ([B.PAID, B.PENDING], B.PAID, [True, False]),  # late poll after the webhook
        ([B.EXPIRED, B.PAID], B.PAID, [True, True]),  # money beats expiry
        ([B.PAID, B.EXPIRED], B.PAID, [True, False]),
        ([B.FAILED, B.PENDING, B.CANCELED], B.FAILED, [True, False, False]),
        ([B.PAID, B.REFUNDED, B.PAID], B.REFUNDED, [True, True, False]),
        ([B.PENDING, B.PENDING], B.PENDING, [False, False]),  # repeats from every poll
    ],
)
def test_reports_apply_in_order_and_stale_ones_change_nothing(
    ledger, bill_id, reports, final, changes
):
    results = [
        ledger.record_bill_status(bill_id, status, None, "poll", at=T0 + timedelta(minutes=i))
        for i, status in enumerate(reports)
    ]
    assert results == changes
    assert ledger.get_bill(bill_id).status is final
    history = ledger.history("bill", bill_id)
    assert len(history) == 1 + sum(changes)  # the creation event plus one per change
    assert history[-1].to_status == final.value


def test_native_status_change_alone_is_recorded_once(ledger, bill_id):
    paid_at = T0 + timedelta(minutes=5)
    assert ledger.record_bill_status(bill_id, B.PAID, "PAID", "webhook", at=paid_at)
    assert ledger.record_bill_status(bill_id, B.PAID, "DONE", "poll", at=paid_at + timedelta(1))
    assert not ledger.record_bill_status(bill_id, B.PAID, "DONE", "poll")
    bill = ledger.get_bill(bill_id)
    assert (bill.status, bill.native_status, bill.paid_at) == (B.PAID, "DONE", paid_at)
    last = ledger.history("bill", bill_id)[-1]
    assert (last.from_status, last.to_status, last.native_status) == ("paid", "paid", "DONE")


def test_a_stale_report_does_not_touch_the_native_status_either(ledger, bill_id):
    ledger.record_bill_status(bill_id, B.PAID, "DONE", "webhook")
    ledger.record_bill_status(bill_id, B.PENDING, "PENDING", "poll")
    assert ledger.get_bill(bill_id).native_status == "DONE"


def test_event_keeps_who_reported_when_and_why(ledger, bill_id):
    at = T0 + timedelta(minutes=3)
    ledger.record_bill_status(
        bill_id, B.MISMATCH, "AMOUNT_MISMATCH", "webhook", at=at, detail={"paid": 400}
    )
    event = ledger.history("bill", bill_id)[-1]
    assert (event.source, event.at, event.native_status) == ("webhook", at, "AMOUNT_MISMATCH")
    assert event.detail == '{"paid": 400}'
    assert ledger.get_bill(bill_id).paid_at == at  # money moved, even if the wrong amount


@pytest.mark.parametrize(
    ("reports", "final"),
    [
        ([S.ACTIVE, S.PAST_DUE, S.ACTIVE], S.ACTIVE),
        ([S.ACTIVE, S.CANCELED, S.ACTIVE], S.CANCELED),  # final is terminal
        ([S.FAILED, S.CANCELED], S.FAILED),
    ],
)
def test_subscription_statuses_follow_the_same_rule(ledger, reports, final):
    sub_id = ledger.create_subscription(
        NewSubscription(
            tracking_id="s-1", amount=999, currency="BYN", interval=1, interval_unit="month"
        )
    )
    for status in reports:
        ledger.record_subscription_status(sub_id, status, status.value, "webhook")
    assert ledger.get_subscription(sub_id).status is final


def test_a_status_outside_the_vocabulary_is_refused(ledger, bill_id):
    with pytest.raises(ValidationError, match="'done' is not one of") as caught:
        ledger.record_bill_status(bill_id, "done", "DONE", "poll")
    assert caught.value.field == "status"
    assert ledger.get_bill(bill_id).status is B.PENDING
