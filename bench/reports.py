"""How fast are the revenue and outcome reports read from the summaries? Ratios against
the raw reports (every payment or bill in the range) measured in the same run.

How to run it, from the worktree (ledgers under /tmp; 1M bills is ~0.8 GiB, 10M ~8 GiB)::

    export PYTHONPATH=$PWD
    python3 -m console.cli demo --bills 1000000 --ledger /tmp/demo1m.db
    python3 bench/reports.py --ledger /tmp/demo1m.db

    # migration: a ledger written by the console just before the summaries
    # (825775a is the commit that added them; its parent has schema 6)
    mkdir /tmp/before && git archive 825775a^ console | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before python3 -m console.cli demo --bills 1000000 --ledger /tmp/old1m.db
    python3 bench/reports.py --migrate /tmp/old1m.db

The 10,000,000-bill ledger is ``merchant-console demo --bills 10000000`` (it goes up
to 20,000,000; see the README's "Ten million bills" for its time and size).

Each report runs ``--repeat`` times (median reported) in several zones: Europe/Minsk
(+03:00), America/New_York (DST), Asia/Kathmandu (+05:45) and Australia/Lord_Howe
(30-minute DST): revenue per day for a year, per week by kind for 91 days, per month
by provider for a year, and outcome counts per day for a year. The baseline of each
row is the same report answered the way it was before the summaries —
:func:`console.ledger._reports.raw_revenue` / ``raw_outcomes`` over the same
buckets, which read every payment or bill in range. The summary answers are checked
equal to the baseline's before anything is timed (exit 1 if they differ).

``--migrate OLD`` opens a copy of ``OLD`` (made next to it, deleted after) with this
console, which fills the summaries, and prints the rows read per second against one
plain pass over the same rows. The time is the whole open: every migration from
``OLD``'s version up, so to time the summaries' fill alone give a ledger of the
version just before it (on branch ``summaries`` that is 825775a^, version 6; where
other migrations come first, a ledger written by the commit before the summaries'
migration in that history).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from timing import median_ms

from console.ledger import Bucket, Ledger, RevenueRow, bucket_bounds
from console.ledger import _reports as reports
from console.ledger._summaries import REVENUE

ZONES = ("Europe/Minsk", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe")
# What any fill must at least do: read every payment's series, time and amount through
# the index the fill reads, and every bill's status, time, provider and kind.
FULL_READ_SQL = (
    "SELECT (SELECT sum(at % 900000 + amount) FROM payments INDEXED BY payments_revenue"
    " WHERE currency > ''),"
    " (SELECT sum(created_at % 900000 + length(status) + length(provider) + length(kind))"
    " FROM bills)"
)


@dataclass(frozen=True)
class Report:
    """One report call: which report, bucket, zone, local range and grouping."""

    name: str
    outcomes: bool
    bucket: Bucket
    tz: str
    start: date
    end: date
    group_by: str | None = None

    def summary(self, ledger: Ledger) -> object:
        """The answer the console gives (read from the summaries), in comparable form."""
        if not self.outcomes:
            return ledger.revenue(
                self.bucket, self.tz, start=self.start, end=self.end, group_by=self.group_by
            )
        rows = ledger.outcome_counts(self.bucket, self.tz, start=self.start, end=self.end)
        return {(row.bucket_start.isoformat(), row.status.value): row.count for row in rows}

    def raw(self, ledger: Ledger) -> object:
        """The same answer read the way it was before the summaries: from every row."""
        conn = ledger.connection()
        bounds = bucket_bounds(self.bucket, self.tz, self.start, self.end)
        if self.outcomes:
            return reports.raw_outcomes(conn, bounds)
        sums = reports.raw_revenue(conn, bounds, reports.payment_series(conn), self.group_by)
        return [
            RevenueRow(date.fromisoformat(label), currency, group or None, total, count)
            for (label, currency, group), (total, count) in sorted(sums.items())
            if count
        ]


def reports_in(tz: str, today: date) -> list[Report]:
    year = (today - timedelta(days=364), today + timedelta(days=1))
    quarter = (today - timedelta(days=90), today + timedelta(days=1))
    return [
        Report(f"revenue day x 365 d, {tz}", False, "day", tz, *year),
        Report(f"revenue week x 91 d by kind, {tz}", False, "week", tz, *quarter, "kind"),
        Report(f"revenue month x 365 d by provider, {tz}", False, "month", tz, *year, "provider"),
        Report(f"outcome counts day x 365 d, {tz}", True, "day", tz, *year),
    ]


def time_migration(old: Path) -> None:
    """Open a copy of a ledger written before the summaries with this console and time
    the migration, against one plain pass over the rows it has to read."""
    with tempfile.TemporaryDirectory(dir=old.parent) as folder:
        copy = Path(folder) / old.name
        with sqlite3.connect(old) as source, sqlite3.connect(copy) as target:
            source.backup(target)  # the WAL's committed pages too, unlike a file copy
        conn = sqlite3.connect(copy)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        if not version or REVENUE.table in tables:
            conn.close()
            sys.exit(f"{old} is not a ledger from before the report summaries (version {version})")
        payments, bills = conn.execute(
            "SELECT (SELECT count(*) FROM payments), (SELECT count(*) FROM bills)"
        ).fetchone()
        began = time.perf_counter()
        conn.execute(FULL_READ_SQL).fetchall()
        baseline = time.perf_counter() - began
        conn.close()
        began = time.perf_counter()
        with Ledger(copy) as ledger:
            seconds = time.perf_counter() - began
            now = ledger.schema_version
    rows = payments + bills
    print(
        f"\nmigration {version} -> {now} (opening the copy; one transaction):"
        f" {payments:,} payments and {bills:,} bills in {seconds:.1f} s"
        f" = {rows / seconds:,.0f} rows/s; one plain pass over the same rows"
        f" {baseline:.1f} s ({rows / baseline:,.0f} rows/s), ratio {seconds / baseline:.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", type=Path, help="a filled ledger (demo) to time reports on")
    parser.add_argument("--repeat", type=int, default=7, help="runs per report (median)")
    parser.add_argument(
        "--migrate", type=Path, metavar="OLD", help="time migrating a copy of this older ledger"
    )
    args = parser.parse_args(argv)
    if args.ledger is None and args.migrate is None:
        parser.error("give --ledger, --migrate or both")
    for path in (args.ledger, args.migrate):
        if path is not None and not path.exists():
            parser.error(f"{path} does not exist; make one with merchant-console demo")
    if args.migrate:
        time_migration(args.migrate)
    if args.ledger is None:
        return 0
    ledger = Ledger(args.ledger)
    conn = ledger.connection()
    bills, payments, summary_rows = conn.execute(
        "SELECT (SELECT count(*) FROM bills), (SELECT count(*) FROM payments),"
        " (SELECT count(*) FROM revenue_days)"
    ).fetchone()
    last_payment = conn.execute("SELECT max(at) FROM payments").fetchone()[0]
    cases = [
        report
        for tz in ZONES
        for report in reports_in(
            tz, datetime.fromtimestamp(last_payment / 1000, ZoneInfo(tz)).date()
        )
    ]
    print(
        f"\n{bills:,} bills, {payments:,} payments, {summary_rows:,} revenue summary rows;"
        f" SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]},"
        f" median of {args.repeat} runs\n"
    )
    width = max(len(report.name) for report in cases)
    print(f"| {'report':<{width}} | {'summaries ms':>12} | {'raw ms':>9} | {'ratio':>7} |")
    print(f"|{'-' * (width + 2)}|{'-' * 13}:|{'-' * 10}:|{'-' * 8}:|")
    for report in cases:
        summary = partial(report.summary, ledger)
        raw = partial(report.raw, ledger)
        if summary() != raw():
            print(f"| {report.name:<{width}} | DIFFERENT ANSWERS |", flush=True)
            return 1
        fast, slow = median_ms(summary, args.repeat), median_ms(raw, max(3, args.repeat // 2))
        row = f"| {report.name:<{width}} | {fast:>12.2f} | {slow:>9.1f} | {fast / slow:>7.4f} |"
        print(row, flush=True)
    ledger.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
