"""Every kind of bad input is refused with the field it concerns, before anything is
written to the ledger or sent to a provider."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.billing import (
    ApmPaymentDraft,
    Billing,
    InvalidInput,
    PayLinkDraft,
    PaytureBillDraft,
    PlanDraft,
    SubscriptionDraft,
)
from console.config import load_settings
from console.ledger import Ledger
from tests.contract.billing_support import BYN_PRODUCT, NO_FILE, OPERATOR, open_desk

NOW = datetime.now(UTC)
LINK = {"amount": "12.50", "currency": "EUR", "description": "Order 1"}
APM = {**LINK, "method_type": "erip"}
PLAN = {
    "title": "Monthly",
    "amount": "5",
    "currency": "EUR",
    "interval": 1,
    "interval_unit": "month",
}


@pytest.fixture
def desk(module_sandbox, tmp_path):
    with open_desk(module_sandbox[0], tmp_path) as desk:
        yield desk


def _without_clock(state):
    return {key: value for key, value in state.items() if key not in ("clock", "faults")}


def _refused(desk, call, expected_fields):
    before = _without_clock(desk.state())
    with pytest.raises(InvalidInput) as caught:
        call(desk.billing)
    assert set(caught.value.errors) == set(expected_fields), caught.value.errors
    assert all(caught.value.errors.values())
    assert desk.ledger_rows() == dict.fromkeys(desk.ledger_rows(), 0)  # nothing written
    assert _without_clock(desk.state()) == before  # nothing sent
    return caught.value.errors


PAY_LINK_CASES = {
    "amount-text": ({"amount": "twelve"}, {"amount"}),
    "amount-negative": ({"amount": "-5"}, {"amount"}),
    "amount-zero": ({"amount": "0"}, {"amount"}),
    "amount-too-many-decimals": ({"amount": "12.345"}, {"amount"}),
    "amount-over-maximum": ({"amount": "99 999 999 999"}, {"amount"}),
    "amount-float": ({"amount": 12.5}, {"amount"}),
    "amount-int-zero": ({"amount": 0}, {"amount"}),
    "amount-bool": ({"amount": True}, {"amount"}),
    "currency-empty": ({"currency": ""}, {"currency"}),
    "currency-unknown": ({"currency": "XYZ"}, {"currency"}),
    "currency-not-payable": ({"currency": "XAU"}, {"currency"}),
    "description-empty": ({"description": "  "}, {"description"}),
    "description-too-long": ({"description": "x" * 256}, {"description"}),
    "description-line-break": ({"description": "Order\n1"}, {"description"}),
    "description-bidi-override": ({"description": "Order \u202e1"}, {"description"}),
    "description-card-number": ({"description": "card 4200 0000 0000 0000"}, {"description"}),
    "description-card-with-dashes": ({"description": "5555-5555-5555-4444 ok"}, {"description"}),
    "email-no-at": ({"customer_email": "payer.example.com"}, {"customer_email"}),
    "email-no-domain-dot": ({"customer_email": "payer@example"}, {"customer_email"}),
    "email-space": ({"customer_email": "pay er@example.com"}, {"customer_email"}),
    "email-too-long": ({"customer_email": "a" * 250 + "@x.io"}, {"customer_email"}),
    "expiry-past": ({"expires_at": NOW - timedelta(hours=1)}, {"expires_at"}),
    "expiry-too-soon": ({"expires_at": NOW + timedelta(minutes=1)}, {"expires_at"}),
    "expiry-too-far": ({"expires_at": NOW + timedelta(days=31)}, {"expires_at"}),
    "expiry-not-a-date": ({"expires_at": "tomorrow"}, {"expires_at"}),
    "url-javascript": ({"success_url": "javascript:alert(1)"}, {"success_url"}),
    "url-data": ({"decline_url": "data:text/html,<b>hi</b>"}, {"decline_url"}),
    "url-file": ({"fail_url": "file:///etc/passwd"}, {"fail_url"}),
    "url-ftp": ({"success_url": "ftp://shop.example/"}, {"success_url"}),
    "url-relative": ({"success_url": "/thanks"}, {"success_url"}),
    "url-credentials": ({"success_url": "https://user:pw@shop.example/"}, {"success_url"}),
    "url-too-long": ({"success_url": "https://shop.example/" + "a" * 2040}, {"success_url"}),
    "url-with-space": ({"success_url": "https://shop.example/a b"}, {"success_url"}),
    "url-card-number": (
        {"success_url": "https://s.example/?pan=4200000000000000"},
        {"success_url"},
    ),
    "language": ({"language": "english"}, {"language"}),
}


@pytest.mark.parametrize("case", PAY_LINK_CASES)
def test_pay_link_input_is_refused(desk, case):
    changes, fields = PAY_LINK_CASES[case]
    _refused(
        desk, lambda b: b.pay_links.create(OPERATOR, PayLinkDraft(**{**LINK, **changes})), fields
    )


def test_every_bad_field_is_reported_at_once(desk):
    errors = _refused(
        desk,
        lambda b: b.pay_links.create(
            OPERATOR,
            PayLinkDraft(
                amount="-1",
                currency="EUR",
                description="",
                customer_email="x",
                success_url="javascript:x",
                expires_at=NOW - timedelta(days=1),
            ),
        ),
        {"amount", "description", "customer_email", "success_url", "expires_at"},
    )
    assert "positive" in errors["amount"]
    assert "javascript" in errors["success_url"]


APM_CASES = {
    "method-missing": ({"method_type": ""}, {"method_type"}),
    "method-with-spaces": ({"method_type": "credit card"}, {"method_type"}),
    "return-url-javascript": ({"return_url": "javascript:alert(1)"}, {"return_url"}),
    "amount-and-currency": ({"amount": "1", "currency": "ZZZ"}, {"currency"}),
    "payer-phone-letters": ({"customer": {"phone": "call me"}}, {"customer.phone"}),
    "payer-phone-too-short": ({"customer": {"phone": "12-34"}}, {"customer.phone"}),
    "payer-phone-too-long": ({"customer": {"phone": "+1 234 567 890 123 456"}}, {"customer.phone"}),
    "payer-phone-card-number": ({"customer": {"phone": "4200000000000000"}}, {"customer.phone"}),
    "payer-country-unknown": ({"customer": {"country": "XX"}}, {"customer.country"}),
    "payer-country-alpha3": ({"customer": {"country": "BLR"}}, {"customer.country"}),
    "payer-name-too-long": ({"customer": {"first_name": "A" * 61}}, {"customer.first_name"}),
    "payer-city-line-break": ({"customer": {"city": "Minsk\nBY"}}, {"customer.city"}),
    "payer-address-card-number": (
        {"customer": {"address": "ul. 5555 5555 5555 4444"}},
        {"customer.address"},
    ),
    "payer-unknown-detail": ({"customer": {"passport": "MP123"}}, {"customer.passport"}),
}


@pytest.mark.parametrize("case", APM_CASES)
def test_apm_input_is_refused(desk, case):
    changes, fields = APM_CASES[case]
    _refused(
        desk,
        lambda b: b.apm_payments.create(OPERATOR, ApmPaymentDraft(**{**APM, **changes})),
        fields,
    )


PAYTURE_CASES = {
    "product-not-uuid": ({"product_id": "premium"}, {"product_id"}),
    "product-unknown": ({"product_id": "550e8400-e29b-41d4-a716-446655449999"}, {"product_id"}),
    "guest-without-user": ({"redirect_url": "https://shop.example/"}, {"user_id"}),
    "redirect-javascript": ({"user_id": "u1", "redirect_url": "javascript:x"}, {"redirect_url"}),
    "extended-control-char": (
        {"user_id": "u1", "extended": {"giftMessage": "Hi\x00"}},
        {"extended.gift_message"},
    ),
    "extended-card-number": (
        {"user_id": "u1", "extended": {"note": "4200000000000000"}},
        {"extended.note"},
    ),
    "user-too-long": ({"user_id": "u" * 256}, {"user_id"}),
}


@pytest.mark.parametrize("case", PAYTURE_CASES)
def test_payture_bill_input_is_refused(desk, case):
    changes, fields = PAYTURE_CASES[case]
    draft = PaytureBillDraft(**{"product_id": BYN_PRODUCT, **changes})
    call = lambda b: b.payture_bills.create(OPERATOR, draft)  # noqa: E731
    _refused(desk, call, fields)


PLAN_CASES = {
    "title-empty": ({"title": ""}, {"title"}),
    "interval-zero": ({"interval": 0}, {"interval"}),
    "interval-too-long": ({"interval": 13}, {"interval"}),
    "interval-text": ({"interval": "monthly"}, {"interval"}),
    "unit-week": ({"interval_unit": "week"}, {"interval_unit"}),
    "trial-incomplete": ({"trial_amount": "1"}, {"trial_interval", "trial_unit"}),
    "trial-amount-bad": (
        {"trial_amount": "-1", "trial_interval": 7, "trial_unit": "day"},
        {"trial_amount"},
    ),
    "cycles-zero": ({"billing_cycles": 0}, {"billing_cycles"}),
    "attempts-too-many": ({"number_payment_attempts": 11}, {"number_payment_attempts"}),
    "amount-missing": ({"amount": None}, {"amount"}),
}


@pytest.mark.parametrize("case", PLAN_CASES)
def test_plan_input_is_refused_for_plans_and_inline_subscriptions(desk, case):
    changes, fields = PLAN_CASES[case]
    draft = PlanDraft(**{**PLAN, **changes})
    _refused(desk, lambda b: b.plans.create(OPERATOR, draft), fields)
    _refused(
        desk, lambda b: b.subscriptions.create(OPERATOR, SubscriptionDraft(plan=draft)), fields
    )


SUBSCRIPTION_CASES = {
    "plan-id-with-spaces": ({"plan": "my plan"}, {"plan_id"}),
    "plan-id-unknown": ({"plan": "pln_doesnotexist"}, {"plan_id"}),
    "ip-invalid": ({"customer_email": "a@b.example", "customer_ip": "999.1.1.1"}, {"customer_ip"}),
    "ip-without-email": ({"customer_ip": "203.0.113.7"}, {"customer_email"}),
    "name-card-number": ({"first_name": "4111 1111 1111 1111"}, {"first_name"}),
    "return-url-file": ({"return_url": "file:///x"}, {"return_url"}),
}


@pytest.mark.parametrize("case", SUBSCRIPTION_CASES)
def test_subscription_input_is_refused(desk, case):
    changes, fields = SUBSCRIPTION_CASES[case]
    values = {"plan": PlanDraft(**PLAN), **changes}
    _refused(desk, lambda b: b.subscriptions.create(OPERATOR, SubscriptionDraft(**values)), fields)


def test_live_mode_requires_https_addresses(tmp_path):
    settings = load_settings(
        env={
            "MERCHANT_CONSOLE_MODE": "live",
            "MERCHANT_CONSOLE_BEPAID_SHOP_ID": "1",
            "MERCHANT_CONSOLE_BEPAID_SECRET_KEY": "s",
        },
        secrets_path=NO_FILE,
    )
    with Ledger(tmp_path / "live.db") as ledger:
        billing = Billing(settings, ledger)
        with pytest.raises(InvalidInput) as caught:
            billing.pay_links.create(
                OPERATOR, PayLinkDraft(**LINK, success_url="http://shop.example/thanks")
            )
        assert caught.value.errors == {"success_url": "Live mode requires an https:// address."}
        with pytest.raises(InvalidInput) as caught:  # no default return address in live mode
            billing.apm_payments.create(OPERATOR, ApmPaymentDraft(**APM))
        assert set(caught.value.errors) == {"return_url"}
        assert ledger.recent_bills(1) == []
