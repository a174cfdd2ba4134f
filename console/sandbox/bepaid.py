"""Sandbox emulator: bePaid — hosted checkout, card transactions, plans, customers,
subscriptions with renewals, and the hosted card page with 3-D Secure.

This module only assembles the parts; each part's module docstring is its contract:

* :mod:`bepaid_checkout` — ``/ctp/api/checkouts`` (pay links) and their expiry;
* :mod:`bepaid_transactions` — ``/transactions/{uid}``, ``/v2/transactions/tracking_id/{id}``;
* :mod:`bepaid_plans`, :mod:`bepaid_customers` — ``/plans``, ``/customers``;
* :mod:`bepaid_subscription_api`, :mod:`bepaid_subscriptions`, :mod:`bepaid_renewals` —
  ``/subscriptions`` and how they are billed on the sandbox clock;
* :mod:`card_page` and :mod:`bepaid_payer` — the hosted page ``/v2/checkout`` and
  the payer's steps; :mod:`bepaid_cards` — the test cards and the card vault;
* :mod:`bepaid_admin` — ``/__sandbox/...`` payer actions for tests and demos;
* :mod:`bepaid_validation` — the 422 error shape and value rules.

The admin state view (``/__sandbox/state``) gets one ``bepaid`` section holding
``checkouts``, ``transactions``, ``plans``, ``customers`` and ``subscriptions``.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from console.sandbox import (
    bepaid_admin,
    bepaid_cards,
    bepaid_checkout,
    bepaid_customers,
    bepaid_payer,
    bepaid_plans,
    bepaid_subscription_api,
    bepaid_subscriptions,
    bepaid_transactions,
    card_page,
)
from console.sandbox.core import Sandbox

routes: list[BaseRoute] = [
    *bepaid_checkout.routes,
    *bepaid_transactions.routes,
    *bepaid_plans.routes,
    *bepaid_customers.routes,
    *bepaid_subscription_api.routes,
    *card_page.routes,
    *bepaid_admin.routes,
]


def install(sandbox: Sandbox) -> None:
    """Create this emulator's tables and register its tickers and state sections."""
    sandbox.store.ensure_schema(bepaid_cards.SCHEMA + bepaid_transactions.SCHEMA)
    sandbox.store.ensure_schema(bepaid_subscriptions.SCHEMA)
    bepaid_checkout.install(sandbox)
    bepaid_plans.install(sandbox)
    bepaid_customers.install(sandbox)
    bepaid_payer.register_session_kind(bepaid_subscriptions.load_session)
    sandbox.add_ticker(bepaid_subscriptions.renew_due_subscriptions)
    sandbox.add_state_section("bepaid", state_section)


def state_section(sandbox: Sandbox) -> dict[str, Any]:
    """Everything the bePaid emulator holds, newest first, for ``/__sandbox/state``."""
    return {
        "checkouts": bepaid_checkout.state_section(sandbox),
        "transactions": bepaid_transactions.state_section(sandbox),
        "plans": bepaid_plans.state_section(sandbox),
        "customers": bepaid_customers.state_section(sandbox),
        "subscriptions": bepaid_subscriptions.state_section(sandbox),
    }
