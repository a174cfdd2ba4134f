"""bePaid customers: created, listed and read back; e-mail and IP are required."""

from __future__ import annotations

import pytest

from tests.contract.bepaid_support import shared_sandbox

DOC_CUSTOMER = {
    "first_name": "John",
    "last_name": "Doe",
    "address": "1st Street",
    "country": "US",
    "city": "Denver",
    "zip": "92006",
    "state": "CO",
    "phone": "+1-555-555-5555",
    "email": "customer@example.com",
    "ip": "127.0.0.1",
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with shared_sandbox(tmp_path_factory.mktemp("bepaid-customers")) as client:
        yield client


def test_the_documented_customer_is_created(shop):
    response = shop.post("/customers", json=DOC_CUSTOMER)

    assert response.status_code == 201
    customer = response.json()
    assert customer["id"].startswith("cst_")
    assert {key: customer[key] for key in DOC_CUSTOMER} == DOC_CUSTOMER


def test_a_customer_is_read_back_and_listed_newest_first(shop):
    first = shop.post("/customers", json={"email": "a@example.com", "ip": "10.0.0.1"}).json()
    second = shop.post("/customers", json={"email": "b@example.com", "ip": "::1"}).json()

    assert shop.get(f"/customers/{first['id']}").json() == first
    ids = [customer["id"] for customer in shop.get("/customers").json()]
    assert ids.index(second["id"]) < ids.index(first["id"])


def test_an_unknown_customer_is_404(shop):
    assert shop.get("/customers/cst_ffffffffffffffff").status_code == 404


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"email": None}, {"email": ["can't be blank"]}),
        ({"email": "not-an-address"}, {"email": ["is invalid"]}),
        ({"ip": ""}, {"ip": ["can't be blank"]}),
        ({"ip": "300.1.1.1"}, {"ip": ["is invalid"]}),
        ({"country": "USA"}, {"country": ["is too long (maximum is 2 characters)"]}),
        ({"zip": "9200"}, {"zip": ["is invalid"]}),
        ({"state": None}, {"state": ["can't be blank"]}),
        ({"first_name": 7}, {"first_name": ["must be a string"]}),
    ],
)
def test_invalid_customers_are_refused_with_field_errors(shop, change, errors):
    response = shop.post("/customers", json={**DOC_CUSTOMER, **change})

    assert response.status_code == 422
    assert response.json()["errors"] == errors
