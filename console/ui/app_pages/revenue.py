"""Revenue: net money per local day, week or month — one panel per currency — plus bill
outcomes and subscriptions.

UI only: the numbers come from the ledger's report queries, the grid and CSV from
:mod:`console.ui.tables`, the figures from :mod:`console.ui.charts`. The time zone
chosen here decides which local day a payment belongs to and is named in every
chart title and in the CSV.

Decision — the page checks the login gate itself (``context.actor()`` and the
role's allowed pages) as well as the router, so it never renders for someone the
gate did not let in, however it is run. (Pages live in ``app_pages/``, not
``pages/``, because Streamlit's legacy multipage mode serves files of a ``pages/``
folder without the entry script.)
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import streamlit as st

from console.auth import allowed_pages
from console.errors import ConsoleError
from console.ledger import Bucket, Ledger, bucket_of
from console.money import format_money
from console.status import FINAL_SUBSCRIPTION, SubscriptionStatus
from console.ui import charts, context, tables
from console.ui.text import plain, titled

BUCKETS = ("day", "week", "month")
GROUPS = ("provider", "kind")
EMPTY_LEDGER = (
    "No payments yet. Create one on **New payment**, or fill a demo ledger with "
    "`merchant-console demo --ledger data/demo.db` and start the console on it."
)


PERIOD_KEY = "revenue_period"
PERIOD_DEFAULT_KEY = "revenue_period_default"  # the default the period box last got


def follow_default_period(tz: str) -> None:
    """Give the period box the last 30 local days *of the zone picked*, unless the person
    chose a period of their own (then it stays as chosen whatever the zone)."""
    default = tables.default_period(tz)
    state = st.session_state
    if state.get(PERIOD_KEY) in (None, state.get(PERIOD_DEFAULT_KEY)):
        state[PERIOD_KEY] = default
    state[PERIOD_DEFAULT_KEY] = default


def controls(default_tz: str) -> tuple[str, date | None, date | None, Bucket, str]:
    """The period, bucket, grouping and time zone the user picked."""
    names = tables.time_zone_names()
    if default_tz not in names:
        names.insert(0, default_tz)
    period_col, bucket_col, group_col, tz_col = st.columns([3, 2.4, 2, 3])
    tz = tz_col.selectbox("Time zone", names, index=names.index(default_tz), key="revenue_tz")
    follow_default_period(tz)
    picked = period_col.date_input("Period (local days, both included)", key=PERIOD_KEY)
    bucket = bucket_col.segmented_control(
        "Per", BUCKETS, default="day", required=True, key="revenue_bucket"
    )
    group_by = group_col.segmented_control(
        "Stack by", GROUPS, default="provider", required=True, key="revenue_group"
    )
    # A range (the box holds a pair of days); while the user is choosing, only the first.
    days: tuple[date, ...] = picked if isinstance(picked, tuple) else ()
    first = days[0] if days else None
    last = days[1] if len(days) > 1 else None
    return tz, first, last, bucket_of(bucket), group_by


def revenue_section(
    ledger: Ledger, *, tz: str, first: date, last: date, bucket: Bucket, group_by: str
) -> None:
    end = tables.period_end(last)  # the ledger's ranges are half-open
    rows = ledger.revenue(bucket, tz, start=first, end=end, group_by=group_by)
    cells = tables.revenue_cells(rows, tables.bucket_starts(bucket, tz, first, last))
    st.subheader("Net revenue")
    st.caption(
        f"Charges minus refunds, in major units, per local {bucket} in **{tz}**. "
        "Each currency has its own panel: amounts in different currencies are never added."
    )
    if not cells:
        st.info(f"No payments between {first} and {last} ({tz}).")
        return
    for currency, panel in tables.cells_by_currency(cells).items():
        figure = charts.revenue_figure(
            panel, currency=currency, bucket=bucket, group_by=group_by, tz=tz
        )
        st.plotly_chart(figure, key=f"revenue_chart_{currency}")
        total = sum(cell.total_minor for cell in panel)
        payments = sum(cell.payments for cell in panel)
        st.caption(
            f"{currency} total {first} – {last}: **{format_money(total, currency)}** "
            f"net, from {payments:,} payments."
        )
    records = tables.revenue_records(cells, bucket=bucket, tz=tz, group_by=group_by)
    st.download_button(
        "Download these rows (CSV, minor units)",
        data=tables.revenue_csv(records),
        file_name=tables.revenue_file_name(bucket, first, last, tz),
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="revenue_csv",
    )
    with st.expander(f"Rows shown ({len(records)})"):
        st.dataframe(records, hide_index=True, key="revenue_rows")


def outcomes_section(ledger: Ledger, *, tz: str, first: date, last: date, bucket: Bucket) -> None:
    rows = ledger.outcome_counts(bucket, tz, start=first, end=tables.period_end(last))
    st.subheader("Bill outcomes")
    st.caption(
        "Bills grouped by the local day they were created and counted by their status now, "
        "so recent bars still change as open bills are paid or expire."
    )
    if not rows:
        st.info(f"No bills created between {first} and {last} ({tz}).")
        return
    starts = tables.bucket_starts(bucket, tz, first, last)
    figure = charts.outcome_figure(rows, starts, bucket=bucket, tz=tz)
    st.plotly_chart(figure, key="revenue_outcomes")
    totals = dict.fromkeys(charts.OUTCOME_COLORS, 0)  # paid first, open statuses last
    for row in rows:
        totals[row.status] += row.count
    st.caption(" · ".join(f"{s.value}: {n:,}" for s, n in totals.items() if n))


def subscriptions_section(ledger: Ledger, *, tz: str) -> None:
    counts = ledger.subscription_counts()
    mrr = ledger.mrr()
    as_of = datetime.now(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    st.subheader("Subscriptions")
    st.caption(
        f"Current values as of {as_of} ({tz}); the ledger keeps no history of these counts, "
        "so they are not drawn over time."
    )
    if not any(counts.values()):
        st.info("No subscriptions yet.")
        return
    churned = {status: counts[status] for status in sorted(FINAL_SUBSCRIPTION)}
    active, trial, past_due, churn = st.columns(4)
    active.metric("Active", f"{counts[SubscriptionStatus.ACTIVE]:,}")
    past_due.metric("Past due (retrying)", f"{counts[SubscriptionStatus.PAST_DUE]:,}")
    trial.metric("In trial", f"{counts[SubscriptionStatus.TRIAL]:,}")
    churn.metric(
        "Churned",
        f"{sum(churned.values()):,}",
        help=", ".join(f"{status.value}: {count:,}" for status, count in churned.items()),
    )
    st.caption("Churned: " + ", ".join(f"{s.value} {n:,}" for s, n in churned.items()))
    if mrr:
        for column, row in zip(st.columns(max(len(mrr), 3)), mrr, strict=False):
            column.metric(
                f"MRR {row.currency}",
                format_money(row.mrr_minor, row.currency),
                help=f"{row.subscriptions:,} active or past-due subscriptions, "
                "plans normalised to a month",
            )
    st.plotly_chart(
        charts.subscription_figure(counts, as_of=as_of, tz=tz), key="revenue_subscriptions"
    )


def main() -> None:
    # Defence in depth: the page checks the login gate itself, whatever runs it.
    actor = context.actor()  # "Not signed in" and stop when the login gate did not run
    if "revenue" not in allowed_pages(actor):
        st.error(f"{plain(actor.name)} ({actor.role}) may not open Revenue.")
        return
    settings = context.settings()
    ledger = context.ledger()
    st.title("Revenue")
    if tables.ledger_is_empty(ledger):
        st.info(EMPTY_LEDGER, icon=":material/bar_chart:")
        return
    tz, first, last, bucket, group_by = controls(settings.timezone.key)
    if tables.ledger_includes_demo_data(ledger):
        st.caption(":material/science: Includes demo data (rows made by `merchant-console demo`).")
    if first is None or last is None:
        st.info("Pick the last day of the period as well.")
        return
    try:
        revenue_section(ledger, tz=tz, first=first, last=last, bucket=bucket, group_by=group_by)
        outcomes_section(ledger, tz=tz, first=first, last=last, bucket=bucket)
    except ConsoleError as exc:
        st.error(titled(exc.title, exc.message))
    subscriptions_section(ledger, tz=tz)


main()
