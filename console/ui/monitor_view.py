"""What the Monitor page shows, computed without Streamlit: one *look* at the open items,
what changed since the previous look, and a process-wide gate for provider syncs.

A :class:`Look` is the open list (newest first), the counts per status, and the
recently finished items. :func:`take_look` compares it with the statuses of the
previous look (the page keeps them in session state) and returns the changes —
``B12: pending → paid`` — for the toast and the highlight. Changes are found by
comparing the ledger with itself, not from a sync report, so a status moved by a
webhook, by ``merchant-console sync`` or by another person's session is announced
the same way as one found by this page's own sync.

Decisions:

* An item that left the open list was finished (or its row vanished): its current
  status is read back with ``get_bill`` / ``get_subscription`` — a few point reads.
* Counts are exact, per (object type, status), from ``Ledger.open_counts`` (a SQL
  count over the open-status partial indexes). Status changes are watched among
  the newest :data:`OPEN_LIMIT` open items of each type: a demo ledger of a million
  bills has ~50,000 open ones, and diffing them all on every refresh cost seconds.
* "Recently finished" is the newest status events that moved an object into a
  final status (a provider-status-only event such as Payture PAID → DONE is not a
  finish), filtered like the open list.
* :class:`SyncGate`: every open Monitor tab re-runs its fragment every few seconds;
  without a gate, ten tabs would start ten provider passes per interval. One gate
  per ledger file lets one pass run at a time and reuses a pass younger than
  :data:`MIN_PASS_SPACING`; "Refresh now" skips the spacing but not the lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from console.auth import Actor
from console.billing import SyncReport
from console.explain import duration_words
from console.ledger import CheckTimes, Ledger, OpenItem, RefundRow, StatusEvent
from console.status import is_final, parse_status

#: Open items read per object type on each look (newest first); status changes are
#: detected among these. Counts are exact whatever this is (a SQL count), and items
#: older than this window that finish still appear under "Recently finished".
OPEN_LIMIT = 2_000
#: Rows of the open list drawn on the page (newest first).
SHOWN_LIMIT = 1_000
#: Finished items listed under "Recently finished".
FINISHED_SHOWN = 10
#: How many recent status events are searched for finishes.
EVENTS_SCANNED = 300
#: A pass younger than this is reused by another tab instead of starting a new one.
MIN_PASS_SPACING = 3.0
#: How long a changed row stays highlighted.
HIGHLIGHT_FOR = timedelta(seconds=60)

OBJECT_LABEL = {"bill": "bills", "subscription": "subscriptions"}


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One object whose status differs from the previous look (``before`` None: new)."""

    ref: str
    before: str | None
    after: str
    seen_at: datetime

    @property
    def text(self) -> str:
        if self.before is None:
            return f"{self.ref}: new, {self.after}"
        return f"{self.ref}: {self.before} → {self.after}"

    @property
    def finished(self) -> bool:
        return is_final(parse_status(self.after))


@dataclass(frozen=True, slots=True)
class Finished:
    """An object that reached a final status recently (from its status event)."""

    ref: str
    object_type: str
    kind: str
    provider: str
    before: str | None
    status: str
    native_status: str | None
    amount: int
    currency: str
    at: datetime
    why: str = ""  # the provider's words when it failed (the newest attempt)


@dataclass(frozen=True)
class Look:
    """The open items and their counts at one moment, and what changed since the last look."""

    taken_at: datetime
    filters: tuple[str | None, str | None]
    items: list[OpenItem]  # newest first, at most SHOWN_LIMIT
    total: int  # open items matching the filters (exact)
    truncated: bool  # more open items than read: changes are watched among the newest
    counts: dict[tuple[str, str], int]  # (object_type, status) -> open items (exact)
    statuses: dict[str, str]  # ref -> status of every open item read
    finished: list[Finished]
    changes: list[StatusChange] = field(default_factory=list)
    refunds: list[RefundRow] = field(default_factory=list)  # newest first, filtered
    checks: dict[str, CheckTimes] = field(default_factory=dict)  # ref -> polling times

    @property
    def empty(self) -> bool:
        return not self.items and not self.finished


def take_look(
    ledger: Ledger,
    *,
    provider: str | None = None,
    kind: str | None = None,
    previous: Mapping[str, str] | None = None,
    now: datetime | None = None,
    open_limit: int = OPEN_LIMIT,
    shown_limit: int = SHOWN_LIMIT,
) -> Look:
    """Read the open items (filtered), count them, and diff them against ``previous``.

    ``previous`` maps refs to the statuses of the last look with the *same filters*;
    None means there is nothing to compare with (first look): no changes are reported.
    """
    taken_at = now or datetime.now(UTC)
    read = ledger.open_items(provider, kind, limit=open_limit, now=taken_at, newest_first=True)
    counts = ledger.open_counts(provider, kind)
    per_type: dict[str, int] = {}
    for item in read:
        per_type[item.object_type] = per_type.get(item.object_type, 0) + 1
    statuses = {item.ref: item.status.value for item in read}
    newest_first = sorted(read, key=lambda item: item.created_at, reverse=True)
    changes = [] if previous is None else _changes(ledger, previous, statuses, taken_at)
    return Look(
        taken_at=taken_at,
        filters=(provider, kind),
        items=newest_first[:shown_limit],
        total=sum(counts.values()),
        truncated=any(count >= open_limit for count in per_type.values()),
        counts=counts,
        statuses=statuses,
        finished=recently_finished(ledger, provider=provider, kind=kind),
        changes=changes,
        refunds=recent_refunds(ledger, provider=provider, kind=kind),
        checks=check_times(ledger, newest_first[:shown_limit]),
    )


def check_times(ledger: Ledger, items: Sequence[OpenItem]) -> dict[str, CheckTimes]:
    """When each shown item was last asked about and is next due (``ledger.polling``)."""
    found: dict[str, CheckTimes] = {}
    for object_type in ("bill", "subscription"):
        ids = [item.id for item in items if item.object_type == object_type]
        for object_id, times in ledger.polling.times(object_type, ids).items():
            found[f"{'B' if object_type == 'bill' else 'S'}{object_id}"] = times
    return found


def checked_words(times: CheckTimes | None, now: datetime) -> tuple[str, str]:
    """(``checked 12 s ago``, ``next check in 3 min``) for one open item; a demo row or
    one not asked about yet says so."""
    if times is None:
        return "not yet", "due now"
    checked = (
        "not yet" if times.last_checked_at is None else f"{_span(now - times.last_checked_at)} ago"
    )
    left = times.next_check_at - now
    upcoming = "due now" if left.total_seconds() < 1 else f"in {_span(left)}"
    return checked, upcoming


def _span(span: timedelta) -> str:
    """``12 s`` under a minute, else :func:`~console.explain.duration_words`."""
    seconds = int(abs(span.total_seconds()))
    return f"{seconds} s" if seconds < 60 else duration_words(span)


def _changes(
    ledger: Ledger, previous: Mapping[str, str], current: Mapping[str, str], at: datetime
) -> list[StatusChange]:
    changes = []
    for ref, status in current.items():
        before = previous.get(ref)
        if before != status:
            changes.append(StatusChange(ref, before, status, at))
    for ref, before in previous.items():
        if ref in current:
            continue
        after = _current_status(ledger, ref)
        if after is not None and after != before:
            changes.append(StatusChange(ref, before, after, at))
    return sorted(changes, key=lambda change: (change.ref[0], int(change.ref[1:])))


def _current_status(ledger: Ledger, ref: str) -> str | None:
    object_id = int(ref[1:])
    record = ledger.get_bill(object_id) if ref[0] == "B" else ledger.get_subscription(object_id)
    return None if record is None else record.status.value


def recently_finished(
    ledger: Ledger,
    *,
    provider: str | None = None,
    kind: str | None = None,
    limit: int = FINISHED_SHOWN,
    scanned: int = EVENTS_SCANNED,
) -> list[Finished]:
    """The newest objects that entered a final status, newest first (one row per object)."""
    found: list[Finished] = []
    seen: set[str] = set()
    for event in ledger.recent_events(scanned):
        if len(found) >= limit:
            break
        if event.ref in seen or event.from_status == event.to_status:
            continue
        if not is_final(parse_status(event.to_status)):
            continue
        seen.add(event.ref)
        finished = _finished(ledger, event)
        if finished is None:
            continue
        if provider is not None and finished.provider != provider:
            continue
        if kind is not None and finished.kind != kind:
            continue
        found.append(finished)
    return _with_reasons(ledger, found)


def _with_reasons(ledger: Ledger, found: list[Finished]) -> list[Finished]:
    """Failed items get the provider's words for why (their newest attempt)."""
    failed = [f for f in found if f.status in ("failed", "past_due", "error", "mismatch")]
    reasons: dict[str, str] = {}
    for object_type in ("bill", "subscription"):
        ids = [int(f.ref[1:]) for f in failed if f.object_type == object_type]
        for object_id, attempt in ledger.attempts.latest(object_type, ids).items():
            if attempt.failed and attempt.reason:
                reasons[f"{'B' if object_type == 'bill' else 'S'}{object_id}"] = attempt.reason
    return [replace(f, why=reasons.get(f.ref, "")) for f in found]


#: Which refunds belong to a kind filter: card pay links are bePaid bills, APM payments
#: beGateway bills, subscription charges are bePaid's (Payture bills have no refunds).
_REFUND_KIND = {
    "card_link": lambda r: r.bill_id is not None and r.provider == "bepaid",
    "apm": lambda r: r.provider == "begateway",
    "payture_bill": lambda r: False,
    "subscription": lambda r: r.subscription_id is not None,
}


def recent_refunds(
    ledger: Ledger,
    *,
    provider: str | None = None,
    kind: str | None = None,
    limit: int = FINISHED_SHOWN,
) -> list[RefundRow]:
    """The newest refund attempts matching the filters, newest first: attempts still
    being confirmed stay in view until they are known."""
    keep = _REFUND_KIND.get(kind or "", lambda r: True)
    rows = ledger.refunds.recent(limit * 5)
    waiting = [r for r in ledger.refunds.creating() if r not in rows]
    found = [
        refund
        for refund in [*rows, *waiting]
        if (provider is None or refund.provider == provider) and keep(refund)
    ]
    found.sort(key=lambda r: (r.status != "creating", -r.created_at.timestamp(), -r.id))
    return found[:limit]


def _finished(ledger: Ledger, event: StatusEvent) -> Finished | None:
    if event.object_type == "bill":
        bill = ledger.get_bill(event.object_id)
        if bill is None:
            return None
        kind: str = bill.kind
        provider, amount, currency = bill.provider, bill.amount, bill.currency
    else:
        sub = ledger.get_subscription(event.object_id)
        if sub is None:
            return None
        kind, provider, amount, currency = "subscription", sub.provider, sub.amount, sub.currency
    return Finished(
        ref=event.ref,
        object_type=event.object_type,
        kind=kind,
        provider=provider,
        before=event.from_status,
        status=event.to_status,
        native_status=event.native_status,
        amount=amount,
        currency=currency,
        at=event.at,
    )


def count_label(object_type: str, status: str) -> str:
    """``pending bills``, ``past due subscriptions``."""
    return f"{status.replace('_', ' ')} {OBJECT_LABEL[object_type]}"


def count_deltas(
    counts: Mapping[tuple[str, str], int], before: Mapping[tuple[str, str], int] | None
) -> dict[tuple[str, str], int | None]:
    """Change of each count since the previous look (None when there is nothing to compare)."""
    if before is None:
        return dict.fromkeys(counts)
    keys = set(counts) | set(before)
    return {key: counts.get(key, 0) - before.get(key, 0) for key in keys}


def still_highlighted(
    changes: Sequence[StatusChange], now: datetime, keep: timedelta = HIGHLIGHT_FOR
) -> list[StatusChange]:
    """The changes seen within ``keep`` of ``now`` (the rest stop being highlighted)."""
    return [change for change in changes if now - change.seen_at < keep]


# -- provider syncs ------------------------------------------------------------------


@dataclass(frozen=True)
class SyncOutcome:
    """What the gate did for one request: ran a pass, reused one, or skipped."""

    report: SyncReport | None
    ran: bool
    note: str


class SyncGate:
    """One provider pass at a time per ledger, shared by every Monitor session.

    Thread-safe. ``run`` never waits for another session's pass: it returns at once
    with the last report and a note, and the page shows what the ledger holds.
    """

    def __init__(
        self,
        spacing: float = MIN_PASS_SPACING,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spacing = spacing
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last_started: float | None = None
        self.last_report: SyncReport | None = None

    def run(
        self, refresh: Callable[[Actor], SyncReport], actor: Actor, *, force: bool = False
    ) -> SyncOutcome:
        """Run ``refresh`` (``billing.sync.refresh_open``) unless a pass is running or one
        just ran.

        Raises what ``refresh`` raises (PermissionDenied for a role that may not
        refresh: the page does not call it for those).
        """
        if not self._lock.acquire(blocking=False):
            return SyncOutcome(self.last_report, False, "another session is checking providers")
        try:
            now = self._monotonic()
            recent = self._last_started is not None and now - self._last_started < self.spacing
            if recent and not force:
                return SyncOutcome(self.last_report, False, "checked providers moments ago")
            self._last_started = now
            report = refresh(actor)
            self.last_report = report
            return SyncOutcome(report, True, "checked providers")
        finally:
            self._lock.release()
