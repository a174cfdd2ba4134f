"""The notifications table: recording verdicts, reading them back, migrating older files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.errors import ValidationError
from console.ledger import SCHEMA_VERSION, VERDICTS, Ledger, NewBill, Notification, _schema


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def record(ledger, **fields):
    values = {"provider": "bepaid", "verdict": "applied", "kind": "transaction"} | fields
    return ledger.record_notification(**values)


def test_recent_notifications_are_typed_and_newest_first(ledger):
    bill_id = ledger.create_bill(
        NewBill(provider="bepaid", kind="card_link", tracking_id="o-1", amount=100, currency="EUR")
    )
    at = datetime(2026, 1, 5, 10, tzinfo=UTC)
    first = record(
        ledger,
        object_type="bill",
        object_id=bill_id,
        provider_object_id="uid-1",
        status_reported="successful",
        dedupe_key="bepaid:transaction:uid-1:successful",
        body_sha256="a" * 64,
        received_at=at,
    )
    second = record(ledger, verdict="unknown_object", detail="no bill", received_at=at)

    newest, oldest = ledger.recent_notifications()

    assert (newest.id, oldest.id) == (second, first)
    assert isinstance(oldest, Notification)
    assert oldest.received_at == at
    assert (oldest.ref, oldest.status_reported, oldest.verdict) == (
        f"B{bill_id}",
        "successful",
        "applied",
    )
    assert (newest.ref, newest.detail) == (None, "no bill")
    assert [n.id for n in ledger.recent_notifications(1)] == [second]
    assert [n.id for n in ledger.recent_notifications(verdict="applied")] == [first]


def test_notifications_of_one_object_and_the_first_with_a_key(ledger):
    ids = [
        record(ledger, object_type="subscription", object_id=7, dedupe_key="k", verdict=verdict)
        for verdict in ("applied", "duplicate", "duplicate")
    ]
    record(ledger, object_type="subscription", object_id=8, dedupe_key="other")

    assert [n.id for n in ledger.notifications_of("subscription", 7)] == ids[::-1]
    assert ledger.first_notification_with("k").id == ids[0]
    assert ledger.first_notification_with("nothing") is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"verdict": "accepted"}, "verdict"),
        ({"provider": "stripe"}, "provider"),
        ({"kind": "refund"}, "kind"),
        ({"object_type": "bill"}, "object_type"),
        ({"object_type": "invoice", "object_id": 1}, "object_type"),
        ({"body_sha256": "x" * 65}, "body_sha256"),
    ],
)
def test_values_outside_the_vocabulary_are_refused_and_nothing_is_written(ledger, fields, field):
    with pytest.raises(ValidationError) as caught:
        record(ledger, **fields)
    assert caught.value.field == field
    assert ledger.recent_notifications() == []


def test_every_verdict_is_accepted(ledger):
    for verdict in VERDICTS:
        record(ledger, verdict=verdict)
    assert {n.verdict for n in ledger.recent_notifications()} == set(VERDICTS)


def test_details_are_redacted_and_provider_text_is_clipped(ledger):
    record(
        ledger,
        detail={"Authorization": "Basic c2hvcDpzZWNyZXQ=", "card": "4200 0000 0000 0000"},
        provider_object_id="u" * 1000,
    )

    (row,) = ledger.recent_notifications()

    assert "c2hvcDpzZWNyZXQ=" not in row.detail
    assert "4200 0000 0000 0000" not in row.detail and "****0000" in row.detail
    assert len(row.provider_object_id) == 255


def test_a_row_joins_the_write_it_is_recorded_in(ledger):
    with pytest.raises(RuntimeError), ledger.write():
        record(ledger)
        raise RuntimeError("the notification's changes failed")

    assert ledger.recent_notifications() == []


def test_the_reads_use_indexes(ledger):
    conn = ledger.connection()

    def plan(sql, *params):
        return " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))

    assert "notifications_object" in plan(
        "SELECT id FROM notifications WHERE object_type = ? AND object_id = ? ORDER BY id DESC",
        "bill",
        1,
    )
    assert "notifications_dedupe_key" in plan(
        "SELECT id FROM notifications WHERE dedupe_key = ? ORDER BY id LIMIT 1", "k"
    )
    assert "notifications_verdict" in plan(
        "SELECT id FROM notifications WHERE verdict = ? ORDER BY id DESC LIMIT 5", "applied"
    )


def test_a_version_2_ledger_gains_the_table_and_keeps_its_data(tmp_path, monkeypatch):
    path = tmp_path / "v2.db"
    with monkeypatch.context() as patch:
        patch.setattr(_schema, "MIGRATIONS", _schema.MIGRATIONS[:2])
        patch.setattr(_schema, "SCHEMA_VERSION", 2)
        with Ledger(path) as old:
            bill_id = old.create_bill(
                NewBill(
                    provider="payture",
                    kind="payture_bill",
                    tracking_id="o",
                    amount=5,
                    currency="RUB",
                )
            )
            assert (
                "notifications"
                not in old.connection()
                .execute("SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'")
                .fetchone()[0]
            )

    with Ledger(path) as ledger:
        assert (ledger.found_version, ledger.schema_version) == (2, SCHEMA_VERSION)
        assert ledger.get_bill(bill_id).tracking_id == "o"
        record(ledger, received_at=datetime.now(UTC) - timedelta(seconds=1))
        assert len(ledger.recent_notifications()) == 1
