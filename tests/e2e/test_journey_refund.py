"""Journey: a payer pays a 20.00 BYN pay link; support-minded operator refunds part of it from
Lookup (a double-click on the confirmation), then the rest (Enter pressed three times in
the form); the bill goes paid → partially refunded → refunded, the timeline names each
refund, Monitor lists them and Revenue nets them out — one refund per confirmation at the
provider."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.e2e.journeys import (
    APPROVED_CARD,
    WAIT_MS,
    bill,
    created_ref,
    field,
    fill_card,
    form_of,
    look_up,
    open_console_page,
    shown_code,
    submit,
)


def refunds_at_provider(console, ref: str) -> list[int]:
    from console.ledger import Ledger

    with Ledger(console.ledger_path) as ledger:
        charge = ledger.payments_of("bill", int(ref[1:]))[0]
    answer = httpx.get(
        f"{console.sandbox_url}/__sandbox/transactions/{charge.provider_txn_id}/refunds",
        timeout=10,
    )
    return [refund["amount"] for refund in answer.json()["refunds"]]


def test_refund_part_then_the_rest(console_app, page):
    open_console_page(page, console_app, "New payment")
    field(page, "Amount").fill("20.00")
    field(page, "Description").fill("Two bags of coffee")
    submit(page, "Create pay link")
    ref = created_ref(page, "Card pay link")
    link = shown_code(page, "checkout?token=")

    payer = page.context.new_page()
    payer.goto(link)
    fill_card(payer, APPROVED_CARD)
    payer.get_by_text("This order has been paid.").wait_for(timeout=WAIT_MS)
    payer.close()

    open_console_page(page, console_app, "Revenue")
    expect(page.get_by_text("BYN total")).to_contain_text("20.00 BYN", timeout=WAIT_MS)

    look_up(page, console_app, ref)
    amount = field(page, "Amount to give back (BYN)")
    expect(amount).to_have_value("20.00", timeout=WAIT_MS)  # the notification made it paid
    amount.fill("5")
    field(page, "Reason (required; the provider keeps it)").fill("One bag was torn")
    submit(page, "Review refund")
    confirmation = page.get_by_text(re.compile(r"^Give back 5\.00 BYN of P\d+"))
    expect(confirmation).to_contain_text("15.00 BYN will remain", timeout=WAIT_MS)
    page.get_by_role("button", name="Refund 5.00 BYN").dblclick()
    expect(page.get_by_text(re.compile(r"^Refunded 5\.00 BYN of P\d+"))).to_be_visible(
        timeout=WAIT_MS
    )
    assert refunds_at_provider(console_app, ref) == [500]  # a double-click, one refund
    assert bill(console_app, ref).status.value == "partially_refunded"
    timeline = page.get_by_test_id("stTable").filter(has_text="refund of P")
    expect(timeline).to_contain_text("5.00 BYN, 🟢 refunded", timeout=WAIT_MS)
    expect(timeline).to_contain_text("One bag was torn")
    expect(timeline).to_contain_text("paid → partially_refunded")

    expect(amount).to_have_value("15.00", timeout=WAIT_MS)  # a fresh form: what remains
    reason = field(page, "Reason (required; the provider keeps it)")
    reason.fill("Customer cancelled the rest")
    reason.focus()
    for _ in range(3):  # Enter three times, as fast as a finger
        page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"^Give back 15\.00 BYN"))).to_contain_text(
        "0.00 BYN will remain", timeout=WAIT_MS
    )
    page.get_by_role("button", name="Refund 15.00 BYN").click()
    expect(page.get_by_text(re.compile(r"^Refunded 15\.00 BYN"))).to_be_visible(timeout=WAIT_MS)
    assert refunds_at_provider(console_app, ref) == [500, 1500]
    assert bill(console_app, ref).status.value == "refunded"
    expect(page.get_by_text("Nothing of it remains to refund.")).to_be_visible()
    assert form_of(page, "Review refund").count() == 0

    open_console_page(page, console_app, "Monitor")
    page.get_by_role("heading", name="Refunds", exact=True).wait_for(timeout=WAIT_MS)
    finished = page.get_by_test_id("stTable").locator("tr", has_text=ref)
    expect(finished).to_contain_text("refunded", timeout=WAIT_MS)

    open_console_page(page, console_app, "Revenue")
    expect(page.get_by_text("BYN total")).to_contain_text("0.00 BYN", timeout=WAIT_MS)
