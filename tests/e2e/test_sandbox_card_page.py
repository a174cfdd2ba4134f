"""A payer pays a bePaid pay link on the sandbox's hosted card page in a real browser."""

from __future__ import annotations

import re
from html import escape
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.contract import conftest as contract
from tests.contract.bepaid_support import checkout_request, create_checkout, get_checkout
from tests.support.servers import serve

# The contract fixtures: a live sandbox on loopback and a shop-authenticated client.
sandbox_server = contract.sandbox_server
sandbox_url = contract.sandbox_url
bepaid = contract.bepaid


@pytest.fixture
def shop_url():
    """The merchant's return pages on loopback: they show what bePaid appended."""

    async def landing(request):
        params = "".join(
            f"<li>{escape(key)}={escape(value)}</li>" for key, value in request.query_params.items()
        )
        title = request.path_params["outcome"].capitalize()
        return HTMLResponse(f"<h1>{escape(title)}</h1><ul>{params}</ul>")

    with serve(Starlette(routes=[Route("/{outcome}", landing)])) as url:
        yield url


def pay_link(bepaid, shop_url: str) -> tuple[str, str]:
    body = checkout_request(amount=1999, currency="BYN", description="Coffee beans, 1 kg")
    settings = body["checkout"]["settings"]
    for outcome in ("success", "decline", "fail", "cancel"):
        settings[f"{outcome}_url"] = f"{shop_url}/{outcome}"
    token = create_checkout(bepaid, body)
    return token, get_checkout(bepaid, token)["redirect_url"]


def fill_card(page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Cardholder name").fill("Jane Payer")
    page.get_by_label("Expiry date").fill("12/39")
    page.get_by_label("CVC").fill("123")


def test_a_3ds_card_passes_the_challenge_and_lands_on_the_success_url(page, bepaid, shop_url):
    token, redirect_url = pay_link(bepaid, shop_url)

    page.goto(redirect_url)
    assert page.get_by_role("heading", name="19.99 BYN").is_visible()
    assert page.get_by_text("Coffee beans, 1 kg").is_visible()
    fill_card(page, "4012000000001097")
    page.get_by_role("button", name="Pay 19.99 BYN").click()

    page.get_by_role("heading", name="Confirm your payment").wait_for()
    page.get_by_label("Verification code").fill("12345")
    page.get_by_role("button", name="Confirm").click()

    page.get_by_role("heading", name="Success").wait_for()
    query = parse_qs(urlsplit(page.url).query)
    assert query["token"] == [token]
    assert query["status"] == ["successful"]
    checkout = get_checkout(bepaid, token)
    assert checkout["status"] == "successful"
    assert checkout["gateway_response"]["payment"]["uid"] == query["uid"][0]


def test_a_declined_card_lands_on_the_decline_url(page, bepaid, shop_url):
    token, redirect_url = pay_link(bepaid, shop_url)

    page.goto(redirect_url)
    fill_card(page, "4005550000000019")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()

    page.get_by_role("heading", name="Decline").wait_for()
    assert parse_qs(urlsplit(page.url).query)["status"] == ["failed"]
    assert get_checkout(bepaid, token)["status"] == "failed"


def test_a_mistyped_card_is_pointed_out_on_the_page(page, bepaid, shop_url):
    token, redirect_url = pay_link(bepaid, shop_url)

    page.goto(redirect_url)
    fill_card(page, "4200 0000 0000 0001")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()

    assert page.get_by_text("Enter a valid card number").is_visible()
    assert page.get_by_label("Card number").input_value() == "4200 0000 0000 0001"
    assert get_checkout(bepaid, token)["status"] == "pending"
