"""BepaidClient against the sandbox: hosted checkout pay links and card transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.providers import AuthenticationFailed, NewCheckout, NotFound, ProviderValidationError
from console.status import BillStatus
from tests.contract.client_support import APPROVED, DECLINED, admin_post, clients


@pytest.fixture(scope="module")
def shop(module_sandbox):
    with clients(module_sandbox[0]) as made:
        yield made.bepaid


def new_link(shop, tracking_id: str, **extra):
    return shop.create_checkout(
        NewCheckout(
            amount=1250,
            currency="BYN",
            description="Order 17",
            tracking_id=tracking_id,
            test=True,
            success_url="https://shop.example/ok",
            language="ru",
            **extra,
        )
    )


def test_pay_link_is_created_and_read_back(shop):
    expires = datetime.now(UTC) + timedelta(hours=2)
    link = new_link(shop, "order-link-1", expires_at=expires)
    assert len(link.token) == 64 and link.token in link.redirect_url
    checkout = shop.get_checkout(link.token)
    assert (checkout.status, checkout.native_status) == (BillStatus.PENDING, "pending")
    assert (checkout.amount, checkout.currency) == (1250, "BYN")
    assert checkout.tracking_id == "order-link-1" and not checkout.finished
    assert checkout.transaction_uid is None
    assert abs((checkout.expires_at - expires).total_seconds()) < 1


@pytest.mark.parametrize(
    ("card", "status"), [(APPROVED, BillStatus.PAID), (DECLINED, BillStatus.FAILED)]
)
def test_paid_link_shows_its_transaction(shop, module_client, card, status):
    tracking_id = f"order-paid-{card[-4:]}"
    link = new_link(shop, tracking_id)
    admin_post(module_client, f"/__sandbox/checkouts/{link.token}/pay", {"card": card})
    checkout = shop.get_checkout(link.token)
    assert checkout.status is status and checkout.finished
    transaction = shop.get_transaction(checkout.transaction_uid)
    assert transaction.status is status
    assert (transaction.amount, transaction.currency) == (1250, "BYN")
    assert transaction.tracking_id == tracking_id
    assert transaction.created_at is not None and transaction.created_at.tzinfo is not None
    assert shop.find_transactions(tracking_id) == (transaction,)


def test_find_by_tracking_id_is_newest_first(shop, module_client):
    for card in (DECLINED, APPROVED):
        link = new_link(shop, "order-retried")
        admin_post(module_client, f"/__sandbox/checkouts/{link.token}/pay", {"card": card})
    found = shop.find_transactions("order-retried")
    assert [t.status for t in found] == [BillStatus.PAID, BillStatus.FAILED]


def test_find_by_unknown_tracking_id_is_empty(shop):
    assert shop.find_transactions("never-used-tracking-id") == ()


def test_tracking_id_with_reserved_characters_round_trips(shop, module_client):
    odd = "order/17?x=1;#ž"
    link = new_link(shop, odd)
    admin_post(module_client, f"/__sandbox/checkouts/{link.token}/pay", {"card": APPROVED})
    assert [t.tracking_id for t in shop.find_transactions(odd)] == [odd]


@pytest.mark.parametrize(
    ("extra", "line_start"),
    [
        ({"success_url": "not a url"}, "checkout.settings.success_url: "),
        (
            {"expires_at": datetime(2000, 1, 1, tzinfo=UTC)},
            "checkout.order.expired_at: ",
        ),
    ],
)
def test_checkout_validation_errors_are_readable(shop, extra, line_start):
    with pytest.raises(ProviderValidationError) as caught:
        shop.create_checkout(
            NewCheckout(amount=100, currency="EUR", description="x", tracking_id="bad-1", **extra)
        )
    assert any(line.startswith(line_start) for line in caught.value.field_errors)


@pytest.mark.parametrize(
    "call",
    [
        lambda shop: shop.get_checkout("0" * 64),
        lambda shop: shop.get_transaction("000000000-0000000000"),
    ],
)
def test_unknown_checkout_or_transaction_is_not_found(shop, call):
    with pytest.raises(NotFound):
        call(shop)


def test_wrong_secret_cannot_create_a_link(module_sandbox):
    with clients(module_sandbox[0], secret="wrong") as made:
        with pytest.raises(AuthenticationFailed):
            new_link(made.bepaid, "order-denied")
        with pytest.raises(AuthenticationFailed):
            made.bepaid.find_transactions("order-denied")
