"""The bulk path: many rows with explicit ids in one transaction, constraints still on."""

from __future__ import annotations

import sqlite3

import pytest

from console.errors import ValidationError
from console.ledger import Ledger, NewSubscription

T = 1_767_225_600_000  # 2026-01-01T00:00:00Z in epoch milliseconds
BILL = (
    "id",
    "provider",
    "kind",
    "tracking_id",
    "amount",
    "currency",
    "status",
    "created_at",
    "updated_at",
    "demo",
)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def bills(count, start=1):
    return [
        (i, "bepaid", "card_link", f"demo-{i}", 100 + i, "EUR", "paid", T + i, T + i, 1)
        for i in range(start, start + count)
    ]


def test_rows_with_explicit_ids_link_payments_and_events(ledger):
    assert ledger.bulk_insert("bills", bills(500, start=1000), columns=BILL, batch_size=64) == 500
    payments = [
        {
            "bill_id": i,
            "provider": "bepaid",
            "provider_txn_id": f"t{i}",
            "kind": "charge",
            "channel": "card_link",
            "amount": 100 + i,
            "currency": "EUR",
            "at": T + i,
            "demo": 1,
        }
        for i in range(1000, 1500)
    ]
    assert ledger.bulk_insert("payments", payments) == 500
    ledger.bulk_insert(
        "status_events",
        [("bill", 1200, None, "paid", "poll", T)],
        columns=("object_type", "object_id", "from_status", "to_status", "source", "at"),
    )
    bill = ledger.get_bill(1200)
    assert (bill.amount, bill.demo, bill.tracking_id) == (1300, True, "demo-1200")
    assert [p.amount for p in ledger.payments_of("bill", 1200)] == [1300]
    assert [e.to_status for e in ledger.history("bill", 1200)] == ["paid"]


def test_payments_without_a_channel_get_their_bills_kind(ledger):
    ledger.bulk_insert("bills", bills(1), columns=BILL)
    sub_id = ledger.create_subscription(
        NewSubscription(
            tracking_id="s", amount=5, currency="EUR", interval=1, interval_unit="month"
        )
    )
    columns = (
        "bill_id",
        "subscription_id",
        "provider",
        "provider_txn_id",
        "kind",
        "amount",
        "currency",
        "at",
    )
    rows = [
        (1, None, "bepaid", "t1", "charge", 101, "EUR", T),
        (None, sub_id, "bepaid", "t2", "charge", 5, "EUR", T),
    ]
    assert ledger.bulk_insert("payments", rows, columns=columns) == 2
    assert [p.channel for p in ledger.payments_of("bill", 1)] == ["card_link"]
    assert [p.channel for p in ledger.payments_of("subscription", sub_id)] == ["subscription"]


def test_a_bad_row_inserts_nothing(ledger):
    rows = bills(100)
    rows[70] = (*rows[70][:4], -5, *rows[70][5:])  # negative amount breaks a CHECK
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        ledger.bulk_insert("bills", rows, columns=BILL, batch_size=10)
    assert ledger.recent_bills() == []


def test_a_payment_for_a_missing_bill_is_refused(ledger):
    row = (1, "bepaid", "t1", "charge", "card_link", 5, "EUR", T)
    columns = (
        "bill_id",
        "provider",
        "provider_txn_id",
        "kind",
        "channel",
        "amount",
        "currency",
        "at",
    )
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        ledger.bulk_insert("payments", [row], columns=columns)


@pytest.mark.parametrize(
    ("table", "columns", "message"),
    [
        ("users", ("id",), "table"),
        ("bills", ("id", "colour"), "colour"),
        ("sqlite_master", ("name",), "table"),
    ],
)
def test_unknown_tables_and_columns_are_refused(ledger, table, columns, message):
    with pytest.raises(ValidationError, match=message):
        ledger.bulk_insert(table, [tuple(range(len(columns)))], columns=columns)


def test_bulk_load_rebuilds_indexes_and_rolls_back_as_a_whole(ledger):
    def index_names():
        return sorted(
            row[0]
            for row in ledger.connection().execute(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
            )
        )

    before = index_names()
    with ledger.bulk_load():
        ledger.bulk_insert("bills", bills(50), columns=BILL)
    assert index_names() == before
    assert len(ledger.recent_bills(100)) == 50

    with pytest.raises(RuntimeError), ledger.bulk_load():
        ledger.bulk_insert("bills", bills(50, start=51), columns=BILL)
        raise RuntimeError("generator crashed")
    assert index_names() == before
    assert len(ledger.recent_bills(100)) == 50


def test_every_status_of_the_vocabulary_fits_the_schema(ledger):
    from console.status import BillStatus, SubscriptionStatus

    rows = [
        (i, "bepaid", "card_link", f"s-{i}", 1, "EUR", status.value, T, T, 0)
        for i, status in enumerate(BillStatus, start=1)
    ]
    assert ledger.bulk_insert("bills", rows, columns=BILL) == len(BillStatus)
    subscriptions = [
        ("bepaid", f"s-{i}", 1, "EUR", 1, "month", status.value, T, T)
        for i, status in enumerate(SubscriptionStatus)
    ]
    columns = (
        "provider",
        "tracking_id",
        "amount",
        "currency",
        "interval",
        "interval_unit",
        "status",
        "created_at",
        "updated_at",
    )
    assert ledger.bulk_insert("subscriptions", subscriptions, columns=columns) == len(
        SubscriptionStatus
    )
