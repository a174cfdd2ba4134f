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

from typing import Any

from console.config import BepaidSettings
from console.providers import wire
from console.providers.base import AsyncClientBase, ClientBase
from console.providers.bepaid import Shop
from console.providers.bepaid_wire import attempt_facts, transaction_fields
from console.providers.errors import NotFound
from console.providers.http import Parser
from console.providers.models import BeyagPayment, FormField, NewApmPayment, NewRefund, PayForm
from console.providers.policy import Call

PROVIDER = "bePaid"  # beGateway is the platform; merchants know the shop as bePaid


def payment_body(payment: NewApmPayment) -> dict[str, Any]:
    """``{"request": {...}}`` for ``POST /beyag/transactions/payments``."""
    wire.check_text(payment.description, "description")
    wire.check_text(payment.method_type, "method_type")
    wire.check_text(payment.return_url, "return_url")
    request = wire.compact(
        {
            "amount": wire.check_amount(payment.amount),
            "currency": wire.check_currency(payment.currency),
            "description": payment.description,
            "test": bool(payment.test),
            "expired_at": wire.iso(payment.expires_at),
            "tracking_id": wire.check_tracking_id(payment.tracking_id),
            "ip": payment.ip,
            "language": payment.language,
            "notification_url": payment.notification_url,
            "return_url": payment.return_url,
            "customer": dict(payment.customer) if payment.customer else None,
            "method": {"type": payment.method_type, "token": payment.method_token},
        }
    )
    return {"request": request}


def refund_body(refund: NewRefund) -> dict[str, Any]:
    """``POST /beyag/transactions/refunds`` body (docs.bepaid.by apm_api/transactions/refund)."""
    request = wire.compact(
        {
            "parent_uid": wire.check_text(refund.parent_uid, "parent_uid"),
            "amount": wire.check_amount(refund.amount),
            "reason": wire.check_text(refund.reason, "reason"),
            "tracking_id": wire.check_tracking_id(refund.tracking_id),
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
    return BeyagPayment(
        **transaction_fields(tx, "beyag"),
        facts=attempt_facts(tx),
        method_type=wire.opt_text(tx, "method_type"),
        receipt_url=wire.opt_text(tx, "receipt_url"),
        form=form_of(tx.get("form")),
        expired_at=wire.timestamp(tx.get("expired_at")),
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


class _Requests(Shop):
    def get_payment(self, uid: str) -> tuple[Call, Parser[BeyagPayment]]:
        url = f"{self.gateway}/beyag/transactions/{wire.path_segment(uid, 'uid')}"
        return Call("read alternative payment", "GET", url, repeatable=True), one_payment

    def find_payments(self, tracking_id: str) -> tuple[Call, Parser[tuple[BeyagPayment, ...]]]:
        segment = wire.path_segment(wire.check_tracking_id(tracking_id), "tracking_id")
        url = f"{self.gateway}/beyag/transactions/tracking_id/{segment}"
        return Call(
            "find alternative payments by tracking id", "GET", url, repeatable=True
        ), payments


class BeyagClient(ClientBase[BepaidSettings, _Requests]):
    """Blocking beGateway alternative-payments client."""

    provider = PROVIDER
    _settings_section = "bepaid"

    def _make_requests(self, settings: BepaidSettings) -> _Requests:
        return _Requests(settings)

    def __repr__(self) -> str:
        r = self._requests
        return f"BeyagClient(gateway_url={r.gateway!r}, shop_id={r.shop_id!r})"

    def create_payment(self, payment: NewApmPayment) -> BeyagPayment:
        """Create a payment; its ``form`` is what the payer submits to the payment system."""
        url = f"{self._requests.gateway}/beyag/transactions/payments"
        call = Call(
            "create alternative payment",
            "POST",
            url,
            json=payment_body(payment),
            tracking_id=payment.tracking_id,
        )
        return self._sender.send(call, one_payment)

    def get_payment(self, uid: str) -> BeyagPayment:
        return self._send(self._requests.get_payment(uid))

    def refund(self, refund: NewRefund) -> BeyagPayment:
        """``POST /beyag/transactions/refunds``: give back part or all of an APM payment
        (not every payment method supports it; the gateway says so with a 422). Not
        repeatable: a lost answer is ``OutcomeUnknown``."""
        url = f"{self._requests.gateway}/beyag/transactions/refunds"
        call = Call(
            "refund alternative payment",
            "POST",
            url,
            json=refund_body(refund),
            tracking_id=refund.tracking_id,
        )
        return self._sender.send(call, one_payment)

    def find_payments(self, tracking_id: str) -> tuple[BeyagPayment, ...]:
        """Payments with this tracking id, newest first (at most 10); () if none."""
        try:
            return self._send(self._requests.find_payments(tracking_id))
        except NotFound:
            return ()


class AsyncBeyagClient(AsyncClientBase[BepaidSettings, _Requests]):
    """Async reads of beyag payments for bulk sync; use ``async with``."""

    provider = PROVIDER
    _settings_section = "bepaid"

    def _make_requests(self, settings: BepaidSettings) -> _Requests:
        return _Requests(settings)

    def __repr__(self) -> str:
        r = self._requests
        return f"AsyncBeyagClient(gateway_url={r.gateway!r}, shop_id={r.shop_id!r})"

    async def get_payment(self, uid: str) -> BeyagPayment:
        return await self._send(self._requests.get_payment(uid))

    async def find_payments(self, tracking_id: str) -> tuple[BeyagPayment, ...]:
        try:
            return await self._send(self._requests.find_payments(tracking_id))
        except NotFound:
            return ()
