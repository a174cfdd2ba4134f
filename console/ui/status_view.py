"""How statuses, money, times and histories look on the Monitor and Lookup pages.

Pure functions turn ledger records into labels and rows (testable without
Streamlit); the few ``render_*`` functions put them on the page. Tables of a few
rows (a timeline, payments, facts) use ``st.table``: static HTML, so a person can
select and copy an id from it and a browser test can read it. ``st.table`` renders
Markdown in its cells, so text that comes from outside (provider details, tracking
ids, e-mails) goes through :func:`console.ui.text.plain` first. Long lists use
``st.dataframe``, whose cells are never Markdown.

Colours follow one rule everywhere: green = money arrived or the subscription is
paying, blue/grey = waiting or closed without money, orange = needs attention soon,
red = money went wrong. A colour is never the only sign: the status word is always
beside its mark (colour-blind eyes, and machines without an emoji font, which draw
the marks as empty boxes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from console.explain import Explanation, duration_words
from console.ledger import Attempt, Payment, RefundRow, StatusEvent
from console.money import format_money
from console.ui.tables import REFUND_WORDS
from console.ui.text import plain

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

#: Streamlit colour per console status value (bills and subscriptions share the words).
STATUS_COLOUR: dict[str, str] = {
    "creating": "orange",
    "pending": "blue",
    "trial": "violet",
    "active": "green",
    "past_due": "orange",
    "paid": "green",
    "partially_refunded": "violet",
    "refunded": "gray",
    "mismatch": "red",
    "failed": "red",
    "error": "red",
    "expired": "gray",
    "canceled": "gray",
}
#: A mark per colour for places that cannot colour text (dataframe cells, toasts).
COLOUR_MARK = {
    "green": "🟢",
    "blue": "🔵",
    "violet": "🟣",
    "orange": "🟠",
    "red": "🔴",
    "gray": "⚪",
}
#: Row background for a highlighted (changed) row in a styled dataframe.
HIGHLIGHT_CSS = "background-color: rgba(255, 196, 0, 0.28)"

_TONE_RENDER = {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}
_TONE_ICON = {
    "success": ":material/check_circle:",
    "info": ":material/info:",
    "warning": ":material/schedule:",
    "error": ":material/error:",
}


def status_colour(status: object) -> str:
    return STATUS_COLOUR.get(str(status), "gray")


def status_label(status: object) -> str:
    """``🟢 paid`` — a status with its colour mark, for tables and toasts."""
    value = str(status)
    return f"{COLOUR_MARK[status_colour(value)]} {value}"


def status_badge(status: object) -> str:
    """Markdown badge for a status (``:green-badge[paid]``)."""
    value = str(status)
    return f":{status_colour(value)}-badge[{value.replace('_', ' ')}]"


def money(minor: int, currency: str) -> str:
    """``12.50 BYN`` from minor units (never via floats)."""
    return format_money(minor, currency)


def local_time(moment: datetime | None, tz: str) -> str:
    """``2024-05-01 14:02:03`` in ``tz`` (empty for None)."""
    return "" if moment is None else moment.astimezone(ZoneInfo(tz)).strftime(TIME_FORMAT)


def age_words(age: timedelta) -> str:
    """``3 h 5 min`` — how long an item has been open."""
    return duration_words(age)


def expiry_words(expires_in: timedelta | None) -> str:
    """``in 2 h`` / ``overdue 5 min`` / empty when the item has no expiry."""
    if expires_in is None:
        return ""
    if expires_in.total_seconds() <= 0:
        return f"overdue {duration_words(expires_in)}"
    return f"in {duration_words(expires_in)}"


def change_words(before: str | None, after: str) -> str:
    """``pending → paid`` (``∅ → pending`` for a first status)."""
    return f"{before or '∅'} → {after}"


def timeline_rows(
    events: Iterable[StatusEvent], tz: str, refunds: Iterable[RefundRow] = ()
) -> list[dict[str, str]]:
    """An object's history, oldest first: when, change, provider status, source, detail.

    Each refund attempt is a row of its own at the moment it was asked for — its amount
    and state, the provider's status, who asked and why — beside the status change it
    caused (``paid → partially_refunded``)."""
    when = f"when ({tz})"
    rows: list[tuple[datetime, dict[str, str]]] = [
        (
            event.at,
            {
                when: local_time(event.at, tz),
                "change": change_words(event.from_status, event.to_status),
                "provider status": plain(event.native_status),
                "source": plain(event.source),
                "detail": plain(event.detail),
            },
        )
        for event in events
    ]
    # The events keep the ledger's order (a provider's clock can put a later event at an
    # earlier time); each refund goes after the last event not later than it.
    for refund in sorted(refunds, key=lambda r: (r.created_at, r.id)):
        detail = refund.reason if not refund.detail else f"{refund.reason} — {refund.detail}"
        place = len(rows)
        while place > 0 and rows[place - 1][0] > refund.created_at:
            place -= 1
        row = {
            when: local_time(refund.created_at, tz),
            "change": (
                f"{refund.ref}: refund of P{refund.payment_id}, {refund.money}, "
                f"{REFUND_WORDS.get(refund.status, refund.status)}"
            ),
            "provider status": plain(refund.native_status),
            "source": plain(f"{refund.source}, by {refund.actor}"),
            "detail": plain(detail),
        }
        rows.insert(place, (refund.created_at, row))
    return [row for _, row in rows]


def payment_rows(payments: Iterable[Payment], tz: str) -> list[dict[str, str]]:
    """Charges and refunds, oldest first, amounts in major units with their currency; a
    refund names the charge it gave money back from."""
    return [
        {
            "payment": payment.ref,
            f"when ({tz})": local_time(payment.at, tz),
            "kind": payment.kind,
            "amount": money(payment.amount, payment.currency),
            "refund of": f"P{payment.parent_id}" if payment.parent_id else "",
            "provider transaction": plain(payment.provider_txn_id),
        }
        for payment in payments
    ]


def attempt_rows(attempts: Iterable[Attempt], tz: str) -> list[dict[str, str]]:
    """Each try to pay, oldest first: the provider's outcome and its words, the 3-D Secure
    check, the card (brand and last four digits only) and the method."""
    return [
        {
            f"when ({tz})": local_time(attempt.at, tz),
            "outcome": plain(attempt.native_status),
            "why (the provider's words)": plain(attempt.reason),
            "3-D Secure": plain(attempt.three_ds),
            "card": plain(attempt.card),
            "method": plain(attempt.method),
            "provider transaction": plain(attempt.provider_uid),
        }
        for attempt in attempts
    ]


def highlight_rows(rows: Sequence[dict[str, Any]], marked: set[str], *, key: str = "ref") -> Any:
    """A pandas Styler of ``rows`` with the rows whose ``key`` is in ``marked`` highlighted."""
    import pandas as pd

    frame = pd.DataFrame(list(rows))
    if frame.empty or not marked:
        return frame

    def style(row: Any) -> list[str]:
        hit = str(row[key]) in marked
        return [HIGHLIGHT_CSS if hit else "" for _ in row]

    return frame.style.apply(style, axis=1)


# -- rendering -------------------------------------------------------------------------


def render_explanation(explanation: Explanation) -> None:
    """The plain-language summary in a box coloured by its tone, the next step in bold.

    Both sentences quote what people and providers wrote (a cancel reason, a decline
    message, a payment method), so each is shown through :func:`plain` as a whole.
    """
    box = _TONE_RENDER[explanation.tone]
    box(
        f"{plain(explanation.what_happened)}\n\n**Next:** {plain(explanation.next_step)}",
        icon=_TONE_ICON[explanation.tone],
    )


def render_timeline(
    events: Sequence[StatusEvent], tz: str, refunds: Sequence[RefundRow] = ()
) -> None:
    if not events and not refunds:
        st.caption("No status events recorded.")
        return
    st.table(timeline_rows(events, tz, refunds))


def render_attempts(attempts: Sequence[Attempt], tz: str) -> None:
    """What the provider said about each try to pay (nothing when it said nothing)."""
    if not attempts:
        return
    st.subheader("Attempts")
    st.table(attempt_rows(attempts, tz))


def render_payments(payments: Sequence[Payment], tz: str) -> None:
    if not payments:
        st.caption("No payments recorded.")
        return
    st.table(payment_rows(payments, tz))
