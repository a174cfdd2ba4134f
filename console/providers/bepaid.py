"""bePaid client: plans, customers, subscriptions, hosted checkout and card transactions.

Three base URLs from :class:`~console.config.BepaidSettings` (all the sandbox URL in
sandbox mode): ``api_url`` for plans, customers and subscriptions; ``checkout_url``
for ``/ctp/api/checkouts`` (sent with ``X-API-Version: 2``); ``gateway_url`` for
``/transactions`` and ``/v2/transactions/tracking_id/...``. Auth is HTTP Basic
``shop_id:secret_key`` through ``httpx.BasicAuth``.

When a create ends in :class:`~console.providers.errors.OutcomeUnknown` (the answer
was lost after the request was sent), what billing can do:

* **checkout** — look for its payments with :meth:`BepaidClient.find_transactions`
  (the order's ``tracking_id``). A checkout whose answer was lost is harmless: its
  ``redirect_url`` never reached a payer, so it cannot be paid and it expires after
  24 h. Create a new one with the same ``tracking_id``; payments show up under it.
* **subscription** — likewise unreachable for a payer without its ``redirect_url``;
  it stays ``pending``/``redirecting`` and never charges. Create it again.
* **plan / customer** — an extra unused plan or customer costs nothing;
  :meth:`list_plans` shows it (newest first) if you want to reuse it.
* **cancel** — read the subscription with :meth:`get_subscription`: ``canceled`` means
  it happened.

:class:`AsyncBepaidClient` offers the reads bulk sync needs, with the same mapping
and retry policy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from console.config import BepaidSettings
from console.errors import ConfigError
from console.providers import bepaid_wire as bw
from console.providers import wire
from console.providers.base import AsyncClientBase, ClientBase
from console.providers.errors import NotFound
from console.providers.http import Parser
from console.providers.models import (
    Checkout,
    CheckoutLink,
    Customer,
    NewCheckout,
    NewCustomer,
    NewPlan,
    NewRefund,
    Plan,
    Subscription,
    Transaction,
)
from console.providers.policy import Call, check_base_url

PROVIDER = "bePaid"
T = TypeVar("T")
CHECKOUT_HEADERS = {"X-API-Version": "2"}


def check_settings(settings: BepaidSettings) -> tuple[str, str, str]:
    """The three base URLs, after checking the settings make a usable client."""
    if not isinstance(settings, BepaidSettings):
        raise ConfigError("bePaid clients need the BepaidSettings from console.config.")
    if not settings.shop_id or not settings.secret_key:
        raise ConfigError("bePaid needs a shop id and a secret key ([bepaid] shop_id, secret_key).")
    return (
        check_base_url("[bepaid] api_url", settings.api_url),
        check_base_url("[bepaid] checkout_url", settings.checkout_url),
        check_base_url("[bepaid] gateway_url", settings.gateway_url),
    )


def shop_auth(settings: BepaidSettings) -> httpx.BasicAuth:
    return httpx.BasicAuth(settings.shop_id, settings.secret_key.reveal())


def shared_key(settings: BepaidSettings) -> tuple[str, str, Any]:
    """bePaid and beyag share one httpx.Client per shop: same host family, same auth."""
    return ("bePaid", settings.shop_id, settings.secret_key)


class Shop:
    """A bePaid shop's checked base URLs and credentials (the bePaid and beyag clients')."""

    def __init__(self, settings: BepaidSettings) -> None:
        self.api, self.checkout, self.gateway = check_settings(settings)
        self.shop_id = settings.shop_id
        self.auth = shop_auth(settings)
        self.shared_key = shared_key(settings)


class _Requests(Shop):
    """Each bePaid operation as a (Call, parser) pair, shared by the sync and async clients."""

    def get(
        self, operation: str, url: str, parse: Parser[T], **params: Any
    ) -> tuple[Call, Parser[T]]:
        for name, value in params.items():
            wire.check_count(value, name, required=False)
        query = {k: v for k, v in params.items() if v is not None} or None
        return Call(operation, "GET", url, params=query, repeatable=True), parse

    def post(
        self, operation: str, url: str, body: Any, parse: Parser[T], **extra: Any
    ) -> tuple[Call, Parser[T]]:
        return Call(operation, "POST", url, json=body, **extra), parse

    def get_checkout(self, token: str) -> tuple[Call, Parser[Checkout]]:
        url = f"{self.checkout}/ctp/api/checkouts/{wire.path_segment(token, 'token')}"
        call = Call("read checkout", "GET", url, headers=CHECKOUT_HEADERS, repeatable=True)
        return call, bw.checkout_of

    def get_transaction(self, uid: str) -> tuple[Call, Parser[Transaction]]:
        url = f"{self.gateway}/transactions/{wire.path_segment(uid, 'uid')}"
        return self.get("read transaction", url, bw.one_transaction)

    def find_transactions(self, tracking_id: str) -> tuple[Call, Parser[tuple[Transaction, ...]]]:
        segment = wire.path_segment(wire.check_tracking_id(tracking_id), "tracking_id")
        url = f"{self.gateway}/v2/transactions/tracking_id/{segment}"
        return self.get("find transactions by tracking id", url, bw.transactions)

    def get_subscription(self, subscription_id: str) -> tuple[Call, Parser[Subscription]]:
        url = f"{self.api}/subscriptions/{wire.path_segment(subscription_id, 'subscription_id')}"
        return self.get("read subscription", url, bw.subscription_of)


class BepaidClient(ClientBase[BepaidSettings, _Requests]):
    """Blocking bePaid client (one shared ``httpx.Client`` per shop per process)."""

    provider = PROVIDER
    _settings_section = "bepaid"

    def _make_requests(self, settings: BepaidSettings) -> _Requests:
        return _Requests(settings)

    def __repr__(self) -> str:
        r = self._requests
        return (
            f"BepaidClient(api_url={r.api!r}, checkout_url={r.checkout!r}, "
            f"gateway_url={r.gateway!r}, shop_id={r.shop_id!r})"
        )

    # -- plans ----------------------------------------------------------------------

    def create_plan(self, plan: NewPlan) -> Plan:
        """``POST /plans``. Raises ProviderValidationError with bePaid's field errors."""
        r = self._requests
        return self._send(r.post("create plan", f"{r.api}/plans", bw.plan_body(plan), bw.plan_of))

    def get_plan(self, plan_id: str) -> Plan:
        r = self._requests
        url = f"{r.api}/plans/{wire.path_segment(plan_id, 'plan_id')}"
        return self._send(r.get("read plan", url, bw.plan_of))

    def list_plans(self, *, page: int = 1, per_page: int = 50) -> tuple[Plan, ...]:
        """One page of plans, newest first."""
        r = self._requests
        parse = _list_of("plans", bw.plan_of)
        return self._send(
            r.get("list plans", f"{r.api}/plans", parse, page=page, per_page=per_page)
        )

    # -- customers --------------------------------------------------------------------

    def create_customer(self, customer: NewCustomer) -> Customer:
        """``POST /customers`` (bePaid requires ``email`` and ``ip``)."""
        r = self._requests
        body = bw.customer_body(customer)
        return self._send(r.post("create customer", f"{r.api}/customers", body, bw.customer_of))

    def get_customer(self, customer_id: str) -> Customer:
        r = self._requests
        url = f"{r.api}/customers/{wire.path_segment(customer_id, 'customer_id')}"
        return self._send(r.get("read customer", url, bw.customer_of))

    def list_customers(self, *, page: int = 1, per_page: int = 50) -> tuple[Customer, ...]:
        """One page of customers, newest first."""
        r = self._requests
        parse = _list_of("customers", bw.customer_of)
        url = f"{r.api}/customers"
        return self._send(r.get("list customers", url, parse, page=page, per_page=per_page))

    # -- subscriptions ----------------------------------------------------------------

    def create_subscription(
        self,
        *,
        plan: NewPlan | str,
        customer: NewCustomer | str | None = None,
        tracking_id: str | None = None,
        return_url: str | None = None,
        notification_url: str | None = None,
        language: str | None = None,
        additional_data: Mapping[str, Any] | None = None,
    ) -> Subscription:
        """``POST /subscriptions`` with the plan inline (:class:`NewPlan`) or by id.

        The answer's ``redirect_url`` is where the payer enters the card.
        """
        r = self._requests
        body = bw.subscription_body(
            plan=plan,
            customer=customer,
            tracking_id=tracking_id,
            return_url=return_url,
            notification_url=notification_url,
            language=language,
            additional_data=additional_data,
        )
        url = f"{r.api}/subscriptions"
        return self._send(
            r.post("create subscription", url, body, bw.subscription_of, tracking_id=tracking_id)
        )

    def get_subscription(self, subscription_id: str) -> Subscription:
        return self._send(self._requests.get_subscription(subscription_id))

    def cancel_subscription(self, subscription_id: str, *, reason: str) -> Subscription:
        """``POST /subscriptions/{id}/cancel`` with the required ``cancel_reason``."""
        r = self._requests
        wire.check_text(reason, "cancel_reason")
        url = (
            f"{r.api}/subscriptions/{wire.path_segment(subscription_id, 'subscription_id')}/cancel"
        )
        body = {"cancel_reason": reason}
        return self._send(r.post("cancel subscription", url, body, bw.subscription_of))

    # -- hosted checkout and card transactions ----------------------------------------

    def create_checkout(self, checkout: NewCheckout) -> CheckoutLink:
        """A card pay link: ``POST /ctp/api/checkouts`` → token and ``redirect_url``."""
        r = self._requests
        url = f"{r.checkout}/ctp/api/checkouts"
        return self._send(
            r.post(
                "create checkout",
                url,
                bw.checkout_body(checkout),
                bw.checkout_link_of,
                headers=CHECKOUT_HEADERS,
                tracking_id=checkout.tracking_id,
            )
        )

    def get_checkout(self, token: str) -> Checkout:
        return self._send(self._requests.get_checkout(token))

    def refund(self, refund: NewRefund) -> Transaction:
        """``POST /transactions/refunds``: give back ``refund.amount`` of a card payment.

        The answer is the refund transaction (``type`` ``refund``, its own ``uid``, the
        ``parent_uid``). Not repeatable: a lost answer is ``OutcomeUnknown``.
        """
        r = self._requests
        url = f"{r.gateway}/transactions/refunds"
        body = bw.refund_body(refund)
        return self._send(r.post("refund card payment", url, body, bw.one_transaction))

    def get_transaction(self, uid: str) -> Transaction:
        return self._send(self._requests.get_transaction(uid))

    def find_transactions(self, tracking_id: str) -> tuple[Transaction, ...]:
        """Card transactions with this tracking id, newest first (at most 10); () if none."""
        try:
            return self._send(self._requests.find_transactions(tracking_id))
        except NotFound:
            return ()


class AsyncBepaidClient(AsyncClientBase[BepaidSettings, _Requests]):
    """The reads bulk sync needs, over ``httpx.AsyncClient``; use ``async with``."""

    provider = PROVIDER
    _settings_section = "bepaid"

    def _make_requests(self, settings: BepaidSettings) -> _Requests:
        return _Requests(settings)

    def __repr__(self) -> str:
        r = self._requests
        return f"AsyncBepaidClient(api_url={r.api!r}, shop_id={r.shop_id!r})"

    async def get_checkout(self, token: str) -> Checkout:
        return await self._send(self._requests.get_checkout(token))

    async def get_transaction(self, uid: str) -> Transaction:
        return await self._send(self._requests.get_transaction(uid))

    async def find_transactions(self, tracking_id: str) -> tuple[Transaction, ...]:
        try:
            return await self._send(self._requests.find_transactions(tracking_id))
        except NotFound:
            return ()

    async def get_subscription(self, subscription_id: str) -> Subscription:
        return await self._send(self._requests.get_subscription(subscription_id))


def _list_of(key: str, read: Callable[[Any], T]) -> Parser[tuple[T, ...]]:
    return lambda body: bw.listing(body, key, read)
