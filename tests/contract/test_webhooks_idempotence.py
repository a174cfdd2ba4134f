"""Retries and reordering: a notification counts once, and a late one never undoes a final one."""

# ruff: noqa: F811 - the shared fixtures are imported by name, and tests take them as arguments

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from console.ledger import Ledger
from console.status import BillStatus
from tests.contract.bepaid_support import APPROVED
from tests.contract.webhooks_support import (  # noqa: F401 - fixtures, found by name
    card_link_bill,
    card_transaction,
    module_ledger,
    receiver_url,
    shop,
    sign,
    signed_post,
)


@pytest.fixture
def http():
    with httpx.Client(timeout=30) as client:
        yield client


def test_the_same_notification_five_times_is_one_event_and_one_payment(shop, sign, http):
    bill_id, token = shop.pay_link()
    shop.pay(token, APPROVED)
    shop.wait_for_verdicts("bill", bill_id, 1)
    # bePaid's retry resends the very bytes it signed: take them from the sandbox's queue.
    (delivery,) = shop.delivered(shop.hook())[-1:]
    body = delivery["body"].encode()

    answers = [signed_post(http, shop.hook(), body, sign) for _ in range(4)]

    assert [a.status_code for a in answers] == [200] * 4
    assert shop.verdicts("bill", bill_id) == ["applied"] + ["duplicate"] * 4
    first = shop.ledger.notifications_of("bill", bill_id)[-1]
    assert (
        shop.ledger.notifications_of("bill", bill_id)[0].detail
        == f"repeats notification #{first.id}"
    )
    paid_events = [e for e in shop.ledger.history("bill", bill_id) if e.to_status == "paid"]
    assert len(paid_events) == 1
    assert len(shop.ledger.payments_of("bill", bill_id)) == 1


@pytest.mark.parametrize("older", ["incomplete", "failed", "expired"])
def test_an_older_status_arriving_after_paid_is_stale_and_changes_nothing(shop, sign, http, older):
    bill_id, tracking_id = card_link_bill(shop.ledger)
    paid = card_transaction(tracking_id, status="successful")
    uid = paid["transaction"]["uid"]
    assert signed_post(http, shop.hook(), paid, sign).json()["verdict"] == "applied"
    events = shop.ledger.history("bill", bill_id)

    late = card_transaction(tracking_id, uid=uid, status=older)
    answer = signed_post(http, shop.hook(), late, sign)

    assert answer.status_code == 200
    assert answer.json()["verdict"] == "stale"
    assert shop.ledger.get_bill(bill_id).status is BillStatus.PAID
    assert shop.ledger.history("bill", bill_id) == events
    stale = shop.ledger.notifications_of("bill", bill_id)[0]
    assert stale.status_reported == older
    assert "the ledger keeps paid" in stale.detail


def test_a_pending_report_then_the_payment_both_apply_in_order(shop, sign, http):
    bill_id, tracking_id = card_link_bill(shop.ledger)
    uid = "3ds-" + tracking_id

    signed_post(
        http, shop.hook(), card_transaction(tracking_id, uid=uid, status="incomplete"), sign
    )
    signed_post(http, shop.hook(), card_transaction(tracking_id, uid=uid), sign)

    assert shop.verdicts("bill", bill_id) == ["applied", "applied"]
    history = [(e.to_status, e.native_status) for e in shop.ledger.history("bill", bill_id)]
    assert history == [("pending", None), ("pending", "incomplete"), ("paid", "successful")]


def test_a_burst_while_another_writer_works_loses_nothing(shop, sign, module_ledger):
    """Forty notifications from eight connections while the console writes the same file."""
    bills = [card_link_bill(shop.ledger) for _ in range(40)]
    bodies = [
        json.dumps(card_transaction(tracking_id), separators=(",", ":")).encode()
        for _, tracking_id in bills
    ]
    stop = threading.Event()
    console_writes = []

    def console_at_work():
        # Another process would have its own connection: a second Ledger on the same file.
        with Ledger(module_ledger.path) as console:
            while not stop.is_set():
                console_writes.append(console.audit("ann", "view_bill", "bill", 1, "ok", "page"))

    writer = threading.Thread(target=console_at_work)
    writer.start()
    try:
        with httpx.Client(timeout=30) as client, ThreadPoolExecutor(8) as pool:
            answers = list(
                pool.map(lambda body: signed_post(client, shop.hook(), body, sign), bodies)
            )
    finally:
        stop.set()
        writer.join()

    assert [a.status_code for a in answers] == [200] * len(bodies)
    assert {a.json()["verdict"] for a in answers} == {"applied"}
    for bill_id, _ in bills:
        assert shop.ledger.get_bill(bill_id).status is BillStatus.PAID
        assert len(shop.ledger.payments_of("bill", bill_id)) == 1
    assert console_writes  # the other writer made progress meanwhile
    audited = shop.ledger.connection().execute(
        "SELECT count(*) FROM audit_log WHERE action = 'view_bill'"
    )
    assert audited.fetchone()[0] == len(console_writes)
