"""Revenue charts and Activity rows, built without Streamlit: one currency per panel, exact
money, empty buckets filled, the time zone named, the CSV equal to the rows shown."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from console.ledger import OutcomeRow, RevenueRow, StatusEvent
from console.status import BillStatus, SubscriptionStatus
from console.ui import charts, tables

DAYS = [date(2024, 5, 1) + timedelta(days=n) for n in range(4)]


def revenue_rows() -> list[RevenueRow]:
    return [
        RevenueRow(DAYS[0], "EUR", "bepaid", 1250, 1),
        RevenueRow(DAYS[2], "EUR", "bepaid", -300, 1),  # a refund bigger than the day's charges
        RevenueRow(DAYS[2], "EUR", "payture", 999, 2),
        RevenueRow(DAYS[3], "JPY", "bepaid", 3000, 1),
    ]


def test_cells_fill_every_bucket_of_every_series_present():
    cells = tables.revenue_cells(revenue_rows(), DAYS)
    assert [(c.currency, c.group, c.bucket_start, c.total_minor) for c in cells] == [
        ("EUR", "bepaid", DAYS[0], 1250),
        ("EUR", "bepaid", DAYS[1], 0),
        ("EUR", "bepaid", DAYS[2], -300),
        ("EUR", "bepaid", DAYS[3], 0),
        ("EUR", "payture", DAYS[0], 0),
        ("EUR", "payture", DAYS[1], 0),
        ("EUR", "payture", DAYS[2], 999),
        ("EUR", "payture", DAYS[3], 0),
        ("JPY", "bepaid", DAYS[0], 0),
        ("JPY", "bepaid", DAYS[1], 0),
        ("JPY", "bepaid", DAYS[2], 0),
        ("JPY", "bepaid", DAYS[3], 3000),
    ]


def test_no_payments_means_no_cells():
    assert tables.revenue_cells([], DAYS) == []


def test_one_panel_per_currency_with_its_own_total():
    panels = tables.cells_by_currency(tables.revenue_cells(revenue_rows(), DAYS))
    assert list(panels) == ["EUR", "JPY"]
    assert sum(c.total_minor for c in panels["EUR"]) == 1949
    assert sum(c.total_minor for c in panels["JPY"]) == 3000


@pytest.mark.parametrize(
    ("minor", "currency", "major"),
    [
        (1234, "EUR", 12.34),
        (1234, "JPY", 1234.0),
        (1234, "KWD", 1.234),
        (-500, "BYN", -5.0),
        (10**12 - 1, "RUB", 9_999_999_999.99),
        (1, "CLF", 0.0001),
    ],
)
def test_bar_heights_are_major_units_by_the_currency_exponent(minor, currency, major):
    assert charts.major_units(minor, currency) == major


def test_revenue_figure_stacks_groups_of_one_currency_and_names_the_time_zone():
    panel = tables.cells_by_currency(tables.revenue_cells(revenue_rows(), DAYS))["EUR"]
    figure = charts.revenue_figure(
        panel, currency="EUR", bucket="day", group_by="provider", tz="Europe/Minsk"
    )
    assert "Europe/Minsk" in figure.layout.title.text and "EUR" in figure.layout.title.text
    assert figure.layout.barmode == "relative"  # negative buckets go below zero
    assert [trace.name for trace in figure.data] == ["bepaid", "payture"]
    bepaid = figure.data[0]
    assert list(bepaid.x) == [day.isoformat() for day in DAYS]
    assert list(bepaid.y) == [12.5, 0.0, -3.0, 0.0]
    assert [row[0] for row in bepaid.customdata] == [
        "12.50 EUR",
        "0.00 EUR",
        "-3.00 EUR",
        "0.00 EUR",
    ]


def test_revenue_figure_refuses_a_mix_of_currencies():
    cells = tables.revenue_cells(revenue_rows(), DAYS)
    with pytest.raises(ValueError, match="one currency"):
        charts.revenue_figure(cells, currency="EUR", bucket="day", group_by=None, tz="UTC")


def test_outcome_figure_one_trace_per_status_present_with_zeros_filled():
    rows = [
        OutcomeRow(DAYS[0], BillStatus.FAILED, 2),
        OutcomeRow(DAYS[0], BillStatus.PAID, 5),
        OutcomeRow(DAYS[3], BillStatus.EXPIRED, 1),
    ]
    figure = charts.outcome_figure(rows, DAYS, bucket="day", tz="Asia/Tokyo")
    assert [trace.name for trace in figure.data] == ["paid", "failed", "expired"]
    assert list(figure.data[0].y) == [5, 0, 0, 0]
    assert list(figure.data[2].y) == [0, 0, 0, 1]
    assert "Asia/Tokyo" in figure.layout.title.text


def test_subscription_figure_says_when_and_where():
    counts = dict.fromkeys(SubscriptionStatus, 0) | {SubscriptionStatus.ACTIVE: 7}
    figure = charts.subscription_figure(counts, as_of="2024-05-01 12:00", tz="UTC")
    assert "as of 2024-05-01 12:00" in figure.layout.title.text
    assert "UTC" in figure.layout.title.text
    assert dict(zip(figure.data[0].y, figure.data[0].x, strict=True))["active"] == 7


def test_csv_holds_exactly_the_rows_shown_with_the_time_zone():
    cells = tables.revenue_cells(revenue_rows(), DAYS)
    records = tables.revenue_records(cells, bucket="day", tz="Europe/Minsk", group_by="provider")
    parsed = list(csv.DictReader(io.StringIO(tables.revenue_csv(records).decode())))
    assert parsed == [{key: str(value) for key, value in record.items()} for record in records]
    assert len(parsed) == len(cells) == 12
    assert {row["time_zone"] for row in parsed} == {"Europe/Minsk"}
    assert parsed[2]["net_minor_units"] == "-300"  # minor units, never floats
    name = tables.revenue_file_name("day", DAYS[0], DAYS[-1], "Europe/Minsk")
    assert name == "revenue_day_2024-05-01_2024-05-04_Europe-Minsk.csv"


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        (datetime(2024, 5, 31, 22, 30, tzinfo=UTC), "UTC", (date(2024, 5, 2), date(2024, 5, 31))),
        (
            datetime(2024, 5, 31, 22, 30, tzinfo=UTC),
            "Europe/Minsk",
            (date(2024, 5, 3), date(2024, 6, 1)),
        ),
    ],
)
def test_default_period_is_the_last_30_local_days(now, tz, expected):
    assert tables.default_period(tz, now=now) == expected


def test_time_zone_list_is_sorted_iana_names():
    names = tables.time_zone_names()
    assert names == sorted(names)
    assert {"UTC", "Europe/Minsk", "America/New_York"} <= set(names)


def test_event_rows_show_local_time_and_name_the_zone():
    event = StatusEvent(
        1, "bill", 17, "pending", "paid", "successful", "webhook",
        datetime(2024, 5, 31, 22, 30, tzinfo=UTC), None,
    )  # fmt: skip
    [row] = tables.events_table([event], "Europe/Minsk")
    assert row == {
        "when (Europe/Minsk)": "2024-06-01 01:30:00",
        "object": "B17",
        "change": "pending → paid",
        "native status": "successful",
        "source": "webhook",
        "detail": "",
    }


@pytest.mark.parametrize(
    ("bucket", "first", "last", "expected"),
    [
        ("day", date(2024, 5, 30), date(2024, 6, 1), ["2024-05-30", "2024-05-31", "2024-06-01"]),
        ("week", date(2024, 5, 30), date(2024, 6, 10), ["2024-05-27", "2024-06-03", "2024-06-10"]),
        ("month", date(2024, 5, 30), date(2024, 6, 1), ["2024-05-01", "2024-06-01"]),
    ],
)
def test_bucket_starts_cover_the_period_with_its_last_day_included(bucket, first, last, expected):
    starts = tables.bucket_starts(bucket, "Europe/Minsk", first, last)
    assert [day.isoformat() for day in starts] == expected
