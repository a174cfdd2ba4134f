"""Helpers shared by the bePaid contract tests: requests as a merchant or a payer would send."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from tests.support.servers import free_port, serve

SHOP = ("361", "sandbox-secret")
CHECKOUT_HEADERS = {"X-API-Version": "2"}
APPROVED = "4200000000000000"
DECLINED = "4005550000000019"
THREE_DS_OK = "4012000000001097"
THREE_DS_FAILS = "4012000000001014"
MERCHANT = "http://127.0.0.1:9/shop"  # a closed loopback port: nothing is ever delivered there


def checkout_request(**order: Any) -> dict[str, Any]:
    """A valid checkout request; keyword arguments replace order fields."""
    return {
        "checkout": {
            "transaction_type": "payment",
            "test": True,
            "order": {
                "amount": 1234,
                "currency": "EUR",
                "description": "Order 42",
                "tracking_id": "order-42",
                **order,
            },
            "settings": {
                "success_url": f"{MERCHANT}/success",
                "decline_url": f"{MERCHANT}/decline",
                "fail_url": f"{MERCHANT}/fail",
                "cancel_url": f"{MERCHANT}/cancel",
                "language": "en",
            },
            "customer": {"email": "payer@example.com"},
        }
    }


def create_checkout(client: httpx.Client, body: dict[str, Any] | None = None, **order: Any) -> str:
    """Create a checkout and return its token."""
    response = client.post(
        "/ctp/api/checkouts", json=body or checkout_request(**order), headers=CHECKOUT_HEADERS
    )
    assert response.status_code == 200, response.text
    return response.json()["checkout"]["token"]


def get_checkout(client: httpx.Client, token: str) -> dict[str, Any]:
    response = client.get(f"/ctp/api/checkouts/{token}")
    assert response.status_code == 200, response.text
    return response.json()["checkout"]


def pay_checkout(client: httpx.Client, token: str, card: str, **extra: Any) -> dict[str, Any]:
    """Pay as the payer through the sandbox admin route; returns its answer."""
    response = client.post(f"/__sandbox/checkouts/{token}/pay", json={"card": card, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def advance(client: httpx.Client, seconds: float) -> None:
    """Move the sandbox clock forward (the tickers run before this returns)."""
    response = client.post("/__sandbox/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text


def queued_notifications(client: httpx.Client, url: str) -> list[dict[str, Any]]:
    """Payloads queued for ``url`` so far, oldest first (delivery does not matter here)."""
    items = client.get("/__sandbox/notifications").json()["notifications"]
    return [item["payload"] for item in items if item["url"] == url]


def plan_request(**overrides: Any) -> dict[str, Any]:
    """A plan with a one-hour trial and daily renewals, three payment attempts."""
    return {
        "title": "Daily coffee",
        "currency": "USD",
        "plan": {"amount": 500, "interval": 1, "interval_unit": "day"},
        "trial": {"amount": 100, "interval": 1, "interval_unit": "hour"},
        **overrides,
    }


def create_subscription(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"plan": plan_request(), "tracking_id": "sub-1", **fields}
    response = client.post("/subscriptions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def pay_subscription(client: httpx.Client, sub_id: str, card: str = APPROVED, **extra: Any) -> dict:
    response = client.post(f"/__sandbox/subscriptions/{sub_id}/pay", json={"card": card, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def get_subscription(client: httpx.Client, sub_id: str) -> dict[str, Any]:
    response = client.get(f"/subscriptions/{sub_id}")
    assert response.status_code == 200, response.text
    return response.json()


@contextmanager
def shared_sandbox(directory: Path) -> Iterator[httpx.Client]:
    """One sandbox for a whole module of tests that do not depend on each other's state.

    Yields an httpx client with the shop's credentials; starting a sandbox per test
    costs half a second, which adds up over many parametrized validation cases.
    """
    port = free_port()
    app = create_app(
        SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(directory / "s.db"))
    )
    try:
        with (
            serve(app, port) as base_url,
            httpx.Client(base_url=base_url, auth=SHOP, timeout=10) as client,
        ):
            yield client
    finally:
        app.state.sandbox.store.close()
