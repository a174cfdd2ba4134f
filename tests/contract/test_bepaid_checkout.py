"""bePaid hosted checkout: pay links are created, paid with each test card, and expire."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from provider_sandbox.core import parse_iso
from tests.contract.bepaid_support import (
    APPROVED,
    CHECKOUT_HEADERS,
    DECLINED,
    MERCHANT,
    THREE_DS_FAILS,
    THREE_DS_OK,
    advance,
    checkout_request,
    create_checkout,
    get_checkout,
    pay_checkout,
    queued_notifications,
)

DAY = 24 * 3600


def test_creating_a_checkout_answers_token_and_hosted_page_url(bepaid, sandbox_url):
    response = bepaid.post("/ctp/api/checkouts", json=checkout_request(), headers=CHECKOUT_HEADERS)

    assert response.status_code == 200
    checkout = response.json()["checkout"]
    assert set(checkout) == {"token", "redirect_url"}
    assert re.fullmatch(r"[0-9a-f]{64}", checkout["token"])
    assert checkout["redirect_url"] == f"{sandbox_url}/v2/checkout?token={checkout['token']}"


def test_a_new_checkout_is_pending_and_echoes_the_order(bepaid):
    token = create_checkout(bepaid, amount=4999, currency="BYN", tracking_id="order-7")

    checkout = get_checkout(bepaid, token)
    assert checkout["status"] == "pending"
    assert checkout["finished"] is False
    assert checkout["expired"] is False
    assert checkout["gateway_response"] is None
    assert checkout["transaction_type"] == "payment"
    assert checkout["order"]["amount"] == 4999
    assert checkout["order"]["currency"] == "BYN"
    assert checkout["order"]["tracking_id"] == "order-7"
    assert checkout["settings"]["success_url"] == f"{MERCHANT}/success"
    # 24 hours to pay by default, on the sandbox clock.
    lifetime = parse_iso(checkout["order"]["expired_at"]) - parse_iso(checkout["created_at"])
    assert lifetime == timedelta(hours=24)


def test_an_unknown_checkout_token_is_404(bepaid):
    response = bepaid.get("/ctp/api/checkouts/" + "0" * 64)
    assert response.status_code == 404
    assert response.json()["message"] == "Record not found"


@pytest.mark.parametrize(
    ("card", "status", "return_to", "three_ds"),
    [
        (APPROVED, "successful", "success", None),
        (DECLINED, "failed", "decline", None),
        (THREE_DS_OK, "successful", "success", "successful"),
        (THREE_DS_FAILS, "failed", "decline", "failed"),
    ],
)
def test_each_test_card_concludes_the_checkout(bepaid, card, status, return_to, three_ds):
    token = create_checkout(bepaid)

    answer = pay_checkout(bepaid, token, card)

    transaction = answer["transaction"]
    assert answer["outcome"] == "redirect"
    assert transaction["status"] == status
    assert (transaction["three_d_secure_verification"] or {}).get("status") == three_ds
    location = urlsplit(answer["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{MERCHANT}/{return_to}"
    assert parse_qs(location.query) == {
        "token": [token],
        "status": [status],
        "uid": [transaction["uid"]],
    }
    checkout = get_checkout(bepaid, token)
    assert checkout["status"] == status
    assert checkout["finished"] is True
    assert checkout["gateway_response"]["payment"]["uid"] == transaction["uid"]
    assert checkout["gateway_response"]["payment"]["status"] == status


def test_a_wrong_3ds_code_fails_the_payment(bepaid):
    token = create_checkout(bepaid)

    answer = pay_checkout(bepaid, token, THREE_DS_OK, three_ds_code="99999")

    assert answer["transaction"]["status"] == "failed"
    assert answer["transaction"]["message"] == "3-D Secure authentication failed"
    assert get_checkout(bepaid, token)["status"] == "failed"


def test_return_urls_keep_the_merchants_own_query_parameters(bepaid):
    body = checkout_request()
    body["checkout"]["settings"]["success_url"] = f"{MERCHANT}/done?order=42&lang=ru"
    token = create_checkout(bepaid, body)

    location = pay_checkout(bepaid, token, APPROVED)["location"]

    query = parse_qs(urlsplit(location).query)
    assert query["order"] == ["42"] and query["lang"] == ["ru"]
    assert query["token"] == [token] and query["status"] == ["successful"]


def test_with_two_attempts_a_declined_payer_may_try_another_card(bepaid):
    body = checkout_request()
    body["checkout"]["attempts"] = 2
    token = create_checkout(bepaid, body)

    first = pay_checkout(bepaid, token, DECLINED)
    assert first["outcome"] == "retry"
    assert get_checkout(bepaid, token)["status"] == "pending"
    assert get_checkout(bepaid, token)["gateway_response"]["payment"]["status"] == "failed"

    second = pay_checkout(bepaid, token, APPROVED)
    assert second["outcome"] == "redirect"
    assert get_checkout(bepaid, token)["status"] == "successful"


def test_a_finished_checkout_cannot_be_paid_again(bepaid):
    token = create_checkout(bepaid)
    pay_checkout(bepaid, token, DECLINED)

    again = bepaid.post(f"/__sandbox/checkouts/{token}/pay", json={"card": APPROVED})

    assert again.status_code == 422
    assert again.json()["message"] == "The payment was declined."
    assert get_checkout(bepaid, token)["status"] == "failed"


def test_a_checkout_expires_24_hours_after_creation(bepaid, anonymous):
    token = create_checkout(bepaid)

    advance(anonymous, DAY - 60)
    assert get_checkout(bepaid, token)["status"] == "pending"
    advance(anonymous, 60)

    checkout = get_checkout(bepaid, token)
    assert checkout["status"] == "expired"
    assert checkout["expired"] is True
    refused = anonymous.post(f"/__sandbox/checkouts/{token}/pay", json={"card": APPROVED})
    assert refused.status_code == 422
    assert "expired" in refused.json()["message"]
    page = anonymous.get("/v2/checkout", params={"token": token})
    assert "This payment link has expired." in page.text
    assert 'name="number"' not in page.text


def test_expired_at_sets_the_payment_window(bepaid, anonymous, sandbox):
    expires = sandbox.now() + timedelta(hours=2)
    token = create_checkout(bepaid, expired_at=expires.strftime("%Y-%m-%dT%H:%M:%S+00:00"))

    advance(anonymous, 2 * 3600 + 1)

    assert get_checkout(bepaid, token)["status"] == "expired"


def test_a_3ds_step_left_open_expires_with_the_checkout(bepaid, anonymous):
    token = create_checkout(bepaid)

    waiting = pay_checkout(bepaid, token, THREE_DS_OK, three_ds_code=None)
    assert waiting["outcome"] == "challenge"
    assert waiting["transaction"]["status"] == "incomplete"
    assert get_checkout(bepaid, token)["status"] == "pending"
    advance(anonymous, DAY)

    uid = waiting["transaction"]["uid"]
    assert bepaid.get(f"/transactions/{uid}").json()["transaction"]["status"] == "expired"
    assert get_checkout(bepaid, token)["status"] == "expired"


def test_each_final_transaction_is_notified_to_the_notification_url(bepaid, anonymous):
    body = checkout_request()
    hook = "http://127.0.0.1:9/bepaid-hook"
    body["checkout"]["settings"]["notification_url"] = hook
    body["checkout"]["attempts"] = 2
    token = create_checkout(bepaid, body)

    declined = pay_checkout(bepaid, token, DECLINED)["transaction"]
    approved = pay_checkout(bepaid, token, APPROVED)["transaction"]

    notified = queued_notifications(anonymous, hook)
    assert [n["transaction"]["uid"] for n in notified] == [declined["uid"], approved["uid"]]
    assert [n["transaction"]["status"] for n in notified] == ["failed", "successful"]
    assert (
        notified[1]["transaction"]
        == bepaid.get(f"/transactions/{approved['uid']}").json()["transaction"]
    )


# -- the hosted page over plain HTTP (the browser test drives it in chromium) --


def card_form(token: str, number: str, **fields: str) -> dict[str, str]:
    return {
        "token": token,
        "number": number,
        "holder": "Jane Payer",
        "expiry": "12/39",
        "cvc": "123",
        **fields,
    }


def test_the_page_shows_amount_description_form_and_test_cards_escaped(bepaid, anonymous):
    token = create_checkout(bepaid, amount=123456, currency="KWD", description="<b>Tea</b> & co")

    page = anonymous.get("/v2/checkout", params={"token": token})

    assert page.status_code == 200
    assert "123.456 KWD" in page.text
    assert "&lt;b&gt;Tea&lt;/b&gt; &amp; co" in page.text
    assert "<b>Tea</b>" not in page.text
    for label in ("Card number", "Cardholder name", "Expiry date (MM/YY)", "CVC"):
        assert f">{label}</label>" in page.text
    for number in (APPROVED, DECLINED, THREE_DS_OK, THREE_DS_FAILS):
        assert number in page.text


def test_an_invalid_card_form_is_shown_again_with_reasons(bepaid, anonymous):
    token = create_checkout(bepaid)

    page = anonymous.post(
        "/v2/checkout/pay",
        data=card_form(token, "4200000000000001", holder="", expiry="13/30", cvc="1"),
    )

    assert page.status_code == 422
    for reason in (
        "Enter a valid card number",
        "Enter the name on the card.",
        "Enter the expiry date as MM/YY.",
        "Enter the 3 or 4 digit security code.",
    ):
        assert reason in page.text
    assert get_checkout(bepaid, token)["gateway_response"] is None


def test_paying_through_the_form_with_3ds_redirects_to_the_success_url(bepaid, anonymous):
    token = create_checkout(bepaid)

    submitted = anonymous.post("/v2/checkout/pay", data=card_form(token, THREE_DS_OK))
    assert submitted.status_code == 303
    challenge = anonymous.get(submitted.headers["location"])
    assert ">Verification code</label>" in challenge.text
    confirmed = anonymous.post("/v2/checkout/3ds", data={"token": token, "code": "12345"})

    assert confirmed.status_code == 303
    assert confirmed.headers["location"].startswith(f"{MERCHANT}/success?token={token}")
    assert get_checkout(bepaid, token)["status"] == "successful"


def test_cancel_returns_to_the_cancel_url_and_leaves_the_checkout_payable(bepaid, anonymous):
    token = create_checkout(bepaid)

    cancelled = anonymous.get("/v2/checkout/cancel", params={"token": token})

    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"{MERCHANT}/cancel?token={token}"
    assert get_checkout(bepaid, token)["status"] == "pending"


def test_an_unknown_token_page_is_404(anonymous):
    page = anonymous.get("/v2/checkout", params={"token": "nope"})
    assert page.status_code == 404
    assert "Payment not found" in page.text


def test_the_admin_state_view_shows_bepaid_objects(bepaid, anonymous):
    token = create_checkout(bepaid)
    uid = pay_checkout(bepaid, token, APPROVED)["transaction"]["uid"]

    state = anonymous.get("/__sandbox/state").json()["bepaid"]

    assert [checkout["token"] for checkout in state["checkouts"]] == [token]
    assert [transaction["uid"] for transaction in state["transactions"]] == [uid]
    assert state["plans"] == state["customers"] == state["subscriptions"] == []
