"""A payer pays a Payture bill on its hosted pay page in a real browser."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from provider_sandbox.payture.bills import DONE_AFTER_SECONDS
from tests.contract import conftest as contract
from tests.support.servers import serve

# The contract fixtures: a live sandbox on loopback, its state object and a client.
sandbox_server = contract.sandbox_server
sandbox_url = contract.sandbox_url
sandbox = contract.sandbox
anonymous = contract.anonymous

API = "/api/payments/20/payture"
TOKEN = "sandbox-token"
MONTHLY = "550e8400-e29b-41d4-a716-446655440001"  # 99900 RUB
GIFT = "550e8400-e29b-41d4-a716-446655440007"  # 249900 RUB, gift


@pytest.fixture
def shop_url():
    async def thanks(request):
        return HTMLResponse("<h1>Back at the shop</h1>")

    with serve(Starlette(routes=[Route("/paid", thanks)])) as url:
        yield url


def bill_status(client, bill_id):
    body = {"access_token": TOKEN, "bill_id": bill_id}
    return client.post(f"{API}/billStatus", json=body).json()


def test_paying_the_billed_amount_makes_the_bill_paid_then_done(page, anonymous, sandbox):
    created = anonymous.post(
        f"{API}/billCreate", json={"access_token": TOKEN, "subscription_id": GIFT}
    ).json()["data"]

    page.goto(created["bill"]["payUrl"])
    assert page.get_by_text("Gift: Premium, 3 months").is_visible()
    page.get_by_role("button", name="Pay 2 499.00 RUB").click()

    assert page.get_by_role("heading").text_content() == "Payment received"
    paid = bill_status(anonymous, created["bill_id"])
    assert paid["data"]["status"] == "PAID"
    code = paid["data"]["bill_info"]["gift"]["code"]
    assert page.get_by_text(code).is_visible()

    sandbox.advance(DONE_AFTER_SECONDS)
    assert bill_status(anonymous, created["bill_id"])["data"]["status"] == "DONE"
    page.reload()
    assert page.get_by_role("heading").text_content() == "Payment complete"


def test_paying_a_different_amount_returns_to_the_shop_as_a_mismatch(page, anonymous, shop_url):
    body = {
        "access_token": TOKEN,
        "subscription_id": MONTHLY,
        "user_id": "guest-7",
        "redirect_url": f"{shop_url}/paid",
    }
    created = anonymous.post(f"{API}/billCreateUnauthorised", json=body).json()["data"]

    page.goto(created["bill"]["payUrl"])
    page.get_by_label("Amount in RUB").fill("12.5")
    page.get_by_role("button", name="Pay this amount").click()

    page.wait_for_url(f"{shop_url}/paid")
    answer = bill_status(anonymous, created["bill_id"])
    assert answer["success"] is False
    assert answer["data"] == {
        "bill_info": {"bill_status": "PAID", "amount": 1250},
        "status": "AMOUNT_MISMATCH",
    }


def test_declining_then_trying_again(page, anonymous):
    created = anonymous.post(
        f"{API}/billCreate", json={"access_token": TOKEN, "subscription_id": MONTHLY}
    ).json()["data"]

    page.goto(created["bill"]["payUrl"])
    page.get_by_role("button", name="Decline").click()
    assert page.get_by_role("heading").text_content() == "Payment declined"
    assert bill_status(anonymous, created["bill_id"])["data"]["status"] == "PENDING"

    page.get_by_role("link", name="Try again").click()
    page.get_by_role("button", name="Pay 999.00 RUB").click()
    assert page.get_by_role("heading").text_content() == "Payment received"
    assert bill_status(anonymous, created["bill_id"])["data"]["status"] == "PAID"
