"""Journey: a subscription with a one-day trial made on Subscriptions; the payer pays the trial
on bePaid's page; the sandbox's clock moves past the trial and the renewal charge appears
in the subscription's detail; then it is canceled with a reason."""

from __future__ import annotations

import re

from tests.e2e.journeys import (
    APPROVED_CARD,
    WAIT_MS,
    choose,
    field,
    fill_card,
    form_of,
    open_console_page,
    sandbox_admin,
    shown_code,
    submit,
    subscription,
    subscription_option,
)


def test_trial_paid_renewal_charged_then_canceled_with_a_reason(console_app, page):
    open_console_page(page, console_app, "Subscriptions")
    page.get_by_role("tab", name="New subscription").click()
    page.get_by_role("radiogroup", name="Plan").get_by_text("A new plan").click()
    form = form_of(page, "Create subscription")
    field(form, "Plan title").wait_for(timeout=WAIT_MS)
    field(form, "Plan title").fill("Journey box, daily")
    field(form, "Amount per period").fill("9.90")
    choose(page, "Unit", "day", form)
    field(form, "Trial amount").fill("1.00")
    field(form, "Trial length").fill("1")
    choose(page, "Trial unit", "day", form)
    field(form, "Customer e-mail (optional)").fill("subscriber@example.com")
    submit(page, "Create subscription")
    link = shown_code(page, "checkout?token=")
    ref = page.get_by_text(re.compile(r"^S\d+ · Journey box")).inner_text().split(" ")[0]
    assert subscription(console_app, ref).trial_interval == 1

    payer = page.context.new_page()
    payer.goto(link)
    fill_card(payer, APPROVED_CARD)
    payer.get_by_text("This subscription is already paid.").wait_for()
    payer.close()

    page.get_by_role("tab", name="Subscriptions").click()
    choose(page, "Details of", subscription_option(ref))
    check_status = page.get_by_role("button", name="Check status")
    check_status.click()
    page.get_by_text(re.compile(r"status trial")).first.wait_for(timeout=WAIT_MS)
    charges = page.get_by_test_id("stTable").first
    charges.get_by_text("1.00 BYN").wait_for()

    sandbox_admin(console_app, "clock/advance", {"days": 1, "minutes": 5})
    check_status.click()
    charges.get_by_text("9.90 BYN").wait_for(timeout=WAIT_MS)  # the renewal charge
    page.get_by_text(re.compile(r"status active")).first.wait_for()
    assert subscription(console_app, ref).paid_cycles >= 1

    field(page, "Reason (required; kept with the subscription)").fill("Moving abroad")
    page.get_by_text("I understand: bePaid stops charging this customer for good.").click()
    submit(page, "Cancel subscription")
    page.get_by_text(f"Subscription {ref} canceled.").wait_for(timeout=WAIT_MS)
    canceled = subscription(console_app, ref)
    assert (canceled.status.value, canceled.cancel_reason) == ("canceled", "Moving abroad")
