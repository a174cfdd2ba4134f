"""Text nobody can see and digits nobody typed change nothing: every create use case
refuses them with a message on the field, before a ledger row is written or a request
is sent (issue 10, section 7).

Each case counts the ledger's rows (bills, subscriptions, payments, status events,
audit) and reads the sandbox's whole state before and after the refused call.
"""

from __future__ import annotations

import pytest

from console.billing import (
    ApmPaymentDraft,
    InvalidInput,
    PayLinkDraft,
    PaytureBillDraft,
    PlanDraft,
    SubscriptionDraft,
)
from tests.contract.billing_support import BYN_PRODUCT, OPERATOR, open_desk

LINK = {"amount": "12.50", "currency": "EUR", "description": "Order 1"}
APM = {**LINK, "method_type": "erip"}
PLAN = {
    "title": "Monthly",
    "amount": "5",
    "currency": "EUR",
    "interval": 1,
    "interval_unit": "month",
}
GUEST = {"product_id": BYN_PRODUCT, "user_id": "u1"}

#: What a person cannot see (or what cannot even be encoded), and what the message names.
INVISIBLE = {
    "bidi-override": ("Order \u202e1", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    "bidi-isolate": ("Order \u20661\u2069", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
    "line-separator": ("Order\u20281", "U+2028 LINE SEPARATOR"),
    "paragraph-separator": ("Order\u20291", "U+2029 PARAGRAPH SEPARATOR"),
    "zero-width-space": ("Or\u200bder 1", "U+200B (ZERO WIDTH SPACE)"),
    "bom": ("\ufeffOrder 1", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
    "lone-surrogate": ("Order \ud800 1", "a lone surrogate, U+D800"),
}
#: The same inside a URL (no emoji exception there).
INVISIBLE_URL = {
    "bidi-override": ("https://shop.example/\u202eexe.pdf", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    "zero-width-joiner": ("https://shop\u200d.example/", "U+200D (ZERO WIDTH JOINER)"),
    "bom": ("\ufeffhttps://shop.example/", "U+FEFF"),
    "lone-surrogate": ("https://shop.example/\udc80", "a lone surrogate, U+DC80"),
}
#: Digits that str.isdigit() accepts but nobody typed as 0-9.
FOREIGN_DIGITS = {
    "superscript": ("\u00b2", "U+00B2"),  # int() raises ValueError
    "arabic-indic": ("\u0663", "U+0663"),  # int() reads 3
    "full-width": ("\uff13", "U+FF13"),
}


@pytest.fixture(scope="module")
def desk(module_sandbox, tmp_path_factory):
    with open_desk(module_sandbox[0], tmp_path_factory.mktemp("invisible")) as desk:
        yield desk


@pytest.fixture(scope="module")
def subscription(desk):
    """A subscription created at bePaid (pending its first payment), to cancel."""
    return desk.billing.subscriptions.create(
        OPERATOR, SubscriptionDraft(plan=PlanDraft(**PLAN))
    ).subscription


def _without_clock(state):
    return {key: value for key, value in state.items() if key not in ("clock", "faults")}


def refused(desk, call, field: str) -> str:
    """Run ``call``; it must raise InvalidInput for ``field`` alone, writing and sending
    nothing. Returns the field's message."""
    rows, state = desk.ledger_rows(), _without_clock(desk.state())
    with pytest.raises(InvalidInput) as caught:
        call(desk.billing)
    assert set(caught.value.errors) == {field}, caught.value.errors
    assert desk.ledger_rows() == rows  # no bill, event or audit row
    assert _without_clock(desk.state()) == state  # nothing reached the provider
    return caught.value.errors[field]


TEXT_FIELDS = {
    "pay link description": (
        "description",
        lambda b, v: b.pay_links.create(OPERATOR, PayLinkDraft(**{**LINK, "description": v})),
    ),
    "APM description": (
        "description",
        lambda b, v: b.apm_payments.create(OPERATOR, ApmPaymentDraft(**{**APM, "description": v})),
    ),
    "APM payer first name": (
        "customer.first_name",
        lambda b, v: b.apm_payments.create(
            OPERATOR, ApmPaymentDraft(**APM, customer={"first_name": v})
        ),
    ),
    "APM payer address": (
        "customer.address",
        lambda b, v: b.apm_payments.create(
            OPERATOR, ApmPaymentDraft(**APM, customer={"address": v})
        ),
    ),
    "Payture user id": (
        "user_id",
        lambda b, v: b.payture_bills.create(OPERATOR, PaytureBillDraft(**{**GUEST, "user_id": v})),
    ),
    "Payture gift message": (
        "extended.gift_message",
        lambda b, v: b.payture_bills.create(
            OPERATOR, PaytureBillDraft(**GUEST, extended={"giftMessage": v})
        ),
    ),
    "Payture description": (
        "description",
        lambda b, v: b.payture_bills.create(OPERATOR, PaytureBillDraft(**GUEST, description=v)),
    ),
    "plan title": (
        "title",
        lambda b, v: b.plans.create(OPERATOR, PlanDraft(**{**PLAN, "title": v})),
    ),
    "inline plan title": (
        "title",
        lambda b, v: b.subscriptions.create(
            OPERATOR, SubscriptionDraft(plan=PlanDraft(**{**PLAN, "title": v}))
        ),
    ),
    "subscriber last name": (
        "last_name",
        lambda b, v: b.subscriptions.create(
            OPERATOR, SubscriptionDraft(plan=PlanDraft(**PLAN), last_name=v)
        ),
    ),
}


@pytest.mark.parametrize("bad", INVISIBLE)
@pytest.mark.parametrize("where", TEXT_FIELDS)
def test_invisible_characters_in_text_change_nothing(desk, where, bad):
    field, call = TEXT_FIELDS[where]
    value, named = INVISIBLE[bad]
    message = refused(desk, lambda billing: call(billing, value), field)
    assert named in message


@pytest.mark.parametrize("bad", INVISIBLE)
def test_invisible_characters_in_a_cancel_reason_change_nothing(desk, subscription, bad):
    value, named = INVISIBLE[bad]
    call = lambda b: b.subscriptions.cancel(OPERATOR, subscription.ref, reason=value)  # noqa: E731
    assert named in refused(desk, call, "reason")
    at_bepaid = desk.bepaid.get_subscription(subscription.provider_id)
    assert at_bepaid.cancel_reason is None


URL_FIELDS = {
    "pay link success_url": (
        "success_url",
        lambda b, v: b.pay_links.create(OPERATOR, PayLinkDraft(**LINK, success_url=v)),
    ),
    "pay link decline_url": (
        "decline_url",
        lambda b, v: b.pay_links.create(OPERATOR, PayLinkDraft(**LINK, decline_url=v)),
    ),
    "pay link fail_url": (
        "fail_url",
        lambda b, v: b.pay_links.create(OPERATOR, PayLinkDraft(**LINK, fail_url=v)),
    ),
    "APM return_url": (
        "return_url",
        lambda b, v: b.apm_payments.create(OPERATOR, ApmPaymentDraft(**APM, return_url=v)),
    ),
    "Payture redirect_url": (
        "redirect_url",
        lambda b, v: b.payture_bills.create(OPERATOR, PaytureBillDraft(**GUEST, redirect_url=v)),
    ),
    "subscription return_url": (
        "return_url",
        lambda b, v: b.subscriptions.create(
            OPERATOR, SubscriptionDraft(plan=PlanDraft(**PLAN), return_url=v)
        ),
    ),
}


@pytest.mark.parametrize("bad", INVISIBLE_URL)
@pytest.mark.parametrize("where", URL_FIELDS)
def test_invisible_characters_in_addresses_change_nothing(desk, where, bad):
    field, call = URL_FIELDS[where]
    value, named = INVISIBLE_URL[bad]
    message = refused(desk, lambda billing: call(billing, value), field)
    assert message.startswith("A web address cannot contain") and named in message


NUMBER_FIELDS = {
    "interval": ("interval", {"interval": "{}"}),
    "billing_cycles": ("billing_cycles", {"billing_cycles": "{}"}),
    "number_payment_attempts": ("number_payment_attempts", {"number_payment_attempts": "{}"}),
    "trial_interval": (
        "trial_interval",
        {"trial_interval": "{}", "trial_amount": "1", "trial_unit": "day"},
    ),
}


@pytest.mark.parametrize("digit", FOREIGN_DIGITS)
@pytest.mark.parametrize("where", NUMBER_FIELDS)
def test_digits_other_than_0_to_9_change_nothing_in_plans_and_subscriptions(desk, where, digit):
    field, changes = NUMBER_FIELDS[where]
    value, named = FOREIGN_DIGITS[digit]
    draft = PlanDraft(**{**PLAN, **{k: v.format(value) for k, v in changes.items()}})
    for call in (
        lambda b: b.plans.create(OPERATOR, draft),
        lambda b: b.subscriptions.create(OPERATOR, SubscriptionDraft(plan=draft)),
    ):
        message = refused(desk, call, field)
        assert message.startswith("Type the number with the digits 0-9") and named in message


@pytest.mark.parametrize("digit", FOREIGN_DIGITS)
def test_digits_other_than_0_to_9_in_an_amount_change_nothing(desk, digit):
    value, named = FOREIGN_DIGITS[digit]
    draft = PayLinkDraft(**{**LINK, "amount": f"1{value}.50"})
    call = lambda b: b.pay_links.create(OPERATOR, draft)  # noqa: E731
    message = refused(desk, call, "amount")
    assert "digits 0-9" in message and named in message


def test_a_number_thousands_of_digits_long_is_refused_not_parsed(desk):
    draft = PlanDraft(**{**PLAN, "billing_cycles": "9" * 5000})
    assert "from 1 to 1000" in refused(
        desk, lambda b: b.plans.create(OPERATOR, draft), "billing_cycles"
    )


def test_emoji_joined_by_zero_width_joiners_are_text_people_write(desk):
    description = "Team gift \U0001f469\u200d\U0001f4bb\U0001f3f3\ufe0f\u200d\U0001f308"
    created = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(**{**LINK, "description": description})
    )
    assert created.bill.description == description
    order = desk.bepaid.get_checkout(created.bill.token).raw["order"]
    assert order["description"] == description
