"""The Subscriptions page's list: the search row, one page of matches, the detail box.

The search is ``ledger.subscriptions.search`` (:mod:`console.ledger._subscription_search`):
the customer's e-mail (whole, any case; a malformed one gets its message under the box
and nothing is searched), the plan (its id or a part of its title), one or several
states, and a subscription id or tracking id (``S12``, ``sbs_…``, ``order-17`` — what
Lookup takes), all together. Matches come a page at a time, newest first, by keyset
(:mod:`console.ui.pager`: *Older* / *Newer*), with a count that stops at
:data:`~console.ledger.COUNT_CAP`.

The detail box offers the page shown — so it picks from the search result, however far
back — and the subscription ``?id=`` names when that one is not among them:
``subscriptions?id=S12`` (or a bePaid id, a tracking id) opens it whatever the search,
and choosing one puts its reference in the address, so it can be shared. Keys:
``sub_q_email``, ``sub_q_plan``, ``sub_q_states``, ``sub_q_ref``, ``sub_table``,
``sub_list_*`` (the pager) and ``sub_detail`` (the detail box).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from console.errors import ConsoleError, ValidationError
from console.ledger import COUNT_CAP, Ledger, Subscription, SubscriptionQuery
from console.money import format_money
from console.status import SubscriptionStatus
from console.ui import pager, status_view, tables
from console.ui.forms import field_error
from console.ui.text import plain, titled
from console.validation import email as checked_email

ID_SEEN = "sub_url_id"  # the ?id= value the detail box last followed
DETAIL_KEY = "sub_detail"

__all__ = ["detail_picker", "matches_words", "picker_label", "search_fields", "show_page"]


def search_fields() -> tuple[SubscriptionQuery, dict[str, str]]:
    """The search row; the query it makes and the messages of the fields that are wrong."""
    email, plan, states, ref = st.columns([3, 2, 3, 3])
    errors: dict[str, str] = {}
    typed_email = email.text_input(
        "Customer e-mail", key="sub_q_email", placeholder="anna@example.com"
    )
    try:
        found_email = checked_email(typed_email)
    except ValidationError as exc:
        found_email, errors["email"] = None, exc.message
    with email:
        field_error(errors, "email")
    typed_plan = plan.text_input("Plan (title or id)", key="sub_q_plan", placeholder="Pro")
    chosen_states = states.multiselect(
        "State",
        [state.value for state in SubscriptionStatus],
        key="sub_q_states",
        format_func=status_view.status_label,
        placeholder="any state",
    )
    typed_ref = ref.text_input(
        "Subscription or tracking id", key="sub_q_ref", placeholder="S12 · sbs_… · order-17"
    )
    query = SubscriptionQuery(
        email=found_email,
        plan=typed_plan,
        states=tuple(SubscriptionStatus(value) for value in chosen_states),
        ref=typed_ref,
    )
    return query, errors


def matches_words(count: int, query: SubscriptionQuery) -> str:
    """``1,234 subscriptions match`` / ``more than 9,999 …`` (the count stops at its cap)."""
    many = f"{count:,}" if count < COUNT_CAP else f"more than {COUNT_CAP - 1:,}"
    if not query:
        return f"{many} {'subscription' if count == 1 else 'subscriptions'} in the ledger"
    return f"{many} {'subscription matches' if count == 1 else 'subscriptions match'}"


def show_page(ledger: Ledger, query: SubscriptionQuery, limit: int, tz: str) -> list[Subscription]:
    """The page of matches shown (a table and the pager); the subscriptions on it."""
    try:
        page = ledger.subscriptions.search(
            query, limit=limit, before=pager.before("sub_list", (query, limit))
        )
    except ConsoleError as exc:  # a search the ledger refuses (a whole page of text pasted)
        st.error(titled(exc.title, exc.message), icon=":material/error:")
        return []
    if not page.rows:
        st.info("No subscriptions yet." if not query else "No subscription matches.")
        return []
    st.caption(matches_words(ledger.subscriptions.count(query), query) + ".")
    st.dataframe(  # cells are never Markdown: plans and e-mails show as typed
        [
            {
                "ref": s.ref,
                "plan": s.plan_title or "",
                "price": f"{format_money(s.amount, s.currency)} / {s.interval} {s.interval_unit}",
                "status": s.status.value,
                f"next renewal ({tz})": tables.local_time(s.renew_at, tz),
                "paid cycles": s.paid_cycles,
                "customer": s.customer_email or "",
                f"created ({tz})": tables.local_time(s.created_at, tz),
            }
            for s in page.rows
        ],
        hide_index=True,
        key="sub_table",
    )
    pager.controls("sub_list", page, size=limit, noun="subscriptions")
    return page.rows


def named_by_address(ledger: Ledger, wanted: str) -> Subscription | None:
    """The one subscription ``?id=`` names — ``S12``, ``12``, a bePaid id, a tracking id."""
    try:
        found = ledger.subscriptions.search(SubscriptionQuery(ref=wanted), limit=2).rows
    except ConsoleError:
        return None
    return found[0] if len(found) == 1 else None


def detail_picker(
    ledger: Ledger,
    subs: list[Subscription],
    *,
    on_change: Callable[..., None],
    args: tuple[Any, ...] = (),
) -> Subscription | None:
    """The detail box (see the module docstring); the subscription chosen, as recorded now.
    ``on_change(*args)`` runs when another one is chosen, by the box or by the address."""
    by_ref = {s.ref: s for s in subs}
    wanted = (st.query_params.get("id") or "").strip()
    named = named_by_address(ledger, wanted) if wanted else None
    if named is not None:
        by_ref = {named.ref: named, **by_ref}
        if wanted != st.session_state.get(ID_SEEN):  # a link or bookmark brought it
            st.session_state[DETAIL_KEY] = named.ref
            on_change(*args)
    elif wanted:
        st.warning(f"No subscription is “{plain(wanted)}”.", icon=":material/search_off:")
    st.session_state[ID_SEEN] = wanted
    ref = st.selectbox(
        "Details of",
        list(by_ref),
        index=None,
        key=DETAIL_KEY,
        on_change=on_change,
        args=args,
        placeholder="Choose a subscription" if by_ref else "No subscription to choose",
        format_func=lambda r: picker_label(by_ref[r]),
    )
    if ref is None or ref not in by_ref:
        if "id" in st.query_params:
            del st.query_params["id"]  # nothing in detail: the box was emptied, or no such id
        st.session_state[ID_SEEN] = ""
        return None
    st.query_params["id"] = st.session_state[ID_SEEN] = ref
    return ledger.get_subscription(by_ref[ref].id) or by_ref[ref]


def picker_label(sub: Subscription) -> str:
    """``S12 · Pro, monthly · anna@example.com`` (options are plain text).

    Only what does not change: Streamlit keeps a select box's choice as its label, so a
    label with the status in it would lose the choice when the status moves on."""
    parts = [sub.ref, sub.plan_title or sub.plan_id or "", sub.customer_email]
    return " · ".join(part for part in parts if part)
