"""bePaid card transactions: read by uid, found by tracking id (10 newest first)."""

from __future__ import annotations

from tests.contract.bepaid_support import (
    APPROVED,
    DECLINED,
    THREE_DS_OK,
    advance,
    create_checkout,
    pay_checkout,
)


def test_a_paid_checkout_has_a_transaction_with_the_card_and_order(bepaid):
    token = create_checkout(bepaid, amount=2500, currency="BYN", tracking_id="order-9")
    uid = pay_checkout(bepaid, token, APPROVED, holder="JANE PAYER")["transaction"]["uid"]

    response = bepaid.get(f"/transactions/{uid}")

    assert response.status_code == 200
    transaction = response.json()["transaction"]
    assert transaction["uid"] == uid
    assert transaction["status"] == "successful"
    assert transaction["message"] == "Successfully processed"
    assert (transaction["amount"], transaction["currency"]) == (2500, "BYN")
    assert transaction["tracking_id"] == "order-9"
    assert transaction["description"] == "Order 42"
    assert transaction["type"] == "payment"
    assert transaction["test"] is True
    assert transaction["paid_at"] == transaction["created_at"]
    assert transaction["three_d_secure_verification"] is None
    card = transaction["credit_card"]
    assert (card["last_4"], card["first_1"], card["bin"]) == ("0000", "4", "420000")
    assert (card["brand"], card["holder"]) == ("visa", "JANE PAYER")
    assert "number" not in card and APPROVED not in str(transaction)


def test_a_declined_transaction_is_failed_and_unpaid(bepaid):
    token = create_checkout(bepaid)
    uid = pay_checkout(bepaid, token, DECLINED)["transaction"]["uid"]

    transaction = bepaid.get(f"/transactions/{uid}").json()["transaction"]

    assert transaction["status"] == "failed"
    assert transaction["message"] == "Payment declined"
    assert transaction["paid_at"] is None
    assert transaction["payment"]["auth_code"] is None


def test_a_3ds_transaction_records_the_verification(bepaid):
    token = create_checkout(bepaid)
    uid = pay_checkout(bepaid, token, THREE_DS_OK)["transaction"]["uid"]

    verification = bepaid.get(f"/transactions/{uid}").json()["transaction"][
        "three_d_secure_verification"
    ]

    assert verification["status"] == "successful"
    assert (verification["ve_status"], verification["pa_status"]) == ("Y", "Y")


def test_an_unknown_uid_is_404(bepaid):
    response = bepaid.get("/transactions/000000000-0000000000")
    assert response.status_code == 404
    assert response.json() == {"message": "Record not found", "errors": {}}


def test_tracking_id_lookup_returns_the_ten_newest_first(bepaid, anonymous):
    uids = []
    for _ in range(12):
        token = create_checkout(bepaid, tracking_id="order-77")
        uids.append(pay_checkout(bepaid, token, APPROVED)["transaction"]["uid"])
        advance(anonymous, 60)
    other = create_checkout(bepaid, tracking_id="order-78")
    pay_checkout(bepaid, other, APPROVED)

    response = bepaid.get("/v2/transactions/tracking_id/order-77")

    assert response.status_code == 200
    found = response.json()["transactions"]
    assert [t["uid"] for t in found] == list(reversed(uids))[:10]
    assert {t["tracking_id"] for t in found} == {"order-77"}


def test_one_match_still_answers_the_list_envelope(bepaid):
    token = create_checkout(bepaid, tracking_id="only-one")
    uid = pay_checkout(bepaid, token, APPROVED)["transaction"]["uid"]

    found = bepaid.get("/v2/transactions/tracking_id/only-one").json()["transactions"]

    assert [t["uid"] for t in found] == [uid]


def test_an_unknown_tracking_id_is_an_empty_list(bepaid):
    """The official PHP SDK's test against bePaid's demo gateway expects exactly this."""
    response = bepaid.get("/v2/transactions/tracking_id/never-used")
    assert response.status_code == 200
    assert response.json() == {"transactions": []}
