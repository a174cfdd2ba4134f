"""Subscriptions: the first charge, renewals on the sandbox clock, cancellation."""

# ruff: noqa: F811 - the shared fixtures are imported by name, and tests take them as arguments

from __future__ import annotations

from console.status import SubscriptionStatus
from tests.contract.bepaid_support import APPROVED, DECLINED
from tests.contract.webhooks_support import (  # noqa: F401 - fixtures, found by name
    module_ledger,
    receiver_url,
    shop,
)

HOUR, DAY = 3600, 86400


def test_trial_then_renewal_record_each_charge_and_the_schedule(shop):
    sub_id, sbs = shop.subscription()  # trial 100 for an hour, then 500 a day

    shop.pay_subscription(sbs, APPROVED)
    shop.wait_for_verdicts("subscription", sub_id, 1)
    trial = shop.ledger.get_subscription(sub_id)
    assert trial.status is SubscriptionStatus.TRIAL
    assert [p.amount for p in shop.ledger.payments_of("subscription", sub_id)] == [100]

    shop.advance(HOUR)  # the trial ends: the first regular charge, notified

    notifications = shop.wait_for_verdicts("subscription", sub_id, 2)
    assert [n.verdict for n in notifications] == ["applied", "applied"]
    active = shop.ledger.get_subscription(sub_id)
    remote = shop.client.get(f"/subscriptions/{sbs}").json()
    assert active.status is SubscriptionStatus.ACTIVE
    assert active.paid_cycles == 1 == remote["paid_billing_cycles"]
    assert active.renew_at.isoformat().replace("+00:00", "Z") == remote["renew_at"]
    assert active.active_to == active.renew_at
    payments = shop.ledger.payments_of("subscription", sub_id)
    assert [(p.amount, p.currency, p.channel) for p in payments] == [
        (100, "USD", "subscription"),
        (500, "USD", "subscription"),
    ]
    assert payments[-1].provider_txn_id == remote["last_transaction"]["uid"]


def test_a_declined_first_charge_fails_the_subscription(shop):
    sub_id, sbs = shop.subscription(trial=None)

    shop.pay_subscription(sbs, DECLINED)

    (notification,) = shop.wait_for_verdicts("subscription", sub_id, 1)
    assert notification.verdict == "applied"
    assert notification.status_reported == "failed"
    assert shop.ledger.get_subscription(sub_id).status is SubscriptionStatus.FAILED
    assert shop.ledger.payments_of("subscription", sub_id) == []


def test_a_cancellation_at_bepaid_is_recorded_with_its_reason(shop):
    sub_id, sbs = shop.subscription(trial=None)
    shop.pay_subscription(sbs, APPROVED)
    shop.wait_for_verdicts("subscription", sub_id, 1)

    response = shop.client.post(
        f"/subscriptions/{sbs}/cancel", json={"cancel_reason": "Customer asked"}
    )
    assert response.status_code == 200, response.text

    shop.wait_for_verdicts("subscription", sub_id, 2)
    canceled = shop.ledger.get_subscription(sub_id)
    assert canceled.status is SubscriptionStatus.CANCELED
    assert canceled.cancel_reason == "Customer asked"
    assert canceled.renew_at is None
    assert [p.amount for p in shop.ledger.payments_of("subscription", sub_id)] == [500]
