"""Async read clients (bulk sync) against the sandbox: same answers, errors and retries."""

from __future__ import annotations

import asyncio

import pytest

from console.providers import (
    AsyncBepaidClient,
    AsyncBeyagClient,
    AsyncPaytureClient,
    NewApmPayment,
    NewCheckout,
    NewPlan,
    NotFound,
    ProviderUnavailable,
)
from console.status import BillStatus, SubscriptionStatus
from tests.contract.client_support import (
    APPROVED,
    PRODUCT,
    Waits,
    add_fault,
    admin_post,
    clients,
    fault_applied,
    settings_for,
)

PLAN = NewPlan(title="Monthly", currency="BYN", amount=1990, interval=1, interval_unit="month")


@pytest.fixture
def admin(module_client):
    yield module_client
    module_client.delete("/__sandbox/faults")


def test_bulk_reads_concurrently(module_sandbox, module_client):
    url = module_sandbox[0]
    with clients(url) as made:
        link = made.bepaid.create_checkout(
            NewCheckout(amount=300, currency="EUR", description="Bulk", tracking_id="bulk-1")
        )
        admin_post(module_client, f"/__sandbox/checkouts/{link.token}/pay", {"card": APPROVED})
        sub = made.bepaid.create_subscription(plan=PLAN, tracking_id="bulk-sub")
        payment = made.beyag.create_payment(
            NewApmPayment(
                amount=700,
                currency="USD",
                description="Bulk",
                method_type="erip",
                return_url="https://shop.example/back",
                tracking_id="bulk-apm",
            )
        )
        bill = made.payture.bill_create(PRODUCT)
    settings = settings_for(url)

    async def sync_all():
        async with (
            AsyncBepaidClient.from_settings(settings) as shop,
            AsyncBeyagClient.from_settings(settings) as apm,
            AsyncPaytureClient.from_settings(settings) as bills,
        ):
            checkout = await shop.get_checkout(link.token)
            return checkout, await asyncio.gather(
                shop.get_transaction(checkout.transaction_uid),
                shop.find_transactions("bulk-1"),
                shop.get_subscription(sub.id),
                apm.get_payment(payment.uid),
                apm.find_payments("bulk-apm"),
                bills.bill_status(bill.bill_id),
            )

    checkout, (tx, found, subscription, apm_payment, apm_found, status) = asyncio.run(sync_all())
    assert checkout.status is BillStatus.PAID
    assert tx.status is BillStatus.PAID and found == (tx,)
    assert subscription.status is SubscriptionStatus.PENDING
    assert apm_payment.status is BillStatus.PENDING and apm_found == (apm_payment,)
    assert status.status is BillStatus.PENDING and status.amount == 99900


def test_async_reads_retry_and_map_errors_like_blocking_ones(module_sandbox, admin):
    settings = settings_for(module_sandbox[0])
    waits = Waits()
    spec = add_fault(
        admin, method="POST", path="/api/payments/20/payture/billStatus", kind="error", count=2
    )

    async def run():
        async with (
            AsyncPaytureClient.from_settings(settings, retry=waits.policy()) as bills,
            AsyncBepaidClient.from_settings(settings, retry=waits.policy(attempts=2)) as shop,
        ):
            status = await bills.bill_status("cc0e8400-e29b-41d4-a716-446655440009")
            with pytest.raises(NotFound):
                await shop.get_subscription("sbs_0000000000000000")
            add_fault(admin, method="GET", path="^/transactions/", kind="error", count=5)
            with pytest.raises(ProviderUnavailable) as caught:
                await shop.get_transaction("000000000-0000000000")
            return status, caught.value

    status, unavailable = asyncio.run(run())
    assert status.native_status == "PENDING"  # the doc's example bill, seeded by the sandbox
    assert fault_applied(admin, spec["id"]) == 2
    assert unavailable.attempts == 2
