"""The Revenue page through the real router: one chart per currency, the time zone in every
title, local-day buckets that follow the chosen zone, and a CSV equal to the rows shown."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from console.auth import LOCAL_ADMIN, Actor
from console.demo import generate_demo
from console.ledger import Ledger, NewBill
from console.money import exponent
from console.status import BillStatus
from console.ui import tables
from console.ui.context import ACTOR_KEY
from console.ui.registry import PAGES_DIR

PAGE = PAGES_DIR / "revenue.py"


def open_revenue(actor: Actor | None = LOCAL_ADMIN) -> AppTest:
    """Run the Revenue page as the router does once the login gate has let ``actor`` in.

    The page file is run directly, so the page's own gate check is what is under
    test here (defence in depth beside the router's).
    """
    at = AppTest.from_file(PAGE, default_timeout=60)
    if actor is not None:
        at.session_state[ACTOR_KEY] = actor
    return at.run()


def charts(at: AppTest) -> list[dict]:
    """The Plotly figures the page sent, with typed arrays decoded to plain lists."""
    return [
        json.loads(element.proto.spec, object_hook=decode) for element in at.get("plotly_chart")
    ]


def decode(value: dict):
    # Plotly sends numpy arrays as {"dtype": "f8", "bdata": <base64>} (its typed-array spec).
    if set(value) >= {"dtype", "bdata"}:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if isinstance(shape, str):  # "2, 3"
            shape = [int(n) for n in shape.split(",")]
        return (array.reshape(shape) if shape else array).tolist()
    return value


def revenue_charts(at: AppTest) -> dict[str, dict]:
    """The per-currency revenue charts, keyed by the currency their title starts with."""
    found = {}
    for spec in charts(at):
        title = spec["layout"]["title"]["text"]
        if "net revenue" in title:
            found[title.split(" ", 1)[0]] = spec
    return found


@pytest.fixture
def use_ledger(monkeypatch, tmp_path):
    def use(path: Path, tz: str = "Europe/Minsk") -> None:
        monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(path))
        monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "no-secrets.toml"))
        monkeypatch.setenv("MERCHANT_CONSOLE_TIMEZONE", tz)

    return use


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "ledger.db"
    generate_demo(path, bills=2000, seed=1)
    return path


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """What each download button hands the browser (bytes and file name), by media file id.

    AppTest builds a fresh in-memory media store per run and drops it afterwards;
    this subclass keeps a copy of what the page stored, nothing else changes.
    """
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    kept = {}

    class KeepingStorage(MemoryMediaFileStorage):
        def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
            file_id = super().load_and_get_id(path_or_data, mimetype, kind, filename)
            kept[file_id] = self.get_file(file_id)
            return file_id

    monkeypatch.setattr("streamlit.testing.v1.app_test.MemoryMediaFileStorage", KeepingStorage)
    return kept


def downloaded(at: AppTest, kept: dict, key: str) -> tuple[bytes, str]:
    """The (content, file name) behind the download button ``key``."""
    [button] = [b for b in at.get("download_button") if b.key == key]
    stored = kept[button.proto.url.rsplit("/", 1)[1].split(".")[0]]
    return stored.content, stored.filename


def tiny_ledger(path: Path, at_utc: datetime, provider="bepaid", kind="card_link") -> None:
    """One paid EUR bill of 12.34 at ``at_utc``."""
    with Ledger(path) as ledger:
        bill = ledger.create_bill(
            NewBill(
                provider=provider,
                kind=kind,
                tracking_id="t-1",
                amount=1234,
                currency="EUR",
                status=BillStatus.PENDING,
                at=at_utc - timedelta(minutes=5),
            )
        )
        ledger.record_bill_status(bill, BillStatus.PAID, "successful", source="poll", at=at_utc)
        ledger.record_payment(
            provider=provider, provider_txn_id="txn-1", amount=1234, currency="EUR",
            at=at_utc, bill_id=bill,
        )  # fmt: skip


def test_empty_ledger_shows_a_welcome_not_an_error(use_ledger, tmp_path):
    use_ledger(tmp_path / "empty.db")
    at = open_revenue()
    assert not at.exception
    assert at.title[0].value == "Revenue"
    assert "No payments yet" in at.info[0].value
    assert charts(at) == []


def test_demo_ledger_one_chart_per_currency_each_naming_the_zone(use_ledger, demo_ledger):
    use_ledger(demo_ledger)
    at = open_revenue()
    assert not at.exception
    first, last = at.date_input(key="revenue_period").value
    assert (last - first).days == 29  # the last 30 local days by default
    with Ledger(demo_ledger) as ledger:
        rows = ledger.revenue(
            "day", "Europe/Minsk", start=first, end=last + timedelta(days=1), group_by="provider"
        )
    assert sorted(revenue_charts(at)) == sorted({row.currency for row in rows})
    assert len(revenue_charts(at)) >= 3
    for spec in charts(at):  # revenue, outcomes and subscriptions alike
        assert "Europe/Minsk" in spec["layout"]["title"]["text"]
    assert any("demo data" in caption.value for caption in at.caption)
    assert any(m.label.startswith("MRR ") for m in at.metric)


def test_csv_download_is_exactly_the_rows_shown(use_ledger, demo_ledger, downloads):
    use_ledger(demo_ledger)
    at = open_revenue()
    content, file_name = downloaded(at, downloads, "revenue_csv")
    exported = list(csv.DictReader(io.StringIO(content.decode())))
    [table] = at.dataframe  # the "rows shown" table, the only one on the page
    shown = table.value
    assert len(exported) == len(shown) > 0
    assert exported == [{k: str(v) for k, v in row.items()} for row in shown.to_dict("records")]
    assert {row["time_zone"] for row in exported} == {"Europe/Minsk"}
    # ...and the charts draw the same numbers, per currency, in major units.
    for currency, spec in revenue_charts(at).items():
        drawn = sum(y for trace in spec["data"] for y in trace["y"])
        minor = sum(int(r["net_minor_units"]) for r in exported if r["currency"] == currency)
        assert drawn == pytest.approx(minor / 10 ** exponent(currency))
    assert file_name.endswith("_Europe-Minsk.csv")


def test_switching_the_zone_moves_a_late_payment_to_the_next_day(use_ledger, tmp_path):
    paid_at = datetime.combine(
        datetime.now(UTC).date() - timedelta(days=3), time(22, 30), tzinfo=UTC
    )
    tiny_ledger(tmp_path / "tiny.db", paid_at)
    use_ledger(tmp_path / "tiny.db", tz="UTC")
    at = open_revenue()

    def paid_days() -> list[str]:
        [trace] = revenue_charts(at)["EUR"]["data"]
        return [x for x, y in zip(trace["x"], trace["y"], strict=True) if y]

    assert paid_days() == [paid_at.date().isoformat()]
    at.selectbox(key="revenue_tz").set_value("Europe/Minsk").run()
    assert not at.exception
    assert paid_days() == [(paid_at.date() + timedelta(days=1)).isoformat()]
    assert "Europe/Minsk" in revenue_charts(at)["EUR"]["layout"]["title"]["text"]


# UTC+14 and UTC-12: at any moment one of them is on another calendar day than UTC.
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_the_default_period_is_the_last_30_days_of_the_zone_picked(use_ledger, tmp_path, zone):
    tiny_ledger(tmp_path / "tiny.db", datetime.now(UTC) - timedelta(days=3))
    use_ledger(tmp_path / "tiny.db", tz="UTC")
    at = open_revenue()
    before = tables.default_period(zone)
    at.selectbox(key="revenue_tz").set_value(zone).run()
    assert not at.exception
    # (read before and after: the zone's midnight may fall between the page's read and ours)
    assert at.date_input(key="revenue_period").value in {before, tables.default_period(zone)}


def test_a_period_of_ones_own_stays_when_the_zone_changes(use_ledger, tmp_path):
    tiny_ledger(tmp_path / "tiny.db", datetime.now(UTC) - timedelta(days=3))
    use_ledger(tmp_path / "tiny.db", tz="UTC")
    at = open_revenue()
    chosen = (date(2024, 1, 1), date(2024, 1, 31))
    at.date_input(key="revenue_period").set_value(chosen).run()
    at.selectbox(key="revenue_tz").set_value("Pacific/Kiritimati").run()
    assert not at.exception
    assert at.date_input(key="revenue_period").value == chosen


def test_stack_by_provider_or_kind_changes_the_traces(use_ledger, demo_ledger):
    use_ledger(demo_ledger)
    at = open_revenue()
    by_provider = {t["name"] for t in revenue_charts(at)["BYN"]["data"]}
    assert by_provider <= {"bepaid", "begateway", "payture"} and len(by_provider) > 1
    at.segmented_control(key="revenue_group").set_value("kind").run()
    by_kind = {t["name"] for t in revenue_charts(at)["BYN"]["data"]}
    assert by_kind <= {"card_link", "apm", "payture_bill", "subscription"} and len(by_kind) > 1
    assert "by kind" in revenue_charts(at)["BYN"]["layout"]["title"]["text"]


def test_weekly_buckets_start_on_monday_and_empty_ones_are_drawn(use_ledger, tmp_path):
    paid_at = datetime.now(UTC) - timedelta(days=20)
    tiny_ledger(tmp_path / "tiny.db", paid_at)
    use_ledger(tmp_path / "tiny.db", tz="UTC")
    at = open_revenue()
    at.segmented_control(key="revenue_bucket").set_value("week").run()
    [trace] = revenue_charts(at)["EUR"]["data"]
    weeks = [date.fromisoformat(x) for x in trace["x"]]
    assert len(weeks) >= 5 and all(day.weekday() == 0 for day in weeks)
    assert sum(1 for y in trace["y"] if y) == 1  # one week paid, the others drawn at zero
    assert sum(trace["y"]) == pytest.approx(12.34)


def test_a_period_without_payments_says_so(use_ledger, tmp_path):
    tiny_ledger(tmp_path / "tiny.db", datetime.now(UTC) - timedelta(days=300))
    use_ledger(tmp_path / "tiny.db")
    at = open_revenue()
    assert not at.exception
    assert any("No payments between" in info.value for info in at.info)
    assert revenue_charts(at) == {}


def test_without_the_login_gate_the_page_shows_nothing(use_ledger, demo_ledger):
    use_ledger(demo_ledger)
    at = open_revenue(actor=None)
    assert not at.exception
    assert "Not signed in" in at.error[0].value
    assert charts(at) == [] and not at.get("download_button")
