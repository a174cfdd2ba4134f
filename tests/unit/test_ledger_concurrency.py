"""Many threads at once: one connection each, writes serialised by SQLite, nothing lost,
and no "database is locked" for any caller to retry."""

from __future__ import annotations

import gc
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from console.ledger import Ledger, NewBill
from console.status import BillStatus

THREADS, WRITES = 8, 200


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def test_eight_threads_writing_at_once_lose_nothing(ledger):
    barrier = threading.Barrier(THREADS)

    def writer(worker):
        barrier.wait()  # start together, so the writes really contend
        ids = []
        for number in range(WRITES):
            bill_id = ledger.create_bill(
                NewBill(
                    provider="bepaid",
                    kind="card_link",
                    tracking_id=f"w{worker}-{number}",
                    amount=number + 1,
                    currency="EUR",
                )
            )
            ledger.record_bill_status(bill_id, BillStatus.PENDING, "incomplete", "poll")
            ids.append(bill_id)
            ledger.lookup(f"B{bill_id}")  # readers run between the writes
        return ids

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(writer, range(THREADS)))  # re-raises any worker error

    all_ids = [bill_id for ids in results for bill_id in ids]
    assert len(set(all_ids)) == THREADS * WRITES
    conn = ledger.connection()
    assert conn.execute("SELECT count(*) FROM bills").fetchone()[0] == THREADS * WRITES
    assert conn.execute("SELECT count(*) FROM status_events").fetchone()[0] == 2 * THREADS * WRITES
    assert conn.execute("SELECT count(*) FROM bills WHERE status = 'pending'").fetchone()[0] == (
        THREADS * WRITES
    )


def test_racing_reports_of_the_same_payment_change_the_bill_once(ledger):
    bill_id = ledger.create_bill(
        NewBill(
            provider="bepaid",
            kind="card_link",
            tracking_id="o-1",
            amount=500,
            currency="EUR",
            status=BillStatus.PENDING,
        )
    )
    barrier = threading.Barrier(THREADS)

    def report(worker):
        barrier.wait()
        return ledger.record_bill_status(
            bill_id, BillStatus.PAID, "successful", "webhook" if worker % 2 else "poll"
        )

    with ThreadPoolExecutor(THREADS) as pool:
        changed = list(pool.map(report, range(THREADS)))
    assert changed.count(True) == 1
    assert [e.to_status for e in ledger.history("bill", bill_id)] == ["pending", "paid"]


def test_every_thread_gets_its_own_connection_and_it_closes_when_the_thread_ends(ledger):
    seen = []

    def use():
        seen.append(id(ledger.connection()))
        ledger.recent_bills()

    threads = [threading.Thread(target=use) for _ in range(20)]
    for thread in threads:
        thread.start()
        thread.join()  # one after another, like Streamlit reruns
    gc.collect()
    assert ledger.open_connections <= 1  # only this test's own thread may still hold one
    assert ledger.connection() is ledger.connection()


def test_an_inner_write_that_fails_rolls_back_only_itself(ledger):
    with ledger.write():
        kept = ledger.create_bill(
            NewBill(provider="bepaid", kind="card_link", tracking_id="a", amount=1, currency="EUR")
        )
        with pytest.raises(ValueError), ledger.write() as conn:
            conn.execute("UPDATE bills SET amount = 2 WHERE id = ?", (kept,))
            raise ValueError("changed my mind")
    assert ledger.get_bill(kept).amount == 1


def test_a_failed_write_block_leaves_nothing_behind(ledger):
    with pytest.raises(RuntimeError), ledger.write():
        ledger.create_bill(
            NewBill(provider="bepaid", kind="card_link", tracking_id="a", amount=1, currency="EUR")
        )
        ledger.audit("ann", "create_bill", "bill", 1)
        raise RuntimeError("provider call failed")
    assert ledger.recent_bills() == [] and ledger.recent_audit() == []
    assert ledger.recent_events() == []
