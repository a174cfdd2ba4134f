"""One status vocabulary for the console, and every provider's native status mapped onto it.

Bills (one-off payments of every kind) and subscriptions each have their own
vocabulary. A status is *final* when the provider will not move it on by itself.

The never-regress rule (:func:`should_apply`): a status that arrives late — an old
poll answer, a notification retried out of order — never replaces a final one with a
non-final one. Between final bill statuses, money wins: a provider that reports a
payment as successful after we saw it expire or fail has moved money, and that must
be shown (``expired -> paid`` is applied, ``paid -> expired`` is not). A refund
follows a payment: ``paid -> partially_refunded -> refunded``, never back. A final
subscription status is terminal.
"""

from __future__ import annotations

from enum import StrEnum


class BillStatus(StrEnum):
    """Console status of a one-off payment (card pay link, APM payment, Payture bill)."""

    CREATING = "creating"  # recorded before the provider answered; refresh resolves it
    PENDING = "pending"  # created at the provider, waiting for the payer
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELED = "canceled"
    MISMATCH = "mismatch"  # paid, but not the amount billed (Payture AMOUNT_MISMATCH)
    PARTIALLY_REFUNDED = "partially_refunded"  # paid, then part of it given back
    REFUNDED = "refunded"  # paid, then all of it given back


class SubscriptionStatus(StrEnum):
    """Console status of a recurring subscription."""

    CREATING = "creating"  # recorded before the provider answered
    PENDING = "pending"  # waiting for the first payment (bePaid: pending, redirecting)
    TRIAL = "trial"
    ACTIVE = "active"
    PAST_DUE = "past_due"  # a renewal failed and is being retried
    FAILED = "failed"
    ERROR = "error"
    EXPIRED = "expired"
    CANCELED = "canceled"


Status = BillStatus | SubscriptionStatus

FINAL_BILL = frozenset(
    {
        BillStatus.PAID,
        BillStatus.FAILED,
        BillStatus.EXPIRED,
        BillStatus.CANCELED,
        BillStatus.MISMATCH,
        BillStatus.PARTIALLY_REFUNDED,
        BillStatus.REFUNDED,
    }
)
FINAL_SUBSCRIPTION = frozenset(
    {
        SubscriptionStatus.FAILED,
        SubscriptionStatus.ERROR,
        SubscriptionStatus.EXPIRED,
        SubscriptionStatus.CANCELED,
    }
)

# Rank of final bill statuses: a higher rank may replace a lower one, never the reverse.
_BILL_FINAL_RANK = {
    BillStatus.FAILED: 1,
    BillStatus.EXPIRED: 1,
    BillStatus.CANCELED: 1,
    BillStatus.PAID: 2,
    BillStatus.MISMATCH: 2,
    BillStatus.PARTIALLY_REFUNDED: 3,
    BillStatus.REFUNDED: 4,
}

#: Native status -> console status, per provider API. Keys are the API names used
#: across the console: ``payture`` (bills through behind-api), ``beyag`` (beGateway
#: alternative payments), ``checkout`` (bePaid hosted checkout / pay links),
#: ``transaction`` (bePaid card transactions), ``subscription`` (bePaid subscriptions).
NATIVE_STATUS: dict[str, dict[str, Status]] = {
    "payture": {
        "PENDING": BillStatus.PENDING,
        "PAID": BillStatus.PAID,
        "DONE": BillStatus.PAID,
        "AMOUNT_MISMATCH": BillStatus.MISMATCH,
    },
    "beyag": {
        "initial": BillStatus.PENDING,
        "pending": BillStatus.PENDING,
        "successful": BillStatus.PAID,
        "failed": BillStatus.FAILED,
        "expired": BillStatus.EXPIRED,
        "error": BillStatus.FAILED,
        "deleted": BillStatus.CANCELED,
    },
    "checkout": {
        "pending": BillStatus.PENDING,
        "incomplete": BillStatus.PENDING,
        "successful": BillStatus.PAID,
        "failed": BillStatus.FAILED,
        "expired": BillStatus.EXPIRED,
        "error": BillStatus.FAILED,
    },
    "transaction": {
        "incomplete": BillStatus.PENDING,
        "successful": BillStatus.PAID,
        "failed": BillStatus.FAILED,
        "expired": BillStatus.EXPIRED,
        "error": BillStatus.FAILED,
    },
    "subscription": {
        "pending": SubscriptionStatus.PENDING,
        "redirecting": SubscriptionStatus.PENDING,
        "trial": SubscriptionStatus.TRIAL,
        "trial_processing": SubscriptionStatus.TRIAL,
        "processing": SubscriptionStatus.ACTIVE,
        "active": SubscriptionStatus.ACTIVE,
        "failed_attempt": SubscriptionStatus.PAST_DUE,
        "rescuing": SubscriptionStatus.PAST_DUE,
        "failed": SubscriptionStatus.FAILED,
        "error": SubscriptionStatus.ERROR,
        "expired": SubscriptionStatus.EXPIRED,
        "canceled": SubscriptionStatus.CANCELED,
        "cancelled": SubscriptionStatus.CANCELED,  # British spelling seen in cancelled_at
    },
}


class UnknownNativeStatus(ValueError):
    """Raised when a provider reports a status this console has no mapping for."""


def from_native(api: str, native: str) -> Status:
    """Map a provider's native status to the console vocabulary.

    Raises:
        UnknownNativeStatus: the API or the status is not known; callers keep the
            object's current status and record the native one, rather than guess.
    """
    try:
        table = NATIVE_STATUS[api]
    except KeyError:
        raise UnknownNativeStatus(f"unknown provider API {api!r}") from None
    key = native if api == "payture" else str(native).lower()
    try:
        return table[key]
    except KeyError:
        raise UnknownNativeStatus(f"{api} status {native!r} has no console mapping") from None


def parse_status(value: str) -> Status:
    """Turn a stored status string back into its vocabulary member."""
    for vocabulary in (BillStatus, SubscriptionStatus):
        try:
            return vocabulary(value)
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a console status")


def is_final(status: Status) -> bool:
    """True when the provider will not change this status by itself."""
    if isinstance(status, BillStatus):
        return status in FINAL_BILL
    return status in FINAL_SUBSCRIPTION


def should_apply(current: Status | None, new: Status) -> bool:
    """Whether a newly reported status may replace the current one.

    * Nothing recorded yet, or the current status is open: always apply.
    * Current is final and new is open: never (a late, stale report).
    * Both final bill statuses: apply only a higher rank (money beats no money,
      a refund follows a payment).
    * A final subscription status is terminal.
    """
    if current is None or current == new:
        return current is None
    if not is_final(current):
        return True
    if not is_final(new):
        return False
    if isinstance(current, BillStatus) and isinstance(new, BillStatus):
        return _BILL_FINAL_RANK[new] > _BILL_FINAL_RANK[current]
    return False
