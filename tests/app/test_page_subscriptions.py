"""Subscriptions page: plans and subscriptions created at a real sandbox, the ledger's list
with one subscription in detail, and cancelling only with a reason and a confirmation."""

from __future__ import annotations

import pytest

from console.auth import Actor, PermissionDenied, Role
from console.billing import Billing, PlanDraft, SubscriptionDraft
from console.config import load_settings
from console.ledger import Ledger
from console.status import SubscriptionStatus, is_final
from tests.app import sell_support as sell
from tests.app.sell_support import (
    LOCAL_ADMIN,
    error_under,
    fill,
    flat,
    ledger_counts,
    open_page,
)
from tests.support.markdown import as_shown

sandbox = sell.sandbox
demo_ledger = sell.demo_ledger
console_env = sell.console_env

PLAN = {"sub_plan_title": "Pro, monthly", "sub_plan_amount": "29.90"}


def subscriptions(path) -> list:
    with Ledger(path) as ledger:
        return ledger.recent_subscriptions(10)


def table_after(at, text: str):
    """The first dataframe after the element showing ``text`` (a heading or a button)."""
    elements = flat(at)
    start = next(
        i for i, e in enumerate(elements)
        if (e.type == "markdown" and e.value == text) or (e.type == "button" and e.label == text)
    )  # fmt: skip
    return next(e.value for e in elements[start:] if e.type in ("dataframe", "table"))


def plans_at(path) -> int:
    """How many plans the sandbox lists (reading writes nothing to the ledger)."""
    with Ledger(path) as ledger:
        return len(Billing(load_settings(), ledger).plans.list(LOCAL_ADMIN))


def subscribe(path) -> object:
    """A pending subscription at the sandbox, recorded in the ledger (as the page makes it)."""
    with Ledger(path) as ledger:
        billing = Billing(load_settings(), ledger)
        draft = PlanDraft("Basic", "9.90", "BYN", 1, "month")
        plan = billing.plans.create(LOCAL_ADMIN, draft).plan
        return billing.subscriptions.create(
            LOCAL_ADMIN, SubscriptionDraft(plan=plan.id, customer_email="payer@example.com")
        ).subscription


def test_an_empty_ledger_renders_every_tab(console_env, sandbox, tmp_path):
    console_env(tmp_path / "empty.db", sandbox)
    at = open_page("subscriptions")
    assert not at.exception
    assert [tab.label for tab in at.tabs] == ["Subscriptions", "New subscription", "Plans"]
    assert "No subscriptions yet." in [info.value for info in at.info]
    assert at.button(key="sub_plan_submit") and at.button(key="sub_new_submit")


def test_the_demo_ledger_lists_subscriptions_and_shows_one_in_detail(
    console_env, sandbox, demo_ledger
):
    console_env(demo_ledger, sandbox)
    at = open_page("subscriptions")
    assert not at.exception
    table = at.dataframe[0].value  # the first tab's list
    with Ledger(demo_ledger) as ledger:
        newest = ledger.recent_subscriptions(50)
        charged = next(s for s in newest if ledger.payments_of("subscription", s.id))
        charges = ledger.payments_of("subscription", charged.id)
        history = ledger.history("subscription", charged.id)
    assert list(table["ref"]) == [s.ref for s in newest]
    assert {"status", "next renewal (Europe/Minsk)", "paid cycles"} <= set(table.columns)
    at.selectbox(key="sub_detail").set_value(charged.ref).run()
    assert not at.exception
    assert at.subheader[0].value.startswith(f"{charged.ref}:")
    assert len(table_after(at, "**Charges**")) == len(charges)
    assert len(table_after(at, "**History**")) == len(history)
    assert "sub_cancel_submit" not in {b.key for b in at.button}  # demo rows: at no provider
    if not is_final(charged.status):
        assert any("Demo data" in caption.value for caption in at.caption)


def test_creating_a_plan_lists_it(console_env, sandbox, tmp_path):
    path = console_env(tmp_path / "ledger.db", sandbox)
    at = open_page("subscriptions")
    fill(at, {**PLAN, "sub_plan_trial_amount": "1.00", "sub_plan_trial_interval": 7,
              "sub_plan_trial_unit": "day", "sub_plan_cycles": 12})  # fmt: skip
    at.button(key="sub_plan_submit").click().run()
    assert not at.exception
    assert any(
        as_shown(s.value).startswith("Plan pln_") and "created" in s.value for s in at.success
    )
    row = table_after(at, "Reload plans").iloc[0]
    assert (row["title"], row["price"], row["every"], row["trial"], row["cycles"]) == (
        "Pro, monthly", "29.90 BYN", "1 month", "7 day", "12"
    )  # fmt: skip
    assert ledger_counts(path)[:2] == (0, 0)  # plans live at bePaid, not in the ledger


BAD_PLANS = [
    ({**PLAN, "sub_plan_amount": "29.999"}, "sub_plan_amount", "decimal"),
    ({**PLAN, "sub_plan_amount": "abc"}, "sub_plan_amount", "amount"),
    ({**PLAN, "sub_plan_currency": "ABC"}, "sub_plan_currency", "ISO 4217"),
    ({**PLAN, "sub_plan_title": "T" * 300}, "sub_plan_title", "At most 255"),
    ({**PLAN, "sub_plan_title": "Card 4200-0000-0000-0000"}, "sub_plan_title", "card number"),
    ({**PLAN, "sub_plan_trial_amount": "1.00"}, "sub_plan_trial_unit", "hour, day or month"),
    ({**PLAN, "sub_plan_interval": 13}, "sub_plan_interval", "from 1 to 12"),
]


@pytest.mark.parametrize(("values", "key", "words"), BAD_PLANS)
def test_bad_plans_are_explained_under_their_field_and_not_created(
    values, key, words, console_env, sandbox, tmp_path
):
    path = console_env(tmp_path / "ledger.db", sandbox)
    before = plans_at(path)
    at = open_page("subscriptions")
    fill(at, values)
    at.button(key="sub_plan_submit").click().run()
    assert not at.exception
    message = error_under(at, key)
    assert message is not None and words.lower() in message.lower(), message
    assert plans_at(path) == before
    assert ledger_counts(path) == (0, 0, 0)


def test_a_subscription_to_an_inline_plan_with_a_trial_gets_a_pay_link(
    console_env, sandbox, tmp_path
):
    path = console_env(tmp_path / "ledger.db", sandbox)
    at = open_page("subscriptions")
    at.radio(key="sub_new_source").set_value("inline").run()
    fill(at, {"sub_inline_title": "Trial plan", "sub_inline_amount": "5.00",
              "sub_inline_currency": "EUR", "sub_inline_trial_amount": "0.10",
              "sub_inline_trial_interval": 3, "sub_inline_trial_unit": "day",
              "sub_new_email": "Payer@Example.com"})  # fmt: skip
    at.button(key="sub_new_submit").click().run()
    assert not at.exception
    [sub] = subscriptions(path)
    assert (sub.plan_title, sub.amount, sub.currency, sub.trial_interval, sub.trial_unit) == (
        "Trial plan", 500, "EUR", 3, "day"
    )  # fmt: skip
    assert sub.customer_email == "payer@example.com" and sub.pay_url
    assert sub.status == SubscriptionStatus.PENDING and sub.provider_id.startswith("sbs_")
    assert at.main.get_by_key("sub_new_link_png")
    assert sub.pay_url in [code.value for code in at.code]
    assert len(at.image) == 1


def test_a_subscription_to_an_existing_plan(console_env, sandbox, tmp_path):
    path = console_env(tmp_path / "ledger.db", sandbox)
    at = open_page("subscriptions")
    fill(at, {**PLAN, "sub_plan_title": "Weekly box", "sub_plan_unit": "day",
              "sub_plan_interval": 7})  # fmt: skip
    at.button(key="sub_plan_submit").click().run()
    options = at.selectbox(key="sub_new_plan").options
    assert options[0] == "Weekly box — 29.90 BYN every 7 day"  # plans list newest first
    at.selectbox(key="sub_new_plan").select_index(0)
    at.button(key="sub_new_submit").click().run()
    assert not at.exception
    [sub] = subscriptions(path)
    assert (sub.plan_title, sub.amount, sub.interval, sub.interval_unit) == (
        "Weekly box", 2990, 7, "day"
    )  # fmt: skip
    assert sub.plan_id.startswith("pln_")
    assert at.dataframe[0].value.iloc[0]["ref"] == sub.ref  # listed at once


@pytest.mark.parametrize(
    ("values", "key", "words"),
    [
        ({}, "sub_new_plan", "required"),
        ({"sub_new_email": "not-an-email"}, "sub_new_email", "e-mail"),
        ({"sub_new_ip": "1.2.3"}, "sub_new_ip", "IP address"),
        ({"sub_new_return_url": "javascript:alert(1)"}, "sub_new_return_url", "not allowed"),
    ],
)
def test_bad_subscriptions_are_explained_and_nothing_is_written(
    values, key, words, console_env, sandbox, tmp_path
):
    path = console_env(tmp_path / "ledger.db", sandbox)
    at = open_page("subscriptions")
    fill(at, values)
    at.button(key="sub_new_submit").click().run()
    assert not at.exception
    message = error_under(at, key)
    assert message is not None and words.lower() in message.lower(), message
    assert ledger_counts(path) == (0, 0, 0)


def test_cancel_needs_the_confirmation_and_a_reason_then_records_both(
    console_env, sandbox, tmp_path
):
    path = console_env(tmp_path / "ledger.db", sandbox)
    sub = subscribe(path)
    at = open_page("subscriptions")
    at.selectbox(key="sub_detail").set_value(sub.ref).run()

    at.button(key="sub_cancel_submit").click().run()  # nothing given: both said at once
    assert "Tick the box" in error_under(at, "sub_cancel_confirm")
    assert "Give a reason" in error_under(at, "sub_cancel_reason")
    assert subscriptions(path)[0].status == sub.status

    at.text_input(key="sub_cancel_reason").set_value("   ")
    at.checkbox(key="sub_cancel_confirm").check()
    at.button(key="sub_cancel_submit").click().run()  # confirmed, but no reason: billing says no
    assert not at.exception
    assert error_under(at, "sub_cancel_reason") == "This is required."
    assert error_under(at, "sub_cancel_confirm") is None
    assert subscriptions(path)[0].status == sub.status

    at.text_input(key="sub_cancel_reason").set_value("Moved abroad")
    at.checkbox(key="sub_cancel_confirm").check()
    at.button(key="sub_cancel_submit").click().run()
    assert not at.exception
    [canceled] = subscriptions(path)
    assert (canceled.status, canceled.cancel_reason) == (
        SubscriptionStatus.CANCELED,
        "Moved abroad",
    )
    assert f"Subscription {sub.ref} canceled." in [s.value for s in at.success]
    assert "sub_cancel_submit" not in {b.key for b in at.button}  # nothing left to cancel


@pytest.mark.parametrize("role", [Role.VIEWER, Role.SUPPORT])
def test_roles_without_create_or_cancel_see_no_such_controls(role, console_env, sandbox, tmp_path):
    path = console_env(tmp_path / "ledger.db", sandbox)
    sub = subscribe(path)
    actor = Actor("vic", role)
    at = open_page("subscriptions", actor)
    at.selectbox(key="sub_detail").set_value(sub.ref).run()
    assert not at.exception
    keys = {b.key for b in at.button}
    assert not keys & {"sub_plan_submit", "sub_new_submit", "sub_cancel_submit"}
    assert any("cannot create subscriptions" in info.value for info in at.info)
    # The page only hides the controls: billing refuses on its own, and audits it.
    with Ledger(path) as ledger:
        with pytest.raises(PermissionDenied):
            Billing(load_settings(), ledger).subscriptions.cancel(actor, sub.ref, reason="x")
        assert ledger.get_subscription(sub.id).status == sub.status
        assert ledger.recent_audit(1)[0].outcome == "refused"
