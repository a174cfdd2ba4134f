"""Payture: the hosted pay page behind ``payUrl`` (plain HTTP; the browser test clicks it)."""

from __future__ import annotations

import httpx
import pytest

from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from tests.support.servers import free_port, serve

API = "/api/payments/20/payture"
TOKEN = "sandbox-token"
MONTHLY = "550e8400-e29b-41d4-a716-446655440001"  # 99900 RUB
BYN_MONTHLY = "550e8400-e29b-41d4-a716-446655440003"  # 2990 BYN


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory):
    """One sandbox for the whole module: each test works on records it creates."""
    port = free_port()
    state = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(state)))
    with serve(app, port) as base_url:
        yield base_url, app
    app.state.sandbox.store.close()


def create(client, redirect_url=None, extended=None, product=MONTHLY):
    body = {"access_token": TOKEN, "subscription_id": product, "user_id": "guest"}
    if redirect_url:
        body["redirect_url"] = redirect_url
    if extended:
        body["extended"] = extended
    return client.post(f"{API}/billCreateUnauthorised", json=body).json()["data"]


def status(client, bill_id):
    body = {"access_token": TOKEN, "bill_id": bill_id}
    return client.post(f"{API}/billStatus", json=body).json()["data"]


def submit(pay_url, **fields):
    session = pay_url.split("SessionId=")[1]
    return httpx.post(pay_url.split("?")[0], data={"SessionId": session, **fields})


def test_the_pay_page_shows_product_amount_and_choices(anonymous):
    bill = create(anonymous)

    page = httpx.get(bill["bill"]["payUrl"])

    assert page.status_code == 200
    for text in ("Premium, 1 month", "999.00 RUB", "Pay 999.00 RUB", "Decline"):
        assert text in page.text
    assert "Pay a different amount" in page.text


def test_gift_details_from_extended_are_shown_escaped(anonymous):
    bill = create(
        anonymous,
        extended={"giftRecipient": "friend@example.com", "giftMessage": "<img src=x onerror=1>"},
    )

    page = httpx.get(bill["bill"]["payUrl"])

    assert "friend@example.com" in page.text
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=1&gt;" in page.text


def test_paying_redirects_to_the_redirect_url_unchanged(anonymous):
    bill = create(anonymous, redirect_url="https://mysite.com/thank-you?order=7")

    response = submit(bill["bill"]["payUrl"], action="pay")

    assert response.status_code == 303
    assert response.headers["location"] == "https://mysite.com/thank-you?order=7"
    assert status(anonymous, bill["bill_id"])["status"] == "PAID"


def test_without_a_redirect_url_paying_shows_a_receipt(anonymous):
    bill = create(anonymous)

    response = submit(bill["bill"]["payUrl"], action="pay")
    receipt = httpx.get(
        f"{bill['bill']['payUrl'].split('/apim/')[0]}{response.headers['location']}"
    )

    assert receipt.status_code == 200
    assert "Payment received" in receipt.text
    assert "Status: <b>PAID</b>" in receipt.text


@pytest.mark.parametrize(
    ("typed", "paid"), [("950", 95000), ("1 000,50", 100050), ("999.00", 99900)]
)
def test_a_different_amount_is_typed_in_major_units(anonymous, typed, paid):
    bill = create(anonymous)

    submit(bill["bill"]["payUrl"], action="pay_amount", amount=typed)

    data = status(anonymous, bill["bill_id"])
    assert data["bill_info"]["amount"] == paid
    assert data["status"] == ("PAID" if paid == 99900 else "AMOUNT_MISMATCH")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("", "Enter an amount"),
        ("12.345", "RUB amounts have at most 2 decimal places"),
        ("-5", "The amount must be positive"),
        ("abc", "is not an amount"),
    ],
)
def test_an_unusable_typed_amount_is_explained_and_nothing_is_paid(anonymous, typed, shown):
    bill = create(anonymous)

    page = submit(bill["bill"]["payUrl"], action="pay_amount", amount=typed)

    assert page.status_code == 400
    assert shown in page.text
    assert status(anonymous, bill["bill_id"])["status"] == "PENDING"


def test_declining_leaves_the_bill_open_and_payable(anonymous):
    bill = create(anonymous, redirect_url="https://mysite.com/return")

    page = submit(bill["bill"]["payUrl"], action="decline")

    assert page.status_code == 200
    assert "Payment declined" in page.text
    assert "https://mysite.com/return" in page.text
    assert status(anonymous, bill["bill_id"])["status"] == "PENDING"
    assert submit(bill["bill"]["payUrl"], action="pay").status_code == 303
    assert status(anonymous, bill["bill_id"])["status"] == "PAID"


def test_a_paid_bills_page_shows_the_receipt_not_the_form(anonymous):
    bill = create(anonymous, product=BYN_MONTHLY)
    submit(bill["bill"]["payUrl"], action="pay")

    page = httpx.get(bill["bill"]["payUrl"])
    again = submit(bill["bill"]["payUrl"], action="pay_amount", amount="1")

    assert "29.90 BYN" in page.text
    assert "name='action'" not in page.text
    assert "name='action'" not in again.text
    assert status(anonymous, bill["bill_id"])["status"] == "PAID"


@pytest.mark.parametrize("path", ["/apim/Pay?SessionId=nope", "/apim/Pay", "/apim/Receipt"])
def test_an_unknown_session_is_404(sandbox_url, path):
    page = httpx.get(f"{sandbox_url}{path}")

    assert page.status_code == 404
    assert "Payment session not found" in page.text


def test_the_docs_example_pay_link_opens(sandbox_url):
    page = httpx.get(f"{sandbox_url}/apim/Pay?SessionId=abc123xyz")

    assert page.status_code == 200
    assert "999.00 RUB" in page.text
