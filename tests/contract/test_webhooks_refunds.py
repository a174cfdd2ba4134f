"""Refund notifications through the receiver, against the sandbox: a refund made in the
provider's back office is recorded from its notification alone; a refund made in the
console and its notification are one refund, whichever arrives first."""

from __future__ import annotations

import pytest

from console.billing import ApmPaymentDraft, PayLinkDraft, RefundDraft
from console.ledger import Ledger
from console.providers import NewRefund
from console.status import BillStatus
from console.webhooks import create_app
from tests.contract.billing_support import OPERATOR, open_desk
from tests.contract.webhooks_support import wait_for
from tests.support.servers import free_port, serve


@pytest.fixture
def desk(sandbox_url, tmp_path):
    """A billing desk whose providers notify a receiver writing the same ledger file."""
    port = free_port()
    with open_desk(sandbox_url, tmp_path, webhooks_url=f"http://127.0.0.1:{port}") as desk:
        receiver_ledger = Ledger(tmp_path / "ledger.db")
        try:
            with serve(create_app(desk.settings, receiver_ledger, key_wait=10), port):
                yield desk
        finally:
            receiver_ledger.close()


def paid_link(desk, amount="10.00"):
    made = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount=amount, currency="BYN", description="Order")
    )
    desk.pay_checkout(made.bill.token)
    charge = wait_for(
        lambda: desk.ledger.payments_of("bill", made.bill.id), "the payment's notification"
    )[0]
    return made.bill, charge


def refund_notices(desk, bill_id):
    return [
        n
        for n in desk.ledger.recent_notifications(100)
        if n.object_id == bill_id and n.object_type == "bill" and "refund" in (n.detail or "")
    ]


def test_a_refund_made_in_the_back_office_is_recorded_from_its_notification(desk):
    bill, charge = paid_link(desk)
    made = desk.bepaid.refund(
        NewRefund(parent_uid=charge.provider_txn_id, amount=300, reason="Made in the back office")
    )
    (seen,) = wait_for(lambda: desk.ledger.refunds.of_payment(charge.id), "the refund's notice")
    assert (seen.status, seen.provider_uid, seen.amount) == ("succeeded", made.uid, 300)
    assert (seen.actor, seen.source) == ("provider", "webhook")
    assert seen.reason == "Made in the back office"
    assert desk.ledger.get_bill(bill.id).status == BillStatus.PARTIALLY_REFUNDED
    assert [p.amount for p in desk.ledger.payments_of("bill", bill.id)] == [1000, -300]
    (notice,) = refund_notices(desk, bill.id)
    assert notice.verdict == "applied" and notice.status_reported == "successful"
    # What remains for the console counts it: at most 7.00 BYN may still be refunded.
    assert desk.billing.refunds.refundable(charge).remaining.minor == 700


def test_a_console_refund_and_its_notification_are_one_refund(desk):
    bill, charge = paid_link(desk)
    result = desk.billing.refunds.create(OPERATOR, charge.id, RefundDraft("10.00", "Returned"))
    assert result.refund.status == "succeeded"
    (notice,) = wait_for(lambda: refund_notices(desk, bill.id), "the refund's notification")
    assert notice.verdict in ("applied", "duplicate")  # whichever came first recorded it
    assert len(desk.ledger.refunds.of_payment(charge.id)) == 1
    assert [p.amount for p in desk.ledger.payments_of("bill", bill.id)] == [1000, -1000]
    assert desk.ledger.get_bill(bill.id).status == BillStatus.REFUNDED


def test_an_apm_refund_made_elsewhere_is_recorded_from_its_notification(desk):
    made = desk.billing.apm_payments.create(
        OPERATOR,
        ApmPaymentDraft(
            amount="25.00",
            currency="BYN",
            description="Pickup order",
            method_type="demo",
            customer_email="payer@example.com",
        ),
    )
    desk.pay_apm(made.bill.provider_id)
    charge = wait_for(
        lambda: desk.ledger.payments_of("bill", made.bill.id), "the payment's notification"
    )[0]
    answer = desk.beyag.refund(
        NewRefund(parent_uid=charge.provider_txn_id, amount=2500, reason="Goods not collected")
    )
    (seen,) = wait_for(lambda: desk.ledger.refunds.of_payment(charge.id), "the refund's notice")
    assert (seen.provider_uid, seen.amount, seen.status) == (answer.uid, 2500, "succeeded")
    assert desk.ledger.get_bill(made.bill.id).status == BillStatus.REFUNDED
