"""Sync and the notification receiver write the same ledger at the same time."""

from __future__ import annotations

import threading

import pytest

from console.billing import PayLinkDraft
from console.ledger import Ledger
from console.status import BillStatus
from tests.contract.billing_support import NO_WAIT, OPERATOR, open_desk

BILLS = 24


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


def test_sync_in_one_thread_and_receiver_in_another_record_each_payment_once(desk):
    paid = []
    for n in range(BILLS):
        created = desk.billing.pay_links.create(
            OPERATOR, PayLinkDraft(amount=str(n + 1), currency="EUR", description=f"Order {n}")
        )
        transaction = desk.pay_checkout(created.bill.token)["transaction"]
        paid.append((created.bill, transaction))
    # The receiver is another writer with its own Ledger object, as in its own process.
    receiver_ledger = Ledger(desk.ledger.path)
    start = threading.Barrier(2)
    reports, failures = [], []

    def receiver():
        start.wait()
        try:
            for bill, transaction in reversed(paid):  # meets the sync in the middle
                with receiver_ledger.write():
                    receiver_ledger.record_payment(
                        provider="bepaid", provider_txn_id=transaction["uid"],
                        amount=transaction["amount"], currency="EUR", at=bill.created_at,
                        bill_id=bill.id,
                    )  # fmt: skip
                    receiver_ledger.record_bill_status(
                        bill.id, BillStatus.PAID, "successful", "webhook"
                    )
        except Exception as exc:  # reported below, not lost in the thread
            failures.append(exc)

    def syncer():
        start.wait()
        reports.append(desk.billing.sync.refresh_open(retry=NO_WAIT, concurrency=8))

    threads = [threading.Thread(target=receiver), threading.Thread(target=syncer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    receiver_ledger.close()

    assert failures == [] and reports[0].errors == []
    for bill, transaction in paid:
        assert desk.ledger.get_bill(bill.id).status == BillStatus.PAID
        [payment] = desk.ledger.payments_of("bill", bill.id)
        assert payment.provider_txn_id == transaction["uid"]
        to_paid = [e for e in desk.ledger.history("bill", bill.id) if e.to_status == "paid"]
        assert len(to_paid) == 1  # whoever came second appended nothing
    sources = {e.source for b, _ in paid for e in desk.ledger.history("bill", b.id)[-1:]}
    assert sources <= {"poll", "webhook"}
