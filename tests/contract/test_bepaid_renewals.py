"""bePaid subscription renewals on the sandbox clock: trial, renewals, retries, endings."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from provider_sandbox.bepaid.renewals import add_interval
from provider_sandbox.core import parse_iso
from tests.contract.bepaid_support import (
    APPROVED,
    DECLINED,
    advance,
    create_subscription,
    get_subscription,
    pay_subscription,
    plan_request,
    queued_notifications,
)

HOUR, DAY = 3600, 86400
HOOK = "http://127.0.0.1:9/subscriptions"


def swap_card(client, sub_id, card):
    response = client.post(f"/__sandbox/subscriptions/{sub_id}/card", json={"card": card})
    assert response.status_code == 200, response.text
    return response.json()


def transactions_of(client, tracking_id):
    return client.get(f"/v2/transactions/tracking_id/{tracking_id}").json()["transactions"]


def test_trial_then_renewals_then_failed_attempts_then_failed(bepaid, anonymous):
    sub = create_subscription(bepaid, notification_url=HOOK)
    pay_subscription(bepaid, sub["id"])
    trial = get_subscription(bepaid, sub["id"])
    assert trial["state"] == "trial"

    advance(anonymous, HOUR)  # the trial ends: first regular charge
    first = get_subscription(bepaid, sub["id"])
    assert first["state"] == "active"
    assert first["paid_billing_cycles"] == 1
    assert first["last_transaction"]["uid"] != trial["last_transaction"]["uid"]
    assert parse_iso(first["renew_at"]) - parse_iso(trial["renew_at"]) == timedelta(days=1)
    assert first["active_to"] == first["renew_at"]

    advance(anonymous, DAY)
    second = get_subscription(bepaid, sub["id"])
    assert second["paid_billing_cycles"] == 2
    assert second["last_transaction"]["uid"] != first["last_transaction"]["uid"]

    swap_card(bepaid, sub["id"], DECLINED)  # the payer's card starts declining
    advance(anonymous, DAY)
    retrying = get_subscription(bepaid, sub["id"])
    assert retrying["state"] == "failed_attempt"
    assert retrying["number_failed_payment_attempts"] == 1
    assert retrying["paid_billing_cycles"] == 2
    assert retrying["active_to"] == second["active_to"]
    assert parse_iso(retrying["renew_at"]) == parse_iso(second["renew_at"]) + timedelta(days=1)

    advance(anonymous, DAY)
    assert get_subscription(bepaid, sub["id"])["number_failed_payment_attempts"] == 2
    advance(anonymous, DAY)  # the third of number_payment_attempts = 3

    failed = get_subscription(bepaid, sub["id"])
    assert failed["state"] == "failed"
    assert failed["renew_at"] is None
    assert failed["last_transaction"]["status"] == "failed"
    statuses = [t["status"] for t in transactions_of(bepaid, "sub-1")]
    assert statuses == ["failed", "failed", "failed", "successful", "successful", "successful"]
    notified = queued_notifications(anonymous, HOOK)
    assert [n["state"] for n in notified] == [
        "trial",
        "active",
        "active",
        "failed_attempt",
        "failed_attempt",
        "failed",
    ]
    assert notified[-1] == get_subscription(bepaid, sub["id"])


def test_a_successful_retry_brings_the_subscription_back(bepaid, anonymous):
    sub = create_subscription(bepaid, plan=plan_request(trial=None))
    pay_subscription(bepaid, sub["id"])
    paid_until = get_subscription(bepaid, sub["id"])["active_to"]
    swap_card(bepaid, sub["id"], DECLINED)
    advance(anonymous, DAY)
    assert get_subscription(bepaid, sub["id"])["state"] == "failed_attempt"

    swap_card(bepaid, sub["id"], APPROVED)
    advance(anonymous, DAY)

    back = get_subscription(bepaid, sub["id"])
    assert back["state"] == "active"
    assert back["number_failed_payment_attempts"] == 0
    assert back["paid_billing_cycles"] == 2
    # The late payment covers the period it falls in, and the schedule stays on the
    # original billing days: no second charge for the day that went unpaid.
    assert parse_iso(back["active_to"]) == parse_iso(paid_until) + timedelta(days=2)
    assert len(transactions_of(bepaid, "sub-1")) == 3


def test_the_first_charge_after_a_trial_failing_ends_the_subscription_at_once(bepaid, anonymous):
    sub = create_subscription(bepaid)
    pay_subscription(bepaid, sub["id"])
    swap_card(bepaid, sub["id"], DECLINED)

    advance(anonymous, HOUR)

    ended = get_subscription(bepaid, sub["id"])
    assert ended["state"] == "failed"
    assert ended["number_failed_payment_attempts"] == 1


def test_a_trial_paid_as_first_payment_earns_retries(bepaid, anonymous):
    plan = plan_request()
    plan["trial"]["as_first_payment"] = True
    sub = create_subscription(bepaid, plan=plan)
    pay_subscription(bepaid, sub["id"])
    swap_card(bepaid, sub["id"], DECLINED)

    advance(anonymous, HOUR)

    assert get_subscription(bepaid, sub["id"])["state"] == "failed_attempt"


def test_billing_cycles_end_the_subscription_as_expired(bepaid, anonymous):
    plan = plan_request(trial=None, infinite=False, billing_cycles=2)
    sub = create_subscription(bepaid, plan=plan, notification_url=HOOK)
    pay_subscription(bepaid, sub["id"])

    advance(anonymous, DAY)
    last_paid = get_subscription(bepaid, sub["id"])
    assert last_paid["paid_billing_cycles"] == 2
    assert last_paid["renew_at"] is None  # nothing more will be charged
    assert last_paid["state"] == "active"

    advance(anonymous, DAY)
    ended = get_subscription(bepaid, sub["id"])
    assert ended["state"] == "expired"
    assert ended["paid_billing_cycles"] == 2
    assert ended["active_to"] == last_paid["active_to"]
    assert len(transactions_of(bepaid, "sub-1")) == 2
    assert [n["state"] for n in queued_notifications(anonymous, HOOK)] == [
        "active",
        "active",
        "expired",
    ]


def test_a_long_clock_jump_bills_every_missed_period_on_its_own_date(bepaid, anonymous):
    plan = plan_request(trial=None, plan={"amount": 50, "interval": 1, "interval_unit": "hour"})
    sub = create_subscription(bepaid, plan=plan)
    pay_subscription(bepaid, sub["id"])

    advance(anonymous, 5 * HOUR + 60)

    caught_up = get_subscription(bepaid, sub["id"])
    assert caught_up["paid_billing_cycles"] == 6
    dates = [parse_iso(t["created_at"]) for t in transactions_of(bepaid, "sub-1")]
    assert [a - b for a, b in itertools.pairwise(dates)] == [timedelta(hours=1)] * 5


def test_a_cancelled_subscription_is_not_renewed(bepaid, anonymous):
    sub = create_subscription(bepaid, plan=plan_request(trial=None))
    pay_subscription(bepaid, sub["id"])
    bepaid.post(f"/subscriptions/{sub['id']}/cancel", json={"cancel_reason": "moving"})

    advance(anonymous, 3 * DAY)

    assert get_subscription(bepaid, sub["id"])["paid_billing_cycles"] == 1
    assert len(transactions_of(bepaid, "sub-1")) == 1


@pytest.mark.parametrize(
    ("start", "count", "unit", "expected"),
    [
        ("2026-01-31T10:00:00", 1, "month", "2026-02-28T10:00:00"),
        ("2026-01-31T10:00:00", 2, "month", "2026-03-31T10:00:00"),
        ("2028-01-31T10:00:00", 1, "month", "2028-02-29T10:00:00"),
        ("2026-11-30T10:00:00", 3, "month", "2027-02-28T10:00:00"),
        ("2026-12-15T10:00:00", 1, "month", "2027-01-15T10:00:00"),
        ("2026-03-01T23:30:00", 1, "hour", "2026-03-02T00:30:00"),
        ("2026-02-28T08:00:00", 2, "day", "2026-03-02T08:00:00"),
    ],
)
def test_intervals_are_calendar_aware(start, count, unit, expected):
    moment = datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert add_interval(moment, count, unit) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


def test_renewals_that_keep_erroring_end_the_subscription_in_error(bepaid, anonymous):
    plan = plan_request(trial=None, number_payment_attempts=2)
    sub = create_subscription(bepaid, plan=plan)
    pay_subscription(bepaid, sub["id"])
    swap_card(bepaid, sub["id"], "4200000000000001")  # fails the Luhn check

    advance(anonymous, DAY)
    assert get_subscription(bepaid, sub["id"])["state"] == "failed_attempt"
    advance(anonymous, DAY)

    ended = get_subscription(bepaid, sub["id"])
    assert ended["state"] == "error"
    assert ended["last_transaction"]["status"] == "error"


def test_the_admin_card_swap_refuses_what_is_not_a_card_number(bepaid):
    sub = create_subscription(bepaid)

    response = bepaid.post(f"/__sandbox/subscriptions/{sub['id']}/card", json={"card": "42"})

    assert response.status_code == 422
    assert response.json()["errors"] == {"card": ["is invalid"]}
