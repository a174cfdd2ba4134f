"""The steps every one-off bill goes through, whatever its kind.

1. :func:`start_bill` — the attempt recorded before anything is sent: the ``creating``
   row, a ``started`` audit row and the form's idempotency key, in one transaction
   (or, for a repeated submit, the first submit's result);
2. the provider call (``Core.send``);
3. :func:`created` — the answer recorded (ids, pay link or form, ``pending``) with an
   ``ok`` audit row; or :func:`confirming` when the answer was lost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from console.auth import Actor
from console.billing._core import Core
from console.billing._once import Once
from console.billing._results import CreatedBill, form_data, form_of
from console.ledger import Bill, IdempotencyRow, NewBill
from console.money import Money
from console.providers import OutcomeUnknown, PayForm
from console.status import BillStatus
from console.validation import FORM, Fields, InvalidInput
from console.validation import amount as amount_rule
from console.validation import currency as currency_rule


def money_of(core: Core, fields: Fields, amount: object, currency: object) -> Money | None:
    """The typed amount in its currency, or None after recording the field's message."""
    code = fields.check("currency", currency_rule, currency)
    if code is None:
        return None
    minor = fields.check(
        "amount", amount_rule, amount, code, maximum=core.settings.max_amount_minor
    )
    return None if minor is None else Money(minor, code)


def start_bill(
    core: Core, actor: Actor, action: str, once: Once | None, what: str, bill: NewBill
) -> Bill | CreatedBill:
    """Record the attempt before anything is sent (see the module docstring).

    Returns the new bill, or — when the key was already used — the result of the first
    submit (nothing recorded, nothing to send).
    """
    with core.ledger.write():
        if once is not None:
            first = core.ledger.idempotency.claim(
                once.key, action=action, actor=actor.name, fingerprint=once.fingerprint
            )
            if first is not None:
                return _replay(core, once, first, what)
        bill_id = core.ledger.create_bill(bill)
        audit = {"tracking_id": bill.tracking_id}
        core.audit(actor, action, "bill", bill_id, "started", audit)
        if once is not None:
            core.ledger.idempotency.settle(once.key, object_type="bill", object_id=bill_id)
    return core.bill(bill_id)


@dataclass(frozen=True)
class Made:
    """What the provider answered to a create: its native status, ids and pay details."""

    native: str
    provider_id: str | None = None
    token: str | None = None
    pay_url: str | None = None
    form: PayForm | None = None
    expires_at: datetime | None = None


def created(
    core: Core, actor: Actor, action: str, bill: Bill, made: Made, what: str
) -> CreatedBill:
    """Record the provider's answer: ids, pay link or form, status ``pending``."""
    with core.ledger.write():
        core.ledger.attach_provider_ids(
            bill.id,
            provider_id=made.provider_id,
            token=made.token,
            pay_url=made.pay_url,
            form=form_data(made.form),
            expires_at=made.expires_at,
        )
        core.ledger.record_bill_status(bill.id, BillStatus.PENDING, made.native, "console")
        audit = {"tracking_id": bill.tracking_id, "provider_id": made.provider_id or made.token}
        core.audit(actor, action, "bill", bill.id, "ok", audit)
    fresh = core.bill(bill.id)
    return CreatedBill(
        bill=fresh,
        pay_url=fresh.pay_url,
        form=form_of(fresh.form),
        confirming=False,
        message=f"{what[0].upper()}{what[1:]} {fresh.ref} created.",
    )


def confirming(
    core: Core, actor: Actor, action: str, bill: Bill, error: OutcomeUnknown, what: str
) -> CreatedBill:
    """The answer was lost: audited, confirmed at once where the provider allows."""
    fresh, warnings = core.answer_lost(actor, action, bill, error)
    assert isinstance(fresh, Bill)
    return bill_result(core, fresh, what, warnings)


def bill_result(
    core: Core, bill: Bill, what: str, warnings: list[str] | tuple[str, ...] | None = None
) -> CreatedBill:
    """A :class:`CreatedBill` describing ``bill`` as the ledger has it now."""
    is_creating = bill.status == BillStatus.CREATING
    if is_creating:
        message = core.still_creating_message(bill, what)
    elif bill.status == BillStatus.PENDING:
        message = f"{what.capitalize()} {bill.ref} is confirmed and waiting for the payer."
    else:
        message = f"{what.capitalize()} {bill.ref} is {bill.status.value}"
        message += core.reason_of(bill) + "."
    if warnings:
        message += " " + " ".join(warnings)
    return CreatedBill(
        bill=bill,
        pay_url=bill.pay_url,
        form=form_of(bill.form),
        confirming=is_creating,
        message=message,
    )


def _replay(core: Core, once: Once, first: IdempotencyRow, what: str) -> CreatedBill:
    """What a repeated submit of a form gets: the first submit's bill, as it is now."""
    bill = core.ledger.get_bill(int(first.object_id)) if first.object_id else None
    once.check_same(first.action, first.fingerprint, bill.ref if bill else None)
    if bill is None:  # the first submit is between its claim and its row: impossible
        raise InvalidInput({FORM: "This form is being submitted; wait a moment."})
    result = bill_result(core, bill, what)
    if bill.status == BillStatus.CREATING:
        message = (
            f"{what.capitalize()} {bill.ref} is being created by this form's first "
            "submit; it was not sent again."
        )
    else:
        message = f"This form already made {bill.ref}; nothing was sent again. {result.message}"
    return replace(result, message=message, repeated=True)
