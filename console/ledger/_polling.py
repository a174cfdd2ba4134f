"""Polling (``ledger.polling``): when each open object is next asked about, and a request
budget per provider that every process sharing the ledger draws from.

**The schedule.** ``poll_schedule`` holds, per bill or subscription, when it was last
checked and when it is next due. Billing decides the times (``console.billing._schedule``);
the ledger stores them and answers :meth:`Polling.due`: the open, non-demo objects whose
next check has come, or that were never checked. A final object is never due, whatever
its row says.

**The budget.** ``poll_budget`` is one token bucket per provider, kept in the ledger so
that every process (each Streamlit session's Monitor, ``merchant-console sync``, another
machine's console on a shared file) takes from the same bucket: it refills at ``rate``
tokens a second up to ``burst`` tokens, and one token is one HTTP request. A pass
:meth:`takes <Polling.take>` what it may spend before it asks anything, in one
``BEGIN IMMEDIATE`` transaction, and :meth:`gives back <Polling.give_back>` what it did
not use; a check asked by a person (*Check with provider now*) is :meth:`charged
<Polling.charge>` after the fact and may leave the bucket in debt, which later passes
wait out. So over any window of W seconds all processes together send at most
``burst + rate × W`` polling requests to a provider. Tokens are kept in thousandths
(integers). A provider's ``Retry-After`` is stored as ``paused_until``: no process takes
tokens for it before then.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from console.ledger._base import LedgerBase
from console.ledger._reports import OPEN_BILLS_SQL, OPEN_SUBSCRIPTIONS_SQL
from console.ledger._times import from_ms, ms_or_now

#: Thousandths of a token per token.
MILLI = 1000


@dataclass(frozen=True, slots=True)
class DueItem:
    """An open object whose check has come (``next_check_at`` None: never checked)."""

    object_type: str
    id: int
    provider: str
    created_at: datetime
    last_checked_at: datetime | None
    next_check_at: datetime | None

    @property
    def ref(self) -> str:
        return f"{'B' if self.object_type == 'bill' else 'S'}{self.id}"


@dataclass(frozen=True, slots=True)
class CheckTimes:
    """When an object was last checked and when it is next due."""

    last_checked_at: datetime | None
    next_check_at: datetime


@dataclass(frozen=True, slots=True)
class Checked:
    """One object's check, to store: when it was checked and when it is due again."""

    object_type: str
    object_id: int
    checked_at: datetime | None
    next_check_at: datetime


class Polling:
    """The polling schedule and the per-provider request budget."""

    def __init__(self, ledger: LedgerBase) -> None:
        self._ledger = ledger

    # -- the schedule --------------------------------------------------------------------

    def due(self, now: datetime, *, limit: int = 100_000) -> list[DueItem]:
        """Open, non-demo objects due at ``now`` (never checked, or their time has come);
        at most ``limit`` of each object type, in no particular order."""
        at = ms_or_now(now, field="now")
        conn = self._ledger.connection()
        rows: list[sqlite3.Row] = []
        for object_type, table, open_sql in (
            ("bill", "bills", OPEN_BILLS_SQL),
            ("subscription", "subscriptions", OPEN_SUBSCRIPTIONS_SQL),
        ):
            rows += conn.execute(
                f"SELECT '{object_type}' AS object_type, o.id, o.provider, o.created_at,"
                " s.last_checked_at, s.next_check_at"
                f" FROM {table} AS o LEFT JOIN poll_schedule AS s"
                f"  ON s.object_type = '{object_type}' AND s.object_id = o.id"
                f" WHERE o.{open_sql} AND o.demo = 0"
                "  AND (s.next_check_at IS NULL OR s.next_check_at <= ?)"
                " LIMIT ?",
                (at, limit),
            ).fetchall()
        return [
            DueItem(
                object_type=row["object_type"],
                id=row["id"],
                provider=row["provider"],
                created_at=from_ms(row["created_at"]),
                last_checked_at=_time(row["last_checked_at"]),
                next_check_at=_time(row["next_check_at"]),
            )
            for row in rows
        ]

    def record(self, checks: Iterable[Checked]) -> None:
        """Store checks (one transaction): last checked (kept when ``checked_at`` is
        None: a check deferred, not made) and next due."""
        values = [
            (
                check.object_type,
                check.object_id,
                None if check.checked_at is None else ms_or_now(check.checked_at),
                ms_or_now(check.next_check_at),
            )
            for check in checks
        ]
        if not values:
            return
        with self._ledger.write() as conn:
            conn.executemany(
                "INSERT INTO poll_schedule (object_type, object_id, last_checked_at,"
                " next_check_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (object_type, object_id) DO UPDATE SET"
                " last_checked_at = coalesce(excluded.last_checked_at, last_checked_at),"
                " next_check_at = excluded.next_check_at",
                values,
            )

    def times(self, object_type: str, ids: Iterable[int]) -> dict[int, CheckTimes]:
        """The stored check times of these objects (objects never checked are absent)."""
        wanted = list(ids)
        found: dict[int, CheckTimes] = {}
        conn = self._ledger.connection()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for row in conn.execute(
                "SELECT object_id, last_checked_at, next_check_at FROM poll_schedule"
                f" WHERE object_type = ? AND object_id IN ({marks})",
                (object_type, *chunk),
            ):
                found[row["object_id"]] = CheckTimes(
                    _time(row["last_checked_at"]), from_ms(row["next_check_at"])
                )
        return found

    def notified_since(self, since: datetime) -> set[str]:
        """Providers whose notifications reached the receiver and were matched (applied,
        duplicate or stale) since ``since``: their objects are polled as reconciliation."""
        rows = self._ledger.connection().execute(
            "SELECT DISTINCT provider FROM notifications WHERE received_at >= ?"
            " AND verdict IN ('applied', 'duplicate', 'stale')",
            (ms_or_now(since),),
        )
        return {row["provider"] for row in rows}

    # -- the budget ----------------------------------------------------------------------

    def take(self, provider: str, want: int, *, rate: float, burst: float, now: datetime) -> int:
        """Up to ``want`` whole tokens of ``provider``'s bucket (0 while it is paused)."""
        if want <= 0:
            return 0
        with self._ledger.write() as conn:
            tokens, paused_until = self._refilled(conn, provider, rate, burst, now)
            if paused_until is not None and paused_until > ms_or_now(now):
                return 0
            granted = max(0, min(want, tokens // MILLI))
            self._store(conn, provider, tokens - granted * MILLI, now)
            return granted

    def give_back(
        self, provider: str, unused: int, *, rate: float, burst: float, now: datetime
    ) -> None:
        """Return tokens a pass took and did not spend."""
        if unused <= 0:
            return
        with self._ledger.write() as conn:
            tokens, _ = self._refilled(conn, provider, rate, burst, now)
            self._store(conn, provider, min(tokens + unused * MILLI, _cap(burst)), now)

    def charge(
        self, provider: str, spent: int, *, rate: float, burst: float, now: datetime
    ) -> None:
        """Debit requests already sent (a person's check, a pass's retries): the bucket
        may go below zero, and later passes wait until it has refilled."""
        if spent <= 0:
            return
        with self._ledger.write() as conn:
            tokens, _ = self._refilled(conn, provider, rate, burst, now)
            self._store(conn, provider, tokens - spent * MILLI, now)

    def pause(self, provider: str, until: datetime) -> None:
        """Take no tokens for ``provider`` before ``until`` (its ``Retry-After``)."""
        with self._ledger.write() as conn:
            conn.execute(
                "INSERT INTO poll_budget (provider, tokens_milli, updated_at, paused_until)"
                " VALUES (?, 0, ?, ?) ON CONFLICT (provider) DO UPDATE SET"
                " paused_until = max(coalesce(paused_until, 0), excluded.paused_until)",
                (provider, ms_or_now(until), ms_or_now(until)),
            )

    def paused_until(self, provider: str) -> datetime | None:
        row = (
            self._ledger.connection()
            .execute("SELECT paused_until FROM poll_budget WHERE provider = ?", (provider,))
            .fetchone()
        )
        return None if row is None else _time(row["paused_until"])

    def _refilled(
        self, conn: sqlite3.Connection, provider: str, rate: float, burst: float, now: datetime
    ) -> tuple[int, int | None]:
        """The bucket's tokens (thousandths) at ``now``, and its pause (ms) if any."""
        row = conn.execute(
            "SELECT tokens_milli, updated_at, paused_until FROM poll_budget WHERE provider = ?",
            (provider,),
        ).fetchone()
        at = ms_or_now(now)
        if row is None:
            return _cap(burst), None  # a bucket nobody used yet is full
        elapsed = max(0, at - row["updated_at"])  # a clock that went back refills nothing
        refill = elapsed * round(rate * MILLI) // 1000
        return min(row["tokens_milli"] + refill, _cap(burst)), row["paused_until"]

    def _store(self, conn: sqlite3.Connection, provider: str, tokens: int, now: datetime) -> None:
        conn.execute(
            "INSERT INTO poll_budget (provider, tokens_milli, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (provider) DO UPDATE SET tokens_milli = excluded.tokens_milli,"
            " updated_at = max(updated_at, excluded.updated_at)",
            (provider, tokens, ms_or_now(now)),
        )


def _cap(burst: float) -> int:
    return round(burst * MILLI)


def _time(value: int | None) -> datetime | None:
    return None if value is None else from_ms(value)
