"""A payer submits a beyag transaction's form in a real browser and chooses an outcome."""

from __future__ import annotations

from html import escape

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.contract import conftest as contract
from tests.support.servers import serve

# The contract fixtures: a live sandbox on loopback and a shop-authenticated client.
sandbox_server = contract.sandbox_server
sandbox_url = contract.sandbox_url
bepaid = contract.bepaid


@pytest.fixture
def shop_url():
    """The shop's return page on loopback, where the payment system sends the payer back."""

    async def thanks(request):
        return HTMLResponse("<h1>Thank you for your order</h1>")

    with serve(Starlette(routes=[Route("/return", thanks)])) as url:
        yield url


def checkout_html(form: dict) -> str:
    """The shop's page: the doc's "HTML form from the response" recipe, submit button added."""
    fields = "".join(
        f"<input type='{escape(f['type'])}' name='{escape(f['name'])}' "
        f"id='{escape(f['id'])}' value='{escape(f['value'])}'>"
        for f in form["fields"]
    )
    return (
        f"<form id='payment-form' action='{escape(form['action'])}' accept-charset='UTF-8' "
        f"method='{escape(form['method'].lower())}'>"
        "<input name='utf8' type='hidden' value='&#x2713;'>"
        f"{fields}<input type='submit' name='submit' value='Оплатить'></form>"
    )


@pytest.mark.parametrize(
    ("button", "status", "message"),
    [
        ("Pay", "successful", "Successfully processed"),
        ("Decline", "failed", "Declined by the payment system"),
        ("Cancel", "failed", "Canceled by the payer"),
    ],
)
def test_the_payer_goes_through_the_payment_system_and_back_to_the_shop(
    page, bepaid, shop_url, button, status, message
):
    body = {
        "request": {
            "amount": 4550,
            "currency": "BYN",
            "description": "Order #77",
            "tracking_id": "order-77",
            "return_url": f"{shop_url}/return",
            "method": {"type": "erip"},
        }
    }
    transaction = bepaid.post("/beyag/transactions/payments", json=body).json()["transaction"]

    page.set_content(checkout_html(transaction["form"]))
    page.get_by_role("button", name="Оплатить").click()
    page.wait_for_url(f"**/external/apm/{transaction['uid']}")
    assert page.get_by_text("45.50 BYN").is_visible()
    assert page.get_by_text("Order #77").is_visible()
    page.get_by_role("button", name=button, exact=True).click()

    page.wait_for_url(f"{shop_url}/return")
    assert page.get_by_role("heading").text_content() == "Thank you for your order"
    after = bepaid.get(f"/beyag/transactions/{transaction['uid']}").json()["transaction"]
    assert (after["status"], after["message"]) == (status, message)
