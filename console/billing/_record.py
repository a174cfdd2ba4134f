"""Writing what a provider said (an :class:`Observation`) into the ledger, in one transaction.

Order inside the transaction: ids first (so a row found by tracking id gets its
provider id), then payments, then the status, then the subscription schedule.
Payments are idempotent on (provider, transaction id) and the status goes through
the ledger's never-regress rule, so a poll racing a notification is harmless.
A payment the ledger refuses (a conflicting repeat, another currency) does not
stop the rest: it becomes a warning on the returned :class:`Change`.

Most polls learn nothing new; :func:`has_news` sees that against the row as it was
read and then nothing is written at all (no write transaction, no lock taken), which
keeps a bulk sync of thousands of unchanged objects off the writer's lock.
"""

from __future__ import annotations

from typing import Any

from console.attempts import attempt_of
from console.auth import Actor
from console.billing._observe import Observation
from console.billing._results import Change, form_data
from console.errors import ValidationError
from console.ledger import Bill, ConflictingPayment, Ledger, Subscription
from console.providers import PayForm
from console.status import BillStatus, SubscriptionStatus
from console.vocabulary import ObjectType


def object_type_of(record: Bill | Subscription) -> ObjectType:
    """``bill`` or ``subscription``: which kind of ledger object ``record`` is."""
    return ObjectType.BILL if isinstance(record, Bill) else ObjectType.SUBSCRIPTION


def record_observation(
    ledger: Ledger,
    record: Bill | Subscription,
    seen: Observation,
    *,
    source: str,
    actor: Actor,
) -> Change:
    """Record ``seen`` for ``record``; return what changed. Raises UnknownRecord if it vanished."""
    is_bill = isinstance(record, Bill)
    object_type = object_type_of(record)
    warnings = list(seen.warnings)
    if not has_news(record, seen):
        # The common poll answer: nothing new. No write transaction at all.
        return unchanged(record, seen)
    new_payments = 0
    with ledger.write():
        _attach(ledger, record, seen)
        for payment in seen.payments:
            try:
                new_payments += ledger.record_payment(
                    provider=record.provider,
                    provider_txn_id=payment.txn_id,
                    amount=payment.amount,
                    currency=payment.currency,
                    at=payment.at,
                    bill_id=record.id if is_bill else None,
                    subscription_id=record.id if not is_bill else None,
                )
            except (ConflictingPayment, ValidationError) as exc:
                warnings.append(f"Payment {payment.txn_id} not recorded: {exc.message}")
        ledger.attempts.record(
            attempt_of(facts, object_type, record.id, record.provider, source)
            for facts in seen.attempts
        )
        status_changed = _record_status(ledger, record, seen, source)
        if not is_bill and seen.schedule is not None:
            schedule = seen.schedule
            ledger.update_subscription_schedule(
                record.id,
                renew_at=schedule.renew_at,
                active_to=schedule.active_to,
                paid_cycles=schedule.paid_cycles,
            )
        after = ledger.get_bill(record.id) if is_bill else ledger.get_subscription(record.id)
        assert after is not None
        if record.status.value == "creating" and after.status.value != "creating":
            ledger.audit(
                actor.name,
                "confirm_creation",
                object_type,
                record.id,
                "ok",
                actor.origin,
                {"status": after.status.value, "detail": seen.detail},
            )
    return Change(
        ref=record.ref,
        object_type=object_type,
        object_id=record.id,
        before=record.status.value,
        after=after.status.value,
        native_status=after.native_status,
        status_changed=status_changed,
        new_payments=new_payments,
        warnings=tuple(warnings),
    )


def unchanged(record: Bill | Subscription, seen: Observation) -> Change:
    """The :class:`Change` of a refresh that learned nothing new."""
    status = record.status.value
    return Change(
        ref=record.ref,
        object_type=object_type_of(record),
        object_id=record.id,
        before=status,
        after=status,
        native_status=record.native_status,
        status_changed=False,
        new_payments=0,
        warnings=tuple(seen.warnings),
    )


#: Native statuses of an attempt still under way (nothing to explain yet).
_OPEN_ATTEMPT = frozenset({"incomplete", "pending", "processing", "new"})


def has_news(record: Bill | Subscription, seen: Observation) -> bool:
    """Whether ``seen`` could change anything recorded for ``record`` (as last read)."""
    if seen.payments or (seen.cancel is not None and record.status.value != "canceled"):
        return True
    if any(attempt.native_status not in _OPEN_ATTEMPT for attempt in seen.attempts):
        return True  # an attempt that ended: its reason is worth a write (stored once)
    if seen.status is not None and seen.status != record.status:
        return True
    if (
        seen.native_status
        and seen.status is not None
        and seen.native_status != record.native_status
    ):
        return True
    if any(record.extra.get(key) != value for key, value in seen.extra.items()):
        return True
    for key, value in _ids(seen).items():
        if getattr(record, key, None) != value:
            return True
    schedule = seen.schedule
    if schedule is None or not isinstance(record, Subscription):
        return False
    return any(
        new is not None and old != new
        for old, new in (
            (record.renew_at, schedule.renew_at),
            (record.active_to, schedule.active_to),
            (record.paid_cycles, schedule.paid_cycles),
        )
    )


def _ids(seen: Observation) -> dict[str, Any]:
    """The ids seen, as the ledger stores them (a pay form as its JSON data)."""
    ids = seen.ids.given()
    if isinstance(ids.get("form"), PayForm):
        ids["form"] = form_data(ids["form"])
    return ids


def _attach(ledger: Ledger, record: Bill | Subscription, seen: Observation) -> None:
    ids = seen.ids
    extra = seen.extra or None
    if isinstance(record, Bill):
        provider_id = ids.provider_id
        if record.provider_id and provider_id not in (None, record.provider_id):
            provider_id = None  # a card link's own id is its token; keep the first uid seen
        if ids.given() or extra:
            ledger.attach_provider_ids(
                record.id,
                provider_id=provider_id,
                token=ids.token,
                pay_url=ids.pay_url,
                expires_at=ids.expires_at,
                form=form_data(ids.form),
                extra=extra,
            )
    elif ids.given() or extra:
        ledger.attach_subscription_ids(
            record.id,
            provider_id=ids.provider_id,
            token=ids.token,
            pay_url=ids.pay_url,
            extra=extra,
        )


def _record_status(
    ledger: Ledger, record: Bill | Subscription, seen: Observation, source: str
) -> bool:
    if isinstance(record, Subscription) and seen.cancel is not None:
        reason, canceled_at = seen.cancel
        return ledger.record_cancellation(
            record.id,
            reason=reason,
            canceled_at=canceled_at,
            source=source,
            native_status=seen.native_status or "canceled",
        )
    if seen.status is None:
        return False
    if isinstance(record, Bill):
        assert isinstance(seen.status, BillStatus)
        return ledger.record_bill_status(
            record.id, seen.status, seen.native_status, source, at=seen.at, detail=seen.detail
        )
    assert isinstance(seen.status, SubscriptionStatus)
    return ledger.record_subscription_status(
        record.id, seen.status, seen.native_status, source, at=seen.at, detail=seen.detail
    )
