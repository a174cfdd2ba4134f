"""Nothing one person types renders as markup for another, through the real
``merchant-console run`` in chromium.

Every free-text field of every kind of object — descriptions, payer names, Payture gift
and campaign data, a plan title, a cancel reason, and what a provider reported (a
status word, a decline detail) — holds a Markdown image and a Markdown link that point
at a *beacon*: a small HTTP server on a free loopback port that records every request
it gets. Then every page is opened. Were any of it rendered as Markdown, the browser
would fetch the image (sending the console's address as the Referer) or draw a link
to the beacon. Each test checks three ways that it did not — no element on the page
refers to the beacon, chromium sent it no request, the beacon received none — and that
the typed text is on the page, literally, as a person reads it (so nothing passes by
hiding the text). Only Activity's tables are not read back: ``st.dataframe`` draws on a
canvas, and its cells are never Markdown.

Lookup also refuses a typed card number before it reaches the address bar.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.auth import LOCAL_ADMIN
from console.billing import (
    APM_METHODS,
    ApmPaymentDraft,
    Billing,
    PayLinkDraft,
    PaytureBillDraft,
    PlanDraft,
    SubscriptionDraft,
)
from console.config import load_settings
from console.ledger import Ledger
from console.providers import BillExtras
from console.status import BillStatus
from tests.e2e.journeys import (
    WAIT_MS,
    choose,
    choose_kind,
    created_ref,
    field,
    form_of,
    look_up,
    open_console_page,
    submit,
    subscription_option,
)
from tests.support.servers import free_port, serve

#: Reads the page as a person does: the visible text, word joiners (invisible) removed.
SHOWN_TEXT = "() => document.body.innerText.replaceAll('\\u2060', '')"


class Beacon:
    """Where the typed images and links point. It records every request it receives;
    ``asked`` is every request the test's browser page sent it (see ``watched``)."""

    def __init__(self, host: str) -> None:
        self.host = host  # 127.0.0.1:PORT
        self.asked: list[str] = []
        self._hits: list[str] = []
        self._lock = threading.Lock()

    def record(self, line: str) -> None:
        with self._lock:
            self._hits.append(line)

    @property
    def image(self) -> str:
        return f"![x](http://{self.host}/b)"

    @property
    def link(self) -> str:
        return f"[x](http://{self.host}/l)"

    @property
    def both(self) -> str:
        return f"{self.image} {self.link}"

    def received(self) -> list[str]:
        with self._lock:
            return list(self._hits)


@pytest.fixture(scope="module")
def beacon():
    """A tiny HTTP server on a free loopback port that records every request it gets."""
    port = free_port()
    found = Beacon(f"127.0.0.1:{port}")

    async def record(request: Request) -> Response:
        found.record(f"{request.method} {request.url.path} from {request.headers.get('referer')}")
        return Response(status_code=204)

    app = Starlette(routes=[Route("/{path:path}", record, methods=["GET", "POST", "HEAD"])])
    with serve(app, port):
        yield found


@dataclass
class Marked:
    """The objects made with the beacon's text in every free-text field."""

    card: str
    apm: str
    payture: str
    declined: str  # a card link the provider declined, its words carrying the text
    subscription: str  # canceled with the text as its reason


@pytest.fixture(scope="module")
def marked(console_app, beacon) -> Marked:
    """Objects made through billing over the running console's sandbox and ledger, as the
    console's own forms make them, each free-text field holding the beacon's text."""
    settings = load_settings(env=console_app.env)
    text, image, link = beacon.both, beacon.image, beacon.link
    with Ledger(console_app.ledger_path) as ledger:
        billing = Billing(settings, ledger)
        card = billing.pay_links.create(
            LOCAL_ADMIN,
            PayLinkDraft(
                amount="12.50",
                currency="BYN",
                description=text,
                customer_email="marked.payer@example.com",
            ),
        )
        apm = billing.apm_payments.create(
            LOCAL_ADMIN,
            ApmPaymentDraft(
                amount="7.00",
                currency="BYN",
                description=text,
                method_type=APM_METHODS[0],
                customer_email="marked.payer@example.com",
                customer={
                    "first_name": image,
                    "last_name": link,
                    "city": image,
                    "zip": link,
                    "address": text,
                },
            ),
        )
        product = billing.payture_bills.products(LOCAL_ADMIN)[0]
        payture = billing.payture_bills.create(
            LOCAL_ADMIN,
            PaytureBillDraft(
                product_id=product.id,
                user_id=link,
                description=text,
                customer_email="marked.payer@example.com",
                extended=BillExtras(
                    page_id=image,
                    gift_recipient=link,
                    gift_message=text,
                    campaign=image,
                    utm_source=link,
                    utm_medium=image,
                    utm_campaign=text,
                ),
            ),
        )
        declined = billing.pay_links.create(
            LOCAL_ADMIN,
            PayLinkDraft(
                amount="3.00",
                currency="BYN",
                description=text,
                customer_email="marked.payer@example.com",
            ),
        )
        # What a provider might say about it: a status word and a decline message.
        ledger.record_bill_status(
            declined.bill.id, BillStatus.FAILED, image, "webhook", detail=f"Declined: {text}"
        )
        plan = billing.plans.create(
            LOCAL_ADMIN,
            PlanDraft(title=text, amount="9.90", currency="BYN", interval=1, interval_unit="month"),
        )
        subscribed = billing.subscriptions.create(
            LOCAL_ADMIN,
            SubscriptionDraft(
                plan=plan.plan.id,
                customer_email="marked.payer@example.com",
                first_name=image,
                last_name=link,
            ),
        )
        billing.subscriptions.cancel(LOCAL_ADMIN, subscribed.ref, reason=text)
        ledger.record_notification(
            provider="bepaid", verdict="rejected", detail=f"Provider said: {text}"
        )
    for made in (card, apm, payture, declined, subscribed):
        assert made.status.value in ("pending", "failed"), made.message
    return Marked(card.ref, apm.ref, payture.ref, declined.ref, subscribed.ref)


@pytest.fixture
def watched(page: Page, beacon: Beacon) -> Page:
    """The test's page, with every request chromium sends to the beacon recorded."""
    beacon.asked.clear()

    def note(request: Any) -> None:
        if beacon.host in request.url:
            beacon.asked.append(request.url)

    page.on("request", note)
    return page


def shows(page: Page, *texts: str) -> None:
    """Wait until the page shows every one of ``texts`` as a person reads it."""
    script = (
        f"texts => {{ const seen = ({SHOWN_TEXT})(); return texts.every(t => seen.includes(t)); }}"
    )
    page.wait_for_function(script, arg=list(texts), timeout=WAIT_MS)


def nothing_loaded(page: Page, beacon: Beacon) -> None:
    """No element refers to the beacon, chromium asked it for nothing, it received nothing.

    Called once the page shows the typed text: an image or a link made from it would be
    in the page by then, so the first check cannot miss one that is still loading.
    """
    refers = page.locator(
        f"img[src*='{beacon.host}'], a[href*='{beacon.host}'], source[srcset*='{beacon.host}']"
    )
    assert refers.count() == 0
    assert beacon.asked == []
    assert beacon.received() == []


def test_new_payment_results_show_typed_text_as_text(console_app, watched, beacon, marked):
    page = watched
    open_console_page(page, console_app, "New payment")
    field(page, "Amount").fill("4.20")
    field(page, "Description").fill(beacon.both)
    submit(page, "Create pay link")
    created_ref(page, "Card pay link")
    shows(page, beacon.image, beacon.link)
    nothing_loaded(page, beacon)

    page.get_by_role("button", name="Create another").click()
    choose_kind(page, "Alternative payment", "Create payment")
    field(page, "Amount").fill("5.00")
    field(page, "Description").fill(beacon.both)
    page.get_by_text("Payer details (optional; some payment methods require them)").click()
    field(page, "First name").fill(beacon.image)
    field(page, "Last name").fill(beacon.link)
    submit(page, "Create payment")
    created_ref(page, "Alternative payment")
    shows(page, beacon.both)
    nothing_loaded(page, beacon)


def test_pay_links_show_typed_text_as_text(console_app, watched, beacon, marked):
    page = watched
    open_console_page(page, console_app, "Pay links & forms")
    for ref in (marked.card, marked.apm, marked.payture):
        page.get_by_text(re.compile(rf"^{ref} · ")).first.wait_for(timeout=WAIT_MS)
    shows(page, beacon.both)
    nothing_loaded(page, beacon)


def test_subscriptions_show_typed_text_as_text(console_app, watched, beacon, marked):
    page = watched
    open_console_page(page, console_app, "Subscriptions")
    choose(page, "Details of", subscription_option(marked.subscription))
    page.get_by_role("heading", name=re.compile(rf"^{marked.subscription}: ")).wait_for()
    shows(page, f"{marked.subscription}: {beacon.both}", f"canceled: {beacon.both}")
    nothing_loaded(page, beacon)

    page.get_by_role("tab", name="New subscription").click()
    page.get_by_role("radiogroup", name="Plan").get_by_text("A new plan").click()
    form = form_of(page, "Create subscription")
    field(form, "Plan title").wait_for(timeout=WAIT_MS)
    field(form, "Plan title").fill(beacon.both)
    field(form, "Amount per period").fill("2.50")
    submit(page, "Create subscription")
    page.get_by_text(re.compile(r"^S\d+ · ")).wait_for(timeout=WAIT_MS)
    shows(page, f" · {beacon.both} · status ")
    nothing_loaded(page, beacon)


def test_monitor_and_revenue_show_typed_text_as_text(console_app, watched, beacon, marked):
    page = watched
    open_console_page(page, console_app, "Monitor")
    finished = page.get_by_test_id("stTable").locator("tr", has_text=marked.declined)
    finished.wait_for(timeout=WAIT_MS)
    shows(page, beacon.image)  # the provider's status word, in "Recently finished"
    nothing_loaded(page, beacon)

    open_console_page(page, console_app, "Revenue")
    page.get_by_role("heading", name="Subscriptions").wait_for(timeout=WAIT_MS)
    nothing_loaded(page, beacon)


@pytest.mark.parametrize("which", ["card", "apm", "payture", "declined", "subscription"])
def test_lookup_shows_typed_text_as_text(console_app, watched, beacon, marked, which):
    page = watched
    ref = getattr(marked, which)
    look_up(page, console_app, ref)
    expected = {
        "card": [beacon.both],
        "apm": [beacon.both, " · ".join([beacon.both] * 3)],  # the payer: name · place · address
        "payture": [beacon.both],
        "declined": [f"provider status: {beacon.image}; Declined: {beacon.both}"],
        "subscription": [f": {beacon.both} (", f"{beacon.both}, every month"],
    }[which]
    shows(page, *expected)
    nothing_loaded(page, beacon)


def test_lookup_of_a_shared_email_lists_every_match_as_text(console_app, watched, beacon, marked):
    page = watched
    open_console_page(page, console_app, "Lookup")
    box = page.get_by_label("Bill or subscription, provider id, tracking id, token, pay link")
    box.fill("marked.payer@example.com")
    box.press("Enter")
    page.get_by_text(re.compile(r"^\d+ matches")).wait_for(timeout=WAIT_MS)
    shows(page, beacon.both)
    nothing_loaded(page, beacon)


def test_activity_loads_nothing_from_typed_text(console_app, watched, beacon, marked):
    page = watched
    open_console_page(page, console_app, "Activity")
    page.get_by_role("heading", name="Configuration in use").wait_for(timeout=WAIT_MS)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(4, timeout=WAIT_MS)
    nothing_loaded(page, beacon)


# -- a card number typed into Lookup never reaches the address ---------------------------

CARD = "4200 0000 0000 0000"
RECORD_ADDRESSES = """
window.__addresses = [];
for (const name of ["pushState", "replaceState"]) {
  const original = history[name].bind(history);
  history[name] = (state, title, url) => {
    window.__addresses.push(String(url ?? location.href));
    return original(state, title, url);
  };
}
"""


def test_a_card_number_typed_into_lookup_never_reaches_the_address(console_app, page):
    page.add_init_script(RECORD_ADDRESSES)
    open_console_page(page, console_app, "Lookup")
    box = page.get_by_label("Bill or subscription, provider id, tracking id, token, pay link")
    box.fill("B1")
    box.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=B1"))  # an ordinary search goes into the address

    box.fill(CARD)
    box.press("Enter")
    page.get_by_text("card numbers are never looked up or stored here").wait_for()
    expect(box).to_have_value("")
    page.wait_for_url(lambda url: "q=" not in url)
    digits = CARD.replace(" ", "")
    addresses: list[Any] = page.evaluate("window.__addresses")
    assert addresses and not any(
        digits in re.sub(r"%20|\+| ", "", address) for address in addresses
    )
    assert digits not in page.evaluate("document.body.innerText").replace(" ", "")
