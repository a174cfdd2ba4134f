"""Journey: support is asked about a customer. From Lookup of a paid bill they click the
customer's e-mail: the Customer page (a new tab) lists that bill and what the customer paid.
On Subscriptions they search by the same e-mail and open the match in detail."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from console.auth import LOCAL_ADMIN
from console.billing import Billing, PayLinkDraft, PlanDraft, SubscriptionDraft
from console.config import load_settings
from console.ledger import Ledger
from tests.e2e.journeys import (
    APPROVED_CARD,
    WAIT_MS,
    choose,
    field,
    look_up,
    open_console_page,
    sandbox_admin,
    subscription_option,
)

EMAIL = "Journey.Customer@Example.com"  # as the payer typed it; stored lower-cased


@pytest.fixture(scope="module")
def customer(console_app):
    """A pay link and a subscription of one customer, made by billing in this process on the
    running console's ledger and sandbox; the pay link is paid at the sandbox."""
    settings = load_settings(env=console_app.env)
    with Ledger(console_app.ledger_path) as ledger:
        billing = Billing(settings, ledger)
        link = billing.pay_links.create(
            LOCAL_ADMIN,
            PayLinkDraft(
                amount="12.50", currency="BYN", description="Tea, 500 g", customer_email=EMAIL
            ),
        )
        plan = billing.plans.create(LOCAL_ADMIN, PlanDraft("Tea club", "4.90", "BYN", 1, "month"))
        sub = billing.subscriptions.create(
            LOCAL_ADMIN, SubscriptionDraft(plan=plan.plan.id, customer_email=EMAIL)
        ).subscription
    sandbox_admin(console_app, f"checkouts/{link.bill.token}/pay", {"card": APPROVED_CARD})
    return link, sub


def test_from_lookup_to_everything_of_the_customer_then_their_subscription(
    console_app, page, customer
):
    link, sub = customer
    look_up(page, console_app, link.ref)
    page.get_by_text("Paid 12.50 BYN on").wait_for(timeout=WAIT_MS)  # the notification came

    email = EMAIL.lower()
    with page.context.expect_page() as opened:  # Markdown links open a new tab
        page.get_by_role("link", name=email, exact=True).click()
    tab = opened.value
    tab.set_default_timeout(WAIT_MS)
    tab.wait_for_url(f"**/customer?email={quote(email, safe='')}")
    tab.get_by_role("heading", name="Customer", exact=True).wait_for()
    tab.get_by_role("heading", name=email, exact=True).wait_for()
    totals = tab.get_by_test_id("stTable").filter(has_text="net").first
    byn = totals.locator("tr", has_text="BYN")
    expect(byn).to_contain_text("12.50 BYN")  # paid and net: nothing refunded
    expect(byn).to_contain_text("0.00 BYN")
    bills = tab.get_by_test_id("stTable").filter(has_text="description")
    bill_link = bills.get_by_role("link", name=link.ref, exact=True)
    expect(bill_link).to_have_attribute("href", re.compile(rf"lookup\?q={link.ref}$"))
    expect(bills.locator("tr", has_text=link.ref)).to_contain_text("paid")
    tab.close()

    open_console_page(page, console_app, "Subscriptions")
    box = field(page, "Customer e-mail")
    box.fill(EMAIL)
    box.press("Enter")
    page.get_by_text("1 subscription matches.").wait_for(timeout=WAIT_MS)
    choose(page, "Details of", subscription_option(sub.ref))
    page.get_by_role("heading", name=f"{sub.ref}: Tea club").wait_for(timeout=WAIT_MS)
    page.wait_for_url(f"**/subscriptions?id={sub.ref}")
    back = page.get_by_role("link", name=email, exact=True)  # and back to the customer
    expect(back).to_have_attribute("href", f"customer?email={quote(email, safe='')}")
