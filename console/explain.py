"""Plain-language "what happened and what to do next" for a bill or a subscription.

Support reads this first when a customer writes "I paid, where is my order?", so
every sentence names money, times and the next action in words a person would use
on the phone. :func:`explain` is a pure function of the ledger's records — the
object, its status history and its payments — and the current time; it never asks
a provider, so it can be unit-tested for every status (``tests/unit/test_explain.py``).

Decisions:

* A card pay link without an explicit expiry is described with bePaid's default
  lifetime (24 hours after creation, :data:`BEPAID_DEFAULT_LIFETIME`), marked as
  "about".
* A mismatch compares the charges recorded for the bill (refunds excluded) with
  the amount billed; when no charge is recorded yet the provider's word is quoted.
* A ``creating`` row is explained against billing's grace period: within it the
  creation may still be in flight (do not create another one); after it a check
  with the provider resolves the row.
* Times are written in the display time zone given (the console's setting) with
  the zone's abbreviation, durations rounded to the largest sensible unit.
* Records are told apart by their reference (``B…`` / ``S…``) and statuses looked up
  by value, not by ``isinstance`` or enum identity: a Streamlit server that reloads
  edited modules keeps serving records built by the classes it loaded first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, cast
from zoneinfo import ZoneInfo

from console.billing import CREATING_GRACE
from console.ledger import Attempt, Bill, Payment, StatusEvent, Subscription
from console.money import format_money
from console.status import BillStatus, SubscriptionStatus

Tone = Literal["success", "info", "warning", "error"]

#: How long bePaid keeps an unpaid checkout when no ``expired_at`` was sent.
BEPAID_DEFAULT_LIFETIME = timedelta(hours=24)
#: A pending link that expires sooner than this is called out as urgent.
SOON = timedelta(hours=3)

_WHAT = {"card_link": "pay link", "apm": "payment", "payture_bill": "Payture bill"}


@dataclass(frozen=True, slots=True)
class Explanation:
    """What happened (past tense, facts) and what to do next (one action)."""

    tone: Tone
    what_happened: str
    next_step: str

    @property
    def text(self) -> str:
        return f"{self.what_happened} {self.next_step}"


def duration_words(span: timedelta) -> str:
    """``45 min``, ``2 h``, ``1 h 30 min``, ``1 d 2 h``, ``12 d`` (the sign is ignored).

    At most two units, the second only while the first is below 10, so the words
    stay short where precision no longer matters.
    """
    seconds = int(abs(span.total_seconds()))
    if seconds < 60:
        return "less than a minute"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days} d" + (f" {hours} h" if hours and days < 10 else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes and hours < 10 else "")
    return f"{minutes} min"


def local_time(moment: datetime, tz: ZoneInfo | str) -> str:
    """``2024-05-01 14:02 MSK``-style: the moment in the display zone, to the minute."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or zone.key}"


def explain(
    record: Bill | Subscription,
    history: Sequence[StatusEvent] = (),
    payments: Sequence[Payment] = (),
    *,
    now: datetime | None = None,
    tz: ZoneInfo | str = "UTC",
    attempts: Sequence[Attempt] = (),
) -> Explanation:
    """Explain ``record`` given its status ``history`` (oldest first), ``payments`` and
    what the provider said about each try to pay (``attempts``, oldest first)."""
    context = _Context(
        record, list(history), list(payments), now or datetime.now(UTC), tz, list(attempts)
    )
    status = str(record.status)
    if is_bill(record):
        return _BILL[BillStatus(status)](context)
    return _SUBSCRIPTION[SubscriptionStatus(status)](context)


def is_bill(record: Bill | Subscription) -> bool:
    """True for a bill, False for a subscription (by its ``B…`` / ``S…`` reference)."""
    return record.ref.startswith("B")


@dataclass
class _Context:
    record: Bill | Subscription
    history: list[StatusEvent]
    payments: list[Payment]
    now: datetime
    tz: ZoneInfo | str
    attempts: list[Attempt] = field(default_factory=list)

    def at(self, moment: datetime | None) -> str:
        return "an unknown time" if moment is None else local_time(moment, self.tz)

    def money(self, minor: int) -> str:
        return format_money(minor, self.record.currency)

    @property
    def bill(self) -> Bill:
        return cast(Bill, self.record)

    @property
    def subscription(self) -> Subscription:
        return cast(Subscription, self.record)

    @property
    def billed(self) -> str:
        return self.money(self.record.amount)

    @property
    def charged(self) -> int:
        return sum(p.amount for p in self.payments if p.kind == "charge")

    @property
    def refunded(self) -> int:
        return -sum(p.amount for p in self.payments if p.kind == "refund")

    @property
    def why_failed(self) -> str:
        """`` — Do not honor (F.0002); 3-D Secure failed; visa ·· 0019`` from the newest
        attempt that failed, or empty when the provider said nothing."""
        failed = [a for a in self.attempts if a.failed]
        if not failed:
            return ""
        last = failed[-1]
        bits = [last.reason] if last.reason else []
        if last.three_ds and last.three_ds != "successful":
            bits.append(f"3-D Secure {last.three_ds}")
        if last.card:
            bits.append(f"card {last.card}")
        return f" — {'; '.join(bits)}" if bits else ""

    @property
    def entered_status(self) -> StatusEvent | None:
        """The event that moved the object into its current status."""
        status = self.record.status.value
        for event in reversed(self.history):
            if event.to_status == status and event.from_status != status:
                return event
        return None

    @property
    def what(self) -> str:
        if not is_bill(self.record):
            return "subscription"
        return _WHAT.get(self.bill.kind, "bill")

    def reason(self) -> str:
        """`` (provider status: failed; card declined)`` from the event that set the status."""
        event = self.entered_status
        native = (event.native_status if event else None) or self.record.native_status
        detail = event.detail if event else None
        bits = [f"provider status: {native}"] if native else []
        if detail:
            bits.append(detail)
        return f" ({'; '.join(bits)})" if bits else ""


# -- bills -----------------------------------------------------------------------------


def _creating(c: _Context) -> Explanation:
    age = c.now - c.record.created_at
    happened = (
        f"The provider's answer was lost; the console is confirming whether the {c.what} "
        f"was created (started {duration_words(age)} ago)."
    )
    if age < CREATING_GRACE:
        step = (
            "Wait a minute and press Check with provider now. Do not create another one "
            "yet: this one may exist and could be paid."
        )
        return Explanation("warning", happened, step)
    step = (
        "Press Check with provider now: the check either finds it or closes this row, "
        "after which you can safely create a new one."
    )
    return Explanation("warning", happened, step)


def _bill_pending(c: _Context) -> Explanation:
    bill = c.bill
    expires_at, about = bill.expires_at, ""
    if expires_at is None and bill.kind == "card_link" and bill.token:
        expires_at, about = bill.created_at + BEPAID_DEFAULT_LIFETIME, "about "
    if bill.kind == "apm":
        method = bill.extra.get("method_type") or bill.extra.get("method")
        unpaid = f"The customer has not completed the {method or 'alternative'} payment yet"
    else:
        unpaid = "The customer has not paid yet"
    if expires_at is None:
        happened = f"{unpaid} ({c.billed}, issued {duration_words(c.now - bill.created_at)} ago)."
        return Explanation(
            "info",
            happened,
            f"Send the {c.what} again (Pay links & forms) or wait for the payment.",
        )
    left = expires_at - c.now
    if left.total_seconds() <= 0:
        happened = (
            f"{unpaid} and the {c.what} expired {about}{duration_words(left)} ago "
            f"({c.at(expires_at)}); the provider has not reported it expired yet."
        )
        return Explanation(
            "warning",
            happened,
            "Press Check with provider now; if it is still unpaid, create a new one.",
        )
    happened = f"{unpaid}; the {c.what} expires in {about}{duration_words(left)}."
    tone: Tone = "warning" if left <= SOON else "info"
    return Explanation(
        tone, happened, f"Send the {c.what} again (Pay links & forms) or create a new one."
    )


def _bill_paid(c: _Context) -> Explanation:
    bill = c.bill
    when = bill.paid_at or (c.entered_status.at if c.entered_status else None)
    happened = f"Paid {c.money(c.charged or bill.amount)} on {c.at(when)}."
    if bill.kind == "payture_bill":
        stage = "settled (DONE)" if bill.native_status == "DONE" else "paid (PAID)"
        happened += f" Payture reports the bill {stage}."
    if gift := bill.extra.get("gift_code"):
        happened += f" Gift code: {gift}."
    if not c.payments:
        happened += " The payment record itself appears after the next check."
    return Explanation("success", happened, "Nothing to do: fulfil the order.")


def _bill_mismatch(c: _Context) -> Explanation:
    if c.charged:
        happened = f"Paid a different amount: {c.money(c.charged)} instead of {c.billed}."
    else:
        happened = (
            f"The provider reports a different amount was paid than the {c.billed} billed"
            f"{c.reason()}."
        )
    if c.bill.kind == "payture_bill":
        advice = "Contact the customer; refund the difference in Payture's back office."
    else:
        advice = "Contact the customer, then refund the difference below (Refund) if agreed."
    return Explanation("error", happened, advice)


def _bill_failed(c: _Context) -> Explanation:
    event = c.entered_status
    if event is not None and event.from_status in (None, "creating"):
        happened = (
            f"The {c.what} was never created at the provider{c.reason()}. "
            "Nobody could pay it and nothing was charged."
        )
        return Explanation("error", happened, f"Fix the details and create a new {c.what}.")
    why = c.why_failed or c.reason()
    happened = f"The payment of {c.billed} failed{why}; nothing was charged."
    if any(a.three_ds == "failed" for a in c.attempts):
        step = (
            "The payer did not pass the bank's 3-D Secure check: ask them to confirm the "
            f"payment in their bank's app, then create a new {c.what} (New payment)."
        )
    else:
        step = (
            f"Create a new {c.what} (New payment) and ask the customer to pay it with "
            "another card or method."
        )
    return Explanation("error", happened, step)


def _bill_expired(c: _Context) -> Explanation:
    bill = c.bill
    event = c.entered_status
    when = bill.expires_at or (event.at if event else None)
    happened = f"The {c.what} expired on {c.at(when)} without a payment."
    return Explanation(
        "info", happened, f"Create a new {c.what} if the customer still wants to pay."
    )


def _bill_canceled(c: _Context) -> Explanation:
    event = c.entered_status
    if event is not None and event.from_status in (None, "creating"):
        happened = (
            f"The provider never confirmed this {c.what}, so the console closed it"
            f"{c.reason()}. Its pay link never reached anyone, so nobody could pay it."
        )
        return Explanation("info", happened, f"Create a new {c.what} if it is still needed.")
    happened = f"The {c.what} was canceled{c.reason()}; nothing was charged."
    return Explanation("info", happened, "Nothing to do.")


def _bill_refunded(c: _Context) -> Explanation:
    refunded, charged = c.refunded, c.charged
    if charged and 0 < refunded < charged:
        happened = (
            f"Paid {c.money(charged)}, then partly refunded: {c.money(refunded)} given back, "
            f"{c.money(charged - refunded)} kept."
        )
        return Explanation(
            "info",
            happened,
            "Nothing to do, unless the customer is owed more: refund it below (Refund).",
        )
    if refunded:
        happened = f"Paid {c.money(charged or refunded)}, then refunded {c.money(refunded)}."
    else:
        happened = f"The payment of {c.billed} was refunded{c.reason()}."
    return Explanation(
        "info",
        happened,
        "Nothing more to do: the money goes back to the payer (banks take a few days).",
    )


_BILL = {
    BillStatus.CREATING: _creating,
    BillStatus.PENDING: _bill_pending,
    BillStatus.PAID: _bill_paid,
    BillStatus.MISMATCH: _bill_mismatch,
    BillStatus.FAILED: _bill_failed,
    BillStatus.EXPIRED: _bill_expired,
    BillStatus.CANCELED: _bill_canceled,
    BillStatus.PARTIALLY_REFUNDED: _bill_refunded,
    BillStatus.REFUNDED: _bill_refunded,
}


# -- subscriptions ---------------------------------------------------------------------


def _plan(c: _Context) -> str:
    sub = c.subscription
    unit = sub.interval_unit if sub.interval == 1 else f"{sub.interval} {sub.interval_unit}s"
    return f"{c.billed} every {unit}"


def _paid_so_far(c: _Context) -> str:
    sub = c.subscription
    charges = [p for p in c.payments if p.kind == "charge"]
    count = max(sub.paid_cycles, len(charges))
    if not count:
        return "no payment yet"
    last = f", the last on {c.at(charges[-1].at)}" if charges else ""
    return f"{count} payment{'s' if count != 1 else ''} so far{last}"


def _sub_pending(c: _Context) -> Explanation:
    age = duration_words(c.now - c.record.created_at)
    happened = (
        f"The customer has not entered their card yet: the first payment ({_plan(c)}) "
        f"is still pending, {age} after the subscription was created."
    )
    return Explanation(
        "info",
        happened,
        "Send the subscription's pay link again (Subscriptions), or create a new subscription.",
    )


def _sub_trial(c: _Context) -> Explanation:
    sub = c.subscription
    happened = "In its trial period."
    if sub.renew_at:
        happened = (
            f"In its trial period; the first charge ({c.billed}) is due on {c.at(sub.renew_at)}."
        )
    return Explanation("info", happened, "Nothing to do.")


def _sub_active(c: _Context) -> Explanation:
    sub = c.subscription
    following = f" Next charge of {c.billed} on {c.at(sub.renew_at)}." if sub.renew_at else ""
    happened = f"Active ({_plan(c)}): {_paid_so_far(c)}.{following}"
    return Explanation("success", happened, "Nothing to do.")


def _sub_past_due(c: _Context) -> Explanation:
    happened = (
        f"The last renewal of {c.billed} failed{c.why_failed or c.reason()}; bePaid is "
        f"retrying the charge ({_paid_so_far(c)})."
    )
    return Explanation(
        "warning",
        happened,
        "Ask the customer to top up their card: bePaid retries the charge automatically and "
        "ends the subscription after the last attempt.",
    )


def _sub_failed(c: _Context) -> Explanation:
    sub = c.subscription
    if sub.paid_cycles == 0 and not c.payments:
        why = c.why_failed or c.reason()
        happened = f"The first charge failed{why}, so the subscription never started."
    else:
        why = c.why_failed or c.reason()
        happened = f"Ended: the renewals failed after {_paid_so_far(c)}{why}."
    return Explanation(
        "error",
        happened,
        "Ask the customer for another card, then create a new subscription (Subscriptions).",
    )


def _sub_error(c: _Context) -> Explanation:
    happened = f"Ended with an error at the provider{c.reason()} ({_paid_so_far(c)})."
    return Explanation(
        "error",
        happened,
        "Ask bePaid support what happened; create a new subscription if the customer wants one.",
    )


def _sub_expired(c: _Context) -> Explanation:
    event = c.entered_status
    when = f" on {c.at(event.at)}" if event else ""
    happened = f"Ended{when}: it ran out ({_paid_so_far(c)})."
    return Explanation(
        "info", happened, "Offer a new subscription if the customer wants to continue."
    )


def _sub_canceled(c: _Context) -> Explanation:
    sub = c.subscription
    event = c.entered_status
    if event is not None and event.from_status in (None, "creating"):
        happened = (
            f"The provider never confirmed this subscription, so the console closed it"
            f"{c.reason()}. Nobody could have paid it."
        )
        return Explanation("info", happened, "Create a new subscription if it is still needed.")
    when = sub.canceled_at or (event.at if event else None)
    reason = f": {sub.cancel_reason}" if sub.cancel_reason else ""
    happened = f"Canceled on {c.at(when)}{reason} ({_paid_so_far(c)}). No further charges."
    if sub.active_to and sub.active_to > c.now:
        happened += f" The customer has paid up to {c.at(sub.active_to)}."
    return Explanation("info", happened, "Nothing to do.")


_SUBSCRIPTION = {
    SubscriptionStatus.CREATING: _creating,
    SubscriptionStatus.PENDING: _sub_pending,
    SubscriptionStatus.TRIAL: _sub_trial,
    SubscriptionStatus.ACTIVE: _sub_active,
    SubscriptionStatus.PAST_DUE: _sub_past_due,
    SubscriptionStatus.FAILED: _sub_failed,
    SubscriptionStatus.ERROR: _sub_error,
    SubscriptionStatus.EXPIRED: _sub_expired,
    SubscriptionStatus.CANCELED: _sub_canceled,
}
