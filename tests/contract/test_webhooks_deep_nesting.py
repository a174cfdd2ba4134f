"""A correctly signed body that the JSON parser cannot read (100,000 nested brackets makes
it raise RecursionError) is an unreadable notice: verdict ``error``, answered 200 like
any other unreadable body, never a 500 (issue 10, section 8)."""

# ruff: noqa: F811 - the shared fixtures are imported by name, and tests take them as arguments

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest

from tests.contract.bepaid_support import SHOP
from tests.contract.webhooks_support import (  # noqa: F401 - fixtures, found by name
    module_ledger,
    receiver_url,
    sandbox_settings,
    sign,
    signed_post,
)

DEEP = {
    "brackets": b"[" * 100_000,
    "objects": b'{"transaction":' * 10_000,  # 150 KB: under the body limit
    "closed brackets": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.fixture(scope="module")
def sign_payture(module_sandbox, tmp_path_factory):
    """Signs bytes as the sandbox's Payture does: HMAC-SHA256 with the access token."""
    settings = sandbox_settings(module_sandbox[0], tmp_path_factory.mktemp("settings"))
    key = settings.payture.access_token.reveal().encode()
    return lambda body: base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


@pytest.mark.parametrize("shape", DEEP)
@pytest.mark.parametrize(
    ("route", "provider"), [("bepaid", "bepaid"), ("beyag", "begateway"), ("payture", "payture")]
)
def test_a_signed_body_nested_too_deeply_is_recorded_as_an_error(
    receiver_url, module_ledger, sign, sign_payture, route, provider, shape
):
    body = DEEP[shape]
    signer = sign_payture if route == "payture" else sign
    with httpx.Client(timeout=30) as http:
        auth = None if route == "payture" else SHOP  # Payture notices carry no Basic auth
        answer = signed_post(http, f"{receiver_url}/notifications/{route}", body, signer, auth=auth)

    assert answer.status_code == 200, answer.text  # resending the same bytes cannot help
    assert answer.json()["verdict"] == "error"
    recorded = module_ledger.recent_notifications(1)[0]
    assert recorded.id == answer.json()["notification"]
    assert (recorded.verdict, recorded.provider) == ("error", provider)
    assert recorded.detail == "unreadable: the body is nested too deeply to read"
    assert recorded.body_sha256 == hashlib.sha256(body).hexdigest()


def test_the_receiver_still_works_after_deep_bodies(receiver_url, module_ledger, sign):
    with httpx.Client(timeout=30) as http:
        signed_post(http, f"{receiver_url}/notifications/bepaid", DEEP["brackets"], sign)
        answer = signed_post(http, f"{receiver_url}/notifications/bepaid", b"{}", sign)
    assert answer.status_code == 200
    assert module_ledger.recent_notifications(1)[0].detail.startswith("unreadable: the body is not")
