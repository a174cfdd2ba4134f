"""What Lookup shows about a record, without Streamlit: its facts are shown as typed (never as
Markdown), and card numbers are recognised before anything is searched."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.ledger import Ledger, NewSubscription
from console.status import SubscriptionStatus
from console.ui.lookup_view import holds_card_number, record_facts
from tests.support.markdown import as_shown

AT = datetime(2024, 5, 31, 9, 0, tzinfo=UTC)


def test_facts_show_what_was_typed_as_text(tmp_path):
    payload = "![x](http://127.0.0.1:9/b) *hi*"
    with Ledger(tmp_path / "ledger.db") as ledger:
        sub_id = ledger.create_subscription(
            NewSubscription(
                tracking_id="club_1_",
                amount=1200,
                currency="EUR",
                interval=1,
                interval_unit="month",
                plan_title=payload,
                status=SubscriptionStatus.PENDING,
                at=AT,
            )
        )
        sub = ledger.get_subscription(sub_id)
    facts = {row[""]: row["value"] for row in record_facts(sub, "UTC")}
    assert "![" not in facts["Plan"] and "](" not in facts["Plan"]
    assert as_shown(facts["Plan"]) == f"{payload}, every month"
    assert as_shown(facts["Tracking id"]) == "club_1_"


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        ("4200000000000000", True),
        ("4200 0000 0000 0000", True),
        ("tracking 4012-0000-0000-1097", True),
        ("https://shop.example/?card=4200000000000000", True),
        ("10853451-4290-4007-81c0-5a5887adfac9", False),  # a UUID; 1085345142904007 is Luhn-valid
        ("412345678-1000ab1c9", False),  # a bePaid uid
        ("order-981", False),
        ("4200000000000001", False),  # not Luhn-valid
        ("B12", False),
        ("anna@example.com", False),
    ],
)
def test_card_numbers_are_recognised_before_searching(query, refused):
    assert holds_card_number(query) is refused
