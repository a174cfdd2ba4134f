"""Bulk status refresh: ask the providers about every open bill and subscription at once.

``billing.sync.refresh_open`` — used by the Monitor page's auto-refresh and by
``merchant-console sync [--ledger PATH] [--every SECONDS]``.

How a pass works:

* The open objects are read from the ledger (``open_items``: bills ``creating`` or
  ``pending``; subscriptions ``creating``, ``pending``, ``trial``, ``active``,
  ``past_due``); demo rows are skipped — they exist at no provider.
* Each object is refreshed by the same plan a single ``billing.objects.refresh`` uses
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
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import httpx

from console.auth import SYNC_ACTOR, Action, Actor
from console.billing._core import Core, Record, utc_now
from console.billing._drive import run_plan_async
from console.billing._observe import Observation, Snapshot, plan_for
from console.billing._record import has_news, record_observation, unchanged
from console.billing._refunds import Refunds
from console.billing._results import Change
from console.config import Settings
from console.errors import ConfigError, ConsoleError
from console.ledger import Ledger
from console.providers import (
    AsyncBepaidClient,
    AsyncBeyagClient,
    AsyncPaytureClient,
    ProviderError,
    RateLimited,
    RetryPolicy,
)
from console.vocabulary import ObjectType, Provider

T = TypeVar("T")

DEFAULT_CONCURRENCY = 16
#: At most this many open bills (and as many subscriptions) per pass.
DEFAULT_LIMIT = 100_000
MAX_RATE_LIMIT_PAUSE = 30.0


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


class Sync:
    """Every open bill and subscription at once (``billing.sync``)."""

    def __init__(self, core: Core, refunds: Refunds) -> None:
        self._core = core
        self._refunds = refunds

    def refresh_open(
        self,
        actor: Actor = SYNC_ACTOR,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        retry: RetryPolicy | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> SyncReport:
        """Refresh every open bill and subscription once; return the report.

        Blocking: runs its own event loop (in a helper thread when the caller already
        has one running). ``retry`` goes to the async clients (tests pass one that does
        not wait between attempts).

        Raises:
            PermissionDenied: ``actor`` may not refresh (audited as refused).
        """
        work = self.refresh_open_async(actor, concurrency=concurrency, retry=retry, limit=limit)
        return _run(work)

    async def refresh_open_async(
        self,
        actor: Actor = SYNC_ACTOR,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        retry: RetryPolicy | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> SyncReport:
        """The async body of :meth:`refresh_open`, for callers that run an event loop."""
        core = self._core
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError("concurrency must be a whole number of at least 1.")
        core.require(actor, Action.REFRESH, "sync")
        report = SyncReport(started_at=core.now())
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(1, thread_name_prefix="ledger-writer") as writer:
            snapshots = await loop.run_in_executor(writer, self._open_snapshots, limit, report)
            needed = {snapshot.record.provider for snapshot in snapshots}
            clients = AsyncClients.open(core.settings, needed, retry, concurrency)
            try:
                run = _Pass(core.ledger, actor, clients, writer, concurrency, report)
                await asyncio.gather(*(run.refresh(snapshot) for snapshot in snapshots))
            finally:
                await clients.aclose()
        # Refunds whose answer was lost: few, and each a blocking read or two.
        await loop.run_in_executor(None, self._confirm_refunds, actor, report)
        report.finished_at = core.now()
        return report

    def _confirm_refunds(self, actor: Actor, report: SyncReport) -> None:
        for refund in self._core.ledger.refunds.creating():
            try:
                result = self._refunds.confirm(actor, refund.id)
            except (ProviderError, ConsoleError) as exc:
                message = getattr(exc, "user_message", None) or str(exc)
                report.errors.append(ObjectError(refund.ref, type(exc).__name__, message))
                continue
            if result.confirming:
                report.confirming.append(refund.ref)
            else:
                report.warnings.append(result.message)

    def _open_snapshots(self, limit: int, report: SyncReport) -> list[Snapshot]:
        """Every open, non-demo object with the payment ids already recorded for it."""
        core = self._core
        ledger, now = core.ledger, core.now()
        snapshots = []
        for item in ledger.open_items(limit=limit, now=now, include_demo=False):
            record: Record | None
            if item.object_type == ObjectType.BILL:
                record = ledger.get_bill(item.id)
            else:
                record = ledger.get_subscription(item.id)
            if record is None:
                continue
            paid = ledger.payments_of(item.object_type, item.id)
            known = frozenset(p.provider_txn_id for p in paid)
            snapshots.append(Snapshot(record, known, now, core.creating_grace))
        report.checked = len(snapshots)
        return snapshots


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to completion from blocking code, whether or not a loop is running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(1, thread_name_prefix="sync") as helper:
        return helper.submit(asyncio.run, work).result()


class AsyncClients:
    """The async clients of one pass (the plans' ``ProviderReads``, awaitable).

    A provider the pass needs but the settings do not configure has no client: asking
    it raises ConfigError with the reason, which becomes that object's error.
    """

    def __init__(
        self,
        *,
        bepaid: AsyncBepaidClient | None = None,
        beyag: AsyncBeyagClient | None = None,
        payture: AsyncPaytureClient | None = None,
        problems: dict[Provider, str] | None = None,
    ) -> None:
        self._bepaid, self._beyag, self._payture = bepaid, beyag, payture
        self.problems = problems or {}

    @classmethod
    def open(
        cls, settings: Settings, needed: set[Provider], retry: RetryPolicy | None, concurrency: int
    ) -> AsyncClients:
        """Clients for the providers ``needed``, each with its own pool of ``concurrency``
        kept-alive connections over one process-wide TLS context (building a context
        costs tens of milliseconds, too much to repeat on every auto-refresh)."""
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

        def transport() -> httpx.AsyncHTTPTransport:
            return httpx.AsyncHTTPTransport(verify=_tls_context(), limits=limits)

        made = cls()
        try:
            if Provider.BEPAID in needed:
                made._bepaid = AsyncBepaidClient.from_settings(
                    settings, retry=retry, transport=transport()
                )
        except ConfigError as exc:
            made.problems[Provider.BEPAID] = exc.message
        try:
            if Provider.BEGATEWAY in needed:
                made._beyag = AsyncBeyagClient.from_settings(
                    settings, retry=retry, transport=transport()
                )
        except ConfigError as exc:
            made.problems[Provider.BEGATEWAY] = exc.message
        try:
            if Provider.PAYTURE in needed:
                made._payture = AsyncPaytureClient.from_settings(
                    settings, retry=retry, transport=transport()
                )
        except ConfigError as exc:
            made.problems[Provider.PAYTURE] = exc.message
        return made

    @property
    def bepaid(self) -> AsyncBepaidClient:
        return self._given(self._bepaid, Provider.BEPAID)

    @property
    def beyag(self) -> AsyncBeyagClient:
        return self._given(self._beyag, Provider.BEGATEWAY)

    @property
    def payture(self) -> AsyncPaytureClient:
        return self._given(self._payture, Provider.PAYTURE)

    def _given(self, client: T | None, provider: Provider) -> T:
        if client is None:
            raise ConfigError(self.problems.get(provider, f"{provider.label} is not configured."))
        return client

    async def aclose(self) -> None:
        for client in (self._bepaid, self._beyag, self._payture):
            if client is not None:
                await client.aclose()


class _Pass:
    """One sync pass: bounded concurrent reads, serial writes, errors per object."""

    def __init__(
        self,
        ledger: Ledger,
        actor: Actor,
        clients: AsyncClients,
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
                return await run_plan_async(plan_for(snapshot), self.clients)
            except RateLimited as exc:
                wait = min(exc.retry_after or 1.0, MAX_RATE_LIMIT_PAUSE)
                self.paused_until = max(self.paused_until, time.monotonic() + wait)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _record(self, record: Record, seen: Observation) -> Change:
        return record_observation(self.ledger, record, seen, source="poll", actor=self.actor)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
