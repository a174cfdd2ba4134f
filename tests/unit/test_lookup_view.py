"""What Lookup shows about a record, without Streamlit: its facts are shown as typed (never as
Markdown)."""

from __future__ import annotations

from datetime import UTC, datetime

from console.ledger import Ledger
from console.status import SubscriptionStatus
from console.ui.lookup_view import record_facts
from tests.support.markdown import as_shown

AT = datetime(2024, 5, 31, 9, 0, tzinfo=UTC)


def test_facts_show_what_was_typed_as_text(tmp_path):
    payload = "![x](http://127.0.0.1:9/b) *hi*"
    with Ledger(tmp_path / "ledger.db") as ledger:
        sub_id = ledger.create_subscription(
            tracking_id="club_1_", amount=1200, currency="EUR", interval=1,
            interval_unit="month", plan_title=payload, status=SubscriptionStatus.PENDING, at=AT,
        )  # fmt: skip
        sub = ledger.get_subscription(sub_id)
    facts = {row[""]: row["value"] for row in record_facts(sub, "UTC")}
    assert "![" not in facts["Plan"] and "](" not in facts["Plan"]
    assert as_shown(facts["Plan"]) == f"{payload}, every month"
    assert as_shown(facts["Tracking id"]) == "club_1_"
