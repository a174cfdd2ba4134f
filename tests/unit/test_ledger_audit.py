"""The audit log: who did what, from where, how it went — and never a secret."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.errors import ValidationError
from console.ledger import Ledger


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def test_entries_are_recorded_newest_first(ledger):
    at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    ledger.audit("ann", "create_bill", "bill", 7, "ok", "page:bills", "B7 for 12.50 EUR", at=at)
    ledger.audit("bob", "cancel_subscription", "subscription", 3, "refused", "page:subs")
    latest, first = ledger.recent_audit()
    assert (latest.actor, latest.outcome, latest.origin) == ("bob", "refused", "page:subs")
    assert (first.object_type, first.object_id, first.at) == ("bill", "7", at)
    assert first.detail == "B7 for 12.50 EUR"
    assert [e.action for e in ledger.audit_of("bill", 7)] == ["create_bill"]


@pytest.mark.parametrize(
    ("detail", "secret"),
    [
        ({"shop_id": "361", "secret_key": "s3cr3t-key"}, "s3cr3t-key"),
        ({"headers": {"Authorization": "Basic MzYxOnMzY3IzdA=="}}, "MzYxOnMzY3IzdA=="),
        ({"access_token": "tok-behind-api"}, "tok-behind-api"),
        ({"user": "ann", "password": "hunter22"}, "hunter22"),
        ({"card": {"number": "4200000000000000", "cvc": "123"}}, "4200000000000000"),
        ("payer typed 4012 0000 0000 1097 into the comment", "4012 0000 0000 1097"),
    ],
)
def test_secrets_in_details_are_not_stored(ledger, detail, secret):
    ledger.audit("ann", "create_bill", detail=detail)
    stored = ledger.recent_audit(1)[0].detail
    assert secret not in stored
    assert "[redacted]" in stored or "****" in stored


def test_ordinary_numbers_are_left_alone(ledger):
    ledger.audit("ann", "refresh", detail={"at": 1767225600000, "order": "1234567890123"})
    assert "1767225600000" in ledger.recent_audit(1)[0].detail


@pytest.mark.parametrize("changes", [{"outcome": "maybe"}, {"actor": ""}, {"action": None}])
def test_incomplete_entries_are_refused(ledger, changes):
    fields = {"actor": "ann", "action": "x", "outcome": "ok", **changes}
    with pytest.raises(ValidationError):
        ledger.audit(**fields)
