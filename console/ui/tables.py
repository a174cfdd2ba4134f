"""Rows for the Revenue and Activity pages, built from ledger records without Streamlit.

Revenue: :func:`revenue_cells` turns the ledger's sparse :class:`RevenueRow` list
(the ledger omits empty buckets) into the full grid a chart shows — every bucket
of the range for every (currency, group) series present, empty ones at zero.
That one list is what the charts draw, what the "rows shown" table lists and
what the CSV export writes, so the three cannot disagree.

Activity: the ``*_table`` functions turn events, refunds, audit entries
and health checks into plain dicts for ``st.dataframe``, with every time
written in the display time zone and the zone named in the column header.

Decision — "includes demo data": the ledger has no query that says whether a
range holds demo rows, and pages may not write SQL. The demo generator only fills
an empty ledger and numbers its rows from 1, so bill 1 or subscription 1 being a
demo row means the ledger holds demo data (two primary-key reads). The caption
therefore speaks of the ledger, not of the selected range.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from console.health import ProviderHealth
from console.ledger import (
    AuditEntry,
    Bucket,
    Ledger,
    RefundRow,
    RevenueRow,
    StatusEvent,
    bucket_bounds,
)

#: Value of the group column when the revenue report is not grouped.
ALL_GROUP = "all"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: A refund attempt's state in words (its mark first, as for statuses).
REFUND_WORDS = {
    "creating": "🟠 being confirmed",
    "succeeded": "🟢 refunded",
    "failed": "🔴 not made",
}
CSV_COLUMNS = (
    "bucket_start",
    "bucket",
    "time_zone",
    "currency",
    "group_by",
    "group",
    "net_minor_units",
    "payments",
)


@dataclass(frozen=True, slots=True)
class RevenueCell:
    """Net revenue of one currency and group in one local bucket (zero when empty)."""

    bucket_start: date
    currency: str
    group: str
    total_minor: int
    payments: int


def time_zone_names() -> list[str]:
    """Every IANA zone name zoneinfo knows, sorted, for the time-zone selector."""
    return sorted(available_timezones())


def default_period(tz: str, *, days: int = 30, now: datetime | None = None) -> tuple[date, date]:
    """The last ``days`` local days in ``tz``, today included: (first day, last day)."""
    today = (now or datetime.now(ZoneInfo(tz))).astimezone(ZoneInfo(tz)).date()
    return today - timedelta(days=days - 1), today


def period_end(last: date) -> date:
    """The ledger's exclusive end for a period whose ``last`` local day is included."""
    return last + timedelta(days=1)


def bucket_starts(bucket: Bucket, tz: str, first: date, last: date) -> list[date]:
    """First local day of every bucket touching [first, last] (weeks start on Monday)."""
    bounds = bucket_bounds(bucket, tz, first, period_end(last))
    return [date.fromisoformat(label) for label, _, _ in bounds]


def revenue_cells(rows: Iterable[RevenueRow], bucket_starts: Sequence[date]) -> list[RevenueCell]:
    """The full grid: every bucket for every (currency, group) series present.

    Series with no payment in the range do not appear (there is nothing to draw);
    a series that has payments gets a zero cell for each empty bucket. Sorted by
    currency, group, then bucket.
    """
    found: dict[tuple[str, str], dict[date, RevenueRow]] = {}
    for row in rows:
        found.setdefault((row.currency, row.group or ALL_GROUP), {})[row.bucket_start] = row
    cells = []
    for (currency, group), by_bucket in sorted(found.items()):
        for start in bucket_starts:
            found_row = by_bucket.get(start)
            cells.append(
                RevenueCell(
                    start,
                    currency,
                    group,
                    found_row.total_minor if found_row else 0,
                    found_row.count if found_row else 0,
                )
            )
    return cells


def cells_by_currency(cells: Iterable[RevenueCell]) -> dict[str, list[RevenueCell]]:
    """One list per currency, in currency order: one chart panel each."""
    panels: dict[str, list[RevenueCell]] = {}
    for cell in cells:
        panels.setdefault(cell.currency, []).append(cell)
    return dict(sorted(panels.items()))


def revenue_records(
    cells: Iterable[RevenueCell], *, bucket: str, tz: str, group_by: str | None
) -> list[dict[str, object]]:
    """The rows shown (and exported): minor units, currency, bucket, group and time zone."""
    return [
        {
            "bucket_start": cell.bucket_start.isoformat(),
            "bucket": bucket,
            "time_zone": tz,
            "currency": cell.currency,
            "group_by": group_by or "",
            "group": cell.group,
            "net_minor_units": cell.total_minor,
            "payments": cell.payments,
        }
        for cell in cells
    ]


def revenue_csv(records: Sequence[dict[str, object]]) -> bytes:
    """CSV (UTF-8, header first) of exactly the records given, columns in CSV_COLUMNS order."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode()


def revenue_file_name(bucket: str, first: date, last: date, tz: str) -> str:
    """``revenue_day_2024-05-01_2024-05-30_Europe-Minsk.csv``: the zone is in the name too."""
    return f"revenue_{bucket}_{first.isoformat()}_{last.isoformat()}_{tz.replace('/', '-')}.csv"


def ledger_includes_demo_data(ledger: Ledger) -> bool:
    """True when the ledger holds demo rows (see the module docstring for why this works)."""
    bill = ledger.get_bill(1)
    subscription = ledger.get_subscription(1)
    return bool(bill and bill.demo) or bool(subscription and subscription.demo)


def ledger_is_empty(ledger: Ledger) -> bool:
    """No bill and no subscription yet: the pages show a welcome instead of empty charts."""
    return not ledger.recent_bills(1) and not ledger.recent_subscriptions(1)


def local_time(moment: datetime | None, tz: str) -> str:
    """``2024-05-01 14:02:03`` in ``tz`` (empty for None)."""
    return "" if moment is None else moment.astimezone(ZoneInfo(tz)).strftime(TIME_FORMAT)


def when_column(tz: str) -> str:
    return f"when ({tz})"


def events_table(events: Iterable[StatusEvent], tz: str) -> list[dict[str, object]]:
    """Status changes, newest first as given: object, from → to, native, source, when."""
    return [
        {
            when_column(tz): local_time(event.at, tz),
            "object": event.ref,
            "change": f"{event.from_status or '∅'} → {event.to_status}",
            "native status": event.native_status or "",
            "source": event.source,
            "detail": event.detail or "",
        }
        for event in events
    ]


def audit_table(entries: Iterable[AuditEntry], tz: str) -> list[dict[str, object]]:
    """Who did what to which object, from where, and how it went."""
    return [
        {
            when_column(tz): local_time(entry.at, tz),
            "actor": entry.actor,
            "action": entry.action,
            "object": f"{entry.object_type or ''} {entry.object_id or ''}".strip(),
            "outcome": entry.outcome,
            "origin": entry.origin or "",
            "detail": entry.detail or "",
        }
        for entry in entries
    ]


def health_table(checks: Iterable[ProviderHealth], tz: str) -> list[dict[str, object]]:
    """Provider reachability: yes/no, latency in ms, what answered, and when it was checked."""
    return [
        {
            "provider": check.name,
            "URL": check.url,
            "reachable": "yes" if check.reachable else "no",
            "latency (ms)": check.latency_ms,
            "answer": check.detail,
            f"checked ({tz})": local_time(check.checked_at, tz),
        }
        for check in checks
    ]


def refund_state(refund: RefundRow) -> str:
    """``🟢 refunded`` / ``🟠 being confirmed`` / ``🔴 not made``."""
    return REFUND_WORDS.get(refund.status, refund.status)


def refunds_table(refunds: Iterable[RefundRow], tz: str) -> list[dict[str, object]]:
    """Refund attempts for ``st.dataframe``: which charge of which bill or subscription,
    how much, in what state, who asked and why."""
    return [
        {
            when_column(tz): local_time(refund.created_at, tz),
            "refund": refund.ref,
            "of": _owner_ref(refund),
            "payment": f"P{refund.payment_id}",
            "amount": str(refund.money),
            "state": refund_state(refund),
            "provider status": refund.native_status or "",
            "by": refund.actor,
            "reason": refund.reason,
            "detail": refund.detail or "",
        }
        for refund in refunds
    ]


def _owner_ref(refund: RefundRow) -> str:
    if refund.bill_id is not None:
        return f"B{refund.bill_id}"
    return f"S{refund.subscription_id}"
