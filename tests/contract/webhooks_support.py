"""Helpers for the receiver's contract tests: a receiver on loopback, and a shop that
creates bills the way billing does (ledger row first, then the provider, then the ids)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.config import Settings, load_settings
from console.ledger import Ledger, NewBill, NewSubscription, Notification
from console.status import BillStatus
from console.webhooks import create_app
from tests.contract.bepaid_support import CHECKOUT_HEADERS, SHOP, plan_request
from tests.support.servers import serve

_ids = itertools.count(1)


def unique(prefix: str) -> str:
    """A tracking id no other test in the run uses (modules share a sandbox and a ledger)."""
    return f"{prefix}-{next(_ids)}-{time.monotonic_ns() % 10**8}"


def sandbox_settings(sandbox_url: str, tmp_path: Path) -> Settings:
    """Sandbox-mode settings pointed at ``sandbox_url`` (no secrets file, no public key)."""
    return load_settings(
        env={"MERCHANT_CONSOLE_SANDBOX_URL": sandbox_url, "MERCHANT_CONSOLE_MODE": "sandbox"},
        secrets_path=tmp_path / "no-secrets.toml",
    )


@contextmanager
def running_receiver(settings: Settings, ledger: Ledger) -> Iterator[str]:
    """The receiver served over loopback; yields its base URL."""
    with serve(create_app(settings, ledger, key_wait=10)) as url:
        yield url


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Poll ``predicate`` until it returns something truthy (bounded); return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Shop:
    """A merchant using the sandbox and the ledger as billing would."""

    def __init__(self, client: httpx.Client, ledger: Ledger, receiver_url: str) -> None:
        self.client = client  # authenticated sandbox client
        self.ledger = ledger
        self.receiver_url = receiver_url

    def hook(self, route: str = "bepaid") -> str:
        return f"{self.receiver_url}/notifications/{route}"

    # -- pay links (hosted checkout) ------------------------------------------------

    def pay_link(
        self,
        *,
        amount: int = 1234,
        currency: str = "EUR",
        billed_amount: int | None = None,
        billed_currency: str | None = None,
        test: bool = True,
        billed_test: bool | None = None,
        attempts: int | None = None,
    ) -> tuple[int, str]:
        """A card_link bill and its checkout; returns (bill id, checkout token).

        ``billed_*`` make the ledger row differ from what the provider charges.
        """
        tracking_id = unique("order")
        bill_id = self.ledger.create_bill(
            NewBill(
                provider="bepaid",
                kind="card_link",
                tracking_id=tracking_id,
                amount=billed_amount or amount,
                currency=billed_currency or currency,
                test=test if billed_test is None else billed_test,
            )
        )
        checkout: dict[str, Any] = {
            "transaction_type": "payment",
            "test": test,
            "order": {
                "amount": amount,
                "currency": currency,
                "description": "Order",
                "tracking_id": tracking_id,
            },
            "settings": {"notification_url": self.hook("bepaid"), "language": "en"},
        }
        if attempts:
            checkout["attempts"] = attempts
        response = self.client.post(
            "/ctp/api/checkouts", json={"checkout": checkout}, headers=CHECKOUT_HEADERS
        )
        assert response.status_code == 200, response.text
        token = response.json()["checkout"]["token"]
        self.ledger.attach_provider_ids(bill_id, token=token)
        return bill_id, token

    def pay(self, token: str, card: str) -> dict[str, Any]:
        response = self.client.post(f"/__sandbox/checkouts/{token}/pay", json={"card": card})
        assert response.status_code == 200, response.text
        return response.json()

    # -- alternative payments (beyag) ----------------------------------------------

    def apm_payment(
        self, *, amount: int = 990, currency: str = "RUB", expires_in: float | None = None
    ) -> tuple[int, str]:
        """An apm bill and its beyag transaction; returns (bill id, transaction uid).

        ``expires_in``: sandbox seconds until the payment expires (default: never).
        """
        tracking_id = unique("apm")
        bill_id = self.ledger.create_bill(
            NewBill(
                provider="begateway",
                kind="apm",
                tracking_id=tracking_id,
                amount=amount,
                currency=currency,
                test=True,
            )
        )
        request = {
            "amount": amount,
            "currency": currency,
            "description": "Order",
            "test": True,
            "tracking_id": tracking_id,
            "return_url": "https://shop.example/return",
            "notification_url": self.hook("beyag"),
            "method": {"type": "qiwi"},
        }
        if expires_in is not None:
            now = self.client.get("/__sandbox/clock").json()["timestamp"]
            expiry = datetime.fromtimestamp(now + expires_in, UTC)
            request["expired_at"] = expiry.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        response = self.client.post("/beyag/transactions/payments", json={"request": request})
        assert response.status_code in (200, 201), response.text
        uid = response.json()["transaction"]["uid"]
        self.ledger.attach_provider_ids(bill_id, provider_id=uid)
        return bill_id, uid

    def finish_apm(self, uid: str, outcome: str) -> None:
        response = self.client.post(f"/__sandbox/beyag/{uid}/pay", json={"outcome": outcome})
        assert response.status_code == 200, response.text

    # -- subscriptions ---------------------------------------------------------------

    def subscription(self, **plan: Any) -> tuple[int, str]:
        """A subscription row and its bePaid subscription; returns (console id, sbs id)."""
        tracking_id = unique("sub")
        regular = {"amount": 500, "interval": 1, "interval_unit": "day", **plan.pop("plan", {})}
        body_plan = plan_request(plan=regular, test=True, **plan)
        sub_id = self.ledger.create_subscription(
            NewSubscription(
                tracking_id=tracking_id,
                amount=regular["amount"],
                currency=body_plan["currency"],
                interval=regular["interval"],
                interval_unit=regular["interval_unit"],
                test=True,
            )
        )
        response = self.client.post(
            "/subscriptions",
            json={
                "plan": body_plan,
                "tracking_id": tracking_id,
                "notification_url": self.hook("bepaid"),
            },
        )
        assert response.status_code == 201, response.text
        sbs = response.json()["id"]
        self.ledger.attach_subscription_ids(sub_id, provider_id=sbs)
        return sub_id, sbs

    def pay_subscription(self, sbs: str, card: str) -> None:
        response = self.client.post(f"/__sandbox/subscriptions/{sbs}/pay", json={"card": card})
        assert response.status_code == 200, response.text

    def advance(self, seconds: float) -> None:
        response = self.client.post("/__sandbox/clock/advance", json={"seconds": seconds})
        assert response.status_code == 200, response.text

    # -- what the receiver recorded --------------------------------------------------

    def verdicts(self, object_type: str, object_id: int) -> list[str]:
        """Verdicts of the notifications matched to one object, oldest first."""
        return [n.verdict for n in reversed(self.ledger.notifications_of(object_type, object_id))]

    def wait_for_verdicts(
        self, object_type: str, object_id: int, count: int, timeout: float = 10.0
    ) -> list[Notification]:
        """The first ``count`` notifications of an object (oldest first), once recorded."""
        return wait_for(
            lambda: (
                (found := list(reversed(self.ledger.notifications_of(object_type, object_id))))
                and len(found) >= count
                and found
            ),
            f"{count} notification(s) for {object_type} {object_id}",
            timeout,
        )

    def delivered(self, url: str) -> list[dict[str, Any]]:
        """The sandbox's delivery records for ``url``, oldest first."""
        items = self.client.get("/__sandbox/notifications").json()["notifications"]
        return [item for item in items if item["url"] == url]


def signed_post(
    client: httpx.Client,
    url: str,
    body: bytes | dict[str, Any],
    sign: Callable[[bytes], str] | None,
    *,
    auth: tuple[str, str] | None = SHOP,
) -> httpx.Response:
    """POST ``body`` as bePaid does: HTTP Basic, and ``Content-Signature`` from ``sign``."""
    raw = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if sign is not None:
        headers["Content-Signature"] = sign(raw)
    return client.post(url, content=raw, headers=headers, auth=auth)


# -- fixtures (imported by the test modules; one sandbox, ledger and receiver per module) --


@pytest.fixture(scope="module")
def module_ledger(tmp_path_factory):
    with Ledger(tmp_path_factory.mktemp("ledger") / "ledger.db") as ledger:
        yield ledger


@pytest.fixture(scope="module")
def receiver_url(module_sandbox, module_ledger, tmp_path_factory):
    """The receiver for the module's sandbox, writing to the module's ledger."""
    settings = sandbox_settings(module_sandbox[0], tmp_path_factory.mktemp("settings"))
    with running_receiver(settings, module_ledger) as url:
        yield url


@pytest.fixture(scope="module")
def shop(module_sandbox, module_ledger, receiver_url):
    with httpx.Client(base_url=module_sandbox[0], auth=SHOP, timeout=10) as client:
        yield Shop(client, module_ledger, receiver_url)


@pytest.fixture(scope="module")
def sign(module_sandbox):
    """Signs bytes with the module sandbox's notification key, as bePaid would."""
    return module_sandbox[1].state.sandbox.notifier.signer.sign


def card_transaction(
    tracking_id: str,
    *,
    uid: str | None = None,
    status: str = "successful",
    amount: int = 1234,
    currency: str = "EUR",
    test: bool = True,
) -> dict[str, Any]:
    """A checkout's card-transaction notification, shaped as the sandbox sends it."""
    at = "2026-01-05T10:00:00Z"
    return {
        "transaction": {
            "uid": uid or f"{next(_ids)}-{tracking_id[-10:]}",
            "status": status,
            "amount": amount,
            "currency": currency,
            "description": "Order",
            "type": "payment",
            "payment_method_type": "credit_card",
            "tracking_id": tracking_id,
            "message": "Successfully processed" if status == "successful" else status,
            "test": test,
            "created_at": at,
            "updated_at": at,
            "paid_at": at if status == "successful" else None,
            "credit_card": {"last_4": "0000", "brand": "visa", "token": "card-token-1"},
        }
    }


def card_link_bill(
    ledger: Ledger, *, amount: int = 1234, currency: str = "EUR", tracking_id: str | None = None
) -> tuple[int, str]:
    """A pending card_link bill as billing leaves it; returns (bill id, tracking id)."""
    tracking_id = tracking_id or unique("order")
    bill_id = ledger.create_bill(
        NewBill(
            provider="bepaid",
            kind="card_link",
            tracking_id=tracking_id,
            amount=amount,
            currency=currency,
            test=True,
            status=BillStatus.PENDING,
        )
    )
    return bill_id, tracking_id
