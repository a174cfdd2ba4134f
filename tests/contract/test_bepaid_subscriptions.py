"""bePaid subscriptions: every documented request is accepted; first payment; cancel."""

from __future__ import annotations

import copy
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.contract.bepaid_support import (
    APPROVED,
    DECLINED,
    THREE_DS_OK,
    create_subscription,
    get_subscription,
    pay_subscription,
    plan_request,
    queued_notifications,
)

# -- the request examples of bepaid-subscriptions.ru.txt, copied as they are --------

DOC_CREATE = {
    "notification_url": "http://merchant.com/subscription_notification",
    "plan": {
        "currency": "USD",
        "plan": {"amount": 20, "interval": 20, "interval_unit": "day"},
        "shop_id": 10,
        "title": "Basic plan",
        "trial": {"amount": 10, "interval": 10, "interval_unit": "hour"},
    },
    "settings": {"language": "it"},
}
DOC_CREATE_INVALID_CURRENCY = {
    "notification_url": "http://merchant.com/subscription_notification",
    "plan": {
        "currency": "LVL",
        "plan": {"amount": 20, "interval": 20, "interval_unit": "day"},
        "shop_id": 10,
        "title": "Basic plan",
        "trial": {"amount": 10, "interval": 10, "interval_unit": "hour"},
    },
    "settings": {"language": "it"},
}
DOC_CREATE_WITH_CARD = {
    "card": {
        "exp_month": "01",
        "exp_year": "2026",
        "holder": "John Doe",
        "number": "4200000000000000",
        "verification_value": "123",
    },
    "customer": {
        "address": "1st Street",
        "city": "Denver",
        "country": "US",
        "email": "customer@example.com",
        "first_name": "John",
        "ip": "127.0.0.1",
        "last_name": "Doe",
        "phone": "+1-555-555-5555",
        "state": "CO",
        "zip": "92006",
    },
    "plan": {
        "currency": "USD",
        "plan": {"amount": 20, "interval": 20, "interval_unit": "day"},
        "title": "Basic plan",
        "trial": {"amount": 10, "interval": 10, "interval_unit": "hour"},
    },
    "tracking_id": "my_tracking_id",
}
DOC_CREATE_WITH_3DS_CARD = {
    "card": {
        "exp_month": "01",
        "exp_year": "2026",
        "holder": "John Doe",
        "number": "4012001037141112",
        "verification_value": "123",
    },
    "customer": {
        "address": "1st Street",
        "city": "Denver",
        "country": "US",
        "email": "customer@example.com",
        "first_name": "Jane",
        "ip": "127.1.2.3",
        "last_name": "Doe",
        "phone": "+1-555-555-555",
        "state": "CO",
        "zip": "92006",
    },
    "plan": {
        "currency": "USD",
        "plan": {"amount": "90", "interval": 3, "interval_unit": "day"},
        "title": "Basic plan",
        "trial": {"amount": "10", "interval": 24, "interval_unit": "hour"},
    },
    "return_url": "http://example.com/result-page",
}
DOC_CREATE_FROM_IDS = {
    "card": {"token": "7982c829f83060eba2b27b0a7140c751ad02f28702a6475e901767614fe4c0e7"},
    "customer": {"id": "cst_c8dcec3e5ce21500"},
    "plan": {"id": "pln_cc22f0cda95f210f"},
    "tracking_id": "my_tracking_id",
}
DOC_CREATE_UNKNOWN_PLAN = {
    "card": {"token": "7982c829f83060eba2b27b0a7140c751ad02f28702a6475e9"},
    "plan": {"id": "1"},
}


def _with_sandbox_ids(bepaid, body):
    """The ids example names objects of bePaid's shop: make ours and use their ids."""
    body = copy.deepcopy(body)
    plan = bepaid.post("/plans", json=DOC_CREATE_WITH_CARD["plan"]).json()
    customer = bepaid.post("/customers", json=DOC_CREATE_WITH_CARD["customer"]).json()
    card_token = bepaid.post("/subscriptions", json=DOC_CREATE_WITH_CARD).json()["card"]["token"]
    body["plan"]["id"], body["customer"]["id"] = plan["id"], customer["id"]
    body["card"]["token"] = card_token
    return body


@pytest.mark.parametrize(
    ("example", "state", "last_status"),
    [
        (DOC_CREATE, "redirecting", None),
        (DOC_CREATE_WITH_CARD, "trial", "successful"),
        (DOC_CREATE_WITH_3DS_CARD, "redirecting", "incomplete"),
        (DOC_CREATE_FROM_IDS, "trial", "successful"),
    ],
    ids=["plan-inline", "with-card", "with-3ds-card", "from-ids"],
)
def test_every_documented_create_request_is_accepted(bepaid, example, state, last_status):
    body = _with_sandbox_ids(bepaid, example) if example is DOC_CREATE_FROM_IDS else example

    response = bepaid.post("/subscriptions", json=body)

    assert response.status_code == 201, response.text
    sub = response.json()
    assert sub["id"].startswith("sbs_")
    assert sub["state"] == state
    assert (sub["last_transaction"] or {}).get("status") == last_status
    assert sub["plan"]["id"].startswith("pln_")
    assert sub["plan"]["title"] == "Basic plan"
    assert sub["tracking_id"] == body.get("tracking_id")
    assert get_subscription(bepaid, sub["id"]) == sub


@pytest.mark.parametrize(
    ("example", "answer"),
    [
        (
            DOC_CREATE_INVALID_CURRENCY,
            {"errors": {"base": ["Currency is invalid"]}, "message": "Currency is invalid"},
        ),
        (
            DOC_CREATE_UNKNOWN_PLAN,
            {
                "errors": {"plan": {"base": ["plan with this ID doesn't exist for this account"]}},
                "message": "plan with this ID doesn't exist for this account",
            },
        ),
    ],
    ids=["invalid-currency", "unknown-plan"],
)
def test_documented_invalid_requests_get_the_documented_answers(bepaid, example, answer):
    response = bepaid.post("/subscriptions", json=example)

    assert response.status_code == 422
    assert response.json() == answer


def test_a_new_subscription_waits_on_the_hosted_page(bepaid, sandbox_url):
    sub = create_subscription(bepaid)

    assert sub["state"] == "redirecting"
    assert sub["redirect_url"] == f"{sandbox_url}/v2/checkout?token={sub['token']}"
    assert (sub["renew_at"], sub["active_to"], sub["last_transaction"]) == (None, None, None)
    assert sub["paid_billing_cycles"] == 0
    assert sub["card"] == {} and sub["customer"] == {}
    page = bepaid.get(sub["redirect_url"])
    assert "1.00 USD" in page.text  # the trial charge comes first
    assert "Subscription: Daily coffee" in page.text


def test_paying_the_first_charge_starts_the_trial_and_returns_with_the_id(bepaid):
    sub = create_subscription(bepaid, return_url="http://127.0.0.1:9/back?from=shop")

    answer = pay_subscription(bepaid, sub["id"], APPROVED)

    assert parse_qs(urlsplit(answer["location"]).query) == {"from": ["shop"], "id": [sub["id"]]}
    paid = get_subscription(bepaid, sub["id"])
    assert paid["state"] == "trial"
    assert paid["last_transaction"]["status"] == "successful"
    assert paid["last_transaction"]["uid"] == answer["transaction"]["uid"]
    assert answer["transaction"]["amount"] == 100
    assert paid["card"]["last_4"] == "0000"
    assert paid["renew_at"] == paid["active_to"] is not None
    assert paid["paid_billing_cycles"] == 0
    assert "redirect_url" not in paid


def test_without_a_trial_the_first_charge_is_the_first_billing_cycle(bepaid):
    sub = create_subscription(bepaid, plan=plan_request(trial=None))

    pay_subscription(bepaid, sub["id"], THREE_DS_OK)

    paid = get_subscription(bepaid, sub["id"])
    assert paid["state"] == "active"
    assert paid["paid_billing_cycles"] == 1


def test_a_declined_first_charge_fails_the_subscription(bepaid):
    sub = create_subscription(bepaid, notification_url="http://127.0.0.1:9/subs")

    pay_subscription(bepaid, sub["id"], DECLINED)

    failed = get_subscription(bepaid, sub["id"])
    assert failed["state"] == "failed"
    assert failed["renew_at"] is None
    assert failed["last_transaction"]["status"] == "failed"
    assert [n["state"] for n in queued_notifications(bepaid, "http://127.0.0.1:9/subs")] == [
        "failed"
    ]


def test_a_card_number_failing_the_checksum_errors_and_fails_the_subscription(bepaid):
    body = copy.deepcopy(DOC_CREATE_WITH_CARD)
    body["card"]["number"] = "4200000000000001"

    sub = bepaid.post("/subscriptions", json=body).json()

    assert sub["state"] == "failed"
    assert sub["last_transaction"]["status"] == "error"


def test_plan_and_customer_can_be_given_by_id(bepaid):
    plan = bepaid.post("/plans", json=plan_request()).json()
    customer = bepaid.post("/customers", json={"email": "c@example.com", "ip": "::1"}).json()

    sub = bepaid.post(
        "/subscriptions", json={"plan": {"id": plan["id"]}, "customer": {"id": customer["id"]}}
    ).json()

    assert sub["plan"] == plan
    assert sub["customer"] == {"id": customer["id"]}


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (
            {"customer": {"id": "cst_0000000000000000"}},
            {"customer": {"base": ["customer with this ID doesn't exist for this account"]}},
        ),
        (
            {"tracking_id": "x" * 256},
            {"tracking_id": ["is too long (maximum is 255 characters)"]},
        ),
        (
            {"plan": plan_request(plan={"amount": 0, "interval": 1, "interval_unit": "day"})},
            {"plan": {"plan": {"amount": ["must be greater than 0"]}}},
        ),
        ({"plan": plan_request(title=" ")}, {"plan": {"title": ["can't be blank"]}}),
        ({"plan": None}, {"plan": ["can't be blank"]}),
        ({"customer": {"ip": "127.0.0.1"}}, {"customer": {"email": ["can't be blank"]}}),
        ({"card": {"token": "no-such-token"}}, {"card": {"token": ["is invalid"]}}),
        (
            {"card": {"number": "4200000000000000", "holder": "J", "exp_month": "13"}},
            {
                "card": {
                    "verification_value": ["can't be blank"],
                    "exp_month": ["is invalid"],
                    "exp_year": ["can't be blank"],
                }
            },
        ),
        ({"return_url": "ftp://example.com"}, {"return_url": ["is invalid"]}),
        ({"receipt_text": "thanks"}, {"receipt_text": ["must be an array of strings"]}),
    ],
)
def test_invalid_subscriptions_are_refused_with_nested_errors(bepaid, change, errors):
    response = bepaid.post("/subscriptions", json={"plan": plan_request(), **change})

    assert response.status_code == 422
    assert response.json()["errors"] == errors


def test_unknown_subscription_is_404(bepaid):
    assert bepaid.get("/subscriptions/sbs_0000000000000000").status_code == 404
    cancel = bepaid.post("/subscriptions/sbs_0000000000000000/cancel", json={"cancel_reason": "x"})
    assert cancel.status_code == 404


def test_cancel_needs_a_reason(bepaid):
    sub = create_subscription(bepaid)

    response = bepaid.post(f"/subscriptions/{sub['id']}/cancel", json={})

    assert response.status_code == 422
    assert response.json() == {
        "message": "Cancel reason can't be blank",
        "errors": {"cancel_reason": ["can't be blank"]},
    }
    assert get_subscription(bepaid, sub["id"])["state"] == "redirecting"


def test_cancel_ends_the_subscription_and_keeps_the_paid_period(bepaid):
    hook = "http://127.0.0.1:9/subs"
    sub = create_subscription(bepaid, notification_url=hook)
    pay_subscription(bepaid, sub["id"])
    paid_until = get_subscription(bepaid, sub["id"])["active_to"]

    response = bepaid.post(
        f"/subscriptions/{sub['id']}/cancel", json={"cancel_reason": "Customer's request"}
    )

    assert response.status_code == 200
    cancelled = response.json()
    assert cancelled["state"] == "canceled"
    assert cancelled["cancel_reason"] == "Customer's request"
    assert cancelled["cancelled_at"] is not None
    assert cancelled["active_to"] == paid_until
    assert cancelled["renew_at"] is None
    assert [n["state"] for n in queued_notifications(bepaid, hook)] == ["trial", "canceled"]


def test_an_ended_subscription_cannot_be_cancelled_again(bepaid):
    sub = create_subscription(bepaid)
    bepaid.post(f"/subscriptions/{sub['id']}/cancel", json={"cancel_reason": "first"})

    again = bepaid.post(f"/subscriptions/{sub['id']}/cancel", json={"cancel_reason": "second"})

    assert again.status_code == 422
    assert again.json() == {
        "message": "Subscription is already canceled",
        "errors": {"base": ["Subscription is already canceled"]},
    }
    assert get_subscription(bepaid, sub["id"])["cancel_reason"] == "first"


def test_a_cancelled_subscription_can_no_longer_be_paid(bepaid):
    sub = create_subscription(bepaid)
    bepaid.post(f"/subscriptions/{sub['id']}/cancel", json={"cancel_reason": "changed mind"})

    refused = bepaid.post(f"/__sandbox/subscriptions/{sub['id']}/pay", json={"card": APPROVED})

    assert refused.status_code == 422
    assert refused.json()["message"] == "This subscription was canceled."


def test_cancelling_during_the_3ds_step_closes_that_transaction(bepaid):
    sub = bepaid.post("/subscriptions", json=DOC_CREATE_WITH_3DS_CARD).json()
    uid = sub["last_transaction"]["uid"]

    bepaid.post(f"/subscriptions/{sub['id']}/cancel", json={"cancel_reason": "no 3-D Secure"})

    transaction = bepaid.get(f"/transactions/{uid}").json()["transaction"]
    assert transaction["status"] == "failed"
    assert get_subscription(bepaid, sub["id"])["state"] == "canceled"
