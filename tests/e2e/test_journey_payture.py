"""Journey: a Payture gift bill made on New payment (guest, gift recipient and message); the
payer pays on the Payture page; Monitor shows it paid; when the sandbox's clock has moved
on, Payture's DONE notice reaches the receiver (which confirms it with billStatus) and
Lookup shows the bill DONE with its gift code; "Check with provider now" agrees."""

from __future__ import annotations

import time

from console.ledger import Ledger
from provider_sandbox.payture.bills import DONE_AFTER_SECONDS
from tests.e2e.journeys import (
    WAIT_MS,
    bill,
    choose,
    choose_kind,
    created_ref,
    field,
    look_up,
    monitor_shows_finished,
    open_console_page,
    sandbox_admin,
    shown_code,
    submit,
)

GIFT = "Gift: Premium, 3 months — 2 499.00 RUB · gift"


def test_a_gift_bill_is_paid_then_done_with_its_gift_code(console_app, page):
    open_console_page(page, console_app, "New payment")
    choose_kind(page, "Payture bill", "Create Payture bill")
    choose(page, "Product", GIFT)
    field(page, "User id (guest bill)").fill("guest-42")
    page.get_by_text("Extended data: page, gift, campaign").click()
    field(page, "Gift recipient").fill("Olga")
    field(page, "Gift message").fill("Happy birthday! <3")
    submit(page, "Create Payture bill")
    ref = created_ref(page, "Payture bill")
    link = shown_code(page, "/apim/Pay?SessionId=")
    created = bill(console_app, ref)
    assert created.extra["extended"] == {
        "giftRecipient": "Olga",
        "giftMessage": "Happy birthday! <3",
    }

    payer = page.context.new_page()
    payer.goto(link)
    payer.get_by_role("button", name="Pay 2 499.00 RUB").click()
    payer.get_by_role("heading", name="Payment received").wait_for()
    payer.close()

    open_console_page(page, console_app, "Monitor")
    monitor_shows_finished(page, ref, "paid")  # by notification or Monitor's poll
    code = bill(console_app, ref).extra["gift_code"]

    sandbox_admin(console_app, "clock/advance", {"seconds": DONE_AFTER_SECONDS + 1})
    done = wait_until(lambda: bill_notices(console_app, ref, "DONE"), "the DONE notice")
    assert [n.verdict for n in done] == ["applied"]  # the receiver asked billStatus: DONE
    look_up(page, console_app, ref)
    facts = page.get_by_test_id("stTable").filter(has_text="Gift code")
    facts.get_by_text(code).wait_for()
    facts.get_by_text("(provider: DONE)").wait_for()
    page.get_by_role("button", name="Check with provider now").click()
    page.get_by_text(f"{ref} is unchanged (paid).").wait_for(timeout=WAIT_MS)
    assert bill(console_app, ref).native_status == "DONE"


def bill_notices(console, ref: str, status: str) -> list:
    """The Payture notifications recorded for bill ``ref`` that reported ``status``."""
    with Ledger(console.ledger_path) as ledger:
        found = ledger.notifications_of("bill", int(ref.removeprefix("B")))
    return [n for n in found if n.provider == "payture" and n.status_reported == status]


def wait_until(probe, what: str, timeout: float = WAIT_MS / 1000):
    deadline = time.monotonic() + timeout
    while not (found := probe()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found
