"""Provider failures become the right error class, with readable field errors."""

from __future__ import annotations

import pytest

from console.errors import ConsoleError
from console.providers import (
    AuthenticationFailed,
    BepaidClient,
    NotFound,
    PaytureClient,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    ProviderValidationError,
    RateLimited,
    UnexpectedResponse,
    error_for_status,
    flatten_errors,
)
from console.providers.errors import behind_api_status
from tests.unit.provider_fakes import BEPAID, PAYTURE, Script, Sleeps, answer


def bepaid(script: Script, **options) -> BepaidClient:
    return BepaidClient(BEPAID, transport=script.transport(), retry=Sleeps().policy(), **options)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ProviderValidationError),
        (422, ProviderValidationError),
        (401, AuthenticationFailed),
        (403, AuthenticationFailed),
        (404, NotFound),
        (409, ProviderRejected),
        (429, RateLimited),
        (500, ProviderUnavailable),
        (503, ProviderUnavailable),
    ],
)
def test_status_maps_to_one_class(status, cls):
    assert error_for_status(status) is cls
    script = Script(answer(status, {"message": "nope", "errors": {}}))
    with pytest.raises(cls) as caught:
        bepaid(script).get_transaction("1-abc")
    error = caught.value
    assert isinstance(error, ProviderError) and isinstance(error, ConsoleError)
    assert error.http_status == status
    assert error.provider_message == "nope"
    assert error.user_message and error.title


def test_validation_error_flattens_nested_field_errors():
    body = {
        "message": "Plan amount must be greater than 0",
        "errors": {
            "base": ["Currency is invalid"],
            "plan": {"plan": {"amount": ["must be greater than 0"]}, "title": ["can't be blank"]},
            "customer": {"base": ["customer with this ID doesn't exist"]},
        },
    }
    script = Script(answer(422, body, **{"X-Request-Id": "req-7"}))
    with pytest.raises(ProviderValidationError) as caught:
        bepaid(script).get_plan("pln_1")
    error = caught.value
    assert error.field_errors == (
        "Currency is invalid",
        "plan.plan.amount: must be greater than 0",
        "plan.title: can't be blank",
        "customer: customer with this ID doesn't exist",
    )
    assert error.request_id == "req-7"
    assert "plan.plan.amount: must be greater than 0" in error.user_message


@pytest.mark.parametrize(
    ("errors", "lines"),
    [
        ({"base": ["Currency is invalid"]}, ("Currency is invalid",)),
        (
            {"plan": {"base": ["plan with this ID doesn't exist"]}},
            ("plan: plan with this ID doesn't exist",),
        ),
        ({"system": ["System error."]}, ("system: System error.",)),
        ({"amount": "is invalid"}, ("amount: is invalid",)),
        ({"items": [{"amount": ["is invalid"]}]}, ("items[0].amount: is invalid",)),
        ({}, ()),
        (None, ()),
    ],
)
def test_flatten_errors(errors, lines):
    assert flatten_errors(errors) == lines


def test_unreadable_answer_to_a_read_is_unexpected_response():
    script = Script(answer(200, {"transaction": {"status": "successful"}}))  # no uid
    with pytest.raises(UnexpectedResponse) as caught:
        bepaid(script).get_transaction("1-abc")
    assert "uid" in str(caught.value)


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        ("bill_id can not be empty", ProviderValidationError),
        ("Invalid UUID format: bill_id", ProviderValidationError),
        ("redirect_url must be a valid HTTP/HTTPS URL", ProviderValidationError),
        ("Bill not found", NotFound),
        ("Can't finish request: subscription product not found", NotFound),
        ("Can't finish request", ProviderUnavailable),
        ("Invalid access token", AuthenticationFailed),
        ("Something odd happened", ProviderRejected),
    ],
)
def test_behind_api_failure_message_decides_the_class(message, cls):
    assert error_for_status(behind_api_status(message)) is cls
    script = Script(answer(200, {"success": False, "message": message}))
    client = PaytureClient(PAYTURE, transport=script.transport(), retry=Sleeps().policy())
    with pytest.raises(cls) as caught:
        client.bill_create("550e8400-e29b-41d4-a716-446655440001")
    assert caught.value.provider_message == message
    assert caught.value.http_status == 200
    assert len(script.requests) == 1  # a create is never re-sent


def test_behind_api_http_401_is_authentication_failed():
    script = Script(
        answer(401, {"success": False, "code": 1001, "message": "Invalid access token"})
    )
    client = PaytureClient(PAYTURE, transport=script.transport(), retry=Sleeps().policy())
    with pytest.raises(AuthenticationFailed) as caught:
        client.bill_status("cc0e8400-e29b-41d4-a716-446655440009")
    assert "access token" in caught.value.user_message
