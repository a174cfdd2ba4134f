"""Customer: everything of one customer — "everything this customer ever paid" in one place.

Opened as ``customer?email=<url-encoded e-mail>`` (Lookup, the Subscriptions page and
other pages link here that way; see :mod:`console.ui.links`), or by typing an address in
the box at the top, which then sets ``?email=`` so the address can be shared. The
e-mail is matched in any letter case, as Lookup matches it. The page shows:

* what the customer paid, per currency and never summed across currencies — paid,
  refunded (confirmed refunds), net, how many of each, the first and the last payment;
* what is still open: bills waiting for money, subscriptions not final, with their
  status, and refund attempts still being confirmed;
* the bills, subscriptions, payments and refund attempts, newest first, a page at a
  time (*Older* / *Newer*: the ledger reads them by keyset, so a customer with 100,000
  bills costs one page, not all of them). Every object links to Lookup.

UI only: every number comes from ``ledger.customers``. A malformed address gets a
clear message and nothing is searched (nor put in the address bar).

Decision: the page is in the menu under *Support*, beside Lookup, for every role that
may view. Support is asked about a customer before they have any id to paste, and an
e-mail box that opens with nothing in it is still the right start; the links from
Lookup and Subscriptions only save the typing.

Widget keys start with ``cu_``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import streamlit as st

from console.auth import allowed_pages
from console.errors import ConsoleError, ValidationError
from console.ledger import CustomerSummary, Ledger, ListPage
from console.ui import context, customer_view, pager
from console.ui.status_view import local_time
from console.ui.text import plain, titled
from console.validation import email as checked_email

EMAIL_KEY = "cu_email"
URL_SEEN_KEY = "cu_url_email"  # the ?email= value the box last followed
PAGE_SIZE_KEY = "cu_page_size"
PAGE_SIZES = (25, 50, 200)
OPEN_SHOWN = 50
LABEL = "Customer e-mail"
HOW_TO = (
    "Type the customer's e-mail address to see everything of theirs: what they paid in "
    "each currency, what is still open, and every bill, subscription, payment and refund."
)


def email_box() -> str:
    """The address typed; follows ``?email=`` when the URL brings a new one."""
    wanted = st.query_params.get("email", "")
    if wanted and wanted != st.session_state.get(URL_SEEN_KEY):
        st.session_state[EMAIL_KEY] = wanted
    typed: str = st.text_input(
        LABEL,
        key=EMAIL_KEY,
        placeholder="anna.petrova@example.com",
        icon=":material/person_search:",
    ).strip()
    st.session_state[URL_SEEN_KEY] = typed
    return typed


def follow_in_address(email: str | None) -> None:
    """``?email=`` says which customer is shown (nothing when the box holds no address)."""
    if email:
        st.query_params["email"] = email
    elif "email" in st.query_params:
        del st.query_params["email"]


def summary_section(summary: CustomerSummary, tz: str) -> None:
    st.subheader(plain(summary.email))
    bills, subs, first, last = st.columns(4)
    bills.metric("Bills", f"{summary.bills:,}")
    subs.metric("Subscriptions", f"{summary.subscriptions:,}")
    # The day fits the metric; the table below has the times, per currency.
    first.metric(f"First payment ({tz})", local_time(summary.first_payment_at, tz)[:10] or "—")
    last.metric(f"Last payment ({tz})", local_time(summary.last_payment_at, tz)[:10] or "—")
    st.markdown("**Paid, per currency**")
    if summary.totals:
        st.table(customer_view.totals_rows(summary.totals, tz), hide_index=True)
    else:
        st.caption("No payment recorded yet.")


def open_section(ledger: Ledger, summary: CustomerSummary, tz: str) -> None:
    st.markdown("**Open**")
    if not (summary.open_bills or summary.open_subscriptions or summary.refunds_being_confirmed):
        st.caption("Nothing open: every bill and subscription of this customer is final.")
        return
    if summary.open_bills:
        bills = ledger.customers.open_bills(summary.email, limit=OPEN_SHOWN)
        st.caption(
            _count(summary.open_bills, "bill waiting for money", "bills waiting for money")
            + _more(summary.open_bills)
        )
        st.table(customer_view.bill_rows(bills, tz), hide_index=True)
    if summary.open_subscriptions:
        subs = ledger.customers.open_subscriptions(summary.email, limit=OPEN_SHOWN)
        st.caption(
            _count(summary.open_subscriptions, "subscription not final", "subscriptions not final")
            + _more(summary.open_subscriptions)
        )
        st.table(customer_view.subscription_rows(subs, tz), hide_index=True)
    if summary.refunds_being_confirmed:
        st.caption(
            _count(
                summary.refunds_being_confirmed,
                "refund attempt is being confirmed",
                "refund attempts are being confirmed",
            )
            + " with the provider (see *Refunds* below)."
        )


def _count(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _more(count: int) -> str:
    if count <= OPEN_SHOWN:
        return ":"
    return f" (the newest {OPEN_SHOWN} shown; all are in the lists below):"


def lists_section(ledger: Ledger, summary: CustomerSummary, tz: str) -> None:
    size = st.selectbox("Rows per page", PAGE_SIZES, index=1, key=PAGE_SIZE_KEY, width=200)
    customers, email = ledger.customers, summary.email
    bills_tab, subs_tab, payments_tab, refunds_tab = st.tabs(
        [
            f"Bills ({summary.bills:,})",
            f"Subscriptions ({summary.subscriptions:,})",
            f"Payments ({sum(t.charges + t.refunds for t in summary.totals):,})",
            "Refunds",
        ]
    )
    lists = (
        _List("cu_bills", customers.bills, customer_view.bill_rows, "No bills.", "bills"),
        _List(
            "cu_subs",
            customers.subscriptions,
            customer_view.subscription_rows,
            "No subscriptions.",
            "subscriptions",
        ),
        _List(
            "cu_payments",
            customers.payments,
            customer_view.payment_rows,
            "No payments.",
            "payments",
        ),
        _List(
            "cu_refunds",
            customers.refunds,
            customer_view.refund_rows,
            "No refund was asked for.",
            "refund attempts",
        ),
    )
    for tab, listed in zip((bills_tab, subs_tab, payments_tab, refunds_tab), lists, strict=True):
        with tab:
            page = listed.read(email, limit=size, before=pager.before(listed.key, (email, size)))
            if page.rows:
                st.table(listed.rows_of(page.rows, tz), hide_index=True)
            else:
                st.caption(listed.empty)
            pager.controls(listed.key, page, size=size, noun=listed.noun)


class _List(NamedTuple):
    """One of the customer's lists: its pager key, how it is read and shown."""

    key: str
    read: Callable[..., ListPage[Any]]
    rows_of: Callable[[Any, str], list[dict[str, str]]]
    empty: str
    noun: str


def main() -> None:
    actor = context.actor()  # "Not signed in" and stop when the login gate did not run
    if "customer" not in allowed_pages(actor):
        st.error(f"{plain(actor.name)} ({actor.role}) may not open Customer.")
        return
    ledger, tz = context.ledger(), context.settings().timezone.key
    st.title("Customer")
    typed = email_box()
    if not typed:
        follow_in_address(None)
        st.caption(HOW_TO)
        return
    try:
        email = checked_email(typed, required=True)
    except ValidationError as exc:
        follow_in_address(None)  # a malformed address (or a card number) stays out of the URL
        st.error(f"**Not an e-mail address** — {plain(exc.message)}", icon=":material/error:")
        return
    assert email is not None  # required=True
    follow_in_address(email)
    try:
        summary = ledger.customers.summary(email)
    except ConsoleError as exc:
        st.error(titled(exc.title, exc.message))
        return
    if not summary:
        st.warning(
            f"No bill or subscription in the ledger has the e-mail {plain(email)}.",
            icon=":material/search_off:",
        )
        st.caption(
            "Addresses are matched whole, in any letter case. A payment made with another "
            "address, or before this ledger, is not here: try Lookup with its id or pay link."
        )
        return
    summary_section(summary, tz)
    open_section(ledger, summary, tz)
    lists_section(ledger, summary, tz)


main()
