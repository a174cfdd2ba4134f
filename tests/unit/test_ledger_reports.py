"""The monitor and dashboard numbers: open items, bill outcomes, subscription counts, MRR."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from console.ledger import Ledger, MrrRow, NewBill, NewSubscription, OutcomeRow
from console.status import BillStatus as B
from console.status import SubscriptionStatus as S

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def bill(ledger, number, status=None, provider="bepaid", kind="card_link", at=T0, **extra):
    bill_id = ledger.create_bill(
        NewBill(
            provider=provider,
            kind=kind,
            tracking_id=f"o-{number}",
            amount=100,
            currency="EUR",
            at=at,
            **extra,
        )
    )
    if status is not None:
        ledger.record_bill_status(bill_id, status, None, "poll", at=at)
    return bill_id


def subscription(ledger, number, status, amount=1000, currency="EUR", interval=1, unit="month"):
    sub_id = ledger.create_subscription(
        NewSubscription(
            tracking_id=f"s-{number}",
            amount=amount,
            currency=currency,
            interval=interval,
            interval_unit=unit,
            at=T0,
        )
    )
    if status is not S.CREATING:
        ledger.record_subscription_status(sub_id, status, status.value, "webhook")
    return sub_id


def test_open_items_list_unfinished_bills_and_subscriptions_with_age_and_expiry(ledger):
    now = T0 + timedelta(hours=2)
    pending = bill(ledger, 1, B.PENDING, expires_at=T0 + timedelta(hours=3))
    bill(ledger, 2, B.PAID)
    bill(ledger, 3, provider="payture", kind="payture_bill", at=T0 + timedelta(hours=1))
    sub_id = subscription(ledger, 1, S.PAST_DUE)
    subscription(ledger, 2, S.CANCELED)
    items = ledger.open_items(now=now)
    assert [item.ref for item in items] == [f"B{pending}", "B3", f"S{sub_id}"]
    first = items[0]
    assert (first.status, first.kind, first.amount) == (B.PENDING, "card_link", 100)
    assert first.age == timedelta(hours=2)
    assert first.expires_in == timedelta(hours=1)
    assert items[1].expires_in is None
    assert items[2].status is S.PAST_DUE and items[2].kind == "subscription"


@pytest.mark.parametrize(
    ("provider", "kind", "expected"),
    [
        ("payture", None, ["B2"]),
        (None, "card_link", ["B1"]),
        (None, "subscription", ["S1"]),
        ("bepaid", None, ["B1", "S1"]),
    ],
)
def test_open_items_filter_by_provider_and_kind(ledger, provider, kind, expected):
    bill(ledger, 1)
    bill(ledger, 2, provider="payture", kind="payture_bill")
    subscription(ledger, 1, S.ACTIVE)
    refs = [item.ref for item in ledger.open_items(provider=provider, kind=kind, now=T0)]
    assert refs == expected


def test_outcome_counts_bucket_bills_by_local_creation_day(ledger):
    minsk_evening = datetime(2026, 4, 1, 22, 30, tzinfo=UTC)  # 01:30 on April 2nd in Minsk
    for number, (status, at) in enumerate(
        [
            (B.PAID, T0),
            (B.PAID, T0),
            (B.EXPIRED, T0),
            (B.FAILED, minsk_evening),
            (None, minsk_evening),
            (B.MISMATCH, T0 + timedelta(days=1)),
        ]
    ):
        bill(ledger, number, status, at=at)
    rows = ledger.outcome_counts(
        "day", "Europe/Minsk", start=date(2026, 4, 1), end=date(2026, 4, 3)
    )
    assert rows == [
        OutcomeRow(date(2026, 4, 1), B.PAID, 2),
        OutcomeRow(date(2026, 4, 1), B.EXPIRED, 1),
        OutcomeRow(date(2026, 4, 2), B.CREATING, 1),
        OutcomeRow(date(2026, 4, 2), B.FAILED, 1),
        OutcomeRow(date(2026, 4, 2), B.MISMATCH, 1),
    ]


def test_a_new_ledger_has_no_outcomes_and_no_revenue(ledger):
    year = {"start": date(2026, 1, 1), "end": date(2027, 1, 1)}
    assert ledger.outcome_counts("day", "Asia/Kathmandu", **year) == []
    assert ledger.revenue("day", "Asia/Kathmandu", **year) == []


def test_a_status_every_bill_has_left_is_not_reported(ledger):
    """Summary rows that drop to zero stay in the table; they must not show as zeros."""
    first, second = bill(ledger, 1, B.PENDING), bill(ledger, 2, B.PENDING)
    for bill_id in (first, second):
        ledger.record_bill_status(bill_id, B.PAID, None, "poll", at=T0)
    rows = ledger.outcome_counts("day", "UTC", start=date(2026, 4, 1), end=date(2026, 4, 2))
    assert rows == [OutcomeRow(date(2026, 4, 1), B.PAID, 2)]


def test_subscription_counts_include_every_status(ledger):
    for number, status in enumerate([S.ACTIVE, S.ACTIVE, S.TRIAL, S.CANCELED, S.CREATING]):
        subscription(ledger, number, status)
    counts = ledger.subscription_counts()
    assert set(counts) == set(S)
    assert (counts[S.ACTIVE], counts[S.TRIAL], counts[S.CANCELED], counts[S.FAILED]) == (2, 1, 1, 0)
    assert sum(counts.values()) == 5


def test_mrr_normalises_plans_to_a_month_per_currency(ledger):
    subscription(ledger, 1, S.ACTIVE, 1999)  # 19.99 a month
    subscription(ledger, 2, S.ACTIVE, 19900, interval=12)  # yearly: 1658.33...
    subscription(ledger, 3, S.PAST_DUE, 700, interval=7, unit="day")  # 700 * 365 / 12 / 7
    subscription(ledger, 4, S.TRIAL, 5000)  # not paying yet
    subscription(ledger, 5, S.CANCELED, 5000)
    subscription(ledger, 6, S.ACTIVE, 1000, currency="USD", interval=1, unit="hour")
    rows = ledger.mrr()
    # EUR: 1999 + 1658.333 + 3041.667 = 6699.0 exactly; USD: 1000 * 8760 / 12 = 730000
    assert rows == [MrrRow("EUR", 6699, 3), MrrRow("USD", 730_000, 1)]


@pytest.mark.parametrize(("amount", "interval", "expected"), [(1, 2, 0), (3, 2, 2), (5, 2, 2)])
def test_mrr_rounds_half_to_even_once_per_currency(ledger, amount, interval, expected):
    subscription(ledger, 1, S.ACTIVE, amount, interval=interval)
    assert ledger.mrr() == [MrrRow("EUR", expected, 1)]


def test_recent_events_show_the_latest_changes_first(ledger):
    bill_id = bill(ledger, 1, B.PAID)
    sub_id = subscription(ledger, 1, S.ACTIVE)
    events = ledger.recent_events(3)
    assert [(e.ref, e.to_status) for e in events] == [
        (f"S{sub_id}", "active"),
        (f"S{sub_id}", "creating"),
        (f"B{bill_id}", "paid"),
    ]


def test_open_items_can_leave_out_demo_rows(tmp_path):
    from console.ledger import Ledger, now_ms

    ledger = Ledger(tmp_path / "ledger.db")
    ledger.bulk_insert(
        "bills",
        [{"id": n, "provider": "bepaid", "kind": "card_link", "tracking_id": f"t{n}",
          "amount": 100, "currency": "EUR", "status": "pending", "demo": n % 2,
          "created_at": now_ms(), "updated_at": now_ms()} for n in range(1, 7)],
    )  # fmt: skip
    assert len(ledger.open_items()) == 6
    assert sorted(item.id for item in ledger.open_items(include_demo=False)) == [2, 4, 6]


def test_open_counts_are_exact_and_filtered(tmp_path):
    from console.ledger import Ledger, now_ms

    ledger = Ledger(tmp_path / "ledger.db")
    kinds = ["card_link", "card_link", "apm", "payture_bill"]
    statuses = ["pending", "creating", "pending", "paid"]
    ledger.bulk_insert(
        "bills",
        [{"id": n + 1, "provider": "bepaid", "kind": kinds[n], "tracking_id": f"t{n}",
          "amount": 100, "currency": "EUR", "status": statuses[n],
          "created_at": now_ms() + n, "updated_at": now_ms()} for n in range(4)],
    )  # fmt: skip
    assert ledger.open_counts() == {("bill", "pending"): 2, ("bill", "creating"): 1}
    assert ledger.open_counts(kind="card_link") == {("bill", "pending"): 1, ("bill", "creating"): 1}
    newest = ledger.open_items(newest_first=True, limit=1)
    assert [item.id for item in newest] == [3]
