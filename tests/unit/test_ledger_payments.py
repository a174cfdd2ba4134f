"""Payments: one row per provider transaction however often it is reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.errors import ValidationError
from console.ledger import ConflictingPayment, Ledger, NewBill, NewSubscription, UnknownRecord

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


@pytest.fixture
def bill_id(ledger):
    return ledger.create_bill(
        NewBill(provider="begateway", kind="apm", tracking_id="o-1", amount=700, currency="BYN")
    )


def pay(ledger, **changes):
    fields = dict(provider="begateway", provider_txn_id="uid-1", amount=700, currency="BYN", at=AT)
    return ledger.record_payment(**{**fields, **changes})


def test_the_same_charge_reported_by_poll_and_webhook_is_one_row(ledger, bill_id):
    assert pay(ledger, bill_id=bill_id) is True
    assert pay(ledger, bill_id=bill_id, at=AT + timedelta(seconds=3)) is False
    [payment] = ledger.payments_of("bill", bill_id)
    assert (payment.kind, payment.channel, payment.amount, payment.at) == ("charge", "apm", 700, AT)


def test_the_same_transaction_id_at_another_provider_is_another_payment(ledger, bill_id):
    other = ledger.create_bill(
        NewBill(provider="bepaid", kind="card_link", tracking_id="o-2", amount=700, currency="BYN")
    )
    assert pay(ledger, bill_id=bill_id)
    assert pay(ledger, bill_id=other, provider="bepaid")


def test_a_refund_is_a_negative_payment(ledger, bill_id):
    pay(ledger, bill_id=bill_id)
    assert pay(ledger, bill_id=bill_id, provider_txn_id="uid-2", amount=-200, at=AT + timedelta(1))
    payments = ledger.payments_of("bill", bill_id)
    assert [(p.kind, p.amount) for p in payments] == [("charge", 700), ("refund", -200)]


def test_a_repeat_that_disagrees_is_refused_not_dropped(ledger, bill_id):
    pay(ledger, bill_id=bill_id)
    with pytest.raises(ConflictingPayment, match="uid-1"):
        pay(ledger, bill_id=bill_id, amount=500)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"currency": "EUR"}, "currency"),  # the bill is in BYN
        ({"amount": 0}, "amount"),
        ({"amount": 7.0}, "amount"),
        ({"at": datetime(2026, 6, 1, 12, 0)}, "at"),
    ],
)
def test_bad_payments_are_refused(ledger, bill_id, changes, field):
    with pytest.raises(ValidationError) as caught:
        pay(ledger, bill_id=bill_id, **changes)
    assert caught.value.field == field
    assert ledger.payments_of("bill", bill_id) == []


def test_a_payment_needs_an_existing_object(ledger):
    with pytest.raises(ValidationError):
        pay(ledger)
    with pytest.raises(UnknownRecord, match="bill 99"):
        pay(ledger, bill_id=99)


def test_subscription_charges_belong_to_the_subscription(ledger):
    sub_id = ledger.create_subscription(
        NewSubscription(
            tracking_id="s-1", amount=700, currency="BYN", interval=1, interval_unit="month"
        )
    )
    assert ledger.record_payment(
        provider="bepaid",
        provider_txn_id="t-1",
        amount=700,
        currency="BYN",
        at=AT,
        subscription_id=sub_id,
    )
    [payment] = ledger.payments_of("subscription", sub_id)
    assert (payment.channel, payment.bill_id) == ("subscription", None)


def test_payment_and_status_commit_together_or_not_at_all(ledger, bill_id):
    with pytest.raises(ValidationError), ledger.write():
        pay(ledger, bill_id=bill_id)
        ledger.record_bill_status(bill_id, "paid", "successful", "poll")
        pay(ledger, bill_id=bill_id, provider_txn_id="uid-9", currency="EUR")
    assert ledger.payments_of("bill", bill_id) == []
    assert ledger.get_bill(bill_id).status == "creating"
