"""One submit of a form = one object: every create and cancel takes the form's idempotency key,
and every later submit of that key gets the first one's result (across threads and processes:
the key is a unique ledger column)."""

from __future__ import annotations

import threading

import pytest

from console.billing import (
    ApmPaymentDraft,
    InvalidInput,
    PayLinkDraft,
    PaytureBillDraft,
    PlanDraft,
    ProviderFailed,
    SubscriptionDraft,
    new_idempotency_key,
)
from tests.contract.billing_support import BYN_PRODUCT, OPERATOR, open_desk

PLAN = PlanDraft(title="Monthly", amount="5", currency="EUR", interval=1, interval_unit="month")

CREATES = {
    "pay link": lambda b, key, about="Coffee": b.pay_links.create(
        OPERATOR,
        PayLinkDraft(amount="3.50", currency="BYN", description=about),
        idempotency_key=key,
    ),
    "APM payment": lambda b, key, about="Coffee": b.apm_payments.create(
        OPERATOR,
        ApmPaymentDraft(amount="3.50", currency="BYN", description=about, method_type="erip"),
        idempotency_key=key,
    ),
    "Payture bill": lambda b, key, about="Coffee": b.payture_bills.create(
        OPERATOR, PaytureBillDraft(product_id=BYN_PRODUCT, description=about), idempotency_key=key
    ),
    "subscription": lambda b, key, about="Coffee": b.subscriptions.create(
        OPERATOR,
        SubscriptionDraft(plan=PLAN, customer_email=f"{about.lower()}@example.com"),
        idempotency_key=key,
    ),
}


@pytest.fixture
def desk(module_sandbox, tmp_path):
    with open_desk(module_sandbox[0], tmp_path) as desk:
        yield desk


@pytest.mark.parametrize("what", CREATES)
def test_three_submits_of_one_form_make_one_object(desk, what):
    key = new_idempotency_key()
    sent = desk.provider_objects()
    first, second, third = (CREATES[what](desk.billing, key) for _ in range(3))
    assert first.ref == second.ref == third.ref
    assert not first.repeated and second.repeated and third.repeated
    assert "nothing was sent again" in second.message
    rows = desk.ledger_rows()
    assert rows["bills"] + rows["subscriptions"] == 1
    made = {k: v - sent[k] for k, v in desk.provider_objects().items() if v != sent[k]}
    # one checkout / payment / bill / subscription (with its inline plan)
    assert made and set(made.values()) == {1}, made
    audited = [a for a in desk.audit_actions() if a[2] in ("started", "ok")]
    assert len(audited) == 2  # started + ok, once


def test_a_double_click_from_two_threads_at_once_makes_one(desk):
    key = new_idempotency_key()
    results, start = [], threading.Barrier(4)
    before = desk.provider_objects()["checkouts"]

    def click() -> None:
        start.wait()
        results.append(CREATES["pay link"](desk.billing, key))

    clicks = [threading.Thread(target=click) for _ in range(4)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    assert len({r.ref for r in results}) == 1
    assert desk.ledger_rows()["bills"] == 1
    assert desk.provider_objects()["checkouts"] == before + 1


def test_the_same_key_with_other_values_is_refused_and_writes_nothing(desk):
    key = new_idempotency_key()
    first = CREATES["pay link"](desk.billing, key)
    rows, sent = desk.ledger_rows(), desk.provider_objects()
    with pytest.raises(InvalidInput) as refused:
        CREATES["pay link"](desk.billing, key, about="Tea")  # edited after submitting
    assert f"already submitted ({first.ref}) with other values" in refused.value.errors["form"]
    assert desk.ledger_rows() == rows and desk.provider_objects() == sent


def test_bad_input_does_not_use_up_the_key(desk):
    key = new_idempotency_key()
    with pytest.raises(InvalidInput):
        desk.billing.pay_links.create(
            OPERATOR,
            PayLinkDraft(amount="-1", currency="BYN", description="x"),
            idempotency_key=key,
        )
    made = CREATES["pay link"](desk.billing, key)  # corrected and sent again: one bill
    assert not made.repeated and desk.ledger_rows()["bills"] == 1


@pytest.mark.parametrize("key", ["short", "has spaces in it....", "ü" * 20])
def test_a_malformed_key_is_refused(desk, key):
    with pytest.raises(InvalidInput, match="submit key is malformed"):
        CREATES["pay link"](desk.billing, key)
    assert desk.ledger_rows()["bills"] == 0


def test_a_plan_form_makes_one_plan(desk):
    key = new_idempotency_key()
    before = desk.provider_objects()["plans"]
    first = desk.billing.plans.create(OPERATOR, PLAN, idempotency_key=key)
    again = desk.billing.plans.create(OPERATOR, PLAN, idempotency_key=key)
    assert again.repeated and again.plan.id == first.plan.id
    assert desk.provider_objects()["plans"] == before + 1


def test_a_refused_plan_frees_its_key_for_the_corrected_form(desk):
    key = new_idempotency_key()
    desk.fault(method="POST", path="/plans", kind="error", status=503)
    with pytest.raises(ProviderFailed, match="nothing was changed"):
        desk.billing.plans.create(OPERATOR, PLAN, idempotency_key=key)
    made = desk.billing.plans.create(OPERATOR, PLAN, idempotency_key=key)
    assert not made.repeated


def test_cancel_twice_with_one_form_cancels_once(desk):
    sub = CREATES["subscription"](desk.billing, new_idempotency_key()).subscription
    desk.pay_subscription(sub.provider_id)
    desk.billing.objects.refresh(OPERATOR, sub.ref)
    key = new_idempotency_key()
    first = desk.billing.subscriptions.cancel(
        OPERATOR, sub.ref, reason="moved", idempotency_key=key
    )
    again = desk.billing.subscriptions.cancel(
        OPERATOR, sub.ref, reason="moved", idempotency_key=key
    )
    assert first.subscription.status.value == "canceled" and not first.repeated
    assert again.repeated and "nothing was sent again" in again.message
    cancels = [a for a in desk.audit_actions() if a[1] == "cancel_subscription"]
    assert cancels == [("olga", "cancel_subscription", "ok")]
