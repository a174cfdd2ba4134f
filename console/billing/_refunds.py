"""Giving money back (``billing.refunds``): card payments and subscription charges through
bePaid's ``/transactions/refunds``, APM payments through beGateway's
``/beyag/transactions/refunds``. Payture bills have no documented refund method: the
console says so and points to Payture's back office.

Exactly once, as every create:

1. permission (operator, admin) and the person's current standing; then every input
   checked — the amount by the money rules, in the payment's currency, at most what
   remains (successful refunds *and* attempts still being confirmed count), a reason of
   at most 255 characters; a refusal writes one audit row and nothing else;
2. the attempt recorded (a ``creating`` refund, a ``started`` audit row, the form's
   idempotency key) in one transaction, before the provider is asked;
3. the provider's answer: ``successful`` → the negative payment, linked to its charge,
   and the bill's ``partially_refunded`` / ``refunded``, in one transaction; a refusal
   → the attempt ``failed`` with the provider's words; **a lost answer** (a timeout
   after the request left, a dropped connection) → nothing is sent again. The attempt
   stays ``creating`` ("being confirmed") and holds its amount, and is resolved by
   reading what the provider shows: the payment's tracking-id list carries its refunds
   (``type`` ``refund``, ``parent_uid``, amount). A refund found there that the ledger
   does not know is this one; none found after :data:`~console.billing.CREATING_GRACE`
   means it was never made, and the attempt is closed ``failed`` with that said. The
   gateway's own 30-second duplicate check (same payment, same amount) is left on as a
   second net: even a hand-made repeat within 30 s is refused by bePaid.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass

from console.auth import SYNC_ACTOR, Action, Actor
from console.billing._core import Core
from console.billing._drafts import RefundDraft
from console.billing._errors import (
    NotRefundable,
    ProviderFailed,
    ProviderRejectedInput,
    UnknownObject,
)
from console.billing._failures import error_detail, provider_field_errors
from console.billing._once import Once
from console.ledger import Bill, IdempotencyRow, Payment, RefundRow, Subscription
from console.money import Money, format_money
from console.providers import BeyagPayment, NewRefund, OutcomeUnknown, ProviderError, Transaction
from console.validation import Fields, text
from console.validation import amount as amount_rule
from console.vocabulary import Provider

#: Where a Payture bill is refunded (behind-api documents no refund method).
PAYTURE_REFUNDS = (
    "Payture bills cannot be refunded through the console: behind-api documents no refund "
    "method. Refund it in Payture's merchant back office (the payment's bill id is its "
    "reference there)."
)
REFUND_FIELDS = {"amount": "amount", "reason": "reason", "parent_uid": "form"}
MAX_REASON = 255


@dataclass(frozen=True, slots=True)
class Refundable:
    """What may be refunded of one charge now: ``remaining`` (``None`` with ``why_not``)."""

    payment: Payment
    remaining: Money | None
    why_not: str | None


@dataclass(frozen=True, slots=True)
class RefundPreview:
    """A checked refund not yet asked for: what it gives back and what would remain."""

    payment: Payment
    amount: Money
    remains: Money
    reason: str


@dataclass(frozen=True, slots=True)
class RefundResult:
    """A refund attempt as the ledger has it now; ``confirming`` while its answer is unknown."""

    refund: RefundRow
    confirming: bool
    message: str
    repeated: bool = False

    @property
    def ref(self) -> str:
        return self.refund.ref


class Refunds:
    """Refunds of card and APM payments."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def refundable(self, payment: int | Payment) -> Refundable:
        """Whether ``payment`` can be refunded here, and how much of it remains."""
        found = self._payment(payment)
        why = _why_not(found)
        if why is not None:
            return Refundable(found, None, why)
        left = self._core.ledger.refunds.remaining(found)
        if left <= 0:
            return Refundable(found, Money(0, found.currency), "Nothing of it remains to refund.")
        return Refundable(found, Money(left, found.currency), None)

    def create(
        self,
        actor: Actor,
        payment: int | Payment,
        draft: RefundDraft,
        *,
        idempotency_key: str | None = None,
    ) -> RefundResult:
        """Give back ``draft.amount`` (default: all that remains) of the charge ``payment``.

        Form fields in errors: amount, reason (and ``form``).

        Raises:
            PermissionDenied, UnknownObject, NotRefundable, InvalidInput,
            ProviderRejectedInput (the provider refused; kept as failed), ProviderFailed.
        """
        repeated = self._repeated(actor, payment, draft, idempotency_key)
        if repeated is not None:
            return repeated
        charge, minor, reason = self._checked(actor, payment, draft)
        once = Once.of(idempotency_key, "refund", _form_values(charge, draft))
        started = self._start(actor, once, charge, minor, reason)
        if isinstance(started, RefundResult):
            return started
        return self._send(actor, charge, started)

    def preview(self, actor: Actor, payment: int | Payment, draft: RefundDraft) -> RefundPreview:
        """What :meth:`create` would give back, and what would remain, for the screen's
        confirmation: the same checks (and refusals) as ``create``; nothing is written
        (a refusal of the role is audited, as everywhere) and nothing is sent.

        Raises:
            PermissionDenied, UnknownObject, NotRefundable, InvalidInput.
        """
        charge, minor, reason = self._checked(actor, payment, draft)
        left = self._core.ledger.refunds.remaining(charge)
        return RefundPreview(
            charge, Money(minor, charge.currency), Money(left - minor, charge.currency), reason
        )

    def confirm(self, actor: Actor, refund_id: int) -> RefundResult:
        """Re-check an attempt whose answer was lost (``result.confirming``)."""
        core = self._core
        refund = core.ledger.refunds.get(refund_id)
        if refund is None:
            raise UnknownObject(f"The ledger has no refund R{refund_id}.")
        object_type, object_id = _refund_owner(refund)
        core.require(actor, Action.REFRESH, "confirm_refund", object_type, object_id)
        if refund.status == "creating":
            self._look_for(actor, refund)
        return self._result(_fresh(core, refund))

    def confirm_waiting(self, actor: Actor = SYNC_ACTOR) -> list[RefundResult]:
        """Re-check every attempt still being confirmed (what a sync pass does)."""
        return [self.confirm(actor, r.id) for r in self._core.ledger.refunds.creating()]

    # -- steps ---------------------------------------------------------------------------

    def _repeated(
        self, actor: Actor, payment: int | Payment, draft: RefundDraft, key: str | None
    ) -> RefundResult | None:
        """The first submit's refund when this form's key was used already. Looked up
        before the inputs are checked, because what remains has changed since: a second
        click on "refund all" must answer with the first refund, not "nothing remains"."""
        first = self._core.ledger.idempotency.get(key) if isinstance(key, str) else None
        if first is None:
            return None
        charge = self._payment(payment)
        self._core.require(actor, Action.REFUND, "refund", *_owner(charge))
        once = Once.of(key, "refund", _form_values(charge, draft))
        assert once is not None
        return self._replay(once, first)

    def _checked(
        self, actor: Actor, payment: int | Payment, draft: RefundDraft
    ) -> tuple[Payment, int, str]:
        """Permission, the charge, then every input: ``(charge, minor units, reason)``."""
        core = self._core
        try:
            charge: Payment | None = self._payment(payment)
        except UnknownObject:
            charge = None
        object_type, object_id = _owner(charge) if charge else (None, str(payment)[:60])
        core.require(actor, Action.REFUND, "refund", object_type, object_id)
        if charge is None:
            raise UnknownObject(f"The ledger has no payment {str(payment)[:40]}.")
        why = _why_not(charge)
        if why is not None:
            core.audit(actor, "refund", object_type, object_id, "refused", why)
            raise NotRefundable(why)
        fields = Fields()
        left = core.ledger.refunds.remaining(charge)
        given = draft.amount if draft.amount not in (None, "") else left
        minor = None
        if left <= 0:
            fields.add("amount", "Nothing of this payment remains to refund.")
        else:
            minor = fields.check("amount", amount_rule, given, charge.currency, maximum=left)
            if minor is None and fields.errors.get("amount", "").startswith("The amount is above"):
                shown = format_money(left, charge.currency)
                fields.errors["amount"] = f"At most {shown} of this payment remains to refund."
        reason = fields.check("reason", text, draft.reason, required=True, max_length=MAX_REASON)
        if reason is None and not str(draft.reason or "").strip():
            fields.errors["reason"] = "Give a reason: the provider keeps it with the refund."
        fields.raise_if_any()
        assert minor is not None and reason is not None
        return charge, minor, reason

    def _start(
        self, actor: Actor, once: Once | None, charge: Payment, minor: int, reason: str
    ) -> RefundRow | RefundResult:
        core = self._core
        object_type, object_id = _owner(charge)
        with core.ledger.write():
            if once is not None:
                first = core.ledger.idempotency.claim(
                    once.key, action="refund", actor=actor.name, fingerprint=once.fingerprint
                )
                if first is not None:
                    return self._replay(once, first)
            refund_id = core.ledger.refunds.start(charge, minor, reason, actor=actor.name)
            detail = {
                "refund": f"R{refund_id}",
                "payment": charge.ref,
                "amount": format_money(minor, charge.currency),
                "reason": reason,
            }
            core.audit(actor, "refund", object_type, object_id, "started", detail)
            if once is not None:
                core.ledger.idempotency.settle(once.key, object_type="refund", object_id=refund_id)
        refund = core.ledger.refunds.get(refund_id)
        assert refund is not None
        return refund

    def _send(self, actor: Actor, charge: Payment, refund: RefundRow) -> RefundResult:
        core = self._core
        object_type, object_id = _owner(charge)
        apm = charge.provider == Provider.BEGATEWAY
        request = NewRefund(
            parent_uid=charge.provider_txn_id,
            amount=refund.amount,
            reason=refund.reason,
            tracking_id=self._tracking_id(charge) if apm else None,
        )
        try:
            if apm:
                answer: Transaction | BeyagPayment = core.clients.beyag.refund(request)
            else:
                answer = core.clients.bepaid.refund(request)
        except OutcomeUnknown as exc:
            lost = {"outcome": "unknown: the answer was lost", "error": exc.message}
            core.audit(
                actor, "refund", object_type, object_id, "failed", {"refund": refund.ref, **lost}
            )
            with suppress(ProviderError):  # still being confirmed; a later confirm resolves it
                self._look_for(actor, refund)
            return self._result(_fresh(core, refund))
        except ProviderError as exc:
            detail = {**error_detail(exc), "refund": refund.ref}
            core.ledger.refunds.fail(refund.id, detail=detail)
            core.audit(actor, "refund", object_type, object_id, "failed", detail)
            if exc.http_status in (400, 422):
                errors = provider_field_errors(exc, REFUND_FIELDS, {"amount": "amount"})
                raise ProviderRejectedInput(errors, ref=refund.ref, provider_error=exc) from exc
            raise ProviderFailed(
                f"{exc.user_message} Nothing was refunded ({refund.ref} is kept as failed).",
                ref=refund.ref,
                provider_error=exc,
            ) from exc
        except Exception as exc:
            broke = {"error": type(exc).__name__, "outcome": "unknown; confirming resolves it"}
            core.audit(
                actor, "refund", object_type, object_id, "failed", {"refund": refund.ref, **broke}
            )
            raise
        self._apply(actor, refund, answer)
        return self._result(_fresh(core, refund))

    def _apply(self, actor: Actor, refund: RefundRow, answer: Transaction | BeyagPayment) -> None:
        """Record what the provider says about one refund transaction."""
        core = self._core
        object_type, object_id = _refund_owner(refund)
        native = answer.native_status
        if native == "successful":
            core.ledger.refunds.succeed(
                refund.id,
                provider_uid=answer.uid,
                native_status=native,
                at=answer.created_at or core.now(),
            )
            core.audit(
                actor,
                "refund",
                object_type,
                object_id,
                "ok",
                {"refund": refund.ref, "provider_uid": answer.uid, "amount": str(refund.money)},
            )
        elif native in ("failed", "error", "declined"):
            detail = {"refund": refund.ref, "native_status": native, "message": answer.message}
            core.ledger.refunds.fail(refund.id, detail=detail, native_status=native)
            core.audit(actor, "refund", object_type, object_id, "failed", detail)
        # anything else (incomplete, pending): still being confirmed

    def _look_for(self, actor: Actor, refund: RefundRow) -> None:
        """Find a refund whose answer was lost in what the provider lists for its payment."""
        core = self._core
        charge = core.ledger.get_payment(refund.payment_id)
        assert charge is not None
        tracking = self._tracking_id(charge)
        listed: tuple[Transaction | BeyagPayment, ...] = ()
        if tracking:
            if charge.provider == Provider.BEGATEWAY:
                listed = core.clients.beyag.find_payments(tracking)
            else:
                listed = core.clients.bepaid.find_transactions(tracking)
        known = {p.provider_txn_id for p in _payments_of(core, refund)}
        for candidate in listed:
            if (
                candidate.type == "refund"
                and candidate.parent_uid == charge.provider_txn_id
                and candidate.amount == refund.amount
                and candidate.uid not in known
            ):
                self._apply(actor, refund, candidate)
                return
        if core.now() - refund.created_at >= core.creating_grace:
            detail = (
                f"The provider lists no such refund {core.creating_grace.total_seconds() / 60:.0f}"
                " min after it was asked: it was not made. Nothing was given back."
            )
            core.ledger.refunds.fail(refund.id, detail=detail)
            object_type, object_id = _refund_owner(refund)
            core.audit(
                actor,
                "confirm_refund",
                object_type,
                object_id,
                "ok",
                {"refund": refund.ref, "confirmed": "not made"},
            )

    def _tracking_id(self, charge: Payment) -> str | None:
        owner: Bill | Subscription | None
        if charge.bill_id is not None:
            owner = self._core.ledger.get_bill(charge.bill_id)
        else:
            owner = self._core.ledger.get_subscription(charge.subscription_id or 0)
        if owner is None:
            return None
        extra = owner.extra or {}
        return str(extra.get("provider_tracking_id") or owner.tracking_id)

    def _payment(self, payment: int | Payment) -> Payment:
        payment_id = payment.id if isinstance(payment, Payment) else payment
        if isinstance(payment_id, str):
            written = payment_id.strip().upper().removeprefix("P")
            payment_id = int(written) if written.isascii() and written.isdigit() else -1
        found = self._core.ledger.get_payment(payment_id) if isinstance(payment_id, int) else None
        if found is None:
            raise UnknownObject(f"The ledger has no payment {str(payment)[:40]}.")
        return found

    def _replay(self, once: Once, first: IdempotencyRow) -> RefundResult:
        refund = self._core.ledger.refunds.get(int(first.object_id or 0))
        once.check_same(first.action, first.fingerprint, refund.ref if refund else None)
        assert refund is not None
        result = self._result(refund)
        message = f"This form already asked for {refund.ref}; nothing was sent again. "
        return RefundResult(refund, result.confirming, message + result.message, repeated=True)

    def _result(self, refund: RefundRow) -> RefundResult:
        core = self._core
        charge = core.ledger.get_payment(refund.payment_id)
        assert charge is not None
        left = Money(core.ledger.refunds.remaining(charge), charge.currency)
        if refund.status == "succeeded":
            message = f"Refunded {refund.money} of {charge.ref} ({refund.ref}); {left} remains."
        elif refund.status == "failed":
            message = f"{refund.ref} was not made: {refund.detail or 'the provider refused it'}."
        else:
            message = (
                f"The provider did not answer in time, so {refund.ref} ({refund.money}) is being "
                "confirmed; it will not be sent again. Its amount is held until it is known."
            )
        return RefundResult(refund, refund.status == "creating", message)


def _form_values(charge: Payment, draft: RefundDraft) -> dict[str, object]:
    """What one refund form stands for: the charge and the amount and reason *as typed*
    (a blank amount means "what remains", whatever remains when it is repeated)."""
    amount = draft.amount if draft.amount not in (None, "") else "what remains"
    reason = str(draft.reason or "").strip()
    return {"payment": charge.id, "amount": str(amount).strip(), "reason": reason}


def _why_not(payment: Payment) -> str | None:
    if payment.kind != "charge":
        return "A refund cannot itself be refunded."
    if payment.provider == Provider.PAYTURE:
        return PAYTURE_REFUNDS
    if payment.demo:
        return "Demo data exists at no provider, so it cannot be refunded."
    return None


def _owner(payment: Payment) -> tuple[str, int]:
    if payment.bill_id is not None:
        return "bill", payment.bill_id
    return "subscription", payment.subscription_id or 0


def _refund_owner(refund: RefundRow) -> tuple[str, int]:
    if refund.bill_id is not None:
        return "bill", refund.bill_id
    return "subscription", refund.subscription_id or 0


def _payments_of(core: Core, refund: RefundRow) -> list[Payment]:
    object_type, object_id = _refund_owner(refund)
    return core.ledger.payments_of(object_type, object_id)


def _fresh(core: Core, refund: RefundRow) -> RefundRow:
    found = core.ledger.refunds.get(refund.id)
    assert found is not None
    return found
