"""Notifications: signed like bePaid's, Basic-authenticated, retried in sandbox time."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from tests.support.servers import free_port

PAYLOAD = {
    "transaction": {
        "uid": "123456789-abcdef0123",
        "status": "successful",
        "amount": 1999,
        "currency": "BYN",
        "description": "Оплата заказа №42 — «кофе»",
        "tracking_id": "order-42",
    }
}


def verify(public_key_pem: str, body: bytes, signature_b64: str) -> bool:
    key = serialization.load_pem_public_key(public_key_pem.encode())
    try:
        key.verify(base64.b64decode(signature_b64), body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def only_notification(client: httpx.Client) -> dict:
    (item,) = client.get("/__sandbox/notifications").json()["notifications"]
    return item


def test_notification_is_signed_over_the_exact_body_with_the_published_key(
    sandbox, anonymous, webhook_catcher, wait_until
):
    sandbox.notify(f"{webhook_catcher.url}/hook", PAYLOAD)

    (caught,) = webhook_catcher.wait_for(1)
    public_key = anonymous.get("/__sandbox/public-key").text
    assert caught.method == "POST"
    assert caught.path == "/hook"
    assert caught.headers["content-type"] == "application/json"
    assert json.loads(caught.body) == PAYLOAD
    assert verify(public_key, caught.body, caught.headers["content-signature"])
    # The signature covers these bytes and nothing else.
    tampered = caught.body.replace(b"1999", b"9999")
    assert not verify(public_key, tampered, caught.headers["content-signature"])
    wait_until(lambda: _in_state(anonymous, "delivered"), what="delivery recorded")


def test_notification_carries_the_shop_credentials_as_http_basic(sandbox, webhook_catcher):
    sandbox.notify(f"{webhook_catcher.url}/hook", PAYLOAD)

    (caught,) = webhook_catcher.wait_for(1)
    scheme, _, value = caught.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(value).decode() == "361:sandbox-secret"


def test_no_url_means_no_notification(sandbox, anonymous):
    sandbox.notify(None, PAYLOAD)
    sandbox.notify("", PAYLOAD)
    assert anonymous.get("/__sandbox/notifications").json()["notifications"] == []


def test_a_rolled_back_change_sends_no_notification(sandbox, anonymous):
    """Emulators notify inside their transaction: no change, no notification."""
    with pytest.raises(RuntimeError), sandbox.store.tx():
        sandbox.notify("http://127.0.0.1:9/hook", PAYLOAD)
        raise RuntimeError("the state change failed")
    assert anonymous.get("/__sandbox/notifications").json()["notifications"] == []


@pytest.mark.parametrize(
    "first_answers",
    [(500, 500), (503, 404), (201, 302)],
    ids=["server-errors", "unavailable-then-not-found", "non-200-success-and-redirect"],
)
def test_non_200_answers_are_retried_with_backoff_in_sandbox_time(
    first_answers, sandbox, anonymous, webhook_catcher, wait_until
):
    webhook_catcher.answer(*first_answers)
    sandbox.notify(f"{webhook_catcher.url}/hook", PAYLOAD)

    for attempt, backoff in [(1, 60), (2, 120)]:
        webhook_catcher.wait_for(attempt)
        item = wait_until(lambda n=attempt: _with_attempts(anonymous, n), what="attempt recorded")
        assert item["state"] == "pending"
        assert item["last_status"] == first_answers[attempt - 1]
        due_in = _parse(item["next_at"]) - _parse(anonymous.get("/__sandbox/clock").json()["now"])
        assert timedelta(seconds=backoff / 2) <= due_in <= timedelta(seconds=backoff + 1)
        anonymous.post("/__sandbox/clock/advance", json={"seconds": backoff})

    caught = webhook_catcher.wait_for(3)
    item = wait_until(lambda: _in_state(anonymous, "delivered"), what="delivery")
    assert item["attempts"] == 3
    assert item["last_status"] == 200
    assert {c.body for c in caught} == {caught[0].body}  # the same bytes every time
    assert len({c.headers["content-signature"] for c in caught}) == 1


@pytest.mark.parametrize("receiver", ["answers-500", "refuses-connections"])
def test_delivery_gives_up_after_the_maximum_attempts(
    receiver, start_sandbox, client_for, webhook_catcher, wait_until
):
    webhook_catcher.always(500)
    url = (
        f"{webhook_catcher.url}/hook"
        if receiver == "answers-500"
        else f"http://127.0.0.1:{free_port()}/hook"
    )
    with (
        start_sandbox(notify_max_attempts=3) as (base_url, app),
        client_for(base_url) as client,
    ):
        app.state.sandbox.notify(url, PAYLOAD)
        for attempt in (1, 2):
            wait_until(lambda n=attempt: _with_attempts(client, n), what=f"attempt {attempt}")
            client.post("/__sandbox/clock/advance", json={"days": 1})
        item = wait_until(lambda: _in_state(client, "gave_up"), what="giving up")

    assert item["attempts"] == 3
    if receiver == "answers-500":
        assert item["last_status"] == 500
        assert len(webhook_catcher.requests) == 3
    else:
        assert item["last_status"] is None
        assert item["last_error"]


def test_a_notification_that_gave_up_can_be_retried_by_hand(
    start_sandbox, client_for, webhook_catcher, wait_until
):
    webhook_catcher.answer(500)
    with (
        start_sandbox(notify_max_attempts=1) as (base_url, app),
        client_for(base_url) as client,
    ):
        app.state.sandbox.notify(f"{webhook_catcher.url}/hook", PAYLOAD)
        item = wait_until(lambda: _in_state(client, "gave_up"), what="giving up")
        assert client.post(f"/__sandbox/notifications/{item['id']}/retry").status_code == 200
        item = wait_until(lambda: _in_state(client, "delivered"), what="manual redelivery")
        assert client.post(f"/__sandbox/notifications/{item['id']}/retry").status_code == 404

    assert len(webhook_catcher.wait_for(2)) == 2


def test_notifications_can_be_listed_by_state(sandbox, anonymous, webhook_catcher, wait_until):
    sandbox.notify(f"{webhook_catcher.url}/hook", PAYLOAD)
    wait_until(lambda: _in_state(anonymous, "delivered"), what="delivery")

    delivered = anonymous.get("/__sandbox/notifications", params={"state": "delivered"}).json()
    pending = anonymous.get("/__sandbox/notifications", params={"state": "pending"}).json()
    assert [n["payload"] for n in delivered["notifications"]] == [PAYLOAD]
    assert pending["notifications"] == []
    assert delivered["counts"] == {"pending": 0, "delivered": 1, "gave_up": 0}
    bad = anonymous.get("/__sandbox/notifications", params={"state": "lost"})
    assert bad.status_code == 422


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _with_attempts(client: httpx.Client, attempts: int) -> dict | None:
    item = only_notification(client)
    return item if item["attempts"] >= attempts else None


def _in_state(client: httpx.Client, state: str) -> dict | None:
    item = only_notification(client)
    return item if item["state"] == state else None
