"""The ledger: the console's SQLite record of bills, subscriptions, payments and history.

Storage rules, in one place:

* Times are INTEGER Unix epoch **milliseconds, UTC**. The Python API takes and
  returns aware datetimes and refuses naive ones (:mod:`console.ledger._times`).
* Money is INTEGER minor units with an ISO 4217 code beside it; refunds are
  negative payments. Totals are per currency, never across currencies.
* Statuses are :mod:`console.status` values; a late report never regresses a
  final status, and stale or repeated reports append nothing.
* ``status_events`` is append-only: triggers abort any UPDATE or DELETE.
* The schema version is ``PRAGMA user_version``; opening an older file migrates
  it forward in one transaction (:mod:`console.ledger._schema`).
* One connection per thread, WAL, ``BEGIN IMMEDIATE`` writes
  (:mod:`console.ledger._connections`).
* Every provider notification received is a ``notifications`` row with its
  verdict, written in the same transaction as its effects
  (:mod:`console.ledger._notifications`).

The ledger knows SQLite and nothing about HTTP or Streamlit.
"""

from __future__ import annotations

from console.ledger._attempts import Attempt
from console.ledger._bulk import BULK_TABLES
from console.ledger._customers import MAX_PAGE, CurrencyTotals, CustomerSummary
from console.ledger._errors import ConflictingPayment, DuplicateTrackingId, UnknownRecord
from console.ledger._explorer import (
    SORTS,
    CurrencyTotal,
    ExplorerPage,
    ExplorerRow,
    MajorAmount,
    PageKey,
    PaymentFilter,
    Sort,
)
from console.ledger._ledger import Ledger
from console.ledger._lookup import search_terms, url_candidates
from console.ledger._notification_log import (
    EXPORT_CHUNK,
    NotificationFilter,
    NotificationLog,
    NotificationPage,
)
from console.ledger._notifications import NOTIFICATION_KINDS, VERDICTS, Notification
from console.ledger._polling import Checked, CheckTimes, DueItem
from console.ledger._records import (
    BILL_KINDS,
    INTERVAL_UNITS,
    OBJECT_TYPES,
    OUTCOMES,
    PROVIDERS,
    SOURCES,
    AuditEntry,
    Bill,
    Cursor,
    ListPage,
    LookupResult,
    MrrRow,
    NewBill,
    NewSubscription,
    OpenItem,
    OutcomeRow,
    Payment,
    RevenueRow,
    StatusEvent,
    Subscription,
    console_ref,
)
from console.ledger._refunds import REFUND_STATUSES, RefundRow
from console.ledger._schema import MAX_PAYLOAD_CHARS, MIGRATIONS, SCHEMA_VERSION
from console.ledger._sessions import SESSION_METHODS, IdempotencyRow, SessionRow
from console.ledger._subscription_search import COUNT_CAP, SubscriptionQuery
from console.ledger._times import Bucket, bucket_bounds, bucket_of, from_ms, now_ms, to_ms

__all__ = [
    "BILL_KINDS",
    "BULK_TABLES",
    "COUNT_CAP",
    "EXPORT_CHUNK",
    "INTERVAL_UNITS",
    "MAX_PAGE",
    "MAX_PAYLOAD_CHARS",
    "MIGRATIONS",
    "NOTIFICATION_KINDS",
    "OBJECT_TYPES",
    "OUTCOMES",
    "PROVIDERS",
    "REFUND_STATUSES",
    "SCHEMA_VERSION",
    "SESSION_METHODS",
    "SORTS",
    "SOURCES",
    "VERDICTS",
    "Attempt",
    "AuditEntry",
    "Bill",
    "Bucket",
    "CheckTimes",
    "Checked",
    "ConflictingPayment",
    "CurrencyTotal",
    "CurrencyTotals",
    "Cursor",
    "CustomerSummary",
    "DueItem",
    "DuplicateTrackingId",
    "ExplorerPage",
    "ExplorerRow",
    "IdempotencyRow",
    "Ledger",
    "ListPage",
    "LookupResult",
    "MajorAmount",
    "MrrRow",
    "NewBill",
    "NewSubscription",
    "Notification",
    "NotificationFilter",
    "NotificationLog",
    "NotificationPage",
    "OpenItem",
    "OutcomeRow",
    "PageKey",
    "Payment",
    "PaymentFilter",
    "RefundRow",
    "RevenueRow",
    "SessionRow",
    "Sort",
    "StatusEvent",
    "Subscription",
    "SubscriptionQuery",
    "UnknownRecord",
    "bucket_bounds",
    "bucket_of",
    "console_ref",
    "from_ms",
    "now_ms",
    "search_terms",
    "to_ms",
    "url_candidates",
]
