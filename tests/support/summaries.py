"""Checks that a ledger's report summaries say what its raw rows say."""

from __future__ import annotations

from datetime import date

from console.ledger import Ledger, RevenueRow
from console.ledger import _reports as reports
from console.ledger._summaries import SUMMARIES, rebuild
from console.ledger._times import bucket_bounds


def summary_rows(conn) -> dict[str, set[tuple]]:
    """Every summary row that holds anything (a status change can leave a row of zeros)."""
    found = {}
    for summary in SUMMARIES:
        columns = summary.columns()
        values = columns[len(summary.key) :]
        rows = conn.execute(
            f"SELECT {', '.join(columns)} FROM {summary.table}"
            f" WHERE {' OR '.join(f'{v} <> 0' for v in values)}"
        )
        found[summary.table] = {tuple(row) for row in rows}
    return found


def assert_summaries_match_raw(ledger: Ledger) -> None:
    """The summary tables equal a rebuild from payments and bills (the rebuild is undone)."""
    with ledger.write() as conn:
        kept = summary_rows(conn)
        conn.execute("SAVEPOINT recount")
        rebuild(conn)
        recounted = summary_rows(conn)
        conn.execute("ROLLBACK TO recount")
        conn.execute("RELEASE recount")
    for table in kept:
        assert kept[table] == recounted[table], (
            f"{table}: only in the summary {sorted(kept[table] - recounted[table])[:3]},"
            f" only in the raw rows {sorted(recounted[table] - kept[table])[:3]}"
        )
    assert (
        any(kept.values())
        or not ledger.connection()
        .execute("SELECT 1 FROM bills UNION ALL SELECT 1 FROM payments LIMIT 1")
        .fetchone()
    ), "rows were written but the summaries are empty"


def raw_revenue_rows(ledger, bucket, tz, *, start, end, group_by=None) -> list[RevenueRow]:
    """``ledger.revenue`` as it was answered before the summaries: from every payment."""
    conn = ledger.connection()
    bounds = bucket_bounds(bucket, tz, start, end)
    sums = reports.raw_revenue(conn, bounds, reports.payment_series(conn), group_by)
    return [
        RevenueRow(date.fromisoformat(label), currency, group or None, total, count)
        for (label, currency, group), (total, count) in sorted(sums.items())
        if count
    ]


def raw_outcome_counts(ledger, bucket, tz, *, start, end) -> dict[tuple[date, str], int]:
    """``ledger.outcome_counts`` from every bill, as {(bucket start, status): count}."""
    counts = reports.raw_outcomes(ledger.connection(), bucket_bounds(bucket, tz, start, end))
    return {(date.fromisoformat(label), status): count for (label, status), count in counts.items()}


def outcome_counts(ledger, bucket, tz, *, start, end) -> dict[tuple[date, str], int]:
    rows = ledger.outcome_counts(bucket, tz, start=start, end=end)
    return {(row.bucket_start, row.status.value): row.count for row in rows}
