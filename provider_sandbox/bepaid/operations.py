"""Operations on an earlier card transaction: captures, voids and refunds.

Routes (shop HTTP Basic auth; JSON ``{"request": {...}}``; the gateway's paths):

* ``POST /transactions/captures`` ``{parent_uid, amount}`` — settle a successful
  ``authorization``, all of it or less (once).
* ``POST /transactions/voids`` ``{parent_uid, amount}`` — release a successful
  ``authorization`` that was not captured; ``amount`` is the authorized amount.
* ``POST /transactions/refunds`` ``{parent_uid, amount, reason, duplicate_check?}`` —
  credit the payer from a successful ``payment`` or ``capture``
  (docs.bepaid.by/en/integration/card_api/transactions/refund): ``amount`` at most
  what remains unrefunded, in the parent's currency (a ``currency`` that is sent must
  be it), several partial refunds allowed; ``reason`` required, at most 255
  characters; ``duplicate_check`` (default true) refuses a refund with the same
  ``parent_uid`` and ``amount`` as one made less than 30 seconds before, on the
  sandbox clock.

Answer: 200 ``{"transaction": {uid, status: "successful", message: "Successfully
processed", type: "capture"|"void"|"refund", parent_uid, amount, currency,
tracking_id (the parent's), description, test, created_at, updated_at, credit_card,
reason (refunds), "<type>": {the acquirer's part}}}``. The new transaction is also in
``GET /transactions/{uid}`` and in the parent's tracking-id lists, and is notified,
signed like every bePaid notification, to the parent's ``notification_url``.

Sandbox-only: ``GET /__sandbox/transactions/{uid}/refunds`` → ``{"refunds": [...]}``.

Refusals are 422 in bePaid's shape, field errors by request field (as the gateway's
beyag API does: not nested under ``request``) and rule breaks under ``base``:
unknown parent → ``{"parent_uid": ["not found"]}`` (the doc names no status; 422
keeps every refusal of a request in one shape, and a 404 would read as a wrong
URL); a parent of the wrong type or status, an over-refund, a wrong currency, a
duplicate → ``base``. Nothing is written when a request is refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provider_sandbox.bepaid import validation as check
from provider_sandbox.bepaid.records import fetch_all, fetch_one
from provider_sandbox.bepaid.transactions import (
    gateway_answer,
    insert_transaction,
    load_transaction,
)
from provider_sandbox.core import (
    ADMIN_PREFIX,
    Sandbox,
    iso,
    read_json,
    sandbox_of,
    shop_auth_error,
)

DUPLICATE_WINDOW = timedelta(seconds=30)
SUCCESS_MESSAGE = "Successfully processed"


@dataclass(frozen=True)
class Operation:
    """One kind of operation on a parent transaction."""

    type: str  # the new transaction's type
    parent_types: tuple[str, ...]


CAPTURE = Operation("capture", ("authorization",))
VOID = Operation("void", ("authorization",))
REFUND = Operation("refund", ("payment", "capture"))


class Refused(Exception):
    """Raised inside the write transaction: answered 422, nothing written."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__("refused")
        self.response = response


def _base(message: str) -> Refused:
    return Refused(check.failure(("base",), message))


def _children(conn: sqlite3.Connection, parent_uid: str, kind: str) -> list[sqlite3.Row]:
    return fetch_all(
        conn,
        "SELECT l.amount, t.created_at FROM bepaid_transaction_links l "
        "JOIN bepaid_transactions t ON t.uid = l.uid "
        "WHERE l.parent_uid = ? AND l.type = ? AND t.status = 'successful'",
        (parent_uid, kind),
    )


def _validate(op: Operation, body: dict[str, Any]) -> tuple[dict[str, Any], JSONResponse | None]:
    """The request's fields, or the 422 answer saying what is wrong with them."""
    errors = check.Errors()
    request = check.object_at(errors, ("request",), body.get("request"), required=True)
    if request is None:
        return {}, errors.response()
    fields = {
        "parent_uid": check.text(errors, ("parent_uid",), request.get("parent_uid"), required=True),
        "amount": check.positive_int(errors, ("amount",), request.get("amount")),
        "currency": request.get("currency"),
    }
    if op is REFUND:
        fields["reason"] = check.text(errors, ("reason",), request.get("reason"), required=True)
        fields["duplicate_check"] = check.boolean(
            errors, ("duplicate_check",), request.get("duplicate_check"), default=True
        )
    return fields, (errors.response() if errors else None)


def _check_rules(
    op: Operation,
    conn: sqlite3.Connection,
    parent: dict[str, Any],
    fields: dict[str, Any],
    now: datetime,
) -> None:
    """Raise :class:`Refused` when the operation may not be made on ``parent``."""
    if parent["type"] not in op.parent_types or parent["status"] != "successful":
        wanted = " or ".join(op.parent_types)
        raise _base(
            f"The {op.type} is only possible for a successful {wanted}: this transaction "
            f"is a {parent['status']} {parent['type']}"
        )
    currency = fields["currency"]
    if currency is not None and (
        not isinstance(currency, str) or currency.strip().upper() != parent["currency"]
    ):
        raise _base(f"Currency must be {parent['currency']}, the currency of the transaction")
    amount = fields["amount"]
    uid = parent["uid"]
    if op is REFUND:
        refunded = _children(conn, uid, "refund")
        remaining = parent["amount"] - sum(row["amount"] for row in refunded)
        if amount > remaining:
            raise Refused(
                check.failure(
                    ("amount",),
                    f"must be less than or equal to {remaining}, the amount not yet refunded",
                )
            )
        recent = (now - DUPLICATE_WINDOW).timestamp()
        if fields["duplicate_check"] and any(
            row["amount"] == amount and row["created_at"] > recent for row in refunded
        ):
            raise _base(
                "Duplicate refund: the same amount was refunded for this transaction "
                "less than 30 seconds ago"
            )
        return
    if _children(conn, uid, "capture"):
        raise _base("The authorization is already captured")
    if _children(conn, uid, "void"):
        raise _base("The authorization is already voided")
    if op is CAPTURE and amount > parent["amount"]:
        raise Refused(
            check.failure(
                ("amount",), f"must be less than or equal to {parent['amount']}, the authorized"
            )
        )
    if op is VOID and amount != parent["amount"]:
        raise Refused(check.failure(("amount",), f"must be {parent['amount']}, the authorized"))


def perform(
    sandbox: Sandbox, op: Operation, fields: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """Check and record the operation; the new transaction and where to notify it.

    Raises:
        Refused: the parent is unknown or the operation breaks a rule.
    """
    now = sandbox.now()
    with sandbox.store.tx() as conn:
        parent = load_transaction(conn, fields["parent_uid"])
        if parent is None:
            raise Refused(check.failure(("parent_uid",), "not found"))
        _check_rules(op, conn, parent, fields, now)
        child = {
            "uid": sandbox.new_uid(),
            "status": "successful",
            "message": SUCCESS_MESSAGE,
            "type": op.type,
            "parent_uid": parent["uid"],
            "amount": fields["amount"],
            "currency": parent["currency"],
            "description": parent["description"],
            "tracking_id": parent["tracking_id"],
            "test": parent["test"],
            "created_at": iso(now),
            "updated_at": iso(now),
            "payment_method_type": parent["payment_method_type"],
            "credit_card": parent["credit_card"],
            "language": parent.get("language"),
        }
        if op is REFUND:
            child["reason"] = fields["reason"]
        child[op.type] = gateway_answer(child)
        link = fetch_one(
            conn,
            "SELECT notification_url FROM bepaid_transaction_links WHERE uid = ?",
            (parent["uid"],),
        )
        url = link["notification_url"] if link else None
        insert_transaction(conn, child, now, notification_url=url, parent_uid=parent["uid"])
    return child, url


def _endpoint(op: Operation) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        sandbox = sandbox_of(request)
        if denied := shop_auth_error(request):
            return denied
        body = await read_json(request)
        if isinstance(body, Response):
            return body
        fields, invalid = _validate(op, body)
        if invalid is not None:
            return invalid
        try:
            child, url = perform(sandbox, op, fields)
        except Refused as refused:
            return refused.response
        sandbox.notify(url, {"transaction": child})
        return JSONResponse({"transaction": child})

    return endpoint


def refunds_of(sandbox: Sandbox, parent_uid: str) -> list[dict[str, Any]]:
    """Every refund of ``parent_uid``, oldest first (for the admin API)."""
    rows = fetch_all(
        sandbox.store,
        "SELECT t.uid FROM bepaid_transaction_links l JOIN bepaid_transactions t "
        "ON t.uid = l.uid WHERE l.parent_uid = ? AND l.type = 'refund' ORDER BY t.seq",
        (parent_uid,),
    )
    found = (load_transaction(sandbox.store, row["uid"]) for row in rows)
    return [refund for refund in found if refund is not None]


async def admin_refunds(request: Request) -> Response:
    """``GET /__sandbox/transactions/{uid}/refunds``: the refunds of a card payment."""
    return JSONResponse({"refunds": refunds_of(sandbox_of(request), request.path_params["uid"])})


routes = [
    Route("/transactions/captures", _endpoint(CAPTURE), methods=["POST"]),
    Route("/transactions/voids", _endpoint(VOID), methods=["POST"]),
    Route("/transactions/refunds", _endpoint(REFUND), methods=["POST"]),
    Route(f"{ADMIN_PREFIX}/transactions/{{uid}}/refunds", admin_refunds, methods=["GET"]),
]
