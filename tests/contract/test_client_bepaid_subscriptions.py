"""BepaidClient against the sandbox: plans, customers, subscriptions — and their errors."""

from __future__ import annotations

import pytest

from console.providers import (
    AuthenticationFailed,
    BepaidClient,
    NewCustomer,
    NewPlan,
    NotFound,
    Period,
    ProviderValidationError,
    close_shared_clients,
)
from console.status import SubscriptionStatus
from tests.contract.client_support import APPROVED, admin_post, clients, settings_for

DAILY = NewPlan(
    title="Daily coffee",
    currency="USD",
    amount=500,
    interval=1,
    interval_unit="day",
    trial=Period(amount=100, interval=1, interval_unit="hour"),
    number_payment_attempts=2,
)


@pytest.fixture(scope="module")
def shop(module_sandbox):
    with clients(module_sandbox[0]) as made:
        yield made.bepaid


def test_plan_create_get_list(shop):
    plan = shop.create_plan(DAILY)
    assert plan.id.startswith("pln_")
    assert (plan.amount, plan.currency, plan.period.interval_unit) == (500, "USD", "day")
    assert plan.trial == Period(amount=100, interval=1, interval_unit="hour")
    assert plan.number_payment_attempts == 2 and plan.infinite
    assert plan.created_at is not None and plan.created_at.tzinfo is not None
    assert shop.get_plan(plan.id) == plan
    assert plan.id in [p.id for p in shop.list_plans(per_page=100)]


def test_customer_create_get_list(shop):
    customer = shop.create_customer(
        NewCustomer(email="payer@example.com", ip="127.0.0.1", first_name="Jane", country="BY")
    )
    assert customer.id.startswith("cst_") and customer.email == "payer@example.com"
    assert shop.get_customer(customer.id).first_name == "Jane"
    assert customer.id in [c.id for c in shop.list_customers()]


def test_subscription_with_inline_plan_is_paid_and_cancelled(shop, module_client):
    sub = shop.create_subscription(
        plan=DAILY,
        customer=NewCustomer(email="payer@example.com", ip="127.0.0.1"),
        tracking_id="sub-inline-1",
        return_url="https://shop.example/back",
        language="ru",
    )
    assert sub.status is SubscriptionStatus.PENDING and sub.native_status == "redirecting"
    assert sub.redirect_url and sub.tracking_id == "sub-inline-1"
    assert sub.plan is not None and sub.plan.amount == 500 and sub.customer_id

    admin_post(module_client, f"/__sandbox/subscriptions/{sub.id}/pay", {"card": APPROVED})
    paid = shop.get_subscription(sub.id)
    assert paid.status is SubscriptionStatus.TRIAL
    assert paid.last_transaction is not None and paid.last_transaction.native_status == "successful"

    cancelled = shop.cancel_subscription(sub.id, reason="Customer's request")
    assert cancelled.status is SubscriptionStatus.CANCELED
    assert cancelled.cancel_reason == "Customer's request"
    assert cancelled.cancelled_at is not None and cancelled.cancelled_at.tzinfo is not None


def test_subscription_by_plan_id_and_customer_id(shop):
    plan = shop.create_plan(DAILY)
    customer = shop.create_customer(NewCustomer(email="p@example.com", ip="10.0.0.1"))
    sub = shop.create_subscription(plan=plan.id, customer=customer.id, tracking_id="sub-ids")
    assert (sub.plan_id, sub.customer_id) == (plan.id, customer.id)
    assert shop.get_subscription(sub.id).id == sub.id


def test_cancelling_twice_is_a_readable_refusal(shop):
    sub = shop.create_subscription(plan=DAILY, tracking_id="sub-twice")
    shop.cancel_subscription(sub.id, reason="first")
    with pytest.raises(ProviderValidationError) as caught:
        shop.cancel_subscription(sub.id, reason="second")
    assert caught.value.field_errors == ("Subscription is already canceled",)


@pytest.mark.parametrize(
    ("call", "line"),
    [
        (
            lambda shop: shop.create_customer(NewCustomer(email="nope", ip="300.1.1.1")),
            "email: is invalid",
        ),
        (
            lambda shop: shop.create_subscription(plan="pln_0000000000000000"),
            "plan: plan with this ID doesn't exist for this account",
        ),
        (
            lambda shop: shop.create_subscription(
                plan=NewPlan(**{**vars_of(DAILY), "language": "x" * 11})
            ),
            "plan.language: is too long (maximum is 10 characters)",
        ),
        (
            lambda shop: shop.create_subscription(plan=DAILY, customer="cst_0000000000000000"),
            "customer: customer with this ID doesn't exist for this account",
        ),
    ],
)
def test_documented_validation_errors_are_readable(shop, call, line):
    with pytest.raises(ProviderValidationError) as caught:
        call(shop)
    assert caught.value.http_status == 422
    assert line in caught.value.field_errors
    assert line in caught.value.user_message


@pytest.mark.parametrize(
    "call",
    [
        lambda shop: shop.get_plan("pln_0000000000000000"),
        lambda shop: shop.get_customer("cst_0000000000000000"),
        lambda shop: shop.get_subscription("sbs_0000000000000000"),
        lambda shop: shop.cancel_subscription("sbs_0000000000000000", reason="x"),
    ],
)
def test_unknown_ids_are_not_found(shop, call):
    with pytest.raises(NotFound) as caught:
        call(shop)
    assert caught.value.http_status == 404


def test_wrong_secret_is_authentication_failed(module_sandbox):
    with clients(module_sandbox[0], secret="wrong-secret") as made:
        for call in (made.bepaid.list_plans, lambda: made.bepaid.create_plan(DAILY)):
            with pytest.raises(AuthenticationFailed) as caught:
                call()
            assert caught.value.http_status == 401
            assert "wrong-secret" not in str(caught.value) + caught.value.user_message


def test_from_settings_uses_the_shared_connection_pool(module_sandbox):
    settings = settings_for(module_sandbox[0])
    try:
        first = BepaidClient.from_settings(settings)
        second = BepaidClient.from_settings(settings)
        assert first._client is second._client  # one httpx.Client per shop per process
        assert first.create_plan(DAILY).id != second.create_plan(DAILY).id
    finally:
        close_shared_clients()


def vars_of(plan: NewPlan) -> dict:
    return {name: getattr(plan, name) for name in NewPlan.__slots__}
