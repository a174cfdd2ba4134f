"""Small storage helpers shared by the bePaid emulator's tables.

Each bePaid object is kept as a JSON blob (``data``) next to the few columns the
emulator queries by (status, due times as epoch seconds, tracking ids). Reads go
through either the :class:`~provider_sandbox.core.Store` (its lock) or the connection
of an open ``store.tx()`` (already locked), hence :data:`Source`.

Plans and customers share their create/list/get handlers here too
(:func:`create_response`, :func:`list_response`, :func:`object_response`), and
:func:`not_found` is the one 404 body every bePaid lookup answers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from provider_sandbox.bepaid import validation as check
from provider_sandbox.core import Sandbox, SqlParams, Store, read_json, sandbox_of, shop_auth_error
from provider_sandbox.errors import not_found

Source = Store | sqlite3.Connection


def fetch_one(source: Source, sql: str, params: SqlParams = ()) -> sqlite3.Row | None:
    if isinstance(source, Store):
        return source.one(sql, params)
    row: sqlite3.Row | None = source.execute(sql, params).fetchone()  # row_factory is Row
    return row


def fetch_all(source: Source, sql: str, params: SqlParams = ()) -> list[sqlite3.Row]:
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


# Plans and customers are plain stored objects with the same three calls; these
# helpers are those calls, given the object's table, validator and loader.

Validate = Callable[[check.Errors, dict[str, Any], check.Path], dict[str, Any]]
Insert = Callable[[sqlite3.Connection, dict[str, Any], datetime], dict[str, Any]]
Load = Callable[[Source, Any], dict[str, Any] | None]


def store_object(
    conn: sqlite3.Connection, table: str, obj: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Insert ``obj`` (with its ``id``) into a plain ``(id, created_at, data)`` table."""
    conn.execute(
        f"INSERT INTO {table} (id, created_at, data) VALUES (?, ?, ?)",
        (obj["id"], now.timestamp(), dumps(obj)),
    )
    return obj


def load_object(source: Source, table: str, object_id: Any) -> dict[str, Any] | None:
    """The object stored under ``object_id`` in ``table``, or None (also for a non-text id)."""
    if not isinstance(object_id, str):
        return None
    row = fetch_one(source, f"SELECT data FROM {table} WHERE id = ?", (object_id,))
    return None if row is None else loads(row["data"])


async def create_response(request: Request, validate: Validate, insert: Insert) -> Response:
    """``POST``: check the shop, validate the body, store it; 201 with the stored object."""
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    errors = check.Errors()
    fields = validate(errors, body, ())
    if errors:
        return errors.response()
    with sandbox.store.tx() as conn:
        created = insert(conn, fields, sandbox.now())
    return JSONResponse(created, status_code=201)


def list_response(request: Request, table: str) -> Response:
    """``GET`` of a collection: a bare array of ``table``'s objects, newest first, paged."""
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    limit, offset = page_window(dict(request.query_params))
    rows = fetch_all(
        sandbox.store,
        f"SELECT data FROM {table} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return JSONResponse([loads(row["data"]) for row in rows])


def object_response(request: Request, load: Load) -> Response:
    """``GET`` of one object by the path's ``{id}``; 404 when ``load`` finds none."""
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    found = load(sandbox.store, request.path_params["id"])
    return not_found() if found is None else JSONResponse(found)


def all_objects(sandbox: Sandbox, table: str) -> list[dict[str, Any]]:
    """Every object in ``table``, newest first (for the admin state dump)."""
    rows = fetch_all(sandbox.store, f"SELECT data FROM {table} ORDER BY created_at DESC")
    return [loads(row["data"]) for row in rows]
