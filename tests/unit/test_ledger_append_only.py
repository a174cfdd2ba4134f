"""Status history is append-only: the database itself refuses to change or delete it."""

from __future__ import annotations

import sqlite3

import pytest

from console.ledger import Ledger, NewBill


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        bill_id = ledger.create_bill(
            NewBill(
                provider="bepaid", kind="card_link", tracking_id="o-1", amount=1, currency="EUR"
            )
        )
        ledger.record_bill_status(bill_id, "paid", "successful", "webhook")
        yield ledger


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE status_events SET to_status = 'failed'",
        "UPDATE status_events SET detail = 'edited' WHERE id = 1",
        "DELETE FROM status_events",
        "DELETE FROM status_events WHERE id = 2",
    ],
)
def test_history_cannot_be_changed_even_with_raw_sql(ledger, statement):
    before = ledger.history("bill", 1)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), ledger.write() as conn:
        conn.execute(statement)
    assert ledger.history("bill", 1) == before


def test_history_cannot_be_changed_from_another_connection(ledger):
    conn = sqlite3.connect(ledger.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM status_events")
    finally:
        conn.close()
    assert len(ledger.history("bill", 1)) == 2


def test_appending_still_works(ledger):
    ledger.record_bill_status(1, "refunded", "refunded", "console")
    assert [e.to_status for e in ledger.history("bill", 1)] == ["creating", "paid", "refunded"]
