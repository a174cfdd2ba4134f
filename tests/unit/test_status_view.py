"""A status is never told by colour alone: every coloured mark has its word beside it."""

from __future__ import annotations

import pytest

from console.status import BillStatus, SubscriptionStatus
from console.ui.status_view import COLOUR_MARK, status_badge, status_label

EVERY_STATUS = sorted({*BillStatus, *SubscriptionStatus})


@pytest.mark.parametrize("status", EVERY_STATUS)
def test_every_status_mark_has_its_word_beside_it(status):
    mark, word = status_label(status).split(" ", 1)
    assert mark in COLOUR_MARK.values() and word == status.value
    assert status.value.replace("_", " ") in status_badge(status)


def test_the_timeline_puts_each_refund_where_it_happened_with_who_and_why():
    from datetime import UTC, datetime, timedelta

    from console.ledger import RefundRow, StatusEvent
    from console.ui.status_view import timeline_rows

    start = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def event(n, before, after, minutes):
        at = start + timedelta(minutes=minutes)
        return StatusEvent(n, "bill", 1, before, after, None, "webhook", at, None)

    def refund(n, minutes, status, detail=None):
        at = start + timedelta(minutes=minutes)
        values = (7, 1, None, "bepaid", 500, "BYN", "Torn bag", status, None, None, detail)
        return RefundRow(n, *values, "olga", "console", at, at)

    events = [event(1, None, "pending", 0), event(2, "pending", "paid", 5)]
    refunds = [refund(2, 30, "failed", "declined"), refund(1, 10, "succeeded")]
    rows = timeline_rows(events, "UTC", refunds)
    assert [row["change"] for row in rows] == [
        "∅ → pending",
        "pending → paid",
        "R1: refund of P7, 5.00 BYN, 🟢 refunded",
        "R2: refund of P7, 5.00 BYN, 🔴 not made",
    ]
    assert rows[2]["source"] == "console, by olga" and rows[3]["detail"] == "Torn bag — declined"
