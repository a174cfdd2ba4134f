"""Write steps that bills and subscriptions share, parametrized by table.

Bills and subscriptions are written the same way: a new row plus its first status
event, provider ids attached later with ``extra`` merged, and status reports
judged by :func:`console.status.should_apply`. The public methods in
:mod:`console.ledger._bills` and :mod:`console.ledger._subscriptions` keep their
own checks (the order of their validation errors is part of their behaviour) and
call these helpers inside their write transaction.

``table`` is ``"bills"`` or ``"subscriptions"``; ``object_type`` is the matching
``"bill"`` or ``"subscription"`` used in events, references and error messages.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from console.ledger._base import append_event, fetch_one, insert_row
from console.ledger._errors import DuplicateTrackingId
from console.ledger._records import console_ref, dumps, loads
from console.ledger._times import now_ms
from console.status import BillStatus, SubscriptionStatus, should_apply

Status = BillStatus | SubscriptionStatus

#: What a status report changes (see :func:`reported_change`).
STATUS_CHANGE = "status"
NATIVE_CHANGE = "native"


def insert_with_first_event(
    conn: sqlite3.Connection, table: str, object_type: str, row: Mapping[str, Any], source: str
) -> int:
    """Insert ``row`` and append its first status event; return the new id.

    Raises:
        DuplicateTrackingId: the row's provider already has this tracking id.
    """
    try:
        object_id = insert_row(conn, table, row)
    except sqlite3.IntegrityError as exc:
        duplicate = duplicate_tracking_id(conn, exc, table, row["provider"], row["tracking_id"])
        if duplicate is None:
            raise
        raise duplicate from exc
    append_event(
        conn,
        object_type=object_type,
        object_id=object_id,
        from_status=None,
        to_status=row["status"],
        native_status=None,
        source=source,
        at=row["created_at"],
        detail=None,
    )
    return object_id


def duplicate_tracking_id(
    conn: sqlite3.Connection, exc: sqlite3.IntegrityError, table: str, provider: str, tracking: str
) -> DuplicateTrackingId | None:
    """The DuplicateTrackingId that a UNIQUE(tracking_id, provider) failure means, if it is one."""
    if "UNIQUE" not in str(exc) or f"{table}.tracking_id" not in str(exc):
        return None
    existing = conn.execute(
        f"SELECT id FROM {table} WHERE tracking_id = ? AND provider = ?", (tracking, provider)
    ).fetchone()
    object_type = "bill" if table == "bills" else "subscription"
    ref = console_ref(object_type, existing["id"]) if existing else None
    return DuplicateTrackingId(
        f"{provider} already has a {object_type} with tracking id {tracking!r}"
        + (f" ({ref})." if ref else "."),
        existing_ref=ref,
    )


def load_row(
    conn: sqlite3.Connection, table: str, object_type: str, object_id: int, columns: str
) -> sqlite3.Row:
    """``columns`` of one row, or :class:`UnknownRecord` ("The ledger has no bill 7.")."""
    return fetch_one(
        conn,
        f"SELECT {columns} FROM {table} WHERE id = ?",
        (object_id,),
        what=f"{object_type} {object_id}",
    )


def update_row(
    conn: sqlite3.Connection, table: str, object_id: int, changes: Mapping[str, Any]
) -> None:
    """Set ``changes`` (column -> value) on one row and stamp ``updated_at``."""
    changes = {**changes, "updated_at": now_ms()}
    assignments = ", ".join(f"{column} = ?" for column in changes)
    conn.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", (*changes.values(), object_id))


def attach_ids(
    conn: sqlite3.Connection,
    table: str,
    object_type: str,
    object_id: int,
    changes: Mapping[str, Any],
    extra: Mapping[str, Any] | None,
) -> None:
    """Store the non-None ``changes`` and merge ``extra`` into the row's extra data.

    Raises:
        UnknownRecord: there is no such row.
    """
    changes = {column: value for column, value in changes.items() if value is not None}
    current = load_row(conn, table, object_type, object_id, "extra_json")
    if extra:
        changes["extra_json"] = dumps({**(loads(current["extra_json"]) or {}), **extra})
    if changes:
        update_row(conn, table, object_id, changes)


def reported_change(
    current: Status, new: Status, native_status: str | None, stored_native: str | None
) -> str | None:
    """What a status report changes under the never-regress rule.

    :data:`STATUS_CHANGE` when the status moves; :data:`NATIVE_CHANGE` when the
    status is unchanged but the provider's native status moved; None when the
    report is stale or repeated (nothing is written and no event appended).
    """
    if should_apply(current, new):
        return STATUS_CHANGE
    if new == current and native_status and native_status != stored_native:
        return NATIVE_CHANGE
    return None


def append_transition(
    conn: sqlite3.Connection,
    object_type: str,
    object_id: int,
    current: Status,
    new: Status,
    native_status: str | None,
    source: str,
    at: int,
    detail: str | None,
) -> None:
    """Append the event for an applied status report."""
    append_event(
        conn,
        object_type=object_type,
        object_id=object_id,
        from_status=current.value,
        to_status=new.value,
        native_status=native_status,
        source=source,
        at=at,
        detail=detail,
    )
