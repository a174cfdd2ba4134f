"""The Monitor's looks: counts, what changed since the last look, recent finishes, sync gate."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from console.auth import LOCAL_ADMIN
from console.billing import SyncReport
from console.ledger import Ledger, NewBill, NewSubscription
from console.status import BillStatus, SubscriptionStatus
from console.ui.monitor_view import (
    StatusChange,
    SyncGate,
    count_deltas,
    still_highlighted,
    take_look,
)

NOW = datetime(2024, 5, 31, 12, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def add_bill(ledger: Ledger, n: int, *, provider="bepaid", kind="card_link", minutes_ago=10):
    return ledger.create_bill(
        NewBill(
            provider=provider,
            kind=kind,
            tracking_id=f"t-{n}",
            amount=1000 + n,
            currency="BYN",
            status=BillStatus.PENDING,
            at=NOW - timedelta(minutes=minutes_ago),
            expires_at=NOW + timedelta(hours=2),
        )
    )


def add_subscription(ledger: Ledger, n: int, status=SubscriptionStatus.ACTIVE):
    sub = ledger.create_subscription(
        NewSubscription(
            tracking_id=f"s-{n}",
            amount=500,
            currency="EUR",
            interval=1,
            interval_unit="month",
            status=SubscriptionStatus.PENDING,
            at=NOW - timedelta(days=3),
        )
    )
    if status != SubscriptionStatus.PENDING:
        ledger.record_subscription_status(
            sub, status, status.value, "poll", NOW - timedelta(days=2)
        )
    return sub


def test_a_look_counts_open_items_per_type_and_status_newest_first(ledger):
    for n, minutes in enumerate((30, 5, 20)):
        add_bill(ledger, n, minutes_ago=minutes)
    add_subscription(ledger, 1)
    add_subscription(ledger, 2, SubscriptionStatus.PAST_DUE)
    look = take_look(ledger, now=NOW)
    assert look.counts == {
        ("bill", "pending"): 3,
        ("subscription", "active"): 1,
        ("subscription", "past_due"): 1,
    }
    assert [item.ref for item in look.items if item.object_type == "bill"] == ["B2", "B3", "B1"]
    assert look.changes == [] and not look.truncated


def test_filters_narrow_the_look(ledger):
    add_bill(ledger, 1)
    add_bill(ledger, 2, provider="payture", kind="payture_bill")
    add_subscription(ledger, 1)
    assert {i.ref for i in take_look(ledger, provider="payture", now=NOW).items} == {"B2"}
    assert {i.ref for i in take_look(ledger, kind="subscription", now=NOW).items} == {"S1"}


def test_changes_since_the_last_look_include_finished_and_new_items(ledger):
    first_bill, second_bill = add_bill(ledger, 1), add_bill(ledger, 2)
    sub = add_subscription(ledger, 1)
    before = take_look(ledger, now=NOW)
    ledger.record_bill_status(first_bill, BillStatus.PAID, "successful", "webhook", NOW)
    ledger.record_subscription_status(sub, SubscriptionStatus.PAST_DUE, "failed_attempt", "poll")
    add_bill(ledger, 3)
    after = take_look(ledger, previous=before.statuses, now=NOW + timedelta(seconds=5))
    assert [change.text for change in after.changes] == [
        "B1: pending → paid",
        "B3: new, pending",
        "S1: active → past_due",
    ]
    assert [change.finished for change in after.changes] == [True, False, False]
    assert second_bill and "B2" in after.statuses
    assert after.finished[0].ref == "B1" and after.finished[0].status == "paid"
    assert count_deltas(after.counts, before.counts)[("bill", "pending")] == 0  # -1 paid, +1 new


def test_recently_finished_skips_provider_status_only_events(ledger):
    bill = ledger.create_bill(
        NewBill(
            provider="payture",
            kind="payture_bill",
            tracking_id="p-1",
            amount=2990,
            currency="RUB",
            status=BillStatus.PENDING,
            at=NOW - timedelta(hours=1),
        )
    )
    ledger.record_bill_status(bill, BillStatus.PAID, "PAID", "webhook", NOW - timedelta(minutes=2))
    ledger.record_bill_status(bill, BillStatus.PAID, "DONE", "poll", NOW)  # native moved only
    [finished] = take_look(ledger, now=NOW).finished
    assert (finished.ref, finished.before, finished.status) == ("B1", "pending", "paid")
    assert finished.native_status == "PAID"


def test_highlights_fade_after_a_minute():
    seen = StatusChange("B1", "pending", "paid", NOW)
    assert still_highlighted([seen], NOW + timedelta(seconds=59)) == [seen]
    assert still_highlighted([seen], NOW + timedelta(seconds=61)) == []


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_sync_gate_reuses_a_recent_pass_unless_forced(ledger):
    clock, calls = FakeClock(), []

    def refresh(actor):
        calls.append(actor)
        return SyncReport(started_at=NOW)

    gate = SyncGate(3.0, monotonic=clock)
    assert gate.run(refresh, LOCAL_ADMIN).ran
    clock.now += 1
    reused = gate.run(refresh, LOCAL_ADMIN)
    assert not reused.ran and reused.report is gate.last_report
    assert gate.run(refresh, LOCAL_ADMIN, force=True).ran
    clock.now += 5
    assert gate.run(refresh, LOCAL_ADMIN).ran
    assert len(calls) == 3


def test_sync_gate_never_runs_two_passes_at_once(ledger):
    started, release = threading.Event(), threading.Event()

    def slow_refresh(actor):
        started.set()
        release.wait(10)
        return SyncReport(started_at=NOW)

    gate = SyncGate(0.0)
    worker = threading.Thread(target=gate.run, args=(slow_refresh, LOCAL_ADMIN))
    worker.start()
    assert started.wait(10)
    second = gate.run(slow_refresh, LOCAL_ADMIN, force=True)
    release.set()
    worker.join(10)
    assert not second.ran and second.note == "another session is checking providers"
