"""Reading a notification body into a typed notice.

What arrives, by route (the payloads the sandbox sends are the providers' own):

* ``/notifications/bepaid``: ``{"transaction": {...}}`` — a card transaction of a
  hosted checkout (pay link) — or the bare subscription object
  (``{"id": "sbs_...", "state": ..., "plan": ..., "last_transaction": ...}``).
* ``/notifications/beyag``: ``{"transaction": {...}}`` of an alternative payment.
* ``/notifications/payture``: ``{"bill_id", "status", "amount"}`` — behind-api's
  webhook example, and only a hint: the receiver asks billStatus and records that
  (``console.billing``, ``billing.notifications``).

The providers' JSON readers (:mod:`console.providers`) do the wire-level work,
so the receiver and the clients read a transaction the same way. Anything else
raises :class:`UnreadableNotice`.

``reported_at``: a subscription object carries no time of its own in bePaid's
examples, so the notice's time is the latest it does carry — ``updated_at`` when
sent, the last charge's ``created_at``, ``cancelled_at``. It orders two notices
with as many paid cycles (``_apply.py``).

``dedupe_key``: bePaid sends no timestamp or delivery id, so a notice is
identified by its object and the state it reports — for a transaction its uid
and status; for a subscription its id, state, last transaction (uid and status)
and paid cycle count, because every renewal reports ``active`` again; for a
Payture bill ``payture:bill:<bill_id>:<status>``.

A body is parsed once (:func:`load_json_object`); the receiver reads the notice from
that object (:func:`notice_of`, :func:`payture_notice_of`) and masks the same object
for the ledger (:func:`~console.notices.masked_payload`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from console.providers import AttemptFacts, wire
from console.providers.bepaid_wire import subscription_of, transaction_of
from console.providers.beyag import payment_of
from console.status import BillStatus, SubscriptionStatus

Route = Literal["bepaid", "beyag"]

#: The ledger's provider name for notifications of each route.
ROUTE_PROVIDER: dict[str, str] = {"bepaid": "bepaid", "beyag": "begateway", "payture": "payture"}


class UnreadableNotice(ValueError):
    """Raised when an authenticated body is not a notification this receiver knows."""


@dataclass(frozen=True, slots=True)
class TransactionNotice:
    """A card transaction (bePaid checkout) or an alternative payment (beyag)."""

    route: str
    uid: str
    native_status: str
    status: BillStatus | None  # None: the native status has no console mapping
    type: str | None  # payment, refund, ... (None when not sent)
    amount: int
    currency: str
    tracking_id: str | None
    test: bool | None  # None when the provider did not say
    happened_at: datetime | None  # paid_at, else updated_at, else created_at
    parent_uid: str | None = None  # a refund's (capture's, void's) payment
    reason: str | None = None  # a refund's reason, as the provider keeps it
    facts: AttemptFacts | None = None  # why it ended as it did (message, code, card...)

    kind = "transaction"

    @property
    def provider(self) -> str:
        return ROUTE_PROVIDER[self.route]

    @property
    def object_id(self) -> str:
        return self.uid

    @property
    def dedupe_key(self) -> str:
        return f"{self.provider}:transaction:{self.uid}:{self.native_status}"


@dataclass(frozen=True, slots=True)
class ChargeReport:
    """A subscription's ``last_transaction``: the latest charge, without its amount."""

    uid: str
    native_status: str
    created_at: datetime | None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class SubscriptionNotice:
    """A bePaid subscription's state, as the bare subscription object reports it."""

    id: str
    native_status: str
    status: SubscriptionStatus | None
    tracking_id: str | None
    currency: str | None  # None when the plan came abbreviated
    plan_amount: int | None
    trial_amount: int | None
    test: bool | None
    paid_billing_cycles: int | None
    renew_at: datetime | None
    active_to: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    last_charge: ChargeReport | None
    #: The provider's own time of this state: the latest of the object's ``updated_at``
    #: (when sent), its last charge's ``created_at`` and ``cancelled_at``; None if none.
    reported_at: datetime | None = None

    route = "bepaid"
    kind = "subscription"
    provider = "bepaid"

    @property
    def object_id(self) -> str:
        return self.id

    @property
    def dedupe_key(self) -> str:
        charge = self.last_charge
        last = f"{charge.uid}:{charge.native_status}" if charge else "-:-"
        cycles = "-" if self.paid_billing_cycles is None else self.paid_billing_cycles
        return f"bepaid:subscription:{self.id}:{self.native_status}:{last}:{cycles}"

    @property
    def charged_amount(self) -> int | None:
        """What the last charge took. The summary carries no amount, so it follows the
        plan: the trial amount while no regular cycle is paid, the plan amount after."""
        if self.trial_amount is not None and not self.paid_billing_cycles:
            return self.trial_amount
        return self.plan_amount


Notice = TransactionNotice | SubscriptionNotice


def read_notice(route: str, body: bytes) -> Notice:
    """The notice in ``body`` as posted to ``/notifications/{route}``.

    Raises:
        UnreadableNotice: not JSON (or nested too deeply), not an object, or not a
            notification of this route.
    """
    return notice_of(route, load_json_object(body))


def notice_of(route: str, data: dict[str, Any]) -> Notice:
    """The notice in the JSON object ``data`` posted to ``/notifications/{route}``.

    Raises:
        UnreadableNotice: not a notification of this route.
    """
    try:
        if isinstance(data.get("transaction"), dict):
            return _transaction(route, data["transaction"])
        if route == "bepaid" and data.get("id") and ("state" in data or "status" in data):
            return _subscription(data)
    except wire.MalformedAnswer as exc:
        raise UnreadableNotice(str(exc)) from None
    expected = "a transaction or a subscription" if route == "bepaid" else "a transaction"
    raise UnreadableNotice(f"the body is not {expected} notification")


def load_json_object(body: bytes) -> dict[str, Any]:
    """The JSON object in ``body``, for every route.

    A signature proves who sent the bytes, not that they are sane: 100,000 nested
    brackets make the JSON parser raise ``RecursionError``, which is read as an
    unreadable body like any other.

    Raises:
        UnreadableNotice: not JSON (or nested too deeply to read), or not an object.
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise UnreadableNotice("the body is not JSON") from None
    except RecursionError:
        raise UnreadableNotice("the body is nested too deeply to read") from None
    if not isinstance(data, dict):
        raise UnreadableNotice("the body is not a JSON object")
    return data


def _transaction(route: str, raw: dict[str, Any]) -> TransactionNotice:
    read = payment_of if route == "beyag" else transaction_of
    tx = read(raw)
    test = raw.get("test")
    return TransactionNotice(
        route=route,
        uid=tx.uid,
        native_status=tx.native_status,
        status=tx.status,
        type=tx.type,
        amount=tx.amount,
        currency=tx.currency,
        tracking_id=tx.tracking_id,
        test=test if isinstance(test, bool) else None,
        happened_at=tx.paid_at or wire.timestamp(raw.get("updated_at")) or tx.created_at,
        parent_uid=tx.parent_uid,
        reason=raw["reason"] if isinstance(raw.get("reason"), str) else None,
        facts=tx.facts,
    )


def _subscription(raw: dict[str, Any]) -> SubscriptionNotice:
    sub = subscription_of(raw)
    plan = sub.plan
    plan_raw = raw.get("plan")
    test = plan_raw.get("test") if isinstance(plan_raw, dict) else None
    last = sub.last_transaction
    times = (
        wire.timestamp(raw.get("updated_at")),
        last.created_at if last else None,
        sub.cancelled_at,
    )
    return SubscriptionNotice(
        id=sub.id,
        native_status=sub.native_status,
        status=sub.status,
        tracking_id=sub.tracking_id,
        currency=plan.currency if plan else None,
        plan_amount=plan.period.amount if plan else None,
        trial_amount=plan.trial.amount if plan and plan.trial else None,
        test=test if isinstance(test, bool) else None,
        paid_billing_cycles=sub.paid_billing_cycles,
        renew_at=sub.renew_at,
        active_to=sub.active_to,
        cancelled_at=sub.cancelled_at,
        cancel_reason=sub.cancel_reason,
        last_charge=(
            ChargeReport(last.uid, last.native_status, last.created_at, last.message)
            if last
            else None
        ),
        reported_at=max((t for t in times if t is not None), default=None),
    )


# -- Payture --------------------------------------------------------------------------

MAX_BILL_ID = 255


@dataclass(frozen=True, slots=True)
class PaytureNotice:
    """What a Payture notification claims: a bill id, perhaps a status and an amount."""

    bill_id: str
    native_status: str | None
    amount: int | None

    route = "payture"
    kind = "transaction"
    provider = "payture"

    @property
    def object_id(self) -> str:
        return self.bill_id

    @property
    def dedupe_key(self) -> str:
        return f"payture:bill:{self.bill_id}:{self.native_status or '-'}"


def read_payture_notice(body: bytes) -> PaytureNotice:
    """The Payture notice in ``body``.

    Raises:
        UnreadableNotice: not a JSON object (or nested too deeply to read) with a
            usable ``bill_id``, or a ``status`` or ``amount`` of the wrong type.
    """
    return payture_notice_of(load_json_object(body))


def payture_notice_of(data: dict[str, Any]) -> PaytureNotice:
    """The Payture notice in the JSON object ``data``.

    Raises:
        UnreadableNotice: no usable ``bill_id`` (1-255 characters), or a ``status`` or
            ``amount`` of the wrong type.
    """
    bill_id = data.get("bill_id")
    if not isinstance(bill_id, str) or not bill_id.strip() or len(bill_id) > MAX_BILL_ID:
        raise UnreadableNotice(f"bill_id must be text of 1-{MAX_BILL_ID} characters")
    status = data.get("status")
    if status is not None and (not isinstance(status, str) or len(status) > 40):
        raise UnreadableNotice("status must be a short text")
    amount = data.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise UnreadableNotice("amount must be a whole number of minor units")
    return PaytureNotice(bill_id.strip(), status, amount)
