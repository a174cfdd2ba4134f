"""bePaid subscriptions: inline plan or plan id, trial, first payment, renewals recorded by sync."""

from __future__ import annotations

import pytest

from console.billing import PlanDraft, ProviderRejectedInput, SubscriptionDraft
from console.status import SubscriptionStatus
from tests.contract.billing_support import NO_WAIT, OPERATOR, open_desk


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


DAILY_WITH_TRIAL = PlanDraft(
    title="Daily coffee",
    amount="3",
    currency="BYN",
    interval=1,
    interval_unit="day",
    trial_amount="1",
    trial_interval=1,
    trial_unit="day",
)


def test_subscription_with_trial_is_paid_and_its_renewal_recorded_by_sync(desk):
    created = desk.billing.subscriptions.create(
        OPERATOR,
        SubscriptionDraft(
            plan=DAILY_WITH_TRIAL,
            customer_email="regular@example.com",
            customer_ip="203.0.113.7",
            return_url="https://shop.example/subscribed",
        ),
    )
    sub = created.subscription
    assert not created.confirming and sub.status == SubscriptionStatus.PENDING
    assert created.pay_url and sub.provider_id.startswith("sbs_")
    assert (sub.amount, sub.currency, sub.interval, sub.interval_unit) == (300, "BYN", 1, "day")
    assert (sub.trial_interval, sub.trial_unit) == (1, "day")
    assert sub.tracking_id.startswith("mc-sub-")
    customer = desk.state()["bepaid"]["customers"][0]
    assert (customer["email"], customer["ip"]) == ("regular@example.com", "203.0.113.7")

    desk.pay_subscription(sub.provider_id)
    in_trial = desk.billing.objects.refresh(OPERATOR, created.ref)
    assert in_trial.record.status == SubscriptionStatus.TRIAL
    assert [p.amount for p in desk.ledger.payments_of("subscription", sub.id)] == [100]

    desk.advance_sandbox(days=1, minutes=1)
    report = desk.billing.sync.refresh_open(retry=NO_WAIT)

    assert report.ok and [c.ref for c in report.changes] == [sub.ref]
    renewed = desk.ledger.get_subscription(sub.id)
    assert renewed.status == SubscriptionStatus.ACTIVE and renewed.paid_cycles == 1
    assert renewed.renew_at is not None
    payments = desk.ledger.payments_of("subscription", sub.id)
    assert [p.amount for p in payments] == [100, 300]
    assert {p.channel for p in payments} == {"subscription"}


def test_every_renewal_between_two_polls_is_recorded(desk):
    created = desk.billing.subscriptions.create(OPERATOR, SubscriptionDraft(plan=DAILY_WITH_TRIAL))
    desk.pay_subscription(created.subscription.provider_id)
    desk.advance_sandbox(days=4, minutes=1)  # trial ends, then three more daily renewals
    desk.billing.sync.refresh_open(retry=NO_WAIT)
    sub = desk.ledger.get_subscription(created.subscription.id)
    assert sub.paid_cycles == 4
    amounts = [p.amount for p in desk.ledger.payments_of("subscription", sub.id)]
    assert amounts == [100, 300, 300, 300, 300]


def test_subscription_to_an_existing_plan_takes_its_terms(desk):
    plan = desk.billing.plans.create(
        OPERATOR,
        PlanDraft(title="Yearly", amount="99", currency="EUR", interval=12, interval_unit="month"),
    ).plan
    created = desk.billing.subscriptions.create(
        OPERATOR, SubscriptionDraft(plan=plan.id, customer_email="a@b.example")
    )
    sub = created.subscription
    assert (sub.plan_id, sub.plan_title, sub.amount, sub.interval) == (plan.id, "Yearly", 9900, 12)
    assert sub.customer_email == "a@b.example"
    assert desk.state()["bepaid"]["customers"] == []  # no IP: bePaid collects the details itself


def test_first_payment_declined_ends_the_subscription_failed(desk):
    created = desk.billing.subscriptions.create(OPERATOR, SubscriptionDraft(plan=DAILY_WITH_TRIAL))
    desk.pay_subscription(created.subscription.provider_id, card="4005550000000019")
    refreshed = desk.billing.objects.refresh(OPERATOR, created.ref)
    assert refreshed.record.status == SubscriptionStatus.FAILED
    assert desk.ledger.payments_of("subscription", created.subscription.id) == []


def test_refusal_without_field_errors_is_shown_for_the_whole_form(desk):
    desk.fault(method="POST", path="/subscriptions", kind="error", status=422)
    with pytest.raises(ProviderRejectedInput) as caught:
        desk.billing.subscriptions.create(OPERATOR, SubscriptionDraft(plan=DAILY_WITH_TRIAL))
    assert caught.value.errors == {"form": "Unprocessable Entity."}
    failed = desk.ledger.recent_subscriptions(1)[0]
    assert failed.status == SubscriptionStatus.FAILED and caught.value.ref == failed.ref
