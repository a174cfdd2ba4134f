"""beyag: a payment is found again by uid and by tracking id."""

from __future__ import annotations

import httpx
import pytest

PAYMENTS = "/beyag/transactions/payments"


def create(client, tracking_id="order-1", amount=500):
    body = {
        "request": {
            "amount": amount,
            "currency": "BYN",
            "description": "Order",
            "tracking_id": tracking_id,
            "return_url": "https://shop.example/return",
            "method": {"type": "erip"},
        }
    }
    return client.post(PAYMENTS, json=body).json()["transaction"]


def test_get_by_uid_returns_what_create_returned(bepaid):
    created = create(bepaid)

    response = bepaid.get(f"/beyag/transactions/{created['uid']}")

    assert response.status_code == 200
    assert response.json() == {"transaction": created}


def test_an_unknown_uid_is_404_json(bepaid):
    response = bepaid.get("/beyag/transactions/00000000-0000-4000-8000-000000000000")

    assert response.status_code == 404
    assert response.json() == {"message": "Record not found", "errors": {}}


def test_tracking_id_lists_its_transactions_newest_first(bepaid):
    first = create(bepaid, tracking_id="order-7", amount=100)
    create(bepaid, tracking_id="order-8")
    second = create(bepaid, tracking_id="order-7", amount=200)

    response = bepaid.get("/beyag/transactions/tracking_id/order-7")

    assert response.status_code == 200
    found = response.json()["transactions"]
    assert [t["uid"] for t in found] == [second["uid"], first["uid"]]
    assert [t["amount"] for t in found] == [200, 100]


def test_tracking_id_lists_at_most_ten(bepaid):
    for _ in range(11):
        create(bepaid, tracking_id="busy")

    assert len(bepaid.get("/beyag/transactions/tracking_id/busy").json()["transactions"]) == 10


@pytest.mark.parametrize("wanted", ["a1", "b_2", "c%3", "a1;b_2;c%3"])
def test_any_of_several_semicolon_separated_tracking_ids_finds_the_payment(bepaid, wanted):
    created = create(bepaid, tracking_id="a1;b_2;c%3")

    response = bepaid.get(f"/beyag/transactions/tracking_id/{wanted}")

    assert [t["uid"] for t in response.json()["transactions"]] == [created["uid"]]


@pytest.mark.parametrize("wanted", ["order", "b_", "_2", "%"])
def test_partial_tracking_ids_do_not_match(bepaid, wanted):
    create(bepaid, tracking_id="order-1;b_2")

    response = bepaid.get(f"/beyag/transactions/tracking_id/{wanted}")

    assert response.status_code == 404
    assert response.json()["message"] == "Record not found"


@pytest.mark.parametrize("path", ["/beyag/transactions/x", "/beyag/transactions/tracking_id/x"])
def test_lookups_need_the_shop_credentials(bepaid, sandbox_url, path):
    create(bepaid, tracking_id="x")

    assert httpx.get(f"{sandbox_url}{path}").status_code == 401
