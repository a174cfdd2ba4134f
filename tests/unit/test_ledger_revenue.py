"""Revenue per local day, week and month: per currency, net of refunds, and on the right
day across midnight and both DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from console.errors import ValidationError
from console.ledger import Ledger, NewBill, NewSubscription, RevenueRow, bucket_bounds

BERLIN = ZoneInfo("Europe/Berlin")
MINSK = ZoneInfo("Europe/Minsk")


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


class Shop:
    """Records paid bills at given local times, one bill per payment."""

    def __init__(self, ledger):
        self.ledger = ledger
        self.count = 0

    def pay(self, when, amount=100, currency="EUR", provider="bepaid", kind="card_link"):
        self.count += 1
        bill_id = self.ledger.create_bill(
            NewBill(
                provider=provider,
                kind=kind,
                tracking_id=f"o-{self.count}",
                amount=abs(amount),
                currency=currency,
            )
        )
        self.ledger.record_payment(
            provider=provider,
            provider_txn_id=f"t-{self.count}",
            amount=amount,
            currency=currency,
            at=when,
            bill_id=bill_id,
        )
        return bill_id


def totals(rows):
    return {(row.bucket_start.isoformat(), row.currency): row.total_minor for row in rows}


def test_a_payment_at_23_30_local_lands_on_that_local_day(ledger):
    shop = Shop(ledger)
    shop.pay(datetime(2026, 6, 10, 23, 30, tzinfo=MINSK), 100)  # 20:30 UTC
    shop.pay(datetime(2026, 6, 11, 0, 30, tzinfo=MINSK), 200)  # 21:30 UTC on the 10th
    rows = ledger.revenue("day", "Europe/Minsk", start=date(2026, 6, 10), end=date(2026, 6, 12))
    assert totals(rows) == {("2026-06-10", "EUR"): 100, ("2026-06-11", "EUR"): 200}
    utc_rows = ledger.revenue("day", "UTC", start=date(2026, 6, 10), end=date(2026, 6, 12))
    assert totals(utc_rows) == {("2026-06-10", "EUR"): 300}


def test_spring_forward_day_has_23_hours_and_keeps_its_payments(ledger):
    shop = Shop(ledger)
    shop.pay(datetime(2026, 3, 28, 23, 30, tzinfo=BERLIN), 1)  # CET, still the 28th
    shop.pay(datetime(2026, 3, 29, 0, 10, tzinfo=BERLIN), 10)  # 23:10 UTC on the 28th
    shop.pay(datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN), 100)  # just after the jump, CEST
    shop.pay(datetime(2026, 3, 29, 23, 30, tzinfo=BERLIN), 1000)  # 21:30 UTC
    shop.pay(datetime(2026, 3, 30, 0, 30, tzinfo=BERLIN), 10000)  # 22:30 UTC on the 29th
    rows = ledger.revenue("day", "Europe/Berlin", start=date(2026, 3, 28), end=date(2026, 3, 31))
    assert totals(rows) == {
        ("2026-03-28", "EUR"): 1,
        ("2026-03-29", "EUR"): 1110,
        ("2026-03-30", "EUR"): 10000,
    }
    [(_, lo, hi)] = bucket_bounds("day", "Europe/Berlin", date(2026, 3, 29), date(2026, 3, 30))
    assert hi - lo == 23 * 3600 * 1000


def test_fall_back_day_has_25_hours_and_both_two_thirties(ledger):
    shop = Shop(ledger)
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)  # CEST, 00:30 UTC
    second = first.replace(fold=1)  # the repeated hour, CET, 01:30 UTC
    assert second - first == timedelta(0) and second.utcoffset() != first.utcoffset()
    shop.pay(first, 1)
    shop.pay(second, 10)
    shop.pay(datetime(2026, 10, 25, 23, 30, tzinfo=BERLIN), 100)  # 22:30 UTC
    shop.pay(datetime(2026, 10, 26, 0, 15, tzinfo=BERLIN), 1000)  # 23:15 UTC on the 25th
    shop.pay(datetime(2026, 10, 24, 23, 59, tzinfo=BERLIN), 10000)  # CEST, 21:59 UTC
    rows = ledger.revenue("day", "Europe/Berlin", start=date(2026, 10, 24), end=date(2026, 10, 27))
    assert totals(rows) == {
        ("2026-10-24", "EUR"): 10000,
        ("2026-10-25", "EUR"): 111,
        ("2026-10-26", "EUR"): 1000,
    }
    [(_, lo, hi)] = bucket_bounds("day", "Europe/Berlin", date(2026, 10, 25), date(2026, 10, 26))
    assert hi - lo == 25 * 3600 * 1000


def test_weeks_start_on_monday_and_months_on_the_first_local_day(ledger):
    shop = Shop(ledger)
    shop.pay(datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN), 1)  # Sunday
    shop.pay(datetime(2026, 3, 30, 0, 30, tzinfo=BERLIN), 10)  # Monday 00:30 CEST
    shop.pay(datetime(2026, 3, 31, 23, 30, tzinfo=BERLIN), 100)  # last March evening
    shop.pay(datetime(2026, 4, 1, 0, 30, tzinfo=BERLIN), 1000)  # 22:30 UTC on March 31st
    weeks = ledger.revenue("week", "Europe/Berlin", start=date(2026, 3, 23), end=date(2026, 4, 6))
    assert totals(weeks) == {("2026-03-23", "EUR"): 1, ("2026-03-30", "EUR"): 1110}
    months = ledger.revenue("month", "Europe/Berlin", start=date(2026, 3, 1), end=date(2026, 5, 1))
    assert totals(months) == {("2026-03-01", "EUR"): 111, ("2026-04-01", "EUR"): 1000}


def test_currencies_are_never_added_together_and_refunds_are_net(ledger):
    shop = Shop(ledger)
    noon = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    bill = shop.pay(noon, 1250, "EUR")
    shop.pay(noon, 500, "JPY")
    shop.pay(noon, 1500, "KWD", provider="begateway", kind="apm")
    ledger.record_payment(
        provider="bepaid",
        provider_txn_id="refund-1",
        amount=-250,
        currency="EUR",
        at=noon + timedelta(hours=1),
        bill_id=bill,
    )
    rows = ledger.revenue("day", "UTC", start=date(2026, 7, 1), end=date(2026, 7, 2))
    assert rows == [
        RevenueRow(date(2026, 7, 1), "EUR", None, 1000, 2),
        RevenueRow(date(2026, 7, 1), "JPY", None, 500, 1),
        RevenueRow(date(2026, 7, 1), "KWD", None, 1500, 1),
    ]


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("provider", {"bepaid": 1100, "begateway": 20, "payture": 300}),
        ("kind", {"card_link": 100, "subscription": 1000, "apm": 20, "payture_bill": 300}),
    ],
)
def test_revenue_grouped_by_provider_or_kind(ledger, group_by, expected):
    shop = Shop(ledger)
    day = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    shop.pay(day, 100)
    shop.pay(day, 20, provider="begateway", kind="apm")
    shop.pay(day, 300, provider="payture", kind="payture_bill")
    sub = ledger.create_subscription(
        NewSubscription(
            tracking_id="s", amount=1000, currency="EUR", interval=1, interval_unit="month"
        )
    )
    ledger.record_payment(
        provider="bepaid",
        provider_txn_id="s-1",
        amount=1000,
        currency="EUR",
        at=day,
        subscription_id=sub,
    )
    rows = ledger.revenue(
        "month", "UTC", start=date(2026, 7, 1), end=date(2026, 8, 1), group_by=group_by
    )
    assert {row.group: row.total_minor for row in rows} == expected
    assert {row.currency for row in rows} == {"EUR"}


def test_a_range_that_starts_mid_day_is_clipped_but_labelled_by_its_bucket(ledger):
    shop = Shop(ledger)
    shop.pay(datetime(2026, 5, 6, 9, 0, tzinfo=UTC), 1)  # before the start
    shop.pay(datetime(2026, 5, 6, 15, 0, tzinfo=UTC), 10)
    start = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)  # a Wednesday
    rows = ledger.revenue("week", "UTC", start=start, end=start + timedelta(days=3))
    assert totals(rows) == {("2026-05-04", "EUR"): 10}


def test_empty_ledger_and_empty_range_give_no_rows(ledger):
    assert ledger.revenue("day", "UTC", start=date(2026, 1, 1), end=date(2026, 2, 1)) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"bucket": "year"}, "bucket"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"end": date(2026, 1, 1)}, "end"),
        ({"start": datetime(2026, 1, 1)}, "start"),
        ({"group_by": "currency"}, "group_by"),
        ({"bucket": "day", "start": date(2000, 1, 1)}, "bucket"),  # too many days
    ],
)
def test_bad_report_arguments_are_refused(ledger, kwargs, field):
    arguments = {"bucket": "day", "tz": "UTC", "start": date(2026, 1, 1), "end": date(2026, 2, 1)}
    with pytest.raises(ValidationError) as caught:
        ledger.revenue(**{**arguments, **kwargs})
    assert caught.value.field == field
