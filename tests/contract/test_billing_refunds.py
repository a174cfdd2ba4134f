"""Refunds through billing, over loopback against the sandbox: part, the rest, never more than
was paid, never twice — whatever the provider does to the answer."""

from __future__ import annotations

import pytest

from console.auth import Action, Actor, PermissionDenied, Role, can
from console.billing import (
    ApmPaymentDraft,
    InvalidInput,
    NotRefundable,
    PayLinkDraft,
    PaytureBillDraft,
    ProviderFailed,
    ProviderRejectedInput,
    RefundDraft,
    SubscriptionDraft,
    new_idempotency_key,
)
from console.status import BillStatus, SubscriptionStatus
from tests.contract.billing_support import (
    BYN_PRODUCT,
    OPERATOR,
    SUPPORT,
    VIEWER,
    open_desk,
)

HOLD = 3  # seconds the sandbox holds a committed refund's answer (read timeout is 1 s)


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path, read_timeout=1.0) as desk:
        yield desk


def paid_link(desk, amount="10.00", currency="BYN"):
    """A card pay link the payer has paid; its one charge."""
    made = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount=amount, currency=currency, description="Order")
    )
    desk.pay_checkout(made.bill.token)
    desk.billing.objects.refresh(OPERATOR, made.ref)
    (charge,) = desk.ledger.payments_of("bill", made.bill.id)
    return made.bill, charge


def refunds_at_sandbox(desk, charge):
    answer = desk.admin.get(f"/__sandbox/transactions/{charge.provider_txn_id}/refunds")
    return answer.json()["refunds"]


def refund(desk, charge, amount, reason="Customer returned it", actor=OPERATOR, **options):
    return desk.billing.refunds.create(actor, charge.id, RefundDraft(amount, reason), **options)


def test_part_then_the_rest_moves_the_bill_and_nets_the_payments(desk):
    bill, charge = paid_link(desk)
    first = refund(desk, charge, "3.00")
    assert (first.refund.status, first.confirming) == ("succeeded", False)
    assert "Refunded 3.00 BYN" in first.message and "7.00 BYN remains" in first.message
    assert desk.ledger.get_bill(bill.id).status == BillStatus.PARTIALLY_REFUNDED
    rest = refund(desk, charge, None, reason="The rest, as agreed")  # default: what remains
    assert rest.refund.amount == 700
    assert desk.ledger.get_bill(bill.id).status == BillStatus.REFUNDED
    payments = desk.ledger.payments_of("bill", bill.id)
    assert [p.amount for p in payments] == [1000, -300, -700]
    assert {p.parent_id for p in payments[1:]} == {charge.id}
    assert [p.provider_txn_id for p in payments[1:]] == [
        first.refund.provider_uid,
        rest.refund.provider_uid,
    ]
    assert [r["amount"] for r in refunds_at_sandbox(desk, charge)] == [300, 700]
    audited = [a for a in desk.audit_actions() if a[1] == "refund"]
    assert audited == [("olga", "refund", "started"), ("olga", "refund", "ok")] * 2
    with pytest.raises(InvalidInput, match="Nothing of this payment remains"):
        refund(desk, charge, "1")


@pytest.mark.parametrize(
    ("amount", "reason", "field"),
    [
        ("10.01", "x", "amount"),
        ("0", "x", "amount"),
        ("-1", "x", "amount"),
        ("1.001", "x", "amount"),
        ("abc", "x", "amount"),
        ("1", "", "reason"),
        ("1", None, "reason"),
        ("1", "x" * 256, "reason"),
        ("1", "card 4200 0000 0000 0000", "reason"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written_or_sent(desk, amount, reason, field):
    _, charge = paid_link(desk)
    rows = desk.ledger_rows()
    with pytest.raises(InvalidInput) as refused:
        refund(desk, charge, amount, reason)
    assert field in refused.value.errors
    assert desk.ledger_rows() == rows
    assert desk.ledger.refunds.of_payment(charge.id) == []
    assert refunds_at_sandbox(desk, charge) == []
    if amount == "10.01":
        assert "At most 10.00 BYN of this payment remains" in refused.value.errors["amount"]


@pytest.mark.parametrize("actor", [SUPPORT, VIEWER], ids=["support", "viewer"])
def test_roles_without_refund_are_refused_and_audited(desk, actor):
    _, charge = paid_link(desk)
    with pytest.raises(PermissionDenied):
        refund(desk, charge, "1", actor=actor)
    entry = desk.ledger.recent_audit(1)[0]
    assert (entry.actor, entry.action, entry.outcome) == (actor.name, "refund", "refused")
    assert refunds_at_sandbox(desk, charge) == []


def test_a_payture_bill_says_where_to_refund_it(desk):
    made = desk.billing.payture_bills.create(OPERATOR, PaytureBillDraft(product_id=BYN_PRODUCT))
    desk.pay_bill(made.bill.provider_id)
    desk.billing.objects.refresh(OPERATOR, made.ref)
    (charge,) = desk.ledger.payments_of("bill", made.bill.id)
    assert desk.billing.refunds.refundable(charge).why_not.startswith("Payture bills cannot")
    with pytest.raises(NotRefundable, match="Payture's merchant back office"):
        refund(desk, charge, "1")
    assert desk.ledger.recent_audit(1)[0].outcome == "refused"


def test_an_apm_payment_is_refunded_through_the_apm_api(desk):
    made = desk.billing.apm_payments.create(
        OPERATOR,
        ApmPaymentDraft(amount="5.00", currency="BYN", description="ERIP", method_type="erip"),
    )
    desk.pay_apm(made.bill.provider_id)
    desk.billing.objects.refresh(OPERATOR, made.ref)
    (charge,) = desk.ledger.payments_of("bill", made.bill.id)
    done = refund(desk, charge, "5.00")
    assert done.refund.status == "succeeded"
    assert desk.ledger.get_bill(made.bill.id).status == BillStatus.REFUNDED


def test_a_method_that_cannot_refund_is_refused_by_the_gateway_and_kept_failed(desk):
    made = desk.billing.apm_payments.create(
        OPERATOR,
        ApmPaymentDraft(amount="5.00", currency="BYN", description="Alipay", method_type="alipay"),
    )
    desk.pay_apm(made.bill.provider_id)
    desk.billing.objects.refresh(OPERATOR, made.ref)
    (charge,) = desk.ledger.payments_of("bill", made.bill.id)
    with pytest.raises(ProviderRejectedInput) as refused:
        refund(desk, charge, "1.00")
    (attempt,) = desk.ledger.refunds.of_payment(charge.id)
    assert attempt.status == "failed" and refused.value.ref == attempt.ref
    assert desk.ledger.get_bill(made.bill.id).status == BillStatus.PAID
    assert desk.billing.refunds.refundable(charge).remaining.minor == 500  # nothing held


def test_a_subscription_charge_is_refunded_and_the_subscription_keeps_its_status(desk):
    made = desk.billing.subscriptions.create(
        OPERATOR, SubscriptionDraft(plan=plan_id(desk), customer_email="a@b.example")
    )
    desk.pay_subscription(made.subscription.provider_id)
    desk.billing.objects.refresh(OPERATOR, made.ref)
    (charge,) = desk.ledger.payments_of("subscription", made.subscription.id)
    done = refund(desk, charge, "1.00")
    assert done.refund.status == "succeeded"
    sub = desk.ledger.get_subscription(made.subscription.id)
    assert sub.status == SubscriptionStatus.ACTIVE
    amounts = [p.amount for p in desk.ledger.payments_of("subscription", sub.id)]
    assert amounts == [charge.amount, -100]


def plan_id(desk):
    from console.billing import PlanDraft

    plan = desk.billing.plans.create(
        OPERATOR,
        PlanDraft(title="Club", amount="5", currency="BYN", interval=1, interval_unit="month"),
    )
    return plan.plan.id


def test_one_form_refunds_once(desk):
    _, charge = paid_link(desk)
    key = new_idempotency_key()
    first = refund(desk, charge, "2.00", idempotency_key=key)
    again = refund(desk, charge, "2.00", idempotency_key=key)
    assert again.repeated and again.ref == first.ref
    assert len(refunds_at_sandbox(desk, charge)) == 1


def test_a_second_click_on_refund_all_answers_with_the_first_refund(desk):
    """The same form, blank amount ("all that remains"): the repeat finds nothing left
    to refund, yet must report the refund it already made, not an error."""
    bill, charge = paid_link(desk)
    key = new_idempotency_key()
    first = refund(desk, charge, None, idempotency_key=key)
    again = refund(desk, charge, None, idempotency_key=key)
    assert again.repeated and again.ref == first.ref and again.refund.status == "succeeded"
    assert "nothing was sent again" in again.message
    assert len(refunds_at_sandbox(desk, charge)) == 1
    assert desk.ledger.get_bill(bill.id).status == BillStatus.REFUNDED
    with pytest.raises(InvalidInput, match="other values"):
        refund(desk, charge, "1.00", idempotency_key=key)


def test_the_confirmation_says_what_would_remain_and_writes_nothing(desk):
    _, charge = paid_link(desk)
    audited = len(desk.audit_actions())
    preview = desk.billing.refunds.preview(OPERATOR, charge.id, RefundDraft("2.50", "Broken"))
    assert (str(preview.amount), str(preview.remains)) == ("2.50 BYN", "7.50 BYN")
    assert len(desk.audit_actions()) == audited and refunds_at_sandbox(desk, charge) == []
    with pytest.raises(InvalidInput) as refused:
        desk.billing.refunds.preview(OPERATOR, charge.id, RefundDraft("11", ""))
    assert set(refused.value.errors) == {"amount", "reason"}
    assert desk.ledger.refunds.of_payment(charge.id) == []


# -- when the provider loses the answer --------------------------------------------


def test_committed_then_timed_out_is_confirmed_from_the_provider_not_sent_again(desk):
    bill, charge = paid_link(desk)
    desk.fault(
        method="POST", path="/transactions/refunds", kind="commit_then_timeout", seconds=HOLD
    )
    done = refund(desk, charge, "4.00")
    assert done.refund.status == "succeeded" and not done.confirming
    assert len(refunds_at_sandbox(desk, charge)) == 1
    assert desk.ledger.get_bill(bill.id).status == BillStatus.PARTIALLY_REFUNDED
    outcomes = [a[2] for a in desk.audit_actions() if a[1] == "refund"]
    assert outcomes == ["started", "failed", "ok"]  # the lost answer is audited honestly


def test_a_dropped_request_is_being_confirmed_then_closed_as_not_made(desk):
    bill, charge = paid_link(desk)
    desk.fault(method="POST", path="/transactions/refunds", kind="drop")
    waiting = refund(desk, charge, "4.00")
    assert waiting.confirming and "being confirmed" in waiting.message
    assert refunds_at_sandbox(desk, charge) == []
    # Its amount is held: another attempt cannot give back more than was paid.
    with pytest.raises(InvalidInput, match=r"At most 6\.00 BYN"):
        refund(desk, charge, "10.00")
    desk.clock.advance(minutes=11)
    closed = desk.billing.refunds.confirm(OPERATOR, waiting.refund.id)
    assert closed.refund.status == "failed" and "was not made" in closed.message
    assert refunds_at_sandbox(desk, charge) == []
    assert desk.billing.refunds.refundable(charge).remaining.minor == 1000
    assert desk.ledger.get_bill(bill.id).status == BillStatus.PAID


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "error", "status": 503},
        {"kind": "error", "status": 500},
        {"kind": "rate_limit", "retry_after": 1},
    ],
    ids=["503", "500", "429"],
)
def test_a_refusal_before_anything_happened_sends_nothing_more(desk, fault):
    _, charge = paid_link(desk)
    desk.fault(method="POST", path="/transactions/refunds", count=5, **fault)
    with pytest.raises(ProviderFailed, match="Nothing was refunded"):
        refund(desk, charge, "4.00")
    (attempt,) = desk.ledger.refunds.of_payment(charge.id)
    assert attempt.status == "failed"
    assert refunds_at_sandbox(desk, charge) == []
    desk.admin.delete("/__sandbox/faults")
    again = refund(desk, charge, "4.00")  # a new attempt may go: nothing was made
    assert again.refund.status == "succeeded"
    assert len(refunds_at_sandbox(desk, charge)) == 1


def test_a_sync_pass_confirms_a_refund_whose_answer_was_lost(desk):
    bill, charge = paid_link(desk)
    desk.fault(
        method="POST", path="/transactions/refunds", kind="commit_then_timeout", seconds=HOLD
    )
    desk.fault(
        method="GET", path="^/v2/transactions/tracking_id/", kind="error", status=503, count=3
    )
    waiting = refund(desk, charge, "2.50")
    assert waiting.confirming  # committed, but the lookup failed: not known yet
    desk.admin.delete("/__sandbox/faults")
    desk.billing.sync.refresh_open()
    assert desk.ledger.refunds.get(waiting.refund.id).status == "succeeded"
    assert len(refunds_at_sandbox(desk, charge)) == 1
    assert [p.amount for p in desk.ledger.payments_of("bill", bill.id)] == [1000, -250]


def test_a_refund_is_not_mistaken_for_a_charge_by_a_later_refresh(desk):
    bill, charge = paid_link(desk)
    refund(desk, charge, "1.00")
    desk.billing.objects.refresh(OPERATOR, bill.ref)
    assert [p.kind for p in desk.ledger.payments_of("bill", bill.id)] == ["charge", "refund"]


def test_demo_data_cannot_be_refunded(desk):
    from console.ledger import NewBill

    bill_id = desk.ledger.create_bill(
        NewBill(
            provider="bepaid",
            kind="card_link",
            tracking_id="demo-1",
            amount=100,
            currency="BYN",
            demo=True,
            status=BillStatus.PENDING,
        )
    )
    desk.ledger.record_payment(
        provider="bepaid",
        provider_txn_id="demo-tx",
        amount=100,
        currency="BYN",
        at=desk.clock(),
        bill_id=bill_id,
        demo=True,
    )
    (charge,) = desk.ledger.payments_of("bill", bill_id)
    with pytest.raises(NotRefundable, match="Demo data"):
        refund(desk, charge, "1")


def test_only_operators_and_admins_may_refund():
    allowed = {role for role in Role if can(Actor("someone", role), Action.REFUND)}
    assert allowed == {Role.ADMIN, Role.OPERATOR}
