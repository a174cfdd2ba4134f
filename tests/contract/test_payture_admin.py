"""Payture sandbox extras: the product catalogue, paying as the payer, the state section."""

from __future__ import annotations

import pytest

from console.money import EXPONENTS
from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from provider_sandbox.payture.bills import is_uuid
from tests.support.servers import free_port, serve

API = "/api/payments/20/payture"
MONTHLY = "550e8400-e29b-41d4-a716-446655440001"


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory):
    """One sandbox for the whole module: each test works on records it creates."""
    port = free_port()
    state = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(state)))
    with serve(app, port) as base_url:
        yield base_url, app
    app.state.sandbox.store.close()


def new_bill(client, product=MONTHLY):
    body = {"access_token": "sandbox-token", "subscription_id": product}
    return client.post(f"{API}/billCreate", json=body).json()["data"]["bill_id"]


def test_the_catalogue_lists_direct_and_gift_products_in_rub_and_byn(anonymous):
    response = anonymous.get("/__sandbox/payture/products")

    assert response.status_code == 200
    products = response.json()["products"]
    assert all(set(p) == {"id", "title", "price", "currency", "kind"} for p in products)
    assert all(is_uuid(p["id"]) and p["currency"] in EXPONENTS for p in products)
    assert all(isinstance(p["price"], int) and p["price"] > 0 for p in products)
    assert {p["currency"] for p in products} >= {"RUB", "BYN"}
    assert {p["kind"] for p in products} == {"direct", "gift"}
    [doc_product] = [p for p in products if p["id"] == MONTHLY]
    assert (doc_product["price"], doc_product["currency"]) == (99900, "RUB")


def test_every_catalogue_product_can_be_billed(anonymous):
    for product in anonymous.get("/__sandbox/payture/products").json()["products"]:
        bill_id = new_bill(anonymous, product["id"])
        status = anonymous.post(
            f"{API}/billStatus", json={"access_token": "sandbox-token", "bill_id": bill_id}
        ).json()
        assert status["data"]["bill_info"]["amount"] == product["price"]


def test_admin_pay_answers_the_new_status(anonymous):
    bill_id = new_bill(anonymous)

    response = anonymous.post(f"/__sandbox/payture/{bill_id}/pay", json={})

    assert response.status_code == 200
    assert response.json() == {
        "bill_id": bill_id,
        "bill_info": {"bill_status": "PAID", "amount": 99900},
        "status": "PAID",
    }


def test_admin_pay_without_a_body_pays_the_price(anonymous):
    bill_id = new_bill(anonymous)

    assert anonymous.post(f"/__sandbox/payture/{bill_id}/pay").json()["status"] == "PAID"


def test_a_paid_bill_cannot_be_paid_again(anonymous):
    bill_id = new_bill(anonymous)
    anonymous.post(f"/__sandbox/payture/{bill_id}/pay", json={"amount": 5})

    response = anonymous.post(f"/__sandbox/payture/{bill_id}/pay", json={})

    assert response.status_code == 409
    assert "AMOUNT_MISMATCH" in response.json()["message"]


@pytest.mark.parametrize("amount", [0, -1, 1.5, "100", True, 10**12])
def test_admin_pay_refuses_amounts_that_are_not_positive_minor_units(anonymous, amount):
    bill_id = new_bill(anonymous)

    response = anonymous.post(f"/__sandbox/payture/{bill_id}/pay", json={"amount": amount})

    assert response.status_code == 422
    assert response.json() == {
        "message": "Amount must be a positive integer of minor units",
        "errors": {"amount": ["must be a positive integer of minor units"]},
    }


def test_admin_pay_of_an_unknown_bill_is_404(anonymous):
    response = anonymous.post(
        "/__sandbox/payture/cc0e8400-e29b-41d4-a716-446655440099/pay", json={}
    )

    assert response.status_code == 404


def test_the_state_section_shows_bills_newest_first_with_their_pay_links(anonymous, sandbox):
    first = new_bill(anonymous)
    second = new_bill(anonymous)
    anonymous.post(f"/__sandbox/payture/{first}/pay", json={})

    state = anonymous.get("/__sandbox/state").json()["payture"]

    assert len(state["products"]) >= 5
    bills = state["bills"]
    assert [b["bill_id"] for b in bills[:2]] == [second, first]
    assert bills[1]["status"] == "PAID"
    assert bills[1]["done_due_at"] is not None
    assert bills[0]["pay_url"].startswith(sandbox.config.public_url + "/apim/Pay?SessionId=")
