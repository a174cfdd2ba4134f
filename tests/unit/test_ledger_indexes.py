"""Every lookup and report is an index search, checked with EXPLAIN QUERY PLAN on the
statements the ledger really runs (captured with a trace callback)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from console.ledger import Ledger, NewBill

T0 = 1_767_225_600_000
INDEX_HITS = (
    "USING INDEX",
    "USING COVERING INDEX",
    "USING INTEGER PRIMARY KEY",
    "USING PRIMARY KEY",  # a WITHOUT ROWID table's key (the report summaries)
)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    """A ledger shaped like a real one: most bills paid long ago, a few still open."""
    path = tmp_path_factory.mktemp("plans") / "ledger.db"
    with Ledger(path) as ledger:
        bill = ledger.create_bill(
            NewBill(
                provider="bepaid",
                kind="card_link",
                tracking_id="o-1",
                amount=1,
                currency="EUR",
                customer_email="a@b.c",
            )
        )
        ledger.attach_provider_ids(bill, provider_id="uid-1", token="tok-1")
        ledger.record_payment(
            provider="bepaid",
            provider_txn_id="uid-1",
            amount=1,
            currency="EUR",
            at=datetime(2026, 1, 10, tzinfo=UTC),
            bill_id=bill,
        )
        columns = (
            "provider",
            "kind",
            "tracking_id",
            "provider_id",
            "token",
            "amount",
            "currency",
            "customer_email",
            "status",
            "created_at",
            "updated_at",
        )
        rows = [
            (
                "bepaid",
                "card_link",
                f"old-{i}",
                f"u{i}",
                f"t{i}",
                100,
                "EUR",
                f"c{i}@x.y",
                "paid" if i % 50 else "pending",
                T0 + i,
                T0 + i,
            )
            for i in range(3000)
        ]
        paid = [  # the paid old bills' payments (bill ids follow the first bill's)
            (bill + 1 + i, None, "bepaid", f"u{i}", "charge", "card_link", 100, "EUR", T0 + i, 0)
            for i in range(3000)
            if i % 50
        ]
        payment_columns = ("bill_id", "subscription_id", "provider", "provider_txn_id", "kind")
        payment_columns += ("channel", "amount", "currency", "at", "demo")
        with ledger.bulk_load():
            ledger.bulk_insert("bills", rows, columns=columns)
            ledger.bulk_insert("payments", paid, columns=payment_columns)
    with Ledger(path) as ledger:
        yield ledger


def plans_of(ledger, call):
    """EXPLAIN QUERY PLAN lines of every SELECT that ``call`` runs on this thread."""
    conn = ledger.connection()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert selects, "the call ran no query"
    return [[row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {s}")] for s in selects]


def assert_index_searches(plans, table):
    for plan in plans:
        text = "\n".join(plan)
        assert f"SCAN {table}\n" not in text + "\n", text
        assert not any(line.startswith(f"SCAN {table} ") for line in plan), text
        assert any(hit in line for line in plan for hit in INDEX_HITS), text


@pytest.mark.parametrize(
    "query",
    [
        "B1",
        "1",
        "uid-1",
        "o-1",
        "tok-1",
        "A@B.C",
        "https://checkout.bepaid.by/v2/checkout?token=tok-1",
        "https://payture.com/apim/Pay?SessionId=tok-1",
    ],
)
def test_lookup_never_scans(ledger, query):
    plans = plans_of(ledger, lambda: ledger.lookup(query))
    assert_index_searches(plans[:1], "bills")
    assert_index_searches(plans[1:], "subscriptions")


@pytest.mark.parametrize(
    ("name", "call", "table"),
    [
        ("get_bill", lambda ledger: ledger.get_bill(1), "bills"),
        ("find_bill", lambda ledger: ledger.find_bill("bepaid", provider_id="uid-1"), "bills"),
        ("find_bill", lambda ledger: ledger.find_bill("bepaid", token="tok-1"), "bills"),
        ("find_bill", lambda ledger: ledger.find_bill("bepaid", tracking_id="o-1"), "bills"),
        ("history", lambda ledger: ledger.history("bill", 1), "status_events"),
        ("payments_of", lambda ledger: ledger.payments_of("bill", 1), "payments"),
        (
            "payments_of subscription",
            lambda ledger: ledger.payments_of("subscription", 1),
            "payments",
        ),
        ("audit_of", lambda ledger: ledger.audit_of("bill", 1), "audit_log"),
        (
            "revenue",
            lambda ledger: ledger.revenue(
                "day", "Europe/Minsk", start=date(2026, 1, 1), end=date(2026, 3, 1)
            ),
            "payments",
        ),
        (
            "revenue by kind",
            lambda ledger: ledger.revenue(
                "week",
                "Europe/Berlin",
                start=date(2026, 1, 1),
                end=date(2026, 3, 1),
                group_by="kind",
            ),
            "payments",
        ),
        (
            "outcome_counts",
            lambda ledger: ledger.outcome_counts(
                "day", "UTC", start=date(2026, 1, 1), end=date(2026, 2, 1)
            ),
            "bills",
        ),
    ],
)
def test_reads_are_index_searches(ledger, name, call, table):
    assert_index_searches(plans_of(ledger, lambda: call(ledger)), table)


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (
            lambda ledger: ledger.revenue(
                "day", "Asia/Kathmandu", start=date(2026, 1, 1), end=date(2026, 3, 1)
            ),
            "(currency=? AND day>? AND day<?)",
        ),
        (
            lambda ledger: ledger.outcome_counts(
                "month", "America/New_York", start=date(2026, 1, 1), end=date(2026, 3, 1)
            ),
            "(status=? AND day>? AND day<?)",
        ),
    ],
)
def test_reports_seek_the_summaries_by_key_and_never_scan_them(ledger, call, key):
    """Each (bucket, currency or status) is one key range of a summary table (alias r)."""
    plans = ["\n".join(plan) for plan in plans_of(ledger, lambda: call(ledger))]
    summary = [plan for plan in plans if "SEARCH r " in plan]
    assert summary, plans
    assert all(f"SEARCH r USING PRIMARY KEY {key}" in plan for plan in summary), summary
    assert not any("SCAN r" in plan for plan in plans), plans


@pytest.mark.parametrize("kind", [None, "card_link"])
def test_open_bill_ids_come_from_the_open_indexes_alone_newest_first(ledger, kind):
    """Pay links lists the newest open bills by id without reading one bill row."""
    (plan,) = plans_of(ledger, lambda: ledger.open_bill_ids(kind, limit=5000))
    assert len(plan) == 1 and "COVERING INDEX bills_open" in plan[0], plan
    assert "TEMP B-TREE" not in " ".join(plan)
    items = ledger.open_items(kind=kind, limit=5000, newest_first=True)
    bills = [item for item in items if item.object_type == "bill"]
    bills.sort(key=lambda item: (item.created_at, item.id), reverse=True)
    assert ledger.open_bill_ids(kind, limit=5000) == [item.id for item in bills]
    assert len(bills) > 50  # the fixture's open bills, not an empty answer


def test_open_items_read_only_the_small_partial_index(ledger):
    bills_plan, subscriptions_plan = plans_of(ledger, lambda: ledger.open_items(provider="bepaid"))
    assert bills_plan == ["SCAN bills USING INDEX bills_open"]  # in created_at order: no sort
    assert_index_searches([subscriptions_plan], "subscriptions")


CUSTOMER_READS = {
    "summary": lambda ledger: ledger.customers.summary("A@B.C"),
    "bills": lambda ledger: ledger.customers.bills("a@b.c", before=(10,)),
    "subscriptions": lambda ledger: ledger.customers.subscriptions("a@b.c"),
    "payments": lambda ledger: ledger.customers.payments("a@b.c", before=(T0, 5)),
    "refunds": lambda ledger: ledger.customers.refunds("a@b.c"),
    "open bills": lambda ledger: ledger.customers.open_bills("a@b.c"),
    "open subscriptions": lambda ledger: ledger.customers.open_subscriptions("a@b.c"),
}


@pytest.mark.parametrize("name", CUSTOMER_READS)
def test_a_customers_reads_start_from_the_e_mail_index(ledger, name):
    """However many rows the ledger has, a customer's page reads only that customer's rows:
    no statement scans a table (a subquery's own rows aside)."""
    for plan in plans_of(ledger, lambda: CUSTOMER_READS[name](ledger)):
        text = "\n".join(plan)
        assert not [
            line for line in plan if line.startswith("SCAN ") and "(subquery" not in line
        ], text
        assert any(hit in text for hit in INDEX_HITS), text
        assert "(customer_email=?" in text, text  # it starts from the customer
        if name.startswith("open"):
            assert "_open_customer (customer_email=?)" in text, text
        if name in ("bills", "subscriptions", "refunds"):
            assert "TEMP B-TREE" not in text, text  # in id order as read: a page needs no sort


@pytest.mark.parametrize(
    "query",
    [
        {"email": "A@B.C"},
        {"states": ("past_due",)},
        {"ref": "S1"},
        {"ref": "o-1"},
        {"email": "a@b.c", "plan": "Pro", "states": ("active", "trial")},
    ],
)
def test_the_subscription_search_is_an_index_search(ledger, query):
    from console.ledger import SubscriptionQuery

    found = SubscriptionQuery(**query)
    plans = plans_of(
        ledger,
        lambda: (
            ledger.subscriptions.search(found, before=(99,)),
            ledger.subscriptions.count(found),
        ),
    )
    for plan in plans:
        assert not [line for line in plan if line.startswith("SCAN subscriptions")], plan


def test_a_later_page_of_all_subscriptions_starts_at_its_cursor(ledger):
    from console.ledger import SubscriptionQuery

    [plan] = plans_of(ledger, lambda: ledger.subscriptions.search(SubscriptionQuery(), before=(9,)))
    assert plan == ["SEARCH subscriptions USING INTEGER PRIMARY KEY (rowid<?)"]  # no OFFSET
