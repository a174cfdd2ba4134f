"""The sandbox's shared core: configuration, clock, state store and HTTP helpers.

Each provider emulator (``bepaid``, ``beyag``, ``payture``) is a module exposing
``routes`` (Starlette routes) and ``install(sandbox)`` (creates its tables and
registers its tickers and state sections). ``app.create_app`` puts them together.

Time-driven behaviour (expiry, trials, renewals) lives in *tickers*: functions
``ticker(sandbox, now)`` that move state forward to the sandbox clock's ``now``.
``Sandbox.tick()`` runs them all; the app calls it before every request and on a
background loop, so a reader always sees state consistent with the clock.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from provider_sandbox.errors import unprocessable

# bePaid shop ids are integers ("shop_id: integer, required" in the checkout status);
# 361 is the shop id of bePaid's own documentation examples.
DEFAULT_SHOP_ID = "361"
DEFAULT_SECRET_KEY = "sandbox-secret"  # noqa: S105 - the sandbox's documented test credential
DEFAULT_ACCESS_TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's documented test credential
ADMIN_PREFIX = "/__sandbox"

# What sqlite3 binds to a statement's placeholders: positional or named values.
SqlParams = tuple[object, ...] | Mapping[str, object]


@dataclass
class SandboxConfig:
    """How a sandbox instance is reached and which credentials it accepts."""

    shop_id: str = DEFAULT_SHOP_ID
    secret_key: str = DEFAULT_SECRET_KEY
    access_token: str = DEFAULT_ACCESS_TOKEN
    public_url: str = "http://127.0.0.1:8600"  # base of redirect_url / pay pages
    state_path: str = ":memory:"
    speed: float = 1.0  # sandbox seconds per real second
    # Where Payture bill status changes are posted (a merchant sets this in the
    # provider's back office; behind-api requests carry no notification URL).
    payture_notification_url: str | None = None
    # Platform knobs (provider_sandbox/notifier.py, app.py); defaults suit real use.
    notify_timeout: float = 5.0  # real seconds to wait for a receiver's answer
    notify_max_attempts: int = 10  # then the notification is marked gave_up
    notify_first_retry: float = 60.0  # sandbox seconds; doubles after each failure
    tick_every: float = 0.25  # real seconds between background ticks

    @property
    def shop_id_json(self) -> int | str:
        """``shop_id`` as answers carry it: a JSON integer (text only if not digits)."""
        text = self.shop_id.strip()
        return int(text) if text.isascii() and text.isdigit() else self.shop_id


class Clock:
    """Sandbox time: real time scaled by ``speed``, plus manual advances.

    It only moves forward, except for :meth:`reset`, which goes back to real time
    (``POST /__sandbox/clock/reset``).

    ``offset`` (seconds added by :meth:`advance`) is kept by the store so that a
    restarted sandbox continues from where it was; the store keeps :meth:`lead`,
    which also covers time gained by running faster than real time.
    """

    def __init__(self, speed: float = 1.0, *, offset: float = 0.0) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = speed
        self.offset = offset
        self._start_real = time.time()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Current sandbox time, timezone-aware UTC."""
        with self._lock:
            elapsed = (time.time() - self._start_real) * self.speed
            return datetime.fromtimestamp(self._start_real + elapsed + self.offset, UTC)

    def advance(self, seconds: float) -> datetime:
        """Move sandbox time forward (never back) and return the new now."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self.offset += seconds
        return self.now()

    def lead(self) -> float:
        """Seconds the sandbox is ahead of real time (manual advances + faster speed).

        Persisting the lead (not just the manual ``offset``) and passing it back as
        ``offset`` on restart keeps sandbox time monotonic across restarts, even
        after running at ``--speed 1440``.
        """
        with self._lock:
            now_real = time.time()
            elapsed = (now_real - self._start_real) * self.speed
            return self._start_real + elapsed + self.offset - now_real

    def reset(self) -> float:
        """Go back to real time (lead 0, the speed unchanged); returns the lead it had."""
        with self._lock:
            now_real = time.time()
            lead = self._start_real + (now_real - self._start_real) * self.speed
            lead += self.offset - now_real
            self._start_real = now_real
            self.offset = 0.0
        return lead

    def real_seconds(self, sandbox_seconds: float) -> float:
        """Real seconds that pass while ``sandbox_seconds`` pass on this clock."""
        return sandbox_seconds / self.speed


class Store:
    """The sandbox's SQLite state: one connection, every use serialised by a lock.

    The sandbox is one process; handlers run on the event loop and on worker
    threads, so the connection is opened with ``check_same_thread=False`` and
    guarded by an ``RLock``. ``tx()`` is a write transaction (``BEGIN IMMEDIATE``).
    """

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        self._savepoints = 0
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        if path != ":memory:":
            self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT)")

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; commits on success, rolls back on error.

        Nested use on the same thread (an emulator calling ``sandbox.notify`` inside
        its own transaction) joins the outer transaction through a savepoint, so
        the inner writes commit or roll back together with the outer ones.
        """
        with self._lock:
            if self.conn.in_transaction:
                yield from self._savepoint()
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        self._savepoints += 1
        name = f"nested_{self._savepoints}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute(f"ROLLBACK TO {name}")
            self.conn.execute(f"RELEASE {name}")
            raise
        self.conn.execute(f"RELEASE {name}")

    def query(self, sql: str, params: SqlParams = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: SqlParams = ()) -> sqlite3.Row | None:
        with self._lock:
            # fetchone() is typed Any: its type is whatever row_factory makes (Row here).
            row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
            return row

    def ensure_schema(self, ddl: str) -> None:
        """Run ``CREATE TABLE IF NOT EXISTS ...`` statements (idempotent)."""
        with self._lock:
            self.conn.executescript(ddl)

    def kv_get(self, key: str, default: Any = None) -> Any:
        row = self.one("SELECT value FROM kv WHERE key = ?", (key,))
        return default if row is None else json.loads(row["value"])

    def kv_set(self, key: str, value: Any) -> None:
        with self.tx() as conn:
            conn.execute(
                "INSERT INTO kv (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def close(self) -> None:
        with self._lock:
            self.conn.close()


Ticker = Callable[["Sandbox", datetime], None]
StateSection = Callable[["Sandbox"], Any]


class Sandbox:
    """Everything a provider emulator needs: config, clock, store, notifications."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = Store(config.state_path)
        self.clock = Clock(config.speed, offset=float(self.store.kv_get("clock_offset", 0.0)))
        self._tickers: list[Ticker] = []
        self.state_sections: dict[str, StateSection] = {}
        self._tick_lock = threading.Lock()
        # Set by app.create_app: delivers signed notifications (see notify()).
        self.notifier: Any = None
        # Set by app.create_app: the fault registry (provider_sandbox/faults.py).
        self.faults: Any = None

    # -- registration -------------------------------------------------------
    def add_ticker(self, ticker: Ticker) -> None:
        self._tickers.append(ticker)

    def add_state_section(self, name: str, section: StateSection) -> None:
        self.state_sections[name] = section

    # -- time ---------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

    def tick(self) -> None:
        """Run every ticker at the clock's current time (one at a time)."""
        with self._tick_lock:
            now = self.clock.now()
            for ticker in self._tickers:
                ticker(self, now)

    def advance(self, seconds: float) -> datetime:
        """Advance the clock, persist the offset, and apply what became due."""
        now = self.clock.advance(seconds)
        self.save_clock()
        self.tick()
        if self.notifier is not None:  # retries that just became due go out now
            self.notifier.wake()
        return now

    def reset_clock(self) -> float:
        """Sandbox time back to real time, persisted; returns the lead it had."""
        with self._tick_lock:  # not in the middle of a tick that read the old now
            lead = self.clock.reset()
        self.save_clock()
        return lead

    def save_clock(self) -> None:
        """Persist how far sandbox time is ahead of real time, for the next start."""
        self.store.kv_set("clock_offset", self.clock.lead())

    # -- notifications ------------------------------------------------------
    def notify(self, url: str | None, payload: dict[str, Any], *, scheme: str = "bepaid") -> None:
        """Queue a signed notification of ``payload`` to ``url`` (no-op without a URL).

        Delivery (``scheme`` ``bepaid``: HTTP Basic shop credentials and an RSA
        ``Content-Signature``; ``payture``: an HMAC ``Content-Signature``; retries
        with back-off scaled by the clock) is the notifier's job.
        """
        if not url or self.notifier is None:
            return
        self.notifier.enqueue(url, payload, scheme=scheme)

    # -- ids ----------------------------------------------------------------
    @staticmethod
    def new_uid() -> str:
        """A bePaid-style transaction uid: ``<digits>-<hex>``."""
        return f"{secrets.randbelow(10**9):09d}-{secrets.token_hex(5)}"

    @staticmethod
    def new_token() -> str:
        """A hosted-checkout token (64 hex characters, like bePaid's)."""
        return secrets.token_hex(32)

    @staticmethod
    def new_uuid() -> str:
        return str(uuid.uuid4())


# -- HTTP helpers shared by the emulators ------------------------------------


def sandbox_of(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox  # set by app.create_app
    return sandbox


def iso(moment: datetime | None) -> str | None:
    """bePaid's timestamp form: ``2026-11-23T10:15:30Z`` (UTC, seconds)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp from a request; naive values are taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def shop_auth_error(request: Request) -> JSONResponse | None:
    """``None`` when the request carries the shop's HTTP Basic credentials, else 401."""
    import base64
    import hmac

    config = sandbox_of(request).config
    header = request.headers.get("authorization", "")
    expected = base64.b64encode(f"{config.shop_id}:{config.secret_key}".encode()).decode()
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and hmac.compare_digest(value.strip(), expected):
        return None
    return JSONResponse(
        {"message": "Unauthorized", "errors": {"base": ["Invalid shop id or secret key"]}},
        status_code=401,
        headers={"WWW-Authenticate": 'Basic realm="bePaid"'},
    )


async def read_json(request: Request) -> dict[str, Any] | JSONResponse:
    """The request's JSON object, or a 422 response saying why it is not one."""
    try:
        body = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        return unprocessable("Request body is not valid JSON", {"base": ["is not valid JSON"]})
    if not isinstance(body, dict):
        return unprocessable("Request body must be a JSON object", {"base": ["must be an object"]})
    return body
