"""Status polling: ask the providers about the open bills and subscriptions that are due.

``billing.sync.refresh_open`` — used by the Monitor page's auto-refresh and by
``merchant-console sync [--ledger PATH] [--every SECONDS] [--all]``.

How a pass works:

* **What is due.** Each open object has a next-check time (``ledger.polling``), set
  after every check from what is likely to change (:mod:`console.billing._schedule`: a
  fresh pay link every 5 s, an old one every 2 h, a subscription around its renewal, an
  object whose provider's notifications arrive only as reconciliation). Objects never
  checked are due. Demo rows are never due: they exist at no provider. ``everything``
  (``sync --all``) takes every open object instead, still within the budget.
* **The budget.** Per provider, the pass takes tokens from the ledger's shared bucket
  (``ledger.polling.take``: ``[polling] requests_per_second``, default 10, for every
  process sharing the ledger together) — one per bill, two per subscription — and
  checks only as many due objects as it got tokens for. A quarter of them are the
  most overdue (so nothing waits for ever), the rest the newest (what a payer is
  paying now). What a pass could not check stays due (``report.deferred``). Every
  request actually sent is counted at the transport (retries included); unused
  tokens go back, extra requests (a link found paid needs a second read, a retry) are
  charged, leaving the bucket in debt for later passes. A 429 stops the pass asking
  that provider (its objects not asked yet stay due) and pauses it
  for its ``Retry-After`` (at most 30 s) in the ledger, so no process asks it before
  then either.
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
* One failing object does not stop the others: its error is in the report, and it is
  due again within 30 s.

The :class:`SyncReport` lists what changed (``B12: pending → paid``, new payments),
the objects still being confirmed, the errors per object, how many due objects were
left for a later pass and how many requests went to each provider.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from console.auth import SYNC_ACTOR, Action, Actor
from console.billing._core import Core, Record, utc_now
from console.billing._drive import run_plan_async
from console.billing._observe import Observation, Snapshot, plan_for
from console.billing._record import has_news, object_type_of, record_observation, unchanged
from console.billing._refunds import Refunds
from console.billing._results import Change
from console.billing._schedule import NOTIFIED_WINDOW, after_error, next_check
from console.config import Settings
from console.errors import ConfigError, ConsoleError
from console.ledger import Checked, DueItem, Ledger
from console.providers import (
    AsyncBepaidClient,
    AsyncBeyagClient,
    AsyncPaytureClient,
    ProviderError,
    RateLimited,
    RetryPolicy,
)
from console.status import is_final
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
    deferred: int = 0  # due objects left for a later pass (over the budget)
    requests: dict[str, int] = field(default_factory=dict)  # per provider, retries included

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
            f"{self.started_at:%Y-%m-%d %H:%M:%S} sync: {self.checked} due checked in "
            f"{self.duration:.1f} s ({sum(self.requests.values())} requests), "
            f"{self.deferred} left for later: {len(self.status_changes)} status changes, "
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
        everything: bool = False,
    ) -> SyncReport:
        """Refresh the open bills and subscriptions that are due (``everything``: every
        open one), within the polling budget; return the report.

        Blocking: runs its own event loop (in a helper thread when the caller already
        has one running). ``retry`` goes to the async clients (tests pass one that does
        not wait between attempts).

        Raises:
            PermissionDenied: ``actor`` may not refresh (audited as refused).
        """
        work = self.refresh_open_async(
            actor, concurrency=concurrency, retry=retry, limit=limit, everything=everything
        )
        return _run(work)

    async def refresh_open_async(
        self,
        actor: Actor = SYNC_ACTOR,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        retry: RetryPolicy | None = None,
        limit: int = DEFAULT_LIMIT,
        everything: bool = False,
    ) -> SyncReport:
        """The async body of :meth:`refresh_open`, for callers that run an event loop."""
        core = self._core
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError("concurrency must be a whole number of at least 1.")
        core.require(actor, Action.REFRESH, "sync")
        report = SyncReport(started_at=core.now())
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(1, thread_name_prefix="ledger-writer") as writer:
            chosen = await loop.run_in_executor(writer, self._choose, limit, everything, report)
            needed = {snapshot.record.provider for snapshot in chosen.snapshots}
            clients = AsyncClients.open(core.settings, needed, retry, concurrency)
            run = _Pass(core.ledger, actor, clients, writer, concurrency, report, core.now)
            try:
                await asyncio.gather(*(run.refresh(snapshot) for snapshot in chosen.snapshots))
            finally:
                await clients.aclose()
                report.requests = {str(p): n for p, n in clients.sent.items()}
                await loop.run_in_executor(writer, self._settle, chosen, run, report)
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

    def _choose(self, limit: int, everything: bool, report: SyncReport) -> _Chosen:
        """The due objects this pass checks, within each provider's budget (see the
        module docstring), with the payment ids already recorded for each."""
        core = self._core
        ledger, now = core.ledger, core.now()
        due = ledger.polling.due(now + (_EVERYTHING if everything else _SLACK), limit=limit)
        by_provider: dict[str, list[DueItem]] = {}
        for item in due:
            by_provider.setdefault(item.provider, []).append(item)
        chosen = _Chosen(now=now, notified=ledger.polling.notified_since(now - NOTIFIED_WINDOW))
        for provider, items in by_provider.items():
            ordered = _by_urgency(items, now)
            want = sum(_cost(item) for item in ordered)
            granted = ledger.polling.take(provider, want, **core.budget(now))
            chosen.granted[provider] = granted
            spend = 0
            for item in ordered:
                if spend + _cost(item) > granted:
                    break
                spend += _cost(item)
                snapshot = self._snapshot(item, now)
                if snapshot is not None:
                    chosen.snapshots.append(snapshot)
        report.checked = len(chosen.snapshots)
        report.deferred = len(due) - len(chosen.snapshots)
        return chosen

    def _snapshot(self, item: DueItem, now: datetime) -> Snapshot | None:
        ledger = self._core.ledger
        record: Record | None
        if item.object_type == ObjectType.BILL:
            record = ledger.get_bill(item.id)
        else:
            record = ledger.get_subscription(item.id)
        if record is None:
            return None
        paid = ledger.payments_of(item.object_type, item.id)
        known = frozenset(p.provider_txn_id for p in paid)
        return Snapshot(record, known, now, self._core.creating_grace)

    def _settle(self, chosen: _Chosen, run: _Pass, report: SyncReport) -> None:
        """After the pass: the budget squared with what was sent, each checked object's
        next check stored, a provider's Retry-After shared with every process."""
        core = self._core
        polling, now = core.ledger.polling, chosen.now  # checks count from the pass's start
        for provider, granted in chosen.granted.items():
            sent = report.requests.get(provider, 0)
            if sent < granted:
                polling.give_back(provider, granted - sent, **core.budget(now))
            elif sent > granted:
                polling.charge(provider, sent - granted, **core.budget(now))
        for provider, until in run.paused.items():
            polling.pause(provider, until)
        failed = {error.ref for error in report.errors}
        checks = []
        for snapshot in chosen.snapshots:
            if snapshot.record.ref in run.skipped:
                continue  # not asked: still due
            record = core.find(snapshot.record)
            if is_final(record.status):
                continue
            notified = record.provider in chosen.notified
            if record.ref in failed:
                due = after_error(record, now, notified=notified)
                checks.append(Checked(object_type_of(record), record.id, None, due))
            else:
                due = next_check(record, now, notified=notified)
                checks.append(Checked(object_type_of(record), record.id, now, due))
        polling.record(checks)


#: ``everything``: a "now" so late that every open object is due.
_EVERYTHING = timedelta(days=365 * 100)
#: A check due this soon is made now: a link checked every 5 s by a Monitor refreshing
#: every 5 s must not miss a pass because the timer fired a moment early.
_SLACK = timedelta(seconds=1)
#: The share of a pass's budget spent on the most overdue objects (the rest: newest).
_OVERDUE_SHARE = 4


@dataclass
class _Chosen:
    """What one pass checks: the snapshots, the tokens taken per provider, and the
    providers whose notifications arrive."""

    now: datetime
    notified: set[str]
    snapshots: list[Snapshot] = field(default_factory=list)
    granted: dict[str, int] = field(default_factory=dict)


def _cost(item: DueItem) -> int:
    """Tokens taken for an object's check: one for a bill (an unpaid link, APM payment or
    Payture bill is one read; the second read of a link found paid is charged after the
    pass), two for a subscription (its state, then its charges)."""
    return 1 if item.object_type == ObjectType.BILL else 2


def _by_urgency(items: list[DueItem], now: datetime) -> list[DueItem]:
    """Every fourth the most overdue (never checked: overdue since it was made), the
    others the newest first — so fresh links are checked at once and nothing waits for
    ever behind them."""
    overdue = sorted(items, key=lambda item: item.next_check_at or item.created_at)
    newest = sorted(items, key=lambda item: item.created_at, reverse=True)
    ordered: list[DueItem] = []
    taken: set[tuple[str, int]] = set()
    old, new = iter(overdue), iter(newest)
    while len(ordered) < len(items):
        source = old if len(ordered) % _OVERDUE_SHARE == 0 else new
        for item in source:
            key = (item.object_type, item.id)
            if key not in taken:
                taken.add(key)
                ordered.append(item)
                break
    return ordered


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to completion from blocking code, whether or not a loop is running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(1, thread_name_prefix="sync") as helper:
        return helper.submit(asyncio.run, work).result()


#: Where :class:`AsyncClients` keeps each provider's client.
_SLOT = {Provider.BEPAID: "_bepaid", Provider.BEGATEWAY: "_beyag", Provider.PAYTURE: "_payture"}


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
        self.sent: dict[Provider, int] = {}  # requests per provider, retries included

    @classmethod
    def open(
        cls, settings: Settings, needed: set[Provider], retry: RetryPolicy | None, concurrency: int
    ) -> AsyncClients:
        """Clients for the providers ``needed``, each with its own pool of ``concurrency``
        kept-alive connections over one process-wide TLS context (building a context
        costs tens of milliseconds, too much to repeat on every auto-refresh)."""
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        made = cls()

        def transport(provider: Provider) -> _Counted:
            inner = httpx.AsyncHTTPTransport(verify=_tls_context(), limits=limits)
            return _Counted(inner, made.sent, provider)

        kinds: dict[Provider, Any] = {
            Provider.BEPAID: AsyncBepaidClient,
            Provider.BEGATEWAY: AsyncBeyagClient,
            Provider.PAYTURE: AsyncPaytureClient,
        }
        for provider in needed:
            try:
                client = kinds[provider].from_settings(
                    settings, retry=retry, transport=transport(provider)
                )
            except ConfigError as exc:
                made.problems[provider] = exc.message
                continue
            setattr(made, _SLOT[provider], client)
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


class _Counted(httpx.AsyncBaseTransport):
    """A transport that counts every request it sends (each retry too) per provider."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, sent: dict[Provider, int], provider: Provider
    ) -> None:
        self._inner, self._sent, self._provider = inner, sent, provider

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._sent[self._provider] = self._sent.get(self._provider, 0) + 1
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


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
        clock: Callable[[], datetime],
    ) -> None:
        self.ledger = ledger
        self.actor = actor
        self.clients = clients
        self.writer = writer
        self.slots = asyncio.Semaphore(concurrency)
        self.report = report
        self.clock = clock
        self.paused: dict[str, datetime] = {}  # provider -> its Retry-After, for the ledger
        self.skipped: set[str] = set()  # refs not asked: their provider said to wait

    async def refresh(self, snapshot: Snapshot) -> None:
        record = snapshot.record
        try:
            async with self.slots:
                if str(record.provider) in self.paused:  # a 429 came meanwhile: wait
                    self.skipped.add(record.ref)
                    self.report.deferred += 1
                    return
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
        try:
            return await run_plan_async(plan_for(snapshot), self.clients)
        except RateLimited as exc:
            # The provider said how long to wait: nothing more is asked of it in this pass,
            # and the ledger keeps every process from asking before then.
            wait = min(exc.retry_after or 1.0, MAX_RATE_LIMIT_PAUSE)
            until = self.clock() + timedelta(seconds=wait)
            provider = str(snapshot.record.provider)
            self.paused[provider] = max(self.paused.get(provider, until), until)
            raise

    def _record(self, record: Record, seen: Observation) -> Change:
        return record_observation(self.ledger, record, seen, source="poll", actor=self.actor)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
