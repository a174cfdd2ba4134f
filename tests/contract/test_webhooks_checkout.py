"""Pay links: the sandbox's real, signed checkout notifications reach the ledger."""

# ruff: noqa: F811 - the shared fixtures are imported by name, and tests take them as arguments

from __future__ import annotations

import pytest

from console.status import BillStatus
from tests.contract.bepaid_support import APPROVED, DECLINED, checkout_request, create_checkout
from tests.contract.webhooks_support import (  # noqa: F401 - fixtures, found by name
    module_ledger,
    receiver_url,
    shop,
    unique,
    wait_for,
)


def test_a_paid_pay_link_is_paid_with_its_payment_and_an_applied_verdict(shop):
    bill_id, token = shop.pay_link(amount=1234, currency="EUR")

    transaction = shop.pay(token, APPROVED)["transaction"]

    (notification,) = shop.wait_for_verdicts("bill", bill_id, 1)
    bill = shop.ledger.get_bill(bill_id)
    assert notification.verdict == "applied"
    assert bill.status is BillStatus.PAID
    assert bill.native_status == "successful"
    assert bill.provider_id == transaction["uid"]  # support can search by the uid now
    (payment,) = shop.ledger.payments_of("bill", bill_id)
    assert (payment.provider_txn_id, payment.amount, payment.currency) == (
        transaction["uid"],
        1234,
        "EUR",
    )
    history = shop.ledger.history("bill", bill_id)
    assert [(e.to_status, e.source) for e in history][-1] == ("paid", "webhook")
    # The sandbox saw a 200 only after the commit above: it will not retry.
    wait_for(lambda: shop.delivered(shop.hook())[-1]["state"] == "delivered", "delivery")


def test_a_declined_card_fails_the_bill_and_records_no_payment(shop):
    bill_id, token = shop.pay_link()

    shop.pay(token, DECLINED)

    (notification,) = shop.wait_for_verdicts("bill", bill_id, 1)
    assert notification.verdict == "applied"
    assert notification.status_reported == "failed"
    assert shop.ledger.get_bill(bill_id).status is BillStatus.FAILED
    assert shop.ledger.payments_of("bill", bill_id) == []


def test_a_declined_attempt_then_a_paid_one_ends_paid(shop):
    """With two attempts the first decline is notified too; money wins over the failure."""
    bill_id, token = shop.pay_link(attempts=2)

    shop.pay(token, DECLINED)
    shop.pay(token, APPROVED)

    shop.wait_for_verdicts("bill", bill_id, 2)
    assert shop.ledger.get_bill(bill_id).status is BillStatus.PAID
    assert len(shop.ledger.payments_of("bill", bill_id)) == 1


@pytest.mark.parametrize(
    ("charged", "billed"),
    [((5000, "EUR"), (1234, "EUR")), ((1234, "USD"), (1234, "EUR"))],
    ids=["other amount", "other currency"],
)
def test_a_payment_of_other_money_marks_the_bill_mismatch_never_paid(shop, charged, billed):
    bill_id, token = shop.pay_link(
        amount=charged[0], currency=charged[1], billed_amount=billed[0], billed_currency=billed[1]
    )

    shop.pay(token, APPROVED)

    (notification,) = shop.wait_for_verdicts("bill", bill_id, 1)
    assert notification.verdict == "mismatch"
    assert f"billed {billed[0]} {billed[1]}" in notification.detail
    bill = shop.ledger.get_bill(bill_id)
    assert bill.status is BillStatus.MISMATCH
    assert "paid" not in [event.to_status for event in shop.ledger.history("bill", bill_id)]
    payments = [(p.amount, p.currency) for p in shop.ledger.payments_of("bill", bill_id)]
    # Money that arrived in the bill's currency is revenue; another currency is for support.
    assert payments == ([charged] if charged[1] == billed[1] else [])


@pytest.mark.parametrize(("sent_test", "bill_test"), [(True, False), (False, True)])
def test_a_test_notification_never_touches_a_live_bill_nor_the_reverse(shop, sent_test, bill_test):
    bill_id, token = shop.pay_link(test=sent_test, billed_test=bill_test)

    shop.pay(token, APPROVED)

    (notification,) = shop.wait_for_verdicts("bill", bill_id, 1)
    assert notification.verdict == "mismatch"
    assert "not applied" in notification.detail
    assert shop.ledger.get_bill(bill_id).status is BillStatus.CREATING
    assert shop.ledger.payments_of("bill", bill_id) == []


def test_a_notification_for_a_bill_the_ledger_does_not_hold_is_answered_200(shop):
    """Another integration's pay link on the same shop posts to the same receiver."""
    tracking_id = unique("not-ours")
    body = checkout_request(tracking_id=tracking_id)
    body["checkout"]["settings"]["notification_url"] = shop.hook()
    token = create_checkout(shop.client, body)

    shop.pay(token, APPROVED)

    notification = wait_for(
        lambda: next((n for n in shop.ledger.recent_notifications() if tracking_id in
                      (n.detail or "")), None),
        "the foreign notification recorded",
    )  # fmt: skip
    assert notification.verdict == "unknown_object"
    assert notification.ref is None
    assert shop.ledger.find_bill("bepaid", tracking_id=tracking_id) is None
    # Answered 200, so bePaid stops retrying something that can never match.
    wait_for(
        lambda: any(
            d["state"] == "delivered" and d["payload"]["transaction"]["tracking_id"] == tracking_id
            for d in shop.delivered(shop.hook())
        ),
        "the foreign notification delivered",
    )
