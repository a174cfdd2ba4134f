"""The numbers the pages show: open items, revenue, outcomes, subscription counts, MRR.

Every report is SQL over an index or a summary; nothing loads a table into
Python. Money is reported per currency and never summed across currencies.

Local-time buckets: :func:`~console.ledger._times.bucket_bounds` turns the range
into one ``(local start date, lo_ms, hi_ms)`` triple per local day, ISO week
(Monday) or month, computed with zoneinfo so DST days have 23 or 25 hours. The
triples go to SQLite as one JSON parameter.

Revenue and outcomes are read from the report summaries
(:mod:`console.ledger._summaries`: per UTC day, with running totals per
quarter-hour, kept by triggers in the same transaction as every write). Each
bucket is its whole quarter-hours — at most two summary rows per local day and
series, whatever the number of payments — plus, only where a boundary is not on a
quarter-hour mark (a historic offset such as +05:53:28, or a range starting at
12:07), the few minutes at its edges read from the raw rows. For every
(bucket, currency or group) one correlated subquery seeks the summary's key and
sums its rows; the result goes back as rows, never sorted.

The raw reports — the way revenue was read before the summaries existed — stay
as private functions (:func:`raw_revenue`, :func:`raw_outcomes`): the edges use
them, and the tests and ``bench/reports.py`` compare the summaries with them.
Raw revenue reads the covering index ``payments(currency, provider, channel, at,
amount)``: a loose index scan finds the (currency, provider, channel) series,
then for every bucket and series a correlated subquery sums exactly one range of
the index. Raw outcomes work the same way over ``bills(status, created_at)``.
Empty buckets produce no rows; the UI fills the gaps.

Decisions:

* ``revenue`` is net: refunds (negative amounts) are subtracted in the bucket
  where the refund happened; ``count`` counts charges and refunds.
* ``outcome_counts`` is a cohort view: bills are bucketed by the local day they
  were *created*, and counted by their status now. A bucket's numbers settle as
  its open bills finish; open statuses (creating, pending) are included.
* ``mrr`` counts ``active`` and ``past_due`` subscriptions (past_due is still
  being charged — bePaid retries — and counts until it fails); trials do not
  count, they have not paid. A plan is normalised to a month: ``month`` interval
  n -> amount / n; ``day`` n -> amount * 365 / 12 / n; ``hour`` n -> amount *
  8760 / 12 / n (an average non-leap month of 365/12 days). The sum per currency
  is exact (fractions) and rounded once, half to even, to minor units.
* ``open_items`` returns at most ``limit`` bills and at most ``limit``
  subscriptions, each oldest first. Open means not final: creating or pending
  bills; creating, pending, trial, active or past_due subscriptions.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta
from fractions import Fraction

from console.errors import ValidationError
from console.ledger._base import LedgerBase
from console.ledger._checks import choice
from console.ledger._connections import read_snapshot
from console.ledger._records import (
    BILL_KINDS,
    MrrRow,
    OpenItem,
    OutcomeRow,
    RevenueRow,
    console_ref,
)
from console.ledger._summaries import (
    OUTCOMES,
    REVENUE,
    SPANS_CTE,
    QuarterSpan,
    loose_distinct,
    quarter_spans,
    span_sum_sql,
    spans_json,
)
from console.ledger._times import Bucket, bucket_bounds, from_ms, ms_or_now
from console.status import BillStatus, SubscriptionStatus

# Must match the partial indexes' WHERE text for SQLite to use them.
OPEN_BILLS_SQL = "status IN ('creating', 'pending')"
OPEN_SUBSCRIPTIONS_SQL = "status IN ('creating', 'pending', 'trial', 'active', 'past_due')"
MRR_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)

_MONTHLY_FACTOR = {"month": Fraction(1), "day": Fraction(365, 12), "hour": Fraction(8760, 12)}
_GROUPS = ("provider", "kind")
_GROUP_COLUMN = {None: None, "provider": "provider", "kind": "channel"}
# MATERIALIZED: parse the JSON once, not once per index entry read.
_BUCKETS = (
    "b(label, lo, hi) AS MATERIALIZED"
    " (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(:buckets))"
)
_RAW_REVENUE_SQL = (
    f"WITH {_BUCKETS}, s(currency, provider, channel) AS MATERIALIZED"
    " (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(:series))"
    " SELECT b.label, s.currency, s.provider, s.channel,"
    " (SELECT json_array(sum(amount), count(*)) FROM payments"
    "  WHERE currency = s.currency AND provider = s.provider AND channel = s.channel"
    "  AND at >= b.lo AND at < b.hi)"
    " FROM b CROSS JOIN s"
)
_RAW_OUTCOMES_SQL = (
    f"WITH {_BUCKETS}, s(status) AS (SELECT value FROM json_each(:statuses))"
    " SELECT label, status, n FROM (SELECT b.label, s.status, (SELECT count(*)"
    " FROM bills WHERE bills.status = s.status AND created_at >= b.lo"
    " AND created_at < b.hi) AS n FROM b CROSS JOIN s) WHERE n > 0"
)
_STATUSES = json.dumps([status.value for status in BillStatus])
_STATUS_OF = {status.value: status for status in BillStatus}
_STATUS_ORDER = {status.value: index for index, status in enumerate(BillStatus)}

Series = tuple[str, str, str]  # (currency, provider, channel)
Sums = dict[tuple[str, str, str], list[int]]  # (label, currency, group or "") -> [total, count]


class Reports(LedgerBase):
    """Read methods behind the monitor, revenue and subscription pages."""

    def open_items(
        self,
        provider: str | None = None,
        kind: str | None = None,
        *,
        limit: int = 200,
        now: datetime | None = None,
        include_demo: bool = True,
        newest_first: bool = False,
    ) -> list[OpenItem]:
        """Bills and subscriptions that are not final, with their age and time to expiry.

        ``kind`` is a bill kind (card_link, apm, payture_bill) or ``subscription``;
        None means both. ``now`` (default: the current time) is what ages are
        measured from. ``include_demo=False`` leaves out demo rows (sync has nothing
        to ask a provider about them). Items come oldest first (what has waited
        longest), or ``newest_first`` (what a person watching wants to see); the
        limit applies per object type in that order.
        """
        if kind is not None:
            choice(kind, (*BILL_KINDS, "subscription"), "kind")
        now_value = ms_or_now(now, field="now")
        filters, params = "", []
        if provider is not None:
            filters, params = " AND provider = ?", [provider]
        if not include_demo:
            filters += " AND demo = 0"
        order = "created_at DESC" if newest_first else "created_at"
        conn = self.connection()
        rows = []
        if kind != "subscription":
            kind_filter, kind_params = ("", []) if kind is None else (" AND kind = ?", [kind])
            rows += conn.execute(
                "SELECT 'bill' AS object_type, id, provider, kind, tracking_id, provider_id,"
                " status, native_status, amount, currency, customer_email, created_at, updated_at,"
                f" expires_at FROM bills WHERE {OPEN_BILLS_SQL}{filters}{kind_filter}"
                f" ORDER BY {order} LIMIT ?",
                [*params, *kind_params, limit],
            ).fetchall()
        if kind in (None, "subscription"):
            rows += conn.execute(
                "SELECT 'subscription' AS object_type, id, provider, 'subscription' AS kind,"
                " tracking_id, provider_id, status, native_status, amount, currency,"
                " customer_email, created_at, updated_at, NULL AS expires_at FROM subscriptions"
                f" WHERE {OPEN_SUBSCRIPTIONS_SQL}{filters} ORDER BY {order} LIMIT ?",
                [*params, limit],
            ).fetchall()
        return [_open_item(row, now_value) for row in rows]

    def open_bill_ids(self, kind: str | None = None, *, limit: int) -> list[int]:
        """Ids of open bills (of ``kind``, or every kind), newest first, at most ``limit``:
        read from the open bills' partial indexes alone, so what it costs does not grow
        with the ledger; read the rows that are shown with :meth:`get_bill`."""
        if kind is not None:
            choice(kind, BILL_KINDS, "kind")
        params: list[object] = [limit]
        index, kind_filter = "bills_open", ""
        if kind is not None:
            index, kind_filter, params = "bills_open_kind", " AND kind = ?", [kind, limit]
        rows = self.connection().execute(
            f"SELECT id FROM bills INDEXED BY {index} WHERE {OPEN_BILLS_SQL}{kind_filter}"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            params,
        )
        return [row[0] for row in rows]

    def open_counts(
        self, provider: str | None = None, kind: str | None = None
    ) -> dict[tuple[str, str], int]:
        """Exact counts of open items per (object type, status), with the same filters
        as :meth:`open_items`; answered from the open-status partial indexes."""
        if kind is not None:
            choice(kind, (*BILL_KINDS, "subscription"), "kind")
        filters, params = ("", []) if provider is None else (" AND provider = ?", [provider])
        conn = self.connection()
        counts: dict[tuple[str, str], int] = {}
        if kind != "subscription":
            kind_filter, kind_params = ("", []) if kind is None else (" AND kind = ?", [kind])
            for status, count in conn.execute(
                f"SELECT status, count(*) FROM bills WHERE {OPEN_BILLS_SQL}{filters}{kind_filter}"
                " GROUP BY status",
                [*params, *kind_params],
            ):
                counts[("bill", status)] = count
        if kind in (None, "subscription"):
            for status, count in conn.execute(
                f"SELECT status, count(*) FROM subscriptions WHERE {OPEN_SUBSCRIPTIONS_SQL}"
                f"{filters} GROUP BY status",
                params,
            ):
                counts[("subscription", status)] = count
        return counts

    def revenue(
        self,
        bucket: Bucket = "day",
        tz: str = "Europe/Minsk",
        *,
        start: date | datetime,
        end: date | datetime,
        group_by: str | None = None,
    ) -> list[RevenueRow]:
        """Net revenue per local bucket and currency (optionally per provider or kind).

        ``start``/``end`` bound the half-open range [start, end): a ``date`` is
        local midnight in ``tz``, a datetime must be aware. ``group_by='kind'``
        groups by the bill's kind, ``subscription`` for subscription charges.

        Raises:
            ValidationError: unknown bucket, zone or grouping, or an empty range.
        """
        if group_by is not None and group_by not in _GROUPS:
            raise ValidationError("group_by must be None, 'provider' or 'kind'.", field="group_by")
        bounds = bucket_bounds(bucket, tz, start, end)
        conn = self.connection()
        with read_snapshot(conn):
            series = payment_series(conn)
            if not series:
                return []
            spans, edges = quarter_spans(bounds)
            sums = summary_revenue(conn, spans, series, group_by)
            _add_sums(sums, raw_revenue(conn, edges, series, group_by))
        starts = {label: date.fromisoformat(label) for label, _, _ in bounds}
        return [
            RevenueRow(starts[label], currency, group or None, total, count)
            for (label, currency, group), (total, count) in sorted(sums.items())
            if count
        ]

    def outcome_counts(
        self,
        bucket: Bucket = "day",
        tz: str = "Europe/Minsk",
        *,
        start: date | datetime,
        end: date | datetime,
    ) -> list[OutcomeRow]:
        """Bills created in each local bucket, counted by their current status."""
        bounds = bucket_bounds(bucket, tz, start, end)
        conn = self.connection()
        with read_snapshot(conn):
            spans, edges = quarter_spans(bounds)
            counts = summary_outcomes(conn, spans)
            for key, count in raw_outcomes(conn, edges).items():
                counts[key] = counts.get(key, 0) + count
        starts = {label: date.fromisoformat(label) for label, _, _ in bounds}
        return [
            OutcomeRow(starts[label], _STATUS_OF[status], count)
            for (label, status), count in sorted(
                counts.items(), key=lambda item: (item[0][0], _STATUS_ORDER[item[0][1]])
            )
            if count
        ]

    def subscription_counts(self) -> dict[SubscriptionStatus, int]:
        """How many subscriptions are in each status (every status present, zeros included)."""
        counts = dict.fromkeys(SubscriptionStatus, 0)
        rows = self.connection().execute(
            "SELECT status, count(*) FROM subscriptions GROUP BY status"
        )
        for status, count in rows:
            counts[SubscriptionStatus(status)] = count
        return counts

    def mrr(self) -> list[MrrRow]:
        """Monthly recurring revenue per currency (rules in the module docstring)."""
        placeholders = ", ".join("?" * len(MRR_STATUSES))
        rows = self.connection().execute(
            "SELECT currency, interval_unit, interval, sum(amount), count(*) FROM subscriptions"
            f" WHERE status IN ({placeholders}) GROUP BY currency, interval_unit, interval",
            [status.value for status in MRR_STATUSES],
        )
        totals: dict[str, tuple[Fraction, int]] = {}
        for currency, unit, interval, amount, count in rows:
            monthly = amount * _MONTHLY_FACTOR[unit] / interval
            total, subscriptions = totals.get(currency, (Fraction(0), 0))
            totals[currency] = (total + monthly, subscriptions + count)
        return [
            MrrRow(currency, round(total), subscriptions)
            for currency, (total, subscriptions) in sorted(totals.items())
        ]


def payment_series(conn: sqlite3.Connection) -> list[Series]:
    """The (currency, provider, channel) combinations in payments, by loose index scan
    (one seek per combination, not a scan of the table)."""
    return [
        (currency, provider, channel)
        for currency, provider, channel in loose_distinct(
            conn, "payments", ("currency", "provider", "channel")
        )
    ]


def summary_revenue(
    conn: sqlite3.Connection, spans: list[QuarterSpan], series: list[Series], group_by: str | None
) -> Sums:
    """Net amount and count per (span, currency, group) from ``revenue_days``."""
    if not spans:
        return {}
    column = _GROUP_COLUMN[group_by]
    groups = sorted({(currency, _group(group_by, p, c)) for currency, p, c in series})
    match = "" if column is None else f" AND r.{column} = g.grp"
    amount = span_sum_sql(REVENUE, "amount", spans)
    payments = span_sum_sql(REVENUE, "payments", spans)
    # One JSON document back, not a row per (span, group): decoding it is a fraction of
    # fetching ~2,000 rows one by one. Each subquery writes its own entry.
    (document,) = conn.execute(
        f"WITH {SPANS_CTE}, g(currency, grp) AS MATERIALIZED"
        " (SELECT value ->> 0, value ->> 1 FROM json_each(:groups))"
        " SELECT '[' || group_concat((SELECT json_array(b.label, g.currency, g.grp,"
        f" {amount}, {payments}) FROM revenue_days r WHERE r.currency = g.currency"
        f" AND r.day BETWEEN b.d1 AND b.d2{match}), ',') || ']' FROM b CROSS JOIN g",
        {"spans": json.dumps(spans_json(spans)), "groups": json.dumps(groups)},
    ).fetchone()
    return {
        (label, currency, group or ""): [total, count]
        for label, currency, group, total, count in json.loads(document)
        if count
    }


def raw_revenue(
    conn: sqlite3.Connection,
    bounds: list[tuple[str, int, int]],
    series: list[Series],
    group_by: str | None,
) -> Sums:
    """The same sums read from every payment in ``bounds`` (labels may repeat)."""
    if not bounds:
        return {}
    sums: Sums = {}
    rows = conn.execute(
        _RAW_REVENUE_SQL, {"buckets": json.dumps(bounds), "series": json.dumps(series)}
    )
    for label, currency, provider, channel, totals in rows:
        total, count = json.loads(totals)
        if count:
            _add(sums, (label, currency, _group(group_by, provider, channel)), total, count)
    return sums


def summary_outcomes(
    conn: sqlite3.Connection, spans: list[QuarterSpan]
) -> dict[tuple[str, str], int]:
    """Bills per (span, current status) from ``outcome_days``."""
    if not spans:
        return {}
    # Only the statuses the ledger has, found by a loose index scan of the summary's key:
    # every status it lacks would cost a subquery per bucket (365 for a year by day).
    present = [status for (status,) in loose_distinct(conn, OUTCOMES.table, ("status",))]
    if not present:  # no bill yet
        return {}
    bills = span_sum_sql(OUTCOMES, "bills", spans)
    (document,) = conn.execute(
        f"WITH {SPANS_CTE}, s(status) AS (SELECT value FROM json_each(:statuses))"
        " SELECT '[' || group_concat((SELECT json_array(b.label, s.status,"
        f" {bills}) FROM outcome_days r WHERE r.status = s.status"
        " AND r.day BETWEEN b.d1 AND b.d2), ',') || ']' FROM b CROSS JOIN s",
        {"spans": json.dumps(spans_json(spans)), "statuses": json.dumps(present)},
    ).fetchone()
    return {(label, status): count for label, status, count in json.loads(document) if count}


def raw_outcomes(
    conn: sqlite3.Connection, bounds: list[tuple[str, int, int]]
) -> dict[tuple[str, str], int]:
    """The same counts read from every bill created in ``bounds`` (labels may repeat)."""
    counts: dict[tuple[str, str], int] = {}
    if not bounds:
        return counts
    rows = conn.execute(_RAW_OUTCOMES_SQL, {"buckets": json.dumps(bounds), "statuses": _STATUSES})
    for label, status, count in rows:
        counts[(label, status)] = counts.get((label, status), 0) + count
    return counts


def _group(group_by: str | None, provider: str, channel: str) -> str:
    return {None: "", "provider": provider, "kind": channel}[group_by]


def _add(sums: Sums, key: tuple[str, str, str], total: int, count: int) -> None:
    running = sums.setdefault(key, [0, 0])
    running[0] += total
    running[1] += count


def _add_sums(sums: Sums, more: Sums) -> None:
    for key, (total, count) in more.items():
        _add(sums, key, total, count)


def _open_item(row: sqlite3.Row, now: int) -> OpenItem:
    object_type = row["object_type"]
    vocabulary = BillStatus if object_type == "bill" else SubscriptionStatus
    expires_at = row["expires_at"]
    return OpenItem(
        ref=console_ref(object_type, row["id"]),
        object_type=object_type,
        id=row["id"],
        provider=row["provider"],
        kind=row["kind"],
        tracking_id=row["tracking_id"],
        provider_id=row["provider_id"],
        status=vocabulary(row["status"]),
        native_status=row["native_status"],
        amount=row["amount"],
        currency=row["currency"],
        customer_email=row["customer_email"],
        created_at=from_ms(row["created_at"]),
        updated_at=from_ms(row["updated_at"]),
        expires_at=from_ms(expires_at),
        age=timedelta(milliseconds=now - row["created_at"]),
        expires_in=None if expires_at is None else timedelta(milliseconds=expires_at - now),
    )
