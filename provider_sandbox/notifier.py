"""Signed notification delivery, the way bePaid sends them.

Emulators call ``sandbox.notify(url, payload)``; that lands in
:meth:`Notifier.enqueue`, which serialises the payload once and stores the exact
bytes in the ``notifications`` table of the sandbox DB. A background task
(started in the app's lifespan) delivers due rows:

- ``POST url`` with that body, ``Content-Type: application/json``, HTTP Basic
  ``shop_id:secret_key`` and ``Content-Signature`` = base64 RSA PKCS#1 v1.5
  SHA-256 signature over exactly the bytes sent (see ``signing.py``) — scheme
  ``bepaid``, for bePaid and beGateway;
- scheme ``payture`` (Payture bill status changes): no Basic credentials;
  ``Content-Signature`` = base64 HMAC-SHA256 over the bytes sent, keyed with
  the behind-api access token. behind-api documents no scheme of its own (its
  webhook example leaves ``verifyWebhookSignature`` to the merchant), so the
  sandbox and the console's receiver agree on this one;
- an answer of exactly 200 marks the row ``delivered``; any other status, a
  connection error or a timeout (``SandboxConfig.notify_timeout`` real seconds)
  schedules a retry after ``notify_first_retry * 2 ** (attempts - 1)`` *sandbox*
  seconds (1 min, 2, 4, 8 … by default), so at ``--speed 1440`` or after a clock
  advance retries come quickly; after ``notify_max_attempts`` attempts the row is
  ``gave_up``.

The queue lives in the DB, so pending notifications survive a restart. Enqueue
inside an emulator's ``store.tx()`` joins that transaction: no notification for a
state change that rolled back.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
import httpx

from provider_sandbox.core import Sandbox, iso, parse_iso
from provider_sandbox.signing import NotificationSigner, hmac_signature

logger = logging.getLogger(__name__)

STATES = ("pending", "delivered", "gave_up")
SCHEMES = ("bepaid", "payture")

SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    body BLOB NOT NULL,               -- the exact bytes that are signed and sent
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,            -- sandbox time, sortable ISO 8601 UTC
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'delivered', 'gave_up')),
    scheme TEXT NOT NULL DEFAULT 'bepaid',  -- how it is authenticated: bepaid | payture
    last_status INTEGER,              -- HTTP status of the last attempt, NULL if none
    last_error TEXT,                  -- connection error / timeout of the last attempt
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (state, next_at);
"""


def _stamp(moment: datetime) -> str:
    """Sortable storage form of a sandbox time (microseconds, UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def serialize(payload: dict[str, Any]) -> bytes:
    """The notification body: compact UTF-8 JSON (datetimes as bePaid timestamps)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_jsonable).encode(
        "utf-8"
    )


class Notifier:
    """The sandbox's persistent, retrying, signing notification sender."""

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        signer: NotificationSigner | None = None,
        poll_every: float = 0.2,
        concurrency: int = 8,
    ) -> None:
        self.sandbox = sandbox
        self.signer = signer or NotificationSigner(sandbox.store)
        self.poll_every = poll_every
        self.concurrency = concurrency
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        sandbox.store.ensure_schema(SCHEMA)
        columns = {row["name"] for row in sandbox.store.query("PRAGMA table_info(notifications)")}
        if "scheme" not in columns:  # a state file from before Payture notifications
            with sandbox.store.tx() as conn:
                conn.execute(
                    "ALTER TABLE notifications ADD COLUMN scheme TEXT NOT NULL DEFAULT 'bepaid'"
                )

    # -- queue ---------------------------------------------------------------
    def enqueue(self, url: str, payload: dict[str, Any], *, scheme: str = "bepaid") -> int:
        """Queue ``payload`` for ``url``, due now; returns the notification id."""
        if scheme not in SCHEMES:
            raise ValueError(f"unknown notification scheme {scheme!r}")
        now = _stamp(self.sandbox.now())
        with self.sandbox.store.tx() as conn:
            cursor = conn.execute(
                "INSERT INTO notifications (url, body, next_at, created_at, scheme)"
                " VALUES (?, ?, ?, ?, ?)",
                (url, serialize(payload), now, now, scheme),
            )
            notification_id = int(cursor.lastrowid or 0)
        self.wake()
        return notification_id

    def retry_now(self, notification_id: int) -> bool:
        """Make a notification due again now (a gave_up one gets one more attempt)."""
        with self.sandbox.store.tx() as conn:
            cursor = conn.execute(
                "UPDATE notifications SET state = 'pending', next_at = ?, "
                "attempts = MIN(attempts, ?) WHERE id = ? AND state != 'delivered'",
                (
                    _stamp(self.sandbox.now()),
                    self.sandbox.config.notify_max_attempts - 1,
                    notification_id,
                ),
            )
            changed = cursor.rowcount > 0
        self.wake()
        return changed

    def wake(self) -> None:
        """Make the delivery task look for due notifications now (thread-safe)."""
        loop, event = self._loop, self._wake
        if loop is None or event is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing
            loop.call_soon_threadsafe(event.set)

    def backoff(self, attempts: int) -> timedelta:
        """Sandbox time to wait after the ``attempts``-th failed attempt."""
        first = self.sandbox.config.notify_first_retry
        return timedelta(seconds=first * 2 ** max(attempts - 1, 0))

    # -- reading -------------------------------------------------------------
    def listing(self, state: str | None = None) -> list[dict[str, Any]]:
        """Every notification (oldest first), optionally only those in ``state``."""
        sql = "SELECT * FROM notifications"
        params: tuple[str, ...] = ()
        if state:
            sql += " WHERE state = ?"
            params = (state,)
        return [
            self._describe(row) for row in self.sandbox.store.query(sql + " ORDER BY id", params)
        ]

    def counts(self) -> dict[str, int]:
        rows = self.sandbox.store.query(
            "SELECT state, COUNT(*) AS n FROM notifications GROUP BY state"
        )
        found = {row["state"]: row["n"] for row in rows}
        return {state: found.get(state, 0) for state in STATES}

    @staticmethod
    def _describe(row: sqlite3.Row) -> dict[str, Any]:
        body = bytes(row["body"]).decode("utf-8")
        return {
            "id": row["id"],
            "url": row["url"],
            "state": row["state"],
            "scheme": row["scheme"],
            "attempts": row["attempts"],
            "last_status": row["last_status"],
            "last_error": row["last_error"],
            "next_at": iso(parse_iso(row["next_at"])) if row["state"] == "pending" else None,
            "created_at": iso(parse_iso(row["created_at"])),
            "delivered_at": iso(parse_iso(row["delivered_at"])) if row["delivered_at"] else None,
            "payload": json.loads(body),
            "body": body,
        }

    # -- delivery ------------------------------------------------------------
    async def run(self) -> None:
        """Deliver due notifications until cancelled (the app's lifespan owns this task)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        in_flight: dict[int, asyncio.Task[None]] = {}
        timeout = httpx.Timeout(self.sandbox.config.notify_timeout)
        # trust_env=False: receivers are reached directly, never through a proxy.
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            try:
                while True:
                    self._wake.clear()  # before looking, so no wake-up is lost
                    free = self.concurrency - len(in_flight)
                    if free > 0:
                        rows = await anyio.to_thread.run_sync(self._due, set(in_flight), free)
                        for row in rows:
                            task = asyncio.create_task(self._deliver(client, row))
                            in_flight[row["id"]] = task
                            task.add_done_callback(
                                functools.partial(self._finished, in_flight, row["id"])
                            )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_every)
            finally:
                for task in in_flight.values():
                    task.cancel()
                await asyncio.gather(*in_flight.values(), return_exceptions=True)
                self._loop = self._wake = None

    def _finished(
        self, in_flight: dict[int, asyncio.Task[None]], key: int, _task: asyncio.Task[None]
    ) -> None:
        """A delivery is over: free its slot and let the loop look for more work."""
        in_flight.pop(key, None)
        self.wake()

    def _due(self, busy: set[int], limit: int) -> list[sqlite3.Row]:
        rows = self.sandbox.store.query(
            "SELECT id, url, body, scheme FROM notifications"
            " WHERE state = 'pending' AND next_at <= ? "
            "ORDER BY next_at, id LIMIT ?",
            (_stamp(self.sandbox.now()), limit + len(busy)),
        )
        return [row for row in rows if row["id"] not in busy][:limit]

    async def _deliver(self, client: httpx.AsyncClient, row: sqlite3.Row) -> None:
        body = bytes(row["body"])
        config = self.sandbox.config
        status: int | None = None
        error: str | None = None
        try:
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            auth: httpx.BasicAuth | None = None
            if row["scheme"] == "payture":
                headers["Content-Signature"] = hmac_signature(config.access_token, body)
            else:
                # In a thread: the first signature may have to generate the key pair.
                headers["Content-Signature"] = await anyio.to_thread.run_sync(
                    self.signer.sign, body
                )
                auth = httpx.BasicAuth(config.shop_id, config.secret_key)
            # A request's auth cannot be None in httpx's signature; this client has no
            # auth of its own, so its default means "none" (Payture signs the body instead).
            response = await client.post(
                row["url"], content=body, headers=headers, auth=auth or httpx.USE_CLIENT_DEFAULT
            )
            status = response.status_code
        except Exception as exc:  # any failure to get an answer is a failed attempt
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        await anyio.to_thread.run_sync(self._record, row["id"], status, error)

    def _record(self, notification_id: int, status: int | None, error: str | None) -> None:
        now = self.sandbox.now()
        max_attempts = self.sandbox.config.notify_max_attempts
        with self.sandbox.store.tx() as conn:
            found = conn.execute(
                "SELECT attempts FROM notifications WHERE id = ?", (notification_id,)
            ).fetchone()
            if found is None:
                return
            attempts = found["attempts"] + 1
            if status == 200:
                state, next_at, delivered_at = "delivered", now, _stamp(now)
            elif attempts >= max_attempts:
                state, next_at, delivered_at = "gave_up", now, None
            else:
                state, next_at, delivered_at = "pending", now + self.backoff(attempts), None
            conn.execute(
                "UPDATE notifications SET attempts = ?, state = ?, next_at = ?, last_status = ?, "
                "last_error = ?, delivered_at = ? WHERE id = ?",
                (attempts, state, _stamp(next_at), status, error, delivered_at, notification_id),
            )
        if state != "delivered":
            logger.info(
                "notification %s: attempt %s failed (%s), now %s",
                notification_id,
                attempts,
                status if status is not None else error,
                state,
            )
