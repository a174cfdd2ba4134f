"""Alternative payments: beGateway's signed beyag notifications reach the ledger."""

# ruff: noqa: F811 - the shared fixtures are imported by name, and tests take them as arguments

from __future__ import annotations

from console.status import BillStatus
from tests.contract.webhooks_support import (  # noqa: F401 - fixtures, found by name
    module_ledger,
    receiver_url,
    shop,
)


def test_a_successful_apm_payment_is_paid_with_its_payment(shop):
    bill_id, uid = shop.apm_payment(amount=990, currency="RUB")

    shop.finish_apm(uid, "successful")

    (notification,) = shop.wait_for_verdicts("bill", bill_id, 1)
    assert notification.verdict == "applied"
    assert notification.provider == "begateway"
    assert notification.provider_object_id == uid
    assert shop.ledger.get_bill(bill_id).status is BillStatus.PAID
    (payment,) = shop.ledger.payments_of("bill", bill_id)
    assert (payment.provider, payment.provider_txn_id, payment.amount, payment.currency) == (
        "begateway",
        uid,
        990,
        "RUB",
    )
    assert payment.channel == "apm"


def test_a_declined_apm_payment_fails_the_bill_without_a_payment(shop):
    bill_id, uid = shop.apm_payment()

    shop.finish_apm(uid, "failed")

    (notification,) = shop.wait_for_verdicts("bill", bill_id, 1)
    assert notification.verdict == "applied"
    assert shop.ledger.get_bill(bill_id).status is BillStatus.FAILED
    assert shop.ledger.payments_of("bill", bill_id) == []


def test_an_apm_payment_left_unpaid_expires_the_bill(shop):
    bill_id, _ = shop.apm_payment(expires_in=3600)

    shop.advance(3601)  # the sandbox's ticker expires it and notifies

    (notification,) = shop.wait_for_verdicts("bill", bill_id, 1)
    assert notification.status_reported == "expired"
    assert shop.ledger.get_bill(bill_id).status is BillStatus.EXPIRED
