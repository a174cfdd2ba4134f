"""The sandbox's "commit then time out" fault on every create: the provider did it, the
answer never came back. Each ends with exactly one object at the provider and one ledger
row; the result says "being confirmed" and then shows what happened."""

from __future__ import annotations

import pytest

from console.billing import (
    ApmPaymentDraft,
    PayLinkDraft,
    PaytureBillDraft,
    PlanDraft,
    SubscriptionDraft,
)
from console.status import BillStatus, SubscriptionStatus
from tests.contract.billing_support import GIFT_PRODUCT, OPERATOR, open_desk

HOLD = 2  # seconds the sandbox holds the connection; the billing clients give up after 0.5
PLAN = PlanDraft(title="Lost plan", amount="4", currency="EUR", interval=1, interval_unit="month")


@pytest.fixture
def desk(module_sandbox, tmp_path):
    with open_desk(module_sandbox[0], tmp_path, read_timeout=0.5) as desk:
        yield desk
        desk.admin.delete("/__sandbox/faults")


def lose_the_answer(desk, path):
    desk.fault(method="POST", path=path, kind="commit_then_timeout", seconds=HOLD)


UNFINDABLE = {
    "pay link": (
        "/ctp/api/checkouts",
        "checkouts",
        lambda b: b.pay_links.create(
            OPERATOR, PayLinkDraft(amount="5", currency="EUR", description="Lost")
        ),
    ),
    "Payture bill": (
        "/api/payments/20/payture/billCreate",
        "payture",
        lambda b: b.payture_bills.create(OPERATOR, PaytureBillDraft(product_id=GIFT_PRODUCT)),
    ),
    "subscription": (
        "/subscriptions",
        "subscriptions",
        lambda b: b.subscriptions.create(OPERATOR, SubscriptionDraft(plan=PLAN)),
    ),
}


@pytest.mark.parametrize("what", UNFINDABLE)
def test_unfindable_creation_is_confirming_then_closed_after_the_grace_period(desk, what):
    path, counted, create = UNFINDABLE[what]
    before = desk.provider_objects()
    lose_the_answer(desk, path)

    result = create(desk.billing)

    assert result.confirming
    assert "being confirmed" in result.message and result.ref in result.message
    assert result.status.value == "creating"
    after = desk.provider_objects()
    assert after[counted] == before[counted] + 1  # it was created at the provider
    rows = desk.ledger_rows()
    assert rows["bills"] + rows["subscriptions"] == 1
    assert ("olga", result_action(what), "failed") in desk.audit_actions()

    assert desk.billing.objects.confirm(OPERATOR, result.ref).confirming  # still within the grace

    desk.clock.advance(minutes=11)
    resolved = desk.billing.objects.confirm(OPERATOR, result.ref)

    assert not resolved.confirming
    assert resolved.status.value == "canceled"
    assert "canceled" in resolved.message
    object_type = "subscription" if what == "subscription" else "bill"
    assert (
        "never reached anyone" in desk.ledger.history(object_type, int(resolved.ref[1:]))[-1].detail
    )
    assert ("olga", "confirm_creation", "ok") in desk.audit_actions()
    assert desk.provider_objects() == after  # nothing was created again
    rows = desk.ledger_rows()
    assert rows["bills"] + rows["subscriptions"] == 1


def result_action(what):
    return {"pay link": "create_pay_link", "Payture bill": "create_payture_bill",
            "subscription": "create_subscription"}[what]  # fmt: skip


def test_lost_apm_payment_is_found_by_tracking_id_at_once(desk):
    before = desk.provider_objects()["beyag"]
    lose_the_answer(desk, "/beyag/transactions/payments")

    result = desk.billing.apm_payments.create(
        OPERATOR,
        ApmPaymentDraft(amount="6", currency="BYN", description="Lost APM", method_type="erip"),
    )

    assert not result.confirming and result.status == BillStatus.PENDING
    assert result.form is not None and result.form.action.endswith(result.bill.provider_id)
    assert desk.provider_objects()["beyag"] == before + 1
    assert desk.ledger_rows()["bills"] == 1
    assert [e.to_status for e in desk.ledger.history("bill", result.bill.id)] == [
        "creating",
        "pending",
    ]


def test_lost_apm_payment_is_confirmed_later_when_the_lookup_fails_too(desk):
    lose_the_answer(desk, "/beyag/transactions/payments")
    desk.fault(method="GET", path="^/beyag/transactions/tracking_id/", kind="error",
               status=503, count=3)  # fmt: skip

    result = desk.billing.apm_payments.create(
        OPERATOR,
        ApmPaymentDraft(amount="6", currency="BYN", description="Lost APM", method_type="erip"),
    )
    assert result.confirming and "not answering" in result.message

    confirmed = desk.billing.objects.confirm(OPERATOR, result.ref)
    assert not confirmed.confirming and confirmed.status == BillStatus.PENDING
    assert confirmed.form is not None
    desk.pay_apm(confirmed.bill.provider_id)
    assert desk.billing.objects.refresh(OPERATOR, result.ref).record.status == BillStatus.PAID


def test_lost_plan_is_found_by_listing_plans(desk):
    before = desk.provider_objects()["plans"]
    lose_the_answer(desk, "/plans")
    created = desk.billing.plans.create(OPERATOR, PLAN)
    assert created.recovered and created.plan.title == "Lost plan"
    assert desk.provider_objects()["plans"] == before + 1


def test_lost_subscription_that_was_paid_is_never_closed(desk):
    lose_the_answer(desk, "/subscriptions")
    result = desk.billing.subscriptions.create(OPERATOR, SubscriptionDraft(plan=PLAN))
    # Someone had the link after all (say, from the bePaid back office) and paid.
    sub_id = desk.state()["bepaid"]["subscriptions"][0]["id"]
    desk.pay_subscription(sub_id)
    desk.clock.advance(minutes=11)
    still = desk.billing.objects.confirm(OPERATOR, result.ref)
    assert still.confirming and still.status == SubscriptionStatus.CREATING
    assert "import it" in still.message
    assert [p.amount for p in desk.ledger.payments_of("subscription", still.subscription.id)] == [
        400
    ]

    imported = desk.billing.imports.create(OPERATOR, sub_id)  # support pastes the id it found
    assert not imported.created and imported.ref == result.ref
    assert imported.record.status == SubscriptionStatus.ACTIVE
    assert imported.record.provider_id == sub_id
    assert len(desk.ledger.payments_of("subscription", still.subscription.id)) == 1
