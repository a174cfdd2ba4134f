"""How fast is the Payments explorer on a big ledger, and how much memory does its export take?

    merchant-console demo --bills 1000000 --ledger /tmp/demo1m.db   # about a minute
    python bench/explorer.py --ledger /tmp/demo1m.db

Every filter a person can pick on the Payments page runs here — each filter alone over
the default 30 local days, common pairs, and the hard ones (free text over a year, an
amount range without a currency, a year or all time sorted by amount, combinations that
match nothing) — in all four sorts. For each the first page, the next page, the page
before the second, a page deep in the middle and the count+sums per currency are timed
(median of ``--repeat`` runs), next to a baseline measured in the same run on the same
file: a full scan of the bills table (``SELECT sum(amount) FROM bills NOT INDEXED``).

``--export`` also writes the whole ledger as the page's CSV (every bill, newest first)
in a child process, and reports its time and the child's peak resident memory (RSS)
against a child that exports 100,000 rows: a bounded export costs the same memory
for both.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

from timing import median_ms

from console.demo import generate_demo
from console.ledger import Ledger, MajorAmount, PaymentFilter, Sort
from console.status import BillStatus
from console.ui.payments_export import write_csv
from console.vocabulary import BillKind, Provider

SORTS: tuple[Sort, ...] = ("newest", "oldest", "amount_desc", "amount_asc")


def cases(ledger: Ledger, tz: str) -> dict[str, PaymentFilter]:
    """The filters people pick, with values taken from the ledger itself."""
    zone = ZoneInfo(tz)
    today = datetime.now(zone).date()

    def days(count: int) -> dict[str, datetime]:
        first = today - timedelta(days=count - 1)
        return {
            "start": datetime.combine(first, clock_time(0), tzinfo=zone),
            "end": datetime.combine(today + timedelta(days=1), clock_time(0), tzinfo=zone),
        }

    conn = ledger.connection()
    middle = ledger.get_bill(conn.execute("SELECT max(id) FROM bills").fetchone()[0] // 2)
    assert middle is not None and middle.customer_email, "the ledger has no bills"
    common_word = conn.execute(
        "SELECT term FROM bills_text_terms WHERE length(term) > 3 ORDER BY doc DESC LIMIT 1"
    ).fetchone()[0]
    numbered = conn.execute(
        "SELECT description FROM bills WHERE description LIKE '%#%' AND id > ? LIMIT 1",
        (middle.id,),
    ).fetchone()[0]
    rare_word = numbered.rsplit("#", 1)[1]
    month, year = days(30), days(365)
    failed, canceled = (BillStatus.FAILED,), (BillStatus.CANCELED,)
    return {
        "30 days, no other filter": PaymentFilter(**month),
        "30 days, failed": PaymentFilter(**month, statuses=failed),
        "30 days, failed or expired": PaymentFilter(
            **month, statuses=(BillStatus.FAILED, BillStatus.EXPIRED)
        ),
        "30 days, canceled (rare)": PaymentFilter(**month, statuses=canceled),
        "30 days, provider Payture": PaymentFilter(**month, provider=Provider.PAYTURE),
        "30 days, kind APM": PaymentFilter(**month, kind=BillKind.APM),
        "30 days, BYN": PaymentFilter(**month, currency="BYN"),
        "30 days, BYN from 100": PaymentFilter(
            **month, currency="BYN", amount_min=MajorAmount(100, 0)
        ),
        "30 days, from 100, no currency": PaymentFilter(**month, amount_min=MajorAmount(100, 0)),
        "30 days, e-mail": PaymentFilter(**month, email=middle.customer_email.upper()),
        f"30 days, text '{common_word}' (common)": PaymentFilter(**month, text=common_word),
        f"30 days, text '{rare_word}' (rare)": PaymentFilter(**month, text=rare_word),
        "30 days, text = tracking id": PaymentFilter(**month, text=middle.tracking_id),
        "30 days, text = B-reference": PaymentFilter(**month, text=middle.ref),
        "7 days, failed BYN from 100": PaymentFilter(
            **days(7), statuses=failed, currency="BYN", amount_min=MajorAmount(100, 0)
        ),
        "30 days, failed, Payture": PaymentFilter(
            **month, statuses=failed, provider=Provider.PAYTURE
        ),
        "30 days, paid, card link, EUR": PaymentFilter(
            **month, statuses=(BillStatus.PAID,), kind=BillKind.CARD_LINK, currency="EUR"
        ),
        f"30 days, '{common_word}', failed": PaymentFilter(
            **month, text=common_word, statuses=failed
        ),
        "year, no other filter": PaymentFilter(**year),
        "all time, no filter": PaymentFilter(),
        "year, canceled (rare)": PaymentFilter(**year, statuses=canceled),
        f"year, text '{common_word}' (common)": PaymentFilter(**year, text=common_word),
        "year, text 'o' (any word with o...)": PaymentFilter(**year, text="o"),
        f"year, text '{rare_word}' (rare)": PaymentFilter(**year, text=rare_word),
        "year, text matching nothing": PaymentFilter(**year, text="zzzqqqxxx"),
        "year, from 500, no currency": PaymentFilter(**year, amount_min=MajorAmount(500, 0)),
        "year, 10.00-10.50, no currency": PaymentFilter(
            **year, amount_min=MajorAmount(1000, 2), amount_max=MajorAmount(1050, 2)
        ),
        "year, JPY": PaymentFilter(**year, currency="JPY"),
        "year, APM in EUR (matches nothing)": PaymentFilter(
            **year, kind=BillKind.APM, currency="EUR"
        ),
        f"year, '{common_word}', pending, JPY": PaymentFilter(
            **year, text=common_word, statuses=(BillStatus.PENDING,), currency="JPY"
        ),
        "year, e-mail": PaymentFilter(**year, email=middle.customer_email),
    }


def measure(ledger: Ledger, tz: str, repeat: int) -> None:
    explorer = ledger.explorer
    conn = ledger.connection()
    bills = conn.execute("SELECT max(id) FROM bills").fetchone()[0]
    middle = ledger.get_bill(bills // 2)
    assert middle is not None
    full_scan = median_ms(
        lambda: conn.execute("SELECT sum(amount) FROM bills NOT INDEXED").fetchone(), repeat
    )
    size_mib = sum(p.stat().st_size for p in ledger.path.parent.glob(ledger.path.name + "*"))
    print(
        f"{bills:,} bills, ledger {size_mib / 2**20:,.0f} MiB, SQLite {sqlite3.sqlite_version},"
        f" Python {sys.version.split()[0]}, median of {repeat} runs\n"
        f"baseline: full scan of bills (SELECT sum(amount) FROM bills NOT INDEXED):"
        f" {full_scan:.1f} ms\n"
    )
    print(
        f"| {'filter':<42} | {'sort':<11} | {'first':>7} | {'next':>7} | {'prev':>7}"
        f" | {'deep':>7} | {'totals':>7} | {'rows':>9} |"
    )
    print(f"|{'-' * 44}|{'-' * 13}|" + f"{'-' * 8}:|" * 5 + f"{'-' * 10}:|")
    worst_page: tuple[float, str] = (0.0, "")
    worst_totals: tuple[float, str] = (0.0, "")
    for name, where in cases(ledger, tz).items():
        totals_ms = median_ms(lambda where=where: explorer.totals(where), repeat)
        count = sum(total.count for total in explorer.totals(where))
        worst_totals = max(worst_totals, (totals_ms, name))
        for sort in SORTS:
            first = explorer.page(where, sort)
            first_ms = median_ms(lambda where=where, sort=sort: explorer.page(where, sort), repeat)
            next_ms = prev_ms = 0.0
            if first.has_next:
                second = explorer.page(where, sort, after=first.last_key)
                next_ms = median_ms(
                    lambda w=where, s=sort, k=first.last_key: explorer.page(w, s, after=k), repeat
                )
                prev_ms = median_ms(
                    lambda w=where, s=sort, k=second.first_key: explorer.page(w, s, before=k),
                    repeat,
                )
            deep = (
                (int(middle.created_at.timestamp() * 1000), middle.id)
                if sort in ("newest", "oldest")
                else (middle.currency, middle.amount, middle.id)
            )
            deep_ms = median_ms(
                lambda w=where, s=sort, k=deep: explorer.page(w, s, after=k), repeat
            )
            for label, ms in (
                ("first", first_ms),
                ("next", next_ms),
                ("prev", prev_ms),
                ("deep", deep_ms),
            ):
                worst_page = max(worst_page, (ms, f"{name}, {sort}, {label} page"))
            print(
                f"| {name:<42} | {sort:<11} | {first_ms:>7.1f} | {next_ms:>7.1f} | {prev_ms:>7.1f}"
                f" | {deep_ms:>7.1f} | {totals_ms:>7.1f} | {count:>9,} |",
                flush=True,
            )
    print(
        f"\nworst page of 50: {worst_page[0]:.1f} ms ({worst_page[1]}),"
        f" {worst_page[0] / full_scan:.3f} of a full scan"
        f"\nworst count+sums: {worst_totals[0]:.1f} ms ({worst_totals[1]}),"
        f" {worst_totals[0] / full_scan:.3f} of a full scan"
    )


def export_child(path: Path, tz: str, limit: int | None) -> int:
    """Write the CSV of every bill (or the first ``limit``) and print time and peak RSS."""
    ledger = Ledger(path)
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    rows = ledger.explorer.rows(PaymentFilter(), "newest")
    if limit is not None:
        rows = islice(rows, limit)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "export.csv"
        with open(target, "w", encoding="utf-8", newline="") as out:
            written = write_csv(rows, out, tz)
        size = target.stat().st_size
    seconds = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"{written} {seconds:.3f} {size} {before_kib} {peak_kib}",
    )
    ledger.close()
    return 0


def measure_export(path: Path, tz: str) -> None:
    print("\nexport (child process each; peak RSS from getrusage):")
    print(
        f"| {'rows':>9} | {'seconds':>8} | {'rows/s':>8} | {'file MiB':>8} |"
        f" {'RSS after open MiB':>18} | {'peak RSS MiB':>12} |"
    )
    print(f"|{'-' * 10}:|{'-' * 9}:|{'-' * 9}:|{'-' * 9}:|{'-' * 19}:|{'-' * 13}:|")
    for limit in ("100000", "all"):
        answer = subprocess.run(
            [sys.executable, __file__, "--ledger", str(path), "--tz", tz,
             "--export-child", limit],
            check=True, capture_output=True, text=True, env=os.environ,
        )  # fmt: skip
        written, seconds, size, before, peak = answer.stdout.split()
        rows, secs = int(written), float(seconds)
        print(
            f"| {rows:>9,} | {secs:>8.1f} | {rows / secs:>8,.0f} | {int(size) / 2**20:>8.1f} |"
            f" {int(before) / 1024:>18.1f} | {int(peak) / 1024:>12.1f} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ledger", type=Path, required=True, help="a demo ledger is made if missing"
    )
    parser.add_argument("--bills", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tz", default="Europe/Minsk")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--export", action="store_true", help="also time the CSV export")
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_child:
        limit = None if args.export_child == "all" else int(args.export_child)
        return export_child(args.ledger, args.tz, limit)
    if not args.ledger.exists():
        print(generate_demo(args.ledger, bills=args.bills, seed=args.seed).summary())
    with Ledger(args.ledger) as ledger:
        measure(ledger, args.tz, args.repeat)
    if args.export:
        measure_export(args.ledger, args.tz)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
