"""Report summaries: every way rows reach payments and bills keeps the summaries equal to
the raw rows, and reports read from them give the raw answers — edges off the
quarter-hour grid included."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones
from zoneinfo._zoneinfo import ZoneInfo as PythonZoneInfo  # its transitions are readable

import pytest

from console.demo import generate_demo
from console.errors import ValidationError
from console.ledger import Ledger, NewBill, NewSubscription, _schema
from console.ledger._summaries import QUARTER_MS, RAW_TRIGGERS, QuarterSpan, quarter_spans
from console.status import BillStatus
from tests.support.summaries import (
    assert_summaries_match_raw,
    outcome_counts,
    raw_outcome_counts,
    raw_revenue_rows,
)

# Times on and around UTC midnight and quarter-hour marks, where an off-by-one would show.
TIMES = [
    datetime(2026, 3, 28, 23, 59, 59, 999000, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 14, 59, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 15, tzinfo=UTC),
    datetime(2026, 3, 29, 21, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 50, tzinfo=UTC),  # before the epoch: negative milliseconds
]
KINDS = [("bepaid", "card_link"), ("begateway", "apm"), ("payture", "payture_bill")]


class Shop:
    """Bills and payments through the ledger's own write methods."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.count = 0

    def bill(self, at, currency="EUR", kind=0, amount=1000):
        self.count += 1
        provider, bill_kind = KINDS[kind % len(KINDS)]
        bill_id = self.ledger.create_bill(
            NewBill(
                provider=provider,
                kind=bill_kind,
                tracking_id=f"o-{self.count}",
                amount=amount,
                currency=currency,
                status=BillStatus.PENDING,
                at=at,
            )
        )
        return bill_id, provider

    def paid(self, created, paid_at, currency="EUR", kind=0, amount=1000):
        bill_id, provider = self.bill(created, currency, kind, amount)
        self.ledger.record_payment(
            provider=provider,
            provider_txn_id=f"t-{bill_id}",
            amount=amount,
            currency=currency,
            at=paid_at,
            bill_id=bill_id,
        )
        self.ledger.record_bill_status(bill_id, BillStatus.PAID, "successful", "poll", at=paid_at)
        return bill_id


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def test_every_write_path_keeps_the_summaries_equal_to_the_raw_rows(ledger):
    shop = Shop(ledger)
    # Billing's writes: bills created, paid, failed; charges at awkward times.
    paid = [
        shop.paid(at, at + timedelta(minutes=7 * n), ("EUR", "BYN", "RUB")[n % 3], n, 100 + n)
        for n, at in enumerate(TIMES)
    ]
    failed, _ = shop.bill(TIMES[1], "JPY", 1)
    ledger.record_bill_status(failed, BillStatus.FAILED, "failed", "webhook")
    ledger.record_bill_status(failed, BillStatus.PENDING, "pending", "poll")  # stale: no change
    assert_summaries_match_raw(ledger)

    # Refunds write their negative payments themselves, and move the bill on.
    charge = ledger.payments_of("bill", paid[0])[0]
    attempt = ledger.refunds.start(charge, 40, "Torn", actor="olga")
    ledger.refunds.succeed(attempt, provider_uid="r-1", native_status="ok", at=TIMES[4])
    failed_attempt = ledger.refunds.start(charge, 10, "Twice", actor="olga")
    ledger.refunds.fail(failed_attempt, detail="refused")
    other = ledger.payments_of("bill", paid[1])[0]
    ledger.refunds.record_seen(
        other,
        provider_uid="r-2",
        amount=other.amount,
        native_status="successful",
        at=TIMES[5],
        source="webhook",
        reason="back office",
        actor="provider",
    )
    assert ledger.get_bill(paid[1]).status == BillStatus.REFUNDED
    assert_summaries_match_raw(ledger)

    # A subscription's charges; a repeated report; a write that fails is undone whole.
    sub = ledger.create_subscription(
        NewSubscription(
            tracking_id="s-1", amount=500, currency="EUR", interval=1, interval_unit="month"
        )
    )
    for n in (1, 1):
        ledger.record_payment(
            provider="bepaid",
            provider_txn_id=f"s-{n}",
            amount=500,
            currency="EUR",
            at=TIMES[n],
            subscription_id=sub,
        )
    with pytest.raises(RuntimeError), ledger.write():
        shop.paid(TIMES[2], TIMES[3], "USD")
        raise RuntimeError("the provider call failed after the rows were written")
    assert_summaries_match_raw(ledger)

    # The bulk path outside bulk_load fires the triggers row by row.
    ledger.bulk_insert(
        "payments",
        [
            {
                "bill_id": paid[2],
                "provider": "payture",
                "provider_txn_id": f"bulk-{n}",
                "kind": "charge",
                "amount": 7 + n,
                "currency": "RUB",
                "at": 1_774_742_400_000 + n * 450_000,
            }
            for n in range(10)
        ],
    )
    assert_summaries_match_raw(ledger)

    # Hand-made corrections and a purge: updates and deletes move the sums back.
    conn = ledger.connection()
    with ledger.write():
        conn.execute("UPDATE payments SET amount = amount * 3, at = at + 3600000 WHERE id = 1")
        conn.execute("UPDATE payments SET currency = 'BYN' WHERE provider_txn_id = 'bulk-3'")
        conn.execute("UPDATE bills SET created_at = created_at - 86400000 WHERE id = ?", (failed,))
        conn.execute("DELETE FROM payments WHERE provider_txn_id = 'bulk-4'")
        conn.execute("DELETE FROM status_events WHERE 0")  # (events are append-only)
        conn.execute("DELETE FROM bills WHERE id = ?", (failed,))
    assert_summaries_match_raw(ledger)


def test_a_bulk_load_rebuilds_the_summaries_and_puts_the_triggers_back(ledger):
    shop = Shop(ledger)
    shop.paid(TIMES[0], TIMES[1])
    columns = ("id", "provider", "kind", "tracking_id", "amount", "currency", "status")
    with ledger.bulk_load():
        ledger.bulk_insert(
            "bills",
            [
                (100 + n, "bepaid", "card_link", f"b-{n}", 10, "EUR", "paid", at, at)
                for n, at in ((n, 1_774_742_400_000 + n * 900_000) for n in range(50))
            ],
            columns=(*columns, "created_at", "updated_at"),
        )
        ledger.bulk_insert(
            "payments",
            [
                (100 + n, "bepaid", f"bp-{n}", "charge", 10, "EUR", 1_774_742_400_000 + n * 60_000)
                for n in range(50)
            ],
            columns=("bill_id", "provider", "provider_txn_id", "kind", "amount", "currency", "at"),
        )
    triggers = {
        row[0] for row in ledger.connection().execute("SELECT name FROM sqlite_master")
    } & set(RAW_TRIGGERS)
    assert triggers == set(RAW_TRIGGERS)
    assert_summaries_match_raw(ledger)
    shop.paid(TIMES[2], TIMES[3])  # the triggers work again
    assert_summaries_match_raw(ledger)


def test_an_interrupted_bulk_load_leaves_summaries_and_triggers_as_they_were(ledger):
    Shop(ledger).paid(TIMES[0], TIMES[1])
    with pytest.raises(sqlite3.IntegrityError), ledger.bulk_load():
        ledger.bulk_insert(
            "bills",
            [("bepaid", "card_link", "x", 0, "EUR", "paid", 1, 1)],  # amount 0 breaks a CHECK
            columns=(
                "provider",
                "kind",
                "tracking_id",
                "amount",
                "currency",
                "status",
                "created_at",
                "updated_at",
            ),
        )
    names = {row[0] for row in ledger.connection().execute("SELECT name FROM sqlite_master")}
    assert set(RAW_TRIGGERS) <= names
    assert_summaries_match_raw(ledger)


def test_a_demo_generation_leaves_summaries_equal_to_its_rows(tmp_path):
    path = tmp_path / "demo.db"
    generate_demo(path, bills=3000, days=60, now=datetime(2026, 6, 1, tzinfo=UTC))
    with Ledger(path) as ledger:
        assert_summaries_match_raw(ledger)
        start, end = date(2026, 4, 1), date(2026, 6, 2)
        for tz in ("Europe/Minsk", "Asia/Kathmandu", "America/New_York"):
            for bucket in ("day", "week", "month"):
                got = ledger.revenue(bucket, tz, start=start, end=end, group_by="kind")
                assert got == raw_revenue_rows(
                    ledger, bucket, tz, start=start, end=end, group_by="kind"
                )
                assert outcome_counts(ledger, bucket, tz, start=start, end=end) == (
                    raw_outcome_counts(ledger, bucket, tz, start=start, end=end)
                )


@pytest.mark.parametrize("table", ["bills", "payments"])
def test_a_migration_that_rebuilds_a_table_keeps_its_summary_triggers(tmp_path, monkeypatch, table):
    path = tmp_path / "ledger.db"
    with Ledger(path) as ledger:
        Shop(ledger).paid(TIMES[0], TIMES[1])
    # What a future migration does to change a CHECK: copy the table under new DDL.
    version = _schema.SCHEMA_VERSION + 1
    rebuild = _schema.Migration(
        version,
        f"rebuild {table}",
        lambda db: _schema._rebuild(db, table, lambda sql: sql.replace("NOT NULL", "NOT NULL ")),
    )
    monkeypatch.setattr(_schema, "MIGRATIONS", (*_schema.MIGRATIONS, rebuild))
    monkeypatch.setattr(_schema, "SCHEMA_VERSION", version)
    with Ledger(path) as ledger:
        assert ledger.schema_version == version
        conn = ledger.connection()
        ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        assert "NOT NULL " in ddl  # rebuilt
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert {name for name in RAW_TRIGGERS if name.startswith(table)} <= names
        assert_summaries_match_raw(ledger)
        shop = Shop(ledger)
        shop.count = 10
        shop.paid(TIMES[2], TIMES[3])
        with ledger.write():
            conn.execute("UPDATE bills SET status = 'failed' WHERE id = 1")
        assert_summaries_match_raw(ledger)


# -- reading: whole quarter-hours from the summaries, the edges from raw rows -----------


def test_buckets_split_into_whole_quarter_hours_and_raw_edges():
    day = 20_000 * 86_400_000
    quarter = QUARTER_MS
    spans, edges = quarter_spans(
        [
            ("a", day + 21 * 4 * quarter, day + 86_400_000 + 21 * 4 * quarter),  # Minsk day
            ("b", day + 7 * 60_000, day + 3 * quarter + 1),  # starts 00:07, ends 00:45.001
            ("c", day + 60_000, day + 14 * 60_000),  # inside one quarter-hour
            ("d", day - 86_400_000, day),  # a whole UTC day ends at the next midnight
        ]
    )
    assert spans == [
        QuarterSpan("a", 20_000, 84, 20_001, 84),
        QuarterSpan("b", 20_000, 1, 20_000, 3),
        QuarterSpan("d", 19_999, 0, 19_999, 96),
    ]
    assert edges == [
        ("b", day + 7 * 60_000, day + quarter),
        ("b", day + 3 * quarter, day + 3 * quarter + 1),
        ("c", day + 60_000, day + 14 * 60_000),
    ]


def test_a_range_given_to_the_minute_reads_its_edges_from_the_payments(ledger):
    shop = Shop(ledger)
    for minute in (0, 6, 7, 8, 14, 15, 29, 52, 53):
        at = datetime(2026, 5, 6, 12, minute, tzinfo=UTC)
        shop.paid(at, at, amount=1 + minute)
    start = datetime(2026, 5, 6, 12, 7, tzinfo=UTC)
    end = datetime(2026, 5, 6, 12, 53, tzinfo=UTC)
    rows = ledger.revenue("day", "UTC", start=start, end=end)
    assert [(r.total_minor, r.count) for r in rows] == [(8 + 9 + 15 + 16 + 30 + 53, 6)]
    assert rows == raw_revenue_rows(ledger, "day", "UTC", start=start, end=end)
    assert outcome_counts(ledger, "day", "UTC", start=start, end=end) == {
        (date(2026, 5, 6), "paid"): 6
    }


def test_a_zone_on_local_mean_time_reads_its_edges_from_the_raw_rows(ledger):
    """Liberia kept -0:44:30 until 1972: its local midnights fall between quarter-hours."""
    monrovia = ZoneInfo("Africa/Monrovia")
    shop = Shop(ledger)
    for hour, minute in ((0, 0), (0, 44), (0, 45), (23, 10), (23, 59)):
        at = datetime(1971, 6, 10, hour, minute, tzinfo=monrovia)
        shop.paid(at, at, amount=100 + hour + minute)
    bounds = {"start": date(1971, 6, 9), "end": date(1971, 6, 12)}
    rows = ledger.revenue("day", "Africa/Monrovia", **bounds)
    assert [(r.bucket_start, r.total_minor, r.count) for r in rows] == [
        (date(1971, 6, 10), 100 + 144 + 145 + 133 + 182, 5)
    ]
    assert rows == raw_revenue_rows(ledger, "day", "Africa/Monrovia", **bounds)
    assert outcome_counts(ledger, "day", "Africa/Monrovia", **bounds) == {
        (date(1971, 6, 10), "paid"): 5
    }


def test_bad_arguments_are_refused_before_any_read(ledger):
    with pytest.raises(ValidationError):
        ledger.outcome_counts("day", "UTC", start=date(2026, 1, 2), end=date(2026, 1, 1))
    with pytest.raises(ValidationError):
        ledger.revenue("day", "UTC", start=datetime(2026, 1, 1), end=date(2026, 1, 2))


def test_every_zone_has_kept_to_quarter_hours_since_kiritimati_left_minus_10_40():
    """What the summaries' docstring claims: since 1979-10-01 10:40 UTC no zone's offset
    is off the quarter-hour grid, so local days, weeks and months read no raw edges."""
    since = datetime(1979, 10, 1, 10, 40, tzinfo=UTC).timestamp()
    late = []
    for name in available_timezones():
        zone = PythonZoneInfo.no_cache(name)
        transitions = list(zone._trans_utc)
        infos = list(zone._ttinfos)
        for index, info in enumerate(infos):
            ends = transitions[index + 1] if index + 1 < len(transitions) else float("inf")
            if info.utcoff.total_seconds() % 900 and ends > since:
                late.append((name, info.utcoff))
        rule = zone._tz_after
        offsets = [getattr(rule, "utcoff", None)] + [
            getattr(getattr(rule, part, None), "utcoff", None) for part in ("std", "dst")
        ]
        late += [(name, o) for o in offsets if o is not None and o.total_seconds() % 900]
    assert late == []
    lord_howe = [b for b in _day_bounds("Australia/Lord_Howe") if b[2] - b[1] != 86_400_000]
    assert {b[2] - b[1] for b in lord_howe} == {84_600_000, 88_200_000}  # its 30-minute DST
    for name in ("Asia/Kathmandu", "Australia/Eucla", "Pacific/Chatham", "America/St_Johns"):
        assert all(lo % QUARTER_MS == hi % QUARTER_MS == 0 for _, lo, hi in _day_bounds(name))


def _day_bounds(name):
    from console.ledger import bucket_bounds

    return bucket_bounds("day", name, date(2025, 1, 1), date(2027, 1, 1))


def test_a_payment_on_a_quarter_hour_mark_belongs_to_the_quarter_it_starts(ledger):
    shop = Shop(ledger)
    kathmandu = ZoneInfo("Asia/Kathmandu")  # +05:45: local midnight is 18:15 UTC
    before = datetime(2026, 6, 9, 18, 14, 59, 999000, tzinfo=UTC)
    on_mark = datetime(2026, 6, 9, 18, 15, tzinfo=UTC)
    shop.paid(before, before, amount=10)
    shop.paid(on_mark, on_mark, amount=100)
    rows = ledger.revenue("day", "Asia/Kathmandu", start=date(2026, 6, 9), end=date(2026, 6, 11))
    assert {r.bucket_start: r.total_minor for r in rows} == {
        date(2026, 6, 9): 10,
        date(2026, 6, 10): 100,
    }
    assert on_mark.astimezone(kathmandu).time().isoformat() == "00:00:00"
    assert rows == raw_revenue_rows(
        ledger, "day", "Asia/Kathmandu", start=date(2026, 6, 9), end=date(2026, 6, 11)
    )
