"""Alternative-payment refunds: ``POST /beyag/transactions/refunds``, over loopback HTTP.

docs.bepaid.by/en/integration/apm_api/transactions/refund: parent_uid and reason
required, amount optional, tracking_id optional; not every method supports refunds.
"""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

REFUNDS = "/beyag/transactions/refunds"


def _payment(bepaid, *, method="erip", outcome="successful", notify=None, tracking_id="apm-1"):
    request = {
        "amount": 990,
        "currency": "BYN",
        "description": "Order",
        "tracking_id": tracking_id,
        "return_url": "https://shop.example/return",
        "method": {"type": method},
    }
    if notify:
        request["notification_url"] = notify
    created = bepaid.post("/beyag/transactions/payments", json={"request": request})
    assert created.status_code == 200, created.text
    uid = created.json()["transaction"]["uid"]
    if outcome:
        answer = bepaid.post(f"/__sandbox/beyag/{uid}/pay", json={"outcome": outcome})
        assert answer.status_code == 200
    return uid


def _refund(bepaid, parent_uid, **fields):
    request = {"parent_uid": parent_uid, "reason": "reason", **fields}
    return bepaid.post(REFUNDS, json={"request": request})


def test_the_docs_example_refunds_part_and_then_the_rest(bepaid):
    """The doc's example request: ``{"parent_uid", "reason": "reason", "amount": 50}``."""
    uid = _payment(bepaid)

    part = _refund(bepaid, uid, amount=50)
    rest = _refund(bepaid, uid)  # no amount: what remains
    more = _refund(bepaid, uid, amount=1)

    assert part.status_code == 200, part.text
    refund = part.json()["transaction"]
    assert (refund["type"], refund["status"], refund["parent_uid"]) == ("refund", "successful", uid)
    assert (refund["amount"], refund["currency"], refund["tracking_id"]) == (50, "BYN", "apm-1")
    assert refund["created_at"] and refund["updated_at"]
    assert rest.json()["transaction"]["amount"] == 940
    assert more.status_code == 422
    assert more.json()["errors"] == {"base": ["The payment is already refunded in full"]}


def test_a_refund_is_found_by_uid_and_by_tracking_id(bepaid):
    uid = _payment(bepaid)
    refund = _refund(bepaid, uid, amount=100, tracking_id="apm-1;refund-7").json()["transaction"]

    by_uid = bepaid.get(f"/beyag/transactions/{refund['uid']}")
    by_parent_tracking = bepaid.get("/beyag/transactions/tracking_id/apm-1").json()
    by_own_tracking = bepaid.get("/beyag/transactions/tracking_id/refund-7").json()
    admin = bepaid.get(f"/__sandbox/beyag/{uid}/refunds").json()

    assert by_uid.json() == {"transaction": refund}
    assert [t["uid"] for t in by_parent_tracking["transactions"]] == [refund["uid"], uid]
    assert [t["uid"] for t in by_own_tracking["transactions"]] == [refund["uid"]]
    assert admin == {"refunds": [refund]}


@pytest.mark.parametrize("method", ["alipay", "qiwi", "webmoney", "yandex"])
def test_a_method_without_refunds_says_so(bepaid, method):
    uid = _payment(bepaid, method=method)

    response = _refund(bepaid, uid, amount=100)

    assert response.status_code == 422
    message = f"Refunds are not supported by the {method} payment method"
    assert response.json() == {"message": message, "errors": {"base": [message]}}


@pytest.mark.parametrize("outcome", [None, "failed"])
def test_an_unpaid_or_failed_payment_cannot_be_refunded(bepaid, outcome):
    uid = _payment(bepaid, outcome=outcome)

    response = _refund(bepaid, uid, amount=100)

    assert response.status_code == 422
    assert "only possible for a successful payment" in response.json()["message"]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"reason": None}, {"reason": ["can't be blank"]}),
        ({"reason": "x" * 256}, {"reason": ["is too long (maximum is 255 characters)"]}),
        (
            {"amount": 991},
            {"amount": ["must be less than or equal to 990, the amount not yet refunded"]},
        ),
        ({"amount": 0}, {"amount": ["must be greater than 0"]}),
        ({"amount": "50"}, {"amount": ["must be an integer"]}),
        ({"currency": "RUB"}, {"base": ["Currency must be BYN, the currency of the payment"]}),
    ],
)
def test_a_refund_breaking_a_rule_is_422_and_records_nothing(bepaid, fields, errors):
    uid = _payment(bepaid)

    response = _refund(bepaid, uid, **fields)

    assert response.status_code == 422
    assert response.json()["errors"] == errors
    assert bepaid.get(f"/__sandbox/beyag/{uid}/refunds").json() == {"refunds": []}


def test_an_unknown_parent_is_422(bepaid):
    response = _refund(bepaid, "0b2e8c4e-0000-4000-8000-000000000000", amount=1)

    assert response.status_code == 422
    assert response.json()["errors"] == {"parent_uid": ["not found"]}


def test_an_apm_refund_is_notified_signed(bepaid, webhook_catcher):
    hook = f"{webhook_catcher.url}/hook"
    uid = _payment(bepaid, notify=hook)
    webhook_catcher.wait_for(1)

    refund = _refund(bepaid, uid, amount=90).json()["transaction"]

    caught = webhook_catcher.wait_for(2)[1]
    assert json.loads(caught.body) == {"transaction": refund}
    key = serialization.load_pem_public_key(bepaid.get("/__sandbox/public-key").content)
    signature = base64.b64decode(caught.headers["content-signature"])
    key.verify(signature, caught.body, padding.PKCS1v15(), hashes.SHA256())
