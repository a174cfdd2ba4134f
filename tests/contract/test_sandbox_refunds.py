"""Card refunds: ``POST /transactions/refunds`` as bePaid documents it, over loopback HTTP.

docs.bepaid.by/en/integration/card_api/transactions/refund: the parent is a payment or a
capture; at most what remains, same currency, several partial refunds; reason required
(≤ 255); duplicate_check (default true) refuses the same parent_uid + amount within 30 s.
"""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from tests.contract.bepaid_support import (
    APPROVED,
    DECLINED,
    THREE_DS_OK,
    advance,
    checkout_request,
    create_checkout,
    pay_checkout,
)

REFUNDS = "/transactions/refunds"


def _paid(bepaid, *, amount=1234, tracking_id="order-42", card=APPROVED, notify=None, **payer):
    body = checkout_request(amount=amount, tracking_id=tracking_id)
    if notify:
        body["checkout"]["settings"]["notification_url"] = notify
    pay_checkout(bepaid, create_checkout(bepaid, body), card, **payer)
    found = bepaid.get(f"/v2/transactions/tracking_id/{tracking_id}").json()["transactions"]
    return found[0]


def _refund(bepaid, parent_uid, amount, reason="Client request", **extra):
    request = {"parent_uid": parent_uid, "amount": amount, "reason": reason, **extra}
    return bepaid.post(REFUNDS, json={"request": request})


def _listed(bepaid, tracking_id="order-42"):
    return bepaid.get(f"/v2/transactions/tracking_id/{tracking_id}").json()["transactions"]


def test_a_full_refund_answers_the_documented_transaction(bepaid):
    payment = _paid(bepaid)

    response = _refund(bepaid, payment["uid"], 1234)

    assert response.status_code == 200, response.text
    refund = response.json()["transaction"]
    assert refund["type"] == "refund"
    assert refund["status"] == "successful"
    assert refund["message"] == "Successfully processed"
    assert refund["parent_uid"] == payment["uid"]
    assert (refund["amount"], refund["currency"]) == (1234, "EUR")
    assert refund["tracking_id"] == "order-42"
    assert refund["reason"] == "Client request"
    assert refund["refund"]["status"] == "successful"
    assert refund["uid"] != payment["uid"]


def test_the_docs_example_request_is_accepted(bepaid):
    """The doc's example: ``{"request": {"parent_uid", "amount": 50, "reason"}}``."""
    payment = _paid(bepaid)

    response = bepaid.post(
        REFUNDS,
        json={"request": {"parent_uid": payment["uid"], "amount": 50, "reason": "Client request"}},
    )

    assert response.status_code == 200
    assert response.json()["transaction"]["amount"] == 50


def test_partial_refunds_then_the_rest_and_never_more(bepaid):
    payment = _paid(bepaid)

    first = _refund(bepaid, payment["uid"], 500)
    rest = _refund(bepaid, payment["uid"], 734)
    more = _refund(bepaid, payment["uid"], 1)

    assert (first.status_code, rest.status_code) == (200, 200)
    assert more.status_code == 422
    assert more.json()["errors"] == {
        "amount": ["must be less than or equal to 0, the amount not yet refunded"]
    }


def test_an_over_refund_is_422_and_records_nothing(bepaid):
    payment = _paid(bepaid)

    response = _refund(bepaid, payment["uid"], 1235)

    assert response.status_code == 422
    assert response.json() == {
        "message": "Amount must be less than or equal to 1234, the amount not yet refunded",
        "errors": {"amount": ["must be less than or equal to 1234, the amount not yet refunded"]},
    }
    assert [t["type"] for t in _listed(bepaid)] == ["payment"]


@pytest.mark.parametrize("currency", ["USD", "BYN", 978])
def test_a_refund_in_another_currency_is_422(bepaid, currency):
    payment = _paid(bepaid)

    response = _refund(bepaid, payment["uid"], 100, currency=currency)

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "base": ["Currency must be EUR, the currency of the transaction"]
    }


def test_the_same_currency_may_be_named(bepaid):
    payment = _paid(bepaid)
    assert _refund(bepaid, payment["uid"], 100, currency="eur").status_code == 200


@pytest.mark.parametrize(
    ("reason", "errors"),
    [
        (None, {"reason": ["can't be blank"]}),
        ("   ", {"reason": ["can't be blank"]}),
        ("x" * 256, {"reason": ["is too long (maximum is 255 characters)"]}),
        (42, {"reason": ["must be a string"]}),
    ],
)
def test_a_missing_or_overlong_reason_is_422(bepaid, reason, errors):
    payment = _paid(bepaid)

    response = _refund(bepaid, payment["uid"], 100, reason=reason)

    assert response.status_code == 422
    assert response.json()["errors"] == errors
    assert len(_listed(bepaid)) == 1


def test_a_reason_of_255_characters_is_accepted(bepaid):
    payment = _paid(bepaid)
    assert _refund(bepaid, payment["uid"], 100, reason="x" * 255).status_code == 200


def test_a_duplicate_within_30_sandbox_seconds_is_refused_and_allowed_after(bepaid):
    payment = _paid(bepaid)
    assert _refund(bepaid, payment["uid"], 100).status_code == 200

    duplicate = _refund(bepaid, payment["uid"], 100)
    other_amount = _refund(bepaid, payment["uid"], 101)
    advance(bepaid, 31)
    later = _refund(bepaid, payment["uid"], 100)

    assert duplicate.status_code == 422
    assert duplicate.json()["errors"] == {
        "base": [
            "Duplicate refund: the same amount was refunded for this transaction "
            "less than 30 seconds ago"
        ]
    }
    assert other_amount.status_code == 200
    assert later.status_code == 200
    assert [t["amount"] for t in _listed(bepaid) if t["type"] == "refund"] == [100, 101, 100]


def test_duplicate_check_false_allows_the_same_refund_at_once(bepaid):
    payment = _paid(bepaid)
    _refund(bepaid, payment["uid"], 100)

    again = _refund(bepaid, payment["uid"], 100, duplicate_check=False)

    assert again.status_code == 200


def test_a_failed_payment_cannot_be_refunded(bepaid):
    payment = _paid(bepaid, card=DECLINED)

    response = _refund(bepaid, payment["uid"], 100)

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "base": [
            "The refund is only possible for a successful payment or capture: "
            "this transaction is a failed payment"
        ]
    }


def test_an_unpaid_3ds_payment_cannot_be_refunded(bepaid):
    payment = _paid(bepaid, card=THREE_DS_OK, three_ds_code=None)  # stops at the challenge
    assert payment["status"] == "incomplete"

    response = _refund(bepaid, payment["uid"], 100)

    assert response.status_code == 422
    assert "incomplete payment" in response.json()["message"]


def test_an_authorization_is_voided_not_refunded(bepaid):
    body = checkout_request(tracking_id="hold")
    body["checkout"]["transaction_type"] = "authorization"
    pay_checkout(bepaid, create_checkout(bepaid, body), APPROVED)
    (hold,) = _listed(bepaid, "hold")

    assert _refund(bepaid, hold["uid"], 100).status_code == 422
    captured = bepaid.post(
        "/transactions/captures", json={"request": {"parent_uid": hold["uid"], "amount": 1000}}
    ).json()["transaction"]
    refunded = _refund(bepaid, captured["uid"], 1000)
    assert refunded.status_code == 200
    assert _refund(bepaid, captured["uid"], 1, duplicate_check=False).status_code == 422


def test_an_unknown_parent_is_422(bepaid):
    response = _refund(bepaid, "123456789-abcdef0123", 100)

    assert response.status_code == 422
    assert response.json() == {
        "message": "Parent uid not found",
        "errors": {"parent_uid": ["not found"]},
    }


def test_a_refund_is_visible_where_bepaid_shows_transactions(bepaid):
    payment = _paid(bepaid)
    refund = _refund(bepaid, payment["uid"], 300).json()["transaction"]

    by_uid = bepaid.get(f"/transactions/{refund['uid']}").json()["transaction"]
    parent = bepaid.get(f"/transactions/{payment['uid']}").json()["transaction"]
    listed = _listed(bepaid)
    older_path = bepaid.get("/transactions/tracking_id/order-42").json()["transactions"]
    admin = bepaid.get(f"/__sandbox/transactions/{payment['uid']}/refunds").json()

    assert by_uid == refund
    assert parent == payment  # the payment itself is not rewritten
    assert [t["uid"] for t in listed] == [refund["uid"], payment["uid"]]
    assert older_path == listed
    assert admin == {"refunds": [refund]}


def test_a_refund_needs_the_shop_credentials(anonymous):
    response = anonymous.post(REFUNDS, json={"request": {"parent_uid": "x", "amount": 1}})
    assert response.status_code == 401


def test_a_refund_is_notified_signed_to_the_payments_notification_url(bepaid, webhook_catcher):
    hook = f"{webhook_catcher.url}/hook"
    payment = _paid(bepaid, notify=hook)
    webhook_catcher.wait_for(1)  # the payment's own notification

    refund = _refund(bepaid, payment["uid"], 200).json()["transaction"]

    caught = webhook_catcher.wait_for(2)[1]
    assert json.loads(caught.body) == {"transaction": refund}
    key = serialization.load_pem_public_key(bepaid.get("/__sandbox/public-key").content)
    signature = base64.b64decode(caught.headers["content-signature"])
    key.verify(signature, caught.body, padding.PKCS1v15(), hashes.SHA256())  # raises if wrong
    scheme, _, credentials = caught.headers["authorization"].partition(" ")
    assert (scheme, base64.b64decode(credentials)) == ("Basic", b"361:sandbox-secret")


# -- faults apply to the refund route as to any other call ---------------------------------


def _fault(bepaid, **spec):
    response = bepaid.post("/__sandbox/faults", json={"method": "POST", "path": REFUNDS, **spec})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("spec", "status"),
    [({"kind": "error", "status": 503}, 503), ({"kind": "rate_limit", "retry_after": 2}, 429)],
)
def test_an_error_or_rate_limit_fault_refunds_nothing(bepaid, spec, status):
    payment = _paid(bepaid)
    _fault(bepaid, **spec)

    response = _refund(bepaid, payment["uid"], 100)

    assert response.status_code == status
    assert [t["type"] for t in _listed(bepaid)] == ["payment"]
    assert _refund(bepaid, payment["uid"], 100).status_code == 200  # then served again


def test_a_dropped_connection_refunds_nothing(bepaid):
    payment = _paid(bepaid)
    _fault(bepaid, kind="drop")

    with pytest.raises(httpx.RemoteProtocolError):
        _refund(bepaid, payment["uid"], 100)

    assert [t["type"] for t in _listed(bepaid)] == ["payment"]


def test_commit_then_timeout_refunds_and_a_blind_retry_is_refused_as_a_duplicate(
    bepaid, wait_until
):
    """The client never hears, but the money went back: reconcile, never refund twice."""
    payment = _paid(bepaid)
    _fault(bepaid, kind="commit_then_timeout", seconds=1.0)

    with pytest.raises(httpx.ReadTimeout):
        bepaid.post(
            REFUNDS,
            json={"request": {"parent_uid": payment["uid"], "amount": 100, "reason": "r"}},
            timeout=0.3,
        )

    refunds = wait_until(
        lambda: [t for t in _listed(bepaid) if t["type"] == "refund"], what="the refund"
    )
    assert [r["amount"] for r in refunds] == [100]
    retry = _refund(bepaid, payment["uid"], 100, reason="r")
    assert retry.status_code == 422
    assert "Duplicate refund" in retry.json()["message"]
