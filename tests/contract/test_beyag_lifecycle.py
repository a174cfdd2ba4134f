"""beyag: pending → successful | failed by the payer, → expired on the sandbox clock."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig, iso
from tests.support.servers import free_port, serve

PAYMENTS = "/beyag/transactions/payments"


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory):
    """One sandbox for the whole module: each test works on records it creates."""
    port = free_port()
    state = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(state)))
    with serve(app, port) as base_url:
        yield base_url, app
    app.state.sandbox.store.close()


def create(client, **changes):
    body = {
        "amount": 990,
        "currency": "RUB",
        "description": "Order",
        "tracking_id": "order-1",
        "return_url": "https://shop.example/return",
        "method": {"type": "qiwi"},
    }
    body.update(changes)
    return client.post(PAYMENTS, json={"request": body}).json()["transaction"]


def admin_pay(client, uid, outcome):
    return client.post(f"/__sandbox/beyag/{uid}/pay", json={"outcome": outcome})


def fetch(client, uid):
    return client.get(f"/beyag/transactions/{uid}").json()["transaction"]


def test_a_successful_payment_is_paid_and_loses_its_form(bepaid, sandbox):
    created = create(bepaid)
    sandbox.advance(30)

    response = admin_pay(bepaid, created["uid"], "successful")

    assert response.status_code == 200
    transaction = fetch(bepaid, created["uid"])
    assert response.json()["transaction"] == transaction
    assert transaction["status"] == "successful"
    assert transaction["message"] == "Successfully processed"
    assert transaction["paid_at"] == transaction["updated_at"] != transaction["created_at"]
    assert transaction["payment"]["status"] == "successful"
    assert transaction["payment"]["ref_id"]
    assert transaction["payment"]["message"] == "The operation was successfully processed"
    assert "form" not in transaction


def test_a_failed_payment_is_not_paid(bepaid):
    created = create(bepaid)

    admin_pay(bepaid, created["uid"], "failed")

    transaction = fetch(bepaid, created["uid"])
    assert transaction["status"] == "failed"
    assert transaction["paid_at"] is None
    assert transaction["payment"]["ref_id"] is None


def test_a_finished_payment_cannot_be_paid_again(bepaid):
    created = create(bepaid)
    admin_pay(bepaid, created["uid"], "failed")

    response = admin_pay(bepaid, created["uid"], "successful")

    assert response.status_code == 409
    assert fetch(bepaid, created["uid"])["status"] == "failed"


def test_an_unpaid_payment_expires_when_the_clock_passes_expired_at(bepaid, sandbox):
    created = create(bepaid, expired_at=iso(sandbox.now() + timedelta(minutes=30)))

    sandbox.advance(29 * 60)
    assert fetch(bepaid, created["uid"])["status"] == "pending"

    sandbox.advance(61)
    transaction = fetch(bepaid, created["uid"])
    assert transaction["status"] == "expired"
    assert transaction["message"] == "Transaction expired"
    assert transaction["payment"]["status"] == "expired"
    assert admin_pay(bepaid, created["uid"], "successful").status_code == 409


def test_a_paid_payment_does_not_expire(bepaid, sandbox):
    created = create(bepaid, expired_at=iso(sandbox.now() + timedelta(minutes=5)))
    admin_pay(bepaid, created["uid"], "successful")

    sandbox.advance(3600)

    assert fetch(bepaid, created["uid"])["status"] == "successful"


def test_a_payment_without_expired_at_never_expires(bepaid, sandbox):
    created = create(bepaid)

    sandbox.advance(400 * 86400)

    assert fetch(bepaid, created["uid"])["status"] == "pending"


def test_a_recurring_contract_returns_a_method_token_on_success(bepaid):
    created = create(bepaid, additional_data={"contract": ["recurring"]})

    admin_pay(bepaid, created["uid"], "successful")

    token = fetch(bepaid, created["uid"])["qiwi"]["token"]
    assert token and len(token) >= 16


def test_without_a_recurring_contract_there_is_no_token(bepaid):
    created = create(bepaid)

    admin_pay(bepaid, created["uid"], "successful")

    assert "token" not in fetch(bepaid, created["uid"])["qiwi"]


class Receiver:
    """A loopback notification_url that records every body it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.arrived = threading.Condition()

    async def endpoint(self, request: Request) -> Response:
        body = json.loads(await request.body())
        with self.arrived:
            self.bodies.append(body)
            self.arrived.notify_all()
        return Response("OK")

    def wait_for(self, count: int, timeout: float = 10) -> list[dict]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.bodies) >= count, timeout)
        return self.bodies


@pytest.mark.parametrize("outcome", ["successful", "failed", "expired"])
def test_the_final_status_is_notified_with_the_transaction(bepaid, sandbox, outcome):
    receiver = Receiver()
    app = Starlette(routes=[Route("/notify", receiver.endpoint, methods=["POST"])])
    with serve(app) as receiver_url:
        created = create(
            bepaid,
            notification_url=f"{receiver_url}/notify",
            expired_at=iso(sandbox.now() + timedelta(minutes=10)),
        )
        if outcome == "expired":
            sandbox.advance(11 * 60)
        else:
            admin_pay(bepaid, created["uid"], outcome)

        [body] = receiver.wait_for(1)

    assert body == {"transaction": fetch(bepaid, created["uid"])}
    assert body["transaction"]["status"] == outcome


@pytest.mark.parametrize(
    ("payload", "status"),
    [({"outcome": "maybe"}, 422), ({}, 422), ({"outcome": "successful"}, 404)],
)
def test_admin_pay_rejects_bad_outcomes_and_unknown_uids(bepaid, payload, status):
    created = create(bepaid)
    uid = created["uid"] if status == 422 else "no-such-uid"

    assert bepaid.post(f"/__sandbox/beyag/{uid}/pay", json=payload).status_code == status


def test_the_state_section_lists_transactions_newest_first(bepaid):
    first = create(bepaid, tracking_id="a")
    second = create(bepaid, tracking_id="b")
    admin_pay(bepaid, first["uid"], "successful")

    listed = bepaid.get("/__sandbox/state").json()["beyag"]["transactions"]

    assert [(t["uid"], t["status"]) for t in listed[:2]] == [
        (second["uid"], "pending"),
        (first["uid"], "successful"),
    ]
    assert listed[0]["pay_page"].startswith(second["form"]["action"])
