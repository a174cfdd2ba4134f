"""The notification log (``ledger.notifications``): one notification with its payload,
filtered pages of them newest first, the walk an export takes, and how rows relate
(the earlier row a duplicate repeats, the replays of a row).

**Pages are keyset pages by id**, newest first: the id is the order the receiver
recorded deliveries in (received times are stamped a moment before, so two rows
written in one group commit can be a millisecond out of order; the id never is). A
page after the row with id ``n`` is ``id < n``, so a page costs the same however deep
it is and rows arriving meanwhile never shift it. Every filter has an index to start
from — verdict ``(verdict, id)``, provider ``(provider, id)``, object
``(object_type, object_id)``, provider id, received time — and with the id order
SQLite walks it backwards, or takes the rows in a time range and sorts those.

**An export** (:meth:`NotificationLog.rows`) walks the same filter in keyset chunks of
:data:`EXPORT_CHUNK` rows, newest first, at most ``limit`` rows: memory stays one
chunk, and the caller bounds the whole.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from console.errors import ValidationError
from console.ledger._checks import choice, positive_int
from console.ledger._notifications import (
    NOTIFICATION_COLUMNS,
    VERDICTS,
    Notification,
    notification_from_row,
)
from console.ledger._records import OBJECT_TYPES, PROVIDERS
from console.ledger._times import to_ms

#: Rows per statement when an export walks the log.
EXPORT_CHUNK = 2_000
#: The most rows one page may ask for.
MAX_PAGE = 1_000


@dataclass(frozen=True, slots=True)
class NotificationFilter:
    """Which notifications to list; every field left None matches everything.

    ``start`` and ``end`` bound the received time: ``start <= received_at < end``.
    """

    verdict: str | None = None
    provider: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    provider_object_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class NotificationPage:
    """One page, newest first, and whether there are newer or older rows beyond it."""

    rows: list[Notification]
    has_newer: bool
    has_older: bool

    @property
    def newest_id(self) -> int | None:
        """``after=`` this for the page of newer rows."""
        return self.rows[0].id if self.rows else None

    @property
    def oldest_id(self) -> int | None:
        """``before=`` this for the page of older rows."""
        return self.rows[-1].id if self.rows else None


class _Connected(Protocol):
    def connection(self) -> sqlite3.Connection: ...


class NotificationLog:
    """Reading the notifications the receiver (and replays) recorded."""

    def __init__(self, ledger: _Connected) -> None:
        self._ledger = ledger

    def get(self, notification_id: int) -> Notification | None:
        """One notification with its masked payload, or None."""
        row = (
            self._ledger.connection()
            .execute(
                f"SELECT {NOTIFICATION_COLUMNS}, payload FROM notifications WHERE id = ?",
                (notification_id,),
            )
            .fetchone()
        )
        return None if row is None else notification_from_row(row)

    def page(
        self,
        where: NotificationFilter | None = None,
        *,
        before: int | None = None,
        after: int | None = None,
        limit: int = 50,
    ) -> NotificationPage:
        """The newest ``limit`` rows matching ``where`` — older than id ``before``, or the
        ``limit`` just newer than id ``after`` — newest first.

        Raises:
            ValidationError: a filter value is out of its vocabulary, both ``before`` and
                ``after`` are given, or ``limit`` is not 1 to :data:`MAX_PAGE`.
        """
        if before is not None and after is not None:
            raise ValidationError("Give before= or after=, not both.", field="before")
        if not 1 <= positive_int(limit, "limit") <= MAX_PAGE:
            raise ValidationError(f"limit must be 1 to {MAX_PAGE}.", field="limit")
        clauses, params = _conditions(where or NotificationFilter())
        if after is not None:
            found = self._select(
                [*clauses, "id > ?"], [*params, after], ascending=True, limit=limit + 1
            )
            rows = list(reversed(found[:limit]))
            return NotificationPage(rows, has_newer=len(found) > limit, has_older=True)
        if before is not None:
            clauses, params = [*clauses, "id < ?"], [*params, before]
        found = self._select(clauses, params, ascending=False, limit=limit + 1)
        return NotificationPage(
            found[:limit], has_newer=before is not None, has_older=len(found) > limit
        )

    def rows(
        self, where: NotificationFilter | None = None, *, limit: int
    ) -> Iterator[Notification]:
        """Every row matching ``where``, newest first, at most ``limit`` of them, read
        :data:`EXPORT_CHUNK` at a time (payloads are not read).

        Raises:
            ValidationError: a filter value is out of its vocabulary (raised here, before
                the first row is read).
        """
        clauses, params = _conditions(where or NotificationFilter())
        positive_int(limit, "limit")
        return self._walk(clauses, params, limit)

    def earlier_with(self, dedupe_key: str, before: int) -> Notification | None:
        """The first notification that carried ``dedupe_key`` before row ``before`` — the one
        a duplicate repeats — or None."""
        row = (
            self._ledger.connection()
            .execute(
                f"SELECT {NOTIFICATION_COLUMNS} FROM notifications"
                " WHERE dedupe_key = ? AND id < ? ORDER BY id LIMIT 1",
                (dedupe_key, before),
            )
            .fetchone()
        )
        return None if row is None else notification_from_row(row)

    def replays_of(self, notification_id: int) -> list[Notification]:
        """The replays of one row, oldest first."""
        rows = self._ledger.connection().execute(
            f"SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE replay_of = ? ORDER BY id",
            (notification_id,),
        )
        return [notification_from_row(row) for row in rows]

    # -- internals ---------------------------------------------------------------------

    def _walk(self, clauses: list[str], params: list[Any], limit: int) -> Iterator[Notification]:
        left = limit
        before: int | None = None
        while left > 0:
            chunk_clauses = clauses if before is None else [*clauses, "id < ?"]
            chunk_params = params if before is None else [*params, before]
            found = self._select(
                chunk_clauses, chunk_params, ascending=False, limit=min(EXPORT_CHUNK, left)
            )
            yield from found
            if len(found) < min(EXPORT_CHUNK, left):
                return
            left -= len(found)
            before = found[-1].id

    def _select(
        self, clauses: list[str], params: list[Any], *, ascending: bool, limit: int
    ) -> list[Notification]:
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "ASC" if ascending else "DESC"
        rows = self._ledger.connection().execute(
            f"SELECT {NOTIFICATION_COLUMNS} FROM notifications{where} ORDER BY id {order} LIMIT ?",
            (*params, limit),
        )
        return [notification_from_row(row) for row in rows]


def _conditions(where: NotificationFilter) -> tuple[list[str], list[Any]]:
    """SQL conditions and their parameters for ``where`` (values checked first)."""
    if not isinstance(where, NotificationFilter):
        raise ValidationError("The filter must be a NotificationFilter.", field="filter")
    clauses: list[str] = []
    params: list[Any] = []
    if where.verdict is not None:
        clauses.append("verdict = ?")
        params.append(choice(where.verdict, VERDICTS, "verdict"))
    if where.provider is not None:
        clauses.append("provider = ?")
        params.append(choice(where.provider, PROVIDERS, "provider"))
    if (where.object_type is None) != (where.object_id is None):
        raise ValidationError("Give object_type and object_id together.", field="object_type")
    if where.object_type is not None and where.object_id is not None:
        clauses.append("object_type = ? AND object_id = ?")
        params += [
            choice(where.object_type, OBJECT_TYPES, "object_type"),
            positive_int(where.object_id, "object_id"),
        ]
    if where.provider_object_id is not None:
        clauses.append("provider_object_id = ?")
        params.append(where.provider_object_id)
    if where.start is not None:
        clauses.append("received_at >= ?")
        params.append(to_ms(where.start))
    if where.end is not None:
        clauses.append("received_at < ?")
        params.append(to_ms(where.end))
    return clauses, params
