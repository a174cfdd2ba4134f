"""A role that may not act is refused before anything happens, and the refusal is audited."""

from __future__ import annotations

import pytest

from console.auth import PermissionDenied
from console.billing import (
    ApmPaymentDraft,
    PayLinkDraft,
    PaytureBillDraft,
    PlanDraft,
    SubscriptionDraft,
)
from tests.contract.billing_support import BYN_PRODUCT, OPERATOR, SUPPORT, VIEWER, open_desk

PLAN = PlanDraft(title="Monthly", amount="5", currency="EUR", interval=1, interval_unit="month")

ATTEMPTS = {
    "create_pay_link": lambda b, _: b.pay_links.create(
        SUPPORT, PayLinkDraft(amount="1", currency="EUR", description="x")
    ),
    "create_apm_payment": lambda b, _: b.apm_payments.create(
        VIEWER, ApmPaymentDraft(amount="1", currency="BYN", description="x", method_type="erip")
    ),
    "create_payture_bill": lambda b, _: b.payture_bills.create(
        SUPPORT, PaytureBillDraft(product_id=BYN_PRODUCT)
    ),
    "create_plan": lambda b, _: b.plans.create(SUPPORT, PLAN),
    "create_subscription": lambda b, _: b.subscriptions.create(
        VIEWER, SubscriptionDraft(plan=PLAN)
    ),
    "cancel_subscription": lambda b, objects: b.subscriptions.cancel(
        VIEWER, objects["subscription"], reason="x"
    ),
    "refresh": lambda b, objects: b.objects.refresh(VIEWER, objects["bill"]),
    "import": lambda b, objects: b.imports.create(VIEWER, objects["bill"].token),
}


@pytest.fixture(scope="module")
def desk(module_sandbox, tmp_path_factory):
    with open_desk(module_sandbox[0], tmp_path_factory.mktemp("ledger")) as desk:
        yield desk


@pytest.fixture(scope="module")
def objects(desk):
    bill = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount="1", currency="EUR", description="x")
    )
    sub = desk.billing.subscriptions.create(OPERATOR, SubscriptionDraft(plan=PLAN))
    return {"bill": bill.bill, "subscription": sub.subscription}


@pytest.mark.parametrize("action", ATTEMPTS)
def test_refused_action_writes_one_refused_audit_row_and_sends_nothing(desk, objects, action):
    rows, sent = desk.ledger_rows(), desk.provider_objects()
    with pytest.raises(PermissionDenied) as caught:
        ATTEMPTS[action](desk.billing, objects)
    assert "may not" in caught.value.message
    assert desk.ledger_rows() == {**rows, "audit_log": rows["audit_log"] + 1}
    assert desk.provider_objects() == sent
    entry = desk.ledger.recent_audit(1)[0]
    assert (entry.action, entry.outcome, entry.origin) == (action, "refused", "page:test")
    assert entry.actor in ("sam", "vic")


def test_viewer_may_not_run_a_sync(desk, objects):
    rows = desk.ledger_rows()
    with pytest.raises(PermissionDenied):
        desk.billing.sync.refresh_open(actor=VIEWER)
    entry = desk.ledger.recent_audit(1)[0]
    assert (entry.actor, entry.action, entry.outcome) == ("vic", "sync", "refused")
    assert desk.ledger_rows() == {**rows, "audit_log": rows["audit_log"] + 1}
