"""Provider notifications in billing (``billing.notifications``): Payture's, which are
recorded from billStatus, and replays of any stored notification.

**Payture bill notifications: a hint to ask billStatus, never a status to believe.**
behind-api's only word on notifications is its webhook example: the merchant's
endpoint reads ``{bill_id, status, amount}``, verifies the request, then **asks
billStatus** and acts on that answer. The receiver (:mod:`console.webhooks`) does
the same, with this service for the steps that need billing:

1. the receiver checks the HMAC ``Content-Signature`` and reads the body into a
   :class:`~console.notices.PaytureNotice`;
2. :meth:`Notifications.payture_bill` finds the bill by its Payture bill id — none (or
   demo data): :meth:`Notifications.payture_unmatched` records ``unknown_object``;
3. billStatus is asked (``billing.objects.observe``: the same rules as a poll — gift
   code, payment dated when seen, AMOUNT_MISMATCH → ``mismatch``); when Payture
   cannot be asked nothing is recorded and the receiver answers 503, so the
   notification comes again;
4. :meth:`Notifications.apply_payture`, in one write transaction: the answer is
   recorded with ``source="webhook"`` and the notifications row is written.

A notice that reports an amount other than the bill's while billStatus does not
say AMOUNT_MISMATCH is verdict ``mismatch`` and changes nothing: the two sources
disagree, and the next poll (or the provider's next notice) settles it. Verdicts
otherwise: ``applied`` when billStatus told us something new; ``duplicate`` when it
did not and the notice reports what billStatus says; ``stale`` when the notice
reports another status than billStatus now gives (a ``PAID`` notice after
``DONE``). Ledger kind: ``transaction`` (the bill's payment).

**Replay** (:meth:`Notifications.replay`, admin only: ``Action.REPLAY``, audited like
every action) re-runs a stored notification through the receiver's own path — its
masked payload (:mod:`console.notices`) read again, then
:func:`~console.notices.apply_notice` for bePaid and beyag, or billStatus asked and
recorded as above for Payture — and records a new notifications row marked as a
replay (``replay_of``, ``actor``) with its verdict. The ledger's rules make it safe:
a notification that was applied is a ``duplicate`` and changes nothing; one that was
``unknown_object`` because its bill did not exist yet is ``applied`` once it does —
which is what replay is for. The payload was verified when it arrived (signature,
credentials); the replay re-checks everything the apply path checks (test flag,
tracking id, amount, currency, age). Rows without a payload (rejected requests,
bodies that were not JSON or too large, rows from before payloads were kept) cannot
be replayed (:class:`NotReplayable`); replaying a replay re-runs its original.

Why here: billing orchestrates, and a Payture replay asks a provider. The receiver
imports billing (for Payture), so billing cannot import the receiver; what both
need — reading, masking, applying — is :mod:`console.notices`, below both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from console.auth import WEBHOOK_ACTOR, Action, Actor
from console.billing._core import Core, utc_now
from console.billing._errors import NotReplayable, ProviderFailed, UnknownObject
from console.billing._observe import Observation
from console.ledger import Bill, Notification
from console.notices import (
    ROUTE_PROVIDER,
    Delivery,
    PaytureNotice,
    UnreadableNotice,
    Verdict,
    apply_notice,
    load_json_object,
    notice_of,
    payture_notice_of,
)
from console.providers import ProviderError
from console.status import BillStatus

#: The receiver's route for each provider name a notifications row carries.
PROVIDER_ROUTE = {provider: route for route, provider in ROUTE_PROVIDER.items()}


@dataclass(frozen=True, slots=True)
class Replayed:
    """A replay: the notification re-run, and the new row with its verdict."""

    original: Notification
    verdict: Verdict
    row: Notification

    @property
    def message(self) -> str:
        """``#12 replayed as #57: duplicate (repeats notification #12).``"""
        detail = f" ({self.verdict.detail})" if self.verdict.detail else ""
        return f"#{self.original.id} replayed as #{self.row.id}: {self.verdict.verdict}{detail}."


class Notifications:
    """Payture notifications (for the receiver) and replays (for an admin)."""

    def __init__(self, core: Core) -> None:
        self._core = core

    # -- Payture, for the receiver (a trusted process: no person, no permission) -------

    def payture_bill(self, notice: PaytureNotice) -> Bill | None:
        """The Payture bill the notice is about (by its bill id), or None."""
        return self._core.ledger.find_bill("payture", provider_id=notice.bill_id)

    def apply_payture(
        self,
        bill_id: int,
        notice: PaytureNotice,
        seen: Observation,
        delivery: Delivery | None = None,
        *,
        actor: Actor = WEBHOOK_ACTOR,
    ) -> Verdict:
        """Record billStatus's answer ``seen`` for bill ``bill_id`` and the notification row,
        in one write transaction (see the module docstring for the verdicts).

        Raises:
            LedgerError, sqlite3.Error: the write failed; nothing was committed.
        """
        ledger = self._core.ledger
        with ledger.write():
            bill = ledger.get_bill(bill_id)
            assert bill is not None  # bills are never deleted
            verdict = self._payture_verdict(bill, notice, seen, actor)
            return self._recorded(notice, verdict, delivery)

    def payture_unmatched(
        self, notice: PaytureNotice, why: str, delivery: Delivery | None = None
    ) -> Verdict:
        """Record a notice about no bill of ours (verdict ``unknown_object``)."""
        with self._core.ledger.write():
            return self._recorded(notice, Verdict("unknown_object", why), delivery)

    # -- replay ------------------------------------------------------------------------

    def replay(self, actor: Actor, notification_id: int) -> Replayed:
        """Re-run stored notification ``notification_id`` through the receiver's apply path
        and record the new row (see the module docstring).

        Raises:
            PermissionDenied: the actor may not replay (only an admin may); audited.
            UnknownObject: the ledger has no such notification.
            NotReplayable: the notification keeps no payload.
            ProviderFailed: a Payture notification, and billStatus could not be asked;
                nothing was recorded.
        """
        core = self._core
        what = "replay_notification"
        current = core.require(actor, Action.REPLAY, what, "notification", notification_id)
        log = core.ledger.notifications
        asked = log.get(notification_id)
        if asked is None:
            raise UnknownObject(f"The ledger has no notification #{notification_id}.")
        original = log.get(asked.replay_of) if asked.replay_of is not None else asked
        assert original is not None  # rows are never deleted
        if original.payload is None:
            raise NotReplayable(
                f"Notification #{original.id} keeps no payload to replay: "
                + _why_no_payload(original)
            )
        delivery = Delivery(
            received_at=utc_now(),
            body_sha256=original.body_sha256,
            replay_of=original.id,
            actor=current.name,
        )
        step = self._prepare(current, original, original.payload, delivery)
        with core.ledger.write():  # the new row and the audit row commit together
            verdict = step()
            core.audit(
                current,
                what,
                "notification",
                original.id,
                "ok",
                {"replayed_as": verdict.notification_id, "verdict": verdict.verdict},
            )
        assert verdict.notification_id is not None
        row = log.get(verdict.notification_id)
        assert row is not None
        return Replayed(original, verdict, row)

    def _prepare(
        self, actor: Actor, original: Notification, payload: str, delivery: Delivery
    ) -> Callable[[], Verdict]:
        """Read ``payload`` as the receiver reads a body on ``original``'s route, ask
        billStatus for a Payture bill (outside any write transaction), and return the
        write that applies and records it."""
        ledger = self._core.ledger
        route = PROVIDER_ROUTE[original.provider]
        try:
            data = load_json_object(payload.encode("utf-8"))
            if route == "payture":
                return self._prepare_payture(actor, payture_notice_of(data), delivery)
            notice = notice_of(route, data)
        except UnreadableNotice as exc:
            return partial(self._record_unreadable, original.provider, str(exc), delivery)
        return partial(apply_notice, ledger, notice, delivery)

    def _prepare_payture(
        self, actor: Actor, notice: PaytureNotice, delivery: Delivery
    ) -> Callable[[], Verdict]:
        bill = self.payture_bill(notice)
        if bill is None or bill.demo:
            why = "no Payture bill with this id" if bill is None else "matches demo data only"
            return partial(self.payture_unmatched, notice, why, delivery)
        try:
            seen = self._core.observe(bill)
        except ProviderError as exc:
            self._core.audit(
                actor,
                "replay_notification",
                "notification",
                delivery.replay_of,
                "failed",
                {"error": exc.user_message, "bill": bill.ref},
            )
            raise ProviderFailed(
                f"billStatus could not be asked: {exc.user_message} Nothing was recorded.",
                ref=bill.ref,
                provider_error=exc,
            ) from exc
        return partial(self.apply_payture, bill.id, notice, seen, delivery, actor=actor)

    def _record_unreadable(self, provider: str, problem: str, delivery: Delivery) -> Verdict:
        ledger = self._core.ledger
        with ledger.write():
            notification_id = ledger.record_notification(
                provider=provider,
                verdict="error",
                detail=f"unreadable: {problem}",
                **delivery.row(),
            )
        return Verdict("error", f"unreadable: {problem}", notification_id=notification_id)

    # -- shared ------------------------------------------------------------------------

    def _payture_verdict(
        self, bill: Bill, notice: PaytureNotice, seen: Observation, actor: Actor
    ) -> Verdict:
        said = f"billStatus says {seen.native_status or 'nothing'}"
        if (
            notice.amount is not None
            and notice.amount != bill.amount
            and seen.status != BillStatus.MISMATCH
        ):
            detail = f"the notice reports {notice.amount}, the bill is {bill.amount}; {said}"
            return Verdict("mismatch", detail + "; nothing applied", "bill", bill.id)
        change = self._core.record(bill, seen, actor, "webhook")
        if change.status_changed or change.new_payments:
            return Verdict("applied", f"{said}: {change.before} → {change.after}", "bill", bill.id)
        if notice.native_status in (None, seen.native_status):
            earlier = self._core.ledger.first_notification_with(notice.dedupe_key)
            repeat = f"; repeats notification #{earlier.id}" if earlier else ""
            return Verdict("duplicate", f"{said}, as recorded{repeat}", "bill", bill.id)
        detail = f"{said}; the notice's {notice.native_status} is not current"
        return Verdict("stale", detail, "bill", bill.id)

    def _recorded(
        self, notice: PaytureNotice, verdict: Verdict, delivery: Delivery | None
    ) -> Verdict:
        """Write the notifications row for ``verdict``; return it with the row's id."""
        notification_id = self._core.ledger.record_notification(
            provider="payture",
            verdict=verdict.verdict,
            kind=notice.kind,
            object_type=verdict.object_type,
            object_id=verdict.object_id,
            provider_object_id=notice.bill_id,
            status_reported=notice.native_status,
            detail=verdict.detail,
            dedupe_key=notice.dedupe_key,
            **(delivery or Delivery()).row(),
        )
        return replace(verdict, notification_id=notification_id)


def _why_no_payload(row: Notification) -> str:
    if row.verdict == "rejected":
        return "it failed authentication, and refused requests keep no body."
    return (
        "its body was not a JSON object, was over the size kept, or arrived before "
        "payloads were kept."
    )
