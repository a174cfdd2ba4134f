"""The sandbox answers as the providers' documents and official clients expect.

Each test is one documented behaviour the sandbox once got wrong (issue 12, part 2),
checked over loopback HTTP with the examples the documents and SDKs use.
"""

from __future__ import annotations

import pytest

from tests.contract.bepaid_support import (
    APPROVED,
    DECLINED,
    checkout_request,
    create_checkout,
    get_checkout,
    pay_checkout,
)

TOKEN = "sandbox-token"
MONTHLY = "550e8400-e29b-41d4-a716-446655440001"


# -- a. behind-api versions 10 and 20 ------------------------------------------------------


@pytest.mark.parametrize("version", ["10", "20"])
def test_behind_api_serves_the_python_clients_version_10_and_the_node_clients_20(
    anonymous, version
):
    """PyPI behind-api-client calls /api/payments/10/payture/...; node's V20 the same."""
    api = f"/api/payments/{version}/payture"
    created = anonymous.post(
        f"{api}/billCreate", json={"access_token": TOKEN, "subscription_id": MONTHLY}
    )
    assert created.status_code == 200
    bill_id = created.json()["data"]["bill_id"]

    guest = anonymous.post(
        f"{api}/billCreateUnauthorised",
        json={"access_token": TOKEN, "subscription_id": MONTHLY, "user_id": "guest-1"},
    )
    status = anonymous.post(f"{api}/billStatus", json={"access_token": TOKEN, "bill_id": bill_id})

    assert guest.json()["success"] is True
    assert status.json()["data"]["status"] == "PENDING"


def test_bills_are_the_same_whichever_version_is_asked(anonymous):
    created = anonymous.post(
        "/api/payments/10/payture/billCreate",
        json={"access_token": TOKEN, "subscription_id": MONTHLY},
    ).json()["data"]

    status = anonymous.post(
        "/api/payments/20/payture/billStatus", json={"bill_id": created["bill_id"]}
    )

    assert status.json()["data"]["bill_info"]["amount"] == 99900


def test_an_undocumented_behind_api_version_is_404(anonymous):
    response = anonymous.post(
        "/api/payments/21/payture/billStatus", json={"access_token": TOKEN, "bill_id": "x"}
    )
    assert response.status_code == 404


# -- b. shop_id is a JSON integer ---------------------------------------------------------


def test_the_checkout_status_carries_shop_id_as_an_integer(bepaid):
    """The checkout status doc: ``shop_id`` "integer, required" (a typed client's int)."""
    checkout = get_checkout(bepaid, create_checkout(bepaid))

    assert checkout["shop_id"] == 361
    assert type(checkout["shop_id"]) is int


# -- c., d. tracking-id lookups ------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v2/transactions/tracking_id/never-used", "/transactions/tracking_id/never-used"]
)
def test_an_unknown_tracking_id_is_an_empty_list(bepaid, path):
    """The official PHP SDK's test against the live demo gateway expects this answer."""
    response = bepaid.get(path)

    assert response.status_code == 200
    assert response.json() == {"transactions": []}


def test_the_older_tracking_id_path_of_the_ruby_gem_answers_like_v2(bepaid):
    token = create_checkout(bepaid, tracking_id="ruby-gem-order")
    pay_checkout(bepaid, token, DECLINED)

    older = bepaid.get("/transactions/tracking_id/ruby-gem-order")
    v2 = bepaid.get("/v2/transactions/tracking_id/ruby-gem-order")

    assert older.status_code == 200
    assert older.json() == v2.json()
    assert [t["status"] for t in older.json()["transactions"]] == ["failed"]


# -- e. the checkout version in the body ---------------------------------------------------


@pytest.mark.parametrize("version", ["2.1", 2.1, "2", 2])
def test_a_checkout_with_its_version_in_the_body_and_no_header_is_accepted(bepaid, version):
    """The official Ruby gem sends ``checkout.version: "2.1"`` and no X-API-Version."""
    body = checkout_request()
    body["checkout"]["version"] = version

    response = bepaid.post("/ctp/api/checkouts", json=body)

    assert response.status_code == 200, response.text
    assert response.json()["checkout"]["token"]


@pytest.mark.parametrize("version", [None, "1", "3.0", True])
def test_a_checkout_without_version_2_anywhere_is_422(bepaid, version):
    body = checkout_request()
    if version is not None:
        body["checkout"]["version"] = version

    response = bepaid.post("/ctp/api/checkouts", json=body)

    assert response.status_code == 422
    assert response.json()["errors"] == {"base": ["X-API-Version header must be 2"]}


# -- i. the checkout status replicates the request -----------------------------------------


def test_the_checkout_status_echoes_every_order_field_sent(bepaid):
    """ "The response replicates the request": order.additional_data and the rest."""
    extra = {"receipt_text": ["Line one", "Line two"], "contract": ["recurring"], "x": {"y": 1}}
    token = create_checkout(bepaid, additional_data=extra, custom_note="kept")

    order = get_checkout(bepaid, token)["order"]

    assert order["additional_data"] == extra
    assert order["custom_note"] == "kept"
    assert (order["amount"], order["currency"], order["tracking_id"]) == (1234, "EUR", "order-42")


# -- f. authorization, tokenization, capture, void -----------------------------------------


def _authorize(bepaid, amount=5000, tracking_id="hold-1", card=APPROVED):
    body = checkout_request(amount=amount, tracking_id=tracking_id)
    body["checkout"]["transaction_type"] = "authorization"
    token = create_checkout(bepaid, body)
    pay_checkout(bepaid, token, card)


def _operation(bepaid, kind, parent_uid, amount):
    return bepaid.post(
        f"/transactions/{kind}", json={"request": {"parent_uid": parent_uid, "amount": amount}}
    )


def _uid_of_latest(bepaid, tracking_id):
    return bepaid.get(f"/v2/transactions/tracking_id/{tracking_id}").json()["transactions"][0]


def test_an_authorization_holds_the_money_without_paying(bepaid):
    _authorize(bepaid)
    held = _uid_of_latest(bepaid, "hold-1")

    assert held["type"] == "authorization"
    assert held["status"] == "successful"
    assert held["paid_at"] is None
    assert held["authorization"]["status"] == "successful"


def test_a_capture_settles_part_of_a_hold_once(bepaid):
    _authorize(bepaid, amount=5000)
    parent = _uid_of_latest(bepaid, "hold-1")

    captured = _operation(bepaid, "captures", parent["uid"], 3000)
    again = _operation(bepaid, "captures", parent["uid"], 1000)
    void = _operation(bepaid, "voids", parent["uid"], 5000)

    assert captured.status_code == 200, captured.text
    capture = captured.json()["transaction"]
    assert (capture["type"], capture["status"], capture["parent_uid"]) == (
        "capture",
        "successful",
        parent["uid"],
    )
    assert (capture["amount"], capture["currency"], capture["tracking_id"]) == (
        3000,
        "EUR",
        "hold-1",
    )
    assert capture["capture"]["status"] == "successful"
    assert bepaid.get(f"/transactions/{capture['uid']}").json()["transaction"] == capture
    assert again.status_code == 422
    assert again.json()["errors"] == {"base": ["The authorization is already captured"]}
    assert void.status_code == 422


def test_a_void_releases_a_hold_and_nothing_can_be_captured_after(bepaid):
    _authorize(bepaid, amount=5000)
    parent = _uid_of_latest(bepaid, "hold-1")

    voided = _operation(bepaid, "voids", parent["uid"], 5000)
    capture = _operation(bepaid, "captures", parent["uid"], 5000)

    assert voided.status_code == 200
    assert voided.json()["transaction"]["type"] == "void"
    assert capture.status_code == 422
    assert capture.json()["errors"] == {"base": ["The authorization is already voided"]}
    listed = bepaid.get("/v2/transactions/tracking_id/hold-1").json()["transactions"]
    assert [t["type"] for t in listed] == ["void", "authorization"]


@pytest.mark.parametrize(
    ("kind", "amount", "errors"),
    [
        ("captures", 5001, {"amount": ["must be less than or equal to 5000, the authorized"]}),
        ("voids", 4000, {"amount": ["must be 5000, the authorized"]}),
        ("captures", 0, {"amount": ["must be greater than 0"]}),
        ("voids", None, {"amount": ["can't be blank"]}),
    ],
)
def test_a_capture_or_void_breaking_the_amount_rules_is_422(bepaid, kind, amount, errors):
    _authorize(bepaid, amount=5000)
    parent = _uid_of_latest(bepaid, "hold-1")

    response = _operation(bepaid, kind, parent["uid"], amount)

    assert response.status_code == 422
    assert response.json()["errors"] == errors
    listed = bepaid.get("/v2/transactions/tracking_id/hold-1").json()["transactions"]
    assert len(listed) == 1  # nothing was recorded


def test_only_a_successful_authorization_can_be_captured(bepaid):
    token = create_checkout(bepaid, tracking_id="plain-payment")
    pay_checkout(bepaid, token, APPROVED)
    payment = _uid_of_latest(bepaid, "plain-payment")
    _authorize(bepaid, tracking_id="declined-hold", card=DECLINED)
    declined = _uid_of_latest(bepaid, "declined-hold")

    for parent in (payment, declined):
        response = _operation(bepaid, "captures", parent["uid"], 100)
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["base"]


def test_an_operation_on_an_unknown_parent_is_422(bepaid):
    response = _operation(bepaid, "captures", "000000000-deadbeef00", 100)

    assert response.status_code == 422
    assert response.json() == {
        "message": "Parent uid not found",
        "errors": {"parent_uid": ["not found"]},
    }


def test_a_tokenization_checkout_hands_out_a_card_token_and_moves_no_money(bepaid):
    body = checkout_request(tracking_id="save-card")
    body["checkout"]["transaction_type"] = "tokenization"
    pay_checkout(bepaid, create_checkout(bepaid, body), APPROVED)

    saved = _uid_of_latest(bepaid, "save-card")

    assert (saved["type"], saved["status"], saved["paid_at"]) == (
        "tokenization",
        "successful",
        None,
    )
    assert saved["credit_card"]["token"]


def test_an_unknown_transaction_type_is_still_refused(bepaid):
    body = checkout_request()
    body["checkout"]["transaction_type"] = "p2p"

    response = bepaid.post("/ctp/api/checkouts", json=body, headers={"X-API-Version": "2"})

    assert response.status_code == 422
    assert "transaction_type" in response.json()["errors"]["checkout"]
