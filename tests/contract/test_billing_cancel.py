"""Cancelling a subscription: reason required, recorded once, bePaid's own view believed."""

from __future__ import annotations

import pytest

from console.auth import PermissionDenied
from console.billing import InvalidInput, NotCancelable, PlanDraft, SubscriptionDraft
from console.status import SubscriptionStatus
from tests.contract.billing_support import OPERATOR, SUPPORT, open_desk

MONTHLY = PlanDraft(title="Monthly", amount="5", currency="EUR", interval=1, interval_unit="month")


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


@pytest.fixture
def active(desk):
    created = desk.billing.subscriptions.create(OPERATOR, SubscriptionDraft(plan=MONTHLY))
    desk.pay_subscription(created.subscription.provider_id)
    desk.billing.objects.refresh(OPERATOR, created.ref)
    return created.subscription


def test_cancel_with_a_reason_is_recorded_at_bepaid_and_in_the_ledger(desk, active):
    result = desk.billing.subscriptions.cancel(OPERATOR, active.ref, reason="Customer moved away")
    sub = result.subscription
    assert not result.already
    assert sub.status == SubscriptionStatus.CANCELED
    assert sub.cancel_reason == "Customer moved away" and sub.canceled_at is not None
    assert sub.renew_at is None
    at_bepaid = desk.bepaid.get_subscription(active.provider_id)
    assert (at_bepaid.native_status, at_bepaid.cancel_reason) == ("canceled", "Customer moved away")
    assert desk.ledger.history("subscription", sub.id)[-1].detail == "Customer moved away"
    assert ("olga", "cancel_subscription", "ok") in desk.audit_actions()


@pytest.mark.parametrize("reason", ["", "   ", "line\nbreak", "x" * 256], ids=repr)
def test_reason_is_required_and_checked_before_anything_is_sent(desk, active, reason):
    before = desk.ledger_rows()
    with pytest.raises(InvalidInput) as caught:
        desk.billing.subscriptions.cancel(OPERATOR, active, reason=reason)
    assert set(caught.value.errors) == {"reason"}
    assert desk.ledger_rows() == before
    assert desk.bepaid.get_subscription(active.provider_id).native_status == "active"


def test_subscription_already_canceled_at_bepaid_is_recorded_as_such(desk, active):
    desk.bepaid.cancel_subscription(active.provider_id, reason="From back office")
    result = desk.billing.subscriptions.cancel(OPERATOR, active.ref, reason="Asked by phone")
    assert result.already
    assert result.subscription.status == SubscriptionStatus.CANCELED
    assert result.subscription.cancel_reason == "From back office"  # bePaid's record wins


def test_ended_subscription_cannot_be_canceled_again(desk, active):
    desk.billing.subscriptions.cancel(OPERATOR, active.ref, reason="First")
    with pytest.raises(NotCancelable):
        desk.billing.subscriptions.cancel(OPERATOR, active.ref, reason="Second")


def test_support_may_not_cancel_and_the_refusal_is_audited(desk, active):
    before = desk.ledger_rows()
    with pytest.raises(PermissionDenied):
        desk.billing.subscriptions.cancel(SUPPORT, active.ref, reason="Please")
    assert desk.ledger_rows() == {**before, "audit_log": before["audit_log"] + 1}
    entry = desk.ledger.recent_audit(1)[0]
    assert (entry.actor, entry.action, entry.outcome) == ("sam", "cancel_subscription", "refused")
    assert (entry.object_type, entry.object_id) == ("subscription", str(active.id))
    assert desk.ledger.get_subscription(active.id).status == SubscriptionStatus.ACTIVE
