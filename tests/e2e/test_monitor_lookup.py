"""Through the real ``merchant-console run``: a pay link paid at the sandbox turns up paid on
the Monitor page without a reload, then support finds it by e-mail and by its pay link."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect

from console.auth import LOCAL_ADMIN
from console.billing import Billing, PayLinkDraft
from console.config import load_settings
from console.ledger import Ledger

APPROVED_CARD = "4200000000000000"
WAIT_MS = 30_000  # the 5 s auto-refresh plus a provider pass, with room on a busy machine


@pytest.fixture(scope="module")
def warm_console(console_app, browser):
    """Open the console's start page once, as a person does, before any deep link.

    A fresh Streamlit server answers its very first request for a page URL from the
    pages directory, without the entry script (so without the login gate): that page
    would say "Not signed in". After one session has run the entry script, page URLs
    such as ``/lookup?q=...`` go through the router.
    """
    context = browser.new_context()
    first = context.new_page()
    first.goto(console_app.url)
    first.get_by_text("SANDBOX").first.wait_for(timeout=30_000)
    context.close()
    return console_app


@pytest.fixture(scope="module")
def pay_link(console_app):
    """A pay link made by billing in this process, on the running console's ledger and sandbox."""
    settings = load_settings(env=console_app.env)
    with Ledger(console_app.ledger_path) as ledger:
        made = Billing(settings, ledger).pay_links.create(
            LOCAL_ADMIN,
            PayLinkDraft(
                amount="12.50",
                currency="BYN",
                description="Coffee beans, 1 kg",
                customer_email="e2e.buyer@example.com",
            ),
        )
    assert made.status.value == "pending", made.message
    return made


def test_monitor_shows_the_payment_without_a_reload(warm_console, page, pay_link):
    page.goto(f"{warm_console.url}/monitor")
    pending = page.get_by_test_id("stMetric").filter(has_text="pending bills")
    pending.get_by_text("1", exact=True).wait_for()
    page.evaluate("window.__notReloaded = true")

    paid = httpx.post(
        f"{warm_console.sandbox_url}/__sandbox/checkouts/{pay_link.bill.token}/pay",
        json={"card": APPROVED_CARD},
        timeout=10,
    )
    assert paid.status_code == 200, paid.text

    finished = page.get_by_test_id("stTable").locator("tr", has_text=pay_link.ref)
    finished.filter(has_text="paid").wait_for(timeout=WAIT_MS)
    assert "pending → 🟢 paid" in finished.inner_text()
    page.get_by_text("Nothing open: every item has reached a final status.").wait_for()
    assert page.evaluate("window.__notReloaded === true")  # the fragment did it, not a reload


@pytest.mark.parametrize("query", ["E2E.Buyer@Example.com", "pay link"], ids=["email", "link"])
def test_lookup_finds_it_paid_with_its_timeline(warm_console, page, pay_link, query):
    if query == "pay link":
        query = pay_link.pay_url
    page.goto(f"{warm_console.url}/lookup")
    box = page.get_by_label("Bill or subscription, provider id, tracking id, token, pay link")
    box.fill(query)
    box.press("Enter")
    heading = f"{pay_link.ref} · card pay link · 12.50 BYN"
    page.get_by_role("heading", name=heading).wait_for(timeout=WAIT_MS)
    page.get_by_text("Paid 12.50 BYN on").wait_for(timeout=WAIT_MS)
    timeline = page.get_by_test_id("stTable").filter(has_text="change")
    timeline.get_by_text("pending → paid").wait_for()
    page.wait_for_url(f"**/lookup?q={quote(query, safe='')}*")


def test_a_deep_link_opens_lookup_with_the_search_run(warm_console, page, pay_link):
    page.goto(f"{warm_console.url}/lookup?q={pay_link.ref}")
    page.get_by_role("heading", name=f"{pay_link.ref} · card pay link").wait_for()
    expect(page.get_by_label("Bill or subscription, provider id")).to_have_value(pay_link.ref)
