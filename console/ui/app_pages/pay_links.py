"""Pay links & forms: every open bill's pay link with its QR code and expiry countdown, and
for an APM payment its pay form (preview, escaped HTML to copy, ``.html`` download).

UI only. "Open" is the ledger's definition (``open_items``: bills ``creating`` or
``pending``), newest first, one page at a time. Countdowns are measured from now and
the expiry is shown in the console's display time zone. *Check status* asks the
provider through ``Billing.refresh`` (roles that may refresh only).

The page reads the newest :data:`SCAN_LIMIT` open items of each kind (an index walk
over the open-status partial index), merges them newest first and reads the full
rows of the one page it shows; the count above the list is exact (``open_counts``),
and when there are more open bills than were read the page says so and points to
Lookup for the older ones.

Widget keys start with ``pl_``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import streamlit as st

from console.auth import Action, allowed_pages, can
from console.errors import ConsoleError
from console.ledger import BILL_KINDS, Bill
from console.money import format_money
from console.payform import form_from_json
from console.status import BillStatus
from console.ui import context
from console.ui.forms import PAY_LINKS_LISTED, countdown, pay_form_panel, pay_link_panel
from console.ui.text import plain, titled

KIND_TITLES = {
    "card_link": "Card pay link",
    "apm": "Alternative payment",
    "payture_bill": "Payture bill",
}
ALL_KINDS = "all"
PAGE_SIZES = (10, 25, 50)
SCAN_LIMIT = PAY_LINKS_LISTED
NOTICE = "pl_notice"  # (ref, Markdown made with plain(), ok) of the last status check


def open_bills(kind: str) -> tuple[list[int], int]:
    """The ids of the newest open bills of ``kind`` (or every kind), newest first, and how
    many are open in all (both from the open bills' indexes: the page reads only the
    rows it shows)."""
    ledger = context.ledger()
    chosen = None if kind == ALL_KINDS else kind
    ids = ledger.open_bill_ids(chosen, limit=SCAN_LIMIT)
    counts = ledger.open_counts(kind=chosen)
    total = sum(count for (object_type, _), count in counts.items() if object_type == "bill")
    return ids, total


def refresh(ref: str) -> None:
    """*Check status* callback: ask the provider now and keep the answer's sentence."""
    try:
        answer = context.billing().objects.refresh(context.actor(), ref)
    except ConsoleError as exc:
        st.session_state[NOTICE] = (ref, titled(exc.title, exc.message), False)
    else:
        st.session_state[NOTICE] = (ref, plain(answer.message), True)


def without_link_words(bill: Bill) -> str:
    """Why an open bill shows neither a pay link nor a form."""
    if bill.status.value == BillStatus.CREATING.value:  # by value: see console.explain
        return "No pay link yet: the provider's answer is still being confirmed."
    if bill.demo:
        return (
            "Demo data (made by merchant-console demo): it exists at no provider, "
            "so it has no pay link or form."
        )
    return (
        "No pay link or form is recorded for this bill (the provider did not give one, "
        "or it was imported without one). Check status asks the provider about it."
    )


def link_card(bill: Bill, now: datetime, *, may_refresh: bool) -> None:
    settings = context.settings()
    with st.container(border=True, key=f"pl_bill_{bill.id}"):
        st.markdown(
            f"**{bill.ref}** · {KIND_TITLES.get(bill.kind, bill.kind)} · "
            f"**{format_money(bill.amount, bill.currency)}** · {bill.status.value}"
        )
        if bill.description:
            st.text(bill.description)  # st.text: never Markdown
        st.caption(countdown(bill.expires_at, now, settings.timezone))
        if may_refresh and not bill.demo:
            st.button(
                "Check status",
                key=f"pl_refresh_{bill.id}",
                on_click=refresh,
                args=(bill.ref,),
                icon=":material/refresh:",
            )
        stem = bill.ref.lower()
        if bill.pay_url:
            pay_link_panel(bill.pay_url, key=f"pl_link_{bill.id}", file_stem=stem)
        form = form_from_json(bill.form)
        if form is not None:
            with st.expander("Pay form", expanded=True):
                pay_form_panel(form, settings, key=f"pl_form_{bill.id}", file_stem=stem)
        if not bill.pay_url and form is None:
            st.info(without_link_words(bill))


def main() -> None:
    actor = context.actor()  # "Not signed in" and stop when the login gate did not run
    if "pay_links" not in allowed_pages(actor):
        st.error(f"{plain(actor.name)} ({actor.role}) may not open Pay links & forms.")
        return
    ledger = context.ledger()
    st.title("Pay links & forms")
    kind_col, size_col = st.columns([3, 1])
    kind = kind_col.segmented_control(
        "Kind",
        (ALL_KINDS, *BILL_KINDS),
        key="pl_kind",
        default=ALL_KINDS,
        required=True,
        format_func=lambda k: "All" if k == ALL_KINDS else KIND_TITLES[k],
    )
    size = size_col.selectbox("Per page", PAGE_SIZES, key="pl_size")
    notice = st.session_state.pop(NOTICE, None)
    if notice:  # shown once, on top: a bill just paid has left the list below
        ref, sentence, ok = notice
        (st.success if ok else st.error)(f"{ref}: {sentence}")
    items, total = open_bills(kind)
    if not items:
        st.info("No open pay links. Create one on the New payment page.")
        return
    pages = max(1, math.ceil(len(items) / size))
    if total > len(items):
        st.caption(
            f"{total} open, newest first; the newest {len(items)} are listed here. "
            "Find an older one by its id, tracking id or e-mail on Lookup."
        )
    else:
        st.caption(f"{total} open, newest first.")
    page = st.pagination(pages, key="pl_page") if pages > 1 else 1
    page = min(page, pages)
    now = datetime.now(UTC)
    may_refresh = can(actor, Action.REFRESH)
    for bill_id in items[(page - 1) * size : page * size]:
        bill = ledger.get_bill(bill_id)
        if bill is not None:
            link_card(bill, now, may_refresh=may_refresh)


main()
