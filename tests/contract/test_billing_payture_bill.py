"""Payture bills through behind-api: guest and authorised bills for catalogue products."""

from __future__ import annotations

import pytest

from console.billing import PaytureBillDraft, ProviderFailed
from console.providers import BillExtras
from console.status import BillStatus
from tests.contract.billing_support import (
    BYN_PRODUCT,
    GIFT_PRODUCT,
    MONTH_PRODUCT,
    OPERATOR,
    open_desk,
)


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


def test_gift_bill_is_paid_then_done_with_its_gift_code(desk):
    created = desk.billing.payture_bills.create(
        OPERATOR,
        PaytureBillDraft(
            product_id=GIFT_PRODUCT,
            user_id="customer-42",
            redirect_url="https://shop.example/gift",
            extended=BillExtras(
                gift_recipient="Anna", gift_message="Happy birthday", utm_source="mail"
            ),
        ),
    )
    bill = created.bill
    assert not created.confirming and bill.status == BillStatus.PENDING
    assert (bill.amount, bill.currency) == (249900, "RUB")  # from the catalogue
    assert bill.description == "Gift: Premium, 3 months"
    assert "/apim/Pay?SessionId=" in created.pay_url and bill.token in created.pay_url
    assert bill.extra["method"] == "billCreateUnauthorised"
    sent = next(b for b in desk.state()["payture"]["bills"] if b["bill_id"] == bill.provider_id)
    assert sent["extended"] == {
        "giftRecipient": "Anna",
        "giftMessage": "Happy birthday",
        "utm_source": "mail",
    }

    desk.pay_bill(bill.provider_id)
    paid = desk.billing.objects.refresh(OPERATOR, created.ref).record
    assert (paid.status, paid.native_status) == (BillStatus.PAID, "PAID")
    assert paid.extra["gift_code"].startswith("GIFT-")

    desk.advance_sandbox(seconds=61)
    done = desk.billing.objects.refresh(OPERATOR, created.ref)
    assert (done.record.status, done.record.native_status) == (BillStatus.PAID, "DONE")
    assert done.change.status_changed
    [payment] = desk.ledger.payments_of("bill", bill.id)
    assert (payment.provider_txn_id, payment.amount, payment.currency) == (
        bill.provider_id,
        249900,
        "RUB",
    )
    natives = [e.native_status for e in desk.ledger.history("bill", bill.id)]
    assert natives[-2:] == ["PAID", "DONE"]


def test_bill_without_guest_details_uses_bill_create(desk):
    created = desk.billing.payture_bills.create(
        OPERATOR, PaytureBillDraft(product_id=BYN_PRODUCT, description="Premium for Ivan")
    )
    assert created.bill.extra["method"] == "billCreate"
    assert (created.bill.amount, created.bill.currency) == (2990, "BYN")
    assert created.bill.description == "Premium for Ivan"
    sent = next(
        b for b in desk.state()["payture"]["bills"] if b["bill_id"] == created.bill.provider_id
    )
    assert sent["user_id"] is None


def test_paying_another_amount_is_a_mismatch_with_the_paid_amount_recorded(desk):
    created = desk.billing.payture_bills.create(
        OPERATOR, PaytureBillDraft(product_id=MONTH_PRODUCT)
    )
    desk.pay_bill(created.bill.provider_id, amount=50000)
    refreshed = desk.billing.objects.refresh(OPERATOR, created.ref)
    assert refreshed.record.status == BillStatus.MISMATCH
    [payment] = desk.ledger.payments_of("bill", created.bill.id)
    assert payment.amount == 50000


def test_behind_api_failure_is_a_clear_message(desk):
    desk.fault(method="POST", path="/api/payments/20/payture/billCreate", kind="error", status=503)
    with pytest.raises(ProviderFailed) as caught:
        desk.billing.payture_bills.create(OPERATOR, PaytureBillDraft(product_id=MONTH_PRODUCT))
    assert "Payture" in caught.value.message
    assert desk.ledger.recent_bills(1)[0].status == BillStatus.FAILED


def test_catalogue_is_offered_to_the_page(desk):
    products = desk.billing.payture_bills.products(OPERATOR)
    assert {p.id for p in products} >= {GIFT_PRODUCT, MONTH_PRODUCT, BYN_PRODUCT}
