"""beGateway alternative payments: refunds.

The doc: docs.bepaid.by/en/integration/apm_api/transactions/refund.

``POST /beyag/transactions/refunds`` ``{"request": {parent_uid, reason, amount?,
tracking_id?, currency?}}`` (shop HTTP Basic auth) → 200 ``{"transaction": {uid,
parent_uid, type: "refund", status: "successful", message, amount, currency,
tracking_id, reason, method_type, test, created_at, updated_at}}``.

Rules (documented: parent_uid and reason required, amount in minor units, tracking_id
may hold several ``;``-separated ids; inferred where the doc is silent):

* the parent is a ``successful`` payment (pending, failed or expired → 422 ``base``);
* ``amount`` defaults to what remains unrefunded and may not exceed it; several partial
  refunds are allowed; a ``currency`` that is sent must be the payment's;
* ``reason`` at most 255 characters; ``tracking_id`` defaults to the payment's;
* not every payment method can refund — "the gateway says so": in the sandbox
  :data:`REFUNDABLE_METHODS` can, any other method answers 422
  ``{"message": "Refunds are not supported by the <type> payment method",
  "errors": {"base": [...]}}``;
* an unknown parent is 422 ``{"parent_uid": ["not found"]}``, as on the card gateway.

A refund is found by ``GET /beyag/transactions/{uid}`` and in tracking-id lists, and
is notified (signed like every notification) to the payment's ``notification_url``.
There is no duplicate check: the APM doc documents none.

Sandbox-only: ``GET /__sandbox/beyag/{uid}/refunds`` → ``{"refunds": [...]}``, oldest first.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from provider_sandbox.core import Sandbox, iso, read_json, sandbox_of, shop_auth_error
from provider_sandbox.errors import unprocessable

#: Payment methods whose sandbox "payment system" accepts refunds.
REFUNDABLE_METHODS = ("demo", "erip", ":method_name")
MAX_REASON = 255
MAX_TRACKING_ID = 255

SCHEMA = """
CREATE TABLE IF NOT EXISTS beyag_refunds (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    parent_uid TEXT NOT NULL,
    amount INTEGER NOT NULL,
    tracking_id TEXT,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS beyag_refunds_by_parent ON beyag_refunds (parent_uid);
CREATE INDEX IF NOT EXISTS beyag_refunds_by_tracking_id ON beyag_refunds (tracking_id);
"""


def _refused(field: str, message: str, sentence: str | None = None) -> JSONResponse:
    return unprocessable(
        sentence or f"{field.replace('_', ' ').capitalize()} {message}", {field: [message]}
    )


def _base(message: str) -> JSONResponse:
    return unprocessable(message, {"base": [message]})


def _fields(body: dict[str, Any]) -> dict[str, Any] | JSONResponse:
    request = body.get("request")
    if not isinstance(request, dict):
        return _refused("request", "can't be blank" if request is None else "must be an object")
    parent_uid = request.get("parent_uid")
    if not isinstance(parent_uid, str) or not parent_uid.strip():
        return _refused("parent_uid", "can't be blank")
    reason = request.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        return _refused("reason", "can't be blank")
    if len(reason) > MAX_REASON:
        return _refused("reason", f"is too long (maximum is {MAX_REASON} characters)")
    amount = request.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        return _refused("amount", "must be an integer")
    if amount is not None and amount <= 0:
        return _refused("amount", "must be greater than 0")
    tracking_id = request.get("tracking_id")
    if tracking_id is not None and (
        not isinstance(tracking_id, str) or len(tracking_id) > MAX_TRACKING_ID
    ):
        return _refused("tracking_id", f"must be text of at most {MAX_TRACKING_ID} characters")
    return {
        "parent_uid": parent_uid,
        "reason": reason,
        "amount": amount,
        "tracking_id": tracking_id,
        "currency": request.get("currency"),
    }


def _refunded(conn: sqlite3.Connection, parent_uid: str) -> int:
    row = conn.execute(
        "SELECT coalesce(sum(amount), 0) FROM beyag_refunds WHERE parent_uid = ?", (parent_uid,)
    ).fetchone()
    return int(row[0])


def refund(
    sandbox: Sandbox, fields: dict[str, Any]
) -> tuple[dict[str, Any], str | None] | JSONResponse:
    """Check and record a refund: (the refund, where to notify it), or the 422 answer."""
    now = iso(sandbox.now())
    with sandbox.store.tx() as conn:
        parent = conn.execute(
            "SELECT * FROM beyag_transactions WHERE uid = ?", (fields["parent_uid"],)
        ).fetchone()
        if parent is None:
            return _refused("parent_uid", "not found")
        payment = json.loads(parent["request"])
        method_type = payment["method"]["type"]
        if method_type not in REFUNDABLE_METHODS:
            return _base(f"Refunds are not supported by the {method_type} payment method")
        if parent["status"] != "successful":
            return _base(
                f"The refund is only possible for a successful payment: this payment is "
                f"{parent['status']}"
            )
        currency = fields["currency"]
        if currency is not None and (
            not isinstance(currency, str) or currency.strip().upper() != payment["currency"]
        ):
            return _base(f"Currency must be {payment['currency']}, the currency of the payment")
        remaining = payment["amount"] - _refunded(conn, parent["uid"])
        amount = fields["amount"] if fields["amount"] is not None else remaining
        if remaining <= 0:
            return _base("The payment is already refunded in full")
        if amount > remaining:
            return _refused(
                "amount", f"must be less than or equal to {remaining}, the amount not yet refunded"
            )
        tracking_id = fields["tracking_id"] or parent["tracking_id"]
        created = {
            "uid": sandbox.new_uuid(),
            "parent_uid": parent["uid"],
            "type": "refund",
            "status": "successful",
            "message": "Successfully processed",
            "amount": amount,
            "currency": payment["currency"],
            "description": payment.get("description"),
            "tracking_id": tracking_id,
            "reason": fields["reason"],
            "method_type": method_type,
            "test": bool(payment.get("test", False)),
            "created_at": now,
            "updated_at": now,
        }
        conn.execute(
            "INSERT INTO beyag_refunds (uid, parent_uid, amount, tracking_id, created_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (created["uid"], parent["uid"], amount, tracking_id, now, json.dumps(created)),
        )
    return created, payment.get("notification_url")


async def create_refund(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    fields = _fields(body)
    if isinstance(fields, Response):
        return fields
    done = refund(sandbox, fields)
    if isinstance(done, Response):
        return done
    created, url = done
    sandbox.notify(url, {"transaction": created})
    return JSONResponse({"transaction": created})


def load_refund(sandbox: Sandbox, uid: str) -> dict[str, Any] | None:
    row = sandbox.store.one("SELECT data FROM beyag_refunds WHERE uid = ?", (uid,))
    return None if row is None else json.loads(row["data"])


def refunds_by_tracking_id(
    sandbox: Sandbox, tracking_id: str, pattern: str
) -> list[dict[str, Any]]:
    """Refunds whose tracking id is ``tracking_id`` or holds it among ``;``-separated ids."""
    rows = sandbox.store.query(
        "SELECT data FROM beyag_refunds WHERE tracking_id = :id "
        "OR ';' || tracking_id || ';' LIKE '%;' || :pattern || ';%' ESCAPE '\\' "
        "ORDER BY seq DESC",
        {"id": tracking_id, "pattern": pattern},
    )
    return [json.loads(row["data"]) for row in rows]


def refunds_of(sandbox: Sandbox, parent_uid: str) -> list[dict[str, Any]]:
    rows = sandbox.store.query(
        "SELECT data FROM beyag_refunds WHERE parent_uid = ? ORDER BY seq", (parent_uid,)
    )
    return [json.loads(row["data"]) for row in rows]


async def admin_refunds(request: Request) -> Response:
    """``GET /__sandbox/beyag/{uid}/refunds``: what the payer got back, for tests."""
    refunds = refunds_of(sandbox_of(request), request.path_params["uid"])
    return JSONResponse({"refunds": refunds})
