"""PaytureClient against the sandbox's behind-api: bills, statuses, errors, catalogue."""

from __future__ import annotations

import httpx
import pytest

from console.config import PaytureSettings, Secret
from console.providers import (
    AuthenticationFailed,
    BillExtras,
    NotFound,
    PaytureClient,
    ProviderValidationError,
    SandboxOnlyOperation,
)
from console.status import BillStatus
from tests.contract.client_support import GIFT_PRODUCT, PRODUCT, USER, admin_post, clients, state


@pytest.fixture(scope="module")
def bills(module_sandbox):
    with clients(module_sandbox[0]) as made:
        yield made.payture


def test_bill_create_and_status(bills):
    bill = bills.bill_create(PRODUCT)
    assert bill.pay_url.endswith(f"SessionId={bill.session_id}") and "/apim/Pay?" in bill.pay_url
    found = bills.bill_status(bill.bill_id)
    assert (found.status, found.native_status, found.bill_status) == (
        BillStatus.PENDING,
        "PENDING",
        "PENDING",
    )
    assert found.amount == 99900 and found.gift_code is None and found.bill_id == bill.bill_id


def test_unauthorised_bill_carries_redirect_and_extended_data(bills, module_client):
    extras = BillExtras(
        page_id="ck4jrtawdA3Ed4",
        gift_recipient="john@example.com",
        gift_message="Enjoy!",
        campaign="spring_sale_2024",
        utm_source="newsletter",
        other={"customNote": "Holiday special"},
    )
    bill = bills.bill_create_unauthorised(
        PRODUCT, USER, redirect_url="https://example.com/payment-complete", extended=extras
    )
    stored = next(
        b for b in state(module_client)["payture"]["bills"] if b["bill_id"] == bill.bill_id
    )
    assert stored["user_id"] == USER
    assert stored["extended"] == {
        "pageId": "ck4jrtawdA3Ed4",
        "giftRecipient": "john@example.com",
        "giftMessage": "Enjoy!",
        "campaign": "spring_sale_2024",
        "utm_source": "newsletter",
        "customNote": "Holiday special",
    }


def test_paid_gift_bill_shows_its_gift_code(bills, module_client):
    bill = bills.bill_create_unauthorised(GIFT_PRODUCT, USER)
    admin_post(module_client, f"/__sandbox/payture/{bill.bill_id}/pay", {})
    found = bills.bill_status(bill.bill_id)
    assert found.status is BillStatus.PAID and found.native_status == "PAID"
    assert found.gift_code and found.gift_code.startswith("GIFT-")


def test_amount_mismatch_is_a_status_not_an_error(bills, module_client):
    bill = bills.bill_create(PRODUCT)
    admin_post(module_client, f"/__sandbox/payture/{bill.bill_id}/pay", {"amount": 100})
    found = bills.bill_status(bill.bill_id)
    assert (found.status, found.native_status) == (BillStatus.MISMATCH, "AMOUNT_MISMATCH")
    assert found.amount == 100


@pytest.mark.parametrize(
    ("call", "cls", "message"),
    [
        (lambda c: c.bill_status(""), ProviderValidationError, "bill_id can not be empty"),
        (lambda c: c.bill_status("nope"), ProviderValidationError, "Invalid UUID format: bill_id"),
        (
            lambda c: c.bill_status("cc0e8400-e29b-41d4-a716-000000000000"),
            NotFound,
            "Bill not found",
        ),
        (
            lambda c: c.bill_create("550e8400-e29b-41d4-a716-000000000000"),
            NotFound,
            "Can't finish request: subscription product not found",
        ),
        (
            lambda c: c.bill_create_unauthorised(PRODUCT, USER, redirect_url="ftp://x"),
            ProviderValidationError,
            "redirect_url must be a valid HTTP/HTTPS URL",
        ),
        (
            lambda c: c.bill_create_unauthorised(PRODUCT, ""),
            ProviderValidationError,
            "user_id can not be empty",
        ),
    ],
)
def test_behind_api_failures_map_by_message(bills, call, cls, message):
    with pytest.raises(cls) as caught:
        call(bills)
    assert caught.value.provider_message == message
    assert message in caught.value.user_message or cls is NotFound


def test_wrong_token_is_authentication_failed(module_sandbox):
    with (
        clients(module_sandbox[0], token="wrong-token") as made,
        pytest.raises(AuthenticationFailed) as caught,
    ):
        made.payture.bill_status("cc0e8400-e29b-41d4-a716-446655440009")
    assert caught.value.http_status == 401
    assert "wrong-token" not in repr(caught.value) + caught.value.user_message


def test_products_from_the_sandbox_catalogue(bills):
    products = bills.list_products()
    by_id = {p.id: p for p in products}
    assert (by_id[PRODUCT].amount, by_id[PRODUCT].currency) == (99900, "RUB")
    assert by_id[GIFT_PRODUCT].kind == "gift"


def test_products_against_a_live_host_raise_before_sending():
    def nothing_may_be_sent(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"sent {request.method} {request.url}")

    live = PaytureSettings(base_url="https://behind.example", access_token=Secret("t"))
    transport = httpx.MockTransport(nothing_may_be_sent)
    with (
        PaytureClient(live, transport=transport) as client,
        pytest.raises(SandboxOnlyOperation) as caught,
    ):
        client.list_products()
    assert "sandbox" in caught.value.user_message
