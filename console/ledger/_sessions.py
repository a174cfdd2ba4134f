"""Sign-in sessions and idempotency keys: the two small tables that make a team's day safe.

* ``console_sessions`` — one row per sign-in. The row's id is the SHA-256 of the
  random token in the person's cookie; the token itself is never stored, so reading
  the ledger does not let anyone sign in. A row is ended (never deleted) on logout,
  after the idle timeout, or when an admin changes the person.
* ``idempotency_keys`` — one row per submitted create or cancel form. The key is
  made when the form is shown; its row is written in the same transaction as the
  object it created (the ``creating`` bill, say), so a second submit of the same form,
  from any tab or process, finds the first one instead of creating another.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.ledger._base import LedgerBase
from console.ledger._checks import choice, text_id
from console.ledger._times import from_ms, ms_or_now

SESSION_METHODS = ("password", "sso")
#: ``last_seen_at`` is written at most this often per session (milliseconds).
TOUCH_EVERY_MS = 30_000


@dataclass(frozen=True)
class SessionRow:
    """One sign-in as the ledger keeps it."""

    id: str
    user_name: str
    method: str
    role: str
    credential: str
    started_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    end_reason: str | None

    @property
    def open(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class IdempotencyRow:
    """What a submitted form's key already did."""

    key: str
    action: str
    actor: str
    fingerprint: str
    object_type: str | None
    object_id: str | None
    result: dict[str, Any] | None
    created_at: datetime


class Sessions:
    """The sign-in sessions (``ledger.sessions``): start, read, touch, end."""

    def __init__(self, ledger: LedgerBase) -> None:
        self._ledger = ledger

    def start(
        self,
        session_id: str,
        *,
        user_name: str,
        method: str,
        role: str,
        credential: str,
        at: datetime | None = None,
    ) -> None:
        """Record a sign-in (``session_id`` is the token's SHA-256, 64 hex digits)."""
        now = ms_or_now(at)
        row = (
            session_id,
            text_id(user_name, "user_name", required=True),
            choice(method, SESSION_METHODS, "method"),
            text_id(role, "role", required=True),
            credential,
            now,
            now,
        )
        with self._ledger.write() as conn:
            conn.execute(
                "INSERT INTO console_sessions (id, user_name, method, role, credential,"
                " started_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )

    def get(self, session_id: str) -> SessionRow | None:
        row = (
            self._ledger.connection()
            .execute("SELECT * FROM console_sessions WHERE id = ?", (session_id,))
            .fetchone()
        )
        return None if row is None else _session(row)

    def touch(self, session_id: str, at: datetime | None = None) -> None:
        """Note activity; written only when the last note is older than 30 s."""
        now = ms_or_now(at)
        with self._ledger.write() as conn:
            conn.execute(
                "UPDATE console_sessions SET last_seen_at = ?"
                " WHERE id = ? AND ended_at IS NULL AND last_seen_at < ?",
                (now, session_id, now - TOUCH_EVERY_MS),
            )

    def end(self, session_id: str, reason: str, at: datetime | None = None) -> bool:
        """End one open session; False when it was already ended (or never existed)."""
        with self._ledger.write() as conn:
            cursor = conn.execute(
                "UPDATE console_sessions SET ended_at = ?, end_reason = ?"
                " WHERE id = ? AND ended_at IS NULL",
                (ms_or_now(at), reason, session_id),
            )
            return cursor.rowcount == 1

    def end_all_of(self, user_name: str, reason: str, at: datetime | None = None) -> int:
        """End every open session of ``user_name``; return how many."""
        with self._ledger.write() as conn:
            cursor = conn.execute(
                "UPDATE console_sessions SET ended_at = ?, end_reason = ?"
                " WHERE user_name = ? AND ended_at IS NULL",
                (ms_or_now(at), reason, user_name),
            )
            return cursor.rowcount

    def open(self, user_name: str | None = None) -> list[SessionRow]:
        """Open sessions, newest first (of one user when named)."""
        sql = "SELECT * FROM console_sessions WHERE ended_at IS NULL"
        params: tuple[Any, ...] = ()
        if user_name is not None:
            sql += " AND user_name = ?"
            params = (user_name,)
        rows = self._ledger.connection().execute(sql + " ORDER BY started_at DESC", params)
        return [_session(row) for row in rows]


class IdempotencyKeys:
    """The submitted forms' keys (``ledger.idempotency``): claim, settle, release, read."""

    def __init__(self, ledger: LedgerBase) -> None:
        self._ledger = ledger

    def claim(
        self,
        key: str,
        *,
        action: str,
        actor: str,
        fingerprint: str,
        object_type: str | None = None,
        object_id: int | str | None = None,
        at: datetime | None = None,
    ) -> IdempotencyRow | None:
        """Write ``key`` unless it exists; return the existing row, or None when claimed.

        Call it inside the ``ledger.write()`` block that records the object, so the
        key and the object commit together or not at all.
        """
        with self._ledger.write() as conn:
            existing = _idempotency_row(conn, key)
            if existing is not None:
                return existing
            conn.execute(
                "INSERT INTO idempotency_keys (key, action, actor, fingerprint, object_type,"
                " object_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    action,
                    actor,
                    fingerprint,
                    object_type,
                    None if object_id is None else str(object_id),
                    ms_or_now(at),
                ),
            )
            return None

    def settle(
        self,
        key: str,
        *,
        object_type: str | None = None,
        object_id: int | str | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        """Attach what the keyed action produced (its object, or a small JSON result)."""
        with self._ledger.write() as conn:
            conn.execute(
                "UPDATE idempotency_keys SET object_type = coalesce(?, object_type),"
                " object_id = coalesce(?, object_id), result = coalesce(?, result) WHERE key = ?",
                (
                    object_type,
                    None if object_id is None else str(object_id),
                    None if result is None else json.dumps(result, sort_keys=True),
                    key,
                ),
            )

    def release(self, key: str) -> None:
        """Forget a key whose action wrote nothing and sent nothing (so it may run again)."""
        with self._ledger.write() as conn:
            conn.execute("DELETE FROM idempotency_keys WHERE key = ?", (key,))

    def get(self, key: str) -> IdempotencyRow | None:
        return _idempotency_row(self._ledger.connection(), key)


def _session(row: sqlite3.Row) -> SessionRow:
    return SessionRow(
        id=row["id"],
        user_name=row["user_name"],
        method=row["method"],
        role=row["role"],
        credential=row["credential"],
        started_at=from_ms(row["started_at"]),
        last_seen_at=from_ms(row["last_seen_at"]),
        ended_at=None if row["ended_at"] is None else from_ms(row["ended_at"]),
        end_reason=row["end_reason"],
    )


def _idempotency_row(conn: sqlite3.Connection, key: str) -> IdempotencyRow | None:
    row = conn.execute("SELECT * FROM idempotency_keys WHERE key = ?", (key,)).fetchone()
    if row is None:
        return None
    return IdempotencyRow(
        key=row["key"],
        action=row["action"],
        actor=row["actor"],
        fingerprint=row["fingerprint"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        result=None if row["result"] is None else json.loads(row["result"]),
        created_at=from_ms(row["created_at"]),
    )
