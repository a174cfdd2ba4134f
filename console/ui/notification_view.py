"""The notification log's words, filters and CSV, without Streamlit (the Activity page's
panel is :mod:`console.ui.notification_panel`).

**The CSV export** lists what the log's table lists — when each notification was
received (ISO 8601 with the offset of the chosen time zone), provider, kind, verdict,
the object it matched, the provider's id, the status it reported, the detail, and for
a replay the row it re-ran and who asked — newest first, at most
:data:`EXPORT_MAX_ROWS` rows, read from the ledger a chunk at a time. **No payloads**:
a CSV leaves the console (mail, shared drives, spreadsheets) and with it the sign-in,
the roles and the audit that guard the payloads here; a payload carries customer
details (names, e-mail, address, IP) that a reconciliation does not need; and JSON in
a cell helps nobody. A payload is read on the page, one notification at a time.

**CSV injection**: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is written with a ``'`` before it, so a spreadsheet shows it as text
instead of running it as a formula (OWASP's advice). Details and ids come from
providers, who are not trusted to write formulas into an accountant's sheet.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from console.ledger import Notification, NotificationFilter
from console.validation import find_card_number

#: The most rows one CSV export holds (newest first).
EXPORT_MAX_ROWS = 100_000
CSV_COLUMNS = (
    "notification",
    "received_at",
    "provider",
    "kind",
    "verdict",
    "object",
    "provider_object_id",
    "status_reported",
    "detail",
    "replay_of",
    "replayed_by",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_REF = re.compile(r"^\s*([BbSs])\s*#?\s*([1-9]\d{0,17})\s*$")
CARD_REFUSED = (
    "That looks like a card number, so it was not searched for: card numbers are never "
    "stored or looked up here. Filter by the object (B12, S3) or the provider's id."
)


class FilterProblem(ValueError):
    """Raised when what was typed into a filter cannot be used; the text says why."""


@dataclass(frozen=True, slots=True)
class Typed:
    """The filters as a person set them on the page."""

    verdict: str | None = None
    provider: str | None = None
    object_text: str = ""
    first_day: date | None = None
    last_day: date | None = None


def log_filter(typed: Typed, tz: str) -> NotificationFilter:
    """The ledger filter for what was typed; days are whole local days in ``tz``.

    Raises:
        FilterProblem: a card number in the object box, or the last day before the first.
    """
    object_type = object_id = provider_object_id = None
    text = typed.object_text.strip()
    if text:
        if find_card_number(text) is not None:
            raise FilterProblem(CARD_REFUSED)
        ref = _REF.match(text)
        if ref:
            object_type = "bill" if ref.group(1).upper() == "B" else "subscription"
            object_id = int(ref.group(2))
        else:
            provider_object_id = text
    if typed.first_day and typed.last_day and typed.last_day < typed.first_day:
        raise FilterProblem("The last day is before the first: nothing can match.")
    zone = ZoneInfo(tz)
    start = datetime.combine(typed.first_day, time(), zone) if typed.first_day else None
    end = (
        datetime.combine(typed.last_day + timedelta(days=1), time(), zone)
        if typed.last_day
        else None
    )
    return NotificationFilter(
        verdict=typed.verdict,
        provider=typed.provider,
        object_type=object_type,
        object_id=object_id,
        provider_object_id=provider_object_id,
        start=start,
        end=end,
    )


def received_iso(moment: datetime, tz: str) -> str:
    """``2024-06-01T01:30:00+03:00``: the time in ``tz`` with its offset, to the second."""
    return moment.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")


def source_words(note: Notification) -> str:
    """``from the provider`` or ``replay of #12 by ann``."""
    if note.replay_of is None:
        return "from the provider"
    return f"replay of #{note.replay_of} by {note.actor}"


def option_label(note: Notification, tz: str) -> str:
    """How one row reads in the *Open* box: ``#12 · 2024-06-01 01:30 · bepaid · B3 · applied``."""
    when = note.received_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    parts = [f"#{note.id}", when, note.provider, note.ref or "-", note.verdict]
    return " · ".join(parts)


def log_table(notes: Iterable[Notification], tz: str) -> list[dict[str, object]]:
    """Rows for ``st.dataframe`` (cells are never Markdown: provider text shows as sent)."""
    return [
        {
            "#": note.id,
            f"received ({tz})": note.received_at.astimezone(ZoneInfo(tz)).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "provider": note.provider,
            "object": f"lookup?q={note.ref}" if note.ref else None,
            "provider id": note.provider_object_id or "",
            "status reported": note.status_reported or "",
            "verdict": note.verdict,
            "source": "replay" if note.replay_of is not None else "provider",
            "detail": note.detail or "",
        }
        for note in notes
    ]


def payload_json(payload: str) -> Any:
    """The stored payload as JSON for ``st.json`` (the text itself when it is not JSON)."""
    try:
        return json.loads(payload)
    except ValueError:
        return payload


def csv_cell(value: object) -> str:
    """``value`` as CSV text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_rows(notes: Iterable[Notification], tz: str) -> Iterable[dict[str, str]]:
    """One CSV row per notification, columns as :data:`CSV_COLUMNS` (no payloads)."""
    for note in notes:
        values = {
            "notification": note.id,
            "received_at": received_iso(note.received_at, tz),
            "provider": note.provider,
            "kind": note.kind,
            "verdict": note.verdict,
            "object": note.ref,
            "provider_object_id": note.provider_object_id,
            "status_reported": note.status_reported,
            "detail": note.detail,
            "replay_of": note.replay_of,
            "replayed_by": note.actor,
        }
        yield {column: csv_cell(value) for column, value in values.items()}


def notifications_csv(notes: Iterable[Notification], tz: str) -> bytes:
    """The CSV file (UTF-8, header first) of ``notes``, read as they come."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(notes, tz))
    return buffer.getvalue().encode("utf-8")


def csv_file_name(tz: str, typed: Typed) -> str:
    """``notifications_2024-05-01_2024-05-31_Europe-Minsk.csv`` (the zone is in the name)."""
    first = typed.first_day.isoformat() if typed.first_day else "start"
    last = typed.last_day.isoformat() if typed.last_day else "now"
    return f"notifications_{first}_{last}_{tz.replace('/', '-')}.csv"
