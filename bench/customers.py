"""How fast are the customer page and the subscriptions search on a big ledger? Ratios.

    python3 -m console.cli demo --bills 1000000 --ledger /tmp/demo1m_customers.db
    python bench/customers.py --ledger /tmp/demo1m_customers.db

The demo's customers have at most about twenty bills each, so the first run adds one
**busy customer** (``--busy-bills``, default 100,000 bills over the past year in four
currencies: most paid, some refunded through refund attempts, some still open, plus
a few subscriptions with their charges) through the ledger's bulk path and
``ledger.refunds``. Their rows go in after the demo's, so they lie together in the
file: a real busy customer's rows are spread among everyone's and cost more page reads.

Then every query the Customer page makes runs five times — for the busy customer, the
demo's busiest and a typical one — and so do subscription searches (first pages, capped
counts, page 200 by cursor). Medians are printed beside baselines measured in the same
run on the same file: a full scan of the bills (``SELECT sum(amount) FROM bills``), the
naive customer page — every bill and payment of the busy customer read into Python and
summed there — and, for the search, page 200 of the subscriptions by ``OFFSET`` (what
keyset paging avoids).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from timing import median_ms

from console.ledger import Ledger, ListPage, SubscriptionQuery, now_ms
from console.status import SubscriptionStatus

BUSY = "busy.customer@example.com"
DAY_MS = 86_400_000
CURRENCIES = ["BYN", "EUR", "USD", "RUB"]


def add_busy_customer(ledger: Ledger, bills: int, seed: int) -> None:
    """``bills`` bills of one e-mail (and four subscriptions), with payments and refunds."""
    rng = random.Random(seed)
    conn = ledger.connection()
    first_bill = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM bills").fetchone()[0]
    first_sub = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM subscriptions").fetchone()[0]
    end = now_ms()
    start = end - 365 * DAY_MS
    bill_rows, payment_rows, refunded = [], [], []
    for offset in range(bills):
        bill_id = first_bill + offset
        created = start + offset * (end - start) // bills
        currency = rng.choice(CURRENCIES)
        amount = rng.randint(100, 50_000)
        roll = rng.random()
        status = "paid" if roll < 0.9 else "pending" if roll < 0.93 else "failed"
        paid_at = created + 60_000 if status == "paid" else None
        bill_rows.append(
            (
                bill_id,
                "bepaid",
                "card_link",
                f"BUSY-{bill_id}",
                amount,
                currency,
                BUSY,
                status,
                created,
                paid_at or created,
                paid_at,
                1,
            )
        )
        if paid_at is not None:
            payment_rows.append(
                (bill_id, "bepaid", f"busy-{bill_id}", "charge", amount, currency, paid_at, 1)
            )
            if rng.random() < 0.05:
                refunded.append(bill_id)
    subscriptions = [
        (
            first_sub + n,
            "bepaid",
            f"BUSY-SUB-{n}",
            "demo-plan-pro",
            "Pro, monthly",
            1990,
            CURRENCIES[n],
            1,
            "month",
            BUSY,
            "active" if n else "canceled",
            start,
            start,
            1,
        )
        for n in range(4)
    ]
    sub_payments = [
        (
            first_sub + n,
            "bepaid",
            f"busy-s{first_sub + n}-{m}",
            "charge",
            1990,
            CURRENCIES[n],
            start + m * 30 * DAY_MS,
            1,
        )
        for n in range(4)
        for m in range(12)
    ]
    payment_columns = ("provider", "provider_txn_id", "kind", "amount", "currency", "at", "demo")
    with ledger.write():  # one transaction: the write methods below join it
        ledger.bulk_insert(
            "bills",
            bill_rows,
            columns=(
                "id",
                "provider",
                "kind",
                "tracking_id",
                "amount",
                "currency",
                "customer_email",
                "status",
                "created_at",
                "updated_at",
                "paid_at",
                "demo",
            ),
        )
        ledger.bulk_insert(
            "subscriptions",
            subscriptions,
            columns=(
                "id",
                "provider",
                "tracking_id",
                "plan_id",
                "plan_title",
                "amount",
                "currency",
                "interval",
                "interval_unit",
                "customer_email",
                "status",
                "created_at",
                "updated_at",
                "demo",
            ),
        )
        ledger.bulk_insert("payments", payment_rows, columns=("bill_id", *payment_columns))
        ledger.bulk_insert("payments", sub_payments, columns=("subscription_id", *payment_columns))
        for bill_id in refunded:
            [charge] = ledger.payments_of("bill", bill_id)
            amount = charge.amount if rng.random() < 0.5 else charge.amount // 2 or 1
            refund = ledger.refunds.start(charge, amount, "Customer asked", actor="bench")
            ledger.refunds.succeed(
                refund, provider_uid=f"busy-r{bill_id}", native_status=None, at=None
            )


def naive_customer(conn: sqlite3.Connection, email: str) -> dict[str, int]:
    """The customer page without the ledger's paging: every bill and payment of the
    customer read into Python and summed there."""
    bills = [
        dict(row) for row in conn.execute("SELECT * FROM bills WHERE customer_email = ?", (email,))
    ]
    totals: dict[str, int] = defaultdict(int)
    for row in conn.execute(
        "SELECT * FROM payments WHERE bill_id IN (SELECT id FROM bills WHERE customer_email = ?)",
        (email,),
    ):
        payment = dict(row)
        totals[payment["currency"]] += payment["amount"]
    assert bills
    return totals


def walk(page: Callable[..., ListPage], pages: int) -> Callable[[], object]:
    """Read ``pages`` pages one after another, each from the cursor the previous gave."""

    def run() -> object:
        before = None
        for _ in range(pages):
            found = page(before=before)
            before = found.older
            if before is None:
                break
        return before

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", type=Path, required=True, help="a demo ledger")
    parser.add_argument("--busy-bills", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)

    ledger = Ledger(args.ledger)  # migrates a ledger made by an older console
    conn = ledger.connection()
    if not conn.execute("SELECT 1 FROM bills WHERE customer_email = ?", (BUSY,)).fetchone():
        began = time.perf_counter()
        add_busy_customer(ledger, args.busy_bills, args.seed)
        print(f"added {BUSY}: {args.busy_bills:,} bills in {time.perf_counter() - began:.1f} s")
    busy_bills = ledger.customers.summary(BUSY).bills
    typical = conn.execute(
        "SELECT customer_email FROM bills WHERE customer_email IS NOT NULL AND id = ?",
        (conn.execute("SELECT max(id) FROM bills").fetchone()[0] // 3,),
    ).fetchone()[0]
    (busiest,) = conn.execute(
        "SELECT customer_email FROM bills WHERE customer_email IS NOT NULL"
        " AND customer_email <> ? GROUP BY customer_email ORDER BY count(*) DESC LIMIT 1",
        (BUSY,),
    ).fetchone()
    demo_busiest = ledger.customers.summary(busiest)
    customers = ledger.customers
    sample_sub = ledger.recent_subscriptions(1, before_id=10_000)[0]
    some_email = next(
        s.customer_email for s in ledger.recent_subscriptions(200) if s.customer_email
    )

    baselines: dict[str, Callable[[], object]] = {
        "baseline: full scan, SELECT sum(amount) FROM bills": lambda: conn.execute(
            "SELECT sum(amount) FROM bills"
        ).fetchone(),
        f"baseline: naive customer page, busy ({busy_bills:,} bills)": lambda: naive_customer(
            conn, BUSY
        ),
        "baseline: subscriptions page 200 by OFFSET": lambda: conn.execute(
            "SELECT * FROM subscriptions WHERE status IN ('active', 'trial')"
            " ORDER BY id DESC LIMIT 50 OFFSET 9950"
        ).fetchall(),
    }

    def page_of(email: str) -> Callable[[], object]:
        """What one Customer page run reads: summary, open items, first page of each list."""

        def run() -> object:
            return (
                customers.summary(email),
                customers.open_bills(email),
                customers.open_subscriptions(email),
                customers.bills(email),
                customers.subscriptions(email),
                customers.payments(email),
                customers.refunds(email),
            )

        return run

    queries: dict[str, Callable[[], object]] = {}
    for label, email in (
        ("busy", BUSY),
        ("demo's busiest", demo_busiest.email),
        ("typical", typical),
    ):
        queries |= {
            f"customer page, {label}: all its reads": page_of(email),
            f"  summary (counts, totals per currency), {label}": lambda e=email: customers.summary(
                e
            ),
            f"  bills, first page (50), {label}": lambda e=email: customers.bills(e),
            f"  payments, first page (50), {label}": lambda e=email: customers.payments(e),
            f"  refund attempts, first page, {label}": lambda e=email: customers.refunds(e),
            f"  open bills + subscriptions, {label}": lambda e=email: (
                customers.open_bills(e),
                customers.open_subscriptions(e),
            ),
        }
    queries |= {
        "  bills: 20 pages walked by cursor, busy": walk(
            lambda before: customers.bills(BUSY, before=before), 20
        ),
        "  payments: 20 pages walked by cursor, busy": walk(
            lambda before: customers.payments(BUSY, before=before), 20
        ),
    }
    search = ledger.subscriptions
    searches = {
        "no filter": SubscriptionQuery(),
        "e-mail": SubscriptionQuery(email=some_email.upper()),
        "plan title part ('pro')": SubscriptionQuery(plan="pro"),
        "plan id": SubscriptionQuery(plan="demo-plan-team"),
        "a rare state (past_due)": SubscriptionQuery(states=(SubscriptionStatus.PAST_DUE,)),
        "two states (active, trial)": SubscriptionQuery(
            states=(SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIAL)
        ),
        "tracking id": SubscriptionQuery(ref=sample_sub.tracking_id),
        "subscription id (S…)": SubscriptionQuery(ref=sample_sub.ref),
        "plan + state, nothing matches": SubscriptionQuery(
            plan="no such plan", states=(SubscriptionStatus.ERROR,)
        ),
    }
    for name, query in searches.items():
        queries[f"subscriptions search, {name}: first page"] = lambda q=query: search.search(q)
        queries[f"  ... count (capped at 10,000), {name}"] = lambda q=query: search.count(q)
    queries["subscriptions search, two states: page 200 by cursor (walked)"] = walk(
        lambda before: search.search(searches["two states (active, trial)"], before=before), 200
    )
    last_step: dict[str, object] = {}

    def page_200_by_cursor() -> object:
        return search.search(searches["two states (active, trial)"], before=last_step["cursor"])

    last_step["cursor"] = walk(
        lambda before: search.search(searches["two states (active, trial)"], before=before), 199
    )()
    queries["subscriptions search, two states: page 200 alone, by cursor"] = page_200_by_cursor

    measured = {name: median_ms(run) for name, run in {**baselines, **queries}.items()}
    full_scan = measured["baseline: full scan, SELECT sum(amount) FROM bills"]
    naive = next(v for k, v in measured.items() if k.startswith("baseline: naive"))
    size_mib = sum(p.stat().st_size for p in args.ledger.parent.glob(args.ledger.name + "*"))
    total_bills = conn.execute("SELECT max(id) FROM bills").fetchone()[0]
    print(
        f"\n{total_bills:,} bills, ledger {size_mib / 2**20:,.0f} MiB, SQLite"
        f" {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, median of 5 runs;"
        f" busy customer {busy_bills:,} bills, demo's busiest {demo_busiest.bills},"
        f" typical {ledger.customers.summary(typical).bills}\n"
    )
    print(f"| {'query':<66} | {'median ms':>9} | {'vs full scan':>12} | {'vs naive':>8} |")
    print(f"|{'-' * 68}|{'-' * 10}:|{'-' * 13}:|{'-' * 9}:|")
    for name, ms in measured.items():
        versus_naive = f"{ms / naive:.4f}" if "busy" in name and "naive" not in name else ""
        print(f"| {name:<66} | {ms:>9.2f} | {ms / full_scan:>12.4f} | {versus_naive:>8} |")
    ledger.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
