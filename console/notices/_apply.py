"""From a verified notice to ledger changes and a verdict, in one write transaction.

Two callers, one path: the receiver's writer (a delivery) and
``billing.notifications.replay`` (an admin re-running a stored payload); the
:class:`Delivery` says which, and goes into the notifications row.

Matching (inside the write transaction, so a poll racing the notification
cannot slip in between the read and the write):

* a transaction → the bill of the expected kind (``card_link`` on the bePaid
  route; ``apm`` on the beyag route, under provider ``begateway`` or ``bepaid``)
  by tracking id, else by provider id = the transaction uid;
* a refund (``type`` ``refund``) → the charge whose provider transaction is its
  ``parent_uid``; recorded once through ``ledger.refunds.record_seen``, which pairs
  it with the console's attempt still waiting for it (a refund made in the
  provider's back office gets a row of its own); a refused refund closes the
  attempt waiting for it;
* a subscription → by provider id (``sbs_...``), else by tracking id (billing
  writes the row before it calls bePaid, so a crash in between leaves a row
  without the provider id).

Checks before anything is applied — a failed check is verdict ``mismatch``:

* the test flag: a test notification never touches a live bill, nor the reverse;
* the tracking id, and for an ``apm`` bill the uid (one bill, one transaction;
  a checkout may make several attempts, so a pay link's uid may differ);
* amount and currency. For a *successful* transaction that moved other money
  than billed, the bill becomes ``mismatch`` — never ``paid`` — and, when the
  currency is the bill's, the payment is recorded with the amount the provider
  reports, because that money did arrive and revenue must show it (a payment
  in another currency cannot belong to the bill: support resolves it). Any
  other report with other money is not applied at all.
* for a subscription: plan currency and amount, and its age. Open subscription
  statuses have no never-regress order of their own (``active`` → ``past_due`` →
  ``active`` is a normal life), so a notice is ordered by what it reports: fewer
  paid cycles than the ledger holds is older; with as many, a notice whose own
  time (``SubscriptionNotice.reported_at``: ``updated_at``, else the last
  charge's ``created_at``) is before that of the newest notice applied
  (``subscriptions.last_notice_at``) is older — a late ``active`` for the second
  cycle after the ``failed_attempt`` of the third. An older notice's status and
  schedule are not applied (verdict ``stale``); a successful charge it reports is
  still recorded, since that money did move.

Applying uses the ledger's own write methods with ``source="webhook"`` —
``record_bill_status`` / ``record_subscription_status`` (never-regress built in),
``record_payment`` (idempotent on the provider's transaction id),
``update_subscription_schedule`` and ``record_cancellation`` — inside a
savepoint; the notifications row is written after it in the same transaction.
A ``ConflictingPayment`` (the uid is recorded with other values) undoes the
savepoint and becomes ``mismatch``; a ``ValidationError`` from the ledger
becomes ``error``. Any other failure propagates: nothing is committed and the
receiver answers 500 so the provider retries.

Verdict: ``applied`` when anything changed; otherwise ``duplicate`` when the
ledger already shows the reported status, ``stale`` when it shows a later one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypedDict

from console.attempts import attempt_of
from console.errors import ValidationError
from console.ledger import Bill, ConflictingPayment, Ledger, Payment, Subscription, to_ms
from console.notices._read import Notice, SubscriptionNotice, TransactionNotice
from console.providers import AttemptFacts
from console.status import BillStatus, SubscriptionStatus

#: Which bills a transaction notice may belong to, per route: (providers, kind).
BILL_MATCH: dict[str, tuple[tuple[str, ...], str]] = {
    "bepaid": (("bepaid",), "card_link"),
    "beyag": (("begateway", "bepaid"), "apm"),
}


class Found(TypedDict):
    """The object a notice was matched to, as a Verdict names it."""

    object_type: str
    object_id: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the receiver made of one notification, as recorded."""

    verdict: str
    detail: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    notification_id: int | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a notice reached the console, as its notifications row keeps it.

    ``payload`` is the body's JSON masked (:func:`~console.notices.masked_payload`);
    a replay names the row it re-runs (``replay_of``) and who asked (``actor``).
    """

    received_at: datetime | None = None
    body_sha256: str | None = None
    payload: str | None = None
    replay_of: int | None = None
    actor: str | None = None

    def row(self) -> dict[str, Any]:
        """The keyword arguments of ``ledger.record_notification`` this delivery fills."""
        return {
            "received_at": self.received_at,
            "body_sha256": self.body_sha256,
            "payload": self.payload,
            "replay_of": self.replay_of,
            "actor": self.actor,
        }


def apply_notice(ledger: Ledger, notice: Notice, delivery: Delivery | None = None) -> Verdict:
    """Match, check and apply ``notice``, and record it with ``delivery`` — all in one
    write transaction. The receiver and a replay (``billing.notifications.replay``) both
    come here.

    Raises:
        LedgerError, sqlite3.Error: the write failed; nothing was committed.
    """
    with ledger.write():
        try:
            with ledger.write():  # a savepoint: a refused notice leaves no half-change
                if isinstance(notice, TransactionNotice):
                    verdict = _apply_transaction(ledger, notice)
                else:
                    verdict = _apply_subscription(ledger, notice)
        except ConflictingPayment as exc:
            verdict = Verdict("mismatch", exc.message)
        except ValidationError as exc:
            verdict = Verdict("error", f"the ledger refused it: {exc.message}")
        if verdict.verdict == "duplicate":
            earlier = ledger.first_notification_with(notice.dedupe_key)
            if earlier is not None:
                verdict = replace(verdict, detail=f"repeats notification #{earlier.id}")
        notification_id = ledger.record_notification(
            provider=notice.provider,
            verdict=verdict.verdict,
            kind=notice.kind,
            object_type=verdict.object_type,
            object_id=verdict.object_id,
            provider_object_id=notice.object_id,
            status_reported=notice.native_status,
            detail=verdict.detail,
            dedupe_key=notice.dedupe_key,
            **(delivery or Delivery()).row(),
        )
    return replace(verdict, notification_id=notification_id)


# -- transactions -----------------------------------------------------------------


def find_bill(ledger: Ledger, notice: TransactionNotice) -> Bill | None:
    """The bill ``notice`` reports on: by tracking id, else by uid (see the module docstring)."""
    providers, kind = BILL_MATCH[notice.route]
    keys = [{"provider_id": notice.uid}]
    if notice.tracking_id:
        keys.insert(0, {"tracking_id": notice.tracking_id})
    for key in keys:
        for provider in providers:
            bill = ledger.find_bill(provider, **key)
            if bill is not None and bill.kind == kind:
                return bill
    return None


def _apply_transaction(ledger: Ledger, notice: TransactionNotice) -> Verdict:
    if notice.type == "refund":
        return _apply_refund(ledger, notice)
    bill = find_bill(ledger, notice)
    if bill is None:
        return Verdict(
            "unknown_object",
            f"no {BILL_MATCH[notice.route][1]} bill has tracking id {notice.tracking_id!r}"
            f" or provider id {notice.uid!r}",
        )
    found: Found = {"object_type": "bill", "object_id": bill.id}
    if notice.type not in (None, "payment"):
        return Verdict(
            "error",
            f"{notice.type} transactions are not applied here (sync reconciles them)",
            **found,
        )
    if notice.status is None:
        return Verdict("error", f"status {notice.native_status!r} has no console mapping", **found)
    if problem := _transaction_problem(bill, notice):
        return Verdict("mismatch", problem, **found)
    # Why it ended as it did is kept whatever the verdict (it changes no status).
    _record_attempt(ledger, "bill", bill.id, bill.provider, notice.facts)
    at = notice.happened_at
    same_money = (notice.amount, notice.currency) == (bill.amount, bill.currency)
    if not same_money:
        billed = f"billed {bill.amount} {bill.currency}, the provider reports"
        reported = f"{notice.amount} {notice.currency}"
        if notice.status is not BillStatus.PAID:
            return Verdict("mismatch", f"{billed} {reported}; not applied", **found)
        ledger.record_bill_status(
            bill.id,
            BillStatus.MISMATCH,
            notice.native_status,
            "webhook",
            at=at,
            detail=f"paid {reported}, billed {bill.amount} {bill.currency} ({notice.uid})",
        )
        note = "payment recorded"
        if notice.currency == bill.currency:
            _record_charge(ledger, bill, notice)
        else:
            note = "payment not recorded: another currency than the bill's"
        return Verdict(
            "mismatch", f"{billed} {reported} as paid; bill marked mismatch, {note}", **found
        )
    detail = f"notification: transaction {notice.uid}"
    changed = ledger.record_bill_status(
        bill.id, notice.status, notice.native_status, "webhook", at=at, detail=detail
    )
    if notice.status is BillStatus.PAID:
        changed = _record_charge(ledger, bill, notice) or changed
    if bill.provider_id is None:
        ledger.attach_provider_ids(bill.id, provider_id=notice.uid)
    return _outcome(changed, reported=notice.status, current=bill.status, **found)


def _record_attempt(
    ledger: Ledger, object_type: str, object_id: int, provider: str, facts: AttemptFacts | None
) -> bool:
    """Keep what the provider said about this try to pay (why it failed); True if new."""
    if facts is None:
        return False
    attempt = attempt_of(facts, object_type, object_id, provider, "webhook")
    return ledger.attempts.record([attempt]) > 0


def _apply_refund(ledger: Ledger, notice: TransactionNotice) -> Verdict:
    """A refund the provider made (ours, or one made in its back office): matched to its
    charge by ``parent_uid`` and recorded once through ``ledger.refunds.record_seen``,
    which pairs it with our attempt still waiting for it. A refused refund closes the
    attempt waiting for it, when there is one."""
    providers, _ = BILL_MATCH[notice.route]
    charge = ledger.refunds.charge(notice.parent_uid, providers) if notice.parent_uid else None
    if charge is None:
        return Verdict("unknown_object", f"no charge has provider id {notice.parent_uid!r}")
    found = _owner_of(charge)
    if notice.currency != charge.currency:
        return Verdict(
            "mismatch",
            f"a refund in {notice.currency} of a charge in {charge.currency}; not applied",
            **found,
        )
    if notice.native_status == "successful":
        seen = ledger.refunds.record_seen(
            charge,
            provider_uid=notice.uid,
            amount=notice.amount,
            native_status=notice.native_status,
            at=notice.happened_at,
            source="webhook",
            reason=notice.reason or "reported by the provider",
            actor="provider",
        )
        if seen is None:
            return Verdict("duplicate", f"refund {notice.uid} is recorded already", **found)
        return Verdict(
            "applied", f"{seen.ref}: {seen.money} refunded of {charge.ref} ({notice.uid})", **found
        )
    waiting = [
        r
        for r in ledger.refunds.of_payment(charge.id)
        if r.status == "creating" and r.amount == notice.amount
    ]
    if notice.native_status in ("failed", "declined", "error") and waiting:
        ledger.refunds.fail(
            waiting[0].id,
            detail=f"the provider reports it {notice.native_status} ({notice.uid})",
            native_status=notice.native_status,
        )
        return Verdict("applied", f"{waiting[0].ref} was not made", **found)
    return Verdict(
        "duplicate", f"refund {notice.uid} is {notice.native_status}: nothing to change", **found
    )


def _owner_of(charge: Payment) -> Found:
    if charge.bill_id is not None:
        return {"object_type": "bill", "object_id": charge.bill_id}
    return {"object_type": "subscription", "object_id": charge.subscription_id or 0}


def _transaction_problem(bill: Bill, notice: TransactionNotice) -> str | None:
    if notice.test is not None and bill.test is not None and notice.test != bill.test:
        said = "a test" if notice.test else "a live"
        kind = "live" if notice.test else "test"
        return f"{said} transaction for a {kind} bill; not applied"
    if notice.tracking_id and notice.tracking_id != bill.tracking_id:
        return f"tracking id {notice.tracking_id!r} is not the bill's {bill.tracking_id!r}"
    if bill.kind == "apm" and bill.provider_id and bill.provider_id != notice.uid:
        return f"transaction {notice.uid} is not the bill's transaction {bill.provider_id}"
    return None


def _record_charge(ledger: Ledger, bill: Bill, notice: TransactionNotice) -> bool:
    return ledger.record_payment(
        provider=bill.provider,
        provider_txn_id=notice.uid,
        amount=notice.amount,
        currency=notice.currency,
        at=notice.happened_at or datetime.now(UTC),
        bill_id=bill.id,
    )


# -- subscriptions ----------------------------------------------------------------


def find_subscription(ledger: Ledger, notice: SubscriptionNotice) -> Subscription | None:
    """The subscription ``notice`` reports on: by ``sbs_`` id, else by tracking id."""
    found = ledger.find_subscription(notice.provider, provider_id=notice.id)
    if found is None and notice.tracking_id:
        found = ledger.find_subscription(notice.provider, tracking_id=notice.tracking_id)
    return found


def _apply_subscription(ledger: Ledger, notice: SubscriptionNotice) -> Verdict:
    sub = find_subscription(ledger, notice)
    if sub is None:
        return Verdict(
            "unknown_object",
            f"no subscription has provider id {notice.id!r} or tracking id {notice.tracking_id!r}",
        )
    found: Found = {"object_type": "subscription", "object_id": sub.id}
    if notice.status is None:
        return Verdict("error", f"state {notice.native_status!r} has no console mapping", **found)
    if problem := _subscription_problem(sub, notice):
        return Verdict("mismatch", problem, **found)
    if sub.provider_id is None:
        ledger.attach_subscription_ids(sub.id, provider_id=notice.id)
    changed = False
    stale = _older_than_the_ledger(sub, notice)
    if stale is None:
        changed = _apply_subscription_status(ledger, sub, notice)
        if changed or notice.status == sub.status:
            changed = _apply_schedule(ledger, sub, notice) or changed
            _note_notice_time(ledger, sub, notice)
    charge = notice.last_charge
    if charge and charge.native_status.lower() != "successful":  # a failed renewal: why
        facts = AttemptFacts(charge.uid, charge.native_status, charge.created_at, charge.message)
        _record_attempt(ledger, "subscription", sub.id, sub.provider, facts)
    amount = notice.charged_amount
    if charge and charge.native_status.lower() == "successful" and amount and notice.currency:
        changed = (
            ledger.record_payment(
                provider=sub.provider,
                provider_txn_id=charge.uid,
                amount=amount,
                currency=notice.currency,
                at=charge.created_at or datetime.now(UTC),
                subscription_id=sub.id,
            )
            or changed
        )
    if stale is not None:
        if changed:  # only its charge can have been recorded
            uid = charge.uid if charge else "-"
            said = f"its charge {uid} is recorded, its state is not: {stale}"
            return Verdict("applied", said, **found)
        return Verdict("stale", stale, **found)
    return _outcome(changed, reported=notice.status, current=sub.status, **found)


def _older_than_the_ledger(sub: Subscription, notice: SubscriptionNotice) -> str | None:
    """Why ``notice`` reports an older state than the ledger holds, or None.

    Fewer paid cycles is older. With as many (or an unknown count), a notice whose own
    time is before that of the newest notice applied is older: a ``failed_attempt``
    for the next renewal and a late ``active`` for the last one both report 2 cycles.
    More paid cycles is newer whatever the times say.
    """
    cycles = notice.paid_billing_cycles
    if cycles is not None and cycles < sub.paid_cycles:
        return f"reports {cycles} paid cycles, the ledger has {sub.paid_cycles}"
    if cycles is not None and cycles > sub.paid_cycles:
        return None
    if notice.reported_at is None or sub.last_notice_at is None:
        return None
    if to_ms(notice.reported_at) < to_ms(sub.last_notice_at):
        return (
            f"reports {notice.native_status} as of {_shown(notice.reported_at)}; a notice of "
            f"{_shown(sub.last_notice_at)} is applied"
        )
    return None


def _note_notice_time(ledger: Ledger, sub: Subscription, notice: SubscriptionNotice) -> None:
    """Keep the newest applied notice's own time (bookkeeping: not a change in itself)."""
    at = notice.reported_at
    if at is not None and (sub.last_notice_at is None or to_ms(at) > to_ms(sub.last_notice_at)):
        ledger.update_subscription_schedule(sub.id, last_notice_at=at)


def _shown(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _subscription_problem(sub: Subscription, notice: SubscriptionNotice) -> str | None:
    if sub.provider_id and sub.provider_id != notice.id:
        return f"tracking id {notice.tracking_id!r} belongs to {sub.provider_id}, not {notice.id}"
    if notice.tracking_id and notice.tracking_id != sub.tracking_id:
        return f"tracking id {notice.tracking_id!r} is not the subscription's {sub.tracking_id!r}"
    if notice.test is not None and sub.test is not None and notice.test != sub.test:
        said = "a test" if notice.test else "a live"
        kind = "live" if notice.test else "test"
        return f"{said} subscription notice for a {kind} subscription; not applied"
    if notice.currency is not None and notice.currency != sub.currency:
        return f"plan currency {notice.currency} is not the subscription's {sub.currency}"
    if notice.plan_amount is not None and notice.plan_amount != sub.amount:
        return (
            f"plan amount {notice.plan_amount} {notice.currency} is not the subscription's"
            f" {sub.amount} {sub.currency}"
        )
    return None


def _apply_subscription_status(
    ledger: Ledger, sub: Subscription, notice: SubscriptionNotice
) -> bool:
    if notice.status is SubscriptionStatus.CANCELED:
        return ledger.record_cancellation(
            sub.id,
            reason=notice.cancel_reason or "canceled at bePaid",
            canceled_at=notice.cancelled_at,
            source="webhook",
            native_status=notice.native_status,
        )
    assert notice.status is not None  # a notice without a console status stops earlier
    return ledger.record_subscription_status(
        sub.id, notice.status, notice.native_status, "webhook", detail="notification"
    )


def _apply_schedule(ledger: Ledger, sub: Subscription, notice: SubscriptionNotice) -> bool:
    """Store renew_at, active_to and paid cycles where the notice says something new."""
    renew_at = notice.renew_at if _moved(notice.renew_at, sub.renew_at) else None
    active_to = notice.active_to if _moved(notice.active_to, sub.active_to) else None
    cycles = notice.paid_billing_cycles
    paid_cycles = cycles if cycles != sub.paid_cycles else None
    if renew_at is None and active_to is None and paid_cycles is None:
        return False
    ledger.update_subscription_schedule(
        sub.id, renew_at=renew_at, active_to=active_to, paid_cycles=paid_cycles
    )
    return True


def _moved(reported: datetime | None, stored: datetime | None) -> bool:
    """A reported time differs from the stored one (compared in the ledger's milliseconds)."""
    if reported is None:
        return False
    return stored is None or to_ms(reported) != to_ms(stored)


# -- verdicts ---------------------------------------------------------------------


def _outcome(
    changed: bool,
    *,
    reported: BillStatus | SubscriptionStatus,
    current: BillStatus | SubscriptionStatus,
    object_type: str,
    object_id: int,
) -> Verdict:
    found: Found = {"object_type": object_type, "object_id": object_id}
    if changed:
        return Verdict("applied", None, **found)
    if reported == current:
        return Verdict("duplicate", f"the ledger already shows {current.value}", **found)
    return Verdict("stale", f"reports {reported.value}; the ledger keeps {current.value}", **found)
