"""APM payments (beGateway beyag): created with their HTML form, paid, refreshed."""

from __future__ import annotations

import pytest

from console.billing import ApmPaymentDraft, ProviderRejectedInput
from console.status import BillStatus
from tests.contract.billing_support import OPERATOR, open_desk


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


def test_apm_payment_returns_its_form_and_refresh_records_the_payment(desk):
    created = desk.billing.apm_payments.create(
        OPERATOR,
        ApmPaymentDraft(
            amount="25",
            currency="BYN",
            description="Invoice 8",
            method_type="erip",
            return_url="https://shop.example/back",
            customer_email="payer@example.com",
        ),
    )
    assert not created.confirming and created.bill.status == BillStatus.PENDING
    form = created.form
    assert form is not None and form.method == "POST"
    assert form.action.endswith(f"/external/apm/{created.bill.provider_id}")
    assert [f.name for f in form.fields] == ["sid"]
    assert created.bill.extra["method_type"] == "erip"
    sent = desk.state()["beyag"]["transactions"][0]
    assert sent["tracking_id"] == created.bill.tracking_id

    desk.pay_apm(created.bill.provider_id)
    refreshed = desk.billing.objects.refresh(OPERATOR, created.ref)

    assert refreshed.record.status == BillStatus.PAID
    assert refreshed.record.native_status == "successful"
    [payment] = desk.ledger.payments_of("bill", created.bill.id)
    assert (payment.provider, payment.amount, payment.channel) == ("begateway", 2500, "apm")


def test_payment_declined_by_the_payment_system_ends_failed(desk):
    created = desk.billing.apm_payments.create(
        OPERATOR, ApmPaymentDraft(amount=700, currency="BYN", description="x", method_type="erip")
    )
    desk.pay_apm(created.bill.provider_id, outcome="failed")
    assert desk.billing.objects.refresh(OPERATOR, created.ref).record.status == BillStatus.FAILED


def _payer_submits(desk, created, outcome="successful"):
    """The payer posts the form to the payment system, then presses a button there."""
    form = created.form
    fields = {f.name: f.value for f in form.fields}
    assert desk.admin.post(form.action, data=fields).status_code == 200
    done = desk.admin.post(f"{form.action}/complete", data={**fields, "outcome": outcome})
    assert done.status_code == 303
    return done.headers["location"]


@pytest.mark.parametrize(
    ("configured", "expected"),
    [("https://shop.example/thanks", "https://shop.example/thanks"), (None, "{sandbox}/")],
    ids=["configured", "sandbox-default"],
)
def test_empty_return_url_falls_back_to_the_configured_one(
    sandbox_url, tmp_path, configured, expected
):
    with open_desk(sandbox_url, tmp_path, return_url=configured) as desk:
        created = desk.billing.apm_payments.create(
            OPERATOR,
            ApmPaymentDraft(amount="1", currency="BYN", description="x", method_type="erip"),
        )
        assert _payer_submits(desk, created) == expected.format(sandbox=sandbox_url)
        assert desk.billing.objects.refresh(OPERATOR, created.ref).record.status == BillStatus.PAID


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"method_type": "bitcoin"}, "method_type", "Unknown 'bitcoin' payment method"),
        ({"language": "xx"}, "language", "Is not included in the list"),
    ],
    ids=["unknown-method", "unknown-language"],
)
def test_gateway_refusal_is_mapped_to_the_form_field(desk, changes, field, words):
    values = {"amount": "5", "currency": "BYN", "description": "x", "method_type": "erip"}
    with pytest.raises(ProviderRejectedInput) as caught:
        desk.billing.apm_payments.create(OPERATOR, ApmPaymentDraft(**{**values, **changes}))
    assert words in caught.value.errors[field]
    assert desk.ledger.recent_bills(1)[0].status == BillStatus.FAILED


def test_payer_details_are_checked_then_sent_and_kept(desk):
    created = desk.billing.apm_payments.create(
        OPERATOR,
        ApmPaymentDraft(
            amount="4.20",
            currency="EUR",
            description="Invoice 11",
            method_type="erip",
            customer_email="Jan@Example.com",
            customer={
                "first_name": " Jan ",
                "last_name": "Berzins",
                "phone": "+371 2000 0000",
                "country": "lv",
                "zip": "LV-1050",
                "address": "Brivibas 1",
                "city": None,
            },
        ),
    )
    payer = {
        "first_name": "Jan",
        "last_name": "Berzins",
        "phone": "+371 2000 0000",
        "country": "LV",
        "zip": "LV-1050",
        "address": "Brivibas 1",
    }
    sent = desk.state()["beyag"]["transactions"][0]
    assert sent["customer"] == {**payer, "email": "jan@example.com"}  # blanks left out
    assert created.bill.extra["customer"] == payer
    assert created.bill.customer_email == "jan@example.com"
