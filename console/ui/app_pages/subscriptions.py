"""Subscriptions: bePaid plans (create, list), new subscriptions (existing or inline plan)
with their pay link and QR code, the ledger's subscriptions — searched and paged — with
one in detail (its charges, history and customer), and cancelling with a required reason
and a confirmation.

The list is ``ledger.subscriptions.search``: by the customer's e-mail (whole, any case),
the plan (its id, or a part of its title), one or several states and a subscription id
(``S12``, ``sbs_…``) or tracking id, all together; a page at a time, newest first, by
keyset (*Older* / *Newer*). The detail box offers the page of the search result shown;
``subscriptions?id=S12`` (or a bePaid id, a tracking id) opens one directly, whatever
the search, and choosing one puts its reference in the address. The detail links the
customer's e-mail to the Customer page.

UI only: every action is one ``console.billing`` call from a submit callback (see
:mod:`console.ui.forms` for how inline messages work); lists are ledger queries.
The plans list is one provider call, kept for the session until *Reload plans* or a
new plan. Create and cancel controls are shown only to roles that may use them;
billing checks the role again anyway.

Widget keys start with ``sub_``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from console.auth import Action, Actor, allowed_pages, can
from console.billing import (
    CreatedSubscription,
    InvalidInput,
    PlanDraft,
    ProviderRejectedInput,
    SubscriptionDraft,
    new_idempotency_key,
)
from console.errors import ConsoleError
from console.ledger import INTERVAL_UNITS, Subscription
from console.money import format_money
from console.providers import Plan
from console.status import is_final
from console.ui import context, status_view, subscription_list, tables
from console.ui.forms import (
    blank_to_none,
    currency_choices,
    field_error,
    form_errors,
    pay_link_panel,
)
from console.ui.links import customer_link
from console.ui.text import plain, titled

PLANS = "sub_plans"  # tuple[Plan, ...] read from bePaid this session
ERRORS = "sub_errors"  # {form: {field: message}}
FAILURE = "sub_failure"  # {form: (title, message)}
NOTICE = "sub_notice"  # {form: sentence}
CREATED = "sub_created"  # CreatedSubscription of the last create
DONE = "sub_done"  # {form: True} once a create form did its work (until Create another)
LIMITS = (50, 200, 1000)  # rows per page of the list
EXISTING, INLINE = "existing", "inline"
PLAN_FIELDS = (
    "title",
    "amount",
    "currency",
    "interval",
    "interval_unit",
    "trial_amount",
    "trial_interval",
    "trial_unit",
    "billing_cycles",
)
CONFIRM = "confirm"


# -- callbacks ----------------------------------------------------------------------------


def _value(key: str) -> Any:
    """A submitted value, ``None`` when left blank; billing checks what it is."""
    return blank_to_none(st.session_state.get(key))


def form_key(form: str) -> str:
    """The idempotency key of ``form`` as shown now (see console.billing's ``Once``): every
    submit of one shown form is one plan, one subscription, one cancel."""
    return st.session_state.setdefault(f"sub_{form}_idempotency", new_idempotency_key())


def _new_form(form: str) -> None:
    st.session_state[f"sub_{form}_idempotency"] = new_idempotency_key()


def _outcome(form: str, action: Callable[[str], str], *, keyed: str | None = None) -> bool:
    """Run ``action`` with the form's idempotency key (of ``keyed``, default ``form``);
    keep its sentence, its field errors or its failure under ``form``."""
    state = st.session_state
    for name in (ERRORS, FAILURE, NOTICE):
        state.setdefault(name, {})
        state[name].pop(form, None)
    keyed = keyed or form
    try:
        state[NOTICE][form] = action(form_key(keyed))
    except InvalidInput as exc:  # nothing written: the same form may go again
        state[ERRORS][form] = exc.errors
        if isinstance(exc, ProviderRejectedInput) and exc.ref:
            _new_form(keyed)  # kept as failed: a corrected form is a new attempt
            state[FAILURE][form] = (exc.title, f"The attempt is kept as {exc.ref} (failed).")
        return False
    except ConsoleError as exc:
        _new_form(keyed)
        state[FAILURE][form] = (exc.title, exc.message)
        return False
    return True


def another(form: str, prefixes: tuple[str, ...]) -> None:
    """*Create another*: a fresh, empty form with a new key."""
    state = st.session_state
    for key in [k for k in state if isinstance(k, str) and k.startswith(prefixes)]:
        del state[key]
    _new_form(form)
    state.setdefault(DONE, {}).pop(form, None)
    forget(form)


def forget(*forms: str) -> None:
    """Drop the messages of ``forms`` (another subscription was chosen)."""
    for name in (ERRORS, FAILURE, NOTICE):
        for form in forms:
            st.session_state.get(name, {}).pop(form, None)


def _draft(prefix: str) -> PlanDraft:
    return PlanDraft(
        title=_value(f"{prefix}_title"),
        amount=_value(f"{prefix}_amount"),
        currency=_value(f"{prefix}_currency"),
        interval=_value(f"{prefix}_interval"),
        interval_unit=_value(f"{prefix}_unit"),
        trial_amount=_value(f"{prefix}_trial_amount"),
        trial_interval=_value(f"{prefix}_trial_interval"),
        trial_unit=_value(f"{prefix}_trial_unit"),
        billing_cycles=_value(f"{prefix}_cycles"),
    )


def create_plan() -> None:
    def action(key: str) -> str:
        created = context.billing().plans.create(
            context.actor(), _draft("sub_plan"), idempotency_key=key
        )
        st.session_state.pop(PLANS, None)  # list again, with the new plan
        return created.message

    if _outcome("plan", action):
        st.session_state.setdefault(DONE, {})["plan"] = True


def create_subscription() -> None:
    source = st.session_state.get("sub_new_source", EXISTING)
    plan = _draft("sub_inline") if source == INLINE else _value("sub_new_plan")

    def action(key: str) -> str:
        draft = SubscriptionDraft(
            plan=plan,
            customer_email=_value("sub_new_email"),
            customer_ip=_value("sub_new_ip"),
            return_url=_value("sub_new_return_url"),
        )
        created = context.billing().subscriptions.create(
            context.actor(), draft, idempotency_key=key
        )
        st.session_state[CREATED] = created
        return created.message

    if _outcome("subscribe", action):
        st.session_state.setdefault(DONE, {})["subscribe"] = True


def confirm_created() -> None:
    created: CreatedSubscription | None = st.session_state.get(CREATED)
    if created is None:
        return

    def action(_key: str) -> str:
        again = context.billing().objects.confirm(context.actor(), created.ref)
        if isinstance(again, CreatedSubscription):
            st.session_state[CREATED] = again
        return again.message

    _outcome("subscribe", action, keyed="confirm")


def refresh(ref: str) -> None:
    _outcome("detail", lambda _key: context.billing().objects.refresh(context.actor(), ref).message)


def cancel(ref: str) -> None:
    forget("cancel")
    if not st.session_state.get("sub_cancel_confirm"):
        errors = {CONFIRM: "Tick the box to confirm: a canceled subscription cannot be resumed."}
        if not blank_to_none(st.session_state.get("sub_cancel_reason")):
            errors["reason"] = "Give a reason: it is kept with the subscription."  # both at once
        st.session_state.setdefault(ERRORS, {})["cancel"] = errors
        return

    def action(key: str) -> str:
        done = context.billing().subscriptions.cancel(
            context.actor(),
            ref,
            reason=st.session_state.get("sub_cancel_reason") or "",
            idempotency_key=key,
        )
        return done.message

    if _outcome("cancel", action, keyed=f"cancel_{ref}"):
        st.session_state["sub_cancel_reason"] = ""
        st.session_state["sub_cancel_confirm"] = False


# -- pieces -------------------------------------------------------------------------------


def _errors(form: str) -> dict[str, str]:
    return (st.session_state.get(ERRORS) or {}).get(form, {})


def _messages(form: str) -> None:
    failure = (st.session_state.get(FAILURE) or {}).get(form)
    if failure:
        st.error(titled(*failure), icon=":material/error:")
    notice = (st.session_state.get(NOTICE) or {}).get(form)
    if notice and not _errors(form) and not failure:
        st.success(plain(notice), icon=":material/check_circle:")


def plan_fields(prefix: str, errors: dict[str, str]) -> None:
    """The fields of a plan (create-plan form and inline plan); keys ``<prefix>_*``."""
    st.text_input("Plan title", key=f"{prefix}_title", placeholder="Pro, monthly")
    field_error(errors, "title")
    amount, currency = st.columns([2, 1])
    with amount:
        st.text_input("Amount per period", key=f"{prefix}_amount", placeholder="29.90")
        field_error(errors, "amount")
    with currency:
        st.selectbox(
            "Currency", currency_choices(), key=f"{prefix}_currency", accept_new_options=True
        )
        field_error(errors, "currency")
    every, unit = st.columns(2)
    with every:
        st.number_input(
            "Every", min_value=1, max_value=720, value=1, step=1, key=f"{prefix}_interval"
        )
        field_error(errors, "interval")
    with unit:
        st.selectbox("Unit", INTERVAL_UNITS, index=2, key=f"{prefix}_unit")
        field_error(errors, "interval_unit")
    st.caption("Trial (optional): fill all three, or leave all empty.")
    trial_amount, trial_every, trial_unit = st.columns(3)
    with trial_amount:
        st.text_input("Trial amount", key=f"{prefix}_trial_amount", placeholder="1.00")
        field_error(errors, "trial_amount")
    with trial_every:
        st.number_input(
            "Trial length",
            min_value=1,
            max_value=720,
            value=None,
            step=1,
            key=f"{prefix}_trial_interval",
        )
        field_error(errors, "trial_interval")
    with trial_unit:
        st.selectbox(
            "Trial unit",
            INTERVAL_UNITS,
            index=None,
            placeholder="no trial",
            key=f"{prefix}_trial_unit",
        )
        field_error(errors, "trial_unit")
    st.number_input(
        "Billing cycles (empty: until canceled)",
        min_value=1,
        max_value=1000,
        value=None,
        step=1,
        key=f"{prefix}_cycles",
    )
    field_error(errors, "billing_cycles")


def plan_label(plan: Plan) -> str:
    """A plan as a select box option (options are plain text, not Markdown)."""
    period = plan.period
    trial = f", trial {plan.trial.interval} {plan.trial.interval_unit}" if plan.trial else ""
    return (
        f"{plan.title} — {format_money(plan.amount, plan.currency)} every "
        f"{period.interval} {period.interval_unit}{trial}"
    )


def load_plans(actor: Actor) -> tuple[Plan, ...] | None:
    """The session's plans list, read from bePaid once (None when bePaid could not say)."""
    if PLANS not in st.session_state:
        try:
            st.session_state[PLANS] = context.billing().plans.every(actor)
        except ConsoleError as exc:
            st.error(titled(exc.title, exc.message), icon=":material/error:")
            return None
    return st.session_state[PLANS]


# -- tabs ---------------------------------------------------------------------------------


def plans_tab(actor: Actor) -> None:
    plans = load_plans(actor)
    if st.button("Reload plans", key="sub_reload_plans", icon=":material/refresh:"):
        st.session_state.pop(PLANS, None)
        st.rerun()
    if plans is not None and not plans:
        st.info("No plans at bePaid yet.")
    elif plans:
        st.dataframe(  # cells are never Markdown: titles show as typed
            [
                {
                    "id": p.id,
                    "title": p.title,
                    "price": format_money(p.amount, p.currency),
                    "every": f"{p.period.interval} {p.period.interval_unit}",
                    "trial": f"{p.trial.interval} {p.trial.interval_unit}" if p.trial else "",
                    "cycles": str(p.billing_cycles or "until canceled"),
                }
                for p in plans
            ],
            hide_index=True,
            key="sub_plans_table",
        )
    if not can(actor, Action.CREATE):
        return
    st.subheader("New plan")
    errors = _errors("plan")
    _messages("plan")
    if st.session_state.get(DONE, {}).get("plan"):
        st.button(
            "Create another plan",
            key="sub_plan_another",
            on_click=another,
            args=("plan", ("sub_plan_",)),
            icon=":material/add:",
        )
        return
    with st.form("sub_plan_form"):
        form_errors(errors, PLAN_FIELDS)
        plan_fields("sub_plan", errors)
        st.form_submit_button(
            "Create plan", type="primary", key="sub_plan_submit", on_click=create_plan
        )


def subscribe_tab(actor: Actor) -> None:
    if not can(actor, Action.CREATE):
        st.info(f"Your role ({actor.role}) cannot create subscriptions.")
        return
    errors = _errors("subscribe")
    _messages("subscribe")
    if st.session_state.get(DONE, {}).get("subscribe"):
        created_section()
        st.button(
            "Create another subscription",
            key="sub_new_another",
            on_click=another,
            args=("subscribe", ("sub_new_", "sub_inline_")),
            icon=":material/add:",
        )
        return
    source = st.radio(
        "Plan",
        (EXISTING, INLINE),
        horizontal=True,
        key="sub_new_source",
        format_func={EXISTING: "An existing plan", INLINE: "A new plan"}.get,
    )
    plans = load_plans(actor) if source == EXISTING else ()
    shown = ("plan_id", "customer_email", "customer_ip", "return_url")
    with st.form("sub_new_form"):
        form_errors(errors, (*shown, *(PLAN_FIELDS if source == INLINE else ())))
        if source == EXISTING:
            by_id = {plan.id: plan for plan in plans or ()}
            st.selectbox(
                "Plan",
                list(by_id),
                index=None,
                key="sub_new_plan",
                placeholder="Choose a plan" if by_id else "No plans yet",
                format_func=lambda pid: plan_label(by_id[pid]),
            )
            field_error(errors, "plan_id")
        else:
            plan_fields("sub_inline", errors)
        st.text_input("Customer e-mail (optional)", key="sub_new_email")
        field_error(errors, "customer_email")
        st.text_input("Customer IP (optional; sent with the e-mail)", key="sub_new_ip")
        field_error(errors, "customer_ip")
        st.text_input(
            "Return page (optional)",
            key="sub_new_return_url",
            placeholder="https://shop.example/welcome",
        )
        field_error(errors, "return_url")
        st.form_submit_button(
            "Create subscription",
            type="primary",
            key="sub_new_submit",
            on_click=create_subscription,
        )
    created_section()


def created_section() -> None:
    created: CreatedSubscription | None = st.session_state.get(CREATED)
    if created is not None:
        sub = context.ledger().get_subscription(created.subscription.id) or created.subscription
        st.markdown(f"**{sub.ref}** · {plain(sub.plan_title)} · status **{sub.status.value}**")
        if created.confirming:
            st.info(plain(created.message), icon=":material/hourglass_top:")
            st.button("Check again", key="sub_confirm", on_click=confirm_created)
        if sub.pay_url:
            st.caption("Send the payer this link: they enter their card on bePaid's page.")
            pay_link_panel(sub.pay_url, key="sub_new_link", file_stem=sub.ref.lower())


def list_tab(actor: Actor) -> None:
    ledger, tz = context.ledger(), context.settings().timezone.key
    query, errors = subscription_list.search_fields()
    limit = st.selectbox(
        "Show", LIMITS, key="sub_limit", format_func=lambda n: f"{n} per page", width=200
    )
    subs = [] if errors else subscription_list.show_page(ledger, query, limit, tz)
    chosen = subscription_list.detail_picker(
        ledger, subs, on_change=forget, args=("detail", "cancel")
    )
    if chosen is not None:
        detail(actor, chosen, tz)


def detail(actor: Actor, sub: Subscription, tz: str) -> None:
    ledger = context.ledger()
    st.subheader(f"{sub.ref}: {plain(sub.plan_title) or 'subscription'}")
    st.markdown(
        f"**{format_money(sub.amount, sub.currency)}** every {sub.interval} {sub.interval_unit}"
        f" · status **{sub.status.value}** · paid cycles **{sub.paid_cycles}**"
        f" · next renewal {tables.local_time(sub.renew_at, tz) or '—'}"
    )
    st.caption(
        f"bePaid id {plain(sub.provider_id) or '—'} · tracking id {plain(sub.tracking_id)}"
        + (f" · canceled: {plain(sub.cancel_reason)}" if sub.cancel_reason else "")
    )
    if sub.customer_email:  # everything of this customer, on the Customer page
        st.markdown(f"Customer: {customer_link(sub.customer_email)}")
    _messages("detail")
    _messages("cancel")  # here, not in the form: a canceled subscription has no form
    if can(actor, Action.REFRESH) and not sub.demo:
        st.button(
            "Check status",
            key="sub_refresh",
            on_click=refresh,
            args=(sub.ref,),
            icon=":material/refresh:",
        )
    if sub.pay_url and not is_final(sub.status):
        with st.expander("Pay link"):
            pay_link_panel(sub.pay_url, key="sub_detail_link", file_stem=sub.ref.lower())
    # Tables, not dataframes: a handful of rows, readable and searchable in the page
    # (st.table renders Markdown in its cells: the rows are made with plain()).
    charges = ledger.payments_of("subscription", sub.id)
    st.markdown("**Charges**")
    if charges:
        st.table(status_view.payment_rows(charges, tz), hide_index=True)
    else:
        st.caption("No charges yet.")
    st.markdown("**History**")
    st.table(status_view.timeline_rows(ledger.history("subscription", sub.id), tz), hide_index=True)
    cancel_section(actor, sub)


def cancel_section(actor: Actor, sub: Subscription) -> None:
    if not can(actor, Action.CANCEL) or is_final(sub.status):
        return
    if sub.demo:
        st.caption("Demo data: exists at no provider, so it cannot be canceled.")
        return
    st.markdown("**Cancel this subscription**")
    errors = _errors("cancel")
    with st.form("sub_cancel_form"):
        form_errors(errors, ("reason", CONFIRM))
        st.text_input("Reason (required; kept with the subscription)", key="sub_cancel_reason")
        field_error(errors, "reason")
        st.checkbox(
            "I understand: bePaid stops charging this customer for good.", key="sub_cancel_confirm"
        )
        field_error(errors, CONFIRM)
        st.form_submit_button(
            "Cancel subscription", key="sub_cancel_submit", on_click=cancel, args=(sub.ref,)
        )


def main() -> None:
    actor = context.actor()  # "Not signed in" and stop when the login gate did not run
    if "subscriptions" not in allowed_pages(actor):
        st.error(f"{plain(actor.name)} ({actor.role}) may not open Subscriptions.")
        return
    st.title("Subscriptions")
    listing, subscribe, plans = st.tabs(["Subscriptions", "New subscription", "Plans"])
    with listing:
        list_tab(actor)
    with subscribe:
        subscribe_tab(actor)
    with plans:
        plans_tab(actor)


main()
