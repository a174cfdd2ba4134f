"""The demo generator: realistic, repeatable, marked as demo, and never mixed with real rows."""

from datetime import UTC, datetime

import pytest

from console.demo import generate_demo
from console.errors import ValidationError
from console.ledger import Ledger
from console.status import FINAL_BILL

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "ledger.db"
    report = generate_demo(path, bills=3000, seed=7, now=NOW)
    return path, report


def rows(path, sql):
    ledger = Ledger(path)
    try:
        return [tuple(row) for row in ledger.connection().execute(sql).fetchall()]
    finally:
        ledger.close()


def test_report_counts_match_the_ledger(demo_ledger):
    path, report = demo_ledger
    assert report.bills == 3000
    assert rows(path, "SELECT count(*) FROM bills") == [(3000,)]
    assert rows(path, "SELECT count(*) FROM payments") == [(report.payments,)]
    assert rows(path, "SELECT count(*) FROM status_events") == [(report.events,)]
    assert report.rows_per_second > 0
    assert "rows/s" in report.summary()


def test_every_row_is_marked_demo(demo_ledger):
    path, _ = demo_ledger
    for table in ("bills", "subscriptions", "payments"):
        assert rows(path, f"SELECT count(*) FROM {table} WHERE demo = 0") == [(0,)]


def test_history_spans_three_providers_several_currencies_and_outcomes(demo_ledger):
    path, _ = demo_ledger
    assert {r[0] for r in rows(path, "SELECT DISTINCT provider FROM bills")} == {
        "bepaid",
        "begateway",
        "payture",
    }
    assert len(rows(path, "SELECT DISTINCT currency FROM payments")) >= 4
    statuses = {r[0] for r in rows(path, "SELECT DISTINCT status FROM bills")}
    assert {"paid", "failed", "expired", "refunded", "mismatch", "pending"} <= statuses
    sub_statuses = {r[0] for r in rows(path, "SELECT DISTINCT status FROM subscriptions")}
    assert {"active", "canceled"} <= sub_statuses
    # subscriptions with renewals: more than one charge for some subscription
    assert rows(path, "SELECT max(paid_cycles) > 1 FROM subscriptions") == [(1,)]


def test_money_is_consistent(demo_ledger):
    path, _ = demo_ledger
    # every paid bill has exactly one charge in its own currency; refunds are negative
    assert rows(
        path,
        "SELECT count(*) FROM bills b WHERE status IN ('paid', 'refunded', 'mismatch') AND "
        "(SELECT count(*) FROM payments p WHERE p.bill_id = b.id AND p.kind = 'charge'"
        " AND p.currency = b.currency) != 1",
    ) == [(0,)]
    assert rows(path, "SELECT count(*) FROM payments WHERE kind = 'refund' AND amount >= 0") == [
        (0,)
    ]
    # a mismatch is money that differs from the bill
    assert rows(
        path,
        "SELECT count(*) FROM bills b JOIN payments p ON p.bill_id = b.id "
        "WHERE b.status = 'mismatch' AND p.amount = b.amount",
    ) == [(0,)]


def test_histories_end_in_the_bill_status(demo_ledger):
    path, _ = demo_ledger
    mismatched = rows(
        path,
        "SELECT b.id FROM bills b WHERE b.status != (SELECT e.to_status FROM status_events e"
        " WHERE e.object_type = 'bill' AND e.object_id = b.id ORDER BY e.id DESC LIMIT 1)",
    )
    assert mismatched == []
    finals = {s.value for s in FINAL_BILL}
    open_rows = rows(path, "SELECT status, count(*) FROM bills GROUP BY status")
    assert sum(n for s, n in open_rows if s not in finals) < 3000 * 0.2


def test_times_stay_inside_the_history(demo_ledger):
    path, _ = demo_ledger
    end = int(NOW.timestamp() * 1000)
    start = end - 365 * 86_400_000
    assert rows(path, f"SELECT count(*) FROM bills WHERE created_at < {start}") == [(0,)]
    assert rows(path, f"SELECT count(*) FROM payments WHERE at > {end}") == [(0,)]


def test_same_seed_same_history(tmp_path):
    a = generate_demo(tmp_path / "a.db", bills=300, seed=3, now=NOW)
    b = generate_demo(tmp_path / "b.db", bills=300, seed=3, now=NOW)
    assert a.payments == b.payments and a.events == b.events
    sql = "SELECT tracking_id, amount, currency, status, created_at FROM bills ORDER BY id"
    assert rows(tmp_path / "a.db", sql) == rows(tmp_path / "b.db", sql)
    c = generate_demo(tmp_path / "c.db", bills=300, seed=4, now=NOW)
    assert rows(tmp_path / "c.db", sql) != rows(tmp_path / "a.db", sql)
    assert c.bills == 300


def test_refuses_a_ledger_with_rows(demo_ledger):
    path, _ = demo_ledger
    with pytest.raises(ValidationError, match="only fills an empty ledger"):
        generate_demo(path, bills=10, seed=1, now=NOW)
    assert rows(path, "SELECT count(*) FROM bills") == [(3000,)]


@pytest.mark.parametrize(("bills", "days"), [(0, 365), (-5, 365), (10, 0), (10, 100_000)])
def test_refuses_out_of_range_sizes(tmp_path, bills, days):
    with pytest.raises(ValidationError):
        generate_demo(tmp_path / "x.db", bills=bills, days=days, now=NOW)
