"""Payture: billCreate and billCreateUnauthorised answer like the behind-api doc."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from provider_sandbox.payture.bills import is_uuid
from tests.support.servers import free_port, serve

API = "/api/payments/20/payture"
TOKEN = "sandbox-token"
MONTHLY = "550e8400-e29b-41d4-a716-446655440001"  # the doc's subscription id
USER = "aa0e8400-e29b-41d4-a716-446655440005"  # the doc's user id


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory):
    """One sandbox for the whole module: these tests only add independent bills."""
    port = free_port()
    state = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(state)))
    with serve(app, port) as base_url:
        yield base_url, app
    app.state.sandbox.store.close()


def call(client, method, **body):
    return client.post(f"{API}/{method}", json={"access_token": TOKEN, **body})


#: Every billCreateUnauthorised call in the doc: (user_id, redirect_url, extended).
DOC_UNAUTHORISED_CALLS = [
    (
        USER,
        "https://example.com/payment-complete",
        {
            "pageId": "ck4jrtawdA3Ed4",
            "giftRecipient": "john@example.com",
            "customNote": "Holiday special",
        },
    ),
    (
        USER,
        "https://mysite.com/thank-you",
        {"source": "landing_page", "campaign": "spring_sale_2024"},
    ),
    (USER, "https://mysite.com/access-granted", {"pageId": "ck4jrtawdA3Ed4"}),
    (
        USER,
        "https://mysite.com/gift-complete",
        {
            "giftRecipient": "recipient@example.com",
            "giftType": "subscription",
            "giftMessage": "Enjoy your subscription!",
        },
    ),
    (USER, "https://mysite.com/payment-return", {}),
    (USER, "https://mysite.com/access-granted", {"pageId": "ck4jrtawdA3Ed4"}),
    (USER, "https://mysite.com/return", None),
    (
        USER,
        "https://mysite.com/return",
        {
            "giftRecipient": "friend@example.com",
            "giftMessage": "Happy Birthday!",
            "giftOccasion": "birthday",
        },
    ),
    (
        USER,
        "https://mysite.com/return",
        {
            "source": "facebook_ad",
            "campaign": "spring_sale_2024",
            "referrer": "influencer_abc",
            "utm_source": "social",
            "utm_medium": "paid",
            "utm_campaign": "spring24",
        },
    ),
    (USER, "https://mysite.ru/return", {"currency": "RUB", "country": "RU"}),
    (
        USER,
        "https://mysite.com/return",
        {"sessionId": "session_1700000000000_k2j3h4g5f", "deviceType": "desktop", "referrer": ""},
    ),
    (
        "test-user-000000000000000000000001",
        "https://test.mysite.com/return",
        {"pageId": "ck4jrtawdA3Ed4", "test": True},
    ),
    (USER, "https://secure.mysite.com/return", None),
]


def assert_created(response, sandbox_url):
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert set(body["data"]) == {"bill_id", "bill"}
    assert is_uuid(body["data"]["bill_id"])
    assert set(body["data"]["bill"]) == {"payUrl"}
    pay_url = urlsplit(body["data"]["bill"]["payUrl"])
    assert f"{pay_url.scheme}://{pay_url.netloc}{pay_url.path}" == f"{sandbox_url}/apim/Pay"
    assert parse_qs(pay_url.query)["SessionId"][0]
    return body["data"]


def test_bill_create_with_the_docs_example(anonymous, sandbox_url):
    data = assert_created(call(anonymous, "billCreate", subscription_id=MONTHLY), sandbox_url)

    status = call(anonymous, "billStatus", bill_id=data["bill_id"]).json()
    assert status == {
        "success": True,
        "data": {"bill_info": {"bill_status": "PENDING", "amount": 99900}, "status": "PENDING"},
    }


@pytest.mark.parametrize(("user_id", "redirect_url", "extended"), DOC_UNAUTHORISED_CALLS)
def test_every_bill_create_unauthorised_example_in_the_doc_is_accepted(
    anonymous, sandbox, sandbox_url, user_id, redirect_url, extended
):
    body = {"subscription_id": MONTHLY, "user_id": user_id, "redirect_url": redirect_url}
    if extended is not None:
        body["extended"] = extended

    data = assert_created(call(anonymous, "billCreateUnauthorised", **body), sandbox_url)

    [stored] = [
        bill
        for bill in sandbox.state_sections["payture"](sandbox)["bills"]
        if bill["bill_id"] == data["bill_id"]
    ]
    assert stored["user_id"] == user_id
    assert stored["extended"] == (extended or {})


def test_each_bill_gets_its_own_pay_link(anonymous, sandbox_url):
    first = assert_created(call(anonymous, "billCreate", subscription_id=MONTHLY), sandbox_url)
    second = assert_created(call(anonymous, "billCreate", subscription_id=MONTHLY), sandbox_url)

    assert first["bill_id"] != second["bill_id"]
    assert first["bill"]["payUrl"] != second["bill"]["payUrl"]
    assert httpx.get(first["bill"]["payUrl"]).status_code == 200


def test_an_upper_case_subscription_id_is_the_same_product(anonymous, sandbox_url):
    assert_created(call(anonymous, "billCreate", subscription_id=MONTHLY.upper()), sandbox_url)


@pytest.mark.parametrize(
    ("method", "body", "message"),
    [
        ("billCreate", {}, "subscription_id can not be empty"),
        ("billCreate", {"subscription_id": ""}, "subscription_id can not be empty"),
        ("billCreate", {"subscription_id": "monthly"}, "Invalid UUID format: subscription_id"),
        ("billCreate", {"subscription_id": 42}, "Invalid UUID format: subscription_id"),
        (
            "billCreate",
            {"subscription_id": "550e8400-e29b-41d4-a716-44665544000"},  # one digit short
            "Invalid UUID format: subscription_id",
        ),
        (
            "billCreate",
            {"subscription_id": "550e8400-e29b-41d4-a716-446655440999"},
            "Can't finish request: subscription product not found",
        ),
        (
            "billCreateUnauthorised",
            {"subscription_id": MONTHLY},
            "user_id can not be empty",
        ),
        (
            "billCreateUnauthorised",
            {"subscription_id": "not-a-uuid", "user_id": USER},
            "Invalid UUID format: subscription_id",
        ),
        (
            "billCreateUnauthorised",
            {"subscription_id": MONTHLY, "user_id": USER, "redirect_url": "mysite.com/return"},
            "redirect_url must be a valid HTTP/HTTPS URL",
        ),
        (
            "billCreateUnauthorised",
            {"subscription_id": MONTHLY, "user_id": USER, "redirect_url": "javascript:alert(1)"},
            "redirect_url must be a valid HTTP/HTTPS URL",
        ),
        (
            "billCreateUnauthorised",
            {"subscription_id": MONTHLY, "user_id": USER, "extended": ["pageId"]},
            "extended must be an object",
        ),
    ],
)
def test_invalid_create_requests_answer_success_false_with_a_message(
    anonymous, method, body, message
):
    response = call(anonymous, method, **body)

    assert response.status_code == 200
    assert response.json() == {"success": False, "message": message}
