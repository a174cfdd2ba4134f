"""Sandbox emulator: bePaid — hosted checkout, card transactions, plans, customers,
subscriptions with renewals, and the hosted card page with 3-D Secure.

This module only assembles the parts; each part's module docstring is its contract:

* :mod:`checkout` — ``/ctp/api/checkouts`` (pay links) and their expiry;
* :mod:`transactions` — ``/transactions/{uid}``, ``/v2/transactions/tracking_id/{id}``;
* :mod:`operations` — ``/transactions/captures``, ``/voids``, ``/refunds``;
* :mod:`plans`, :mod:`customers` — ``/plans``, ``/customers``;
* :mod:`subscription_api`, :mod:`subscriptions`, :mod:`renewals` —
  ``/subscriptions`` and how they are billed on the sandbox clock;
* :mod:`card_page` and :mod:`payer` — the hosted page ``/v2/checkout`` and
  the payer's steps; :mod:`cards` — the test cards and the card vault;
* :mod:`admin` — ``/__sandbox/...`` payer actions for tests and demos;
* :mod:`validation` — the 422 error shape and value rules.

The admin state view (``/__sandbox/state``) gets one ``bepaid`` section holding
``checkouts``, ``transactions``, ``plans``, ``customers`` and ``subscriptions``.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from provider_sandbox.bepaid import (
    admin,
    card_page,
    cards,
    checkout,
    customers,
    operations,
    payer,
    plans,
    subscription_api,
    subscriptions,
    transactions,
)
from provider_sandbox.core import Sandbox

routes: list[BaseRoute] = [
    *checkout.routes,
    *operations.routes,
    *transactions.routes,
    *plans.routes,
    *customers.routes,
    *subscription_api.routes,
    *card_page.routes,
    *admin.routes,
]


def install(sandbox: Sandbox) -> None:
    """Create this emulator's tables and register its tickers and state sections."""
    sandbox.store.ensure_schema(cards.SCHEMA + transactions.SCHEMA)
    sandbox.store.ensure_schema(subscriptions.SCHEMA)
    checkout.install(sandbox)
    plans.install(sandbox)
    customers.install(sandbox)
    payer.register_session_kind(subscriptions.load_session)
    sandbox.add_ticker(subscriptions.renew_due_subscriptions)
    sandbox.add_state_section("bepaid", state_section)


def state_section(sandbox: Sandbox) -> dict[str, Any]:
    """Everything the bePaid emulator holds, newest first, for ``/__sandbox/state``."""
    return {
        "checkouts": checkout.state_section(sandbox),
        "transactions": transactions.state_section(sandbox),
        "plans": plans.state_section(sandbox),
        "customers": customers.state_section(sandbox),
        "subscriptions": subscriptions.state_section(sandbox),
    }
