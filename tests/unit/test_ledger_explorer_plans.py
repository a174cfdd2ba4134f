"""The explorer's statements are index searches, and a page costs the same wherever it is.

Plans are read with EXPLAIN QUERY PLAN on the statements the explorer really runs
(captured with a trace callback). Cost is counted in SQLite virtual-machine steps (a
progress handler), not in seconds, so the checks hold on any machine.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from console.ledger import Ledger, MajorAmount, PaymentFilter, _explorer_sql
from console.status import BillStatus
from console.vocabulary import BillKind, Provider

T0 = datetime(2026, 1, 1, tzinfo=UTC)
BILLS = 20_000
COLUMNS = ("provider", "kind", "tracking_id", "amount", "currency", "description",
           "customer_email", "status", "created_at", "updated_at")  # fmt: skip


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    """A ledger shaped like the demo: mostly paid, a few rare statuses, five currencies."""
    rng = random.Random(3)
    rows = []
    for number in range(BILLS):
        kind, provider = rng.choice(
            (("card_link", "bepaid"), ("apm", "begateway"), ("payture_bill", "payture"))
        )
        at = int((T0 + timedelta(minutes=15 * number)).timestamp() * 1000)
        status = rng.choices(["paid", "failed", "expired", "canceled"], [90, 5, 4, 1])[0]
        rows.append(
            (provider, kind, f"o-{number}", rng.randrange(100, 50_000),
             rng.choice(["BYN", "EUR", "JPY", "RUB", "USD"]),
             rng.choice(["Order", "Booking", "Gift card"]) + f" #{number}",
             f"c{number % 3000}@example.com", status, at, at)
        )  # fmt: skip
    path = tmp_path_factory.mktemp("plans") / "ledger.db"
    with Ledger(path) as filling, filling.bulk_load():
        filling.bulk_insert("bills", rows, columns=COLUMNS)
    with Ledger(path) as ledger:  # reopened: statistics as a real start has them
        yield ledger


def statements(ledger: Ledger, call) -> list[tuple[str, list[str]]]:
    """(SQL, plan lines) of every SELECT that ``call`` runs on this thread."""
    conn = ledger.connection()
    ran: list[str] = []
    conn.set_trace_callback(ran.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    selects = [s for s in ran if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    return [(s, [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {s}")]) for s in selects]


def steps(ledger: Ledger, call) -> int:
    """SQLite virtual-machine steps (in thousands) that ``call`` takes."""
    count = 0

    def tick() -> int:
        nonlocal count
        count += 1
        return 0

    conn = ledger.connection()
    conn.set_progress_handler(tick, 1000)
    try:
        call()
    finally:
        conn.set_progress_handler(None, 0)
    return count


YEAR = {"start": T0, "end": T0 + timedelta(days=365)}
CASES = {
    "a period": PaymentFilter(**YEAR),
    "failed": PaymentFilter(**YEAR, statuses=(BillStatus.FAILED,)),
    "canceled (rare)": PaymentFilter(**YEAR, statuses=(BillStatus.CANCELED,)),
    "Payture, EUR from 100": PaymentFilter(
        **YEAR, provider=Provider.PAYTURE, currency="EUR", amount_min=MajorAmount(100, 0)
    ),
    "from 100, no currency": PaymentFilter(**YEAR, amount_min=MajorAmount(100, 0)),
    "an e-mail": PaymentFilter(**YEAR, email="c7@example.com"),
    "a common word": PaymentFilter(**YEAR, text="book"),
    "a rare number": PaymentFilter(**YEAR, text="1234"),
    "APM in Payture (nothing)": PaymentFilter(**YEAR, kind=BillKind.APM, provider=Provider.PAYTURE),
}


@pytest.mark.parametrize("sort", ["newest", "oldest", "amount_desc", "amount_asc"])
@pytest.mark.parametrize("name", list(CASES))
def test_no_statement_reads_the_bills_table_whole(ledger, name, sort):
    where = CASES[name]
    ran = statements(ledger, lambda: (ledger.explorer.page(where, sort),
                                      ledger.explorer.totals(where)))  # fmt: skip
    assert ran
    for sql, plan in ran:
        # Subqueries and CTEs (a window of index entries; the summaries' spans) scanned
        # by their own name are not the bills table.
        windows = {
            line.split()[-1] for line in plan if line.startswith(("CO-ROUTINE", "MATERIALIZE"))
        }
        for line in plan:
            parts = line.split()
            if parts[0] == "SCAN" and parts[1] in ("b", "bills") and "USING" not in line:
                assert parts[1] in windows, f"a full scan of bills:\n{sql}\n{plan}"


@pytest.mark.parametrize("sort", ["newest", "oldest", "amount_desc", "amount_asc"])
def test_a_common_filter_is_one_walk_of_its_sort_index(ledger, sort):
    index = "bills_explore_created" if sort in ("newest", "oldest") else "bills_explore_amount"
    ran = statements(ledger, lambda: ledger.explorer.page(CASES["failed"], sort))
    finding = [plan for sql, plan in ran if "json_each" not in sql]
    assert len(finding) == 1  # the walk found the page: no second statement
    assert any(f"COVERING INDEX {index}" in line for line in finding[0])


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_a_period_alone_reads_just_its_page_from_the_time_index(ledger, sort):
    """Nothing to check on the entries: the page is the index's first 50, read and sorted
    by nothing else (a window of entries sorted again would cost the walk's budget)."""
    ran = statements(ledger, lambda: ledger.explorer.page(CASES["a period"], sort))
    finding = [plan for sql, plan in ran if "json_each" not in sql]
    assert finding == [
        ["SEARCH b USING COVERING INDEX bills_explore_created (created_at>? AND created_at<?)"]
    ]
    thousands = steps(ledger, lambda: ledger.explorer.page(CASES["a period"], sort))
    assert thousands < 5  # 50 entries and 50 rows, not the 20,000 of a window


@pytest.mark.parametrize("sort", ["newest", "oldest", "amount_desc", "amount_asc"])
@pytest.mark.parametrize("name", ["a period", "failed", "from 100, no currency"])
def test_a_page_deep_in_the_set_costs_what_the_first_page_costs(ledger, name, sort, monkeypatch):
    """Keyset pages: a page 15,000 rows in seeks its position instead of reading up to it.
    (Small walks, so that reading up to the position would show.)"""
    monkeypatch.setattr(_explorer_sql, "PROBE_BUDGETS", (200, 2000))
    where = CASES[name]
    first = ledger.explorer.page(where, sort)
    deep_key = ledger.explorer.page(where, sort, limit=500).last_key
    for _ in range(29):  # 15,000 rows in, or near the end of a smaller set
        further = ledger.explorer.page(where, sort, after=deep_key, limit=500)
        if not further.has_next:
            break
        deep_key = further.last_key
    first_cost = steps(ledger, lambda: ledger.explorer.page(where, sort))
    deep_cost = steps(ledger, lambda: ledger.explorer.page(where, sort, after=deep_key))
    back_cost = steps(ledger, lambda: ledger.explorer.page(where, sort, before=deep_key))
    assert first.rows
    assert deep_cost <= 4 * first_cost + 10
    assert back_cost <= 4 * first_cost + 10


@pytest.mark.parametrize("name", ["a period", "failed", "canceled (rare)"])
def test_totals_of_a_period_read_the_summaries_by_key_not_the_bills(ledger, name):
    """A period with statuses, provider, kind or currency is counted and summed from the
    report summaries (one key range per status), whatever the number of its bills."""
    ran = statements(ledger, lambda: ledger.explorer.totals(CASES[name]))
    assert ran
    for sql, plan in ran:
        assert "outcome_days" in sql and " bills" not in sql, sql
        scans = [line for line in plan if line.startswith("SCAN") and "json_each" not in line]
        assert scans in ([], ["SCAN b"]), plan  # b: the period's spans, one row
    summed = [plan for sql, plan in ran if "CROSS JOIN outcome_days" in sql]
    assert len(summed) == 1
    assert "SEARCH r USING PRIMARY KEY (status=? AND day>? AND day<?)" in summed[0]


def test_totals_with_an_amount_range_group_without_sorting_every_row(ledger):
    """An amount range is not in the summaries: one index search per currency of the
    bills, and no temporary B-tree to group them."""
    ran = statements(ledger, lambda: ledger.explorer.totals(CASES["from 100, no currency"]))
    assert ran
    for _sql, plan in ran:
        assert not any("TEMP B-TREE" in line for line in plan), plan
