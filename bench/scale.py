"""Does a page's cost stay flat as the ledger grows? The same reads on ledgers of
different sizes, side by side, with the ratio of the largest to the smallest.

    merchant-console demo --bills 10000 --ledger /tmp/scale10k.db
    merchant-console demo --bills 1000000 --ledger /tmp/scale1m.db
    merchant-console demo --bills 10000000 --ledger /tmp/scale10m.db
    python bench/scale.py --ledger /tmp/scale10k.db --ledger /tmp/scale1m.db \\
        --ledger /tmp/scale10m.db

For each ledger (opened as the console opens it, so it is migrated first): what
Lookup asks for each kind of pasted text, what the Payments page asks for its first
page (50 rows) and for its count and sums per currency, and the reports Revenue
draws. Each read runs once to warm the cache, then ``--repeat`` times; the median is
printed. The baseline of each ledger, measured in the same run: a full scan of its
bills (``SELECT sum(amount) FROM bills NOT INDEXED``), which grows with the ledger
by construction — a read that grows like it is not flat.

The sample bill is the one in the middle of each ledger, its customer e-mail and
pasted pay link; the periods end today in ``--tz``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from timing import median_ms

from console.ledger import Ledger, MajorAmount, PaymentFilter
from console.status import BillStatus


def warm_median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm the page cache and the statement cache
    return median_ms(run, repeat)


def local_period(tz: str, days: int) -> tuple[datetime, datetime]:
    """The last ``days`` local days of ``tz``, as the Payments page turns them into bounds."""
    zone = ZoneInfo(tz)
    today = datetime.now(zone).date()
    first = today - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(today.year, today.month, today.day, tzinfo=zone) + timedelta(days=1)
    return start, end


def reads(ledger: Ledger, tz: str) -> dict[str, Callable[[], object]]:
    conn = ledger.connection()
    (last,) = conn.execute("SELECT max(id) FROM bills").fetchone()
    sample = ledger.get_bill(last // 2)
    assert sample is not None and sample.customer_email, "the ledger has no demo bills"
    month, week, year = (local_period(tz, days) for days in (30, 7, 365))
    today = datetime.now(ZoneInfo(tz)).date()
    a_year: tuple[date, date] = (today - timedelta(days=364), today + timedelta(days=1))
    failed_byn = PaymentFilter(
        start=week[0],
        end=week[1],
        statuses=(BillStatus.FAILED,),
        currency="BYN",
        amount_min=MajorAmount(100, 0),
    )
    found: dict[str, Callable[[], object]] = {
        "baseline: full scan of the bills": lambda: conn.execute(
            "SELECT sum(amount) FROM bills NOT INDEXED"
        ).fetchone(),
        "Lookup: console id (B…)": lambda: ledger.lookup(sample.ref),
        "Lookup: tracking id": lambda: ledger.lookup(sample.tracking_id),
        "Lookup: e-mail, upper case": lambda: ledger.lookup(sample.customer_email.upper()),
    }
    if sample.provider_id:
        found["Lookup: provider id"] = lambda: ledger.lookup(sample.provider_id or "")
    if sample.pay_url:
        found["Lookup: a pasted pay link"] = lambda: ledger.lookup(sample.pay_url or "")
    default = PaymentFilter(start=month[0], end=month[1])
    found |= {
        "Payments first page: last 30 days (the default)": lambda: ledger.explorer.page(
            default, limit=50
        ),
        "Payments first page: a year, largest amount first": lambda: ledger.explorer.page(
            PaymentFilter(start=year[0], end=year[1]), "amount_desc", limit=50
        ),
        "Payments first page: 7 days, failed BYN from 100": lambda: ledger.explorer.page(
            failed_byn, limit=50
        ),
        "Payments first page: 30 days, text 'premium'": lambda: ledger.explorer.page(
            PaymentFilter(start=month[0], end=month[1], text="premium"), limit=50
        ),
        "Payments first page: a customer's e-mail": lambda: ledger.explorer.page(
            PaymentFilter(email=sample.customer_email), limit=50
        ),
        "Payments count and sums: last 30 days": lambda: ledger.explorer.totals(default),
        "Payments count and sums: 7 days, failed BYN from 100": lambda: ledger.explorer.totals(
            failed_byn
        ),
        "Revenue: a year by day": lambda: ledger.revenue("day", tz, start=a_year[0], end=a_year[1]),
        "Revenue: outcomes, a year by day": lambda: ledger.outcome_counts(
            "day", tz, start=a_year[0], end=a_year[1]
        ),
    }
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--ledger", type=Path, action="append", required=True, help="repeatable, smallest first"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per read (median)")
    parser.add_argument("--tz", default="Europe/Minsk")
    args = parser.parse_args(argv)
    sizes: list[int] = []
    results: list[dict[str, float]] = []
    for path in args.ledger:
        if not path.exists():
            parser.error(f"{path} does not exist (make it with merchant-console demo)")
        started = time.perf_counter()
        with Ledger(path) as ledger:
            opened = time.perf_counter() - started
            (bills,) = ledger.connection().execute("SELECT count(*) FROM bills").fetchone()
            print(f"{path}: {bills:,} bills (opened and migrated in {opened:.1f} s)", flush=True)
            timed = {
                name: warm_median_ms(read, args.repeat)
                for name, read in reads(ledger, args.tz).items()
            }
        sizes.append(bills)
        results.append(timed)
    names = [name for name in results[0] if all(name in r for r in results)]
    width = max(len(name) for name in names)
    header = " ".join(f"{size:>12,}" for size in sizes)
    print(f"\n{'median ms, bills →':<{width}} {header} {'largest/smallest':>17}")
    for name in names:
        cells = " ".join(f"{r[name]:>12.2f}" for r in results)
        ratio = results[-1][name] / results[0][name] if results[0][name] else float("inf")
        print(f"{name:<{width}} {cells} {ratio:>16.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
