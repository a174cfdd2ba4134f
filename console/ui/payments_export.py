"""The Payments page's CSV export, written row by row (no Streamlit here).

What a file holds, and why:

* one row per bill of the filtered set, in the page's sort order;
* money as major units in text (``12.50``, ``1500`` for JPY), never a float, with the
  currency in its own column — a spreadsheet then shows what the console shows;
* times as ISO 8601 with the offset of the chosen zone (``2026-11-03T14:02:03+03:00``),
  the zone also in the header and in the file name
  (``payments-2026-11-01_2026-11-30-Europe_Minsk.csv``);
* **CSV injection**: a cell that people or providers typed (description, e-mail,
  tracking id, provider id) and that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return is prefixed with ``'``, so a spreadsheet shows it as text instead
  of running it as a formula (OWASP's advice). Our own cells (references, statuses,
  amounts, times) never start with those.

:func:`write_csv` takes an iterator (``ledger.explorer.rows``, which reads the ledger in
keyset chunks) and a file: memory stays bounded however many rows there are.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import date
from typing import TextIO
from zoneinfo import ZoneInfo

from console.ledger import ExplorerRow
from console.money import format_amount

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: How often (in rows) :func:`write_csv` reports its progress.
PROGRESS_EVERY = 5_000


def csv_columns(tz: str) -> tuple[str, ...]:
    return (
        "bill",
        f"created ({tz})",
        "status",
        "provider",
        "kind",
        "currency",
        "amount",
        "paid",
        "refunded",
        "customer_email",
        "description",
        "tracking_id",
        "provider_id",
    )


def csv_file_name(first: date, last: date, tz: str) -> str:
    """``payments-2026-11-01_2026-11-30-Europe_Minsk.csv``: the period and the zone."""
    return f"payments-{first.isoformat()}_{last.isoformat()}-{tz.replace('/', '_')}.csv"


def neutralised(cell: str | None) -> str:
    """``cell`` as a spreadsheet will show it, never run it (see the module docstring)."""
    if not cell:
        return ""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_cells(row: ExplorerRow, zone: ZoneInfo) -> list[str]:
    """One bill as the file's cells, in :func:`csv_columns` order."""
    return [
        row.ref,
        row.created_at.astimezone(zone).isoformat(timespec="seconds"),
        row.status.value,
        row.provider.value,
        row.kind.value,
        row.currency,
        format_amount(row.amount, row.currency, group=False),
        format_amount(row.paid, row.currency, group=False),
        format_amount(row.refunded, row.currency, group=False),
        neutralised(row.customer_email),
        neutralised(row.description),
        neutralised(row.tracking_id),
        neutralised(row.provider_id),
    ]


def write_csv(
    rows: Iterable[ExplorerRow],
    out: TextIO,
    tz: str,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write the header and every row to ``out`` (opened with ``newline=""``); the
    number of rows written. ``on_progress(rows so far)`` is called every
    :data:`PROGRESS_EVERY` rows."""
    zone = ZoneInfo(tz)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_columns(tz))
    written = 0
    for row in rows:
        writer.writerow(csv_cells(row, zone))
        written += 1
        if on_progress is not None and written % PROGRESS_EVERY == 0:
            on_progress(written)
    if on_progress is not None:
        on_progress(written)
    return written
