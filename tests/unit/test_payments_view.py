"""The Payments page's rules without Streamlit: the address, typed filters, the table's cells,
and the CSV export (money as text in major units, local ISO times, formulas neutralised,
memory that does not grow with the number of rows)."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from console.ledger import ExplorerRow, MajorAmount
from console.status import BillStatus
from console.ui import payments_export, payments_view
from console.ui.payments_view import Form
from console.vocabulary import BillKind, Provider

TODAY = date(2026, 11, 30)
DEFAULT = Form(first=TODAY - timedelta(days=29), last=TODAY, tz="Europe/Minsk")


def test_the_default_period_is_the_last_30_local_days():
    late_evening_utc = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)  # already Dec 1 in Minsk
    form = payments_view.default_form("Europe/Minsk", now=late_evening_utc)
    assert (form.first, form.last) == (date(2026, 11, 2), date(2026, 12, 1))
    assert payments_view.default_form("UTC", now=late_evening_utc).last == date(2026, 11, 30)


def test_an_address_and_its_form_make_each_other():
    form = Form(
        first=date(2026, 11, 1), last=date(2026, 11, 7), tz="Asia/Tokyo",
        statuses=(BillStatus.FAILED, BillStatus.PARTIALLY_REFUNDED), provider=Provider.BEPAID,
        kind=BillKind.CARD_LINK, currency="BYN", amount_min="100", amount_max="1 000.50",
        email="Ann@Example.com", text="gift card", sort="amount_desc",
    )  # fmt: skip
    url = payments_view.url_of(form)
    assert url["status"] == "failed,partially_refunded" and url["from"] == "2026-11-01"
    back, problems = payments_view.form_from_url({k: [v] for k, v in url.items()}, DEFAULT)
    assert (back, problems) == (form, [])


def test_a_default_form_writes_only_the_period_and_zone():
    assert payments_view.url_of(DEFAULT) == {
        "from": "2026-11-01", "to": "2026-11-30", "tz": "Europe/Minsk"
    }  # fmt: skip


def test_a_long_bad_value_is_quoted_short():
    _, [problem] = payments_view.form_from_url({"tz": ["x" * 5000]}, DEFAULT)
    assert len(problem) < 200 and "xxx…" in problem


def test_statuses_may_be_repeated_or_comma_separated_and_bad_ones_are_named():
    params = {"status": ["failed, expired", "paid", "lost"]}
    form, problems = payments_view.form_from_url(params, DEFAULT)
    assert form.statuses == (BillStatus.FAILED, BillStatus.EXPIRED, BillStatus.PAID)
    assert problems == ["“lost” is not a bill status; ignored."]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"from": ["2026-02-30"], "to": ["2026-03-01"]}, "2026-02-30"),
        ({"from": ["2026-03-02"], "to": ["2026-03-01"]}, "before it starts"),
        ({"from": ["9999-12-31"], "to": ["9999-12-31"]}, "outside"),
        ({"from": ["0001-01-01"], "to": ["2026-03-01"]}, "outside"),
        ({"tz": ["Europe/Atlantis"]}, "Europe/Atlantis"),
        ({"currency": ["BTC"]}, "BTC"),
        ({"kind": ["cash"]}, "cash"),
        ({"sort": ["random"]}, "random"),
        ({"amount_min": ["1,234"]}, "ambiguous"),
        ({"amount_max": ["-5"]}, "positive"),
        ({"currency": ["JPY"], "amount_min": ["12.50"]}, "no decimals"),
        ({"amount_min": ["10"], "amount_max": ["5"]}, "below"),
        ({"email": ["ann@"]}, "e-mail"),
        ({"q": ["a\u202eb"]}, "U+202E"),
        ({"q": ["x" * 201]}, "200"),
        ({"q": ["card 4111 1111 1111 1111"]}, "card number"),
    ],
)
def test_a_bad_address_value_is_named_and_its_filter_left_out(params, named):
    form, problems = payments_view.form_from_url(params, DEFAULT)
    assert len(problems) == 1 and named in problems[0], problems
    where, errors = payments_view.filter_of(form, ["BYN", "EUR"])
    assert where is not None and errors == {}  # what is left is a valid filter
    assert "4111" not in problems[0]


def test_typed_amounts_are_major_units_of_the_currency_or_of_each_currency():
    form = Form(first=TODAY, last=TODAY, tz="UTC", currency="BYN", amount_min="12.5")
    where, _ = payments_view.filter_of(form, ["BYN", "KWD"])
    assert where.amount_min == MajorAmount(1250, 2)
    anyone = Form(first=TODAY, last=TODAY, tz="UTC", amount_min="12.125", amount_max="20")
    where, _ = payments_view.filter_of(anyone, ["BYN", "KWD"])  # KWD has 3 decimals
    assert (where.amount_min, where.amount_max) == (MajorAmount(12125, 3), MajorAmount(20000, 3))
    _, errors = payments_view.filter_of(anyone, ["BYN", "EUR"])  # 2 decimals at most here
    assert "at most 2 decimals" in errors["amount_min"]


def test_the_period_is_local_midnight_to_the_midnight_after_the_last_day():
    start, end = payments_view.period_bounds(date(2026, 3, 28), date(2026, 3, 29), "Europe/Berlin")
    assert start == datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # the DST night has 23 hours


def row(**changes) -> ExplorerRow:
    values = {
        "id": 12, "created_at": datetime(2026, 11, 3, 11, 2, 3, tzinfo=UTC),
        "status": BillStatus.PARTIALLY_REFUNDED, "provider": Provider.BEPAID,
        "kind": BillKind.CARD_LINK, "amount": 123450, "currency": "BYN", "paid": 123450,
        "refunded": 2000, "customer_email": "o'neil+shop@example.com",
        "description": "![x](https://elsewhere/b) *bold*", "tracking_id": "order_981",
        "provider_id": "uid-1",
    }  # fmt: skip
    values.update(changes)
    return ExplorerRow(**values)


def test_table_cells_link_to_lookup_and_customer_and_show_text_as_typed():
    [cells] = payments_view.table_rows([row()], "Europe/Minsk")
    assert cells["bill"] == "[B12](lookup?q=B12)"
    assert cells["created (Europe/Minsk)"] == "2026-11-03 14:02:03"
    assert cells["amount"] == "1 234.50 BYN" and cells["refunded"] == "20.00 BYN"
    assert cells["customer"] == (
        r"[o'neil\+shop@example.com](customer?email=o%27neil%2Bshop%40example.com)"
    )
    assert "![" not in cells["description"] and "\\*bold\\*" in cells["description"]
    assert cells["tracking id"] == r"order\_981"


def test_totals_are_counted_never_added_across_currencies():
    from console.ledger import CurrencyTotal

    words = payments_view.totals_words(
        [CurrencyTotal("BYN", 2, 500), CurrencyTotal("EUR", 1_200, 900)]
    )
    assert words == "1,202 bills in 2 currencies"
    assert payments_view.totals_words([CurrencyTotal("JPY", 1, 5)]) == "1 bill in JPY"
    assert payments_view.totals_words([]) == "0 bills"


# -- the CSV -------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["=1+2", "+1", "-1", "@SUM(A1)", "\t=x", "\r=x"])
def test_a_cell_a_spreadsheet_would_run_is_shown_as_text(typed):
    assert payments_export.neutralised(typed) == "'" + typed


@pytest.mark.parametrize("typed", ["Order #1", "a=b", "", None, "'quoted"])
def test_other_cells_are_left_as_typed(typed):
    assert payments_export.neutralised(typed) == (typed or "")


def test_the_csv_has_money_as_text_times_with_offset_and_the_zone_in_its_header():
    out = io.StringIO(newline="")
    rows = [
        row(),
        row(id=13, amount=1500, paid=0, refunded=0, currency="JPY",
            description="=cmd|' /C calc'!A0"),
        row(id=14, amount=12345, paid=12345, refunded=0, currency="KWD", customer_email=None,
            provider_id=None, description="-5% off"),
    ]  # fmt: skip
    assert payments_export.write_csv(rows, out, "Asia/Kathmandu") == 3
    found = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(found[0]) == list(payments_export.csv_columns("Asia/Kathmandu"))
    assert [r["amount"] for r in found] == ["1234.50", "1500", "12.345"]
    assert [r["refunded"] for r in found] == ["20.00", "0", "0.000"]
    assert found[0]["created (Asia/Kathmandu)"] == "2026-11-03T16:47:03+05:45"
    assert found[1]["description"] == "'=cmd|' /C calc'!A0"
    assert found[2]["description"] == "'-5% off" and found[2]["customer_email"] == ""
    assert found[0]["status"] == "partially_refunded" and found[0]["bill"] == "B12"


def test_the_file_name_names_the_period_and_the_zone():
    name = payments_export.csv_file_name(date(2026, 11, 1), date(2026, 11, 30), "Europe/Minsk")
    assert name == "payments-2026-11-01_2026-11-30-Europe_Minsk.csv"
    assert "America_Argentina_Buenos_Aires" in payments_export.csv_file_name(
        TODAY, TODAY, "America/Argentina/Buenos_Aires"
    )


def test_writing_reports_progress_as_it_goes():
    seen: list[int] = []
    many = (row(id=n) for n in range(12_001))
    payments_export.write_csv(many, io.StringIO(), "UTC", on_progress=seen.append)
    assert seen == [5_000, 10_000, 12_001]


def test_writing_a_hundred_times_more_rows_takes_no_more_memory(tmp_path):
    """Rows stream from an iterator to a file: Python's peak memory for 50,000 rows is
    about that for 500 (tracemalloc counts every allocation the writer makes)."""

    def peak(count: int) -> int:
        rows = (
            row(id=n, description=f"Order #{n} with a longer description") for n in range(count)
        )
        tracemalloc.start()
        try:
            with open(tmp_path / f"{count}.csv", "w", encoding="utf-8", newline="") as out:
                payments_export.write_csv(rows, out, "Europe/Minsk")
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(500), peak(50_000)
    assert (tmp_path / "50000.csv").stat().st_size > 6_000_000
    assert large < small * 2 + 256 * 1024, (small, large)


def test_local_times_follow_the_zone_rules_of_their_day():
    zone = ZoneInfo("Europe/Berlin")
    summer = payments_export.csv_cells(row(created_at=datetime(2026, 7, 1, 12, tzinfo=UTC)), zone)
    winter = payments_export.csv_cells(row(created_at=datetime(2026, 1, 1, 12, tzinfo=UTC)), zone)
    assert summer[1].endswith("+02:00") and winter[1].endswith("+01:00")
