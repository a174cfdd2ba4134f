"""Subscription notices out of order: a late ``active`` cannot undo a newer ``failed_attempt``
with as many paid cycles (issue 10, section 8). Over loopback through the real receiver."""

# ruff: noqa: F811 - the shared fixtures are imported by name, and tests take them as arguments

from __future__ import annotations

import json

import httpx
import pytest

from console.ledger import NewSubscription
from console.status import SubscriptionStatus
from tests.contract.bepaid_support import APPROVED, DECLINED
from tests.contract.webhooks_support import (  # noqa: F401 - fixtures, found by name
    module_ledger,
    receiver_url,
    shop,
    sign,
    signed_post,
    unique,
)

DAY = 86400


def swap_card(shop, sbs: str, card: str) -> None:
    response = shop.client.post(f"/__sandbox/subscriptions/{sbs}/card", json={"card": card})
    assert response.status_code == 200, response.text


def test_the_sandboxs_own_active_notice_replayed_after_a_failed_renewal_is_stale(shop, sign):
    sub_id, sbs = shop.subscription(trial=None)  # 500 USD a day
    shop.pay_subscription(sbs, APPROVED)  # active, 1 paid cycle
    shop.wait_for_verdicts("subscription", sub_id, 1)
    shop.advance(DAY)  # the renewal is paid: active, 2 cycles
    shop.wait_for_verdicts("subscription", sub_id, 2)
    swap_card(shop, sbs, DECLINED)
    shop.advance(DAY)  # the next renewal fails: failed_attempt, still 2 cycles

    in_order = shop.wait_for_verdicts("subscription", sub_id, 3)
    assert [(n.status_reported, n.verdict) for n in in_order] == [
        ("active", "applied"),
        ("active", "applied"),
        ("failed_attempt", "applied"),
    ]
    assert shop.ledger.get_subscription(sub_id).status is SubscriptionStatus.PAST_DUE
    sent = [d for d in shop.delivered(shop.hook()) if d["payload"].get("id") == sbs]
    (second_cycle,) = [
        d for d in sent if d["payload"]["state"] == "active"
        and d["payload"]["paid_billing_cycles"] == 2
    ]  # fmt: skip

    with httpx.Client(timeout=10) as http:  # bePaid's retry of it, arriving late
        answer = signed_post(http, shop.hook(), second_cycle["body"].encode(), sign)

    assert answer.status_code == 200
    assert answer.json()["verdict"] == "stale"
    sub = shop.ledger.get_subscription(sub_id)
    assert (sub.status, sub.native_status, sub.paid_cycles) == (
        SubscriptionStatus.PAST_DUE,
        "failed_attempt",
        2,
    )
    assert len(shop.ledger.payments_of("subscription", sub_id)) == 2


def notice(sbs: str, tracking_id: str, state: str, at: str, *, where: str) -> bytes:
    """A bare subscription object with 2 paid cycles whose own time is ``at``, carried
    by the last charge (``charge``) or by ``updated_at`` (``updated``)."""
    successful = state == "active"
    charge = {
        "uid": f"{'ok' if successful else 'no'}-{tracking_id[-12:]}",
        "status": "successful" if successful else "failed",
        "message": "Successfully processed" if successful else "Declined",
        "created_at": at,
    }
    data = {
        "id": sbs,
        "state": state,
        "tracking_id": tracking_id,
        "created_at": "2026-03-01T08:00:00Z",
        "renew_at": "2026-03-04T08:00:00Z",
        "active_to": "2026-03-04T08:00:00Z",
        "paid_billing_cycles": 2,
        "plan": {
            "id": "pln_late",
            "currency": "USD",
            "plan": {"amount": 500, "interval": 1, "interval_unit": "day"},
            "test": True,
        },
        "last_transaction": charge if where == "charge" else None,
        "cancel_reason": None,
        "cancelled_at": None,
    }
    if where == "updated":
        data["updated_at"] = at
    return json.dumps(data, separators=(",", ":")).encode()


EARLIER, LATER = "2026-03-03T08:00:00Z", "2026-03-04T08:00:05Z"


def new_subscription(shop) -> tuple[int, str, str]:
    """A subscription row as billing leaves it: (console id, sbs id, tracking id)."""
    tracking_id = unique("late")
    sub_id = shop.ledger.create_subscription(
        NewSubscription(
            tracking_id=tracking_id,
            amount=500,
            currency="USD",
            interval=1,
            interval_unit="day",
            test=True,
            status=SubscriptionStatus.PENDING,
        )
    )
    sbs = f"sbs_{tracking_id.replace('-', '')[-16:]}"
    shop.ledger.attach_subscription_ids(sub_id, provider_id=sbs)
    return sub_id, sbs, tracking_id


def post_all(shop, sign, bodies: list[bytes]) -> list[str]:
    with httpx.Client(timeout=10) as http:
        answers = [signed_post(http, shop.hook(), body, sign) for body in bodies]
    assert [a.status_code for a in answers] == [200] * len(bodies)
    return [a.json()["verdict"] for a in answers]


@pytest.mark.parametrize("where", ["charge", "updated"])
def test_failed_attempt_then_a_retried_late_active_keeps_past_due(shop, sign, where):
    sub_id, sbs, tracking_id = new_subscription(shop)
    active = notice(sbs, tracking_id, "active", EARLIER, where=where)
    failed = notice(sbs, tracking_id, "failed_attempt", LATER, where=where)

    verdicts = post_all(shop, sign, [active, failed, active])  # the active comes again, late

    assert verdicts == ["applied", "applied", "stale"]
    sub = shop.ledger.get_subscription(sub_id)
    assert (sub.status, sub.paid_cycles) == (SubscriptionStatus.PAST_DUE, 2)
    assert sub.last_notice_at.isoformat().replace("+00:00", "Z") == LATER
    stale = shop.ledger.notifications_of("subscription", sub_id)[0]  # newest first
    assert stale.detail == (
        "reports active as of 2026-03-03 08:00:00 UTC; a notice of 2026-03-04 08:00:05 UTC "
        "is applied"
    )


def test_failed_attempt_then_a_delayed_active_never_seen_keeps_past_due(shop, sign):
    sub_id, sbs, tracking_id = new_subscription(shop)
    failed = notice(sbs, tracking_id, "failed_attempt", LATER, where="updated")
    active = notice(sbs, tracking_id, "active", EARLIER, where="updated")

    assert post_all(shop, sign, [failed, active]) == ["applied", "stale"]
    assert shop.ledger.get_subscription(sub_id).status is SubscriptionStatus.PAST_DUE


def test_a_delayed_active_still_records_the_charge_it_carries(shop, sign):
    sub_id, sbs, tracking_id = new_subscription(shop)
    failed = notice(sbs, tracking_id, "failed_attempt", LATER, where="charge")
    active = notice(sbs, tracking_id, "active", EARLIER, where="charge")

    assert post_all(shop, sign, [failed, active]) == ["applied", "applied"]
    assert shop.ledger.get_subscription(sub_id).status is SubscriptionStatus.PAST_DUE
    [payment] = shop.ledger.payments_of("subscription", sub_id)
    assert (payment.amount, payment.currency) == (500, "USD")
    detail = shop.ledger.notifications_of("subscription", sub_id)[0].detail
    assert "is recorded, its state is not: reports active as of" in detail


@pytest.mark.parametrize("where", ["charge", "updated"])
def test_active_then_failed_attempt_in_order_applies_both(shop, sign, where):
    sub_id, sbs, tracking_id = new_subscription(shop)
    active = notice(sbs, tracking_id, "active", EARLIER, where=where)
    failed = notice(sbs, tracking_id, "failed_attempt", LATER, where=where)

    assert post_all(shop, sign, [active, failed]) == ["applied", "applied"]
    sub = shop.ledger.get_subscription(sub_id)
    assert (sub.status, sub.native_status) == (SubscriptionStatus.PAST_DUE, "failed_attempt")
