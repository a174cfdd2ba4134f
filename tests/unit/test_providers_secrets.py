"""Credentials never show up in logs, error messages, error reprs or client reprs."""

from __future__ import annotations

import asyncio
import base64
import logging
import traceback
from dataclasses import replace

import httpx
import pytest

from console.providers import (
    AsyncBepaidClient,
    AsyncPaytureClient,
    BepaidClient,
    BeyagClient,
    NewCheckout,
    PaytureClient,
    ProviderError,
    close_shared_clients,
)
from console.providers.http import scrub
from tests.support.servers import free_port
from tests.unit.provider_fakes import (
    ACCESS_TOKEN,
    BEPAID,
    PAYTURE,
    SHOP_SECRET,
    Script,
    Sleeps,
    answer,
)

BASIC = base64.b64encode(f"{BEPAID.shop_id}:{SHOP_SECRET}".encode()).decode()
SECRETS = (SHOP_SECRET, ACCESS_TOKEN, BASIC)


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def error_texts(error: BaseException) -> str:
    parts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    if isinstance(error, ProviderError):
        parts += [error.user_message, repr(vars(error))]
    return "\n".join(parts)


FAILURES = [
    answer(401, {"message": "Unauthorized", "errors": {"base": ["Invalid shop id or secret key"]}}),
    answer(422, {"message": "Currency is invalid", "errors": {"base": ["Currency is invalid"]}}),
    answer(503),
    httpx.ReadTimeout("timed out"),
    httpx.RemoteProtocolError("peer closed connection"),
]


@pytest.fixture
def debug_logs(caplog):
    for name in ("console.providers", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: getattr(f, "status_code", type(f)))
def test_failing_bepaid_calls_leak_nothing(failure, debug_logs):
    script = Script(failure)
    client = BepaidClient(BEPAID, transport=script.transport(), retry=Sleeps().policy())
    with pytest.raises(ProviderError) as caught:
        client.create_checkout(
            NewCheckout(amount=100, currency="EUR", description="x", tracking_id="t-1")
        )
    with pytest.raises(ProviderError) as caught_read:
        client.get_checkout("tok1")
    assert script.requests[0].headers["authorization"] == f"Basic {BASIC}"  # it was sent
    assert_clean(debug_logs.text)
    assert_clean(error_texts(caught.value) + error_texts(caught_read.value))
    assert_clean(repr(client))


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: getattr(f, "status_code", type(f)))
def test_failing_payture_calls_leak_nothing(failure, debug_logs):
    script = Script(failure)
    client = PaytureClient(PAYTURE, transport=script.transport(), retry=Sleeps().policy())
    with pytest.raises(ProviderError) as caught:
        client.bill_create_unauthorised(
            "550e8400-e29b-41d4-a716-446655440001", "user-1", redirect_url="https://s.test/r"
        )
    assert script.bodies[0]["access_token"] == ACCESS_TOKEN  # it was sent, in the body
    assert "access_token" in debug_logs.text  # the body was logged ... scrubbed
    assert_clean(debug_logs.text)
    assert_clean(error_texts(caught.value))
    assert_clean(repr(client))


def refused_clients():
    """Each client pointed at a loopback port where nothing listens (shared httpx clients)."""
    url = f"http://127.0.0.1:{free_port()}"
    shop = replace(BEPAID, api_url=url, checkout_url=url, gateway_url=url)
    options = {"retry": Sleeps().policy(), "connect_timeout": 1}
    bill = "cc0e8400-e29b-41d4-a716-446655440009"
    yield "bePaid", lambda: BepaidClient(shop, **options).get_transaction("1-a")
    yield "beyag", lambda: BeyagClient(shop, **options).get_payment("1-a")
    yield (
        "Payture",
        lambda: PaytureClient(replace(PAYTURE, base_url=url), **options).bill_status(bill),
    )


@pytest.mark.parametrize(
    ("name", "call"), list(refused_clients()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_connection_refused_over_real_sockets_leaks_nothing(name, call, debug_logs):
    try:
        with pytest.raises(ProviderError) as caught:
            call()
    finally:
        close_shared_clients()
    assert any(r.name.startswith("httpcore") for r in debug_logs.records)
    assert_clean(debug_logs.text)
    assert_clean(error_texts(caught.value))


def test_async_client_reprs_hide_credentials():
    async def reprs():
        async with AsyncBepaidClient(BEPAID) as shop, AsyncPaytureClient(PAYTURE) as bills:
            return repr(shop) + repr(bills)

    assert_clean(asyncio.run(reprs()))


def test_scrub_masks_tokens_at_any_depth():
    body = {"access_token": ACCESS_TOKEN, "extended": {"secret_key": "x", "pageId": "p"}}
    assert scrub(body) == {
        "access_token": "********",
        "extended": {"secret_key": "********", "pageId": "p"},
    }
