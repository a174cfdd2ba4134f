"""The notification log (``ledger.notifications``): payloads and replays kept with their row,
filtered keyset pages newest first, the export's bounded walk, and how rows relate."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from console.errors import ValidationError
from console.ledger import (
    MAX_PAYLOAD_CHARS,
    Ledger,
    NotificationFilter,
    _notification_log,
)

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def record(ledger, **fields):
    values = {"provider": "bepaid", "verdict": "applied", "kind": "transaction"} | fields
    return ledger.record_notification(**values)


@pytest.fixture
def log_of_twelve(ledger):
    """12 rows a minute apart: verdicts, providers, objects and ids that the filters tell apart."""
    ids = []
    for n in range(12):
        ids.append(
            record(
                ledger,
                provider=("bepaid", "begateway", "payture")[n % 3],
                verdict=("applied", "duplicate")[n % 2],
                object_type="bill" if n % 4 else None,
                object_id=(n % 3) + 1 if n % 4 else None,
                provider_object_id=f"uid-{n % 5}",
                received_at=T0 + timedelta(minutes=n),
            )
        )
    return ids


def test_a_payload_is_kept_with_its_row_and_read_only_by_get(ledger):
    row_id = record(ledger, payload='{"transaction":{"uid":"u-1"}}', body_sha256="b" * 64)
    found = ledger.notifications.get(row_id)
    assert found.payload == '{"transaction":{"uid":"u-1"}}'
    assert (found.source, found.replay_of, found.actor) == ("provider", None, None)
    assert ledger.recent_notifications()[0].payload is None  # lists do not carry payloads
    assert ledger.notifications.get(row_id + 1) is None


def test_a_replay_names_its_row_and_who_asked(ledger):
    first = record(ledger, payload="{}")
    replay = record(ledger, verdict="duplicate", replay_of=first, actor="ann")
    row = ledger.notifications.get(replay)
    assert (row.source, row.replay_of, row.actor, row.payload) == ("replay", first, "ann", None)
    assert [r.id for r in ledger.notifications.replays_of(first)] == [replay]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"replay_of": 1}, "replay_of"),  # a replay without its actor
        ({"actor": "ann"}, "replay_of"),  # an actor without a replayed row
        ({"payload": "x" * (MAX_PAYLOAD_CHARS + 1)}, "payload"),
        ({"replay_of": 0, "actor": "ann"}, "replay_of"),
    ],
)
def test_bad_replay_or_payload_values_are_refused_before_writing(ledger, fields, field):
    with pytest.raises(ValidationError) as refused:
        record(ledger, **fields)
    assert refused.value.field == field
    assert ledger.recent_notifications() == []


def test_the_table_itself_refuses_a_replay_without_an_actor(ledger):
    first = record(ledger)
    with pytest.raises(sqlite3.IntegrityError), ledger.write() as conn:
        conn.execute(
            "INSERT INTO notifications (received_at, provider, verdict, replay_of)"
            " VALUES (0, 'bepaid', 'duplicate', ?)",
            (first,),
        )


def test_pages_go_newest_first_and_back_again_by_keyset(ledger, log_of_twelve):
    ids = log_of_twelve
    log = ledger.notifications
    first = log.page(limit=5)
    assert [r.id for r in first.rows] == ids[::-1][:5]
    assert (first.has_newer, first.has_older) == (False, True)
    second = log.page(before=first.oldest_id, limit=5)
    assert [r.id for r in second.rows] == ids[::-1][5:10]
    assert (second.has_newer, second.has_older) == (True, True)
    last = log.page(before=second.oldest_id, limit=5)
    assert [r.id for r in last.rows] == ids[::-1][10:]
    assert (last.has_newer, last.has_older) == (True, False)
    back = log.page(after=second.newest_id, limit=5)
    assert [r.id for r in back.rows] == [r.id for r in first.rows]
    assert (back.has_newer, back.has_older) == (False, True)


def test_a_page_stays_put_when_new_rows_arrive(ledger, log_of_twelve):
    first = ledger.notifications.page(limit=5)
    record(ledger, received_at=T0 + timedelta(hours=1))
    second = ledger.notifications.page(before=first.oldest_id, limit=5)
    assert [r.id for r in second.rows] == log_of_twelve[::-1][5:10]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (NotificationFilter(verdict="duplicate"), [n for n in range(12) if n % 2]),
        (NotificationFilter(provider="payture"), [2, 5, 8, 11]),
        (NotificationFilter(object_type="bill", object_id=2), [1, 7, 10]),
        (NotificationFilter(provider_object_id="uid-3"), [3, 8]),
        (NotificationFilter(start=T0 + timedelta(minutes=3), end=T0 + timedelta(minutes=6)),
         [3, 4, 5]),
        (NotificationFilter(verdict="applied", provider="bepaid", start=T0 + timedelta(minutes=1)),
         [6]),
    ],
)  # fmt: skip
def test_filters_narrow_the_log(ledger, log_of_twelve, where, expected):
    rows = ledger.notifications.page(where, limit=50).rows
    assert [r.id for r in rows] == [log_of_twelve[n] for n in reversed(expected)]


@pytest.mark.parametrize(
    "where",
    [
        NotificationFilter(verdict="maybe"),
        NotificationFilter(provider="paypal"),
        NotificationFilter(object_type="bill"),
        NotificationFilter(object_type="order", object_id=1),
    ],
)
def test_a_filter_out_of_its_vocabulary_is_refused(ledger, where):
    with pytest.raises(ValidationError):
        ledger.notifications.page(where)
    with pytest.raises(ValidationError):
        ledger.notifications.rows(where, limit=10)  # before the first row is read


def test_before_and_after_together_or_a_bad_limit_are_refused(ledger):
    with pytest.raises(ValidationError):
        ledger.notifications.page(before=5, after=2)
    with pytest.raises(ValidationError):
        ledger.notifications.page(limit=0)
    with pytest.raises(ValidationError):
        ledger.notifications.page(limit=5000)


def test_the_export_walks_every_row_in_chunks_and_stops_at_its_bound(
    ledger, log_of_twelve, monkeypatch
):
    monkeypatch.setattr(_notification_log, "EXPORT_CHUNK", 5)
    assert [r.id for r in ledger.notifications.rows(limit=100)] == log_of_twelve[::-1]
    assert [r.id for r in ledger.notifications.rows(limit=7)] == log_of_twelve[::-1][:7]
    dupes = ledger.notifications.rows(NotificationFilter(verdict="duplicate"), limit=100)
    assert [r.id for r in dupes] == log_of_twelve[::-1][::2]


def test_a_duplicate_names_the_first_row_with_its_key(ledger):
    first = record(ledger, dedupe_key="bepaid:transaction:u:successful")
    second = record(ledger, dedupe_key="bepaid:transaction:u:successful", verdict="duplicate")
    third = record(ledger, dedupe_key="bepaid:transaction:u:successful", verdict="duplicate")
    assert ledger.notifications.earlier_with("bepaid:transaction:u:successful", third).id == first
    assert ledger.notifications.earlier_with("bepaid:transaction:u:successful", first) is None
    assert second


def plans_of(ledger, call) -> list[str]:
    conn = ledger.connection()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    return ["\n".join(r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN {s}")) for s in selects]


@pytest.mark.parametrize(
    ("where", "index"),
    [
        (NotificationFilter(verdict="duplicate"), "notifications_verdict"),
        (NotificationFilter(provider="payture"), "notifications_provider"),
        (NotificationFilter(object_type="bill", object_id=2), "notifications_object"),
        (NotificationFilter(provider_object_id="uid-3"), "notifications_provider_object"),
        (NotificationFilter(start=T0, end=T0 + timedelta(minutes=1)), "notifications_received_at"),
    ],
)
def test_every_filter_starts_from_an_index(ledger, log_of_twelve, where, index):
    (plan,) = plans_of(ledger, lambda: ledger.notifications.page(where, before=10**9))
    assert index in plan, plan
