"""Bulk status refresh: ask the providers about every open bill and subscription at once.

Used by the Monitor page's auto-refresh (:func:`refresh_open`) and by
``merchant-console sync [--ledger PATH] [--every SECONDS]`` (:func:`run_sync_command`).

How a pass works:

* The open objects are read from the ledger (``open_items``: bills ``creating`` or
  ``pending``; subscriptions ``creating``, ``pending``, ``trial``, ``active``,
  ``past_due``); demo rows are skipped — they exist at no provider.
* Each object is refreshed by the same plan a single ``Billing.refresh`` uses
  (:mod:`console.billing._observe`): status, new payments — every subscription
  charge since the last poll, found by tracking id (limit: the 10 newest per
  subscription; see that module) — schedule, and resolution of ``creating`` rows
  under the outcome-unknown policy of :mod:`console.billing`.
* Provider reads run concurrently on the async clients, at most ``concurrency``
  (default 16) at a time over one connection pool per provider (kept alive for
  the pass). Ledger writes go through one writer thread, in the order answers
  arrive, each object in its own transaction: the event loop never waits for
  SQLite, and the ledger's locking makes it safe to run while the notification
  receiver (another thread or process) writes to the same file. Statuses never
  regress: the ledger applies the never-regress rule inside each write.
* One failing object does not stop the others: its error is in the report.
  A 429 pauses every request for the provider's ``Retry-After`` (at most 30 s),
  then the object is tried once more.

The :class:`SyncReport` lists what changed (``B12: pending → paid``, new payments),
the objects still being confirmed, and the errors per object.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from console.auth import SYNC_ACTOR, Action, Actor, PermissionDenied, require
from console.billing._base import CREATING_GRACE, utc_now
from console.billing._drive import asker, run_plan_async
from console.billing._observe import Observation, Snapshot, plan_for
from console.billing._record import has_news, record_observation, unchanged
from console.billing._results import Change
from console.config import Settings, load_settings
from console.errors import ConfigError, ConsoleError
from console.ledger import Bill, Ledger, Subscription
from console.providers import (
    AsyncBepaidClient,
    AsyncBeyagClient,
    AsyncPaytureClient,
    ProviderError,
    RateLimited,
    RetryPolicy,
)

DEFAULT_CONCURRENCY = 16
#: At most this many open bills (and as many subscriptions) per pass.
DEFAULT_LIMIT = 100_000
MAX_RATE_LIMIT_PAUSE = 30.0

_CLIENT_OF = {"bepaid": "bepaid", "begateway": "beyag", "payture": "payture"}

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_LIMIT",
    "ObjectError",
    "SyncReport",
    "refresh_open",
    "refresh_open_async",
    "run_sync_command",
]


@dataclass(frozen=True, slots=True)
class ObjectError:
    """Why one object could not be refreshed in a pass."""

    ref: str
    error: str  # the error class, e.g. ProviderUnavailable
    message: str


@dataclass
class SyncReport:
    """What one pass checked and changed."""

    started_at: datetime
    finished_at: datetime | None = None
    checked: int = 0
    changes: list[Change] = field(default_factory=list)
    confirming: list[str] = field(default_factory=list)
    errors: list[ObjectError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def new_payments(self) -> int:
        return sum(change.new_payments for change in self.changes)

    @property
    def status_changes(self) -> list[Change]:
        return [change for change in self.changes if change.status_changed]

    @property
    def duration(self) -> float:
        end = self.finished_at or utc_now()
        return (end - self.started_at).total_seconds()

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One line for the CLI and the Monitor page."""
        line = (
            f"{self.started_at:%Y-%m-%d %H:%M:%S} sync: {self.checked} open checked in "
            f"{self.duration:.1f} s: {len(self.status_changes)} status changes, "
            f"{self.new_payments} new payments, {len(self.confirming)} being confirmed, "
            f"{len(self.errors)} errors"
        )
        if self.errors:
            first = self.errors[0]
            line += f" (first: {first.ref}: {first.message})"
        return line


def refresh_open(
    settings: Settings,
    ledger: Ledger,
    *,
    actor: Actor = SYNC_ACTOR,
    concurrency: int = DEFAULT_CONCURRENCY,
    retry: RetryPolicy | None = None,
    clock: Callable[[], datetime] = utc_now,
    creating_grace: timedelta = CREATING_GRACE,
    limit: int = DEFAULT_LIMIT,
) -> SyncReport:
    """Refresh every open bill and subscription once; return the report.

    Blocking: runs its own event loop (in a helper thread when the caller already
    has one running). ``retry`` goes to the async clients (tests pass one that does
    not wait between attempts).

    Raises:
        PermissionDenied: ``actor`` may not refresh (audited as refused).
    """
    work = refresh_open_async(
        settings,
        ledger,
        actor=actor,
        concurrency=concurrency,
        retry=retry,
        clock=clock,
        creating_grace=creating_grace,
        limit=limit,
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(1, thread_name_prefix="sync") as helper:
        return helper.submit(asyncio.run, work).result()


async def refresh_open_async(
    settings: Settings,
    ledger: Ledger,
    *,
    actor: Actor = SYNC_ACTOR,
    concurrency: int = DEFAULT_CONCURRENCY,
    retry: RetryPolicy | None = None,
    clock: Callable[[], datetime] = utc_now,
    creating_grace: timedelta = CREATING_GRACE,
    limit: int = DEFAULT_LIMIT,
) -> SyncReport:
    """The async body of :func:`refresh_open`, for callers that run an event loop."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError("concurrency must be a whole number of at least 1.")
    try:
        require(actor, Action.REFRESH)
    except PermissionDenied as exc:
        ledger.audit(actor.name, "sync", None, None, "refused", actor.origin, exc.message)
        raise
    report = SyncReport(started_at=clock())
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(1, thread_name_prefix="ledger-writer") as writer:
        snapshots = await loop.run_in_executor(
            writer, _open_snapshots, ledger, clock(), creating_grace, limit, report
        )
        needed = {_CLIENT_OF[s.record.provider] for s in snapshots}
        clients = _async_clients(settings, needed, retry, concurrency)
        try:
            run = _Pass(ledger, actor, clients, writer, concurrency, report)
            await asyncio.gather(*(run.refresh(snapshot) for snapshot in snapshots))
        finally:
            await asyncio.gather(
                *(client.aclose() for client in clients.values() if not isinstance(client, str))
            )
    report.finished_at = clock()
    return report


class _Pass:
    """One sync pass: bounded concurrent reads, serial writes, errors per object."""

    def __init__(
        self,
        ledger: Ledger,
        actor: Actor,
        clients: dict[str, Any],
        writer: ThreadPoolExecutor,
        concurrency: int,
        report: SyncReport,
    ) -> None:
        self.ledger = ledger
        self.actor = actor
        self.clients = clients
        self.writer = writer
        self.slots = asyncio.Semaphore(concurrency)
        self.report = report
        self.paused_until = 0.0
        self.ask = asker(self._client)

    def _client(self, name: str) -> Any:
        client = self.clients[name]
        if isinstance(client, str):  # why it could not be built
            raise ConfigError(client)
        return client

    async def refresh(self, snapshot: Snapshot) -> None:
        record = snapshot.record
        try:
            async with self.slots:
                seen = await self._observe(snapshot)
            if has_news(record, seen):
                change = await asyncio.get_running_loop().run_in_executor(
                    self.writer, self._record, record, seen
                )
            else:  # most answers: nothing to write, so no trip to the writer thread
                change = unchanged(record, seen)
        except ProviderError as exc:
            self.report.errors.append(ObjectError(record.ref, type(exc).__name__, exc.user_message))
            return
        except ConsoleError as exc:
            self.report.errors.append(ObjectError(record.ref, type(exc).__name__, exc.message))
            return
        except Exception as exc:  # one broken object must not stop the pass
            self.report.errors.append(ObjectError(record.ref, type(exc).__name__, str(exc)))
            return
        if change.changed:
            self.report.changes.append(change)
        if change.after == "creating":
            self.report.confirming.append(change.ref)
        self.report.warnings.extend(f"{change.ref}: {w}" for w in change.warnings)

    async def _observe(self, snapshot: Snapshot) -> Observation:
        for attempt in (1, 2):
            delay = self.paused_until - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                return await run_plan_async(plan_for(snapshot), self.ask)
            except RateLimited as exc:
                wait = min(exc.retry_after or 1.0, MAX_RATE_LIMIT_PAUSE)
                self.paused_until = max(self.paused_until, time.monotonic() + wait)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _record(self, record: Bill | Subscription, seen: Observation) -> Change:
        return record_observation(self.ledger, record, seen, source="poll", actor=self.actor)


def _open_snapshots(
    ledger: Ledger, now: datetime, grace: timedelta, limit: int, report: SyncReport
) -> list[Snapshot]:
    """Every open, non-demo object with the payment ids already recorded for it."""
    snapshots = []
    for item in ledger.open_items(limit=limit, now=now, include_demo=False):
        if item.object_type == "bill":
            record: Bill | Subscription | None = ledger.get_bill(item.id)
        else:
            record = ledger.get_subscription(item.id)
        if record is None:
            continue
        known = frozenset(p.provider_txn_id for p in ledger.payments_of(item.object_type, item.id))
        snapshots.append(Snapshot(record, known, now, grace))
    report.checked = len(snapshots)
    return snapshots


def _async_clients(
    settings: Settings, needed: set[str], retry: RetryPolicy | None, concurrency: int
) -> dict[str, Any]:
    """The async clients the pass needs; a provider that is not configured maps to why.

    Each gets its own connection pool of ``concurrency`` kept-alive connections, over
    one process-wide TLS context (building a context costs tens of milliseconds, too
    much to repeat on every auto-refresh).
    """
    factories = {
        "bepaid": AsyncBepaidClient,
        "beyag": AsyncBeyagClient,
        "payture": AsyncPaytureClient,
    }
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients: dict[str, Any] = {}
    for name in sorted(needed):
        transport = httpx.AsyncHTTPTransport(verify=_tls_context(), limits=limits)
        try:
            clients[name] = factories[name].from_settings(
                settings, retry=retry, transport=transport
            )
        except ConfigError as exc:
            clients[name] = exc.message
    return clients


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def run_sync_command(ledger_path: Path | None, every: float | None) -> int:
    """``merchant-console sync [--ledger PATH] [--every SECONDS]``.

    Prints one summary line per pass. One pass (no ``every``): exit code 0 when
    every object was refreshed, 1 when some failed, 2 for a configuration or ledger
    problem. With ``every``, passes repeat (each starting ``every`` seconds after the
    previous one started, or at once when a pass took longer) until Ctrl+C, which
    ends with 0.
    """
    if every is not None and not every > 0:
        print("--every must be a positive number of seconds.", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        ledger = Ledger(ledger_path or settings.ledger_path)
    except ConsoleError as exc:
        print(f"{exc.title}: {exc.message}", file=sys.stderr)
        return 2
    try:
        while True:
            started = time.monotonic()
            try:
                report = refresh_open(settings, ledger)
            except ConsoleError as exc:
                print(f"{exc.title}: {exc.message}", file=sys.stderr)
                return 2
            print(report.summary(), flush=True)
            if every is None:
                return 0 if report.ok else 1
            _pause(max(0.0, every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        return 0
    finally:
        ledger.close()


def _pause(seconds: float) -> None:
    """Wait between passes (a seam for tests, which stop the loop here)."""
    time.sleep(seconds)
