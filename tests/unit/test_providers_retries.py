"""Retries: reads are retried within bounds, creates are never re-sent once they may have landed."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from console.errors import ConfigError
from console.providers import (
    AsyncBepaidClient,
    AsyncPaytureClient,
    BepaidClient,
    BeyagClient,
    NewApmPayment,
    NewCheckout,
    OutcomeUnknown,
    PaytureClient,
    ProviderUnavailable,
    RateLimited,
    RetryPolicy,
)
from tests.unit.provider_fakes import (
    BEPAID,
    PAYTURE,
    Script,
    Sleeps,
    answer,
    pending_checkout,
)

CREATED = answer(200, {"checkout": {"token": "t1", "redirect_url": "https://pay.test/t1"}})
SUCCESSFUL_TX = {
    "transaction": {"uid": "1-a", "status": "successful", "amount": 100, "currency": "USD"}
}


def checkout_args(**extra):
    return {
        "amount": 1250,
        "currency": "BYN",
        "description": "Order 17",
        "tracking_id": "order-17",
        **extra,
    }


def test_get_retried_after_503_then_succeeds():
    sleeps = Sleeps()
    script = Script(answer(503), answer(503), answer(200, pending_checkout()))
    client = BepaidClient(BEPAID, transport=script.transport(), retry=sleeps.policy())
    checkout = client.get_checkout("tok1")
    assert checkout.token == "tok1" and checkout.native_status == "pending"
    assert len(script.requests) == 3
    assert len(sleeps.waits) == 2
    assert sleeps.waits[0] <= sleeps.waits[1] + 0.25  # back-off grows (jitter aside)


def test_get_gives_up_after_bounded_attempts():
    sleeps = Sleeps()
    script = Script(answer(503, {"message": "Service Unavailable"}))
    client = BepaidClient(BEPAID, transport=script.transport(), retry=sleeps.policy(attempts=4))
    with pytest.raises(ProviderUnavailable) as caught:
        client.get_transaction("1-a")
    assert len(script.requests) == 4
    assert caught.value.attempts == 4
    assert "after 4 attempts" in str(caught.value)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.ReadError("connection reset"),
    ],
)
def test_create_is_not_resent_after_it_may_have_landed(failure):
    script = Script(failure, CREATED)
    client = BepaidClient(BEPAID, transport=script.transport(), retry=Sleeps().policy())
    with pytest.raises(OutcomeUnknown) as caught:
        client.create_checkout(NewCheckout(**checkout_args()))
    assert len(script.requests) == 1
    assert caught.value.tracking_id == "order-17"
    assert caught.value.operation == "create checkout"


@pytest.mark.parametrize("status", [502, 504])
def test_create_answered_by_a_gateway_error_is_outcome_unknown(status):
    script = Script(answer(status), CREATED)
    client = BepaidClient(BEPAID, transport=script.transport(), retry=Sleeps().policy())
    with pytest.raises(OutcomeUnknown):
        client.create_checkout(NewCheckout(**checkout_args()))
    assert len(script.requests) == 1


@pytest.mark.parametrize(("status", "cls"), [(503, ProviderUnavailable), (429, RateLimited)])
def test_create_refused_by_the_provider_is_not_retried(status, cls):
    script = Script(answer(status, **{"Retry-After": "1"}), CREATED)
    client = BepaidClient(BEPAID, transport=script.transport(), retry=Sleeps().policy())
    with pytest.raises(cls):
        client.create_checkout(NewCheckout(**checkout_args()))
    assert len(script.requests) == 1


def test_create_unreadable_2xx_is_outcome_unknown():
    script = Script(httpx.Response(201, text="<html>ok</html>"))
    client = BeyagClient(BEPAID, transport=script.transport(), retry=Sleeps().policy())
    with pytest.raises(OutcomeUnknown) as caught:
        client.create_payment(
            NewApmPayment(
                amount=100,
                currency="USD",
                description="d",
                method_type="erip",
                return_url="https://shop.test/back",
                tracking_id="apm-1",
            )
        )
    assert caught.value.tracking_id == "apm-1"


@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")])
def test_create_that_failed_to_connect_is_retried(failure):
    script = Script(failure, CREATED)
    sleeps = Sleeps()
    client = BepaidClient(BEPAID, transport=script.transport(), retry=sleeps.policy())
    link = client.create_checkout(NewCheckout(**checkout_args()))
    assert link.token == "t1" and link.redirect_url == "https://pay.test/t1"
    assert len(script.requests) == 2
    assert len(sleeps.waits) == 1


def test_connect_failures_end_as_provider_unavailable():
    script = Script(httpx.ConnectError("refused"))
    client = BepaidClient(BEPAID, transport=script.transport(), retry=Sleeps().policy())
    with pytest.raises(ProviderUnavailable) as caught:
        client.create_checkout(NewCheckout(**checkout_args()))
    assert len(script.requests) == 3
    assert "could not connect" in str(caught.value)


def test_read_timeout_on_a_get_is_retried():
    script = Script(httpx.ReadTimeout("slow"), answer(200, SUCCESSFUL_TX))
    client = BepaidClient(BEPAID, transport=script.transport(), retry=Sleeps().policy())
    assert client.get_transaction("1-a").native_status == "successful"
    assert len(script.requests) == 2


def test_429_waits_retry_after_then_succeeds():
    sleeps = Sleeps()
    script = Script(answer(429, **{"Retry-After": "3"}), answer(200, SUCCESSFUL_TX))
    client = BepaidClient(BEPAID, transport=script.transport(), retry=sleeps.policy())
    assert client.get_transaction("1-a").uid == "1-a"
    assert sleeps.waits == [3.0]


def test_429_with_a_wait_over_the_cap_is_raised_at_once():
    sleeps = Sleeps()
    script = Script(answer(429, **{"Retry-After": "120"}), answer(200, SUCCESSFUL_TX))
    client = BepaidClient(BEPAID, transport=script.transport(), retry=sleeps.policy())
    with pytest.raises(RateLimited) as caught:
        client.get_transaction("1-a")
    assert caught.value.retry_after == 120.0
    assert sleeps.waits == [] and len(script.requests) == 1
    assert "120 seconds" in caught.value.user_message


def test_429_every_time_ends_rate_limited():
    sleeps = Sleeps()
    script = Script(answer(429, **{"Retry-After": "1"}))
    client = BepaidClient(BEPAID, transport=script.transport(), retry=sleeps.policy())
    with pytest.raises(RateLimited) as caught:
        client.get_transaction("1-a")
    assert sleeps.waits == [1.0, 1.0]
    assert caught.value.attempts == 3


def test_bill_status_is_a_post_retried_like_a_read():
    status = {
        "success": True,
        "data": {"bill_info": {"bill_status": "PENDING"}, "status": "PENDING"},
    }
    script = Script(httpx.ReadTimeout("slow"), answer(502), answer(200, status))
    client = PaytureClient(PAYTURE, transport=script.transport(), retry=Sleeps().policy())
    assert client.bill_status("cc0e8400-e29b-41d4-a716-446655440009").native_status == "PENDING"
    assert [r.method for r in script.requests] == ["POST"] * 3


def test_bill_create_is_not_resent():
    script = Script(httpx.ReadTimeout("slow"))
    client = PaytureClient(PAYTURE, transport=script.transport(), retry=Sleeps().policy())
    with pytest.raises(OutcomeUnknown) as caught:
        client.bill_create("550e8400-e29b-41d4-a716-446655440001")
    assert len(script.requests) == 1 and caught.value.tracking_id is None


def test_async_reads_follow_the_same_policy():
    sleeps = Sleeps()
    script = Script(
        answer(503), answer(429, **{"Retry-After": "2"}), answer(200, pending_checkout())
    )

    async def run():
        async with AsyncBepaidClient(
            BEPAID, transport=script.async_transport(), retry=sleeps.policy()
        ) as client:
            return await client.get_checkout("tok1")

    assert asyncio.run(run()).token == "tok1"
    assert len(script.requests) == 3 and sleeps.waits[-1] == 2.0


def test_async_gives_up_like_the_blocking_client():
    script = Script(httpx.ConnectError("refused"))

    async def run():
        async with AsyncPaytureClient(
            PAYTURE, transport=script.async_transport(), retry=Sleeps().policy(attempts=2)
        ) as client:
            await client.bill_status("cc0e8400-e29b-41d4-a716-446655440009")

    with pytest.raises(ProviderUnavailable):
        asyncio.run(run())
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"attempts": 0}, "attempts"),
        ({"attempts": 2.5}, "attempts"),
        ({"max_wait": -1}, "max_wait"),
    ],
)
def test_retry_policy_is_validated(options, words):
    with pytest.raises(ConfigError, match=words):
        RetryPolicy(**options)


@pytest.mark.parametrize("timeouts", [{"read_timeout": 0}, {"connect_timeout": "5"}])
def test_timeouts_are_validated(timeouts):
    with pytest.raises(ConfigError, match="timeout"):
        BepaidClient(BEPAID, transport=Script(answer(200)).transport(), **timeouts)


def test_timeouts_reach_every_request():
    script = Script(answer(200, SUCCESSFUL_TX))
    client = BepaidClient(
        BEPAID, transport=script.transport(), connect_timeout=1.5, read_timeout=7.0
    )
    client.get_transaction("1-a")
    timeout = script.requests[0].extensions["timeout"]
    assert timeout["connect"] == 1.5 and timeout["read"] == 7.0
