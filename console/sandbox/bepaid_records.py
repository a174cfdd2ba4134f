"""Small storage helpers shared by the bePaid emulator's tables.

Each bePaid object is kept as a JSON blob (``data``) next to the few columns the
emulator queries by (status, due times as epoch seconds, tracking ids). Reads go
through either the :class:`~console.sandbox.core.Store` (its lock) or the connection
of an open ``store.tx()`` (already locked), hence :data:`Source`.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from console.sandbox.core import Store

Source = Store | sqlite3.Connection


def fetch_one(source: Source, sql: str, params: tuple = ()) -> sqlite3.Row | None:
    if isinstance(source, Store):
        return source.one(sql, params)
    return source.execute(sql, params).fetchone()


def fetch_all(source: Source, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    if isinstance(source, Store):
        return source.query(sql, params)
    return source.execute(sql, params).fetchall()


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> Any:
    return json.loads(text)


def epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def from_epoch(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def page_window(query: dict[str, str]) -> tuple[int, int]:
    """``(limit, offset)`` from ``?page=`` (1-based) and ``?per_page=`` (default 50, max 100).

    Values that are not positive whole numbers fall back to the defaults.
    """

    def whole(name: str, default: int) -> int:
        value = query.get(name, "")
        return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else default

    per_page = min(whole("per_page", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    return per_page, (whole("page", 1) - 1) * per_page


def new_id(prefix: str) -> str:
    """A bePaid-style object id: ``pln_``/``cst_``/``sbs_`` and 16 hex digits."""
    import secrets

    return f"{prefix}_{secrets.token_hex(8)}"
