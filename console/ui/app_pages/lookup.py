"""Lookup: paste anything a customer or a colleague has — find the payment, say what happened.

One search box takes a bill or subscription reference (``B123``, ``S45``), a bePaid
uid, a subscription id, a tracking id, a checkout token, a whole pay link or a
customer e-mail; ``ledger.lookup`` does the parsing. Several matches give a list to
pick from. A record shows a plain-language explanation (:mod:`console.explain`),
its facts, its status timeline (refunds included: who, why, how much, the provider's
status), what the provider said about each try to pay (why it failed: message, code,
3-D Secure, card brand and last four digits) and its payments; *Check with provider
now* asks the provider through ``billing.objects.refresh``; operators and admins give
money back from a charge with *Refund* (:mod:`console.ui.refund_panel`). Something the
ledger does not know can be looked for at the providers and imported
(``billing.imports.create``).

UI only. The URL follows the search: ``/lookup?q=B12`` opens with that search run,
and every search updates ``?q=`` so the address can be shared.

Decisions:

* The import is offered only for queries a provider could know (not an e-mail,
  not a console reference) and only to roles with ``import``; *Check with provider
  now* only to roles with ``refresh``, and not for demo rows (they exist at no
  provider).
* The import runs in a button callback: when the ledger's search still does not
  find the pasted text afterwards (a transaction uid recorded on its checkout, for
  example), the box is set to the imported record's reference so it is shown.
* A card number is refused before it goes anywhere: the box's ``on_change`` callback
  (which runs before the script) empties the box, so the number never reaches
  ``?q=`` (the address bar, the browser's history, a shared link), the ledger search
  or the page; a ``?q=`` that carries one is dropped the same way
  (:func:`console.ui.lookup_view.holds_card_number` decides).
* Everything shown from the query, the records and the providers goes through
  :func:`console.ui.text.plain`.
"""

from __future__ import annotations

import streamlit as st

from console.auth import Action, Actor, allowed_pages, can
from console.billing import InvalidInput
from console.errors import ConsoleError
from console.explain import explain
from console.ledger import Bill, Ledger, LookupResult, Subscription
from console.ui import context, lookup_view, refund_panel, status_view
from console.ui.text import plain, titled

QUERY_KEY = "lk_query"
URL_SEEN_KEY = "lk_url_q"  # the ?q= value the box last followed
FLASH_KEY = "lk_flash"  # (tone, text) left by a callback for the next run
NEEDS_CURRENCY_KEY = "lk_needs_currency"  # the query whose import needs a currency
SEARCH_LABEL = "Bill or subscription, provider id, tracking id, token, pay link or e-mail"
PLACEHOLDER = "B123 · S45 · sbs_… · order-981 · https://checkout.bepaid.by/v2/checkout?token=…"
HOW_TO = (
    "Paste whatever the customer sent: a pay link, an e-mail address, an order or "
    "tracking number, a bePaid uid — or a console reference like **B123** or **S45**."
)
CURRENCIES = ("RUB", "BYN", "EUR", "USD", "KZT")
CARD_REFUSED = (
    "That looks like a card number, so it was not searched for: card numbers are never "
    "looked up or stored here. Search by the payment's id, tracking id, pay link or the "
    "customer's e-mail instead."
)


def refuse_card_number() -> None:
    """The box's ``on_change``: a card number is wiped before the script sees it."""
    if lookup_view.holds_card_number(st.session_state.get(QUERY_KEY) or ""):
        st.session_state[QUERY_KEY] = ""
        st.session_state[FLASH_KEY] = ("error", CARD_REFUSED)


def search_box() -> str:
    """The search text; follows ``?q=`` when the URL brings a new one, and sets it."""
    wanted = st.query_params.get("q", "")
    if wanted and lookup_view.holds_card_number(wanted):  # a link made with a card number in it
        del st.query_params["q"]
        st.session_state[FLASH_KEY] = ("error", CARD_REFUSED)
        wanted = ""
    if wanted and wanted != st.session_state.get(URL_SEEN_KEY):
        st.session_state[QUERY_KEY] = wanted
    query = st.text_input(
        SEARCH_LABEL,
        key=QUERY_KEY,
        placeholder=PLACEHOLDER,
        icon=":material/search:",
        on_change=refuse_card_number,
    ).strip()
    st.session_state[URL_SEEN_KEY] = query
    if query:
        st.query_params["q"] = query
    elif "q" in st.query_params:
        del st.query_params["q"]
    return query


def show_flash() -> None:
    """What a callback left for this run; ``text`` is Markdown made with :func:`plain`."""
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        tone, text = flash
        {"success": st.success, "warning": st.warning, "error": st.error}[tone](text)


def pick(result: LookupResult, tz: str) -> Bill | Subscription:
    """The one match, or the one the person picks from several (newest first)."""
    records: list[Bill | Subscription] = sorted(
        [*result.bills, *result.subscriptions], key=lambda r: r.created_at, reverse=True
    )
    if len(records) == 1:
        return records[0]
    st.markdown(f"**{len(records)} matches**, newest first.")
    st.table(lookup_view.match_rows(records, tz), hide_index=True)
    refs = [record.ref for record in records]
    by_ref = dict(zip(refs, records, strict=True))
    chosen = st.selectbox(
        "Show", refs, format_func=lambda ref: lookup_view.describe(by_ref[ref]), key="lk_pick"
    )
    return by_ref.get(chosen, records[0])


def check_now(record: Bill | Subscription, actor: Actor) -> Bill | Subscription:
    """Ask the provider now; show what changed; return the record as recorded after."""
    try:
        with st.spinner("Asking the provider…"):
            refreshed = context.billing().objects.refresh(actor, record.ref)
    except ConsoleError as exc:
        st.error(titled(exc.title, exc.message))
        return record
    st.success(plain(refreshed.message), icon=":material/sync:")
    for warning in refreshed.change.warnings:
        st.warning(plain(warning))
    return refreshed.record


def show_record(record: Bill | Subscription, ledger: Ledger, actor: Actor, tz: str) -> None:
    object_type = lookup_view.object_type(record)
    head, action = st.columns([3, 1], vertical_alignment="center")
    head.subheader(lookup_view.describe(record))
    if can(actor, Action.REFRESH):
        clicked = action.button(
            "Check with provider now",
            icon=":material/sync:",
            key="lk_refresh",
            disabled=record.demo,
            help="Demo data is at no provider." if record.demo else "Ask the provider now.",
        )
        if clicked:
            record = check_now(record, actor)
    history = ledger.history(object_type, record.id)
    payments = ledger.payments_of(object_type, record.id)
    attempts = ledger.attempts.of_object(object_type, record.id)
    head.markdown(
        f"{status_view.status_badge(record.status)} provider status "
        f"{plain(record.native_status) or '—'}"
    )
    status_view.render_explanation(explain(record, history, payments, tz=tz, attempts=attempts))
    if record.pay_url:
        st.caption("Pay link")
        st.code(record.pay_url, language=None, wrap_lines=True)
    facts_col, extra_col = st.columns([3, 2])
    with facts_col:
        st.table(lookup_view.record_facts(record, tz), hide_index=True, hide_header=True)
    with extra_col:
        other = lookup_view.other_extras(record)
        if other:
            st.caption("More data from the provider")
            st.json(other, expanded=True)
    refunds = ledger.refunds.of_object(object_type, record.id)
    st.subheader("Timeline")
    status_view.render_timeline(history, tz, refunds)
    status_view.render_attempts(attempts, tz)
    st.subheader("Payments")
    status_view.render_payments(payments, tz)
    refund_panel.render(payments, refunds, actor, tz)


def import_now(query: str, currency: str | None) -> None:
    """Button callback: find ``query`` at the providers and record it."""
    actor = context.actor()
    try:
        imported = context.billing().imports.create(actor, query, currency=currency)
    except InvalidInput as exc:
        if "currency" in exc.errors:
            st.session_state[NEEDS_CURRENCY_KEY] = query
            st.session_state[FLASH_KEY] = ("warning", plain(exc.errors["currency"]))
        else:
            st.session_state[FLASH_KEY] = ("error", titled(exc.title, exc.message))
        return
    except ConsoleError as exc:
        st.session_state[FLASH_KEY] = ("error", titled(exc.title, exc.message))
        return
    st.session_state.pop(NEEDS_CURRENCY_KEY, None)
    message = " ".join([imported.message, *imported.warnings])
    st.session_state[FLASH_KEY] = ("success", plain(message))
    if not context.ledger().lookup(query):
        st.session_state[QUERY_KEY] = imported.ref


def not_found(query: str, actor: Actor) -> None:
    st.warning(
        f"Nothing in the ledger matches “{plain(query)}”.",
        icon=":material/search_off:",
    )
    if not lookup_view.importable(query):
        st.caption(
            "E-mail addresses and console references (B123, S45) exist only in this "
            "ledger, so there is nothing to ask the providers. Check the spelling."
        )
        return
    if not can(actor, Action.IMPORT):
        st.caption(
            "It may exist at a provider (made elsewhere, or before this ledger): someone with "
            "the support or operator role can look for it there and import it."
        )
        return
    st.caption(
        "It may exist at a provider — made in the provider's back office, by another "
        "system, or before this ledger. Look for it there and import it:"
    )
    currency = None
    if st.session_state.get(NEEDS_CURRENCY_KEY) == query:
        currency = st.selectbox("Currency of this Payture bill", CURRENCIES, key="lk_currency")
    st.button(
        "Look for it at the providers and import",
        icon=":material/cloud_download:",
        key="lk_import",
        on_click=import_now,
        args=(query, currency),
    )


def main() -> None:
    # Defence in depth: the page checks the login gate itself, whatever runs it.
    actor = context.actor()  # "Not signed in" and stop when the login gate did not run
    if "lookup" not in allowed_pages(actor):
        st.error(f"{plain(actor.name)} ({actor.role}) may not open Lookup.")
        return
    settings = context.settings()
    ledger = context.ledger()
    tz = settings.timezone.key
    st.title("Lookup")
    query = search_box()
    show_flash()
    if not query:
        st.caption(HOW_TO)
        return
    try:
        result = ledger.lookup(query)
    except ConsoleError as exc:
        st.error(titled(exc.title, exc.message))
        return
    if not result:
        not_found(query, actor)
        return
    show_record(pick(result, tz), ledger, actor, tz)


main()
