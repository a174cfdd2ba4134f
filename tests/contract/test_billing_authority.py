"""Authority is checked when the action runs: a role changed between a page being drawn and a
button being clicked is refused, audited, and sends nothing (issue: op2 demoted mid-form)."""

from __future__ import annotations

import pytest

from console.auth import LOGIN_THROTTLE, Role
from console.billing import ApmPaymentDraft, Billing, PayLinkDraft, PlanDraft, SubscriptionDraft
from console.sessions import Authority, Directory, SessionEnded
from console.users import add_user
from tests.contract.billing_support import OPERATOR, open_desk

PASSWORD = "op2 has a long password"
PLAN = PlanDraft(title="Monthly", amount="5", currency="EUR", interval=1, interval_unit="month")

ACTIONS = {
    "create_pay_link": lambda b, actor, _: b.pay_links.create(
        actor,
        PayLinkDraft(amount="3.50", currency="BYN", description="Coffee"),
        idempotency_key="k" * 20,
    ),
    "create_apm_payment": lambda b, actor, _: b.apm_payments.create(
        actor, ApmPaymentDraft(amount="3", currency="BYN", description="Coffee", method_type="erip")
    ),
    "create_plan": lambda b, actor, _: b.plans.create(actor, PLAN),
    "create_subscription": lambda b, actor, _: b.subscriptions.create(
        actor, SubscriptionDraft(plan=PLAN)
    ),
    "cancel_subscription": lambda b, actor, sub: b.subscriptions.cancel(
        actor, sub, reason="customer asked"
    ),
}


@pytest.fixture
def desk(module_sandbox, tmp_path):
    LOGIN_THROTTLE.reset()
    with open_desk(module_sandbox[0], tmp_path) as desk:
        yield desk


def signed_in_billing(desk, secrets):
    """A Billing whose Authority reads ``secrets`` (what the console process holds), and
    op2's actor as the page drew it: signed in as an operator."""
    authority = Authority(desk.ledger, Directory(secrets), clock=desk.clock)
    billing = Billing(
        desk.settings, desk.ledger, bepaid=desk.bepaid,
        beyag=desk.beyag, payture=desk.payture,
        clock=desk.clock, authority=authority,
    )  # fmt: skip
    signed_in = authority.sign_in_password("op2", PASSWORD, origin="page:test")
    assert signed_in is not None and signed_in.actor.role == Role.OPERATOR
    return billing, signed_in.actor


@pytest.mark.parametrize("action", ACTIONS)
def test_demoted_between_render_and_click_is_refused_and_sends_nothing(desk, tmp_path, action):
    secrets = tmp_path / "secrets.toml"
    add_user("op2", Role.OPERATOR, PASSWORD, secrets)
    sub = desk.billing.subscriptions.create(
        OPERATOR, SubscriptionDraft(plan=PLAN)
    ).subscription  # to cancel
    billing, op2 = signed_in_billing(desk, secrets)
    # An admin runs `merchant-console user add op2 --role viewer --replace` meanwhile.
    add_user("op2", Role.VIEWER, PASSWORD, secrets, replace=True)
    rows, sent = desk.ledger_rows(), desk.provider_objects()
    with pytest.raises(SessionEnded) as refused:
        ACTIONS[action](billing, op2, sub)
    assert "changed your role" in refused.value.message
    assert desk.provider_objects() == sent  # nothing reached the provider
    after = desk.ledger_rows()
    assert after == {**rows, "audit_log": after["audit_log"]}  # no bill, no event
    audited = [(e.actor, e.action, e.outcome) for e in desk.ledger.recent_audit(3)]
    assert ("op2", action, "refused") in audited
    assert ("op2", "session_ended", "ok") in audited
    with pytest.raises(SessionEnded):  # the session is over for every later click too
        billing.pay_links.create(op2, PayLinkDraft(amount="1", currency="BYN", description="again"))


def test_an_unchanged_operator_still_acts(desk, tmp_path):
    secrets = tmp_path / "secrets.toml"
    add_user("op2", Role.OPERATOR, PASSWORD, secrets)
    billing, op2 = signed_in_billing(desk, secrets)
    made = billing.pay_links.create(
        op2, PayLinkDraft(amount="3.50", currency="BYN", description="Coffee")
    )
    assert made.bill.status.value == "pending"
    assert ("op2", "create_pay_link", "ok") in desk.audit_actions()
