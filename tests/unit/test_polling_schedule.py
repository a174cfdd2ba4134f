"""When an open object is asked about next: soon while it is likely to change, rarely after;
at its expiry and around a renewal; as reconciliation when notifications arrive."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from console.billing._schedule import after_error, next_check
from console.ledger import Bill, Subscription
from console.status import BillStatus, SubscriptionStatus

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
S, MIN, H = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)


def record(row_type, **values):
    """A ledger row of ``row_type`` with ``values`` (every other field None)."""
    return row_type(**({name: None for name in row_type.__dataclass_fields__} | values))


def bill(age: timedelta, status=BillStatus.PENDING, expires_in: timedelta | None = None) -> Bill:
    expires_at = None if expires_in is None else NOW + expires_in
    made = {"created_at": NOW - age, "updated_at": NOW - age, "expires_at": expires_at}
    return record(Bill, id=1, provider="bepaid", kind="card_link", status=status, **made)


def subscription(status, renew_in: timedelta | None = None) -> Subscription:
    renew_at = None if renew_in is None else NOW + renew_in
    made = {"created_at": NOW - 40 * 24 * H, "updated_at": NOW, "renew_at": renew_at}
    return record(Subscription, id=1, provider="bepaid", status=status, **made)


@pytest.mark.parametrize(
    ("age", "every"),
    [
        (30 * S, 5 * S),  # just sent: the payer is paying now
        (9 * MIN, 5 * S),
        (20 * MIN, MIN),
        (3 * H, 5 * MIN),
        (12 * H, 20 * MIN),
        (3 * 24 * H, 2 * H),
    ],
)
def test_a_pending_link_is_checked_less_often_as_it_ages(age, every):
    assert next_check(bill(age), NOW) == NOW + every


def test_a_link_is_checked_at_its_expiry_when_that_comes_first():
    assert next_check(bill(3 * H, expires_in=30 * S), NOW) == NOW + 32 * S
    assert next_check(bill(3 * H, expires_in=10 * MIN), NOW) == NOW + 5 * MIN  # sooner anyway


def test_an_attempt_being_confirmed_is_checked_every_ten_seconds():
    assert next_check(bill(4 * MIN, status=BillStatus.CREATING), NOW) == NOW + 10 * S


def test_a_subscription_is_checked_at_its_renewal_and_often_just_after():
    assert next_check(subscription(SubscriptionStatus.ACTIVE, 2 * H), NOW) == NOW + 2 * H + MIN
    far = next_check(subscription(SubscriptionStatus.ACTIVE, 20 * 24 * H), NOW)
    assert far == NOW + 6 * H  # a month away: reconciled every 6 h meanwhile
    just_renewed = subscription(SubscriptionStatus.ACTIVE, -10 * MIN)
    assert next_check(just_renewed, NOW) == NOW + MIN
    assert next_check(subscription(SubscriptionStatus.PAST_DUE, 5 * 24 * H), NOW) == NOW + 5 * MIN


def test_when_notifications_arrive_polling_only_reconciles():
    assert next_check(bill(30 * S), NOW, notified=True) == NOW + 60 * S
    assert next_check(bill(3 * 24 * H), NOW, notified=True) == NOW + 6 * H
    expiring = bill(3 * H, expires_in=3 * MIN)
    assert next_check(expiring, NOW, notified=True) == NOW + 3 * MIN + 2 * S  # expiry still wins


def test_a_failed_check_is_tried_again_within_thirty_seconds():
    assert after_error(bill(3 * 24 * H), NOW) == NOW + 30 * S
    assert after_error(bill(30 * S), NOW) == NOW + 5 * S


def test_the_schedule_does_not_care_about_a_clock_ahead_of_creation():
    made_later = replace(bill(0 * S), created_at=NOW + MIN)  # a provider clock ahead of ours
    assert next_check(made_later, NOW) == NOW + 5 * S
