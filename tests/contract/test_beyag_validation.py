"""beyag: invalid payment requests get beGateway's 422 ``{"message", "errors"}``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig, iso
from tests.support.servers import free_port, serve

PAYMENTS = "/beyag/transactions/payments"


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory):
    """One sandbox for the whole module: these tests only add independent records."""
    port = free_port()
    state = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(state)))
    with serve(app, port) as base_url:
        yield base_url, app
    app.state.sandbox.store.close()


def valid_request(**changes):
    body = {
        "amount": 1250,
        "currency": "EUR",
        "description": "Order #123",
        "tracking_id": "order-123",
        "return_url": "https://shop.example/return",
        "method": {"type": "alipay"},
    }
    body.update(changes)
    return {"request": {key: value for key, value in body.items() if value is not ...}}


@pytest.mark.parametrize(
    ("changes", "message", "errors"),
    [
        ({"currency": "XYZ"}, "Currency is invalid", {"currency": ["is invalid"]}),
        ({"currency": "eur"}, "Currency is invalid", {"currency": ["is invalid"]}),
        ({"currency": "XTS"}, "Currency is invalid", {"currency": ["is invalid"]}),
        ({"currency": ...}, "Currency can't be blank", {"currency": ["can't be blank"]}),
        ({"amount": 0}, "Amount must be greater than 0", {"amount": ["must be greater than 0"]}),
        ({"amount": -5}, "Amount must be greater than 0", {"amount": ["must be greater than 0"]}),
        ({"amount": 12.5}, "Amount must be an integer", {"amount": ["must be an integer"]}),
        ({"amount": "1250"}, "Amount must be an integer", {"amount": ["must be an integer"]}),
        ({"amount": True}, "Amount must be an integer", {"amount": ["must be an integer"]}),
        ({"amount": ...}, "Amount can't be blank", {"amount": ["can't be blank"]}),
        (
            {"amount": 10**12},
            "Amount must be less than or equal to 999999999999",
            {"amount": ["must be less than or equal to 999999999999"]},
        ),
        (
            {"tracking_id": "x" * 256},
            "Tracking id is too long (maximum is 255 characters)",
            {"tracking_id": ["is too long (maximum is 255 characters)"]},
        ),
        (
            {"description": ...},
            "Description can't be blank",
            {"description": ["can't be blank"]},
        ),
        ({"return_url": ...}, "Return url can't be blank", {"return_url": ["can't be blank"]}),
        ({"return_url": "shop/return"}, "Return url is invalid", {"return_url": ["is invalid"]}),
        (
            {"notification_url": "ftp://x.y/n"},
            "Notification url is invalid",
            {"notification_url": ["is invalid"]},
        ),
        ({"method": ...}, "Method can't be blank", {"method": ["can't be blank"]}),
        ({"method": {}}, "Method type can't be blank", {"method": {"type": ["can't be blank"]}}),
        ({"expired_at": "tomorrow"}, "Expired at is invalid", {"expired_at": ["is invalid"]}),
        (
            {"expired_at": "2031-01-01T15:00:00"},  # the doc's format requires a zone
            "Expired at is invalid",
            {"expired_at": ["is invalid"]},
        ),
        (
            {"expired_at": "2031-02-30T15:00:00+01:00"},
            "Expired at is invalid",
            {"expired_at": ["is invalid"]},
        ),
        (
            {"expired_at": "2025-01-01T15:00:00+01:00"},
            "Expired at must be in the future",
            {"expired_at": ["must be in the future"]},
        ),
        ({"test": "yes"}, "Test must be true or false", {"test": ["must be true or false"]}),
        ({"ip": "999.1.1.1"}, "Ip is invalid", {"ip": ["is invalid"]}),
        (
            {"language": "xx"},
            "Language is not included in the list",
            {"language": ["is not included in the list"]},
        ),
        (
            {"customer": {"email": "not-an-email"}},
            "Customer email is invalid",
            {"customer": {"email": ["is invalid"]}},
        ),
        (
            {"customer": {"first_name": "J" * 61}},
            "Customer first name is too long (maximum is 60 characters)",
            {"customer": {"first_name": ["is too long (maximum is 60 characters)"]}},
        ),
        (
            {"customer": {"country": "USA"}},
            "Customer country is too long (maximum is 2 characters)",
            {"customer": {"country": ["is too long (maximum is 2 characters)"]}},
        ),
    ],
)
def test_an_invalid_field_is_named_in_message_and_errors(bepaid, changes, message, errors):
    response = bepaid.post(PAYMENTS, json=valid_request(**changes))

    assert response.status_code == 422
    assert response.json() == {"message": message, "errors": errors}


def test_several_errors_are_reported_together(bepaid):
    response = bepaid.post(PAYMENTS, json=valid_request(amount=0, currency="ABC"))

    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "Amount must be greater than 0. Currency is invalid"
    assert set(body["errors"]) == {"amount", "currency"}


@pytest.mark.parametrize("method_type", ["method_name_new", "paypal", "ERIP"])
def test_an_unknown_method_type_gets_the_docs_error(bepaid, method_type):
    response = bepaid.post(PAYMENTS, json=valid_request(method={"type": method_type}))

    assert response.status_code == 422
    assert response.json() == {
        "message": f"Unknown '{method_type}' payment method",
        "errors": {"system": ["System error."]},
    }


def test_the_limits_themselves_are_accepted(bepaid, sandbox):
    body = valid_request(
        tracking_id="t" * 255,
        amount=10**12 - 1,
        description="d" * 255,
        expired_at=iso(sandbox.now() + timedelta(minutes=1)),
        customer={"first_name": "J" * 60, "email": "j@example.com", "country": "BY"},
    )

    response = bepaid.post(PAYMENTS, json=body)

    assert response.status_code == 200
    assert response.json()["transaction"]["tracking_id"] == "t" * 255


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]"])
def test_a_body_that_is_not_a_json_object_is_refused(bepaid, raw):
    response = bepaid.post(PAYMENTS, content=raw, headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert "message" in response.json()


def test_a_body_without_the_request_envelope_is_refused(bepaid):
    response = bepaid.post(PAYMENTS, json=valid_request()["request"])

    assert response.status_code == 422
    assert response.json() == {
        "message": "Request can't be blank",
        "errors": {"request": ["can't be blank"]},
    }
