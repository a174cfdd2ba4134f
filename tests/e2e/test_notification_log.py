"""Journey: a payer pays a pay link, bePaid's (the sandbox's) signed notification reaches the
receiver; on Activity the admin finds it in the notification log, opens it and reads the
payload with the card masked, then replays it: a new row, a duplicate, nothing paid twice."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from console.ledger import Ledger
from tests.e2e.journeys import (
    APPROVED_CARD,
    WAIT_MS,
    bill,
    created_ref,
    field,
    fill_card,
    open_console_page,
    open_select,
    select_box,
    shown_code,
    submit,
)

OPEN_LABEL = "Open a notification"


def open_box(page: Page):
    return select_box(page, OPEN_LABEL)


def open_the_list(page: Page, typed: str = "") -> None:
    """Open the *Open a notification* box (typing ``typed`` to narrow it) until it shows
    its options."""
    open_select(page, open_box(page), page.get_by_role("option"), typed)


def listed_options(page: Page) -> list[str]:
    """The labels the *Open a notification* box offers (it is opened, read, and closed)."""
    open_the_list(page)
    labels = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return labels


def wait_for_the_notification(page: Page, console, pattern: str) -> str:
    """Open Activity until the log lists a notification matching ``pattern`` (a person
    reloads the page); its label."""
    open_console_page(page, console, "Activity")
    for _ in range(30):  # bounded; each turn waits on the page, never on a timer
        page.get_by_text(OPEN_LABEL, exact=True).wait_for(timeout=WAIT_MS)
        found = [label for label in listed_options(page) if re.match(pattern, label)]
        if found:
            return found[0]
        page.reload()
    raise AssertionError(f"the log never listed {pattern}")


def open_notification(page: Page, label: str) -> None:
    """Pick ``label`` in the *Open a notification* box; its number is typed first, which
    narrows the list to it (a long log draws only the options in view)."""
    open_the_list(page, typed=label.split(" · ", 1)[0] + " · ")
    page.get_by_role("option", name=label, exact=True).click()


def detail_of(page: Page):
    return page.locator(".st-key-activity_detail")


def test_a_notification_is_logged_masked_and_replayed_as_a_duplicate(console_app, page):
    open_console_page(page, console_app, "New payment")
    field(page, "Amount").fill("9.90")
    field(page, "Description").fill("Tea, 250 g")
    submit(page, "Create pay link")
    ref = created_ref(page, "Card pay link")
    link = shown_code(page, "checkout?token=")
    payer = page.context.new_page()
    payer.goto(link)
    fill_card(payer, APPROVED_CARD)
    payer.get_by_text("This order has been paid.").wait_for(timeout=WAIT_MS)
    payer.close()

    applied = rf"^#(\d+) · .* · bepaid · {ref} · applied$"
    label = wait_for_the_notification(page, console_app, applied)
    first = re.match(applied, label).group(1)
    open_notification(page, label)

    detail = detail_of(page)
    expect(detail).to_contain_text(f"Notification #{first}", timeout=WAIT_MS)
    expect(detail).to_contain_text("Verdict: applied")
    expect(detail.get_by_role("link", name=ref)).to_have_attribute("href", re.compile("lookup"))
    payload = detail.get_by_test_id("stJson")
    expect(payload).to_contain_text(
        '"credit_card":{"brand":"visa""last_4":"0000"}', timeout=WAIT_MS
    )
    shown = payload.inner_text()  # the sandbox sent holder, bin, first digit, stamp, token
    assert APPROVED_CARD not in shown and "420000" not in shown and "Jane Payer" not in shown
    assert "token" not in shown and "stamp" not in shown

    page.get_by_role("button", name=f"Replay #{first}").click()
    message = page.get_by_test_id("stAlert").filter(has_text=f"#{first} replayed as #")
    expect(message).to_contain_text(f"duplicate (repeats notification #{first})", timeout=WAIT_MS)
    new = re.search(r"replayed as #(\d+)", message.inner_text()).group(1)
    expect(detail).to_contain_text(f"Notification #{new}", timeout=WAIT_MS)
    expect(detail).to_contain_text("Verdict: duplicate")
    expect(detail).to_contain_text(f"replay of #{first} by local")
    chosen = page.get_by_role("combobox", name=OPEN_LABEL)
    expect(chosen).to_have_value(re.compile(rf"^#{new} · .* · {ref} · duplicate$"))
    paid = bill(console_app, ref)
    assert paid.status.value == "paid"
    with Ledger(console_app.ledger_path) as ledger:
        assert len(ledger.payments_of("bill", paid.id)) == 1  # the replay changed nothing
