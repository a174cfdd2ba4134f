"""The bulk path: many rows into one table, fast, for the demo generator and benchmarks.

It skips the Python-side rules of the write methods (lower-cased e-mails,
never-regress, first status event) but not the schema's: CHECK, UNIQUE and
foreign-key constraints still apply, so a bad generator fails loudly. Rows may
carry explicit ``id`` values, so a generator can link bills, payments and
events without reading ids back.

Speed comes from ``executemany`` over tuples in one transaction per call
(one fsync-free WAL commit), with a larger page cache while it runs so index
pages stay in memory. Times are raw UTC epoch milliseconds here.

For a large load (the demo generator's million bills) wrap the calls in
:meth:`BulkWrites.bulk_load`: it drops the secondary indexes, the triggers that
keep the description search (``bills_text``) current and the report summaries'
triggers, lets the rows go in without updating any of them row by row, and rebuilds
each index with one sort, the search index and the summaries with one pass each at
the end — all inside one transaction, so an interrupted load leaves the ledger
exactly as it was, indexes and summaries included. UNIQUE constraints stay on
throughout. Outside ``bulk_load``, bulk inserts fire the triggers like any write.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from typing import Any

import sqlite_utils

from console.errors import ValidationError
from console.ledger._base import LedgerBase
from console.ledger._checks import choice
from console.ledger._connections import CACHE_KIB, refresh_statistics
from console.ledger._schema import (
    REBUILD_TEXT_SQL,
    TEXT_TRIGGERS,
    TEXT_TRIGGERS_SQL,
    split_statements,
)
from console.ledger._summaries import RAW_TRIGGERS, rebuild

BULK_TABLES: tuple[str, ...] = ("bills", "subscriptions", "payments", "status_events", "audit_log")

#: Page cache while a bulk insert runs, in KiB.
BULK_CACHE_KIB = 512 * 1024


def insert_sql(table: str, columns: list[str]) -> str:
    """The INSERT for ``columns``; a payment without a channel gets its bill's kind."""
    names = ", ".join(columns)
    values = ", ".join(f"?{number}" for number in range(1, len(columns) + 1))
    if table == "payments" and "channel" not in columns:
        names += ", channel"
        bill = f"?{columns.index('bill_id') + 1}" if "bill_id" in columns else "NULL"
        values += f", coalesce((SELECT kind FROM bills WHERE id = {bill}), 'subscription')"
    return f"INSERT INTO {table} ({names}) VALUES ({values})"


class BulkWrites(LedgerBase):
    """Fast multi-row inserts."""

    def bulk_insert(
        self,
        table: str,
        rows: Iterable[Mapping[str, Any]] | Iterable[Sequence[Any]],
        *,
        columns: Sequence[str] | None = None,
        batch_size: int = 20_000,
    ) -> int:
        """Insert ``rows`` into ``table`` in one transaction (joins an open ``write()``).

        Rows are mappings (column -> value; the first row's keys name the
        columns) or, faster, sequences in the order of ``columns``. Payments
        rows may leave out ``channel``: it is then taken from the bill's kind
        (``subscription`` for a payment without a bill), as record_payment does.

        Returns:
            The number of rows inserted.

        Raises:
            ValidationError: unknown table or column.
            sqlite3.IntegrityError: a row breaks a constraint (nothing is inserted).
        """
        table = choice(table, BULK_TABLES, "table")
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            return 0
        if columns is None:
            if not isinstance(first, Mapping):
                raise ValidationError("Give columns= when rows are sequences.", field="columns")
            columns = list(first)
        columns = list(columns)
        self._check_columns(table, columns)
        all_rows: Iterator[Any] = chain([first], iterator)
        if isinstance(first, Mapping):
            pick = operator.itemgetter(*columns)
            all_rows = (pick(row) for row in all_rows)
            if len(columns) == 1:
                all_rows = ((value,) for value in all_rows)
        sql = insert_sql(table, columns)
        inserted = 0
        with self.write() as conn:
            previous_cache = conn.execute("PRAGMA cache_size").fetchone()[0]
            conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            try:
                while batch := list(islice(all_rows, batch_size)):
                    conn.executemany(sql, batch)
                    inserted += len(batch)
            finally:
                conn.execute(f"PRAGMA cache_size = {previous_cache}")
        return inserted

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """One transaction for a large load, with secondary indexes and report summaries
        rebuilt at the end.

        Use it for filling a ledger, not for normal writes: other writers wait
        until it ends, and lookups by e-mail, token or provider id — and the
        summaries — are stale *inside* the block (readers outside it keep seeing the
        old snapshot). ``ANALYZE`` runs afterwards so the query planner knows the
        new sizes.
        """
        with self.write() as conn:
            indexes = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                f" AND tbl_name IN ({', '.join('?' * len(BULK_TABLES))}) ORDER BY name",
                BULK_TABLES,
            ).fetchall()
            triggers = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                f" AND name IN ({', '.join('?' * len(RAW_TRIGGERS))}) ORDER BY name",
                RAW_TRIGGERS,
            ).fetchall()
            for name, _ in indexes:
                conn.execute(f"DROP INDEX {name}")
            for trigger in TEXT_TRIGGERS:
                conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            for name, _ in triggers:
                conn.execute(f"DROP TRIGGER {name}")
            yield
            conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            for _, sql in indexes:
                conn.execute(sql)
            for statement in split_statements(TEXT_TRIGGERS_SQL):
                conn.execute(statement)
            conn.execute(REBUILD_TEXT_SQL)
            rebuild(conn)
            for _, sql in triggers:
                conn.execute(sql)
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        refresh_statistics(conn)

    def _check_columns(self, table: str, columns: list[str]) -> None:
        known = self._columns_of(table)
        unknown = [column for column in columns if column not in known]
        if unknown:
            raise ValidationError(f"{table} has no column {', '.join(unknown)}.", field="columns")

    def _columns_of(self, table: str) -> frozenset[str]:
        cache: dict[str, frozenset[str]] = self.__dict__.setdefault("_column_cache", {})
        if table not in cache:
            db = sqlite_utils.Database(
                self.connection(), recursive_triggers=False, execute_plugins=False
            )
            cache[table] = frozenset(db[table].columns_dict)
        return cache[table]
