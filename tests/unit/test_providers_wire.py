"""The clients speak the documented wire format and return typed results."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.errors import InvalidAmount, UnknownCurrency, ValidationError
from console.providers import (
    BepaidClient,
    BeyagClient,
    BillExtras,
    NewApmPayment,
    NewCheckout,
    NewCustomer,
    NewPlan,
    PaytureClient,
    Period,
    SandboxOnlyOperation,
)
from console.status import BillStatus, SubscriptionStatus
from tests.unit.provider_fakes import ACCESS_TOKEN, BEPAID, PAYTURE, Script, Sleeps, answer

# The subscription answer from provider-docs/bepaid-subscriptions.ru.txt.
DOC_SUBSCRIPTION = {
    "card": {},
    "created_at": "2015-05-11T12:48:14.067Z",
    "customer": {},
    "id": "sbs_cdf887166553b5ae",
    "last_transaction": None,
    "plan": {
        "currency": "USD",
        "id": "pln_8f9c9dd63c9a5787",
        "plan": {"amount": 20, "interval": 20, "interval_unit": "day"},
        "title": "Title",
        "trial": {"amount": 10, "interval": 10, "interval_unit": "hour"},
    },
    "redirect_url": "https://checkout.bepaid.by/v2/checkout?token=3241e4",
    "renew_at": None,
    "active_to": None,
    "state": "redirecting",
    "token": "3241e4",
    "tracking_id": None,
}


def client(cls, script, settings=BEPAID, **options):
    return cls(settings, transport=script.transport(), retry=Sleeps().policy(), **options)


def test_subscription_with_inline_plan_matches_the_doc():
    script = Script(answer(201, DOC_SUBSCRIPTION))
    plan = NewPlan(
        title="Basic plan",
        currency="usd",
        amount=20,
        interval=20,
        interval_unit="day",
        trial=Period(amount=10, interval=10, interval_unit="hour"),
    )
    sub = client(BepaidClient, script).create_subscription(
        plan=plan,
        customer=NewCustomer(email="a@b.test", ip="127.0.0.1"),
        tracking_id="sub-1",
        notification_url="https://shop.test/n",
        language="it",
    )
    request = script.requests[0]
    assert (request.method, str(request.url)) == ("POST", "https://api.bepaid.test/subscriptions")
    assert script.bodies[0] == {
        "plan": {
            "title": "Basic plan",
            "currency": "USD",
            "plan": {"amount": 20, "interval": 20, "interval_unit": "day"},
            "trial": {"amount": 10, "interval": 10, "interval_unit": "hour"},
            "infinite": True,
        },
        "customer": {"email": "a@b.test", "ip": "127.0.0.1"},
        "tracking_id": "sub-1",
        "notification_url": "https://shop.test/n",
        "settings": {"language": "it"},
    }
    assert sub.id == "sbs_cdf887166553b5ae"
    assert (sub.status, sub.native_status) == (SubscriptionStatus.PENDING, "redirecting")
    assert sub.plan_id == "pln_8f9c9dd63c9a5787"
    assert sub.plan.amount == 20 and sub.plan.currency == "USD" and sub.plan.trial.amount == 10
    assert sub.created_at == datetime(2015, 5, 11, 12, 48, 14, 67000, tzinfo=UTC)
    assert sub.redirect_url.startswith("https://checkout.bepaid.by/")
    assert sub.raw["token"] == "3241e4"


def test_subscription_by_plan_and_customer_id():
    script = Script(answer(201, DOC_SUBSCRIPTION))
    client(BepaidClient, script).create_subscription(plan="pln_1", customer="cst_1")
    assert script.bodies[0] == {"plan": {"id": "pln_1"}, "customer": {"id": "cst_1"}}


def test_cancel_sends_the_reason_and_reads_cancelled_at():
    canceled = {
        **DOC_SUBSCRIPTION,
        "state": "canceled",
        "cancel_reason": "Customer's request",
        "cancelled_at": "2015-02-28T14:19:55.009Z",
    }
    script = Script(answer(200, canceled))
    sub = client(BepaidClient, script).cancel_subscription("sbs_1", reason="Customer's request")
    assert str(script.requests[0].url).endswith("/subscriptions/sbs_1/cancel")
    assert script.bodies[0] == {"cancel_reason": "Customer's request"}
    assert sub.status is SubscriptionStatus.CANCELED
    assert sub.cancelled_at.tzinfo is not None and sub.cancel_reason == "Customer's request"


def test_unmapped_native_status_is_kept_without_a_guess():
    script = Script(answer(200, {**DOC_SUBSCRIPTION, "state": "successful"}))
    sub = client(BepaidClient, script).get_subscription("sbs_1")
    assert sub.status is None and sub.native_status == "successful"


def test_plans_and_customers_lists_are_bare_arrays():
    plan = {**DOC_SUBSCRIPTION["plan"], "created_at": "2026-01-02T03:04:05Z"}
    script = Script(answer(200, [plan]), answer(200, [{"id": "cst_1", "email": "a@b.test"}]))
    shop = client(BepaidClient, script)
    assert [p.id for p in shop.list_plans(page=2, per_page=10)] == ["pln_8f9c9dd63c9a5787"]
    assert shop.list_customers()[0].email == "a@b.test"
    assert script.requests[0].url.params["page"] == "2"


def test_checkout_request_shape_and_version_header():
    script = Script(answer(200, {"checkout": {"token": "t", "redirect_url": "https://c.test/t"}}))
    expires = datetime(2030, 1, 1, 15, 0, tzinfo=UTC)
    link = client(BepaidClient, script).create_checkout(
        NewCheckout(
            amount=1250,
            currency="byn",
            description="Order 17",
            tracking_id="order-17",
            expires_at=expires,
            test=True,
            success_url="https://shop.test/ok",
            language="ru",
        )
    )
    request = script.requests[0]
    assert str(request.url) == "https://checkout.bepaid.test/ctp/api/checkouts"
    assert request.headers["x-api-version"] == "2"
    assert script.bodies[0] == {
        "checkout": {
            "transaction_type": "payment",
            "test": True,
            "order": {
                "amount": 1250,
                "currency": "BYN",
                "description": "Order 17",
                "tracking_id": "order-17",
                "expired_at": "2030-01-01T15:00:00+00:00",
            },
            "settings": {"success_url": "https://shop.test/ok", "language": "ru"},
        }
    }
    assert (link.token, link.redirect_url) == ("t", "https://c.test/t")


@pytest.mark.parametrize(
    ("checkout", "status", "native"),
    [
        ({"status": "successful", "finished": True}, BillStatus.PAID, "successful"),
        ({"expired": True}, BillStatus.EXPIRED, "expired"),
        ({}, BillStatus.PENDING, "pending"),
    ],
)
def test_checkout_status_read(checkout, status, native):
    body = {
        "checkout": {
            "token": "t",
            "order": {"amount": 1250, "currency": "BYN", "tracking_id": "order-17"},
            "gateway_response": {"payment": {"uid": "1-ab", "status": "successful"}},
            **checkout,
        }
    }
    found = client(BepaidClient, Script(answer(200, body))).get_checkout("t")
    assert (found.status, found.native_status) == (status, native)
    assert (found.amount, found.currency, found.tracking_id) == (1250, "BYN", "order-17")
    assert found.transaction_uid == "1-ab"


def test_transactions_by_tracking_id_newest_first_and_escaped():
    older = {"uid": "1", "status": "failed", "amount": 100, "currency": "USD",
             "created_at": "2026-01-01T10:00:00Z"}  # fmt: skip
    newer = {**older, "uid": "2", "status": "successful", "created_at": "2026-01-01T11:00:00Z"}
    script = Script(answer(200, {"transactions": [newer, older]}), answer(404))
    shop = client(BepaidClient, script)
    found = shop.find_transactions("order/17;b")
    assert [t.uid for t in found] == ["2", "1"]
    assert found[0].status is BillStatus.PAID and found[1].status is BillStatus.FAILED
    assert script.requests[0].url.raw_path == b"/v2/transactions/tracking_id/order%2F17%3Bb"
    assert shop.find_transactions("nothing-here") == ()


def test_beyag_payment_with_form():
    doc_answer = {
        "transaction": {
            "status": "pending",
            "type": "payment",
            "uid": "8759cf84-e56d-44b7-a8ae-62640f6402c4",
            "amount": 1000,
            "currency": "USD",
            "description": "Order #123",
            "tracking_id": "AB8923",
            "created_at": "2024-12-07T14:21:24.420Z",
            "expired_at": "2025-12-07T14:51:240Z",  # sic: the doc's example is malformed
            "method_type": "erip",
            "form": {
                "action": "https://pay.method-name.com",
                "method": "GET",
                "fields": [{"type": "hidden", "name": "sid", "id": "sid", "value": "1857"}],
            },
        }
    }
    script = Script(answer(200, doc_answer))
    payment = client(BeyagClient, script).create_payment(
        NewApmPayment(
            amount=1000,
            currency="USD",
            description="Order #123",
            method_type="erip",
            return_url="https://merchant.test/return",
            tracking_id="AB8923",
            ip="127.0.0.1",
        )
    )
    assert str(script.requests[0].url) == "https://gateway.bepaid.test/beyag/transactions/payments"
    assert script.bodies[0] == {
        "request": {
            "amount": 1000,
            "currency": "USD",
            "description": "Order #123",
            "test": False,
            "tracking_id": "AB8923",
            "ip": "127.0.0.1",
            "return_url": "https://merchant.test/return",
            "method": {"type": "erip"},
        }
    }
    assert payment.status is BillStatus.PENDING
    assert payment.form.action == "https://pay.method-name.com" and payment.form.method == "GET"
    assert payment.form.fields[0].name == "sid" and payment.form.fields[0].value == "1857"
    assert payment.created_at == datetime(2024, 12, 7, 14, 21, 24, 420000, tzinfo=UTC)
    assert payment.expired_at is None or payment.expired_at.tzinfo is not None  # never a crash


def test_payture_bill_create_unauthorised_wire_format():
    created = {"success": True, "data": {"bill_id": "cc0e", "bill": {
        "payUrl": "https://payture.com/apim/Pay?SessionId=abc123xyz"}}}  # fmt: skip
    script = Script(answer(200, created))
    bill = client(PaytureClient, script, PAYTURE).bill_create_unauthorised(
        "550e8400-e29b-41d4-a716-446655440001",
        "aa0e8400-e29b-41d4-a716-446655440005",
        redirect_url="https://example.com/payment-complete",
        extended=BillExtras(
            page_id="ck4jrtawdA3Ed4",
            gift_recipient="john@example.com",
            utm_source="newsletter",
            other={"customNote": "Holiday special"},
        ),
    )
    request = script.requests[0]
    assert str(request.url) == "https://behind.test/api/payments/20/payture/billCreateUnauthorised"
    assert script.bodies[0] == {
        "access_token": ACCESS_TOKEN,
        "subscription_id": "550e8400-e29b-41d4-a716-446655440001",
        "user_id": "aa0e8400-e29b-41d4-a716-446655440005",
        "redirect_url": "https://example.com/payment-complete",
        "extended": {
            "pageId": "ck4jrtawdA3Ed4",
            "giftRecipient": "john@example.com",
            "utm_source": "newsletter",
            "customNote": "Holiday special",
        },
    }
    assert (bill.bill_id, bill.session_id) == ("cc0e", "abc123xyz")


@pytest.mark.parametrize(
    ("answer_body", "status", "gift"),
    [
        ({"success": True, "data": {"bill_info": {"bill_status": "PAID", "amount": 99900,
          "gift": {"code": "GIFT-ABC123"}}, "status": "PAID"}}, BillStatus.PAID, "GIFT-ABC123"),
        ({"success": False, "data": {"bill_info": {"bill_status": "PAID", "amount": 99900},
          "status": "AMOUNT_MISMATCH"}}, BillStatus.MISMATCH, None),
        ({"success": True, "data": {"bill_info": {"bill_status": "PENDING", "amount": 99900},
          "status": "PENDING"}}, BillStatus.PENDING, None),
    ],
)  # fmt: skip
def test_payture_bill_status(answer_body, status, gift):
    script = Script(answer(200, answer_body))
    found = client(PaytureClient, script, PAYTURE).bill_status("cc0e8400")
    assert script.bodies[0] == {"access_token": ACCESS_TOKEN, "bill_id": "cc0e8400"}
    assert (found.status, found.gift_code, found.amount) == (status, gift, 99900)
    assert found.native_status == answer_body["data"]["status"]


def test_products_are_sandbox_only():
    script = Script(answer(200, {"products": [{"id": "p1", "title": "Premium", "price": 99900,
                                               "currency": "RUB", "kind": "gift"}]}))  # fmt: skip
    with pytest.raises(SandboxOnlyOperation):
        client(PaytureClient, script, PAYTURE).list_products()
    assert script.requests == []
    products = client(PaytureClient, script, PAYTURE, sandbox=True).list_products()
    assert products[0].amount == 99900 and products[0].kind == "gift"
    with pytest.raises(SandboxOnlyOperation):
        client(PaytureClient, Script(answer(404)), PAYTURE, sandbox=True).list_products()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"amount": 12.5}, InvalidAmount),
        ({"amount": 0}, InvalidAmount),
        ({"amount": True}, InvalidAmount),
        ({"currency": "XYZ"}, UnknownCurrency),
        ({"tracking_id": "x" * 256}, ValidationError),
        ({"expires_at": datetime(2030, 1, 1)}, ValidationError),  # naive
        ({"description": "  "}, ValidationError),
    ],
)
def test_nonsense_is_refused_before_sending(changes, error):
    script = Script(answer(200, {}))
    args = {"amount": 100, "currency": "EUR", "description": "d", "tracking_id": "t", **changes}
    with pytest.raises(error):
        client(BepaidClient, script).create_checkout(NewCheckout(**args))
    assert script.requests == []


def test_empty_id_in_a_path_is_refused_before_sending():
    script = Script(answer(200, {}))
    with pytest.raises(ValidationError):
        client(BepaidClient, script).get_subscription("")
    assert script.requests == []


def test_attempt_facts_keep_no_more_of_a_card_than_its_last_four_digits():
    from console.providers.bepaid_wire import transaction_of

    answer = dict(uid="u-1", status="failed", amount=100, currency="BYN", code="F.0002")
    answer |= {"message": "Payment declined", "payment_method_type": "credit_card"}
    answer["credit_card"] = {"brand": "visa", "last_4": "4005550000000019", "first_1": "4"}
    answer["three_d_secure_verification"] = {"status": "failed", "eci": "07"}
    facts = transaction_of(answer).facts
    assert (facts.card_brand, facts.card_last4) == ("visa", None)  # a full number is dropped
    assert (facts.code, facts.three_ds, facts.method) == ("F.0002", "failed", "credit_card")
    answer["credit_card"]["last_4"] = "0019"
    assert transaction_of(answer).facts.card_last4 == "0019"
