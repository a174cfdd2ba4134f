"""Bills: creating one, refusing bad input, attaching what the provider answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.errors import UnknownCurrency, ValidationError
from console.ledger import DuplicateTrackingId, Ledger, NewBill, UnknownRecord
from console.status import BillStatus

WHEN = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def new_bill(ledger, **changes):
    fields = dict(
        provider="bepaid",
        kind="card_link",
        tracking_id="order-1",
        amount=1250,
        currency="eur",
        customer_email="  Ann@Example.COM ",
        description="Tea",
        at=WHEN,
    )
    return ledger.create_bill(NewBill(**{**fields, **changes}))


def test_a_new_bill_is_stored_with_normalised_fields_and_a_first_event(ledger):
    bill = ledger.get_bill(new_bill(ledger, expires_at=WHEN + timedelta(hours=24)))
    assert bill.ref == f"B{bill.id}"
    assert (bill.amount, bill.currency) == (1250, "EUR")
    assert bill.customer_email == "ann@example.com"
    assert bill.status is BillStatus.CREATING
    assert bill.created_at == WHEN
    assert bill.expires_at == WHEN + timedelta(hours=24)
    assert bill.provider_id is None and bill.paid_at is None
    [event] = ledger.history("bill", bill.id)
    assert (event.from_status, event.to_status, event.source) == (None, "creating", "console")


def test_the_same_tracking_id_twice_at_one_provider_is_refused_with_the_existing_ref(ledger):
    first = new_bill(ledger)
    with pytest.raises(DuplicateTrackingId) as caught:
        new_bill(ledger, amount=999)
    assert caught.value.existing_ref == f"B{first}"
    assert "order-1" in caught.value.message and f"B{first}" in caught.value.message
    assert len(ledger.recent_events()) == 1  # the refused bill left no event behind


def test_the_same_tracking_id_at_another_provider_is_a_different_bill(ledger):
    new_bill(ledger)
    assert new_bill(ledger, provider="begateway", kind="apm") == 2


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"amount": 0}, ValidationError, "amount"),
        ({"amount": -5}, ValidationError, "amount"),
        ({"amount": 12.5}, ValidationError, "amount"),
        ({"amount": True}, ValidationError, "amount"),
        ({"currency": "XXX"}, UnknownCurrency, "currency"),
        ({"provider": "stripe"}, ValidationError, "provider"),
        ({"kind": "payture_bill"}, ValidationError, "kind"),
        ({"provider": "payture"}, ValidationError, "kind"),
        ({"tracking_id": "  "}, ValidationError, "tracking_id"),
        ({"tracking_id": "x" * 256}, ValidationError, "tracking_id"),
        ({"customer_email": "not-an-address"}, ValidationError, "customer_email"),
        ({"status": BillStatus.PAID}, ValidationError, "status"),
        ({"at": datetime(2026, 5, 4, 10, 0)}, ValidationError, "at"),
        ({"source": "cron"}, ValidationError, "source"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(ledger, changes, error, field):
    with pytest.raises(error) as caught:
        new_bill(ledger, **changes)
    assert caught.value.field == field
    assert ledger.recent_bills() == []


def test_provider_answer_is_attached_and_extra_data_merged(ledger):
    bill_id = new_bill(ledger, kind="apm", provider="begateway", extra={"method": "erip"})
    ledger.attach_provider_ids(
        bill_id,
        provider_id="uid-1",
        token="tok-1",
        pay_url="https://checkout.begateway.com/v2/checkout?token=tok-1",
        expires_at=WHEN + timedelta(hours=1),
        form={"action": "https://pay.example/erip", "method": "POST", "fields": []},
        extra={"account": "12345"},
    )
    ledger.attach_provider_ids(bill_id, extra={"method": "erip2"})
    bill = ledger.get_bill(bill_id)
    assert (bill.provider_id, bill.token) == ("uid-1", "tok-1")
    assert bill.form["method"] == "POST"
    assert bill.extra == {"method": "erip2", "account": "12345"}
    assert bill.expires_at == WHEN + timedelta(hours=1)
    assert bill.status is BillStatus.CREATING  # attaching ids does not change the status


def test_attaching_to_a_missing_bill_says_so(ledger):
    with pytest.raises(UnknownRecord, match="bill 42"):
        ledger.attach_provider_ids(42, token="t")


def test_recent_bills_pages_newest_first(ledger):
    for number in range(5):
        new_bill(ledger, tracking_id=f"order-{number}")
    first_page = ledger.recent_bills(limit=3)
    assert [b.id for b in first_page] == [5, 4, 3]
    assert [b.id for b in ledger.recent_bills(limit=3, before_id=first_page[-1].id)] == [2, 1]
