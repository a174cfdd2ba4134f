"""bePaid hosted checkout (card pay links): ``/ctp/api/checkouts``.

Routes (shop HTTP Basic auth):

* ``POST /ctp/api/checkouts`` with ``{"checkout": {...}}`` →
  ``{"checkout": {"token", "redirect_url"}}``; ``redirect_url`` is
  ``{public_url}/v2/checkout?token=...``, the path of bePaid's checkout host. The API
  version comes from the ``X-API-Version: 2`` header (the doc's way) or from
  ``checkout.version`` in the body (``2.1``, as the official Ruby gem sends it, or
  ``2``); with neither the answer is 422 ``X-API-Version header must be 2``: the doc
  names no status, and 422 keeps every rejection in the one bePaid error shape.
  ``transaction_type`` is ``payment``, ``authorization`` (the money is held until
  ``POST /transactions/captures`` or ``/transactions/voids``, :mod:`operations`) or
  ``tokenization`` (the card is checked and a ``credit_card.token`` handed out; no
  money moves).
* ``GET /ctp/api/checkouts/{token}`` → ``{"checkout": {...}}`` with ``status``
  (``pending`` until concluded; ``successful``, ``failed``, ``error`` or ``expired``),
  ``finished``, ``expired``, ``message``, ``order``, ``settings``, ``customer`` and
  ``gateway_response`` (``{"payment": {uid, status, message, ...}}`` of the latest
  attempt — the key is the transaction type — ``null`` before one), ``shop_id`` as a
  JSON integer ("integer, required" in the doc). The status replicates the request, as
  documented: every ``order`` field sent (``additional_data`` included), ``settings``
  and ``customer`` come back as they were sent. Unknown token → 404.

Attempts: ``checkout.attempts`` (bePaid's parameter, default 1) is how many payment
attempts the payer has. A declined attempt with attempts left keeps the checkout
``pending`` and shows the form again; the last declined attempt finishes it
``failed`` and sends the payer to ``decline_url`` (``fail_url`` for ``error``).
Return URLs get ``token``, ``status`` and ``uid`` appended, keeping the merchant's own
query parameters, as bePaid's "accept the customer back" page describes; a missing
return URL sends the payer to the hosted page's result view. ``cancel_url`` gets
``token`` only and leaves the checkout payable.

Expiry: ``order.expired_at`` or 24 hours after creation, on the sandbox clock. A
ticker marks pending checkouts ``expired`` (and an ``incomplete`` 3-D Secure
transaction ``expired``). Each final transaction status is notified as
``{"transaction": {...}}`` to ``settings.notification_url``.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provider_sandbox.bepaid import validation as check
from provider_sandbox.bepaid.payer import (
    Notices,
    PageInfo,
    PayResult,
    flush,
    page_url,
    register_session_kind,
    with_query,
)
from provider_sandbox.bepaid.records import Source, dumps, fetch_all, fetch_one, loads
from provider_sandbox.bepaid.transactions import Charge, finish_transaction
from provider_sandbox.core import (
    Sandbox,
    iso,
    read_json,
    sandbox_of,
    shop_auth_error,
)
from provider_sandbox.errors import not_found, unprocessable

DEFAULT_LIFETIME = timedelta(hours=24)
API_VERSION = "2"
BODY_VERSIONS = ("2", "2.1")  # checkout.version, as a string or a number
TRANSACTION_TYPES = ("payment", "authorization", "tokenization")
SETTINGS_URLS = ("success_url", "decline_url", "fail_url", "cancel_url", "notification_url")

SCHEMA = """
CREATE TABLE IF NOT EXISTS bepaid_checkouts (
    token TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    expires_at REAL NOT NULL,
    attempts_used INTEGER NOT NULL DEFAULT 0,
    pending_uid TEXT,
    created_at REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bepaid_checkouts_by_status ON bepaid_checkouts (status, expires_at);
"""


class CheckoutSession:
    """A hosted checkout as a pay session (see :mod:`payer`)."""

    def __init__(self, sandbox: Sandbox, row: sqlite3.Row) -> None:
        self.sandbox = sandbox
        self.token: str = row["token"]
        self.pending_uid: str | None = row["pending_uid"]
        self.attempts_used: int = row["attempts_used"]
        self.expires_at = datetime.fromtimestamp(row["expires_at"], UTC)  # NOT NULL
        self.data: dict[str, Any] = loads(row["data"])

    @property
    def order(self) -> dict[str, Any]:
        order: dict[str, Any] = self.data["order"]
        return order

    def is_open(self, now: datetime) -> bool:
        return self.data["status"] == "pending" and now < self.expires_at

    def closed_message(self, now: datetime) -> str:
        status = self.data["status"]
        if status == "expired" or (status == "pending" and now >= self.expires_at):
            return "This payment link has expired."
        return {
            "successful": "This order has been paid.",
            "failed": "The payment was declined.",
            "error": "The payment could not be processed.",
        }.get(status, "This payment is not open.")

    def page(self, now: datetime) -> PageInfo:
        left = self.data["attempts"] - self.attempts_used
        notes = []
        if self.attempts_used and self.is_open(now):
            gateway = next(iter((self.data["gateway_response"] or {"": {}}).values()))
            notes.append(f"{gateway.get('message', 'Declined')}. Attempts left: {left}.")
        return PageInfo(
            amount=self.order["amount"],
            currency=self.order["currency"],
            description=self.order["description"],
            open=self.is_open(now),
            headline="" if self.is_open(now) else self.closed_message(now),
            notes=notes,
        )

    def charge(self) -> Charge:
        return Charge(
            amount=self.order["amount"],
            currency=self.order["currency"],
            description=self.order["description"],
            tracking_id=self.order["tracking_id"],
            test=self.data["test"],
            language=self.data["settings"].get("language"),
            customer=self.data["customer"],
            additional_data=self.data["additional_data"],
            type=self.data["transaction_type"],
            notification_url=self.data["settings"].get("notification_url"),
        )

    def hold_for_challenge(self, conn: sqlite3.Connection, transaction: dict[str, Any]) -> None:
        self.attempts_used += 1
        self.pending_uid = transaction["uid"]
        self._show(transaction)
        self._save(conn)

    def conclude(
        self, conn: sqlite3.Connection, transaction: dict[str, Any], now: datetime, notices: Notices
    ) -> PayResult:
        if transaction["uid"] != self.pending_uid:  # a challenged attempt was counted already
            self.attempts_used += 1
        self.pending_uid = None
        self._show(transaction)
        notices.append(
            (self.data["settings"].get("notification_url"), {"transaction": transaction})
        )
        status = transaction["status"]
        if status != "successful" and self.attempts_used < self.data["attempts"]:
            self._save(conn)
            return PayResult("retry", transaction=transaction, message=transaction["message"])
        self.data["status"] = status
        self.data["finished"] = True
        self._save(conn)
        url_key = {"successful": "success_url", "failed": "decline_url"}.get(status, "fail_url")
        merchant_url = self.data["settings"].get(url_key)
        if not merchant_url:
            return PayResult("redirect", page_url(self.sandbox, self.token), transaction)
        location = with_query(merchant_url, token=self.token, status=status, uid=transaction["uid"])
        return PayResult("redirect", location, transaction)

    def cancel_location(self) -> str:
        cancel_url = self.data["settings"].get("cancel_url")
        if not cancel_url:
            return page_url(self.sandbox, self.token)
        return with_query(cancel_url, token=self.token)

    def expire(self, conn: sqlite3.Connection, now: datetime, notices: Notices) -> None:
        """The payment window closed: the checkout (and a pending 3-D Secure step) expire."""
        if self.pending_uid:
            transaction = finish_transaction(conn, self.pending_uid, status="expired", at=now)
            self._show(transaction)
            notices.append(
                (self.data["settings"].get("notification_url"), {"transaction": transaction})
            )
            self.pending_uid = None
        self.data.update(status="expired", expired=True, message="Payment token expired")
        self._save(conn)

    def _show(self, transaction: dict[str, Any]) -> None:
        """Expose the latest attempt as ``gateway_response`` and ``message``."""
        kind = transaction["type"]
        self.data["gateway_response"] = {kind: dict(transaction[kind], uid=transaction["uid"])}
        self.data["message"] = transaction["message"]

    def _save(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE bepaid_checkouts SET status = ?, attempts_used = ?, pending_uid = ?, data = ? "
            "WHERE token = ?",
            (
                self.data["status"],
                self.attempts_used,
                self.pending_uid,
                dumps(self.data),
                self.token,
            ),
        )


def load_checkout(sandbox: Sandbox, source: Source, token: str) -> CheckoutSession | None:
    row = fetch_one(source, "SELECT * FROM bepaid_checkouts WHERE token = ?", (token,))
    return None if row is None else CheckoutSession(sandbox, row)


def validate_checkout(body: dict[str, Any], now: datetime) -> dict[str, Any] | Response:
    """The accepted checkout request, or the 422 response saying what is wrong."""
    errors = check.Errors()
    checkout = check.object_at(errors, ("checkout",), body.get("checkout"), required=True)
    if checkout is None:
        return errors.response()
    at = ("checkout",)
    kind = check.choice(
        errors, (*at, "transaction_type"), checkout.get("transaction_type"), TRANSACTION_TYPES
    )
    attempts = check.positive_int(
        errors, (*at, "attempts"), checkout.get("attempts"), required=False
    )
    test = check.boolean(errors, (*at, "test"), checkout.get("test"), default=False)
    order = check.object_at(errors, (*at, "order"), checkout.get("order"), required=True)
    settings = check.object_at(errors, (*at, "settings"), checkout.get("settings"), required=False)
    customer = check.object_at(errors, (*at, "customer"), checkout.get("customer"), required=False)
    extra = check.object_at(
        errors, (*at, "additional_data"), checkout.get("additional_data"), required=False
    )
    accepted_order: dict[str, Any] = {}
    if order is not None:
        path = (*at, "order")
        accepted_order = {
            **order,  # the status replicates every order field sent (additional_data...)
            "amount": check.positive_int(errors, (*path, "amount"), order.get("amount")),
            "currency": check.currency(errors, order.get("currency")),
            "description": check.text(
                errors, (*path, "description"), order.get("description"), required=True
            ),
            "tracking_id": check.text(errors, (*path, "tracking_id"), order.get("tracking_id")),
            "expired_at": check.future_moment(
                errors, (*path, "expired_at"), order.get("expired_at"), now
            ),
        }
    accepted_settings = dict(settings or {})
    for key in SETTINGS_URLS:
        accepted_settings[key] = check.url(
            errors, (*at, "settings", key), accepted_settings.get(key)
        )
    language = check.text(
        errors, (*at, "settings", "language"), accepted_settings.get("language"), limit=10
    )
    accepted_settings["language"] = language or "en"
    if errors:
        return errors.response()
    return {
        "transaction_type": kind or "payment",
        "attempts": attempts or 1,
        "test": test,
        "order": accepted_order,
        "settings": accepted_settings,
        "customer": customer or {},
        "additional_data": extra or {},
    }


async def create_checkout(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    if not _version_given(request, body):
        message = "X-API-Version header must be 2"
        return unprocessable(message, {"base": [message]})
    now = sandbox.now()
    accepted = validate_checkout(body, now)
    if isinstance(accepted, Response):
        return accepted
    token = sandbox.new_token()
    order = accepted["order"]
    expires_at = order["expired_at"] or now + DEFAULT_LIFETIME
    order["expired_at"] = iso(expires_at)
    checkout = {
        "token": token,
        "redirect_url": page_url(sandbox, token),
        "shop_id": sandbox.config.shop_id_json,
        **accepted,
        "status": "pending",
        "message": None,
        "finished": False,
        "expired": False,
        "created_at": iso(now),
        "gateway_response": None,
    }
    with sandbox.store.tx() as conn:
        conn.execute(
            "INSERT INTO bepaid_checkouts (token, status, expires_at, created_at, data) "
            "VALUES (?, ?, ?, ?, ?)",
            (token, "pending", expires_at.timestamp(), now.timestamp(), dumps(checkout)),
        )
    return JSONResponse({"checkout": {"token": token, "redirect_url": checkout["redirect_url"]}})


def _version_given(request: Request, body: dict[str, Any]) -> bool:
    """API version 2 from the ``X-API-Version`` header or ``checkout.version`` in the body."""
    if request.headers.get("x-api-version", "").strip() == API_VERSION:
        return True
    checkout = body.get("checkout")
    version = checkout.get("version") if isinstance(checkout, dict) else None
    if isinstance(version, bool) or not isinstance(version, str | int | float):
        return False
    return str(version).strip() in BODY_VERSIONS


async def get_checkout(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    session = load_checkout(sandbox, sandbox.store, request.path_params["token"])
    if session is None:
        return not_found()
    return JSONResponse({"checkout": session.data})


def expire_checkouts(sandbox: Sandbox, now: datetime) -> None:
    """Ticker: pending checkouts whose payment window has passed become ``expired``."""
    due = "SELECT * FROM bepaid_checkouts WHERE status = 'pending' AND expires_at <= ?"
    if not fetch_one(sandbox.store, due, (now.timestamp(),)):
        return  # the common case: no write transaction on every tick
    notices: Notices = []
    with sandbox.store.tx() as conn:
        for row in fetch_all(conn, due, (now.timestamp(),)):
            CheckoutSession(sandbox, row).expire(conn, now, notices)
    flush(sandbox, notices)


def state_section(sandbox: Sandbox) -> list[dict[str, Any]]:
    rows = fetch_all(sandbox.store, "SELECT data FROM bepaid_checkouts ORDER BY created_at DESC")
    return [loads(row["data"]) for row in rows]


def install(sandbox: Sandbox) -> None:
    sandbox.store.ensure_schema(SCHEMA)
    register_session_kind(load_checkout)
    sandbox.add_ticker(expire_checkouts)


routes = [
    Route("/ctp/api/checkouts", create_checkout, methods=["POST"]),
    Route("/ctp/api/checkouts/{token}", get_checkout, methods=["GET"]),
]
