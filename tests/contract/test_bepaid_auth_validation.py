"""bePaid API auth and request validation: 401 without the shop's key, 422 in bePaid's shape."""

from __future__ import annotations

import httpx
import pytest

from tests.contract.bepaid_support import CHECKOUT_HEADERS, checkout_request, shared_sandbox

API_ROUTES = [
    ("POST", "/ctp/api/checkouts"),
    ("GET", "/ctp/api/checkouts/" + "a" * 64),
    ("GET", "/transactions/123-abc"),
    ("GET", "/v2/transactions/tracking_id/order-1"),
    ("POST", "/plans"),
    ("GET", "/plans"),
    ("GET", "/plans/pln_0000000000000000"),
    ("POST", "/customers"),
    ("GET", "/customers"),
    ("GET", "/customers/cst_0000000000000000"),
    ("POST", "/subscriptions"),
    ("GET", "/subscriptions/sbs_0000000000000000"),
    ("POST", "/subscriptions/sbs_0000000000000000/cancel"),
]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with shared_sandbox(tmp_path_factory.mktemp("bepaid-validation")) as client:
        yield client


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
@pytest.mark.parametrize("auth", [None, ("361", "wrong-secret"), ("other-shop", "sandbox-secret")])
def test_every_api_route_refuses_requests_without_the_shop_credentials(shop, method, path, auth):
    with httpx.Client(base_url=str(shop.base_url), auth=auth, timeout=10) as client:
        response = client.request(method, path, json={}, headers=CHECKOUT_HEADERS)

    assert response.status_code == 401
    assert response.json()["message"] == "Unauthorized"
    assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize("version", [None, "1", "3"])
def test_a_checkout_needs_api_version_2(shop, version):
    headers = {} if version is None else {"X-API-Version": version}

    response = shop.post("/ctp/api/checkouts", json=checkout_request(), headers=headers)

    assert response.status_code == 422
    assert response.json() == {
        "message": "X-API-Version header must be 2",
        "errors": {"base": ["X-API-Version header must be 2"]},
    }


def order_error(field: str, message: str) -> dict:
    return {"checkout": {"order": {field: [message]}}}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (12.5, "must be an integer"),
        (12.0, "must be an integer"),
        ("12.50", "must be an integer"),
        ("abc", "must be an integer"),
        (True, "must be an integer"),
        (0, "must be greater than 0"),
        (-100, "must be greater than 0"),
        (None, "can't be blank"),
    ],
)
def test_checkout_amount_must_be_a_positive_whole_number_of_minor_units(shop, amount, message):
    response = shop.post(
        "/ctp/api/checkouts", json=checkout_request(amount=amount), headers=CHECKOUT_HEADERS
    )

    assert response.status_code == 422
    assert response.json() == {
        "message": f"Amount {message}",
        "errors": order_error("amount", message),
    }


@pytest.mark.parametrize("currency", ["LVL", "XTS", "EURO", "", None, 978])
def test_checkout_currency_must_be_payable_iso_4217(shop, currency):
    response = shop.post(
        "/ctp/api/checkouts", json=checkout_request(currency=currency), headers=CHECKOUT_HEADERS
    )

    assert response.status_code == 422
    assert response.json() == {
        "message": "Currency is invalid",
        "errors": {"base": ["Currency is invalid"]},
    }


def test_lowercase_currency_is_accepted_and_normalised(shop):
    response = shop.post(
        "/ctp/api/checkouts", json=checkout_request(currency="byn"), headers=CHECKOUT_HEADERS
    )
    token = response.json()["checkout"]["token"]
    assert shop.get(f"/ctp/api/checkouts/{token}").json()["checkout"]["order"]["currency"] == "BYN"


@pytest.mark.parametrize(
    ("change", "errors", "message"),
    [
        (
            lambda c: c["order"].update(tracking_id="t" * 256),
            order_error("tracking_id", "is too long (maximum is 255 characters)"),
            "Tracking id is too long (maximum is 255 characters)",
        ),
        (
            lambda c: c["order"].pop("description"),
            order_error("description", "can't be blank"),
            "Description can't be blank",
        ),
        (
            lambda c: c["order"].update(expired_at="2001-01-01T00:00:00Z"),
            order_error("expired_at", "must be in the future"),
            "Expired at must be in the future",
        ),
        (
            lambda c: c["order"].update(expired_at="next tuesday"),
            order_error("expired_at", "is invalid"),
            "Expired at is invalid",
        ),
        (
            lambda c: c.pop("order"),
            {"checkout": {"order": ["can't be blank"]}},
            "Order can't be blank",
        ),
        (
            lambda c: c.update(order={}),
            {
                "base": ["Currency is invalid"],
                "checkout": {
                    "order": {"amount": ["can't be blank"], "description": ["can't be blank"]}
                },
            },
            "Amount can't be blank. Currency is invalid. Description can't be blank",
        ),
        (
            lambda c: c.update(transaction_type="refund"),
            {"checkout": {"transaction_type": ["is not included in the list"]}},
            "Transaction type is not included in the list",
        ),
        (
            lambda c: c["settings"].update(success_url="javascript:alert(1)"),
            {"checkout": {"settings": {"success_url": ["is invalid"]}}},
            "Success url is invalid",
        ),
        (
            lambda c: c.update(test="yes"),
            {"checkout": {"test": ["must be true or false"]}},
            "Test must be true or false",
        ),
    ],
)
def test_checkout_field_errors_are_nested_like_the_request(shop, change, errors, message):
    body = checkout_request()
    change(body["checkout"])

    response = shop.post("/ctp/api/checkouts", json=body, headers=CHECKOUT_HEADERS)

    assert response.status_code == 422
    assert response.json() == {"message": message, "errors": errors}


def test_a_tracking_id_of_255_characters_is_accepted(shop):
    response = shop.post(
        "/ctp/api/checkouts", json=checkout_request(tracking_id="t" * 255), headers=CHECKOUT_HEADERS
    )
    assert response.status_code == 200


def test_several_errors_are_reported_together(shop):
    body = checkout_request(amount=0, description="")

    response = shop.post("/ctp/api/checkouts", json=body, headers=CHECKOUT_HEADERS)

    assert response.json() == {
        "message": "Amount must be greater than 0. Description can't be blank",
        "errors": {
            "checkout": {
                "order": {
                    "amount": ["must be greater than 0"],
                    "description": ["can't be blank"],
                }
            }
        },
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "Request body is not valid JSON"),
        (b"[1, 2]", "Request body must be a JSON object"),
        (b"{}", "Checkout can't be blank"),
    ],
)
def test_a_body_that_is_not_a_checkout_is_refused(shop, content, message):
    response = shop.post(
        "/ctp/api/checkouts",
        content=content,
        headers={**CHECKOUT_HEADERS, "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["message"] == message
