"""What to ask a provider about one ledger object, and what its answers mean — without I/O.

A *plan* is a generator: it yields :class:`Ask` (one provider read), receives the
answer (or has the provider's error thrown into it) and finally returns an
:class:`Observation`. :mod:`console.billing._drive` runs a plan with the blocking
clients (``Billing.refresh``) or the async ones (``console.sync``), so the rules
live in one place and both paths apply them identically.

What each kind asks:

* **card pay link** with a token: ``get_checkout``; when it is paid and its
  transaction is not recorded yet, ``get_transaction`` (amount, paid time).
  Imported card transactions (uid, no token): ``get_transaction``.
* **APM payment** with a uid: ``get_payment``. **Payture bill**: ``billStatus``
  (behind-api gives no payment time, so a payment is dated when it was seen; its
  id is the bill id: one payment per bill).
* **subscription**: ``get_subscription`` (status, schedule, cancellation); when
  its last charge is not recorded yet or ``paid_billing_cycles`` moved,
  ``find_transactions`` by tracking id to record *every* successful charge since
  the last poll, not only ``last_transaction``. Limit: bePaid shows the 10 newest
  transactions per tracking id, so more than 10 charges between two polls (an
  hourly plan polled less than every 10 hours) lose the older ones; the
  observation then carries a warning. A subscription without a tracking id
  (imported) records ``last_transaction`` only.

Rows still ``creating`` (the provider's answer was lost, see the package docstring)
are looked up by tracking id where the API allows it (APM: ``find_payments``; card
links and subscriptions: ``find_transactions`` finds charges only); after the grace
period an unconfirmed row is closed: ``failed`` when the gateway says it has no
such payment, ``canceled`` when nobody could ever have received its pay link.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from console.ledger import Bill, Subscription
from console.providers import (
    AttemptFacts,
    BeyagPayment,
    Checkout,
    PayForm,
    PaytureBillStatus,
    Transaction,
)
from console.providers import Subscription as ProviderSubscription
from console.status import BillStatus, SubscriptionStatus
from console.vocabulary import BillKind

#: How many transactions bePaid returns per tracking id (newest first).
TRACKING_ID_WINDOW = 10

T = TypeVar("T")


# -- what a plan may ask ------------------------------------------------------------


class BepaidReads(Protocol):
    """The bePaid reads a plan uses (the blocking client; the async one mirrors it)."""

    def get_checkout(self, token: str) -> Checkout: ...
    def get_transaction(self, uid: str) -> Transaction: ...
    def find_transactions(self, tracking_id: str) -> tuple[Transaction, ...]: ...
    def get_subscription(self, subscription_id: str) -> ProviderSubscription: ...


class BeyagReads(Protocol):
    def get_payment(self, uid: str) -> BeyagPayment: ...
    def find_payments(self, tracking_id: str) -> tuple[BeyagPayment, ...]: ...


class PaytureReads(Protocol):
    def bill_status(self, bill_id: str) -> PaytureBillStatus: ...


class ProviderReads(Protocol):
    """The clients a plan reads through: ``billing``'s clients, or ``sync``'s async ones."""

    @property
    def bepaid(self) -> BepaidReads: ...
    @property
    def beyag(self) -> BeyagReads: ...
    @property
    def payture(self) -> PaytureReads: ...


@dataclass(frozen=True, slots=True)
class Ask(Generic[T]):
    """One provider read, as a typed call over :class:`ProviderReads`:
    ``Ask(lambda p: p.bepaid.get_checkout(token))``. The driver calls it with blocking
    clients, or with async ones and awaits the result."""

    call: Callable[[ProviderReads], T]


@dataclass(frozen=True, slots=True)
class SeenPayment:
    """A successful charge the provider reported."""

    txn_id: str
    amount: int
    currency: str
    at: datetime


@dataclass(slots=True)
class SeenIds:
    """Ids and pay details the provider gave (None: nothing new)."""

    provider_id: str | None = None
    token: str | None = None
    pay_url: str | None = None
    form: PayForm | None = None
    expires_at: datetime | None = None

    def given(self) -> dict[str, Any]:
        """The values that are set, by name (what differs from the row is then written)."""
        return {
            name: value
            for name in ("provider_id", "token", "pay_url", "form", "expires_at")
            if (value := getattr(self, name)) is not None
        }


@dataclass(frozen=True, slots=True)
class Schedule:
    """A subscription's schedule as the provider reports it."""

    renew_at: datetime | None
    active_to: datetime | None
    paid_cycles: int | None


@dataclass
class Observation:
    """What the provider said about one object, ready to be recorded.

    ``status`` None keeps the recorded status (the provider's native status has no
    console mapping, or nothing was learned). ``ids`` are what to attach to the row;
    ``schedule`` a subscription's schedule; ``cancel`` is (reason, canceled_at).
    ``unconfirmed`` marks a creation that is still being confirmed.
    """

    status: BillStatus | SubscriptionStatus | None = None
    native_status: str | None = None
    at: datetime | None = None
    detail: str | None = None
    payments: list[SeenPayment] = field(default_factory=list)
    ids: SeenIds = field(default_factory=SeenIds)
    extra: dict[str, Any] = field(default_factory=dict)
    schedule: Schedule | None = None
    cancel: tuple[str, datetime | None] | None = None
    warnings: list[str] = field(default_factory=list)
    unconfirmed: bool = False
    #: What the provider said about each try to pay it saw (why one failed).
    attempts: list[AttemptFacts] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a plan knows about the object: its row, recorded payment ids, now and the grace."""

    record: Bill | Subscription
    known_payments: frozenset[str]
    now: datetime
    grace: timedelta

    @property
    def past_grace(self) -> bool:
        return self.now - self.record.created_at >= self.grace

    @property
    def lookup_tracking_id(self) -> str | None:
        """The tracking id the provider knows (an import may keep the provider's in extra)."""
        extra = self.record.extra or {}
        if "provider_tracking_id" in extra:
            return str(extra["provider_tracking_id"])
        return self.record.tracking_id


Plan = Generator[Ask[Any], Any, Observation]


def plan_for(snapshot: Snapshot) -> Plan:
    """The plan that refreshes ``snapshot.record``."""
    record = snapshot.record
    if isinstance(record, Subscription):
        return subscription_plan(snapshot)
    if record.kind == BillKind.CARD_LINK:
        return card_link_plan(snapshot)
    if record.kind == BillKind.APM:
        return apm_plan(snapshot)
    return payture_plan(snapshot)


# -- bills ------------------------------------------------------------------------


def card_link_plan(snapshot: Snapshot) -> Plan:
    bill = snapshot.record
    assert isinstance(bill, Bill)
    if bill.token:
        token = bill.token
        checkout: Checkout = yield Ask(lambda p: p.bepaid.get_checkout(token))
        seen = Observation(status=checkout.status, native_status=checkout.native_status)
        _unknown_native(seen, checkout.status, checkout.native_status, "checkout")
        if checkout.expires_at and checkout.expires_at != bill.expires_at:
            seen.ids.expires_at = checkout.expires_at
        uid = checkout.transaction_uid
        if checkout.attempt is not None:
            seen.attempts.append(checkout.attempt)
        if checkout.status == BillStatus.PAID and uid:
            seen.ids.provider_id = uid
            if uid not in snapshot.known_payments:
                paid_uid: str = uid
                transaction: Transaction = yield Ask(lambda p: p.bepaid.get_transaction(paid_uid))
                _add_transaction(seen, transaction, snapshot.now)
        elif checkout.status == BillStatus.FAILED and uid and bill.status != BillStatus.FAILED:
            # Once, as it fails: the transaction says why (code, 3-D Secure, card).
            failed_uid: str = uid
            transaction = yield Ask(lambda p: p.bepaid.get_transaction(failed_uid))
            _add_transaction(seen, transaction, snapshot.now)
        return seen
    if bill.provider_id:
        uid = bill.provider_id
        transaction = yield Ask(lambda p: p.bepaid.get_transaction(uid))
        seen = Observation(status=transaction.status, native_status=transaction.native_status)
        _unknown_native(seen, transaction.status, transaction.native_status, "transaction")
        _add_transaction(seen, transaction, snapshot.now)
        return seen
    return (yield from _unconfirmed_by_charges(snapshot, "pay link"))


def apm_plan(snapshot: Snapshot) -> Plan:
    bill = snapshot.record
    assert isinstance(bill, Bill)
    if bill.provider_id:
        uid = bill.provider_id
        payment: BeyagPayment = yield Ask(lambda p: p.beyag.get_payment(uid))
        return _beyag_observation(payment, snapshot.now)
    tracking = snapshot.lookup_tracking_id
    found: tuple[BeyagPayment, ...] = (
        (yield Ask(lambda p: p.beyag.find_payments(tracking))) if tracking else ()
    )
    mine = [
        p for p in found if p.is_charge and p.amount == bill.amount and p.currency == bill.currency
    ]
    if mine:
        payment = mine[0]  # newest first
        seen = _beyag_observation(payment, snapshot.now)
        seen.ids = SeenIds(
            provider_id=payment.uid, expires_at=payment.expired_at, form=payment.form
        )
        seen.detail = "Confirmed by tracking id after the provider's answer was lost."
        if len(mine) > 1:
            seen.warnings.append(
                f"{len(mine)} payments carry tracking id {tracking}; recorded the newest."
            )
        return seen
    if snapshot.past_grace:
        return Observation(
            status=BillStatus.FAILED,
            detail=(f"The gateway has no payment with tracking id {tracking}: it was not created."),
        )
    return Observation(unconfirmed=True)


def payture_plan(snapshot: Snapshot) -> Plan:
    bill = snapshot.record
    assert isinstance(bill, Bill)
    if not bill.provider_id:
        # behind-api has no tracking id and no list call: nothing to look up.
        return _close_unconfirmed(snapshot, "Payture bill")
    bill_id = bill.provider_id
    answer: PaytureBillStatus = yield Ask(lambda p: p.payture.bill_status(bill_id))
    seen = Observation(status=answer.status, native_status=answer.native_status)
    _unknown_native(seen, answer.status, answer.native_status, "bill")
    if answer.gift_code and bill.extra.get("gift_code") != answer.gift_code:
        seen.extra["gift_code"] = answer.gift_code
    if answer.status in (BillStatus.PAID, BillStatus.MISMATCH):
        paid = answer.amount or bill.amount
        if answer.currency and answer.currency != bill.currency:
            seen.warnings.append(
                f"Payture reports {answer.currency}, the bill is in {bill.currency}."
            )
        elif answer.bill_id not in snapshot.known_payments and paid > 0:
            seen.payments.append(SeenPayment(answer.bill_id, paid, bill.currency, snapshot.now))
    return seen


def _beyag_observation(payment: BeyagPayment, now: datetime) -> Observation:
    seen = Observation(status=payment.status, native_status=payment.native_status)
    if payment.facts is not None:
        seen.attempts.append(payment.facts)
    _unknown_native(seen, payment.status, payment.native_status, "payment")
    if payment.status == BillStatus.PAID and payment.amount > 0:
        at = payment.paid_at or payment.created_at or now  # undated: when it was seen
        seen.at = payment.paid_at
        seen.payments.append(SeenPayment(payment.uid, payment.amount, payment.currency, at))
    if payment.status not in (None, BillStatus.PENDING) and payment.message:
        seen.detail = payment.message
    return seen


def _add_transaction(seen: Observation, transaction: Transaction, now: datetime) -> None:
    if transaction.facts is not None:
        seen.attempts.append(transaction.facts)
    if transaction.status == BillStatus.PAID and transaction.amount > 0:
        at = transaction.paid_at or transaction.created_at or now
        seen.payments.append(
            SeenPayment(transaction.uid, transaction.amount, transaction.currency, at)
        )
        seen.at = transaction.paid_at
    elif transaction.status in (BillStatus.FAILED, BillStatus.EXPIRED) and transaction.message:
        seen.detail = transaction.message


# -- subscriptions ----------------------------------------------------------------


def subscription_plan(snapshot: Snapshot) -> Plan:
    sub = snapshot.record
    assert isinstance(sub, Subscription)
    if not sub.provider_id:
        return (yield from _unconfirmed_by_charges(snapshot, "subscription"))
    sub_id = sub.provider_id
    found: ProviderSubscription = yield Ask(lambda p: p.bepaid.get_subscription(sub_id))
    seen = Observation(status=found.status, native_status=found.native_status)
    _unknown_native(seen, found.status, found.native_status, "subscription")
    seen.schedule = Schedule(found.renew_at, found.active_to, found.paid_billing_cycles)
    if found.status == SubscriptionStatus.CANCELED:
        seen.cancel = (found.cancel_reason or "Canceled at bePaid.", found.cancelled_at)
    last = found.last_transaction
    if last is not None and last.native_status != "successful":
        # A failed charge says why in its message (past_due: the card was declined).
        seen.attempts.append(
            AttemptFacts(last.uid, last.native_status, last.created_at, last.message)
        )
    cycles_moved = (found.paid_billing_cycles or 0) != sub.paid_cycles
    if (
        last is not None
        and last.uid not in snapshot.known_payments
        and (cycles_moved or last.native_status == "successful")
    ):
        tracking = snapshot.lookup_tracking_id
        if tracking:
            charges: tuple[Transaction, ...] = yield Ask(
                lambda p: p.bepaid.find_transactions(tracking)
            )
            _add_charges(seen, charges, snapshot.known_payments, snapshot.now)
        else:
            last_uid = last.uid
            transaction: Transaction = yield Ask(lambda p: p.bepaid.get_transaction(last_uid))
            _add_charges(seen, (transaction,), snapshot.known_payments, snapshot.now)
    return seen


def _add_charges(
    seen: Observation, charges: tuple[Transaction, ...], known: frozenset[str], now: datetime
) -> None:
    listed = len(charges)
    charges = tuple(t for t in charges if t.is_charge)  # refunds share the tracking id
    new = [t for t in charges if t.uid not in known]
    for transaction in new:
        if transaction.facts is not None:
            seen.attempts.append(transaction.facts)
        if transaction.status == BillStatus.PAID and transaction.amount > 0:
            at = transaction.paid_at or transaction.created_at or now
            seen.payments.append(
                SeenPayment(transaction.uid, transaction.amount, transaction.currency, at)
            )
    if listed >= TRACKING_ID_WINDOW and len(new) == len(charges):
        seen.warnings.append(
            f"bePaid shows only the {TRACKING_ID_WINDOW} newest charges and none of them was "
            "recorded before: older charges since the last refresh may be missing."
        )


# -- creations whose answer was lost ----------------------------------------------


def _unconfirmed_by_charges(snapshot: Snapshot, what: str) -> Plan:
    """A pay link or subscription still ``creating``: only its charges can be found."""
    tracking = snapshot.lookup_tracking_id
    charges: tuple[Transaction, ...] = (
        (yield Ask(lambda p: p.bepaid.find_transactions(tracking))) if tracking else ()
    )
    if not charges:
        return _close_unconfirmed(snapshot, what)
    seen = Observation(unconfirmed=True)
    _add_charges(seen, charges, snapshot.known_payments, snapshot.now)
    paid = [t for t in charges if t.is_charge and t.status == BillStatus.PAID]
    if isinstance(snapshot.record, Bill) and paid:
        newest = paid[0]
        seen.status, seen.native_status = BillStatus.PAID, newest.native_status
        seen.ids.provider_id = newest.uid
        seen.unconfirmed = False
        seen.detail = "Paid, found by tracking id after the provider's answer was lost."
    else:
        seen.warnings.append(
            f"Charges with tracking id {tracking} exist but the {what}'s own id was never "
            "received; import it from the bePaid back office to follow it."
        )
    return seen


def _close_unconfirmed(snapshot: Snapshot, what: str) -> Observation:
    """Before the grace period ends: still confirming. After: closed as ``canceled``."""
    if not snapshot.past_grace:
        return Observation(unconfirmed=True)
    canceled: BillStatus | SubscriptionStatus = (
        SubscriptionStatus.CANCELED
        if isinstance(snapshot.record, Subscription)
        else BillStatus.CANCELED
    )
    return Observation(
        status=canceled,
        detail=(
            f"The provider's answer to creating this {what} was lost and it could not be "
            "confirmed; its pay link never reached anyone, so nobody can pay it."
        ),
    )


def _unknown_native(seen: Observation, status: object, native: str | None, what: str) -> None:
    if status is None and native:
        seen.warnings.append(f"The provider reports {what} status {native!r}, which is unknown.")
