"""beGateway alternative payments ("beyag"): create, read by uid, find by tracking id.

``POST {gateway_url}/beyag/transactions/payments`` with ``{"request": {...}}``
(provider-docs/begateway-apm-payments.ru.txt) answers ``{"transaction": {...}}``;
while it waits for the payer the transaction carries ``form`` — the HTML form
(``action``, ``method``, hidden ``fields``) that sends the payer to the payment
system, returned here as :class:`~console.providers.models.PayForm` (billing's
``payform`` renders it, escaped, with a submit button of our own).

Same shop and HTTP Basic credentials as bePaid (:class:`~console.config.BepaidSettings`);
the blocking client shares bePaid's ``httpx.Client``.

After :class:`~console.providers.errors.OutcomeUnknown` on a create, billing calls
:meth:`BeyagClient.find_payments` with the request's ``tracking_id``: the gateway
keeps every transaction it created under it, form included while pending, so the
lost answer can be recovered instead of creating a second payment. That is why
:meth:`BeyagClient.create_payment` asks for a tracking id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from console.config import BepaidSettings, Settings
from console.providers import wire
from console.providers.base import AsyncClientBase, ClientBase, bepaid_settings, timeouts_of
from console.providers.bepaid import check_settings, shared_key, shop_auth
from console.providers.errors import NotFound
from console.providers.http import Parser
from console.providers.models import BeyagPayment, FormField, PayForm
from console.providers.policy import Call, RetryPolicy
from console.status import BillStatus

PROVIDER = "bePaid"  # beGateway is the platform; merchants know the shop as bePaid


def payment_body(
    *,
    amount: int,
    currency: str,
    description: str,
    method_type: str,
    return_url: str,
    tracking_id: str | None,
    expires_at: datetime | None,
    test: bool,
    ip: str | None,
    language: str | None,
    notification_url: str | None,
    customer: Mapping[str, Any] | None,
    method_token: str | None,
) -> dict[str, Any]:
    """``{"request": {...}}`` for ``POST /beyag/transactions/payments``."""
    wire.check_text(description, "description")
    wire.check_text(method_type, "method_type")
    wire.check_text(return_url, "return_url")
    request = wire.compact(
        {
            "amount": wire.check_amount(amount),
            "currency": wire.check_currency(currency),
            "description": description,
            "test": bool(test),
            "expired_at": wire.iso(expires_at),
            "tracking_id": wire.check_tracking_id(tracking_id),
            "ip": ip,
            "language": language,
            "notification_url": notification_url,
            "return_url": return_url,
            "customer": dict(customer) if customer else None,
            "method": {"type": method_type, "token": method_token},
        }
    )
    return {"request": request}


def form_of(data: Any) -> PayForm | None:
    if not isinstance(data, dict) or not data.get("action"):
        return None
    fields = []
    for item in data.get("fields") or []:
        if not isinstance(item, dict) or not item.get("name"):
            continue
        value = item.get("value")
        fields.append(
            FormField(
                type=wire.opt_text(item, "type") or "hidden",
                name=str(item["name"]),
                id=wire.opt_text(item, "id"),
                value="" if value is None else str(value),
            )
        )
    return PayForm(
        action=wire.text(data, "action"),
        method=(wire.opt_text(data, "method") or "POST").upper(),
        fields=tuple(fields),
    )


def payment_of(data: Any) -> BeyagPayment:
    tx = wire.obj(data, "the transaction")
    native = wire.text(tx, "status")
    status = wire.status_of("beyag", native)
    return BeyagPayment(
        uid=wire.text(tx, "uid"),
        status=status if isinstance(status, BillStatus) else None,
        native_status=native,
        type=wire.opt_text(tx, "type"),
        amount=wire.whole(tx.get("amount"), "amount"),
        currency=wire.currency_of(tx),
        description=wire.opt_text(tx, "description"),
        tracking_id=wire.opt_text(tx, "tracking_id"),
        method_type=wire.opt_text(tx, "method_type"),
        message=wire.opt_text(tx, "message"),
        test=wire.flag(tx, "test"),
        receipt_url=wire.opt_text(tx, "receipt_url"),
        form=form_of(tx.get("form")),
        created_at=wire.timestamp(tx.get("created_at")),
        paid_at=wire.timestamp(tx.get("paid_at")),
        expired_at=wire.timestamp(tx.get("expired_at")),
        raw=tx,
    )


def one_payment(body: Any) -> BeyagPayment:
    return payment_of(wire.section(body, "transaction"))


def payments(body: Any) -> tuple[BeyagPayment, ...]:
    """``{"transactions": [...]}`` (or a lone ``{"transaction"}``), as the gateway orders them."""
    if isinstance(body, dict) and isinstance(body.get("transaction"), dict):
        return (payment_of(body["transaction"]),)
    items = body.get("transactions") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise wire.MalformedAnswer("the answer has no transactions list")
    return tuple(payment_of(item) for item in items)


class _Requests:
    def __init__(self, settings: BepaidSettings) -> None:
        _, _, self.gateway = check_settings(settings)

    def get_payment(self, uid: str) -> tuple[Call, Parser]:
        url = f"{self.gateway}/beyag/transactions/{wire.path_segment(uid, 'uid')}"
        return Call("read alternative payment", "GET", url, repeatable=True), one_payment

    def find_payments(self, tracking_id: str) -> tuple[Call, Parser]:
        segment = wire.path_segment(wire.check_tracking_id(tracking_id), "tracking_id")
        url = f"{self.gateway}/beyag/transactions/tracking_id/{segment}"
        return Call(
            "find alternative payments by tracking id", "GET", url, repeatable=True
        ), payments


class BeyagClient(ClientBase):
    """Blocking beGateway alternative-payments client."""

    provider = PROVIDER

    def __init__(
        self,
        settings: BepaidSettings,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._requests = _Requests(settings)
        self._shop_id = settings.shop_id
        super().__init__(
            key=shared_key(settings),
            auth=shop_auth(settings),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry=retry,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> BeyagClient:
        """A client for the console's settings (its bePaid section and timeouts)."""
        return cls(bepaid_settings(settings), **timeouts_of(settings), **options)

    def __repr__(self) -> str:
        return f"BeyagClient(gateway_url={self._requests.gateway!r}, shop_id={self._shop_id!r})"

    def create_payment(
        self,
        *,
        amount: int,
        currency: str,
        description: str,
        method_type: str,
        return_url: str,
        tracking_id: str | None,
        expires_at: datetime | None = None,
        test: bool = False,
        ip: str | None = None,
        language: str | None = None,
        notification_url: str | None = None,
        customer: Mapping[str, Any] | None = None,
        method_token: str | None = None,
    ) -> BeyagPayment:
        """Create a payment; its ``form`` is what the payer submits to the payment system.

        ``tracking_id`` is required as a keyword (``None`` is allowed) so that callers
        decide consciously: without one, a lost answer cannot be recovered.
        """
        body = payment_body(
            amount=amount,
            currency=currency,
            description=description,
            method_type=method_type,
            return_url=return_url,
            tracking_id=tracking_id,
            expires_at=expires_at,
            test=test,
            ip=ip,
            language=language,
            notification_url=notification_url,
            customer=customer,
            method_token=method_token,
        )
        url = f"{self._requests.gateway}/beyag/transactions/payments"
        call = Call("create alternative payment", "POST", url, json=body, tracking_id=tracking_id)
        return self._sender.send(call, one_payment)

    def get_payment(self, uid: str) -> BeyagPayment:
        return self._sender.send(*self._requests.get_payment(uid))

    def find_payments(self, tracking_id: str) -> tuple[BeyagPayment, ...]:
        """Payments with this tracking id, newest first (at most 10); () if none."""
        try:
            return self._sender.send(*self._requests.find_payments(tracking_id))
        except NotFound:
            return ()


class AsyncBeyagClient(AsyncClientBase):
    """Async reads of beyag payments for bulk sync; use ``async with``."""

    provider = PROVIDER

    def __init__(
        self,
        settings: BepaidSettings,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        self._requests = _Requests(settings)
        self._shop_id = settings.shop_id
        super().__init__(
            auth=shop_auth(settings),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry=retry,
            transport=transport,
            limits=limits,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> AsyncBeyagClient:
        """A client for the console's settings (its bePaid section and timeouts)."""
        return cls(bepaid_settings(settings), **timeouts_of(settings), **options)

    def __repr__(self) -> str:
        return (
            f"AsyncBeyagClient(gateway_url={self._requests.gateway!r}, shop_id={self._shop_id!r})"
        )

    async def get_payment(self, uid: str) -> BeyagPayment:
        return await self._sender.send(*self._requests.get_payment(uid))

    async def find_payments(self, tracking_id: str) -> tuple[BeyagPayment, ...]:
        try:
            return await self._sender.send(*self._requests.find_payments(tracking_id))
        except NotFound:
            return ()
