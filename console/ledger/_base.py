"""Opening a ledger file, and the helpers every part of the ledger writes through."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from console.errors import LedgerError
from console.ledger._connections import ThreadConnections, enable_wal, refresh_statistics
from console.ledger._errors import UnknownRecord
from console.ledger._schema import migrate, user_version
from console.ledger._summaries import Progress

#: Default seconds a writer waits for the write lock before giving up.
BUSY_TIMEOUT = 10.0


class LedgerBase:
    """A ledger file: opened and migrated once, then used from any number of threads."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = BUSY_TIMEOUT,
        progress: Progress | None = None,
    ) -> None:
        """Open (creating if needed) and migrate the ledger at ``path``.

        The parent directory is created when missing, so the default
        ``data/ledger.db`` works on a fresh checkout. ``progress(what, done, total)``
        hears how a long migration step moves (see :mod:`console.ledger._schema`).

        Raises:
            SchemaTooNew: the file was written by a newer console.
            LedgerError: the file is unreadable, not a SQLite database, or not a ledger.
        """
        if str(path) == ":memory:" or str(path).startswith("file:"):
            # Each thread would get its own, separate in-memory database.
            raise LedgerError("The ledger needs a file path (tests can use a temporary file).")
        self.path = Path(path)
        if self.path.is_dir():
            raise LedgerError(f"The ledger path {self.path} is a directory; give a file path.")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LedgerError(
                f"Cannot create the folder for the ledger at {self.path}: {exc}."
            ) from exc
        self._connections = ThreadConnections(self.path, busy_timeout=busy_timeout)
        conn = self._connections.connection()
        try:
            enable_wal(conn, self.path)
            #: The schema version the file had before this open migrated it.
            self.found_version = migrate(conn, self.path, progress)
            refresh_statistics(conn)
        except BaseException:
            self._connections.close()
            raise

    @property
    def schema_version(self) -> int:
        """The file's current ``PRAGMA user_version``."""
        return user_version(self.connection())

    @property
    def open_connections(self) -> int:
        """How many connections are open (one per thread that used the ledger and still runs)."""
        return self._connections.open_count

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, for read-only ad-hoc SQL (benchmarks, tests).

        Rows are ``sqlite3.Row``. Write through :meth:`write` or the write methods.
        """
        return self._connections.connection()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``, or rollback on error).

        Write methods called inside the block join it, so several writes commit
        or roll back together::

            with ledger.write():
                bill_id = ledger.create_bill(...)
                ledger.audit("ann", "create_bill", "bill", bill_id, "ok", "page:bills")
        """
        with self._connections.write() as conn:
            yield conn

    def close(self) -> None:
        """Close every connection (threads that use the ledger again reopen one)."""
        self._connections.close()

    def __enter__(self) -> LedgerBase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"


def append_event(
    conn: sqlite3.Connection,
    *,
    object_type: str,
    object_id: int,
    from_status: str | None,
    to_status: str,
    native_status: str | None,
    source: str,
    at: int,
    detail: str | None,
) -> None:
    """Append one status event (the table refuses updates and deletes)."""
    conn.execute(
        "INSERT INTO status_events (object_type, object_id, from_status, to_status,"
        " native_status, source, at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (object_type, object_id, from_status, to_status, native_status, source, at, detail),
    )


def insert_row(conn: sqlite3.Connection, table: str, row: Mapping[str, Any]) -> int:
    """INSERT one row given as column -> value; return its id."""
    columns = ", ".join(row)
    values = ", ".join(f":{column}" for column in row)
    return row_id(conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({values})", row))


def row_id(cursor: sqlite3.Cursor) -> int:
    """The id an INSERT gave its row (SQLite always gives one to a rowid table)."""
    row_id = cursor.lastrowid
    if row_id is None:  # pragma: no cover - only for WITHOUT ROWID tables, which we have none of
        raise LedgerError("The ledger did not return the new row's id.")
    return row_id


def fetch_one(
    conn: sqlite3.Connection, sql: str, params: tuple[object, ...], *, what: str
) -> sqlite3.Row:
    """The one row ``sql`` selects, or :class:`UnknownRecord` naming ``what``."""
    row: sqlite3.Row | None = conn.execute(sql, params).fetchone()
    if row is None:
        raise UnknownRecord(f"The ledger has no {what}.")
    return row
