"""Payture bills through behind-api: billCreate, billCreateUnauthorised, billStatus.

``POST {base_url}/api/payments/20/payture/<method>`` with a JSON body that carries
``access_token`` (provider-docs/payture-bills-behind-api-client.txt). Answers are
``{"success": true, "data": {...}}`` or ``{"success": false, "message": "..."}`` —
usually with HTTP 200, so :func:`behind_api_failure` reads the envelope and the
message decides the error class (:func:`~console.providers.errors.behind_api_status`:
``... can not be empty`` / ``Invalid ...`` → ProviderValidationError, ``... not
found`` → NotFound, access-token messages → AuthenticationFailed). Real HTTP errors
(401 for a bad token) map by status as everywhere. One exception to the envelope: an
``AMOUNT_MISMATCH`` bill answers ``success: false`` *with* ``data`` — that is a
status, returned as such, not an error.

``billStatus`` is a POST that only reads, so it is retried like a GET.

The access token never leaves the request body: logged bodies are scrubbed and
errors never include request bodies.

After :class:`~console.providers.errors.OutcomeUnknown` on a create there is nothing
to look the bill up by (behind-api has no tracking id and no list call). What billing
can do: record the attempt as unresolved and create a new bill. That is safe for
money: a bill can only be paid through its ``payUrl``, and the lost answer's
``payUrl`` never reached anyone, so the orphan stays PENDING and unpaid.

The product catalogue (:meth:`PaytureClient.list_products`) exists only in the
built-in sandbox (``GET /__sandbox/payture/products``); against a live host it raises
:class:`~console.providers.errors.SandboxOnlyOperation` without sending anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from console.config import PaytureSettings, Settings
from console.errors import ConfigError
from console.providers import wire
from console.providers.base import AsyncClientBase, ClientBase, timeouts_of
from console.providers.errors import NotFound, SandboxOnlyOperation, behind_api_status
from console.providers.http import Parser
from console.providers.models import BillExtras, PaytureBill, PaytureBillStatus, Product
from console.providers.policy import Call, RetryPolicy, check_base_url
from console.status import BillStatus

PROVIDER = "Payture"
API_PATH = "/api/payments/20/payture"
PRODUCTS_PATH = "/__sandbox/payture/products"

#: BillExtras attribute -> behind-api ``extended`` key (the doc's camelCase names).
EXTENDED_KEYS = {
    "page_id": "pageId",
    "gift_recipient": "giftRecipient",
    "gift_message": "giftMessage",
    "campaign": "campaign",
    "source": "source",
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "utm_term": "utm_term",
    "utm_content": "utm_content",
}


def behind_api_failure(body: Any) -> tuple[int, str | None] | None:
    """``(status it stands for, message)`` for ``success: false``; ``None`` otherwise."""
    if not isinstance(body, dict) or body.get("success") is not False:
        return None
    data = body.get("data")
    if isinstance(data, dict) and data.get("status"):
        return None  # AMOUNT_MISMATCH: a status answer in a failure envelope
    message = body.get("message")
    message = str(message) if message else None
    return behind_api_status(message), message


def extended_of(extras: BillExtras | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ``extended`` object: BillExtras under behind-api's key names, or a mapping as is."""
    if extras is None:
        return None
    if isinstance(extras, Mapping):
        return dict(extras) or None
    if not isinstance(extras, BillExtras):
        raise TypeError("extended must be BillExtras or a mapping")
    data = {
        EXTENDED_KEYS[f.name]: getattr(extras, f.name)
        for f in fields(extras)
        if f.name in EXTENDED_KEYS
    }
    return wire.compact({**data, **extras.other}) or None


def _data(body: Any) -> dict[str, Any]:
    return wire.obj(wire.obj(body, "the answer").get("data"), "the answer's data")


def bill_of(body: Any) -> PaytureBill:
    data = _data(body)
    bill = wire.obj(data.get("bill"), "the answer's bill")
    pay_url = wire.text(bill, "payUrl")
    session = parse_qs(urlsplit(pay_url).query).get("SessionId")
    return PaytureBill(
        bill_id=wire.text(data, "bill_id"),
        pay_url=pay_url,
        session_id=session[0] if session else None,
        raw=data,
    )


def bill_status_of(bill_id: str) -> Parser[PaytureBillStatus]:
    def parse(body: Any) -> PaytureBillStatus:
        data = _data(body)
        info = wire.inner(data, "bill_info")
        native = wire.text(data, "status")
        gift = wire.inner(info, "gift")
        status = wire.status_of("payture", native)
        return PaytureBillStatus(
            bill_id=bill_id,
            status=status if isinstance(status, BillStatus) else None,
            native_status=native,
            bill_status=wire.opt_text(info, "bill_status"),
            amount=wire.opt_int(info, "amount"),
            currency=wire.opt_currency(info) or wire.opt_currency(data),
            gift_code=wire.opt_text(gift, "code"),
            raw=data,
        )

    return parse


def products_of(body: Any) -> tuple[Product, ...]:
    items = body.get("products") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise wire.MalformedAnswer("the answer has no products list")
    out = []
    for item in items:
        product = wire.obj(item, "a product")
        out.append(
            Product(
                id=wire.text(product, "id"),
                title=wire.opt_text(product, "title") or "",
                amount=wire.whole(product.get("price", product.get("amount")), "price"),
                currency=wire.currency_of(product),
                kind=wire.opt_text(product, "kind"),
                raw=product,
            )
        )
    return tuple(out)


class _Requests:
    def __init__(self, settings: PaytureSettings) -> None:
        if not isinstance(settings, PaytureSettings):
            raise ConfigError("Payture clients need the PaytureSettings from console.config.")
        if not settings.access_token:
            raise ConfigError("Payture needs an access token ([payture] access_token).")
        self.base = check_base_url("[payture] base_url", settings.base_url)
        self._token = settings.access_token
        self.auth = None  # the access token travels in each request body
        self.shared_key = ("Payture", self.base)

    def call(self, method: str, operation: str, body: dict[str, Any], **extra: Any) -> Call:
        payload = {"access_token": self._token.reveal(), **body}
        return Call(operation, "POST", f"{self.base}{API_PATH}/{method}", json=payload, **extra)

    def bill_status(self, bill_id: str) -> tuple[Call, Parser[PaytureBillStatus]]:
        # behind-api checks bill_id itself (``bill_id can not be empty``); we only
        # insist on text so the request is not nonsense.
        if not isinstance(bill_id, str):
            raise TypeError("bill_id must be text")
        call = self.call("billStatus", "read bill status", {"bill_id": bill_id}, repeatable=True)
        return call, bill_status_of(bill_id)


class PaytureClient(ClientBase[PaytureSettings, _Requests]):
    """Blocking Payture (behind-api) client."""

    provider = PROVIDER
    envelope = behind_api_failure
    _settings_section = "payture"

    def _make_requests(self, settings: PaytureSettings) -> _Requests:
        return _Requests(settings)

    def __init__(
        self,
        settings: PaytureSettings,
        *,
        sandbox: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.sandbox = bool(sandbox)
        super().__init__(
            settings,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry=retry,
            transport=transport,
        )

    @classmethod
    def _options_of(cls, settings: Settings) -> dict[str, Any]:
        """Timeouts and sandbox mode: ``from_settings`` is what billing uses."""
        return {"sandbox": settings.is_sandbox, **timeouts_of(settings)}

    def __repr__(self) -> str:
        return f"PaytureClient(base_url={self._requests.base!r}, sandbox={self.sandbox!r})"

    def bill_create(self, subscription_id: str) -> PaytureBill:
        """billCreate: a bill for the user behind the access token."""
        body = {"subscription_id": subscription_id}
        call = self._requests.call("billCreate", "create bill", body)
        return self._sender.send(call, bill_of)

    def bill_create_unauthorised(
        self,
        subscription_id: str,
        user_id: str,
        *,
        redirect_url: str | None = None,
        extended: BillExtras | Mapping[str, Any] | None = None,
    ) -> PaytureBill:
        """billCreateUnauthorised: a guest bill, with the payer's return URL and extra data."""
        body = wire.compact(
            {
                "subscription_id": subscription_id,
                "user_id": user_id,
                "redirect_url": redirect_url,
                "extended": extended_of(extended),
            }
        )
        call = self._requests.call("billCreateUnauthorised", "create bill", body)
        return self._sender.send(call, bill_of)

    def bill_status(self, bill_id: str) -> PaytureBillStatus:
        """billStatus: PENDING, PAID, DONE or AMOUNT_MISMATCH, with the gift code if any."""
        return self._send(self._requests.bill_status(bill_id))

    def list_products(self) -> tuple[Product, ...]:
        """The sandbox's product catalogue (what ``subscription_id`` can name).

        Raises:
            SandboxOnlyOperation: the client points at a live host (nothing is sent),
                or the host has no such route.
        """
        if not self.sandbox:
            raise SandboxOnlyOperation(
                "The product catalogue is a sandbox-only route; live behind-api has none.",
                provider=PROVIDER,
                operation="list products",
            )
        url = f"{self._requests.base}{PRODUCTS_PATH}"
        try:
            return self._sender.send(
                Call("list products", "GET", url, repeatable=True), products_of
            )
        except NotFound:
            raise SandboxOnlyOperation(
                f"GET {PRODUCTS_PATH} is not offered by this host; is it the sandbox?",
                provider=PROVIDER,
                operation="list products",
            ) from None


class AsyncPaytureClient(AsyncClientBase[PaytureSettings, _Requests]):
    """Async billStatus for bulk sync; use ``async with``."""

    provider = PROVIDER
    envelope = behind_api_failure
    _settings_section = "payture"

    def _make_requests(self, settings: PaytureSettings) -> _Requests:
        return _Requests(settings)

    def __repr__(self) -> str:
        return f"AsyncPaytureClient(base_url={self._requests.base!r})"

    async def bill_status(self, bill_id: str) -> PaytureBillStatus:
        return await self._send(self._requests.bill_status(bill_id))
