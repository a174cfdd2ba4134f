"""The polling schedule and the shared request budget in the ledger: what is due, and a
token bucket that all processes together cannot overdraw."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from console.ledger import Checked, Ledger, NewBill, NewSubscription
from console.status import BillStatus

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
RATE, BURST = 10.0, 20


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def pending(ledger, tracking_id, *, demo=False, provider="bepaid"):
    new = NewBill(
        provider=provider,
        kind="card_link" if provider == "bepaid" else "payture_bill",
        tracking_id=tracking_id,
        amount=100,
        currency="BYN",
        status=BillStatus.PENDING,
        demo=demo,
        at=NOW - timedelta(minutes=1),
    )
    return ledger.create_bill(new)


def test_due_means_open_not_demo_and_never_checked_or_its_time_has_come(ledger):
    fresh, later, paid = (pending(ledger, t) for t in ("fresh", "later", "paid"))
    pending(ledger, "demo", demo=True)
    plan = {"amount": 5, "currency": "BYN", "interval": 1, "interval_unit": "month"}
    sub = ledger.create_subscription(NewSubscription(tracking_id="s", status="pending", **plan))
    ledger.record_subscription_status(sub, "active", "active", "poll", at=NOW)
    ledger.record_bill_status(paid, BillStatus.PAID, "successful", "poll", at=NOW)
    ledger.polling.record(
        [
            Checked("bill", fresh, NOW, NOW + timedelta(seconds=5)),
            Checked("bill", later, NOW, NOW + timedelta(hours=1)),
            Checked("bill", paid, NOW, NOW),  # final: never due, whatever its row says
        ]
    )
    assert {item.ref for item in ledger.polling.due(NOW)} == {f"S{sub}"}
    in_a_minute = {item.ref for item in ledger.polling.due(NOW + timedelta(minutes=1))}
    assert in_a_minute == {f"B{fresh}", f"S{sub}"}


def test_a_deferred_check_keeps_the_last_check_time(ledger):
    bill = pending(ledger, "b")
    ledger.polling.record([Checked("bill", bill, NOW, NOW + timedelta(seconds=5))])
    ledger.polling.record([Checked("bill", bill, None, NOW + timedelta(seconds=30))])
    times = ledger.polling.times("bill", [bill])[bill]
    assert (times.last_checked_at, times.next_check_at) == (NOW, NOW + timedelta(seconds=30))


def test_the_bucket_starts_full_refills_at_its_rate_and_never_holds_more_than_its_burst(ledger):
    budget = {"rate": RATE, "burst": BURST}
    assert ledger.polling.take("bepaid", 50, now=NOW, **budget) == BURST
    assert ledger.polling.take("bepaid", 50, now=NOW, **budget) == 0
    half_second = NOW + timedelta(milliseconds=500)
    assert ledger.polling.take("bepaid", 50, now=half_second, **budget) == 5
    ledger.polling.give_back("bepaid", 3, now=half_second, **budget)
    assert ledger.polling.take("bepaid", 50, now=half_second, **budget) == 3
    an_hour = NOW + timedelta(hours=1)
    assert ledger.polling.take("bepaid", 500, now=an_hour, **budget) == BURST  # capped
    assert ledger.polling.take("payture", 5, now=NOW, **budget) == 5  # each provider its own


def test_requests_already_sent_leave_the_bucket_in_debt_until_it_refills(ledger):
    budget = {"rate": RATE, "burst": BURST}
    ledger.polling.charge("bepaid", BURST + 30, now=NOW, **budget)  # a person's checks
    assert ledger.polling.take("bepaid", 1, now=NOW + timedelta(seconds=2), **budget) == 0
    assert ledger.polling.take("bepaid", 1, now=NOW + timedelta(seconds=3.1), **budget) == 1


def test_a_retry_after_stops_every_taker_until_it_has_passed(ledger):
    budget = {"rate": RATE, "burst": BURST}
    ledger.polling.pause("bepaid", NOW + timedelta(seconds=30))
    assert ledger.polling.take("bepaid", 5, now=NOW + timedelta(seconds=29), **budget) == 0
    assert ledger.polling.take("bepaid", 5, now=NOW + timedelta(seconds=31), **budget) == 5


_TAKE_ALL = """
import sys
from datetime import UTC, datetime
from console.ledger import Ledger
path, start, steps = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
rate, burst = float(sys.argv[4]), int(sys.argv[5])
granted = 0
with Ledger(path) as ledger:
    for step in range(steps):  # a token at each simulated 10 ms step, as fast as it can
        now = datetime.fromtimestamp(start + step / 100, UTC)
        granted += ledger.polling.take("bepaid", 1, rate=rate, burst=burst, now=now)
print(granted)
"""


def test_four_processes_together_never_take_more_than_the_budget(tmp_path):
    # Separate interpreters (not multiprocessing's spawn, which re-runs whatever script
    # an earlier AppTest left as __main__): four real processes sharing one ledger file.
    path = str(tmp_path / "shared.db")
    Ledger(path).close()
    start, steps = NOW.timestamp(), 100  # one simulated second each
    args = [path, str(start), str(steps), str(RATE), str(BURST)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _TAKE_ALL, *args], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [worker.communicate()[0] for worker in workers]  # however slow the machine is
    assert [worker.returncode for worker in workers] == [0, 0, 0, 0]
    total = sum(int(output) for output in outputs)
    # Whatever the interleaving, the simulated window is 1 s: burst + rate * 1 at most,
    # and the four together want far more than that (400 tokens).
    assert total <= BURST + RATE * 1
    assert total >= BURST  # the bucket was really drawn from, not refused throughout
