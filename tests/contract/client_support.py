"""Helpers for the provider-client contract tests: clients pointed at a running sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx

from console.config import Secret, Settings, load_settings
from console.providers import BepaidClient, BeyagClient, PaytureClient, RetryPolicy

NO_FILE = "/nonexistent/secrets.toml"
APPROVED = "4200000000000000"
DECLINED = "4005550000000019"
PRODUCT = "550e8400-e29b-41d4-a716-446655440001"  # Premium, 1 month, 99900 RUB
GIFT_PRODUCT = "550e8400-e29b-41d4-a716-446655440007"  # a gift: paying yields a code
USER = "aa0e8400-e29b-41d4-a716-446655440005"


def settings_for(url: str) -> Settings:
    """The console's own sandbox-mode settings, pointed at this sandbox."""
    return load_settings(env={"MERCHANT_CONSOLE_SANDBOX_URL": url}, secrets_path=NO_FILE)


class Waits:
    """A retry sleep that records waits instead of sleeping (tests never wait on back-off)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def policy(self, **options: Any) -> RetryPolicy:
        return RetryPolicy(sleep=self, async_sleep=self.async_sleep, **options)


@dataclass
class Clients:
    bepaid: BepaidClient
    beyag: BeyagClient
    payture: PaytureClient
    waits: Waits


@contextmanager
def clients(
    url: str,
    *,
    read_timeout: float = 5.0,
    secret: str | None = None,
    token: str | None = None,
    **retry: Any,
) -> Iterator[Clients]:
    """Blocking clients for the sandbox at ``url``, each with its own connection pool.

    ``secret`` / ``token`` replace the sandbox credentials (to provoke a 401).
    """
    settings = settings_for(url)
    shop = settings.bepaid
    bills = settings.payture
    if secret is not None:
        shop = replace(shop, secret_key=Secret(secret))
    if token is not None:
        bills = replace(bills, access_token=Secret(token))
    waits = Waits()
    options = {
        "connect_timeout": 2.0,
        "read_timeout": read_timeout,
        "retry": waits.policy(**retry),
    }
    made = Clients(
        bepaid=BepaidClient(shop, transport=httpx.HTTPTransport(), **options),
        beyag=BeyagClient(shop, transport=httpx.HTTPTransport(), **options),
        payture=PaytureClient(bills, sandbox=True, transport=httpx.HTTPTransport(), **options),
        waits=waits,
    )
    try:
        yield made
    finally:
        made.bepaid.close()
        made.beyag.close()
        made.payture.close()


def add_fault(admin: httpx.Client, **spec: Any) -> dict[str, Any]:
    """Register a sandbox fault (``POST /__sandbox/faults``; see provider_sandbox/faults.py)."""
    response = admin.post("/__sandbox/faults", json=spec)
    assert response.status_code == 201, response.text
    return response.json()


def fault_applied(admin: httpx.Client, fault_id: str) -> int:
    faults = admin.get("/__sandbox/faults").json()["faults"]
    return next(f["applied"] for f in faults if f["id"] == fault_id)


def state(admin: httpx.Client) -> dict[str, Any]:
    response = admin.get("/__sandbox/state")
    assert response.status_code == 200, response.text
    return response.json()


def admin_post(admin: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = admin.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()
