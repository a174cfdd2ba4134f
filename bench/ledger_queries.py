"""How fast are the ledger's read queries on a big ledger? Prints a table with ratios.

    python bench/ledger_queries.py --bills 1000000 --ledger /tmp/ledger-bench.db

If the ledger file does not exist it is filled first, through the ledger's bulk
path, with N bills over the past year (random providers, kinds and currencies
EUR/USD/BYN/RUB/JPY/KWD; about 90 % paid with a payment row each, 2 % still
open, the rest failed, expired, canceled, mismatched or refunded), two status
events per bill, N/200 subscriptions and some audit entries. The fill rate is
printed in rows per second.

Then every read query runs five times and the median is reported, next to
baselines measured in the same run on the same file: a full scan
(``SELECT sum(amount) FROM bills NOT INDEXED``, which reads every row of the table;
without ``NOT INDEXED`` SQLite would sum a narrower covering index instead), an e-mail
search without the index
(``lower(customer_email) = ?``), and the 365-day revenue report done naively
(all payment rows loaded into Python and bucketed there).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from timing import median_ms

from console.ledger import Ledger, now_ms

DAY_MS = 86_400_000
CURRENCIES = ["EUR", "USD", "BYN", "RUB", "JPY", "KWD"]
CURRENCY_WEIGHTS = [30, 20, 25, 15, 5, 5]
AMOUNT_RANGE = {"JPY": (100, 50_000), "KWD": (1_000, 200_000)}  # others: 100 .. 50 000 minor
CHANNELS = [
    ("bepaid", "card_link", "https://checkout.bepaid.by/v2/checkout?token="),
    ("begateway", "apm", "https://checkout.begateway.com/v2/checkout?token="),
    ("payture", "payture_bill", "https://payture.com/apim/Pay?SessionId="),
]
STATUSES = ["paid", "pending", "expired", "failed", "canceled", "mismatch", "refunded"]
STATUS_WEIGHTS = [900, 20, 40, 30, 5, 3, 2]
MONEY_MOVED = {"paid", "mismatch", "refunded"}
BILL_COLUMNS = (
    "id",
    "provider",
    "kind",
    "tracking_id",
    "provider_id",
    "token",
    "pay_url",
    "amount",
    "currency",
    "customer_email",
    "status",
    "native_status",
    "test",
    "demo",
    "created_at",
    "updated_at",
    "expires_at",
    "paid_at",
)
PAYMENT_COLUMNS = (
    "bill_id",
    "provider",
    "provider_txn_id",
    "kind",
    "channel",
    "amount",
    "currency",
    "at",
    "demo",
)
EVENT_COLUMNS = ("object_type", "object_id", "from_status", "to_status", "source", "at")
CHUNK = 100_000


def fill(ledger: Ledger, bills: int, seed: int) -> None:
    """Fill an empty ledger with ``bills`` bills and their payments and events."""
    rng = random.Random(seed)
    end = now_ms()
    start = end - 365 * DAY_MS
    step = (end - start) / bills
    rows_written = 0
    began = time.perf_counter()
    with ledger.bulk_load():
        for first in range(1, bills + 1, CHUNK):
            count = min(CHUNK, bills - first + 1)
            bill_rows, payment_rows, event_rows = _chunk(rng, first, count, start, step)
            rows_written += ledger.bulk_insert("bills", bill_rows, columns=BILL_COLUMNS)
            rows_written += ledger.bulk_insert("payments", payment_rows, columns=PAYMENT_COLUMNS)
            rows_written += ledger.bulk_insert("status_events", event_rows, columns=EVENT_COLUMNS)
        rows_written += _fill_subscriptions(ledger, rng, max(bills // 200, 10), start, end)
        rows_written += ledger.bulk_insert(
            "audit_log",
            (
                (start + i * DAY_MS // 10, "ann", "create_bill", "bill", str(i), "ok", "page:bills")
                for i in range(1, 3651)
            ),
            columns=("at", "actor", "action", "object_type", "object_id", "outcome", "origin"),
        )
    seconds = time.perf_counter() - began
    print(
        f"filled {bills:,} bills ({rows_written:,} rows in all) in {seconds:.1f} s"
        f" = {rows_written / seconds:,.0f} rows/s ({bills / seconds:,.0f} bills/s)"
    )


def _chunk(rng: random.Random, first: int, count: int, start: int, step: float):
    channels = rng.choices(CHANNELS, weights=[50, 20, 30], k=count)
    currencies = rng.choices(CURRENCIES, weights=CURRENCY_WEIGHTS, k=count)
    statuses = rng.choices(STATUSES, weights=STATUS_WEIGHTS, k=count)
    bills, payments, events = [], [], []
    for offset in range(count):
        bill_id = first + offset
        provider, kind, link = channels[offset]
        currency = currencies[offset]
        status = statuses[offset]
        created = start + int((bill_id - 1) * step)
        low, high = AMOUNT_RANGE.get(currency, (100, 50_000))
        amount = rng.randint(low, high)
        token = f"{rng.getrandbits(128):032x}"
        paid_at = created + rng.randint(30_000, 1_800_000) if status in MONEY_MOVED else None
        finished = paid_at or created + DAY_MS
        bills.append(
            (
                bill_id,
                provider,
                kind,
                f"ORD-{bill_id:08d}",
                f"{rng.getrandbits(64):016x}",
                token,
                link + token,
                amount,
                currency,
                f"customer{rng.randrange(100_000)}@example.com",
                status,
                None,
                1,
                1,
                created,
                finished,
                created + DAY_MS,
                paid_at,
            )
        )
        events.append(("bill", bill_id, None, "pending", "console", created))
        if status != "pending":
            events.append(("bill", bill_id, "pending", status, "poll", finished))
        if paid_at is not None:
            payments.append(
                (bill_id, provider, f"t{bill_id}", "charge", kind, amount, currency, paid_at, 1)
            )
            if status == "refunded":
                payments.append(
                    (
                        bill_id,
                        provider,
                        f"r{bill_id}",
                        "refund",
                        kind,
                        -amount,
                        currency,
                        paid_at + DAY_MS,
                        1,
                    )
                )
    return bills, payments, events


def _fill_subscriptions(
    ledger: Ledger, rng: random.Random, count: int, start: int, end: int
) -> int:
    plans = [(1, "month", 1999), (12, "month", 19900), (7, "day", 499), (1, "day", 99)]
    statuses = rng.choices(
        ["active", "past_due", "trial", "canceled", "failed", "pending"],
        weights=[60, 5, 10, 15, 5, 5],
        k=count,
    )
    rows = []
    for index in range(count):
        interval, unit, amount = rng.choice(plans)
        created = rng.randint(start, end)
        rows.append(
            (
                "bepaid",
                f"SUB-{index:06d}",
                f"sbs_{rng.getrandbits(64):016x}",
                amount,
                rng.choice(CURRENCIES[:4]),
                interval,
                unit,
                statuses[index],
                created,
                created,
                1,
            )
        )
    return ledger.bulk_insert(
        "subscriptions",
        rows,
        columns=(
            "provider",
            "tracking_id",
            "provider_id",
            "amount",
            "currency",
            "interval",
            "interval_unit",
            "status",
            "created_at",
            "updated_at",
            "demo",
        ),
    )


def naive_revenue(path: Path, tz: str, start: date, end: date) -> dict:
    """The revenue report without the ledger: every payment row into Python, bucketed there."""
    zone = ZoneInfo(tz)
    totals: dict[tuple[date, str], int] = defaultdict(int)
    conn = sqlite3.connect(path)
    try:
        for at, currency, amount in conn.execute("SELECT at, currency, amount FROM payments"):
            day = datetime.fromtimestamp(at / 1000, zone).date()
            if start <= day < end:
                totals[day, currency] += amount
    finally:
        conn.close()
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, default=100_000)
    parser.add_argument("--ledger", type=Path, required=True, help="filled first if missing")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tz", default="Europe/Minsk")
    args = parser.parse_args(argv)

    fresh = not args.ledger.exists()
    ledger = Ledger(args.ledger)
    if fresh:
        fill(ledger, args.bills, args.seed)
    conn = ledger.connection()
    total_bills = conn.execute("SELECT max(id) FROM bills").fetchone()[0]
    sample = ledger.get_bill(total_bills // 2)
    assert sample is not None, "the ledger has no bills"
    today = datetime.now(ZoneInfo(args.tz)).date()
    tz = args.tz
    email_upper = sample.customer_email.upper()

    baselines: dict[str, Callable[[], object]] = {
        "baseline: full scan, SELECT sum(amount) FROM bills": lambda: conn.execute(
            "SELECT sum(amount) FROM bills NOT INDEXED"
        ).fetchone(),
        "baseline: e-mail search without index": lambda: conn.execute(
            "SELECT id FROM bills WHERE lower(customer_email) = ?", (email_upper.lower(),)
        ).fetchall(),
        "baseline: revenue day x 365 d in Python": lambda: naive_revenue(
            args.ledger, tz, today - timedelta(days=365), today + timedelta(days=1)
        ),
    }
    queries: dict[str, Callable[[], object]] = {
        "lookup console id (B...)": lambda: ledger.lookup(sample.ref),
        "lookup tracking id": lambda: ledger.lookup(sample.tracking_id),
        "lookup provider id": lambda: ledger.lookup(sample.provider_id),
        "lookup e-mail (upper case)": lambda: ledger.lookup(email_upper),
        "lookup pasted pay link": lambda: ledger.lookup(sample.pay_url),
        "history of a bill": lambda: ledger.history("bill", sample.id),
        "payments_of a bill": lambda: ledger.payments_of("bill", sample.id),
        "open_items (limit 200)": lambda: ledger.open_items(limit=200),
        "revenue day x 30 d": lambda: ledger.revenue(
            "day", tz, start=today - timedelta(days=30), end=today + timedelta(days=1)
        ),
        "revenue day x 365 d": lambda: ledger.revenue(
            "day", tz, start=today - timedelta(days=365), end=today + timedelta(days=1)
        ),
        "revenue month x 365 d by provider": lambda: ledger.revenue(
            "month",
            tz,
            start=today - timedelta(days=365),
            end=today + timedelta(days=1),
            group_by="provider",
        ),
        "revenue week x 91 d by kind": lambda: ledger.revenue(
            "week",
            tz,
            start=today - timedelta(days=91),
            end=today + timedelta(days=1),
            group_by="kind",
        ),
        "outcome_counts day x 30 d": lambda: ledger.outcome_counts(
            "day", tz, start=today - timedelta(days=30), end=today + timedelta(days=1)
        ),
        "subscription_counts": ledger.subscription_counts,
        "mrr": ledger.mrr,
        "recent_events (50)": lambda: ledger.recent_events(50),
        "recent_audit (50)": lambda: ledger.recent_audit(50),
    }
    measured = {name: median_ms(run) for name, run in {**baselines, **queries}.items()}
    full_scan = measured["baseline: full scan, SELECT sum(amount) FROM bills"]
    naive = {
        "lookup e-mail (upper case)": "baseline: e-mail search without index",
        "revenue day x 365 d": "baseline: revenue day x 365 d in Python",
    }
    size_mib = sum(p.stat().st_size for p in args.ledger.parent.glob(args.ledger.name + "*"))
    print(
        f"\n{total_bills:,} bills, ledger {size_mib / 2**20:,.0f} MiB, SQLite"
        f" {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, median of 5 runs\n"
    )
    print(f"| {'query':<50} | {'median ms':>10} | {'vs full scan':>12} | {'vs naive':>9} |")
    print(f"|{'-' * 52}|{'-' * 12}:|{'-' * 13}:|{'-' * 10}:|")
    for name, ms in measured.items():
        versus_naive = f"{ms / measured[naive[name]]:.4f}" if name in naive else ""
        print(f"| {name:<50} | {ms:>10.2f} | {ms / full_scan:>12.4f} | {versus_naive:>9} |")
    ledger.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
