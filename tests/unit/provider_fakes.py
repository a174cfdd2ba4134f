"""Scripted httpx transports and settings for the provider-client unit tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from console.config import BepaidSettings, PaytureSettings, Secret
from console.providers import RetryPolicy

SHOP_SECRET = "s3cr3t-SHOP-key-never-logged"
ACCESS_TOKEN = "tok-PAYTURE-never-logged"

BEPAID = BepaidSettings(
    api_url="https://api.bepaid.test",
    checkout_url="https://checkout.bepaid.test",
    gateway_url="https://gateway.bepaid.test",
    shop_id="shop-361",
    secret_key=Secret(SHOP_SECRET),
    public_key=Secret(""),
)
PAYTURE = PaytureSettings(base_url="https://behind.test", access_token=Secret(ACCESS_TOKEN))

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """A transport that answers requests from a list of steps and records what it saw.

    A step is a response, an exception to raise (``httpx.ReadTimeout`` ...), or a
    function of the request. The last step repeats when the list runs out.
    """

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def _next(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        if callable(step) and not isinstance(step, httpx.Response):
            return step(request)
        return step

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._next)

    def async_transport(self) -> httpx.MockTransport:
        async def handler(request: httpx.Request) -> httpx.Response:
            return self._next(request)

        return httpx.MockTransport(handler)

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


def answer(status: int, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {}, headers=headers)


class Sleeps:
    """Records the waits a RetryPolicy asks for, instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def policy(self, **options: Any) -> RetryPolicy:
        return RetryPolicy(sleep=self, async_sleep=self.async_sleep, **options)


def pending_checkout(checkout: str = "tok1") -> dict[str, Any]:
    return {
        "checkout": {
            "token": checkout,
            "status": "pending",
            "finished": False,
            "expired": False,
            "test": True,
            "order": {"amount": 1250, "currency": "BYN", "description": "Order 17"},
            "gateway_response": None,
        }
    }
