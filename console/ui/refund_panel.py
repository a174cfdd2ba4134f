"""The *Refund* action on Lookup: one charge of a bill (or of a subscription) at a time.

Two steps, so nobody gives money back by accident:

1. the form — the amount (prefilled with what remains, in the payment's currency) and
   a required reason; *Review refund* runs billing's checks
   (``billing.refunds.preview``: the money rules, at most what remains, the reason)
   and shows every problem under its field, with nothing written or sent;
2. the confirmation repeats the amount, the currency, the charge and what will remain,
   with *Refund 3.00 BYN* and *Change*. Only that button calls
   ``billing.refunds.create``.

Exactly once: the form has an idempotency key (made when it is shown, kept through
*Change*, renewed only after the refund was made or refused by the provider), so a
double-click, Enter pressed three times or a second tab on the same session gives one
refund — the repeat is answered with the first one. A refund whose answer was lost is
shown as *being confirmed* with a *Check again* button (``billing.refunds.confirm``);
its amount is held until the provider's list says whether it was made.

Shown to roles that may refund (operator, admin); billing checks again. A charge that
cannot be refunded here says why (a Payture bill: its back office; demo data; a refund).
Widget keys start with ``lk_refund``.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from console.auth import Action, Actor, can
from console.billing import (
    InvalidInput,
    ProviderRejectedInput,
    RefundDraft,
    RefundPreview,
    new_idempotency_key,
)
from console.errors import ConsoleError
from console.ledger import Payment, RefundRow
from console.money import format_amount
from console.ui import context
from console.ui.forms import blank_to_none, field_error, form_errors
from console.ui.status_view import local_time, money
from console.ui.text import plain, titled

PREFIX = "lk_refund"
CHARGE_KEY = f"{PREFIX}_charge"
FIELDS = ("amount", "reason")


def _key(name: str, payment_id: int) -> str:
    return f"{PREFIX}_{name}_{payment_id}"


def _idempotency_key(payment_id: int) -> str:
    return st.session_state.setdefault(_key("idempotency", payment_id), new_idempotency_key())


def _typed(payment_id: int) -> RefundDraft:
    """What the form holds now."""
    state = st.session_state
    amount = blank_to_none(state.get(_key("amount", payment_id)))
    return RefundDraft(
        amount=amount if isinstance(amount, str) else None,
        reason=state.get(_key("reason", payment_id)) or "",
    )


def _reviewed(payment_id: int) -> RefundDraft | None:
    """What was reviewed: the confirmation step draws no fields, and Streamlit forgets the
    values of fields it did not draw, so the draft is kept under a key of its own."""
    return st.session_state.get(_key("draft", payment_id))


def _say(payment_id: int, tone: str, text: str) -> None:
    st.session_state[_key("said", payment_id)] = (tone, text)


def _start_over(payment_id: int) -> None:
    """After a refund was made or refused: a fresh form with a new key."""
    state = st.session_state
    for name in ("amount", "reason", "review", "draft", "errors"):
        state.pop(_key(name, payment_id), None)
    state[_key("idempotency", payment_id)] = new_idempotency_key()


# -- callbacks (run before the script) ---------------------------------------------------


def review(payment_id: int) -> None:
    """*Review refund*: billing's checks; the confirmation, or the problems by field."""
    state = st.session_state
    state.pop(_key("errors", payment_id), None)
    state.pop(_key("said", payment_id), None)
    draft = _typed(payment_id)
    try:
        preview = context.billing().refunds.preview(context.actor(), payment_id, draft)
    except InvalidInput as exc:
        state[_key("errors", payment_id)] = exc.errors
        return
    except ConsoleError as exc:
        _say(payment_id, "error", titled(exc.title, exc.message))
        return
    state[_key("review", payment_id)] = preview
    state[_key("draft", payment_id)] = draft


def change(payment_id: int) -> None:
    """*Change*: back to the form, with what was typed."""
    _back_to_form(payment_id)


def _back_to_form(payment_id: int) -> None:
    state = st.session_state
    state.pop(_key("review", payment_id), None)
    draft = state.pop(_key("draft", payment_id), None)
    if draft is not None:  # the fields come back with what was typed
        state[_key("amount", payment_id)] = draft.amount or ""
        state[_key("reason", payment_id)] = draft.reason or ""


def confirm(payment_id: int) -> None:
    """*Refund …*: the one call that gives money back (keyed: a repeat is answered)."""
    state = st.session_state
    draft = _reviewed(payment_id)
    if draft is None:  # the confirmation outlived its draft (a new session): review again
        _back_to_form(payment_id)
        return
    try:
        result = context.billing().refunds.create(
            context.actor(), payment_id, draft, idempotency_key=_idempotency_key(payment_id)
        )
    except InvalidInput as exc:  # checked again at the call: what remains may have moved
        _back_to_form(payment_id)
        state[_key("errors", payment_id)] = exc.errors
        if isinstance(exc, ProviderRejectedInput):  # the provider refused it: kept as failed
            errors = exc.errors
            _start_over(payment_id)
            state[_key("errors", payment_id)] = errors
            _say(payment_id, "error", plain(f"The attempt is kept as {exc.ref} (failed)."))
        return
    except ConsoleError as exc:
        _start_over(payment_id)
        _say(payment_id, "error", titled(exc.title, exc.message))
        return
    _start_over(payment_id)
    if result.confirming:
        _say(payment_id, "warning", plain(result.message))
    elif result.refund.status == "failed":
        _say(payment_id, "error", plain(result.message))
    else:
        _say(payment_id, "success", plain(result.message))


def check_again(refund_id: int, payment_id: int) -> None:
    """Ask the provider whether a refund being confirmed was made."""
    try:
        result = context.billing().refunds.confirm(context.actor(), refund_id)
    except ConsoleError as exc:
        _say(payment_id, "error", titled(exc.title, exc.message))
        return
    tone = "warning" if result.confirming else "success"
    _say(payment_id, tone if result.refund.status != "failed" else "info", plain(result.message))


# -- drawing -----------------------------------------------------------------------------


def charge_words(payment: Payment, tz: str) -> str:
    """``P12 · 2026-12-06 10:00:00 · 12.50 BYN``."""
    amount = money(payment.amount, payment.currency)
    return f"{payment.ref} · {local_time(payment.at, tz)} · {amount}"


def confirmation_words(preview: RefundPreview) -> str:
    """The sentence the confirmation shows (Markdown; the reason made plain)."""
    charge = preview.payment
    return (
        f"Give back **{preview.amount}** of {charge.ref} "
        f"({money(charge.amount, charge.currency)} paid) to the payer? "
        f"**{preview.remains}** will remain. Reason: “{plain(preview.reason)}”. "
        "This cannot be undone."
    )


def render(
    payments: Sequence[Payment], refunds: Sequence[RefundRow], actor: Actor, tz: str
) -> None:
    """The *Refund* section under a record's payments (nothing when it has no charge)."""
    charges = [payment for payment in payments if payment.kind == "charge"]
    if not charges:
        return
    st.subheader("Refund")
    if not can(actor, Action.REFUND):
        st.caption("Refunds are made by operators and admins.")
        return
    charge = _pick(charges, tz)
    _said(charge.id)
    waiting = [r for r in refunds if r.payment_id == charge.id and r.status == "creating"]
    for refund in waiting:
        _waiting(refund, actor)
    refundable = context.billing().refunds.refundable(charge)
    if refundable.why_not is not None or refundable.remaining is None:
        st.info(plain(refundable.why_not or "It cannot be refunded."), icon=":material/info:")
        return
    preview: RefundPreview | None = st.session_state.get(_key("review", charge.id))
    if preview is not None and preview.payment.id == charge.id:
        _confirmation(preview)
    else:
        _form(charge, refundable.remaining.minor, tz)


def _pick(charges: list[Payment], tz: str) -> Payment:
    if len(charges) == 1:
        return charges[0]
    by_id = {payment.id: payment for payment in charges}
    chosen = st.selectbox(
        "Charge to refund",
        list(by_id),
        format_func=lambda payment_id: charge_words(by_id[payment_id], tz),
        key=CHARGE_KEY,
        index=len(charges) - 1,
    )
    return by_id.get(chosen, charges[-1])


def _said(payment_id: int) -> None:
    said = st.session_state.get(_key("said", payment_id))
    if said:
        tone, text = said
        {"success": st.success, "warning": st.warning, "error": st.error, "info": st.info}[tone](
            text
        )


def _waiting(refund: RefundRow, actor: Actor) -> None:
    st.warning(
        f"{refund.ref} ({refund.money}) is being confirmed: the provider's answer was lost. "
        "It will not be sent again, and its amount is held until the provider's list "
        "shows whether it was made.",
        icon=":material/schedule:",
    )
    if can(actor, Action.REFRESH):
        st.button(
            "Check again",
            icon=":material/sync:",
            key=f"{PREFIX}_check_{refund.id}",
            on_click=check_again,
            args=(refund.id, refund.payment_id),
        )


def _form(charge: Payment, remaining: int, tz: str) -> None:
    errors: dict[str, str] = st.session_state.get(_key("errors", charge.id)) or {}
    amount_key = _key("amount", charge.id)
    if amount_key not in st.session_state:
        st.session_state[amount_key] = format_amount(remaining, charge.currency)
    remains = money(remaining, charge.currency)
    st.caption(
        f"{charge_words(charge, tz)} · {remains} can be refunded. The money goes back to "
        "the payer's card or account; the provider keeps the reason."
    )
    form_errors(errors, FIELDS)
    with st.form(f"{PREFIX}_form_{charge.id}", enter_to_submit=True, border=True):
        st.text_input(
            f"Amount to give back ({charge.currency})",
            key=amount_key,
            help=f"At most {remains}: what remains of this payment.",
        )
        field_error(errors, "amount")
        st.text_input(
            "Reason (required; the provider keeps it)",
            key=_key("reason", charge.id),
            max_chars=255,
            placeholder="Returned goods, order #123",
        )
        field_error(errors, "reason")
        st.form_submit_button(
            "Review refund", icon=":material/undo:", on_click=review, args=(charge.id,)
        )


def _confirmation(preview: RefundPreview) -> None:
    payment_id = preview.payment.id
    st.warning(confirmation_words(preview), icon=":material/undo:")
    do, back = st.columns(2)
    do.button(
        f"Refund {preview.amount}",
        type="primary",
        key=f"{PREFIX}_confirm_{payment_id}",
        on_click=confirm,
        args=(payment_id,),
    )
    back.button("Change", key=f"{PREFIX}_change_{payment_id}", on_click=change, args=(payment_id,))
