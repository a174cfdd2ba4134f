"""The :class:`Ledger`: one object that holds every ledger operation.

Each group of methods lives in its own module (one idea per file); this class
only puts them together, so callers need one import and one object.
"""

from __future__ import annotations

import os

from console.ledger._attempts import Attempts
from console.ledger._audit import AuditWrites
from console.ledger._base import BUSY_TIMEOUT
from console.ledger._bills import BillWrites
from console.ledger._bulk import BulkWrites
from console.ledger._customers import Customers
from console.ledger._explorer import Explorer
from console.ledger._lookup import Lookups
from console.ledger._notification_log import NotificationLog
from console.ledger._notifications import NotificationWrites
from console.ledger._payments import PaymentWrites
from console.ledger._polling import Polling
from console.ledger._refunds import Refunds
from console.ledger._reports import Reports
from console.ledger._sessions import IdempotencyKeys, Sessions
from console.ledger._subscription_search import SubscriptionSearch
from console.ledger._subscriptions import SubscriptionWrites
from console.ledger._summaries import Progress


class Ledger(
    BillWrites,
    SubscriptionWrites,
    PaymentWrites,
    AuditWrites,
    BulkWrites,
    NotificationWrites,
    Lookups,
    Reports,
):
    """The console's SQLite ledger: bills, subscriptions, payments, status history, audit,
    the provider notifications received, sign-in sessions and idempotency keys.

    Open it once per process (``Ledger("data/ledger.db")``) and use it from any
    thread: each thread gets its own connection. Group writes that belong
    together in ``with ledger.write():``.

    Nine parts have their own names: ``ledger.sessions`` (sign-in sessions),
    ``ledger.idempotency`` (submitted forms' keys), ``ledger.refunds`` (refund
    attempts and refunds), ``ledger.polling`` (the polling schedule and the
    per-provider request budget), ``ledger.attempts`` (what providers said about
    each try to pay), ``ledger.customers`` (everything of one e-mail address),
    ``ledger.subscriptions`` (the subscriptions search, page by page),
    ``ledger.explorer`` (every bill filtered, sorted, paged and totalled per currency:
    the Payments page and its CSV export) and ``ledger.notifications`` (the
    notification log: one with its payload, filtered pages, the export's walk).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = BUSY_TIMEOUT,
        progress: Progress | None = None,
    ) -> None:
        super().__init__(path, busy_timeout=busy_timeout, progress=progress)
        self.sessions = Sessions(self)
        self.idempotency = IdempotencyKeys(self)
        self.refunds = Refunds(self)
        self.polling = Polling(self)
        self.attempts = Attempts(self)
        self.customers = Customers(self)
        self.subscriptions = SubscriptionSearch(self)
        self.explorer = Explorer(self)
        self.notifications = NotificationLog(self)
