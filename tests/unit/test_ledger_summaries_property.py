"""Property: for random bills, payments, refunds and status changes, revenue and outcome
counts read from the summaries equal the raw queries' answers — in zones with 30- and
45-minute offsets, half-hour DST, DST that stopped, and for days, weeks and months."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.ledger import Ledger, NewBill
from console.ledger._summaries import QUARTER_MS
from console.status import BillStatus
from tests.support.summaries import (
    assert_summaries_match_raw,
    outcome_counts,
    raw_outcome_counts,
    raw_revenue_rows,
)

ZONES = (
    "Europe/Minsk",  # DST until 2011, then +03:00 all year
    "America/New_York",
    "Australia/Lord_Howe",  # +10:30, DST +11:00: a 30-minute change
    "Asia/Kathmandu",  # +05:45
    "Australia/Eucla",  # +08:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Kolkata",  # +05:30
    "Africa/Monrovia",  # -00:44:30 until 1972: midnights between quarter-hours
    "UTC",
)
# Spans Minsk's last DST changes (2010-2011) and Monrovia's move to UTC (1972-01-07).
EPOCHS = (
    (datetime(2010, 1, 1, tzinfo=UTC), datetime(2012, 1, 1, tzinfo=UTC)),
    (datetime(1971, 11, 1, tzinfo=UTC), datetime(1972, 3, 1, tzinfo=UTC)),
)
KINDS = (("bepaid", "card_link"), ("begateway", "apm"), ("payture", "payture_bill"))
CURRENCIES = ("EUR", "BYN", "JPY")
ENDINGS = (None, BillStatus.FAILED, BillStatus.EXPIRED, BillStatus.CANCELED)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@st.composite
def moments(draw, epoch):
    """A time in ``epoch``: anywhere, or a hair from a quarter-hour mark or from a
    zone's local midnight (where a bucket boundary, or an edge off the grid, falls)."""
    lo, hi = EPOCHS[epoch]
    near = draw(st.sampled_from(("anywhere", "quarter", "midnight")))
    if near == "anywhere":
        ms = draw(st.integers(_ms(lo), _ms(hi)))
    elif near == "quarter":
        quarter = draw(st.integers(_ms(lo) // QUARTER_MS, _ms(hi) // QUARTER_MS))
        ms = quarter * QUARTER_MS + draw(st.sampled_from((-1, 0, 1, 29 * 60_000)))
    else:
        day = lo.date() + timedelta(days=draw(st.integers(0, (hi - lo).days)))
        midnight = datetime.combine(day, time(0), ZoneInfo(draw(st.sampled_from(ZONES))))
        ms = _ms(midnight) + draw(st.sampled_from((-60_000, -1, 0, 1, 30_000)))
    return datetime.fromtimestamp(ms / 1000, UTC)


@st.composite
def histories(draw):
    """A list of bills, each: created, (paid at, [refunds]) or an ending, or still pending."""
    epoch = draw(st.sampled_from(range(len(EPOCHS))))
    bills = []
    for _ in range(draw(st.integers(1, 25))):
        bill = {
            "created": draw(moments(epoch)),
            "kind": draw(st.sampled_from(range(len(KINDS)))),
            "currency": draw(st.sampled_from(CURRENCIES)),
            "amount": draw(st.integers(1, 10_000)),
            "paid": None,
            "refunds": [],
            "ending": draw(st.sampled_from(ENDINGS)),
        }
        if draw(st.booleans()):
            bill["paid"] = bill["created"] + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
            for _ in range(draw(st.integers(0, 2))):
                bill["refunds"].append((draw(st.integers(1, bill["amount"])), draw(moments(epoch))))
        bills.append(bill)
    return epoch, bills


@st.composite
def reports(draw, epoch, times):
    lo, hi = EPOCHS[epoch]
    zone = draw(st.sampled_from(ZONES))
    if lo.year < 1972 and draw(st.booleans()):
        zone = "Africa/Monrovia"  # its midnights are off the grid in this epoch
    bucket = draw(st.sampled_from(("day", "week", "month")))
    first = lo.date() + timedelta(days=draw(st.integers(0, (hi - lo).days - 1)))
    length = {"day": 120, "week": 300, "month": 400}[bucket]
    last = first + timedelta(days=draw(st.integers(1, length)))
    start: date | datetime = first
    end: date | datetime = last
    if draw(st.booleans()):  # a range given to the millisecond: edges off the grid
        start = draw(st.sampled_from(times)) - timedelta(
            milliseconds=draw(st.sampled_from((0, 1, 60_000)))
        )
        end = draw(st.sampled_from(times)) + timedelta(
            milliseconds=draw(st.sampled_from((0, 1, 60_000)))
        )
        if end <= start:
            end = start + timedelta(days=draw(st.integers(1, length)))
    group_by = draw(st.sampled_from((None, "provider", "kind")))
    return zone, bucket, start, end, group_by


def _record(ledger: Ledger, number: int, bill: dict) -> None:
    provider, kind = KINDS[bill["kind"]]
    bill_id = ledger.create_bill(
        NewBill(
            provider=provider,
            kind=kind,
            tracking_id=f"o-{number}",
            amount=bill["amount"],
            currency=bill["currency"],
            status=BillStatus.PENDING,
            at=bill["created"],
        )
    )
    if bill["paid"] is None:
        if bill["ending"] is not None:
            ledger.record_bill_status(bill_id, bill["ending"], None, "poll")
        return
    ledger.record_payment(
        provider=provider,
        provider_txn_id=f"c-{number}",
        amount=bill["amount"],
        currency=bill["currency"],
        at=bill["paid"],
        bill_id=bill_id,
    )
    ledger.record_bill_status(bill_id, BillStatus.PAID, None, "poll", at=bill["paid"])
    charge = ledger.payments_of("bill", bill_id)[0]
    for index, (amount, at) in enumerate(bill["refunds"]):
        if amount > ledger.refunds.remaining(charge):
            continue
        attempt = ledger.refunds.start(charge, amount, "asked", actor="olga")
        ledger.refunds.succeed(
            attempt, provider_uid=f"r-{number}-{index}", native_status=None, at=at
        )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(history=histories(), data=st.data())
def test_summary_reports_equal_the_raw_reports(history, data):
    epoch, bills = history
    with tempfile.TemporaryDirectory() as folder, Ledger(Path(folder) / "l.db") as ledger:
        for number, bill in enumerate(bills):
            _record(ledger, number, bill)
        assert_summaries_match_raw(ledger)
        for _ in range(4):
            times = [bill["created"] for bill in bills] + [
                bill["paid"] for bill in bills if bill["paid"] is not None
            ]
            zone, bucket, start, end, group_by = data.draw(reports(epoch, times))
            got = ledger.revenue(bucket, zone, start=start, end=end, group_by=group_by)
            assert got == raw_revenue_rows(
                ledger, bucket, zone, start=start, end=end, group_by=group_by
            )
            assert outcome_counts(ledger, bucket, zone, start=start, end=end) == (
                raw_outcome_counts(ledger, bucket, zone, start=start, end=end)
            )
