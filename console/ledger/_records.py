"""What the ledger hands out: small frozen dataclasses, and the vocabularies it checks.

Rows come back typed — statuses as :mod:`console.status` members, times as aware
UTC datetimes, JSON columns as dicts — so pages never parse a column themselves.
A list of these dataclasses goes straight into ``pandas.DataFrame``.

Console references: a bill is shown as ``B<id>`` and a subscription as ``S<id>``
(``B123``, ``S45``); :func:`console_ref` builds them and ``lookup`` accepts them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from console.ledger._times import from_ms
from console.money import Money
from console.status import BillStatus, SubscriptionStatus
from console.vocabulary import SUBSCRIPTION_CHANNEL, BillKind, ObjectType, Provider

Source = Literal["console", "poll", "webhook"]
Outcome = Literal["ok", "refused", "failed", "started"]
IntervalUnit = Literal["hour", "day", "month"]

PROVIDERS: tuple[str, ...] = tuple(Provider)
BILL_KINDS: tuple[str, ...] = tuple(BillKind)
CHANNELS: tuple[str, ...] = (*BILL_KINDS, SUBSCRIPTION_CHANNEL)
OBJECT_TYPES: tuple[str, ...] = tuple(ObjectType)
SOURCES: tuple[str, ...] = ("console", "poll", "webhook")
OUTCOMES: tuple[str, ...] = ("ok", "refused", "failed", "started")
INTERVAL_UNITS: tuple[str, ...] = ("hour", "day", "month")

_REF_PREFIX = {"bill": "B", "subscription": "S"}


def console_ref(object_type: str, object_id: int) -> str:
    """The console's short reference: ``B123`` for bill 123, ``S45`` for subscription 45."""
    return f"{_REF_PREFIX[object_type]}{object_id}"


@dataclass(frozen=True, slots=True)
class NewBill:
    """A bill to record (``Ledger.create_bill``); it starts ``creating`` (before the provider
    is asked) or ``pending`` (an import, the demo)."""

    provider: Provider
    kind: BillKind
    tracking_id: str
    amount: int
    currency: str
    description: str | None = None
    customer_email: str | None = None
    status: BillStatus = BillStatus.CREATING
    test: bool | None = None
    demo: bool = False
    expires_at: datetime | None = None
    extra: Mapping[str, Any] | None = None
    subscription_id: int | None = None
    source: str = "console"
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewSubscription:
    """A subscription to record (``Ledger.create_subscription``), ``creating`` or ``pending``."""

    tracking_id: str
    amount: int
    currency: str
    interval: int
    interval_unit: str
    provider: Provider = Provider.BEPAID
    plan_id: str | None = None
    plan_title: str | None = None
    trial_interval: int | None = None
    trial_unit: str | None = None
    customer_email: str | None = None
    status: SubscriptionStatus = SubscriptionStatus.CREATING
    test: bool | None = None
    demo: bool = False
    extra: Mapping[str, Any] | None = None
    source: str = "console"
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Bill:
    """A one-off payment of any kind (card pay link, APM payment, Payture bill)."""

    id: int
    provider: Provider
    kind: BillKind
    tracking_id: str
    provider_id: str | None
    token: str | None
    pay_url: str | None
    amount: int
    currency: str
    description: str | None
    customer_email: str | None
    status: BillStatus
    native_status: str | None
    test: bool | None
    demo: bool
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    paid_at: datetime | None
    form: dict[str, Any] | None
    extra: dict[str, Any]
    subscription_id: int | None

    @property
    def ref(self) -> str:
        return console_ref("bill", self.id)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A recurring bePaid subscription."""

    id: int
    provider: Provider
    provider_id: str | None
    tracking_id: str
    token: str | None
    pay_url: str | None
    plan_id: str | None
    plan_title: str | None
    amount: int
    currency: str
    interval: int
    interval_unit: str
    trial_interval: int | None
    trial_unit: str | None
    customer_email: str | None
    status: SubscriptionStatus
    native_status: str | None
    test: bool | None
    demo: bool
    paid_cycles: int
    renew_at: datetime | None
    active_to: datetime | None
    created_at: datetime
    updated_at: datetime
    canceled_at: datetime | None
    cancel_reason: str | None
    extra: dict[str, Any]
    #: The provider's time of the newest notice applied (ordering late notices).
    last_notice_at: datetime | None = None

    @property
    def ref(self) -> str:
        return console_ref("subscription", self.id)


@dataclass(frozen=True, slots=True)
class Payment:
    """One money movement: a charge (positive) or a refund (negative amount)."""

    id: int
    bill_id: int | None
    subscription_id: int | None
    provider: str
    provider_txn_id: str
    kind: str  # charge or refund
    channel: str  # card_link, apm, payture_bill or subscription
    amount: int
    currency: str
    at: datetime
    demo: bool
    #: For a refund: the charge it gives back (``None`` for charges and older refunds).
    parent_id: int | None = None

    @property
    def ref(self) -> str:
        """``P17``: how pages and people name one payment."""
        return f"P{self.id}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One entry of an object's append-only status history."""

    id: int
    object_type: str
    object_id: int
    from_status: str | None
    to_status: str
    native_status: str | None
    source: str
    at: datetime
    detail: str | None

    @property
    def ref(self) -> str:
        return console_ref(self.object_type, self.object_id)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what to which object, and how it went."""

    id: int
    at: datetime
    actor: str
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    origin: str | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class OpenItem:
    """A bill or subscription that is not final yet, as the monitor shows it."""

    ref: str
    object_type: str
    id: int
    provider: str
    kind: str  # the bill's kind, or "subscription"
    tracking_id: str
    provider_id: str | None
    status: BillStatus | SubscriptionStatus
    native_status: str | None
    amount: int
    currency: str
    customer_email: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    age: timedelta  # now - created_at
    expires_in: timedelta | None  # expires_at - now; negative once overdue


@dataclass(frozen=True, slots=True)
class LookupResult:
    """Everything a support search matched, newest first."""

    bills: list[Bill] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.bills or self.subscriptions)


T = TypeVar("T")
#: Where a keyset page ended: the sort key of its last row (``(id,)`` or ``(at_ms, id)``).
#: Opaque to callers: hand it back as ``before=`` for the rows after it.
Cursor = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ListPage(Generic[T]):
    """One page of a long list, newest first, read by keyset (never ``OFFSET``).

    ``older`` is the cursor of the next page (pass it as ``before=``), or None when
    this page is the last."""

    rows: list[T]
    older: Cursor | None = None


@dataclass(frozen=True, slots=True)
class RevenueRow:
    """Net money of one currency in one local bucket (refunds already subtracted)."""

    bucket_start: date
    currency: str
    group: str | None  # provider or kind when grouped, else None
    total_minor: int
    count: int  # payments rows in the bucket: charges and refunds


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """How many bills created in one local bucket are now in one status."""

    bucket_start: date
    status: BillStatus
    count: int


@dataclass(frozen=True, slots=True)
class MrrRow:
    """Monthly recurring revenue of one currency."""

    currency: str
    mrr_minor: int
    subscriptions: int


def dumps(value: Mapping[str, Any] | None) -> str | None:
    """JSON for a ``*_json`` column (None stays NULL)."""
    if value is None:
        return None
    return json.dumps(dict(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def loads(text: str | None) -> dict[str, Any] | None:
    return None if text is None else json.loads(text)


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


BILL_COLUMNS = (
    "id, provider, kind, tracking_id, provider_id, token, pay_url, amount, currency, "
    "description, customer_email, status, native_status, test, demo, created_at, updated_at, "
    "expires_at, paid_at, form_json, extra_json, subscription_id"
)

SUBSCRIPTION_COLUMNS = (
    "id, provider, provider_id, tracking_id, token, pay_url, plan_id, plan_title, amount, "
    "currency, interval, interval_unit, trial_interval, trial_unit, customer_email, status, "
    "native_status, test, demo, paid_cycles, renew_at, active_to, created_at, updated_at, "
    "canceled_at, cancel_reason, extra_json, last_notice_at"
)

PAYMENT_COLUMNS = (
    "id, bill_id, subscription_id, provider, provider_txn_id, kind, channel, amount, currency,"
    " at, demo, parent_id"
)
EVENT_COLUMNS = (
    "id, object_type, object_id, from_status, to_status, native_status, source, at, detail"
)
AUDIT_COLUMNS = "id, at, actor, action, object_type, object_id, outcome, origin, detail"


def bill_from_row(row: sqlite3.Row) -> Bill:
    return Bill(
        id=row["id"],
        provider=Provider(row["provider"]),
        kind=BillKind(row["kind"]),
        tracking_id=row["tracking_id"],
        provider_id=row["provider_id"],
        token=row["token"],
        pay_url=row["pay_url"],
        amount=row["amount"],
        currency=row["currency"],
        description=row["description"],
        customer_email=row["customer_email"],
        status=BillStatus(row["status"]),
        native_status=row["native_status"],
        test=_flag(row["test"]),
        demo=bool(row["demo"]),
        created_at=from_ms(row["created_at"]),
        updated_at=from_ms(row["updated_at"]),
        expires_at=from_ms(row["expires_at"]),
        paid_at=from_ms(row["paid_at"]),
        form=loads(row["form_json"]),
        extra=loads(row["extra_json"]) or {},
        subscription_id=row["subscription_id"],
    )


def subscription_from_row(row: sqlite3.Row) -> Subscription:
    return Subscription(
        id=row["id"],
        provider=Provider(row["provider"]),
        provider_id=row["provider_id"],
        tracking_id=row["tracking_id"],
        token=row["token"],
        pay_url=row["pay_url"],
        plan_id=row["plan_id"],
        plan_title=row["plan_title"],
        amount=row["amount"],
        currency=row["currency"],
        interval=row["interval"],
        interval_unit=row["interval_unit"],
        trial_interval=row["trial_interval"],
        trial_unit=row["trial_unit"],
        customer_email=row["customer_email"],
        status=SubscriptionStatus(row["status"]),
        native_status=row["native_status"],
        test=_flag(row["test"]),
        demo=bool(row["demo"]),
        paid_cycles=row["paid_cycles"],
        renew_at=from_ms(row["renew_at"]),
        active_to=from_ms(row["active_to"]),
        created_at=from_ms(row["created_at"]),
        updated_at=from_ms(row["updated_at"]),
        canceled_at=from_ms(row["canceled_at"]),
        cancel_reason=row["cancel_reason"],
        extra=loads(row["extra_json"]) or {},
        last_notice_at=from_ms(row["last_notice_at"]),
    )


def payment_from_row(row: sqlite3.Row) -> Payment:
    values = dict(row)
    values["at"] = from_ms(values["at"])
    values["demo"] = bool(values["demo"])
    return Payment(**values)


def event_from_row(row: sqlite3.Row) -> StatusEvent:
    values = dict(row)
    values["at"] = from_ms(values["at"])
    return StatusEvent(**values)


def audit_from_row(row: sqlite3.Row) -> AuditEntry:
    values = dict(row)
    values["at"] = from_ms(values["at"])
    return AuditEntry(**values)
