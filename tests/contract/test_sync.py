"""Bulk refresh of every open bill and subscription in one pass."""

from __future__ import annotations

import threading

import pytest

from console.billing import (
    ApmPaymentDraft,
    PayLinkDraft,
    PaytureBillDraft,
    PlanDraft,
    SubscriptionDraft,
)
from console.errors import ConfigError
from console.ledger import now_ms
from console.providers import RetryPolicy
from console.status import BillStatus, SubscriptionStatus
from tests.contract.billing_support import GIFT_PRODUCT, NO_WAIT, OPERATOR, SUPPORT, open_desk

PLAN = PlanDraft(title="Monthly", amount="5", currency="EUR", interval=1, interval_unit="month")


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


def sync(desk, **options):
    return desk.billing.sync.refresh_open(retry=NO_WAIT, **options)


def link(desk, amount="5"):
    return desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount=amount, currency="EUR", description="x")
    )


def test_one_pass_records_every_change_at_every_provider(desk):
    desk.clock.freeze()  # "a moment ago" below must not depend on the machine's speed
    links = [link(desk, str(n)) for n in (1, 2, 3)]
    apms = [
        desk.billing.apm_payments.create(
            OPERATOR,
            ApmPaymentDraft(amount=str(n), currency="BYN", description="x", method_type="erip"),
        )
        for n in (4, 5)
    ]
    bill = desk.billing.payture_bills.create(OPERATOR, PaytureBillDraft(product_id=GIFT_PRODUCT))
    sub = desk.billing.subscriptions.create(OPERATOR, SubscriptionDraft(plan=PLAN))
    untouched = link(desk, "9")
    for created in links:
        desk.pay_checkout(created.bill.token)
    for created in apms:
        desk.pay_apm(created.bill.provider_id)
    desk.pay_bill(bill.bill.provider_id)
    desk.pay_subscription(sub.subscription.provider_id)

    report = sync(desk, concurrency=3)

    assert report.ok and report.checked == 8
    changed = {c.ref: (c.before, c.after) for c in report.changes}
    expected = {c.ref: ("pending", "paid") for c in (*links, *apms, bill)}
    assert changed == {**expected, sub.ref: ("pending", "active")}
    assert untouched.ref not in changed
    assert report.new_payments == 7
    assert "8 due checked" in report.summary() and "7 new payments" in report.summary()
    for created in (*links, *apms, bill):
        assert [e.source for e in desk.ledger.history("bill", created.bill.id)][-1] == "poll"
    assert desk.ledger.get_subscription(sub.subscription.id).status == SubscriptionStatus.ACTIVE

    again = sync(desk)
    assert again.ok and again.checked == 0  # everything was checked a moment ago
    desk.clock.advance(seconds=5)  # the next refresh: the fresh unpaid link is due again
    later = sync(desk)
    assert later.ok and later.changes == [] and later.checked == 1
    everything = sync(desk, everything=True)  # `sync --all`: every open object, due or not
    assert everything.checked == 2  # the unpaid link and the active subscription


def test_failing_object_is_reported_while_the_others_are_refreshed(desk):
    broken, fine = link(desk), link(desk)
    desk.pay_checkout(broken.bill.token)
    desk.pay_checkout(fine.bill.token)
    desk.fault(method="GET", path=f"/ctp/api/checkouts/{broken.bill.token}", kind="error",
               status=503, count=3)  # fmt: skip

    report = sync(desk)

    assert [(e.ref, e.error) for e in report.errors] == [(broken.ref, "ProviderUnavailable")]
    assert "not answering" in report.errors[0].message
    assert [c.ref for c in report.changes] == [fine.ref]
    assert desk.ledger.get_bill(broken.bill.id).status == BillStatus.PENDING
    assert "1 errors" in report.summary() and broken.ref in report.summary()


def test_a_rate_limit_is_waited_out_and_the_object_asked_again_after_it(desk):
    created = link(desk)
    desk.pay_checkout(created.bill.token)
    desk.fault(method="GET", path=f"/ctp/api/checkouts/{created.bill.token}",
               kind="rate_limit", retry_after=1)  # fmt: skip
    # One attempt per request, so the 429 reaches the pass instead of the client's retries.
    limited = desk.billing.sync.refresh_open(retry=RetryPolicy(attempts=1))
    assert [error.error for error in limited.errors] == ["RateLimited"]
    assert desk.ledger.polling.paused_until("bepaid") is not None
    desk.clock.advance(seconds=5)  # past the Retry-After, and the link is due again
    report = desk.billing.sync.refresh_open(retry=RetryPolicy(attempts=1))
    assert report.ok and [c.ref for c in report.changes] == [created.ref]


def test_a_status_recorded_meanwhile_by_the_receiver_is_never_regressed(desk, wait_until):
    created = link(desk)
    fault = desk.fault(method="GET", path=f"/ctp/api/checkouts/{created.bill.token}",
                       kind="latency", seconds=1)  # fmt: skip

    def receiver_reports_paid_while_sync_waits():
        faults = lambda: desk.admin.get("/__sandbox/faults").json()["faults"]  # noqa: E731
        wait_until(lambda: any(f["id"] == fault["id"] and f["applied"] for f in faults()))
        desk.ledger.record_bill_status(created.bill.id, BillStatus.PAID, "successful", "webhook")

    receiver = threading.Thread(target=receiver_reports_paid_while_sync_waits)
    receiver.start()
    report = sync(desk)  # its answer, "pending", arrives after the webhook's "paid"
    receiver.join()

    assert report.ok
    assert desk.ledger.get_bill(created.bill.id).status == BillStatus.PAID
    events = desk.ledger.history("bill", created.bill.id)
    assert [(e.to_status, e.source) for e in events][-1] == ("paid", "webhook")


def test_creations_being_confirmed_are_resolved_by_sync(desk):
    desk.fault(method="POST", path="/ctp/api/checkouts", kind="drop")
    lost = link(desk)
    assert lost.confirming

    first = sync(desk)
    assert first.confirming == [lost.ref] and first.changes == []

    desk.clock.advance(minutes=11)
    second = sync(desk)
    assert [(c.ref, c.after) for c in second.changes] == [(lost.ref, "canceled")]
    assert ("sync", "confirm_creation", "ok") in desk.audit_actions()


def test_demo_rows_are_skipped(desk):
    desk.ledger.bulk_insert(
        "bills",
        [{"id": 900 + n, "provider": "bepaid", "kind": "card_link", "tracking_id": f"demo-{n}",
          "amount": 100, "currency": "EUR", "status": "pending", "demo": 1,
          "created_at": now_ms(), "updated_at": now_ms()} for n in range(3)],
    )  # fmt: skip
    report = sync(desk)
    assert (report.checked, report.errors) == (0, [])
    assert {desk.ledger.get_bill(900 + n).status for n in range(3)} == {"pending"}


def test_support_runs_the_pass_in_its_own_name(desk):
    created = link(desk)
    desk.pay_checkout(created.bill.token)
    report = desk.billing.sync.refresh_open(actor=SUPPORT, retry=NO_WAIT)
    assert [c.ref for c in report.changes] == [created.ref]


@pytest.mark.parametrize("concurrency", [0, -1, 2.5, True])
def test_concurrency_must_be_a_positive_whole_number(desk, concurrency):
    with pytest.raises(ConfigError):
        sync(desk, concurrency=concurrency)
