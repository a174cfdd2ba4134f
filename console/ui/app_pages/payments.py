"""Payments: every bill in the ledger, filtered, sorted and paged — "show me every failed BYN
payment of last week over 100".

UI only: the rows, totals and the export's walk come from ``ledger.explorer``; what the
address holds and how typed filters are read is :mod:`console.ui.payments_view`; the
CSV is written by :mod:`console.ui.payments_export` and handed to the browser from disk
by :mod:`console.web.downloads`.

Decisions:

* **In the Support section**, beside Lookup: the page answers the questions support
  is asked ("which payments of this shop failed yesterday?"); Lookup then tells the
  story of one of them. Every role may open it (reading only).
* **The address is the state.** Every filter is written to the address after each
  change, so a filtered view can be shared; opening an address restores it (behind the
  sign-in page, which keeps the address). A value in the address that is not valid is
  named in a message and ignored. Coming back from another page through the menu (an
  address without filters) finds the filters as they were left in this session.
* **Bad input changes nothing**: while a typed amount, e-mail or search text is not
  valid, its message shows and the table, totals and address stay as they were.
* **Pages are keyset pages** (``after=`` / ``before=`` the first or last row's
  position), reset when a filter or the sort changes.
* **The export** writes every bill of the filter, in the sort shown, to a temporary
  file while a progress bar moves, then offers a link to it: Streamlit's download
  button would hold the whole file in memory (:mod:`console.web.downloads`).
* The table is ``st.table`` (a page of 50 rows): links work and ids can be copied; its
  cells are Markdown, so text from people and providers goes through ``plain``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date

import streamlit as st

from console.auth import Actor, allowed_pages
from console.errors import ConsoleError
from console.ledger import SORTS, CurrencyTotal, ExplorerPage, Ledger, PaymentFilter, Sort
from console.money import format_money
from console.status import BillStatus
from console.ui import context, payments_view, tables
from console.ui.payments_export import csv_file_name, write_csv
from console.ui.payments_view import FIELD_LABELS, SORT_LABELS, URL_KEYS, Form
from console.ui.status_view import status_label
from console.ui.text import plain, titled
from console.vocabulary import BillKind, Provider
from console.web import DOWNLOADS

PAGE = "payments"
ROWS_PER_PAGE = 50
URL_SEEN_KEY = "pm_url_seen"  # the address as the page last read or wrote it
APPLIED_KEY = "pm_applied"  # (filter, form) last shown: kept while an input is bad
POSITION_KEY = "pm_position"  # (filter, sort, "after" | "before", key) of the page shown
PAGE_NUMBER_KEY = "pm_page_number"
EXPORT_KEY = "pm_export"
PERIOD_DEFAULT_KEY = "pm_period_default"
COUNT_ASKED_KEY = "pm_count_asked"  # the filter whose count was asked for by its button
WIDGETS = {
    "period": "pm_period",
    "tz": "pm_tz",
    "statuses": "pm_status",
    "provider": "pm_provider",
    "kind": "pm_kind",
    "currency": "pm_currency",
    "amount_min": "pm_amount_min",
    "amount_max": "pm_amount_max",
    "email": "pm_email",
    "text": "pm_q",
    "sort": "pm_sort",
}
EMPTY_LEDGER = (
    "No bills yet. Create one on **New payment**, or fill a demo ledger with "
    "`merchant-console demo --ledger data/demo.db` and start the console on it."
)


def address_now() -> dict[str, tuple[str, ...]]:
    return {key: tuple(st.query_params.get_all(key)) for key in URL_KEYS if key in st.query_params}


def follow_address(default: Form, currencies: list[str], maximum: int) -> list[str]:
    """Fill the widgets from the address when it is new to this session (opened, shared,
    reloaded); the sentences for the values it ignored."""
    here = address_now()
    if st.session_state.get(URL_SEEN_KEY) == here:
        return []
    applied = st.session_state.get(APPLIED_KEY)
    problems: list[str] = []
    if not here and applied is not None:
        # Back from another page of this session (the menu's link carries no filters):
        # the filters as they were left.
        form = applied[1]
    else:
        form, problems = payments_view.form_from_url(
            {key: list(values) for key, values in here.items()},
            default,
            currencies=currencies,
            maximum=maximum,
        )
    state = st.session_state
    period = (form.first, form.last)
    state[WIDGETS["period"]] = period
    # The default period follows the zone picked (the last 30 days of it); another stays.
    zone_default = payments_view.default_form(form.tz)
    is_default = period == (zone_default.first, zone_default.last)
    state[PERIOD_DEFAULT_KEY] = period if is_default else None
    for field in ("tz", "provider", "kind", "currency", "sort"):
        state[WIDGETS[field]] = getattr(form, field)
    state[WIDGETS["statuses"]] = list(form.statuses)
    for field in ("amount_min", "amount_max", "email", "text"):
        state[WIDGETS[field]] = getattr(form, field)
    state[URL_SEEN_KEY] = here
    return problems


def write_address(form: Form) -> None:
    wanted = payments_view.url_of(form)
    if address_now() != {key: (value,) for key, value in wanted.items()}:
        st.query_params.from_dict(wanted)
    st.session_state[URL_SEEN_KEY] = {key: (value,) for key, value in wanted.items()}


def follow_default_period(tz: str) -> None:
    """The last 30 days *of the zone picked*, unless the person chose a period."""
    default = payments_view.default_form(tz)
    state = st.session_state
    if state.get(WIDGETS["period"]) in (None, state.get(PERIOD_DEFAULT_KEY)):
        state[WIDGETS["period"]] = (default.first, default.last)
    state[PERIOD_DEFAULT_KEY] = (default.first, default.last)


def controls(default_tz: str, currencies: list[str]) -> Form | None:
    """The filter widgets; the form they hold, or None while the period is half picked."""
    names = tables.time_zone_names()
    chosen_tz = st.session_state.setdefault(WIDGETS["tz"], default_tz)
    if chosen_tz not in names:
        names.insert(0, chosen_tz)
    period_col, tz_col, sort_col = st.columns([3, 3, 2])
    tz = tz_col.selectbox("Time zone", names, key=WIDGETS["tz"])
    follow_default_period(tz)
    picked = period_col.date_input(
        "Created (local days, both included)",
        min_value=payments_view.EARLIEST,
        max_value=payments_view.LATEST,
        key=WIDGETS["period"],
    )
    sort: Sort = sort_col.selectbox(
        "Sort", SORTS, format_func=SORT_LABELS.__getitem__, key=WIDGETS["sort"]
    )
    status_col, provider_col, kind_col, currency_col = st.columns([4, 2, 2, 2])
    statuses = status_col.multiselect(
        "Status", list(BillStatus), format_func=status_label, key=WIDGETS["statuses"],
        placeholder="Any status",
    )  # fmt: skip
    provider = provider_col.selectbox(
        "Provider", [None, *Provider], format_func=_any("provider"), key=WIDGETS["provider"]
    )
    kind = kind_col.selectbox(
        "Kind", [None, *BillKind], format_func=_any("kind"), key=WIDGETS["kind"]
    )
    chosen = st.session_state.get(WIDGETS["currency"])
    options = [None, *currencies, *([chosen] if chosen and chosen not in currencies else [])]
    currency = currency_col.selectbox(
        "Currency", options, format_func=lambda c: c or "Any currency", key=WIDGETS["currency"]
    )
    low_col, high_col, email_col, text_col = st.columns([2, 2, 3, 3])
    amount_help = (
        "Major units, as 12.50. With no currency chosen, each currency's own units: "
        "100 is 100 BYN, 100 EUR, 100 JPY…"
    )
    amount_min = low_col.text_input(
        "Amount from", key=WIDGETS["amount_min"], placeholder="100", help=amount_help
    )
    amount_max = high_col.text_input(
        "Amount to", key=WIDGETS["amount_max"], placeholder="2 500.00", help=amount_help
    )
    email = email_col.text_input(
        "Customer e-mail", key=WIDGETS["email"], placeholder="name@example.com",
        help="The whole address, in any case.",
    )  # fmt: skip
    text = text_col.text_input(
        "Search", key=WIDGETS["text"], placeholder="B123 · order-981 · uid · gift",
        help="A bill reference, tracking id, provider id or checkout token as pasted, "
        "or words of the description (word beginnings, any case).",
        icon=":material/search:",
    )  # fmt: skip
    days: tuple[date, ...] = picked if isinstance(picked, tuple) else ()
    if len(days) < 2:
        return None
    return Form(
        first=days[0],
        last=days[1],
        tz=tz,
        statuses=tuple(statuses),
        provider=provider,
        kind=kind,
        currency=currency,
        amount_min=amount_min,
        amount_max=amount_max,
        email=email,
        text=text,
        sort=sort,
    )


def _any(what: str) -> Callable[[Provider | BillKind | None], str]:
    def label(value: Provider | BillKind | None) -> str:
        return value.label if value is not None else f"Any {what}"

    return label


def show_totals(totals: list[CurrencyTotal]) -> None:
    st.markdown(f"**{payments_view.totals_words(totals)}** match these filters.")
    if not totals:
        return
    columns = st.columns(max(len(totals), 4))
    for column, total in zip(columns, totals, strict=False):
        column.metric(
            f"{total.currency} · {total.count:,} bills",
            format_money(total.amount, total.currency),
            help="The bills' amounts added up, in this currency only.",
        )


def count_section(ledger: Ledger, where: PaymentFilter) -> int | None:
    """The count and sums per currency, or a button for them when they would be counted
    from many bills; how many bills match, when it is known."""
    if st.session_state.get(COUNT_ASKED_KEY) == where:
        with st.spinner("Counting the bills of this search…"):
            totals = ledger.explorer.totals(where)
    else:
        at_most = payments_view.COUNT_AT_ONCE
        found = ledger.explorer.totals(where, at_most=at_most)
        if found is None:
            st.markdown(
                f"**More than {at_most:,} bills** in this period: the count and sums of an "
                "amount range or a common word are counted from every one of them."
            )
            st.button(
                "Count and sum them",
                key="pm_count",
                icon=":material/functions:",
                on_click=lambda: st.session_state.update({COUNT_ASKED_KEY: where}),
            )
            return None
        totals = found
    show_totals(totals)
    return sum(t.count for t in totals)


def move(position: tuple[object, ...] | None, step: int) -> None:
    """Pager callback: remember the page asked for and its number."""
    st.session_state[POSITION_KEY] = position
    number = st.session_state.get(PAGE_NUMBER_KEY, 1) + step
    st.session_state[PAGE_NUMBER_KEY] = max(number, 1) if position is not None else 1


def current_page(ledger: Ledger, where: PaymentFilter, sort: Sort) -> ExplorerPage:
    position = st.session_state.get(POSITION_KEY)
    if not position or position[:2] != (where, sort):
        st.session_state[POSITION_KEY] = None
        st.session_state[PAGE_NUMBER_KEY] = 1
        return ledger.explorer.page(where, sort, limit=ROWS_PER_PAGE)
    _, _, direction, key = position
    if direction == "before":
        page = ledger.explorer.page(where, sort, before=key, limit=ROWS_PER_PAGE)
        if not page.has_previous:
            st.session_state[PAGE_NUMBER_KEY] = 1
        return page
    return ledger.explorer.page(where, sort, after=key, limit=ROWS_PER_PAGE)


def failure_reasons(ledger: Ledger, page: ExplorerPage) -> dict[int, str]:
    """The provider's words for why each failed bill of the page failed (its newest
    attempt), as Lookup and Monitor show them."""
    failed = [row.id for row in page.rows if row.status == BillStatus.FAILED]
    return {
        bill_id: attempt.reason
        for bill_id, attempt in ledger.attempts.latest("bill", failed).items()
        if attempt.failed and attempt.reason
    }


def show_page(
    page: ExplorerPage,
    where: PaymentFilter,
    sort: Sort,
    tz: str,
    total: int | None,
    ledger: Ledger,
) -> None:
    if not page.rows:
        st.info("No bill matches these filters.", icon=":material/search_off:")
        return
    st.table(
        payments_view.table_rows(page.rows, tz, failure_reasons(ledger, page)), hide_index=True
    )
    number = st.session_state.get(PAGE_NUMBER_KEY, 1)
    back, where_col, forward = st.columns([1, 3, 1], vertical_alignment="center")
    back.button(
        "← Previous",
        key="pm_previous",
        disabled=not page.has_previous,
        on_click=move,
        args=((where, sort, "before", page.first_key), -1),
    )
    first_row = (number - 1) * ROWS_PER_PAGE + 1
    of = "" if total is None else f" of {total:,}"
    where_col.caption(f"Page {number} · rows {first_row:,}–{first_row + len(page.rows) - 1:,}{of}")
    forward.button(
        "Next →",
        key="pm_next",
        disabled=not page.has_next,
        on_click=move,
        args=((where, sort, "after", page.last_key), 1),
    )


def export_section(
    ledger: Ledger, actor: Actor, where: PaymentFilter, form: Form, total: int | None
) -> None:
    st.subheader("Export")
    how_many = "" if total is None else f" ({total:,})"
    st.caption(
        f"Every bill of these filters{how_many}, in this order, as CSV: amounts in major "
        f"units with their currency, times in ISO 8601 with the offset of {form.tz}."
    )
    made_for = (where, form.sort, form.tz)
    if st.button(
        "Prepare CSV", key="pm_export_prepare", icon=":material/table_view:", disabled=total == 0
    ):
        if total is None:  # counted now: the bar needs the number of rows to come
            total = sum(t.count for t in ledger.explorer.totals(where))
        prepare_export(ledger, actor, where, form, total)
    ready = st.session_state.get(EXPORT_KEY)
    if ready and ready["for"] == made_for:
        st.html(
            f'<a href="{html.escape(ready["url"])}" download="{html.escape(ready["file"])}" '
            'style="display:inline-block;padding:0.4rem 0.9rem;border-radius:0.5rem;'
            'background:#0f766e;color:white;text-decoration:none">'
            f"Download {html.escape(ready['file'])}</a>"
        )
        st.caption(f"{ready['rows']:,} rows · the file can be downloaded for 15 minutes.")


def prepare_export(
    ledger: Ledger, actor: Actor, where: PaymentFilter, form: Form, total: int
) -> None:
    """Write the CSV a chunk at a time while the bar moves; remember the link."""
    file_name = csv_file_name(form.first, form.last, form.tz)
    bar = st.progress(0.0, text="Preparing the CSV…")

    def progress(written: int) -> None:
        bar.progress(min(written / max(total, 1), 1.0), text=f"{written:,} of {total:,} rows")

    prepared = DOWNLOADS.prepare(file_name, actor, page=PAGE, media_type="text/csv; charset=utf-8")
    try:
        # utf-8-sig: a byte-order mark, so spreadsheet programs read Cyrillic text right.
        with open(prepared.path, "w", encoding="utf-8-sig", newline="") as out:
            walk = ledger.explorer.rows(where, form.sort)
            rows = write_csv(walk, out, form.tz, on_progress=progress)
    except BaseException:
        DOWNLOADS.discard(prepared)
        raise
    DOWNLOADS.offer(prepared)
    bar.empty()
    st.session_state[EXPORT_KEY] = {
        "for": (where, form.sort, form.tz),
        "url": prepared.url,
        "file": file_name,
        "rows": rows,
    }


def main() -> None:
    # Defence in depth: the page checks the login gate itself, whatever runs it.
    actor = context.actor()
    if PAGE not in allowed_pages(actor):
        st.error(f"{plain(actor.name)} ({actor.role}) may not open Payments.")
        return
    settings = context.settings()
    ledger = context.ledger()
    st.title("Payments")
    if tables.ledger_is_empty(ledger):
        st.info(EMPTY_LEDGER, icon=":material/receipt_long:")
        return
    currencies = ledger.explorer.currencies()
    default = payments_view.default_form(settings.timezone.key)
    maximum = settings.max_amount_minor
    for problem in follow_address(default, currencies, maximum):
        st.warning(plain(f"From the address: {problem}"), icon=":material/link_off:")
    form = controls(settings.timezone.key, currencies)
    if form is None:
        st.info("Pick the last day of the period as well.")
        return
    where, errors = payments_view.filter_of(form, currencies, maximum=maximum)
    for field, message in errors.items():
        st.error(titled(FIELD_LABELS[field], message))
    if where is None:
        applied = st.session_state.get(APPLIED_KEY)
        if applied is None:
            return
        where, form = applied
        st.caption("Showing the last valid filters until the one above is fixed.")
    else:
        st.session_state[APPLIED_KEY] = (where, form)
        write_address(form)
    try:
        total = count_section(ledger, where)
        page = current_page(ledger, where, form.sort)
        show_page(page, where, form.sort, form.tz, total, ledger)
    except ConsoleError as exc:
        st.error(titled(exc.title, exc.message))
        return
    export_section(ledger, actor, where, form, total)


main()
