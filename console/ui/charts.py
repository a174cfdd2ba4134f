"""Plotly figures for the Revenue page: pure functions from ledger rows to figures.

Rules every figure keeps:

* **One currency per money figure.** Amounts of different currencies are never
  added or drawn on one axis; the page draws one panel per currency.
* **Minor units until the last moment.** Amounts stay integers; the bar height is
  ``Decimal(minor).scaleb(-exponent)`` turned into a float only here, at the
  plotting edge, and the hover text is :func:`console.money.format_money`
  (exact, from integers).
* **The time zone is in every title**, because a "day" means a local day.
* Bars stack with ``barmode="relative"``: a net-negative bucket (refunds larger
  than charges) goes below zero instead of hiding inside the stack.

Decision — subscriptions are "as of now": the ledger reports current counts per
status and current MRR but keeps no cheap history of them, so the subscription
figure is labelled with the moment it was read instead of drawn over time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

import numpy as np
import plotly.graph_objects as go

from console.ledger import OutcomeRow
from console.money import exponent, format_money
from console.status import BillStatus, SubscriptionStatus
from console.ui.tables import RevenueCell

# Stable colours per group, so "bepaid" is the same colour in every currency's panel.
GROUP_COLORS = {
    "bepaid": "#1f77b4",
    "begateway": "#ff7f0e",
    "payture": "#2ca02c",
    "card_link": "#1f77b4",
    "apm": "#ff7f0e",
    "payture_bill": "#2ca02c",
    "subscription": "#9467bd",
    "all": "#1f77b4",
}
OUTCOME_COLORS = {
    BillStatus.PAID: "#2ca02c",
    BillStatus.MISMATCH: "#bcbd22",
    BillStatus.PARTIALLY_REFUNDED: "#9edae5",
    BillStatus.REFUNDED: "#17becf",
    BillStatus.FAILED: "#d62728",
    BillStatus.EXPIRED: "#7f7f7f",
    BillStatus.CANCELED: "#8c564b",
    BillStatus.PENDING: "#1f77b4",
    BillStatus.CREATING: "#aec7e8",
}
SUBSCRIPTION_COLORS = {
    SubscriptionStatus.ACTIVE: "#2ca02c",
    SubscriptionStatus.TRIAL: "#98df8a",
    SubscriptionStatus.PAST_DUE: "#ff7f0e",
    SubscriptionStatus.PENDING: "#1f77b4",
    SubscriptionStatus.CREATING: "#aec7e8",
    SubscriptionStatus.CANCELED: "#8c564b",
    SubscriptionStatus.FAILED: "#d62728",
    SubscriptionStatus.ERROR: "#e377c2",
    SubscriptionStatus.EXPIRED: "#7f7f7f",
}
_TICK_FORMAT = {"day": "%b %d", "week": "%b %d", "month": "%b %Y"}
_HEIGHT = 340


def major_units(minor: int, currency: str) -> float:
    """Minor units as a float of major units, for bar heights only (never for sums)."""
    return float(Decimal(minor).scaleb(-exponent(currency)))


def revenue_title(currency: str, bucket: str, group_by: str | None, tz: str) -> str:
    grouping = f", by {group_by}" if group_by else ""
    return f"{currency} — net revenue per {bucket}{grouping} · time zone {tz}"


def revenue_figure(
    cells: Sequence[RevenueCell], *, currency: str, bucket: str, group_by: str | None, tz: str
) -> go.Figure:
    """Stacked bars of one currency's net revenue per local bucket, one trace per group.

    ``cells`` must be the full grid of one currency (:func:`console.ui.tables.revenue_cells`);
    a cell of another currency is a programming error.
    """
    if any(cell.currency != currency for cell in cells):
        raise ValueError(f"revenue_figure draws one currency ({currency}); got a mix")
    by_group: dict[str, list[RevenueCell]] = {}
    for cell in cells:
        by_group.setdefault(cell.group, []).append(cell)
    # numpy arrays: plotly validates a Python list element by element, which costs more
    # than the whole query on a year of days; arrays pass through as they are.
    traces = [
        go.Bar(
            name=group,
            x=np.array([cell.bucket_start.isoformat() for cell in series], dtype=object),
            y=np.array([major_units(cell.total_minor, currency) for cell in series]),
            customdata=np.array(
                [(format_money(cell.total_minor, currency), cell.payments) for cell in series],
                dtype=object,
            ),
            hovertemplate="%{x}<br>%{fullData.name}: %{customdata[0]}"
            " (%{customdata[1]} payments)<extra></extra>",
            marker_color=GROUP_COLORS.get(group),
        )
        for group, series in by_group.items()
    ]
    figure = go.Figure(data=traces)
    _bar_layout(figure, revenue_title(currency, bucket, group_by, tz), bucket)
    figure.update_layout(showlegend=True)  # even for one group: say which provider it is
    figure.update_yaxes(title_text=currency)
    return figure


def outcome_title(bucket: str, tz: str) -> str:
    return f"Bills by current status, per {bucket} created · time zone {tz}"


def outcome_figure(
    rows: Iterable[OutcomeRow], bucket_starts: Sequence[date], *, bucket: str, tz: str
) -> go.Figure:
    """Stacked bars: bills created in each local bucket, split by their status now.

    One trace per status present in ``rows`` (paid first, open statuses last);
    buckets with no bill of that status are filled with zero.
    """
    counts: dict[BillStatus, dict[date, int]] = {}
    for row in rows:
        counts.setdefault(row.status, {})[row.bucket_start] = row.count
    x = np.array([start.isoformat() for start in bucket_starts], dtype=object)
    figure = go.Figure(
        data=[
            go.Bar(
                name=status.value,
                x=x,
                y=np.array([counts[status].get(start, 0) for start in bucket_starts]),
                marker_color=color,
                hovertemplate="%{x}<br>%{fullData.name}: %{y} bills<extra></extra>",
            )
            for status, color in OUTCOME_COLORS.items()
            if status in counts
        ]
    )
    _bar_layout(figure, outcome_title(bucket, tz), bucket)
    figure.update_yaxes(title_text="bills")
    return figure


def subscription_title(as_of: str, tz: str) -> str:
    return f"Subscriptions by status as of {as_of} · time zone {tz}"


def subscription_figure(
    counts: Mapping[SubscriptionStatus, int], *, as_of: str, tz: str
) -> go.Figure:
    """Horizontal bars: how many subscriptions are in each status right now."""
    statuses = [status for status in SUBSCRIPTION_COLORS if status in counts]
    figure = go.Figure(
        go.Bar(
            orientation="h",
            y=[status.value for status in statuses],
            x=[counts[status] for status in statuses],
            marker_color=[SUBSCRIPTION_COLORS[status] for status in statuses],
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    figure.update_layout(
        title_text=subscription_title(as_of, tz),
        height=_HEIGHT,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        yaxis={"autorange": "reversed"},
        xaxis_title="subscriptions",
    )
    return figure


def _bar_layout(figure: go.Figure, title: str, bucket: str) -> None:
    figure.update_layout(
        title_text=title,
        barmode="relative",
        height=_HEIGHT,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        hovermode="closest",
    )
    figure.update_xaxes(type="date", tickformat=_TICK_FORMAT[bucket])
