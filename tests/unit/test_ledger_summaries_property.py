"""Property: for random bills, payments, refunds and status changes, revenue, outcome
counts and the Payments page's count and sums per currency read from the summaries
equal the raw queries' answers — in zones with 30- and
45-minute offsets, half-hour DST, DST that stopped, and for days, weeks and months."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.ledger import Ledger, NewBill, PaymentFilter
from console.ledger._summaries import QUARTER_MS
from console.status import BillStatus
from console.vocabulary import BillKind, Provider
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


def _raw_totals(ledger: Ledger, where: PaymentFilter) -> list[tuple[str, int, int]]:
    """The Payments page's count and sum per currency, from every bill (the baseline)."""
    conditions, params = ["1"], {}
    if where.start is not None:
        conditions.append("created_at >= :lo")
        params["lo"] = _ms(where.start)
    if where.end is not None:
        conditions.append("created_at < :hi")
        params["hi"] = _ms(where.end)
    if where.statuses:
        conditions.append(f"status IN ({', '.join(repr(s.value) for s in where.statuses)})")
    for name in ("provider", "kind", "currency"):
        if getattr(where, name) is not None:
            conditions.append(f"{name} = :{name}")
            params[name] = str(getattr(where, name))
    rows = ledger.connection().execute(
        "SELECT currency, count(*), sum(amount) FROM bills NOT INDEXED"
        f" WHERE {' AND '.join(conditions)} GROUP BY currency ORDER BY currency",
        params,
    )
    return [tuple(row) for row in rows]


@st.composite
def payment_filters(draw, epoch, times):
    """What a person can pick on the Payments page (without amounts, e-mail or text, which
    the summaries do not hold): local days of a zone, or bounds to the millisecond."""
    lo, hi = EPOCHS[epoch]
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    start: datetime | None
    end: datetime | None
    if draw(st.booleans()):
        first = lo.date() + timedelta(days=draw(st.integers(0, (hi - lo).days - 1)))
        last = first + timedelta(days=draw(st.integers(1, 400)))
        start = datetime.combine(first, time(0), zone)
        end = datetime.combine(last, time(0), zone)
    else:
        start = draw(st.sampled_from(times)) - timedelta(milliseconds=draw(st.integers(0, 99)))
        end = draw(st.sampled_from(times)) + timedelta(milliseconds=draw(st.integers(1, 99)))
        if end <= start:
            end = start + timedelta(days=draw(st.integers(1, 30)))
    if draw(st.integers(0, 4)) == 0:
        start = None
    if draw(st.integers(0, 4)) == 0:
        end = None
    provider, kind = KINDS[draw(st.integers(0, len(KINDS) - 1))]
    return PaymentFilter(
        start=start,
        end=end,
        statuses=tuple(draw(st.sets(st.sampled_from(list(BillStatus)), max_size=3))),
        provider=Provider(provider) if draw(st.booleans()) else None,
        kind=BillKind(kind) if draw(st.booleans()) else None,
        currency=draw(st.sampled_from((None, *CURRENCIES))),
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(history=histories(), data=st.data())
def test_payments_totals_from_the_summaries_equal_the_bills_counted_one_by_one(history, data):
    epoch, bills = history
    with tempfile.TemporaryDirectory() as folder, Ledger(Path(folder) / "l.db") as ledger:
        for number, bill in enumerate(bills):
            _record(ledger, number, bill)
        times = [bill["created"] for bill in bills]
        for _ in range(4):
            where = data.draw(payment_filters(epoch, times))
            got = [(t.currency, t.count, t.amount) for t in ledger.explorer.totals(where)]
            assert got == _raw_totals(ledger, where)
