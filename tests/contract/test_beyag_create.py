"""beyag: creating an alternative-method payment answers like the beGateway doc."""

from __future__ import annotations

import copy
from datetime import timedelta

import httpx
import pytest

from provider_sandbox.app import create_app
from provider_sandbox.beyag.validation import SUPPORTED_METHOD_TYPES
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


#: The doc's request example ("Пример запроса"), verbatim.
DOC_REQUEST = {
    "request": {
        "amount": 100,
        "currency": "USD",
        "description": "description",
        "test": False,
        "expired_at": "2025-01-01T15:00:00+01:00",
        "tracking_id": "your_uniq_number",
        "ip": "127.0.0.1",
        "language": "en",
        "notification_url": "https://merchant.ltd/notification",
        "return_url": "https://merchant.ltd/return",
        "customer": {
            "first_name": "John",
            "last_name": "Doe",
            "middle_name": "Mid",
            "country": "US",
            "city": "Denver",
            "zip": "96002",
            "address": "1st Street",
            "phone": "17777777777",
            "device_id": "12312312321fff67",
            "external_id": "123bh7",
            "taxpayer_id": "010200A9618",
        },
        "method": {"type": ":method_name"},
    }
}

#: Keys of the doc's "response with form parameters" example (plus updated_at and
#: message, listed as response fields in the doc's table).
DOC_RESPONSE_KEYS = {
    "status", "type", "uid", "amount", "currency", "description", "tracking_id",
    "created_at", "updated_at", "expired_at", "paid_at", "test", "method_type",
    "receipt_url", "language", "message", "billing_address", "customer", "payment", "form",
}  # fmt: skip


def doc_request(sandbox, **changes):
    """The doc's example; its expired_at (2025-01-01) has passed, so it moves a day ahead."""
    body = copy.deepcopy(DOC_REQUEST)
    body["request"]["expired_at"] = iso(sandbox.now() + timedelta(days=1))
    body["request"].update(changes)
    return body


def test_the_docs_example_request_is_accepted_with_the_docs_response_shape(bepaid, sandbox):
    response = bepaid.post(PAYMENTS, json=doc_request(sandbox))

    assert response.status_code == 200
    transaction = response.json()["transaction"]
    assert DOC_RESPONSE_KEYS | {":method_name"} == set(transaction)
    assert transaction["status"] == "pending"
    assert transaction["type"] == "payment"
    assert (transaction["amount"], transaction["currency"]) == (100, "USD")
    assert transaction["tracking_id"] == "your_uniq_number"
    assert transaction["method_type"] == ":method_name"
    assert transaction[":method_name"] == {"type": ":method_name"}
    assert transaction["customer"] == {"ip": "127.0.0.1", "email": None}
    assert transaction["billing_address"]["city"] == "Denver"
    assert transaction["billing_address"]["middle_name"] == "Mid"
    assert transaction["payment"] == {
        "status": "pending",
        "gateway_id": 1,
        "ref_id": None,
        "message": None,
        "bank_code": None,
        "rrn": None,
    }


def test_the_form_posts_a_hidden_session_id_to_the_sandbox_payment_system(
    bepaid, sandbox, sandbox_url
):
    transaction = bepaid.post(PAYMENTS, json=doc_request(sandbox)).json()["transaction"]

    form = transaction["form"]
    assert form["action"] == f"{sandbox_url}/external/apm/{transaction['uid']}"
    assert form["method"] == "POST"
    [field] = form["fields"]
    assert {field["type"], field["name"], field["id"]} == {"hidden", "sid"}
    assert len(field["value"]) == 32


@pytest.mark.parametrize("method_type", SUPPORTED_METHOD_TYPES)
def test_every_supported_method_type_is_accepted(bepaid, sandbox, method_type):
    body = doc_request(sandbox, method={"type": method_type, "account": "me@example.com"})

    transaction = bepaid.post(PAYMENTS, json=body).json()["transaction"]

    assert transaction["method_type"] == method_type
    assert transaction[method_type] == {"type": method_type, "account": "me@example.com"}


def test_a_minimal_request_gets_defaults(bepaid):
    body = {
        "request": {
            "amount": 1,
            "currency": "BYN",
            "description": "Order 1",
            "return_url": "http://127.0.0.1/return",
            "method": {"type": "erip"},
        }
    }

    transaction = bepaid.post(PAYMENTS, json=body).json()["transaction"]

    assert transaction["language"] == "en"
    assert transaction["test"] is False
    assert transaction["expired_at"] is None
    assert transaction["tracking_id"] is None


def test_expired_at_is_returned_in_utc(bepaid, sandbox):
    moment = sandbox.now() + timedelta(hours=2)
    local = moment.astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
    local = f"{local[:-2]}:{local[-2:]}"

    transaction = bepaid.post(PAYMENTS, json=doc_request(sandbox, expired_at=local)).json()

    assert transaction["transaction"]["expired_at"] == iso(moment)


@pytest.mark.parametrize("auth", [None, ("361", "wrong-secret"), ("other-shop", "sandbox-secret")])
def test_requests_without_the_shop_credentials_are_refused(sandbox_url, sandbox, auth):
    response = httpx.post(f"{sandbox_url}{PAYMENTS}", json=doc_request(sandbox), auth=auth)

    assert response.status_code == 401
    assert response.json()["message"] == "Unauthorized"
