"""Steps the Sell journeys share, written as a person would do them in the browser.

Every wait is on the app's state (a locator with a timeout); nothing sleeps for a
fixed time, and the ledger file is only read to check what a page already showed.
Streamlit reruns after each interaction, so steps wait for the element that the
rerun produces rather than for the click itself.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from console.ledger import Bill, Ledger, Subscription

APPROVED_CARD = "4200000000000000"
DECLINED_CARD = "4005550000000019"
#: Monitor refreshes every 5 s and then asks the providers: room for both on a busy machine.
WAIT_MS = 30_000


def open_console_page(page: Page, console: Any, title: str) -> None:
    """Open a page from the sidebar, as a person does.

    Through the menu rather than its address: the first page of the menu is served at
    the root, so its own address answers "page not found" before falling back to it.
    """
    if not page.url.startswith(console.url):
        page.goto(console.url)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=WAIT_MS)


def field(scope: Page | Locator, label: str) -> Locator:
    """The box labelled ``label`` (Streamlit sets the label as its accessible name)."""
    return scope.get_by_label(label, exact=True)


def submit(page: Page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()


def created_ref(page: Page, kind_title: str) -> str:
    """Wait for the result heading ``B12: Card pay link`` and return ``B12``."""
    heading = page.get_by_role("heading", name=re.compile(rf"^[BS]\d+: {re.escape(kind_title)}"))
    heading.wait_for(timeout=WAIT_MS)
    return heading.inner_text().split(":", 1)[0].strip()


def shown_code(page: Page, containing: str) -> str:
    """The text of the first code block that contains ``containing``."""
    block = page.get_by_test_id("stCode").filter(has_text=containing).first
    block.wait_for(timeout=WAIT_MS)
    return block.inner_text().strip()


def fill_card(page: Page, number: str) -> None:
    """The sandbox's hosted bePaid card page."""
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Cardholder name").fill("Jane Payer")
    page.get_by_label("Expiry date").fill("12/39")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def sandbox_admin(console: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(f"{console.sandbox_url}/__sandbox/{path}", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def bill(console: Any, ref: str) -> Bill:
    with Ledger(console.ledger_path) as ledger:
        found = ledger.get_bill(int(ref.removeprefix("B")))
    assert found is not None, ref
    return found


def subscription(console: Any, ref: str) -> Subscription:
    with Ledger(console.ledger_path) as ledger:
        found = ledger.get_subscription(int(ref.removeprefix("S")))
    assert found is not None, ref
    return found


def form_of(page: Page, submit_label: str) -> Locator:
    """The form whose submit button says ``submit_label`` (pages can show two similar forms)."""
    button = page.get_by_role("button", name=submit_label, exact=True)
    return page.get_by_test_id("stForm").filter(has=button)


def choose(
    page: Page, label: str, option: str | re.Pattern[str], scope: Page | Locator | None = None
) -> None:
    """Pick ``option`` (its whole text, or a pattern) in the select box labelled ``label``."""
    wanted = page.get_by_role("option", name=option, exact=isinstance(option, str))
    open_select(page, select_box(page, label, scope), wanted)
    wanted.click()


def select_box(page: Page, label: str, scope: Page | Locator | None = None) -> Locator:
    """The select box labelled ``label`` (inside ``scope`` when given)."""
    name = page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)
    return (scope or page).get_by_test_id("stSelectbox").filter(has=name)


def open_select(page: Page, box: Locator, shown: Locator, typed: str = "") -> None:
    """Open the select ``box`` (typing ``typed`` to narrow it) until ``shown`` appears in
    its list. A click that lands while the page is still being drawn can miss, or be
    undone by the redraw that follows, so a list that did not open is opened again
    (three turns; each waits on the page, never on a timer)."""
    for _ in range(3):
        box.click()
        if typed:
            page.keyboard.type(typed)
        try:
            shown.first.wait_for(timeout=WAIT_MS // 3)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"the select box never showed {shown}")


def subscription_option(ref: str) -> re.Pattern[str]:
    """The Subscriptions page's detail box names a subscription ``S12 · plan · e-mail``."""
    return re.compile(rf"^{re.escape(ref)} · ")


def choose_kind(page: Page, kind_title: str, submit_label: str) -> None:
    """Switch the New payment page's kind and wait for that kind's form (its submit button):
    the fields of every kind share labels, so typing before the rerun lands would fill
    the form that is about to disappear."""
    page.get_by_role("radiogroup", name="Kind").get_by_role("radio", name=kind_title).click()
    page.get_by_role("button", name=submit_label, exact=True).wait_for(timeout=WAIT_MS)


def look_up(page: Page, console: Any, query: str) -> None:
    """Search on the Lookup page and wait for the record's heading."""
    open_console_page(page, console, "Lookup")
    box = page.get_by_label("Bill or subscription, provider id, tracking id, token, pay link")
    box.fill(query)
    box.press("Enter")
    page.get_by_role("heading", name=re.compile(rf"^{re.escape(query)} ")).wait_for(timeout=WAIT_MS)


def monitor_counts_pending(page: Page, what: str = "pending bills") -> None:
    """On the Monitor page: the open items are counted (the open list itself is a canvas)."""
    page.get_by_test_id("stMetric").filter(has_text=what).first.wait_for(timeout=WAIT_MS)


def monitor_shows_finished(page: Page, ref: str, status_words: str) -> None:
    """On the Monitor page (already open): the ref's row under "Recently finished"."""
    row = page.get_by_test_id("stTable").locator("tr", has_text=ref)
    expect(row.filter(has_text=status_words)).to_have_count(1, timeout=WAIT_MS)


def mark_no_reload(page: Page) -> None:
    page.evaluate("window.__notReloaded = true")


def was_not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.__notReloaded === true"))
