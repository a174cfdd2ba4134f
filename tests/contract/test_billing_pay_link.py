"""Card pay links: created at bePaid's hosted checkout, paid, refreshed into the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.billing import (
    Billing,
    PayLinkDraft,
    ProviderFailed,
    ProviderRejectedInput,
    UnknownObject,
)
from console.status import BillStatus
from tests.contract.billing_support import DECLINED, OPERATOR, open_desk


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


def test_pay_link_is_created_paid_and_refreshed_into_a_payment(desk):
    created = desk.billing.pay_links.create(
        OPERATOR,
        PayLinkDraft(
            amount="12.50",
            currency="byn",
            description="Order 17",
            customer_email="Payer@Example.com",
            success_url="https://shop.example/thanks",
        ),
    )
    assert not created.confirming
    assert created.bill.status == BillStatus.PENDING
    assert created.pay_url and created.bill.token in created.pay_url
    assert (created.bill.amount, created.bill.currency) == (1250, "BYN")
    assert created.bill.customer_email == "payer@example.com"
    assert created.bill.tracking_id.startswith("mc-link-")
    checkout = desk.state()["bepaid"]["checkouts"][0]
    assert checkout["order"]["tracking_id"] == created.bill.tracking_id
    assert checkout["settings"]["notification_url"] == "http://127.0.0.1:9/notifications/bepaid"
    assert checkout["test"] is True

    desk.pay_checkout(created.bill.token)
    refreshed = desk.billing.objects.refresh(OPERATOR, created.ref)

    assert refreshed.record.status == BillStatus.PAID
    assert refreshed.change.before == "pending" and refreshed.change.after == "paid"
    [payment] = desk.ledger.payments_of("bill", created.bill.id)
    assert (payment.amount, payment.currency, payment.kind) == (1250, "BYN", "charge")
    history = desk.ledger.history("bill", created.bill.id)
    assert [(e.to_status, e.source) for e in history] == [
        ("creating", "console"),
        ("pending", "console"),
        ("paid", "poll"),
    ]
    assert ("olga", "create_pay_link", "ok") in desk.audit_actions()


def test_declined_payment_ends_failed_without_a_payment(desk):
    created = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount=500, currency="EUR", description="Declined order")
    )
    desk.pay_checkout(created.bill.token, card=DECLINED)
    refreshed = desk.billing.objects.refresh(OPERATOR, created.bill)
    assert refreshed.record.status == BillStatus.FAILED
    assert desk.ledger.payments_of("bill", created.bill.id) == []


def test_refreshing_twice_records_the_payment_once(desk):
    created = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount="3", currency="USD", description="x")
    )
    desk.pay_checkout(created.bill.token)
    desk.billing.objects.refresh(OPERATOR, created.ref)
    again = desk.billing.objects.refresh(OPERATOR, created.ref)
    assert not again.change.changed
    assert len(desk.ledger.payments_of("bill", created.bill.id)) == 1


def test_chosen_expiry_is_sent_and_recorded(desk):
    expires = desk.clock() + timedelta(hours=2)
    created = desk.billing.pay_links.create(
        OPERATOR,
        PayLinkDraft(amount="9.99", currency="EUR", description="Soon", expires_at=expires),
    )
    assert abs(created.bill.expires_at - expires) < timedelta(seconds=1)
    sent = desk.state()["bepaid"]["checkouts"][0]["order"]["expired_at"]
    assert sent.startswith(expires.strftime("%Y-%m-%dT%H:%M"))


def test_provider_refusal_is_shown_on_the_field_and_the_attempt_kept_as_failed(desk):
    # The sandbox clock runs two days ahead of the console's (as a live provider's clock
    # could), so an expiry one hour from our "now" is in bePaid's past: bePaid answers
    # 422 on checkout.order.expired_at.
    desk.post("/__sandbox/clock/advance", {"days": 2})
    with pytest.raises(ProviderRejectedInput) as caught:
        desk.billing.pay_links.create(
            OPERATOR,
            PayLinkDraft(
                amount="10",
                currency="EUR",
                description="Late",
                expires_at=desk.clock() + timedelta(hours=1),
            ),
        )
    assert caught.value.errors == {"expires_at": "Must be in the future."}
    bill = desk.ledger.recent_bills(1)[0]
    assert caught.value.ref == bill.ref
    assert bill.status == BillStatus.FAILED
    assert "must be in the future" in desk.ledger.history("bill", bill.id)[-1].detail
    assert ("olga", "create_pay_link", "failed") in desk.audit_actions()


@pytest.mark.parametrize(
    ("fault", "error_class", "words"),
    [
        ({"kind": "error", "status": 503}, "ProviderUnavailable", "not answering"),
        ({"kind": "error", "status": 500}, "ProviderUnavailable", "not answering"),
        ({"kind": "rate_limit", "retry_after": 7}, "RateLimited", "try again in 7 seconds"),
    ],
    ids=["503", "500", "429"],
)
def test_provider_failure_gives_a_clear_message_and_a_failed_row(desk, fault, error_class, words):
    desk.fault(method="POST", path="/ctp/api/checkouts", **fault)
    with pytest.raises(ProviderFailed) as caught:
        desk.billing.pay_links.create(
            OPERATOR, PayLinkDraft(amount="10", currency="EUR", description="Busy")
        )
    assert words in caught.value.message
    assert type(caught.value.provider_error).__name__ == error_class
    if fault["kind"] == "rate_limit":
        assert caught.value.retry_after == 7
    bill = desk.ledger.recent_bills(1)[0]
    assert bill.status == BillStatus.FAILED and caught.value.ref == bill.ref
    assert desk.provider_objects()["checkouts"] == 0


class BrokenClient:
    """A client that fails in our own code after the request may have left."""

    def create_checkout(self, _checkout):
        raise RuntimeError("bug between sending and reading")


def test_a_crash_mid_call_leaves_a_row_that_refresh_can_resolve(desk):
    billing = Billing(desk.settings, desk.ledger, bepaid=BrokenClient(), clock=desk.clock)
    with pytest.raises(RuntimeError):
        billing.pay_links.create(
            OPERATOR, PayLinkDraft(amount="10", currency="EUR", description="Crash")
        )
    bill = desk.ledger.recent_bills(1)[0]
    assert bill.status == BillStatus.CREATING  # never lost: a refresh resolves it
    entry = desk.ledger.recent_audit(1)[0]
    assert (entry.action, entry.outcome) == ("create_pay_link", "failed")
    assert "RuntimeError" in entry.detail


def test_a_bare_number_is_ambiguous_between_bill_and_subscription(desk):
    with pytest.raises(UnknownObject, match="write B1 or S1"):
        desk.billing.objects.refresh(OPERATOR, "1")
