"""Journey: an alternative payment (ERIP) made on New payment; its pay form is previewed on
the page, the payer submits it — the payment system's page opens in a new tab, the
console stays in its own — pays there, and Monitor shows it paid."""

from __future__ import annotations

from tests.e2e.journeys import (
    WAIT_MS,
    bill,
    choose_kind,
    created_ref,
    field,
    monitor_shows_finished,
    open_console_page,
    shown_code,
    submit,
)


def test_an_apm_form_is_submitted_paid_on_the_external_page_and_recorded(console_app, page):
    open_console_page(page, console_app, "New payment")
    choose_kind(page, "Alternative payment", "Create payment")
    field(page, "Amount").fill("35.00")
    field(page, "Description").fill('Order 18 "gift box" <deluxe>')
    field(page, "Customer e-mail (optional)").fill("erip.payer@example.com")
    submit(page, "Create payment")
    ref = created_ref(page, "Alternative payment")

    created = bill(console_app, ref)
    action = created.form["action"]
    assert action.startswith(f"{console_app.sandbox_url}/external/apm/")
    source = shown_code(page, "<form")
    assert source.startswith(f'<form action="{action}" method="post"')
    page.get_by_role("button", name="Download the form (.html)").wait_for()

    preview = page.get_by_test_id("stHtml").filter(has=page.locator("form"))
    with page.context.expect_page() as opened:  # the merchant's form, live, in a new tab
        preview.get_by_role("button", name="Pay", exact=True).click()
    payer = opened.value
    payer.wait_for_url(f"{action}*")
    assert payer.evaluate("document.referrer") == ""  # the console's address is not told
    payer.get_by_text("35.00 BYN").first.wait_for()
    payer.get_by_role("button", name="Pay", exact=True).click()  # on the payment system's page
    payer.wait_for_url(lambda url: "/external/apm/" not in url, timeout=WAIT_MS)
    payer.close()
    # The console's own tab never left: the result is still on it.
    assert page.url.startswith(console_app.url)
    page.get_by_role("heading", name=f"{ref}: Alternative payment").wait_for()

    open_console_page(page, console_app, "Monitor")
    monitor_shows_finished(page, ref, "paid")
    assert bill(console_app, ref).status.value == "paid"
