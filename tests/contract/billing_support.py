"""Helpers for the billing and sync contract tests: a Billing over a real sandbox and ledger.

A :class:`Desk` is what a page would hold — settings for the sandbox, a SQLite
ledger in ``tmp_path``, a :class:`~console.billing.Billing` — plus an admin client
that acts as the payer and reads the sandbox's state, and a clock the test can
move (the creating grace period is measured on it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from console.auth import Actor, Role
from console.billing import Billing
from console.config import Settings, load_settings
from console.ledger import Ledger
from console.providers import BepaidClient, BeyagClient, PaytureClient, RetryPolicy
from tests.support.summaries import assert_summaries_match_raw

NO_FILE = "/nonexistent/secrets.toml"
CLOSED_PORT_URL = "http://127.0.0.1:9"  # notifications go nowhere (nothing listens on port 9)
APPROVED = "4200000000000000"
DECLINED = "4005550000000019"
GIFT_PRODUCT = "550e8400-e29b-41d4-a716-446655440007"  # 249900 RUB, paying yields a gift code
MONTH_PRODUCT = "550e8400-e29b-41d4-a716-446655440001"  # 99900 RUB
BYN_PRODUCT = "550e8400-e29b-41d4-a716-446655440003"  # 2990 BYN

OPERATOR = Actor("olga", Role.OPERATOR, "page:test")
SUPPORT = Actor("sam", Role.SUPPORT, "page:test")
VIEWER = Actor("vic", Role.VIEWER, "page:test")

NO_WAIT = RetryPolicy(initial_wait=0, max_wait=0, jitter=0)
# One TLS context for every client here: building one per client costs ~80 ms.
_TLS = httpx.create_ssl_context()
LEDGER_TABLES = ("bills", "subscriptions", "payments", "status_events", "audit_log")


class Clock:
    """The real time plus an offset the test moves forward; or, once :meth:`freeze`
    is called, a time that moves only when the test moves it (tests about schedules
    and budgets must not depend on how fast the machine runs)."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self.frozen: datetime | None = None

    def __call__(self) -> datetime:
        return (self.frozen or datetime.now(UTC)) + self.offset

    def freeze(self) -> None:
        self.frozen = datetime.now(UTC)

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def sandbox_settings(url: str, **env: str) -> Settings:
    """Sandbox-mode settings for the sandbox at ``url`` (``env``: more MERCHANT_CONSOLE_*)."""
    values = {
        "MERCHANT_CONSOLE_SANDBOX_URL": url,
        "MERCHANT_CONSOLE_WEBHOOKS_URL": CLOSED_PORT_URL,
        **env,
    }
    return load_settings(env=values, secrets_path=NO_FILE)


@dataclass
class Desk:
    url: str
    settings: Settings
    ledger: Ledger
    billing: Billing
    clock: Clock
    admin: httpx.Client
    bepaid: BepaidClient
    beyag: BeyagClient
    payture: PaytureClient

    # -- the payer and the sandbox ----------------------------------------------------

    def post(self, path: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
        response = self.admin.post(path, json=body or {})
        assert response.status_code == status, response.text
        return response.json()

    def pay_checkout(self, token: str, card: str = APPROVED) -> Any:
        return self.post(f"/__sandbox/checkouts/{token}/pay", {"card": card})

    def pay_subscription(self, subscription_id: str, card: str = APPROVED) -> Any:
        return self.post(f"/__sandbox/subscriptions/{subscription_id}/pay", {"card": card})

    def pay_apm(self, uid: str, outcome: str = "successful") -> Any:
        return self.post(f"/__sandbox/beyag/{uid}/pay", {"outcome": outcome})

    def pay_bill(self, bill_id: str, amount: int | None = None) -> Any:
        return self.post(
            f"/__sandbox/payture/{bill_id}/pay", {} if amount is None else {"amount": amount}
        )

    def advance_sandbox(self, **units: float) -> None:
        """Move the sandbox's clock on, and the console's with it (in sandbox mode the
        console's "now" is the sandbox's: ``console.clock``)."""
        self.post("/__sandbox/clock/advance", units)
        self.clock.advance(**units)

    def fault(self, **spec: Any) -> dict[str, Any]:
        return self.post("/__sandbox/faults", spec, status=201)

    def state(self) -> dict[str, Any]:
        response = self.admin.get("/__sandbox/state")
        assert response.status_code == 200, response.text
        return response.json()

    def provider_objects(self) -> dict[str, int]:
        """How many objects of each kind the sandbox holds."""
        state = self.state()
        bepaid = state["bepaid"]
        return {
            **{name: len(bepaid[name]) for name in ("checkouts", "transactions", "plans",
                                                    "customers", "subscriptions")},
            "beyag": len(state["beyag"]["transactions"]),
            "payture": len(state["payture"]["bills"]),
        }  # fmt: skip

    # -- the ledger ---------------------------------------------------------------------

    def ledger_rows(self) -> dict[str, int]:
        conn = self.ledger.connection()
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in LEDGER_TABLES}

    def audit_actions(self) -> list[tuple[str, str, str]]:
        """(actor, action, outcome) of every audit row, oldest first."""
        return [(a.actor, a.action, a.outcome) for a in reversed(self.ledger.recent_audit(500))]


@contextmanager
def open_desk(
    url: str,
    tmp_path: Path,
    *,
    read_timeout: float = 10.0,
    webhooks_url: str = CLOSED_PORT_URL,
    env: dict[str, str] | None = None,
    **billing_options: Any,
) -> Iterator[Desk]:
    """A Desk over the sandbox at ``url`` with a fresh ledger; closes everything after.

    The Billing gets private provider clients (their own connection pools, no
    waiting between retries) with ``read_timeout``; providers are told to notify
    ``webhooks_url`` (by default a closed port: status by polling only); ``env`` adds
    MERCHANT_CONSOLE_* settings.
    """
    settings = sandbox_settings(url, MERCHANT_CONSOLE_WEBHOOKS_URL=webhooks_url, **(env or {}))
    options = {"read_timeout": read_timeout, "connect_timeout": 2.0, "retry": NO_WAIT}
    bepaid = BepaidClient(settings.bepaid, transport=httpx.HTTPTransport(verify=_TLS), **options)
    beyag = BeyagClient(settings.bepaid, transport=httpx.HTTPTransport(verify=_TLS), **options)
    payture = PaytureClient(
        settings.payture, sandbox=True, transport=httpx.HTTPTransport(verify=_TLS), **options
    )
    clock = Clock()
    ledger = Ledger(tmp_path / "ledger.db")
    billing = Billing(
        settings, ledger, bepaid=bepaid, beyag=beyag, payture=payture, clock=clock,
        **billing_options,
    )  # fmt: skip
    with httpx.Client(base_url=url, timeout=10, verify=_TLS) as admin:
        try:
            yield Desk(url, settings, ledger, billing, clock, admin, bepaid, beyag, payture)
            # Whatever the test did through billing, the receiver, imports or refunds, the
            # report summaries the triggers kept say what the raw rows say.
            assert_summaries_match_raw(ledger)
        finally:
            for client in (bepaid, beyag, payture):
                client.close()
            ledger.close()
