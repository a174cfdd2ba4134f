"""BeyagClient against the sandbox: alternative payments with their HTML form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from console.providers import AuthenticationFailed, NewApmPayment, NotFound, ProviderValidationError
from console.status import BillStatus
from tests.contract.client_support import admin_post, clients


@pytest.fixture(scope="module")
def apm(module_sandbox):
    with clients(module_sandbox[0]) as made:
        yield made.beyag


def new_payment(apm, tracking_id: str, **extra):
    options = {
        "amount": 1000,
        "currency": "USD",
        "description": "Order #123",
        "method_type": "erip",
        "return_url": "https://merchant.example/return",
        "tracking_id": tracking_id,
        "ip": "127.0.0.1",
        "customer": {"first_name": "Ivan", "email": "ivan@example.com"},
        **extra,
    }
    return apm.create_payment(NewApmPayment(**options))


def test_create_returns_the_form_the_payer_submits(apm, module_sandbox):
    expires = datetime.now(UTC) + timedelta(hours=1)
    payment = new_payment(apm, "apm-form-1", expires_at=expires, test=True)
    assert (payment.status, payment.native_status) == (BillStatus.PENDING, "pending")
    assert (payment.amount, payment.currency, payment.method_type) == (1000, "USD", "erip")
    form = payment.form
    assert form is not None and form.action.startswith(module_sandbox[0])
    assert form.method in ("GET", "POST") and form.fields
    assert all(field.type == "hidden" and field.name for field in form.fields)
    # The form works: submitting it reaches the payment system's page.
    data = {field.name: field.value for field in form.fields}
    page = httpx.request(form.method, form.action, data=data, timeout=5)
    assert page.status_code == 200


def test_get_and_find_by_tracking_id_after_payment(apm, module_client):
    payment = new_payment(apm, "apm-paid-1")
    admin_post(module_client, f"/__sandbox/beyag/{payment.uid}/pay", {"outcome": "successful"})
    paid = apm.get_payment(payment.uid)
    assert paid.status is BillStatus.PAID and paid.form is None
    assert paid.paid_at is not None and paid.paid_at.tzinfo is not None
    assert [p.uid for p in apm.find_payments("apm-paid-1")] == [payment.uid]


def test_find_lists_newest_first(apm):
    first = new_payment(apm, "apm-twice")
    second = new_payment(apm, "apm-twice")
    assert [p.uid for p in apm.find_payments("apm-twice")] == [second.uid, first.uid]
    assert apm.find_payments("apm-never-used") == ()


def test_unknown_method_is_the_documented_error(apm):
    with pytest.raises(ProviderValidationError) as caught:
        new_payment(apm, "apm-bad-method", method_type="method_name_new")
    error = caught.value
    assert error.provider_message == "Unknown 'method_name_new' payment method"
    assert error.field_errors == ("system: System error.",)


def test_field_errors_are_readable(apm):
    with pytest.raises(ProviderValidationError) as caught:
        new_payment(apm, "apm-bad-fields", customer={"email": "not-an-email", "country": "USA"})
    lines = caught.value.field_errors
    assert any(line.startswith("customer.email: ") for line in lines)
    assert any(line.startswith("customer.country: ") for line in lines)


def test_unknown_uid_is_not_found(apm):
    with pytest.raises(NotFound):
        apm.get_payment("00000000-0000-4000-8000-000000000000")


def test_wrong_secret_is_authentication_failed(module_sandbox):
    with clients(module_sandbox[0], secret="wrong") as made, pytest.raises(AuthenticationFailed):
        new_payment(made.beyag, "apm-denied")
