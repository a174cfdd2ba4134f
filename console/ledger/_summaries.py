"""Report summaries: revenue and bill outcomes per UTC day and quarter-hour, kept by triggers.

Why summaries: revenue for a year read every payment of the year (about 200 ms at a
million bills, growing with the ledger). The summaries hold what the reports need at
a resolution every real time zone's day boundary falls on — 15 minutes (+05:45,
+08:45 and +12:45 exist) — so a report reads a fixed number of rows per bucket,
whatever the number of payments.

Layout — one row per UTC day, not one per quarter-hour. A local day straddles two
UTC days; read as quarter-hour rows it would be up to 96 rows per series and day
(35,040 rows per series for a year: ~20 ms just to scan at a million bills). So a
row holds a whole UTC day of one series, as running totals: ``amount`` and
``payments`` for the whole day, and ``aK`` / ``nK`` (K = 1..95) for the day's first
K quarter-hours, [00:00, K × 15 min) UTC. The part of a day between two
quarter-hour marks is then one subtraction, and a local day is at most two rows:

    [quarter p1 of day d1, quarter p2 of day d2)
        = whole days d1..d2 - A(d1, p1) - (whole day d2 - A(d2, p2))

where A(d, p) is the running total of day d's first p quarter-hours.

* ``revenue_days`` — (currency, UTC day, provider, channel): net amount and count
  of payments (charges and refunds, refunds negative), integers in minor units.
* ``outcome_days`` — (status, UTC day of creation, provider, kind, currency): how
  many bills created then are in that status now, and their amounts added up (the
  cohort view of ``outcome_counts``, and the Payments page's count and sums per
  currency of a filter on period, status, provider, kind and currency).

Decision: SQLite triggers, not explicit writes in the ledger's write methods. Rows
reach ``payments`` and ``bills`` through record_payment, the refund path (which
inserts negative payments itself), create_bill, record_bill_status, the bulk path
(demo generator, benchmarks), imports, and migrations that rebuild a table. A
trigger is in the same transaction as the write that fires it and covers every one
of these, including the ones written next year; an explicit write covers the paths
someone remembered. Each write fires one small view insert (``revenue_changes`` /
``outcome_changes``) whose INSTEAD OF trigger holds the one wide upsert, so the
day-row arithmetic is written once, not once per trigger. The exceptions are
deliberate and kept in this package:

* :meth:`~console.ledger._bulk.BulkWrites.bulk_load` drops these triggers with the
  indexes and calls :func:`rebuild` once at the end (a million row-by-row upserts
  would make the demo generator much slower than one pass);
* :func:`~console.ledger._schema._rebuild` (a migration copying a table to change a
  constraint) recreates the table's triggers after the copy; the rows are the same,
  so the summaries stay right.

A status change moves one bill from the old status's row to the new one; an update
of a payment's amount, time, currency, provider or channel subtracts the old values
and adds the new; a delete subtracts. Rows that reach zero are kept (they read as
nothing). :func:`rebuild` recomputes both tables from the raw rows — the migration
that introduced them, a bulk load, and the tests that prove triggers and raw rows agree.

Reading: :func:`quarter_spans` splits report buckets into whole quarter-hours, which
the summaries answer, and the edges of a bucket that do not start or end on a
quarter-hour mark, which the caller reads from the raw rows. Since Pacific/Kiritimati
left -10:40 on 1979-10-01, every IANA zone's offset is a multiple of 15 minutes, so
local days, weeks and months have no edges; only local-mean-time and other
historic offsets before then, or a range given as a datetime such as 12:07, read a
few minutes of raw rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

QUARTER_MS = 15 * 60 * 1000
DAY_MS = 24 * 60 * 60 * 1000
QUARTERS = DAY_MS // QUARTER_MS  # 96 quarter-hours in a UTC day

#: ``progress(what, done, total)``: how far a long fill has got, in raw rows read.
Progress = Callable[[str, int, int], None]

#: Raw rows read per progress step when the summaries are rebuilt.
REBUILD_WINDOW_DAYS = 31


@dataclass(frozen=True)
class Summary:
    """One summary table: its key, the running totals it keeps and where they come from.

    ``totals`` pairs a whole-day column with the prefix of its per-quarter columns
    (``("amount", "a")`` means ``amount`` and ``a1`` .. ``a95``).
    """

    table: str
    changes: str  # the view that writes go through
    key: tuple[str, ...]  # table key columns, ``day`` included
    totals: tuple[tuple[str, str], ...]
    source: str  # raw table
    time: str  # raw column the day is taken from
    # The series columns in the raw table: ``indexed`` lead one of its indexes, followed
    # by ``time`` (one range read per indexed series); ``grouped`` are read from the rows.
    indexed: tuple[str, ...]
    grouped: tuple[str, ...]
    adds: tuple[str, ...]  # what one raw row adds to each total: a column, or "1"

    @property
    def raw_series(self) -> tuple[str, ...]:
        return (*self.indexed, *self.grouped)

    @property
    def raw_totals(self) -> tuple[str, ...]:
        """SQL aggregates of raw rows, one per total."""
        return tuple("count(*)" if add == "1" else f"sum({add})" for add in self.adds)

    @property
    def series(self) -> tuple[str, ...]:
        return tuple(column for column in self.key if column != "day")

    def columns(self) -> list[str]:
        """Every column, in table order."""
        per_quarter = [f"{prefix}{k}" for k in range(1, QUARTERS) for _, prefix in self.totals]
        return [*self.key, *(whole for whole, _ in self.totals), *per_quarter]


REVENUE = Summary(
    table="revenue_days",
    changes="revenue_changes",
    key=("currency", "day", "provider", "channel"),
    totals=(("amount", "a"), ("payments", "n")),
    source="payments",
    time="at",
    indexed=("currency", "provider", "channel"),  # payments_revenue
    grouped=(),
    adds=("amount", "1"),
)
OUTCOMES = Summary(
    table="outcome_days",
    changes="outcome_changes",
    key=("status", "day", "provider", "kind", "currency"),
    totals=(("bills", "n"), ("amount", "m")),
    source="bills",
    time="created_at",
    indexed=("status",),  # bills_status_created (which carries the other columns)
    grouped=("provider", "kind", "currency"),
    adds=("1", "amount"),
)
SUMMARIES = (REVENUE, OUTCOMES)

#: The triggers on raw tables (bulk_load drops and restores them; _rebuild keeps them).
RAW_TRIGGERS = (
    "payments_summary_insert",
    "payments_summary_delete",
    "payments_summary_update",
    "bills_summary_insert",
    "bills_summary_delete",
    "bills_summary_update",
)


def floor_day_sql(ms: str) -> str:
    """SQL for the UTC day number of ``ms`` (floored: SQLite's ``/`` truncates toward 0)."""
    return f"(({ms}) - ((({ms}) % {DAY_MS}) + {DAY_MS}) % {DAY_MS}) / {DAY_MS}"


def quarter_sql(ms: str) -> str:
    """SQL for the quarter-hour of the UTC day that ``ms`` falls in (0..95)."""
    return f"(((({ms}) % {DAY_MS}) + {DAY_MS}) % {DAY_MS}) / {QUARTER_MS}"


def _table_sql(summary: Summary) -> str:
    key = [f"{c} {'INTEGER' if c == 'day' else 'TEXT'} NOT NULL" for c in summary.key]
    whole = [f"{column} INTEGER NOT NULL" for column, _ in summary.totals]
    per_quarter = [
        f"{prefix}{k} INTEGER NOT NULL DEFAULT 0"
        for k in range(1, QUARTERS)
        for _, prefix in summary.totals
    ]
    body = ",\n    ".join([*key, *whole, *per_quarter, f"PRIMARY KEY ({', '.join(summary.key)})"])
    return f"CREATE TABLE {summary.table} (\n    {body}\n) WITHOUT ROWID;\n"


def _changes_sql(summary: Summary) -> str:
    """The write-only view and its INSTEAD OF trigger: one wide upsert per change."""
    series = summary.series
    values = [column for column, _ in summary.totals]
    view_columns = [*series, "at", *values]
    nulls = ", ".join("NULL" for _ in view_columns)
    per_quarter = [
        (f"{prefix}{k}", f"iif(q < {k}, NEW.{whole}, 0)")
        for k in range(1, QUARTERS)
        for whole, prefix in summary.totals
    ]
    columns = [*summary.key, *values, *(name for name, _ in per_quarter)]
    selected = [
        *("d" if column == "day" else f"NEW.{column}" for column in summary.key),
        *(f"NEW.{value}" for value in values),
        *(expression for _, expression in per_quarter),
    ]
    updates = ", ".join(
        f"{column} = {column} + excluded.{column}"
        for column in [*values, *(name for name, _ in per_quarter)]
    )
    return (
        f"CREATE VIEW {summary.changes} ({', '.join(view_columns)}) AS SELECT {nulls} WHERE 0;\n"
        f"CREATE TRIGGER {summary.changes}_apply INSTEAD OF INSERT ON {summary.changes}\n"
        "BEGIN\n"
        f"    INSERT INTO {summary.table} ({', '.join(columns)})\n"
        f"    SELECT {', '.join(selected)}\n"
        f"    FROM (SELECT {floor_day_sql('NEW.at')} AS d, {quarter_sql('NEW.at')} AS q) WHERE 1\n"
        f"    ON CONFLICT ({', '.join(summary.key)}) DO UPDATE SET {updates};\n"
        "END;\n"
    )


def _raw_triggers_sql(summary: Summary) -> str:
    """AFTER INSERT / DELETE / UPDATE triggers on the raw table, writing to the view."""
    table = summary.source
    watched = [*summary.raw_series, summary.time, *(add for add in summary.adds if add != "1")]
    view_columns = [*summary.series, "at", *(whole for whole, _ in summary.totals)]
    into = f"INSERT INTO {summary.changes} ({', '.join(view_columns)}) VALUES"

    def change(row: str, sign: str) -> str:
        values = [f"{row}.{column}" for column in (*summary.raw_series, summary.time)]
        values += [f"{sign}{'1' if add == '1' else f'{row}.{add}'}" for add in summary.adds]
        return f"({', '.join(values)})"

    moved = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in watched)
    return (
        f"CREATE TRIGGER {table}_summary_insert AFTER INSERT ON {table}\n"
        f"BEGIN\n    {into} {change('NEW', '')};\nEND;\n"
        f"CREATE TRIGGER {table}_summary_delete AFTER DELETE ON {table}\n"
        f"BEGIN\n    {into} {change('OLD', '-')};\nEND;\n"
        f"CREATE TRIGGER {table}_summary_update AFTER UPDATE OF {', '.join(watched)} ON {table}\n"
        f"WHEN {moved}\n"
        f"BEGIN\n    {into} {change('OLD', '-')}, {change('NEW', '')};\nEND;\n"
    )


#: Tables, change views and triggers, as migration 7 created them (frozen with it).
SUMMARY_SQL = (
    _table_sql(REVENUE)
    + _table_sql(OUTCOMES)
    + _changes_sql(REVENUE)
    + _changes_sql(OUTCOMES)
    + _raw_triggers_sql(REVENUE)
    + _raw_triggers_sql(OUTCOMES)
)


# -- rebuilding from raw rows ------------------------------------------------------------


def rebuild(conn: sqlite3.Connection, progress: Progress | None = None) -> None:
    """Recompute both summary tables from ``payments`` and ``bills`` (inside the caller's
    transaction). Each series is read a month of UTC days at a time through the index
    the raw reports use, so memory stays small and ``progress`` moves as rows are read."""
    total = sum(
        conn.execute(f"SELECT count(*) FROM {summary.source}").fetchone()[0]
        for summary in SUMMARIES
    )
    done = 0
    for summary in SUMMARIES:
        conn.execute(f"DELETE FROM {summary.table}")
        columns = summary.columns()
        insert = (
            f"INSERT INTO {summary.table} ({', '.join(columns)})"
            f" VALUES ({', '.join('?' for _ in columns)})"
        )
        for read, rows in _rebuilt_rows(conn, summary):
            conn.executemany(insert, rows)
            done += read
            if progress is not None:
                progress("report summaries", done, total)
    if progress is not None:
        progress("report summaries", total, total)


def _rebuilt_rows(
    conn: sqlite3.Connection, summary: Summary
) -> Iterator[tuple[int, list[tuple[object, ...]]]]:
    """(raw rows read, summary rows) per indexed series and window of whole UTC days."""
    where = " AND ".join(f"{column} = ?" for column in summary.indexed)
    others = [*summary.grouped, "slot"]
    slot = f"{summary.time} - ((({summary.time} % {QUARTER_MS}) + {QUARTER_MS}) % {QUARTER_MS})"
    grouped = (
        f"SELECT {', '.join([*summary.grouped, f'{slot} AS slot', *summary.raw_totals])}"
        f" FROM {summary.source} WHERE {where} AND {summary.time} >= ? AND {summary.time} < ?"
        f" GROUP BY {', '.join(others)}"
    )
    span = f"SELECT min({summary.time}), max({summary.time}) FROM {summary.source} WHERE {where}"
    window = REBUILD_WINDOW_DAYS * DAY_MS
    width = len(summary.totals)
    named = len(summary.grouped)
    counted = summary.adds.index("1")  # the total that counts raw rows
    for indexed in loose_distinct(conn, summary.source, summary.indexed):
        lo, hi = conn.execute(span, indexed).fetchone()
        start = lo - lo % DAY_MS
        while start <= hi:
            days: dict[tuple[object, ...], list[int]] = {}
            read = 0
            for row in conn.execute(grouped, (*indexed, start, start + window)):
                series, at, values = row[:named], row[named], row[named + 1 :]
                day, rest = divmod(at, DAY_MS)
                cells = days.setdefault((*series, day), [0] * (width * QUARTERS))
                base = rest // QUARTER_MS * width
                for index, value in enumerate(values):
                    cells[base + index] += value
                read += values[counted]
            rows = [_day_row(summary, (*indexed, *key), cells) for key, cells in days.items()]
            yield read, rows
            start += window


def _day_row(summary: Summary, key: tuple[object, ...], cells: list[int]) -> tuple[object, ...]:
    """One summary row: ``key`` is the raw series then the day; ``cells`` the day's
    totals per quarter-hour (quarter-major)."""
    *series, day = key
    values = dict(zip(summary.raw_series, series, strict=True))
    values["day"] = day
    width = len(summary.totals)
    running = [0] * width
    prefixes: list[int] = []
    for quarter in range(QUARTERS):
        if quarter:
            prefixes.extend(running)
        for index in range(width):
            running[index] += cells[quarter * width + index]
    return (*(values[column] for column in summary.key), *running, *prefixes)


def loose_distinct(
    conn: sqlite3.Connection, table: str, columns: Sequence[str]
) -> list[tuple[str, ...]]:
    """The distinct values of ``columns`` (a prefix of one of ``table``'s indexes), by
    loose index scan: one seek per value found, not a scan of the table."""
    found: list[tuple[str, ...]] = []

    def walk(prefix: tuple[str, ...]) -> None:
        column = columns[len(prefix)]
        where = "".join(f"{name} = ? AND " for name in columns[: len(prefix)])
        sql = f"SELECT min({column}) FROM {table} WHERE {where}{column} > ?"
        value = conn.execute(sql, (*prefix, "")).fetchone()[0]
        while value is not None:
            if len(prefix) + 1 == len(columns):
                found.append((*prefix, value))
            else:
                walk((*prefix, value))
            value = conn.execute(sql, (*prefix, value)).fetchone()[0]

    walk(())
    return found


# -- reading -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuarterSpan:
    """A bucket's whole quarter-hours: from quarter ``p1`` of UTC day ``d1`` to quarter
    ``p2`` of day ``d2`` (``p2`` = 96 is the end of the day; ``p1`` < 96)."""

    label: str
    d1: int
    p1: int
    d2: int
    p2: int


def quarter_spans(
    bounds: Sequence[tuple[str, int, int]],
) -> tuple[list[QuarterSpan], list[tuple[str, int, int]]]:
    """Split ``(label, lo_ms, hi_ms)`` buckets into whole quarter-hours (for the
    summaries) and the raw edges: the minutes before a bucket's first quarter-hour mark
    and after its last one, or the whole bucket when it holds no whole quarter-hour."""
    spans: list[QuarterSpan] = []
    edges: list[tuple[str, int, int]] = []
    for label, lo, hi in bounds:
        first = -(-lo // QUARTER_MS) * QUARTER_MS
        last = hi // QUARTER_MS * QUARTER_MS
        if first >= last:
            edges.append((label, lo, hi))
            continue
        if lo < first:
            edges.append((label, lo, first))
        if last < hi:
            edges.append((label, last, hi))
        d1, start = divmod(first, DAY_MS)
        d2, end = divmod(last, DAY_MS)
        if end == 0:
            d2, end = d2 - 1, DAY_MS
        spans.append(QuarterSpan(label, d1, start // QUARTER_MS, d2, end // QUARTER_MS))
    return spans, edges


def span_sum_sql(summary: Summary, whole: str, spans: Sequence[QuarterSpan]) -> str:
    """SQL summing the total ``whole`` over one span's rows (``r``: summary row, ``b``:
    the span): whole days, less the quarters before ``p1`` on ``d1``, less the
    quarters from ``p2`` on ``d2``. Only the quarter columns the spans use are named."""
    prefix = dict(summary.totals)[whole]

    def running(variable: str, quarters: set[int]) -> str:
        def column(quarter: int) -> str:
            return {0: "0", QUARTERS: f"r.{whole}"}.get(quarter, f"r.{prefix}{quarter}")

        if len(quarters) == 1:
            return column(next(iter(quarters)))
        cases = " ".join(f"WHEN {q} THEN {column(q)}" for q in sorted(quarters))
        return f"CASE b.{variable} {cases} END"

    until = running("p2", {span.p2 for span in spans})
    before = running("p1", {span.p1 for span in spans})
    return (
        f"sum(CASE WHEN r.day = b.d2 THEN {until} ELSE r.{whole} END"
        f" - CASE WHEN r.day = b.d1 THEN {before} ELSE 0 END)"
    )


def spans_json(spans: Sequence[QuarterSpan]) -> list[tuple[str, int, int, int, int]]:
    """Spans as JSON-ready rows for the ``b(label, d1, p1, d2, p2)`` CTE."""
    return [(span.label, span.d1, span.p1, span.d2, span.p2) for span in spans]


SPANS_CTE = (
    "b(label, d1, p1, d2, p2) AS MATERIALIZED (SELECT value ->> 0, value ->> 1, value ->> 2,"
    " value ->> 3, value ->> 4 FROM json_each(:spans))"
)
