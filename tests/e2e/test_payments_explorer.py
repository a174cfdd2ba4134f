"""Support's day on the Payments page, in chromium against the real ``merchant-console run``:
filter to failed BYN bills and see the count change, reload and get the same view from the
address, open a bill in Lookup from its row, export the CSV and read the downloaded file, and
type a malformed amount — a message, nothing else changes."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from console.demo import generate_demo
from console.ledger import Ledger, PaymentFilter
from console.status import BillStatus
from tests.e2e.conftest import running_console
from tests.e2e.journeys import WAIT_MS, choose, field

ZONE = ZoneInfo("Europe/Minsk")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The console running on a demo ledger of 3,000 bills (about 250 in the last 30 days)."""
    home = tmp_path_factory.mktemp("explorer")
    ledger = home / "ledger.db"
    generate_demo(ledger, bills=3000, seed=5)
    with running_console(home, ledger_arg=str(ledger)) as running:
        yield running


@pytest.fixture(scope="module")
def warm(shop, browser):
    """A fresh server answers its very first page address without the entry script: open
    the start page once, as a person does (see test_monitor_lookup)."""
    context = browser.new_context()
    first = context.new_page()
    first.goto(shop.url)
    first.get_by_text("SANDBOX").first.wait_for(timeout=30_000)
    context.close()
    return shop


def expected(shop, **conditions) -> int:
    """How many bills of the last 30 local days the ledger holds under ``conditions``."""
    today = datetime.now(ZONE).date()
    start = datetime.combine(today - timedelta(days=29), datetime.min.time(), tzinfo=ZONE)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=ZONE)
    with Ledger(shop.ledger_path) as ledger:
        totals = ledger.explorer.totals(PaymentFilter(start=start, end=end, **conditions))
    return sum(total.count for total in totals)


def shown_count(page: Page) -> str:
    return page.get_by_text(re.compile(r"match these filters")).inner_text()


def wait_for_count(page: Page, count: int) -> None:
    words = f"{count:,} bill" + ("" if count == 1 else "s")
    expect(page.get_by_text(re.compile(r"match these filters"))).to_contain_text(
        words, timeout=WAIT_MS
    )


def test_support_finds_failed_byn_payments_shares_and_exports_them(warm, page):
    everything = expected(warm)
    failed_byn = expected(warm, statuses=(BillStatus.FAILED,), currency="BYN")
    assert 0 < failed_byn < everything
    page.goto(f"{warm.url}/payments")
    page.get_by_role("heading", name="Payments", exact=True).wait_for(timeout=WAIT_MS)
    wait_for_count(page, everything)

    # Filters: failed, in BYN — the count follows.
    status = page.get_by_test_id("stMultiSelect").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text("Status", exact=True)
    )
    status.click()
    page.get_by_role("option", name=re.compile(r"failed$")).click()
    page.keyboard.press("Escape")
    choose(page, "Currency", "BYN")
    wait_for_count(page, failed_byn)
    expect(page).to_have_url(re.compile(r"status=failed"), timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(r"currency=BYN"))
    rows = page.get_by_test_id("stTable").locator("tbody tr")
    expect(rows).to_have_count(min(failed_byn, 50))
    for cell in rows.locator("td").filter(has_text=re.compile(r"\d BYN$")).all()[:5]:
        assert cell.inner_text().endswith("BYN")

    # Reload: the same filtered view, from the address alone.
    shared = page.url
    page.reload()
    wait_for_count(page, failed_byn)
    assert page.url == shared
    expect(rows).to_have_count(min(failed_byn, 50))

    # A malformed amount: a message, and the table, count and address stay as they were.
    before = shown_count(page)
    box = field(page, "Amount from")
    box.fill("12,345")
    box.press("Enter")
    page.get_by_text(re.compile(r"ambiguous")).wait_for(timeout=WAIT_MS)
    assert shown_count(page) == before and page.url == shared
    box.fill("")
    box.press("Enter")
    expect(page.get_by_text(re.compile(r"ambiguous"))).to_have_count(0, timeout=WAIT_MS)

    # A row's reference opens the bill in Lookup.
    link = rows.first.get_by_role("link", name=re.compile(r"^B\d+$"))
    ref = link.inner_text()
    with page.context.expect_page() as opened:
        link.click()
    lookup = opened.value
    lookup.get_by_role("heading", name=re.compile(rf"^{ref} · ")).wait_for(timeout=WAIT_MS)
    assert f"/lookup?q={ref}" in lookup.url
    lookup.close()

    # The export: prepared under a progress bar, downloaded, read back.
    page.get_by_role("button", name="Prepare CSV").click()
    download_link = page.get_by_role("link", name=re.compile(r"^Download payments-.*\.csv$"))
    download_link.wait_for(timeout=WAIT_MS)
    with page.expect_download() as arrived:
        download_link.click()
    download = arrived.value
    today = datetime.now(ZONE).date()
    assert download.suggested_filename == (
        f"payments-{today - timedelta(days=29)}_{today}-Europe_Minsk.csv"
    )
    text = open(download.path(), encoding="utf-8-sig").read()  # noqa: SIM115 - read whole
    exported = list(csv.DictReader(io.StringIO(text)))
    assert len(exported) == failed_byn
    assert {row["status"] for row in exported} == {"failed"}
    assert {row["currency"] for row in exported} == {"BYN"}
    assert all(re.fullmatch(r"\d+\.\d\d", row["amount"]) for row in exported)
    assert all(row["created (Europe/Minsk)"].endswith("+03:00") for row in exported)
    assert ref in {row["bill"] for row in exported}


def test_a_shared_address_with_a_bad_value_opens_with_a_message(warm, page):
    page.goto(f"{warm.url}/payments?status=failed&currency=BYN&amount_min=abc")
    page.get_by_text(re.compile(r"From the address: Amount from")).wait_for(timeout=WAIT_MS)
    wait_for_count(page, expected(warm, statuses=(BillStatus.FAILED,), currency="BYN"))
    expect(page).not_to_have_url(re.compile(r"amount_min"), timeout=WAIT_MS)
