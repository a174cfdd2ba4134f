"""New payment: a card pay link (bePaid checkout), an alternative payment (beGateway APM)
or a Payture bill — one page, one form per kind.

UI only: each form's submit callback calls one ``console.billing`` use case and keeps
what came back in session state (the created bill, or ``InvalidInput.errors``, or a
failure's title and sentence); the script then draws the messages under their fields
(:mod:`console.ui.forms`) and the result: the pay link with its QR code, the APM
form (preview, escaped source, download), and *Check again* while the provider's
answer is being confirmed. Nothing is written when an input is refused — billing
checks every field before it records anything.

Widget keys start with ``np_``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import streamlit as st
from iso3166 import countries_by_alpha2

from console.auth import Action, allowed_pages, can
from console.billing import (
    APM_METHODS,
    ApmPaymentDraft,
    CreatedBill,
    InvalidInput,
    PayLinkDraft,
    PaytureBillDraft,
    ProviderRejectedInput,
    new_idempotency_key,
)
from console.errors import ConsoleError
from console.money import format_money
from console.payform import form_from_json
from console.providers import BillExtras, Product
from console.ui import context
from console.ui.forms import (
    blank_to_none,
    currency_choices,
    field_error,
    form_errors,
    pay_form_panel,
    pay_link_panel,
    show_failure,
)
from console.ui.text import plain, titled

KINDS = {"card": "Card pay link", "apm": "Alternative payment", "payture": "Payture bill"}
BILL_KIND_TITLES = {
    "card_link": "Card pay link",
    "apm": "Alternative payment",
    "payture_bill": "Payture bill",
}
#: Country choices for the payer: none, then every ISO 3166-1 code in code order.
COUNTRIES = ("", *sorted(countries_by_alpha2))
DEFAULT_HOURS = 24
MAX_HOURS = 30 * 24  # billing allows 30 days

RESULT = "np_result"  # CreatedBill of the last create (or confirm)
RESULT_KIND = "np_result_kind"  # the form kind that made RESULT
ERRORS = "np_errors"  # {kind: {field: message}}
FAILURE = "np_failure"  # (title, message) of the last failed action
NOTICE = "np_notice"  # a sentence about the last refresh / confirm
#: Widget key prefix of each form's fields (cleared by *Create another*).
PREFIXES = {"card": "np_card_", "apm": "np_apm_", "payture": "np_pt_"}

#: Payer details of an APM payment: billing's ``customer`` key (and form key suffix) ->
#: label. Country is a picker; the others are text.
APM_PAYER = {
    "first_name": "First name",
    "last_name": "Last name",
    "phone": "Phone",
    "city": "City",
    "zip": "Postal code",
    "address": "Address",
}

#: Extended data of a Payture bill: BillExtras field (and form key suffix) -> label.
PAYTURE_EXTRAS = {
    "page_id": "Page id",
    "gift_recipient": "Gift recipient",
    "gift_message": "Gift message",
    "campaign": "Campaign",
    "utm_source": "UTM source",
    "utm_medium": "UTM medium",
    "utm_campaign": "UTM campaign",
}


# -- callbacks: run before the script, read the submitted values from session state ----


def _value(key: str) -> Any:
    """A submitted value, ``None`` when left blank; billing checks what it is."""
    return blank_to_none(st.session_state.get(key))


def _expiry(key: str) -> datetime | None:
    hours = st.session_state.get(key)
    # The billing clock: the sandbox's in sandbox mode, so "in 24 hours" means what the
    # sandbox will judge it by after a fast-forward.
    return None if hours is None else context.clock()() + timedelta(hours=float(hours))


def form_key(kind: str) -> str:
    """The idempotency key of the form being shown: made when the form first shows, kept
    across reruns until the form has done its work (billing returns the same bill for
    every submit of one key: a double-click or Enter pressed three times is one bill)."""
    return st.session_state.setdefault(f"{PREFIXES[kind]}idempotency", new_idempotency_key())


def _new_form(kind: str) -> None:
    st.session_state[f"{PREFIXES[kind]}idempotency"] = new_idempotency_key()


def _attempt(kind: str, create: Callable[[str], CreatedBill]) -> None:
    """Run one create; keep its result, its field errors or its failure for the script."""
    state = st.session_state
    shown: CreatedBill | None = state.get(RESULT)
    try:
        result = create(form_key(kind))
    except ProviderRejectedInput as exc:  # kept as failed: a corrected form is a new attempt
        _new_form(kind)
        state[RESULT], state[NOTICE] = None, None
        state[ERRORS] = {kind: exc.errors}
        state[FAILURE] = (exc.title, f"The attempt is kept as {exc.ref} (failed).")
    except InvalidInput as exc:  # nothing written: the same form (and key) may go again
        state[RESULT], state[NOTICE], state[FAILURE] = None, None, None
        state[ERRORS] = {kind: exc.errors}
    except ConsoleError as exc:  # not allowed, provider unavailable, not configured
        _new_form(kind)
        state[RESULT], state[NOTICE], state[ERRORS] = None, None, {}
        state[FAILURE] = (exc.title, exc.message)
    else:
        if result.repeated and shown is not None and shown.ref == result.ref:
            return  # the same click arriving twice: keep what the first one showed
        state[RESULT], state[RESULT_KIND] = result, kind
        state[ERRORS], state[FAILURE], state[NOTICE] = {}, None, None


def create_another(kind: str) -> None:
    """*Create another*: a fresh, empty form with a new key."""
    state = st.session_state
    for key in [k for k in state if isinstance(k, str) and k.startswith(PREFIXES[kind])]:
        del state[key]
    _new_form(kind)
    state[RESULT], state[RESULT_KIND], state[ERRORS] = None, None, {}
    state[FAILURE], state[NOTICE] = None, None


def create_card_link() -> None:
    def create(key: str) -> CreatedBill:
        draft = PayLinkDraft(
            amount=_value("np_card_amount"),
            currency=_value("np_card_currency"),
            description=_value("np_card_description"),
            customer_email=_value("np_card_email"),
            expires_at=_expiry("np_card_hours"),
            success_url=_value("np_card_success_url"),
            decline_url=_value("np_card_decline_url"),
        )
        return context.billing().pay_links.create(context.actor(), draft, idempotency_key=key)

    _attempt("card", create)


def create_apm_payment() -> None:
    def create(key: str) -> CreatedBill:
        draft = ApmPaymentDraft(
            amount=_value("np_apm_amount"),
            currency=_value("np_apm_currency"),
            description=_value("np_apm_description"),
            method_type=_value("np_apm_method"),
            return_url=_value("np_apm_return_url"),
            customer_email=_value("np_apm_email"),
            expires_at=_expiry("np_apm_hours"),
            customer={name: _value(f"np_apm_{name}") for name in (*APM_PAYER, "country")},
        )
        return context.billing().apm_payments.create(context.actor(), draft, idempotency_key=key)

    _attempt("apm", create)


def create_payture_bill() -> None:
    extras = {name: _value(f"np_pt_{name}") for name in PAYTURE_EXTRAS}
    extended = BillExtras(**extras) if any(v is not None for v in extras.values()) else None

    def create(key: str) -> CreatedBill:
        draft = PaytureBillDraft(
            product_id=_value("np_pt_product"),
            user_id=_value("np_pt_user"),
            redirect_url=_value("np_pt_redirect_url"),
            extended=extended,
            description=_value("np_pt_description"),
            customer_email=_value("np_pt_email"),
            amount=_value("np_pt_amount"),
            currency=_value("np_pt_currency"),
        )
        return context.billing().payture_bills.create(context.actor(), draft, idempotency_key=key)

    _attempt("payture", create)


def confirm_last() -> None:
    """*Check again* for a creation whose answer was lost."""
    _follow_up(lambda billing, actor, ref: billing.objects.confirm(actor, ref))


def refresh_last() -> None:
    """*Check status*: ask the provider about the bill now."""
    _follow_up(lambda billing, actor, ref: billing.objects.refresh(actor, ref))


def _follow_up(call: Callable) -> None:
    state = st.session_state
    result: CreatedBill | None = state.get(RESULT)
    if result is None:
        return
    state[FAILURE] = None
    try:
        answer = call(context.billing(), context.actor(), result.ref)
    except ConsoleError as exc:
        state[FAILURE] = (exc.title, exc.message)
        return
    if isinstance(answer, CreatedBill):
        state[RESULT] = answer
    state[NOTICE] = answer.message


# -- the forms ----------------------------------------------------------------------------


def card_form(errors: dict[str, str]) -> None:
    shown = (
        "amount",
        "currency",
        "description",
        "expires_at",
        "customer_email",
        "success_url",
        "decline_url",
    )
    with st.form("np_card_form"):
        form_errors(errors, shown)
        _money_fields("np_card", errors)
        st.text_input("Description", key="np_card_description", placeholder="Order 17: coffee")
        field_error(errors, "description")
        _expiry_field("np_card_hours", errors)
        st.text_input("Customer e-mail (optional)", key="np_card_email")
        field_error(errors, "customer_email")
        left, right = st.columns(2)
        with left:
            st.text_input(
                "Success page (optional)",
                key="np_card_success_url",
                placeholder="https://shop.example/thanks",
            )
            field_error(errors, "success_url")
        with right:
            st.text_input(
                "Decline page (optional)",
                key="np_card_decline_url",
                placeholder="https://shop.example/sorry",
            )
            field_error(errors, "decline_url")
        st.form_submit_button(
            "Create pay link", type="primary", key="np_card_submit", on_click=create_card_link
        )


def apm_form(errors: dict[str, str], sandbox: bool) -> None:
    shown = (
        "amount",
        "currency",
        "description",
        "method_type",
        "return_url",
        "customer_email",
        "expires_at",
        *(f"customer.{name}" for name in (*APM_PAYER, "country")),
    )
    with st.form("np_apm_form"):
        form_errors(errors, shown)
        _money_fields("np_apm", errors)
        st.text_input("Description", key="np_apm_description", placeholder="Order 18")
        field_error(errors, "description")
        st.selectbox("Payment method", APM_METHODS, key="np_apm_method")
        field_error(errors, "method_type")
        st.text_input("Customer e-mail (optional)", key="np_apm_email")
        field_error(errors, "customer_email")
        st.text_input(
            "Return page" + (" (optional in sandbox mode)" if sandbox else ""),
            key="np_apm_return_url",
            placeholder="https://shop.example/thanks",
            help="Where the payment system sends the payer back to.",
        )
        field_error(errors, "return_url")
        _expiry_field("np_apm_hours", errors)
        _payer_fields(errors)
        st.form_submit_button(
            "Create payment", type="primary", key="np_apm_submit", on_click=create_apm_payment
        )


def _payer_fields(errors: dict[str, str]) -> None:
    """The payer's details (beGateway's ``customer`` section), folded away unless a
    detail was refused: some payment methods need a name or phone, most need none."""
    refused = any(name.startswith("customer.") for name in errors)
    with st.expander(
        "Payer details (optional; some payment methods require them)", expanded=refused
    ):
        left, right = st.columns(2)
        for position, (name, label) in enumerate(APM_PAYER.items()):
            with left if position % 2 == 0 else right:
                st.text_input(label, key=f"np_apm_{name}")
                field_error(errors, f"customer.{name}")
        st.selectbox(
            "Country",
            COUNTRIES,
            key="np_apm_country",
            format_func=lambda code: f"{code} — {countries_by_alpha2[code].name}" if code else "—",
        )
        field_error(errors, "customer.country")


def payture_form(errors: dict[str, str], products: tuple[Product, ...]) -> None:
    extras = tuple(f"extended.{name}" for name in PAYTURE_EXTRAS)
    shown = (
        "product_id",
        "user_id",
        "redirect_url",
        "description",
        "customer_email",
        "amount",
        "currency",
        *extras,
    )
    with st.form("np_pt_form"):
        form_errors(errors, shown)
        if products:
            by_id = {product.id: product for product in products}
            st.selectbox(
                "Product",
                list(by_id),
                key="np_pt_product",
                format_func=lambda pid: _product_label(by_id[pid]),
            )
        else:  # live behind-api has no catalogue: the product's id and price are typed
            st.text_input("Product id (UUID)", key="np_pt_product")
        field_error(errors, "product_id")
        if not products:
            _money_fields("np_pt", errors)
        left, right = st.columns(2)
        with left:
            st.text_input(
                "User id (guest bill)",
                key="np_pt_user",
                help="Needed with a redirect page or extended data.",
            )
            field_error(errors, "user_id")
        with right:
            st.text_input(
                "Redirect page (optional)",
                key="np_pt_redirect_url",
                placeholder="https://shop.example/thanks",
            )
            field_error(errors, "redirect_url")
        st.text_input("Description (optional)", key="np_pt_description")
        field_error(errors, "description")
        st.text_input("Customer e-mail (optional)", key="np_pt_email")
        field_error(errors, "customer_email")
        with st.expander(
            "Extended data: page, gift, campaign", expanded=_any_error(errors, extras)
        ):
            columns = st.columns(2)
            for index, (name, label) in enumerate(PAYTURE_EXTRAS.items()):
                with columns[index % 2]:
                    st.text_input(label, key=f"np_pt_{name}")
                    field_error(errors, f"extended.{name}")
        st.form_submit_button(
            "Create Payture bill", type="primary", key="np_pt_submit", on_click=create_payture_bill
        )


def _money_fields(prefix: str, errors: dict[str, str]) -> None:
    amount, currency = st.columns([2, 1])
    with amount:
        st.text_input("Amount", key=f"{prefix}_amount", placeholder="12.50")
        field_error(errors, "amount")
    with currency:
        st.selectbox(
            "Currency", currency_choices(), key=f"{prefix}_currency", accept_new_options=True
        )
        field_error(errors, "currency")


def _expiry_field(key: str, errors: dict[str, str]) -> None:
    st.number_input(
        "Expires in (hours)", min_value=1, max_value=MAX_HOURS, value=DEFAULT_HOURS, step=1, key=key
    )
    field_error(errors, "expires_at")


def _product_label(product: Product) -> str:
    """A product as a select box option (options are plain text, not Markdown)."""
    gift = " · gift" if product.kind == "gift" else ""
    return f"{product.title} — {format_money(product.amount, product.currency)}{gift}"


def _any_error(errors: dict[str, str], names: tuple[str, ...]) -> bool:
    return any(name in errors for name in names)


# -- the result ---------------------------------------------------------------------------


def result_section(actor) -> None:
    result: CreatedBill | None = st.session_state.get(RESULT)
    if result is None:
        return
    bill = context.ledger().get_bill(result.bill.id) or result.bill
    st.divider()
    st.subheader(f"{bill.ref}: {BILL_KIND_TITLES.get(bill.kind, bill.kind)}")
    if result.confirming:
        st.info(plain(result.message), icon=":material/hourglass_top:")
        st.button("Check again", key="np_confirm", on_click=confirm_last)
    else:
        st.success(plain(result.message), icon=":material/check_circle:")
    notice = st.session_state.get(NOTICE)
    if notice:
        st.caption(plain(notice))
    about = plain(bill.description)
    st.markdown(
        f"**{format_money(bill.amount, bill.currency)}** · status **{bill.status.value}**"
        + (f" · {about}" if about else "")
    )
    st.caption(f"Tracking id {plain(bill.tracking_id)}")
    gift_code = bill.extra.get("gift_code")
    if gift_code:
        st.success(f"Gift code: **{plain(gift_code)}**", icon=":material/redeem:")
    if can(actor, Action.REFRESH) and not result.confirming:
        st.button(
            "Check status", key="np_refresh", on_click=refresh_last, icon=":material/refresh:"
        )
    stem = bill.ref.lower()
    if bill.pay_url:
        pay_link_panel(bill.pay_url, key="np_link", file_stem=stem)
    form = result.form or form_from_json(bill.form)
    if form is not None:
        pay_form_panel(form, context.settings(), key="np_form", file_stem=stem)


# -- the page -----------------------------------------------------------------------------


def main() -> None:
    actor = context.actor()  # "Not signed in" and stop when the login gate did not run
    if "new_payment" not in allowed_pages(actor):
        st.error(f"{plain(actor.name)} ({actor.role}) may not create payments.")
        return
    settings = context.settings()
    st.title("New payment")
    kind = st.segmented_control(
        "Kind",
        list(KINDS),
        format_func=KINDS.__getitem__,
        default="card",
        required=True,
        key="np_kind",
    )
    errors = (st.session_state.get(ERRORS) or {}).get(kind, {})
    failure = st.session_state.get(FAILURE)
    if failure:
        st.error(titled(*failure), icon=":material/error:")
    if st.session_state.get(RESULT) is not None and st.session_state.get(RESULT_KIND) == kind:
        # Done: the result, not the filled-in form (submitting it again would be a
        # repeat). *Create another* brings a fresh form.
        result_section(actor)
        st.button(
            "Create another",
            key="np_another",
            type="primary",
            on_click=create_another,
            args=(kind,),
            icon=":material/add:",
        )
        return
    if kind == "card":
        card_form(errors)
    elif kind == "apm":
        apm_form(errors, settings.is_sandbox)
    else:
        try:
            products = context.billing().payture_bills.products(actor)
        except ConsoleError as exc:
            show_failure(exc)
        else:
            payture_form(errors, products)


main()
