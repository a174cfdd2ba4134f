"""Journey: a merchant makes a card pay link on New payment; the payer pays it on the sandbox's
hosted page; Monitor shows it paid without a reload and Revenue counts it. A declined
card ends as failed and adds no revenue."""

from __future__ import annotations

from tests.e2e.journeys import (
    APPROVED_CARD,
    DECLINED_CARD,
    WAIT_MS,
    bill,
    created_ref,
    field,
    fill_card,
    mark_no_reload,
    monitor_counts_pending,
    monitor_shows_finished,
    open_console_page,
    shown_code,
    submit,
    was_not_reloaded,
)


def make_pay_link(page, console_app, amount: str, description: str) -> tuple[str, str]:
    open_console_page(page, console_app, "New payment")
    field(page, "Amount").fill(amount)
    field(page, "Description").fill(description)
    field(page, "Customer e-mail (optional)").fill("journey@example.com")
    submit(page, "Create pay link")
    ref = created_ref(page, "Card pay link")
    link = shown_code(page, "checkout?token=")
    page.get_by_role("img", name="Scan to pay").or_(page.get_by_test_id("stImage")).first.wait_for()
    return ref, link


def test_a_pay_link_paid_by_card_shows_up_on_monitor_and_in_revenue(console_app, page):
    ref, link = make_pay_link(page, console_app, "12.50", "Coffee beans, 1 kg")
    assert bill(console_app, ref).pay_url == link

    open_console_page(page, console_app, "Monitor")
    monitor_counts_pending(page)
    mark_no_reload(page)

    payer = page.context.new_page()
    payer.goto(link)
    payer.get_by_role("heading", name="12.50 BYN").wait_for()
    fill_card(payer, APPROVED_CARD)
    payer.get_by_text("This order has been paid.").wait_for()
    payer.close()

    monitor_shows_finished(page, ref, "paid")
    assert was_not_reloaded(page)  # the Monitor fragment brought it in
    assert bill(console_app, ref).status.value == "paid"

    open_console_page(page, console_app, "Revenue")
    page.get_by_text("BYN total").wait_for(timeout=WAIT_MS)
    assert "12.50 BYN" in page.get_by_text("BYN total").inner_text()


def test_a_declined_card_ends_as_failed(console_app, page):
    ref, link = make_pay_link(page, console_app, "7.00", "Declined order")
    open_console_page(page, console_app, "Monitor")
    monitor_counts_pending(page)

    payer = page.context.new_page()
    payer.goto(link)
    fill_card(payer, DECLINED_CARD)
    payer.get_by_text("The payment was declined.").wait_for()
    payer.close()

    monitor_shows_finished(page, ref, "failed")
    assert bill(console_app, ref).status.value == "failed"
    open_console_page(page, console_app, "Revenue")
    page.get_by_text("BYN total").wait_for(timeout=WAIT_MS)
    assert "12.50 BYN" in page.get_by_text("BYN total").inner_text()  # unchanged
