"""Payture: billStatus follows PENDING → PAID → DONE, or AMOUNT_MISMATCH, like the doc."""

from __future__ import annotations

import pytest

from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from provider_sandbox.payture.bills import DONE_AFTER_SECONDS
from tests.support.servers import free_port, serve

API = "/api/payments/20/payture"
TOKEN = "sandbox-token"
MONTHLY = "550e8400-e29b-41d4-a716-446655440001"  # 99900 RUB, direct
GIFT = "550e8400-e29b-41d4-a716-446655440007"  # 249900 RUB, gift
DOC_BILL = "cc0e8400-e29b-41d4-a716-446655440009"


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory):
    """One sandbox for the whole module: each test works on records it creates."""
    port = free_port()
    state = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(state)))
    with serve(app, port) as base_url:
        yield base_url, app
    app.state.sandbox.store.close()


def call(client, method, **body):
    return client.post(f"{API}/{method}", json={"access_token": TOKEN, **body})


def new_bill(client, product=MONTHLY):
    return call(client, "billCreate", subscription_id=product).json()["data"]["bill_id"]


def status(client, bill_id):
    return call(client, "billStatus", bill_id=bill_id).json()


def admin_pay(client, bill_id, **body):
    return client.post(f"/__sandbox/payture/{bill_id}/pay", json=body)


def test_the_docs_bill_id_answers_the_docs_pending_example(anonymous):
    assert status(anonymous, DOC_BILL) == {
        "success": True,
        "data": {"bill_info": {"bill_status": "PENDING", "amount": 99900}, "status": "PENDING"},
    }


def test_a_paid_bill_answers_the_docs_paid_example(anonymous):
    bill_id = new_bill(anonymous)

    admin_pay(anonymous, bill_id)

    assert status(anonymous, bill_id) == {
        "success": True,
        "data": {"bill_info": {"bill_status": "PAID", "amount": 99900}, "status": "PAID"},
    }


def test_paid_becomes_done_a_minute_later_on_the_sandbox_clock(anonymous, sandbox):
    bill_id = new_bill(anonymous)
    admin_pay(anonymous, bill_id)

    sandbox.advance(DONE_AFTER_SECONDS - 5)
    assert status(anonymous, bill_id)["data"]["status"] == "PAID"

    sandbox.advance(6)
    assert status(anonymous, bill_id) == {
        "success": True,
        "data": {"bill_info": {"bill_status": "PAID", "amount": 99900}, "status": "DONE"},
    }


def test_an_unpaid_bill_stays_pending_however_long_it_waits(anonymous, sandbox):
    bill_id = new_bill(anonymous)

    sandbox.advance(30 * 86400)

    assert status(anonymous, bill_id)["data"]["status"] == "PENDING"


@pytest.mark.parametrize("paid", [99899, 99901, 1])
def test_paying_a_different_amount_is_amount_mismatch_as_in_the_doc(anonymous, sandbox, paid):
    bill_id = new_bill(anonymous)

    response = admin_pay(anonymous, bill_id, amount=paid)

    assert response.json()["status"] == "AMOUNT_MISMATCH"
    expected = {
        "success": False,
        "data": {"bill_info": {"bill_status": "PAID", "amount": paid}, "status": "AMOUNT_MISMATCH"},
    }
    assert status(anonymous, bill_id) == expected
    sandbox.advance(10 * DONE_AFTER_SECONDS)
    assert status(anonymous, bill_id) == expected  # a mismatch is final: never DONE


def test_paying_exactly_the_price_is_not_a_mismatch(anonymous):
    bill_id = new_bill(anonymous)

    admin_pay(anonymous, bill_id, amount=99900)

    assert status(anonymous, bill_id)["data"]["status"] == "PAID"


def test_a_gift_product_yields_a_gift_code_that_stays_when_done(anonymous, sandbox):
    bill_id = new_bill(anonymous, GIFT)
    assert "gift" not in status(anonymous, bill_id)["data"]["bill_info"]

    admin_pay(anonymous, bill_id)
    paid = status(anonymous, bill_id)["data"]
    sandbox.advance(DONE_AFTER_SECONDS)
    done = status(anonymous, bill_id)["data"]

    code = paid["bill_info"]["gift"]["code"]
    assert code.startswith("GIFT-") and len(code) == len("GIFT-ABC123")
    assert paid["bill_info"] == {"bill_status": "PAID", "amount": 249900, "gift": {"code": code}}
    assert done["bill_info"]["gift"] == {"code": code}
    assert done["status"] == "DONE"


def test_gift_codes_differ_between_bills(anonymous):
    codes = set()
    for _ in range(3):
        bill_id = new_bill(anonymous, GIFT)
        admin_pay(anonymous, bill_id)
        codes.add(status(anonymous, bill_id)["data"]["bill_info"]["gift"]["code"])

    assert len(codes) == 3


def test_a_direct_product_has_no_gift_code(anonymous):
    bill_id = new_bill(anonymous)

    admin_pay(anonymous, bill_id)

    assert "gift" not in status(anonymous, bill_id)["data"]["bill_info"]


def test_an_underpaid_gift_gets_no_code(anonymous):
    bill_id = new_bill(anonymous, GIFT)

    admin_pay(anonymous, bill_id, amount=100)

    assert "gift" not in status(anonymous, bill_id)["data"]["bill_info"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"bill_id": ""}, "bill_id can not be empty"),
        ({}, "bill_id can not be empty"),
        ({"bill_id": None}, "bill_id can not be empty"),
        ({"bill_id": "cc0e8400"}, "Invalid UUID format: bill_id"),
        ({"bill_id": "zz0e8400-e29b-41d4-a716-446655440009"}, "Invalid UUID format: bill_id"),
        ({"bill_id": "cc0e8400-e29b-41d4-a716-446655440010"}, "Bill not found"),
    ],
)
def test_bad_bill_ids_answer_success_false_with_a_message(anonymous, body, message):
    response = call(anonymous, "billStatus", **body)

    assert response.status_code == 200
    assert response.json() == {"success": False, "message": message}


def test_a_bill_id_in_upper_case_is_the_same_bill(anonymous):
    assert status(anonymous, DOC_BILL.upper())["data"]["status"] == "PENDING"
