"""A provider's refusal, mapped back onto the form fields a person filled in."""

from __future__ import annotations

from console.billing._apm_payments import APM_FIELDS
from console.billing._failures import provider_field_errors
from console.billing._pay_links import CHECKOUT_FIELDS
from console.billing._payture_bills import PAYTURE_HINTS
from console.billing._subscriptions import SUBSCRIPTION_FIELDS
from console.providers import ProviderValidationError, RateLimited


def refusal(errors=None, message=None, provider="bePaid"):
    return ProviderValidationError(
        "422", provider=provider, operation="create", http_status=422,
        provider_message=message, errors=errors,
    )  # fmt: skip


def test_nested_checkout_errors_land_on_their_fields():
    error = refusal({"checkout": {"order": {"amount": ["must be greater than 0"],
                                            "expired_at": ["must be in the future"]},
                                  "settings": {"success_url": ["is invalid"]}}})  # fmt: skip
    assert provider_field_errors(error, CHECKOUT_FIELDS, {}) == {
        "amount": "Must be greater than 0.",
        "expires_at": "Must be in the future.",
        "success_url": "Is invalid.",
    }


def test_inline_plan_and_unknown_plan_id_errors_of_a_subscription():
    error = refusal(
        {"plan": {"base": ["plan with this ID doesn't exist for this account"],
                  "plan": {"interval": ["must be greater than 0"]},
                  "trial": {"interval_unit": ["is not included in the list"]}},
         "customer": {"email": ["is invalid"]}}
    )  # fmt: skip
    assert provider_field_errors(error, SUBSCRIPTION_FIELDS, {}) == {
        "plan_id": "Plan with this ID doesn't exist for this account.",
        "interval": "Must be greater than 0.",
        "trial_unit": "Is not included in the list.",
        "customer_email": "Is invalid.",
    }


def test_base_and_unknown_fields_go_to_the_form_with_their_path():
    error = refusal({"base": ["Currency is invalid"], "gizmo": {"size": ["too big"]}})
    assert provider_field_errors(error, CHECKOUT_FIELDS, {}) == {
        "form": "Currency is invalid. Gizmo.size: too big."
    }


def test_gateway_system_error_shows_the_gateway_message():
    error = refusal({"system": ["System error."]}, message="Unknown 'bitcoin' payment method")
    assert provider_field_errors(error, APM_FIELDS, {}) == {
        "method_type": "Unknown 'bitcoin' payment method."
    }


def test_behind_api_message_is_placed_by_its_words():
    error = refusal(message="Invalid UUID format: subscription_id", provider="Payture")
    assert provider_field_errors(error, {}, PAYTURE_HINTS) == {
        "product_id": "Invalid UUID format: subscription_id."
    }
    other = refusal(message="Something odd happened", provider="Payture")
    assert provider_field_errors(other, {}, PAYTURE_HINTS) == {"form": "Something odd happened."}


def test_an_error_without_details_still_says_something():
    error = RateLimited("429", provider="bePaid", operation="create checkout", retry_after=3)
    assert provider_field_errors(error, {}, {}) == {
        "form": "bePaid is limiting requests; try again in 3 seconds."
    }
