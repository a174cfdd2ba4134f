"""The receiver's one ledger writer: notices that arrive together commit together.

Every ledger write of the receiver runs in a worker thread, one at a time (an
:class:`anyio.Lock`): writers of one process would otherwise queue inside SQLite's
busy handler, which sleeps in steps of up to 100 ms. Writers in other processes
(the console, the sync job) still wait on the lock through the ledger's busy
timeout.

**Group commit.** While one write runs, the notices that arrive meanwhile wait for
the slot; the first of them to get it applies *all* that are waiting (up to
:data:`MAX_NOTICES_PER_COMMIT`) in one write transaction — each in its own
savepoint, as :func:`~console.webhooks.apply_notice` nests — and one thread
hand-off. A notice alone is one transaction, exactly as before; under load the
per-transaction costs (``BEGIN IMMEDIATE``, writing the WAL frames at ``COMMIT``,
the trip to the worker thread and back) are shared. Profiled, those were about a
third of the receiver's time per notification (README, "Measured speed").

What a notice's sender is promised does not change: its 200 is sent only after
the transaction holding its verdict row has committed, and the verdict is what it
would have been alone (a later notice in the same transaction sees the earlier
ones, as it would have after their commits).

When the shared transaction fails (a write error, a full disk, a ``COMMIT`` that
does not go through), nothing of it is committed and every notice is applied
again on its own, so only a notice that fails by itself is answered 500 — as
when each had its own transaction. When the write lock cannot even be taken
(another process held it past the busy timeout) they all fail at once: trying
each in turn would only wait that long again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from console.ledger import Ledger
from console.notices import Delivery, Notice, Verdict, apply_notice

T = TypeVar("T")

#: Most notices applied in one transaction: bounds how long the receiver holds the
#: write lock (a few ms) while other processes wait for it.
MAX_NOTICES_PER_COMMIT = 64


@dataclass(eq=False, slots=True)
class _Waiting:
    """A notice waiting for its transaction, and what became of it."""

    notice: Notice
    delivery: Delivery | None
    done: bool = False
    verdict: Verdict | None = None
    error: BaseException | None = field(default=None, repr=False)


class LedgerWriter:
    """Runs the receiver's ledger writes, one at a time, in a worker thread."""

    def __init__(self, ledger: Ledger, *, max_per_commit: int = MAX_NOTICES_PER_COMMIT) -> None:
        self.ledger = ledger
        self.max_per_commit = max_per_commit
        #: Write transactions that applied notices (a notice retried alone counts again).
        self.commits = 0
        self._waiting: list[_Waiting] = []
        self._slot: anyio.Lock | None = None

    @property
    def waiting(self) -> int:
        """Notices queued for the next transaction."""
        return len(self._waiting)

    async def apply(self, notice: Notice, delivery: Delivery | None = None) -> Verdict:
        """Apply ``notice`` and record its verdict (with ``delivery``: when it arrived, its
        digest and masked payload); return once that has committed.

        Raises:
            LedgerError, sqlite3.Error: its write failed; nothing of it was committed.
        """
        waiting = _Waiting(notice, delivery)
        self._waiting.append(waiting)
        try:
            async with self._lock():
                while not waiting.done:  # a slot holder before us may have taken it already
                    if waiting not in self._waiting:  # a bug, not a state: fail, do not spin
                        raise RuntimeError("a notice left the writer's queue unapplied")
                    await self._commit_next_group(waiting)
        except BaseException:
            if waiting in self._waiting:  # cancelled before its turn: never applied
                self._waiting.remove(waiting)
            raise
        if waiting.error is not None:
            raise waiting.error
        assert waiting.verdict is not None
        return waiting.verdict

    async def _commit_next_group(self, leader: _Waiting) -> None:
        group = self._waiting[: self.max_per_commit]
        del self._waiting[: len(group)]
        try:
            await anyio.to_thread.run_sync(self._commit, group)
        except BaseException:
            # Cancelled before the thread started: the others in the group still wait
            # for their turn, and get it next; the leader's own notice is dropped.
            self._waiting[:0] = [w for w in group if not w.done and w is not leader]
            raise

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run another write (a rejection, an unreadable body, a Payture notice) in the slot."""
        async with self._lock():
            return await anyio.to_thread.run_sync(partial(function, *args, **kwargs))

    def _lock(self) -> anyio.Lock:
        # Created on first use, inside the event loop that serves the requests.
        if self._slot is None:
            self._slot = anyio.Lock()
        return self._slot

    # -- in the worker thread ------------------------------------------------------

    def _commit(self, group: list[_Waiting]) -> None:
        """Apply ``group``; every notice in it is done afterwards, with a verdict or an error."""
        try:
            self._commit_group(group)
        except BaseException as exc:  # not an Exception: stop, but leave no notice unanswered
            for waiting in group:
                if not waiting.done:
                    waiting.error, waiting.done = exc, True
            raise

    def _commit_group(self, group: list[_Waiting]) -> None:
        """Apply ``group`` in one transaction; when that fails, each notice on its own."""
        if len(group) > 1:
            began = False
            try:
                with self.ledger.write():
                    began = True
                    verdicts = [self._apply(waiting) for waiting in group]
            except Exception as exc:
                if not began:  # the write lock was not free: every notice fails alike
                    for waiting in group:
                        waiting.error, waiting.done = exc, True
                    return
            else:
                self.commits += 1
                for waiting, verdict in zip(group, verdicts, strict=True):
                    waiting.verdict, waiting.done = verdict, True
                return
        for waiting in group:
            try:
                waiting.verdict = self._apply(waiting)
                self.commits += 1
            except Exception as exc:
                waiting.error = exc
            waiting.done = True

    def _apply(self, waiting: _Waiting) -> Verdict:
        return apply_notice(self.ledger, waiting.notice, waiting.delivery)
