"""Notices that arrive together commit together, each with the verdict it would get alone.

The receiver's :class:`LedgerWriter` on a real ledger file. The writer's slot is
held by a write that waits on an event, so the notices queue behind it for certain;
every wait here ends on state (the queue's length, the event), never on time.
"""

from __future__ import annotations

import json
import sqlite3
import threading

import anyio
import pytest

from console.errors import LedgerError
from console.ledger import Ledger, NewBill
from console.status import BillStatus
from console.webhooks import Delivery, LedgerWriter, Verdict, read_notice


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def pending_bill(ledger: Ledger, tracking_id: str) -> int:
    return ledger.create_bill(
        NewBill(
            provider="bepaid",
            kind="card_link",
            tracking_id=tracking_id,
            amount=1250,
            currency="BYN",
            status=BillStatus.PENDING,
            test=True,
        )
    )


def paid(tracking_id: str):
    transaction = {
        "uid": f"uid-{tracking_id}",
        "status": "successful",
        "amount": 1250,
        "currency": "BYN",
        "type": "payment",
        "tracking_id": tracking_id,
        "test": True,
        "paid_at": "2026-01-05T10:00:00Z",
    }
    return read_notice("bepaid", json.dumps({"transaction": transaction}).encode())


def apply_while_the_slot_is_held(writer: LedgerWriter, notices, *, before_release=None):
    """Queue ``notices`` behind a write that holds the slot, then let it finish.

    Returns one Verdict or exception per notice, in order.
    """
    release = threading.Event()
    outcomes: list[Verdict | BaseException | None] = [None] * len(notices)

    async def one(index, notice):
        try:
            outcomes[index] = await writer.apply(notice, Delivery(body_sha256="0" * 64))
        except Exception as exc:
            outcomes[index] = exc

    async def main():
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(writer.run, release.wait)
            for index, notice in enumerate(notices):
                tasks.start_soon(one, index, notice)
            while writer.waiting < len(notices):
                await anyio.sleep(0)  # a checkpoint: lets the queued tasks run
            if before_release is not None:
                before_release()
            release.set()

    anyio.run(main)
    return outcomes


def test_notices_queued_behind_a_write_share_one_transaction(ledger):
    bills = {tracking_id: pending_bill(ledger, tracking_id) for tracking_id in ("a", "b", "c")}
    writer = LedgerWriter(ledger)

    outcomes = apply_while_the_slot_is_held(writer, [paid("a"), paid("b"), paid("c"), paid("a")])

    assert writer.commits == 1
    assert [o.verdict for o in outcomes] == ["applied", "applied", "applied", "duplicate"]
    # the repeat saw the first one, committed in the same transaction
    assert outcomes[3].detail == f"repeats notification #{outcomes[0].notification_id}"
    for bill_id in bills.values():
        assert ledger.get_bill(bill_id).status is BillStatus.PAID
        assert len(ledger.payments_of("bill", bill_id)) == 1
    recorded = ledger.recent_notifications(10)
    assert sorted(n.id for n in recorded) == sorted(o.notification_id for o in outcomes)


class PaymentFailsFor(Ledger):
    """A ledger whose payment writes for one bill fail (a disk error, as it were)."""

    failing_bill: int | None = None

    def record_payment(self, **kwargs):
        if kwargs.get("bill_id") == self.failing_bill:
            raise sqlite3.OperationalError("disk I/O error")
        return super().record_payment(**kwargs)


def test_a_notice_that_fails_fails_alone_and_the_others_commit(tmp_path):
    with PaymentFailsFor(tmp_path / "ledger.db") as ledger:
        bills = {tracking_id: pending_bill(ledger, tracking_id) for tracking_id in "abc"}
        ledger.failing_bill = bills["b"]
        writer = LedgerWriter(ledger)

        outcomes = apply_while_the_slot_is_held(writer, [paid("a"), paid("b"), paid("c")])

        assert isinstance(outcomes[1], sqlite3.OperationalError)  # the receiver answers 500
        assert [outcomes[0].verdict, outcomes[2].verdict] == ["applied", "applied"]
        assert ledger.get_bill(bills["a"]).status is BillStatus.PAID
        assert ledger.get_bill(bills["c"]).status is BillStatus.PAID
        # nothing of the failed one: its status change went with its payment
        assert ledger.get_bill(bills["b"]).status is BillStatus.PENDING
        assert ledger.notifications_of("bill", bills["b"]) == []
        assert len(ledger.recent_notifications(10)) == 2


def test_a_write_lock_held_elsewhere_fails_the_whole_group_and_writes_nothing(tmp_path):
    path = tmp_path / "ledger.db"
    with Ledger(path, busy_timeout=0.2) as ledger, Ledger(path) as other_process:
        bills = [pending_bill(ledger, tracking_id) for tracking_id in "abc"]
        writer = LedgerWriter(ledger)
        holding = other_process.write()

        outcomes = apply_while_the_slot_is_held(
            writer, [paid("a"), paid("b"), paid("c")], before_release=holding.__enter__
        )
        holding.__exit__(None, None, None)

        assert all(isinstance(outcome, LedgerError) for outcome in outcomes)
        assert ledger.recent_notifications(10) == []
        assert all(ledger.get_bill(b).status is BillStatus.PENDING for b in bills)
        # the provider's retry, once the lock is free, applies them
        retried = anyio.run(writer.apply, paid("a"))
        assert retried.verdict == "applied"


def test_a_notice_cancelled_before_its_turn_is_never_applied_and_its_group_still_is(ledger):
    """The first notice takes the slot and, with it, the one queued behind it; it is
    cancelled (its client went away) before the write starts: the other is applied."""
    first, second = pending_bill(ledger, "a"), pending_bill(ledger, "b")
    writer = LedgerWriter(ledger)
    outcome = {}

    async def main():
        async with anyio.create_task_group() as tasks:
            with anyio.CancelScope() as first_request:

                async def second_request():
                    outcome["b"] = await writer.apply(paid("b"))

                async def cancel_once_both_are_queued():
                    while writer.waiting < 2:
                        await anyio.sleep(0)
                    first_request.cancel()

                tasks.start_soon(second_request)
                tasks.start_soon(cancel_once_both_are_queued)
                await writer.apply(paid("a"))

    anyio.run(main)

    assert outcome["b"].verdict == "applied"
    assert ledger.get_bill(second).status is BillStatus.PAID
    assert ledger.get_bill(first).status is BillStatus.PENDING
    assert [n.object_id for n in ledger.recent_notifications(10)] == [second]
    assert writer.waiting == 0
