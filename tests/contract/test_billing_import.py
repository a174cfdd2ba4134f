"""Importing what exists at a provider but not in the ledger, from whatever support pastes."""

from __future__ import annotations

import pytest

from console.billing import InvalidInput, NotFoundAtProvider
from console.providers import NewApmPayment, NewCheckout, NewPlan
from console.status import BillStatus, SubscriptionStatus
from tests.contract.billing_support import GIFT_PRODUCT, SUPPORT, open_desk


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


def _elsewhere(desk):
    """Clients of another system (the bePaid back office, a colleague's script)."""
    return (
        desk.bepaid,
        desk.beyag,
        desk.payture,
    )


def _assert_imported(desk, imported, kind, status):
    assert imported.created
    record = imported.record
    assert record.status == status
    assert (record.kind if hasattr(record, "kind") else "subscription") == kind
    object_type = "bill" if imported.ref.startswith("B") else "subscription"
    events = desk.ledger.history(object_type, record.id)
    assert {e.source for e in events} == {"poll"}
    entry = desk.ledger.recent_audit(1)[0]
    assert (entry.actor, entry.action, entry.outcome) == ("sam", "import", "ok")


def test_paid_checkout_is_imported_by_its_pay_link(desk):
    bepaid, _, _ = _elsewhere(desk)
    link = bepaid.create_checkout(
        NewCheckout(
            amount=1500,
            currency="EUR",
            description="Phone order",
            tracking_id="order-981",
            test=True,
        )
    )
    desk.pay_checkout(link.token)
    imported = desk.billing.imports.create(SUPPORT, f"  {link.redirect_url}  ")
    _assert_imported(desk, imported, "card_link", BillStatus.PAID)
    bill = imported.record
    assert (bill.token, bill.tracking_id, bill.amount) == (link.token, "order-981", 1500)
    assert len(desk.ledger.payments_of("bill", bill.id)) == 1


def test_card_transaction_is_imported_by_its_uid(desk):
    bepaid, _, _ = _elsewhere(desk)
    link = bepaid.create_checkout(
        NewCheckout(amount=800, currency="BYN", description="x", tracking_id="t-1")
    )
    uid = desk.pay_checkout(link.token)["transaction"]["uid"]
    imported = desk.billing.imports.create(SUPPORT, uid)
    _assert_imported(desk, imported, "card_link", BillStatus.PAID)
    assert imported.record.provider_id == uid


def test_apm_payment_is_imported_by_its_uid(desk):
    _, beyag, _ = _elsewhere(desk)
    payment = beyag.create_payment(
        NewApmPayment(
            amount=990,
            currency="BYN",
            description="ERIP bill",
            method_type="erip",
            return_url="https://x.example/",
            tracking_id="erip-5",
        )
    )
    imported = desk.billing.imports.create(SUPPORT, payment.uid)
    _assert_imported(desk, imported, "apm", BillStatus.PENDING)
    assert imported.record.form["action"].endswith(payment.uid)


def test_subscription_is_imported_with_its_charges(desk):
    bepaid, _, _ = _elsewhere(desk)
    plan = NewPlan(title="Club", currency="EUR", amount=1200, interval=1, interval_unit="month")
    sub = bepaid.create_subscription(plan=plan, tracking_id="club-7")
    desk.pay_subscription(sub.id)
    imported = desk.billing.imports.create(SUPPORT, sub.id)
    _assert_imported(desk, imported, "subscription", SubscriptionStatus.ACTIVE)
    record = imported.record
    assert (record.plan_title, record.amount, record.interval_unit) == ("Club", 1200, "month")
    assert [p.amount for p in desk.ledger.payments_of("subscription", record.id)] == [1200]


def test_payture_bill_is_imported_with_the_catalogue_currency(desk):
    _, _, payture = _elsewhere(desk)
    made = payture.bill_create(GIFT_PRODUCT)
    imported = desk.billing.imports.create(SUPPORT, made.bill_id.upper())
    _assert_imported(desk, imported, "payture_bill", BillStatus.PENDING)
    assert (imported.record.amount, imported.record.currency) == (249900, "RUB")


def test_payture_bill_of_unknown_price_asks_for_the_currency(desk):
    _, _, payture = _elsewhere(desk)
    made = payture.bill_create(GIFT_PRODUCT)
    desk.pay_bill(made.bill_id, amount=1234)  # paid amount matches no product
    with pytest.raises(InvalidInput) as caught:
        desk.billing.imports.create(SUPPORT, made.bill_id)
    assert set(caught.value.errors) == {"currency"}
    imported = desk.billing.imports.create(SUPPORT, made.bill_id, currency="rub")
    assert imported.record.status == BillStatus.MISMATCH


def test_object_already_in_the_ledger_is_refreshed_not_duplicated(desk):
    bepaid, _, _ = _elsewhere(desk)
    link = bepaid.create_checkout(
        NewCheckout(amount=100, currency="EUR", description="x", tracking_id="o-1")
    )
    first = desk.billing.imports.create(SUPPORT, link.token)
    desk.pay_checkout(link.token)
    again = desk.billing.imports.create(SUPPORT, link.token)
    assert not again.created and again.ref == first.ref
    assert again.record.status == BillStatus.PAID
    assert len(desk.ledger.recent_bills(10)) == 1


def test_charge_of_a_known_subscription_refreshes_that_subscription(desk):
    bepaid, _, _ = _elsewhere(desk)
    plan = NewPlan(title="Club", currency="EUR", amount=1200, interval=1, interval_unit="month")
    sub = bepaid.create_subscription(plan=plan, tracking_id="club-8")
    first = desk.billing.imports.create(SUPPORT, sub.id)
    uid = desk.pay_subscription(sub.id)["transaction"]["uid"]
    again = desk.billing.imports.create(SUPPORT, uid)
    assert not again.created and again.ref == first.ref
    assert again.record.status == SubscriptionStatus.ACTIVE


def test_tracking_id_finds_the_payment(desk):
    _, beyag, _ = _elsewhere(desk)
    beyag.create_payment(
        NewApmPayment(
            amount=300,
            currency="BYN",
            description="x",
            method_type="erip",
            return_url="https://x.example/",
            tracking_id="ORDER-2024-77",
        )
    )
    imported = desk.billing.imports.create(SUPPORT, "ORDER-2024-77")
    assert imported.record.kind == "apm"


def test_unknown_id_is_reported_and_audited(desk):
    with pytest.raises(NotFoundAtProvider):
        desk.billing.imports.create(SUPPORT, "sbs_0000000000000000")
    entry = desk.ledger.recent_audit(1)[0]
    assert (entry.action, entry.outcome) == ("import", "failed")
    assert desk.ledger.recent_bills(1) == [] and desk.ledger.recent_subscriptions(1) == []


def test_payture_pay_link_gets_a_hint(desk):
    with pytest.raises(NotFoundAtProvider) as caught:
        desk.billing.imports.create(SUPPORT, f"{desk.url}/apim/Pay?SessionId=abc123xyz0")
    assert "paste the bill id" in caught.value.message


@pytest.mark.parametrize("reference", ["", "4200 0000 0000 0000"], ids=["empty", "card-number"])
def test_bad_reference_is_refused_before_asking_anyone(desk, reference):
    with pytest.raises(InvalidInput) as caught:
        desk.billing.imports.create(SUPPORT, reference)
    assert set(caught.value.errors) == {"reference"}
