"""Subscriptions: create, attach bePaid's answer, schedule, and cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.errors import ValidationError
from console.ledger import DuplicateTrackingId, Ledger, NewSubscription, UnknownRecord
from console.status import SubscriptionStatus as S

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def new_subscription(ledger, **changes):
    fields = dict(
        tracking_id="sub-1",
        amount=1999,
        currency="USD",
        interval=1,
        interval_unit="month",
        plan_title="Pro",
        customer_email="Bob@Example.com",
        at=T0,
    )
    return ledger.create_subscription(NewSubscription(**{**fields, **changes}))


def test_a_new_subscription_is_stored_with_a_first_event(ledger):
    sub = ledger.get_subscription(new_subscription(ledger, trial_interval=7, trial_unit="day"))
    assert sub.ref == f"S{sub.id}"
    assert (sub.provider, sub.amount, sub.currency) == ("bepaid", 1999, "USD")
    assert (sub.interval, sub.interval_unit, sub.trial_interval, sub.trial_unit) == (
        1,
        "month",
        7,
        "day",
    )
    assert sub.customer_email == "bob@example.com"
    assert sub.status is S.CREATING and sub.paid_cycles == 0
    assert [e.to_status for e in ledger.history("subscription", sub.id)] == ["creating"]


def test_duplicate_tracking_id_is_refused(ledger):
    first = new_subscription(ledger)
    with pytest.raises(DuplicateTrackingId) as caught:
        new_subscription(ledger)
    assert caught.value.existing_ref == f"S{first}"


@pytest.mark.parametrize(
    "changes",
    [
        {"interval": 0},
        {"interval_unit": "week"},
        {"trial_interval": 7},  # without a unit
        {"status": S.ACTIVE},
        {"amount": -1},
    ],
)
def test_bad_plans_are_refused(ledger, changes):
    with pytest.raises(ValidationError):
        new_subscription(ledger, **changes)


def test_bepaid_answer_and_schedule_are_stored(ledger):
    sub_id = new_subscription(ledger)
    ledger.attach_subscription_ids(
        sub_id,
        provider_id="sbs_43cb5f79f8b56c17",
        token="3241e439",
        pay_url="https://checkout.bepaid.by/v2/checkout?token=3241e439",
        plan_id="pln_1",
        extra={"language": "ru"},
    )
    ledger.record_subscription_status(sub_id, S.ACTIVE, "active", "webhook")
    renew = T0 + timedelta(days=31)
    ledger.update_subscription_schedule(sub_id, renew_at=renew, active_to=renew, paid_cycles=1)
    ledger.update_subscription_schedule(sub_id, paid_cycles=2)  # others keep their value
    sub = ledger.get_subscription(sub_id)
    assert (sub.provider_id, sub.token, sub.plan_id) == (
        "sbs_43cb5f79f8b56c17",
        "3241e439",
        "pln_1",
    )
    assert (sub.status, sub.native_status) == (S.ACTIVE, "active")
    assert (sub.renew_at, sub.active_to, sub.paid_cycles) == (renew, renew, 2)
    assert sub.extra == {"language": "ru"}


def test_the_time_of_the_newest_notice_applied_is_kept(ledger):
    sub_id = new_subscription(ledger)
    assert ledger.get_subscription(sub_id).last_notice_at is None
    ledger.update_subscription_schedule(sub_id, last_notice_at=T0)
    ledger.update_subscription_schedule(sub_id, paid_cycles=1)  # keeps it
    assert ledger.get_subscription(sub_id).last_notice_at == T0


def test_cancellation_records_reason_time_and_status_once(ledger):
    sub_id = new_subscription(ledger)
    ledger.record_subscription_status(sub_id, S.ACTIVE, "active", "webhook")
    ledger.update_subscription_schedule(sub_id, renew_at=T0 + timedelta(days=30))
    at = T0 + timedelta(days=3)
    assert ledger.record_cancellation(sub_id, reason="Customer asked", canceled_at=at)
    assert not ledger.record_cancellation(sub_id, reason="Again", canceled_at=at + timedelta(1))
    sub = ledger.get_subscription(sub_id)
    assert (sub.status, sub.canceled_at, sub.cancel_reason) == (S.CANCELED, at, "Customer asked")
    assert sub.renew_at is None
    last = ledger.history("subscription", sub_id)[-1]
    assert (last.to_status, last.detail) == ("canceled", "Customer asked")


def test_cancelling_a_failed_subscription_keeps_failed(ledger):
    sub_id = new_subscription(ledger)
    ledger.record_subscription_status(sub_id, S.FAILED, "failed", "webhook")
    ledger.record_cancellation(sub_id, reason="cleanup")
    assert ledger.get_subscription(sub_id).status is S.FAILED


def test_writes_to_a_missing_subscription_say_so(ledger):
    with pytest.raises(UnknownRecord, match="subscription 9"):
        ledger.record_subscription_status(9, S.ACTIVE, "active", "poll")
    with pytest.raises(UnknownRecord):
        ledger.update_subscription_schedule(9, paid_cycles=1)
