"""Attempts in the ledger: the provider's words for each try to pay, one row per provider
transaction, an outcome never changed by a late report, and never more of a card than
its last four digits."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from console.errors import ValidationError
from console.ledger import Attempt, Ledger

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def attempt(**changes):
    values = {
        "object_type": "bill",
        "object_id": 1,
        "provider": "bepaid",
        "provider_uid": "uid-1",
        "native_status": "incomplete",
        "at": AT,
    }
    return Attempt(**{**values, **changes})


def test_a_transaction_is_one_row_that_learns_as_reports_arrive(ledger):
    assert ledger.attempts.record([attempt(message="Waiting for 3-D Secure")]) == 1
    failed = attempt(native_status="failed", message="Payment declined", code="F.0002")
    assert ledger.attempts.record([failed]) == 1
    assert ledger.attempts.record([failed]) == 0  # the same report again changes nothing
    card_only = attempt(native_status=None, card_brand="visa", card_last4="0019")
    assert ledger.attempts.record([card_only]) == 1  # a later, fuller read adds the card
    (row,) = ledger.attempts.of_object("bill", 1)
    assert (row.native_status, row.reason, row.card) == (
        "failed",
        "Payment declined (F.0002)",
        "visa ·· 0019",
    )


def test_a_late_report_never_changes_an_outcome(ledger):
    ledger.attempts.record([attempt(native_status="successful", code="S.0000")])
    ledger.attempts.record([attempt(native_status="failed", message="late")])
    (row,) = ledger.attempts.of_object("bill", 1)
    assert row.native_status == "successful" and row.message == "late"


@pytest.mark.parametrize("last4", ["4200000000000000", "019", "00 19", "abcd"])
def test_no_more_of_a_card_than_four_digits_is_ever_stored(ledger, last4):
    with pytest.raises(ValidationError, match="four digits"):
        ledger.attempts.record([attempt(card_last4=last4)])
    assert ledger.attempts.of_object("bill", 1) == []
    with pytest.raises(sqlite3.IntegrityError):  # nor by a hand-written statement
        ledger.connection().execute(
            "INSERT INTO attempts (object_type, object_id, provider, provider_uid, card_last4,"
            " source, at, updated_at) VALUES ('bill', 1, 'bepaid', 'x', ?, 'poll', 0, 0)",
            (last4,),
        )


def test_the_newest_attempt_of_each_object(ledger):
    ledger.attempts.record(
        [
            attempt(provider_uid="a", native_status="failed", message="first"),
            attempt(
                provider_uid="b", native_status="failed", message="second", at=AT.replace(hour=13)
            ),
            attempt(object_id=2, provider_uid="c", native_status="successful"),
        ]
    )
    latest = ledger.attempts.latest("bill", [1, 2, 3])
    assert {key: row.message or row.native_status for key, row in latest.items()} == {
        1: "second",
        2: "successful",
    }
