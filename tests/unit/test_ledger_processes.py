"""Two processes writing one ledger at the same moment (the console and the webhook
receiver run as separate programs): every write lands, none fails with "locked"."""

from __future__ import annotations

import multiprocessing
import sys
import types
from datetime import UTC, datetime

from console.ledger import Ledger, NewBill

BILLS_PER_PROCESS = 150


def write_bills(path: str, name: str, barrier) -> None:
    """Runs in a spawned process: create, report and pay bills as fast as it can."""
    ledger = Ledger(path)
    barrier.wait(timeout=60)  # both processes have opened the file: start together
    for number in range(BILLS_PER_PROCESS):
        with ledger.write():
            bill_id = ledger.create_bill(
                NewBill(
                    provider="bepaid",
                    kind="card_link",
                    tracking_id=f"{name}-{number}",
                    amount=100 + number,
                    currency="EUR",
                )
            )
            ledger.record_bill_status(bill_id, "paid", "successful", "webhook")
        ledger.record_payment(
            provider="bepaid",
            provider_txn_id=f"{name}-t{number}",
            amount=100 + number,
            currency="EUR",
            at=datetime.now(UTC),
            bill_id=bill_id,
        )
        ledger.audit(name, "pay", "bill", bill_id, "ok", "test")
    ledger.close()


def test_two_processes_writing_at_once_lose_nothing(tmp_path, monkeypatch):
    # "spawn" re-runs the parent's __main__ in each child; earlier tests (AppTest runs a
    # page as a script) can leave it pointing at a Streamlit page. The children need
    # nothing from __main__: give them an empty one.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    path = str(tmp_path / "ledger.db")
    Ledger(path).close()  # create and migrate once, as `merchant-console run` does
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [
        context.Process(target=write_bills, args=(path, name, barrier)) for name in ("a", "b")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]

    with Ledger(path) as ledger:
        conn = ledger.connection()
        count = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        total = 2 * BILLS_PER_PROCESS
        assert count("SELECT count(*) FROM bills WHERE status = 'paid'") == total
        assert count("SELECT count(*) FROM payments") == total
        assert count("SELECT count(*) FROM status_events") == 2 * total
        assert count("SELECT count(DISTINCT actor) FROM audit_log") == 2
        assert count("SELECT sum(amount) FROM payments") == 2 * sum(
            100 + n for n in range(BILLS_PER_PROCESS)
        )
