"""bePaid card transactions: the record of every charge attempt, and their API.

A transaction is made by each payment attempt on the hosted page (checkout or
subscription) and by each subscription charge; its ``type`` is the checkout's
``transaction_type`` (``payment``, ``authorization`` or ``tokenization``) or, for the
operations on an earlier transaction (:mod:`operations`), ``capture``, ``void`` or
``refund`` with a ``parent_uid``. As in bePaid's answers, the acquirer's part sits
under a key named by the type (``"payment": {...}``, ``"authorization": {...}``).

Statuses: ``incomplete`` (waiting for the payer's 3-D Secure step), then
``successful``, ``failed``, ``expired`` (the checkout expired during the 3-D Secure step)
or ``error`` (malformed card number).

Every finished transaction carries bePaid's processing ``code`` where the sandbox's outcome
matches one (:data:`CODES`); asked with ``X-API-Version: 3`` it also carries the
``friendly_message`` meant for the payer.

Routes (shop HTTP Basic auth):

* ``GET /transactions/{uid}`` → ``{"transaction": {...}}``.
* ``GET /v2/transactions/tracking_id/{tracking_id}`` and the older
  ``GET /transactions/tracking_id/{tracking_id}`` (the official Ruby gem's path) →
  ``{"transactions": [...]}``, the 10 newest first, as bePaid's status-query doc shows
  (always the plural envelope, even for one match). A tracking id nobody used is
  200 ``{"transactions": []}``: the official PHP SDK's test against the live demo
  gateway expects exactly that. Unknown uid → 404 ``{"message": "Record not found",
  "errors": {}}``.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provider_sandbox.bepaid.cards import Card, card_json
from provider_sandbox.bepaid.records import Source, dumps, fetch_all, fetch_one, loads
from provider_sandbox.core import Sandbox, iso, sandbox_of, shop_auth_error
from provider_sandbox.errors import not_found

TRACKING_ID_LIMIT = 10

SCHEMA = """
CREATE TABLE IF NOT EXISTS bepaid_transactions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    tracking_id TEXT,
    created_at REAL NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bepaid_transactions_by_tracking_id
    ON bepaid_transactions (tracking_id, created_at);
-- What the API answer does not show: the type and parent (for the operations'
-- rules) and where the transaction's notifications go. A table of its own, so
-- state files made before it keep working.
CREATE TABLE IF NOT EXISTS bepaid_transaction_links (
    uid TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    parent_uid TEXT,
    amount INTEGER NOT NULL,
    notification_url TEXT
);
CREATE INDEX IF NOT EXISTS bepaid_transaction_links_by_parent
    ON bepaid_transaction_links (parent_uid, type);
"""

#: bePaid's processing codes (docs.bepaid.by/en/reference/api_v3/processing_codes) for the
#: sandbox's outcomes that match one: (code, the friendly message API v3 adds). A decline
#: after a failed 3-D Secure step, an expiry and a malformed card carry no code here: the
#: page lists codes by the bank's reason, which the sandbox does not invent.
CODES = {
    "successful": ("S.0000", "The transaction is successfully processed."),
    "failed": (
        "F.0002",
        "Do not honor. Failed to complete the transaction. Contact the merchant for details.",
    ),
}

MESSAGES = {
    "successful": "Successfully processed",
    "failed": "Payment declined",
    "incomplete": "Waiting for 3-D Secure authentication",
    "expired": "Payment expired before 3-D Secure authentication was completed",
    "error": "Invalid card number",
}


@dataclass(frozen=True)
class Charge:
    """What is being charged, and on whose behalf (copied onto the transaction)."""

    amount: int
    currency: str
    description: str
    tracking_id: str | None = None
    test: bool = True
    language: str | None = None
    customer: dict[str, Any] = field(default_factory=dict)
    additional_data: dict[str, Any] = field(default_factory=dict)
    type: str = "payment"  # payment | authorization | tokenization
    notification_url: str | None = None  # where later refunds, captures, voids are told


def create_transaction(
    conn: sqlite3.Connection,
    charge: Charge,
    card: Card,
    card_token: str | None,
    *,
    status: str,
    at: datetime,
    message: str | None = None,
    three_d_secure: dict[str, Any] | None = None,
    redirect_url: str | None = None,
) -> dict[str, Any]:
    """Record a new transaction and return its API representation."""
    uid = Sandbox.new_uid()
    transaction = {
        "uid": uid,
        "status": status,
        "amount": charge.amount,
        "currency": charge.currency,
        "description": charge.description,
        "type": charge.type,
        "payment_method_type": "credit_card",
        "tracking_id": charge.tracking_id,
        "message": message or MESSAGES[status],
        "test": charge.test,
        "created_at": iso(at),
        "updated_at": iso(at),
        "paid_at": iso(at) if status == "successful" and charge.type == "payment" else None,
        "closed_at": None,
        "settled_at": None,
        "language": charge.language or "en",
        "redirect_url": redirect_url,
        "credit_card": card_json(card, card_token),
        "three_d_secure_verification": three_d_secure,
        "customer": charge.customer,
        "additional_data": charge.additional_data,
    }
    transaction["code"] = code_of(transaction)
    transaction[charge.type] = _gateway_answer(transaction)
    insert_transaction(conn, transaction, at, notification_url=charge.notification_url)
    return transaction


def insert_transaction(
    conn: sqlite3.Connection,
    transaction: dict[str, Any],
    at: datetime,
    *,
    notification_url: str | None,
    parent_uid: str | None = None,
) -> None:
    """Store a new transaction (its answer, type, parent and notification URL)."""
    conn.execute(
        "INSERT INTO bepaid_transactions (uid, tracking_id, created_at, status, data) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            transaction["uid"],
            transaction["tracking_id"],
            at.timestamp(),
            transaction["status"],
            dumps(transaction),
        ),
    )
    conn.execute(
        "INSERT INTO bepaid_transaction_links (uid, type, parent_uid, amount, notification_url) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            transaction["uid"],
            transaction["type"],
            parent_uid,
            transaction["amount"],
            notification_url,
        ),
    )


def gateway_answer(transaction: dict[str, Any]) -> dict[str, Any]:
    """The acquirer's part of a transaction (the section named by its type)."""
    return _gateway_answer(transaction)


def finish_transaction(
    conn: sqlite3.Connection,
    uid: str,
    *,
    status: str,
    at: datetime,
    message: str | None = None,
    three_d_secure: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Move an ``incomplete`` transaction to its final ``status``."""
    transaction = load_transaction(conn, uid)
    if transaction is None:
        raise KeyError(uid)
    paid = status == "successful" and transaction["type"] == "payment"
    transaction.update(
        status=status,
        message=message or MESSAGES[status],
        updated_at=iso(at),
        paid_at=iso(at) if paid else None,
        redirect_url=None,
    )
    if three_d_secure is not None:
        transaction["three_d_secure_verification"] = three_d_secure
    transaction["code"] = code_of(transaction)
    transaction[transaction["type"]] = _gateway_answer(transaction)
    conn.execute(
        "UPDATE bepaid_transactions SET status = ?, data = ? WHERE uid = ?",
        (status, dumps(transaction), uid),
    )
    return transaction


def code_of(transaction: dict[str, Any]) -> str | None:
    """The processing code of a finished transaction (see :data:`CODES`)."""
    verification = transaction.get("three_d_secure_verification") or {}
    if verification.get("status") == "failed":
        return None
    known = CODES.get(transaction["status"])
    return known[0] if known else None


def as_asked(transaction: dict[str, Any], request: Request) -> dict[str, Any]:
    """A transaction as the asking API version shows it: ``X-API-Version: 3`` adds the
    ``friendly_message`` meant for the payer next to its ``code``."""
    if request.headers.get("x-api-version", "").strip() != "3":
        return transaction
    known = next((c for c in CODES.values() if c[0] == transaction.get("code")), None)
    return {**transaction, "friendly_message": known[1] if known else None}


def _gateway_answer(transaction: dict[str, Any]) -> dict[str, Any]:
    """The acquirer's part of a transaction (``payment`` section)."""
    approved = transaction["status"] == "successful"
    return {
        "auth_code": f"{secrets.randbelow(10**6):06d}" if approved else None,
        "bank_code": "00" if approved else "05",
        "rrn": f"{secrets.randbelow(10**12):012d}",
        "ref_id": secrets.token_hex(6),
        "message": transaction["message"],
        "amount": transaction["amount"],
        "currency": transaction["currency"],
        "billing_descriptor": "SANDBOX SHOP",
        "gateway_id": 1,
        "status": transaction["status"],
    }


def load_transaction(source: Source, uid: str) -> dict[str, Any] | None:
    row = fetch_one(source, "SELECT data FROM bepaid_transactions WHERE uid = ?", (uid,))
    return None if row is None else loads(row["data"])


def summary(transaction: dict[str, Any] | None) -> dict[str, Any] | None:
    """The short form a subscription shows as ``last_transaction``."""
    if transaction is None:
        return None
    short = {key: transaction[key] for key in ("uid", "status", "message", "created_at")}
    if transaction["status"] == "incomplete":
        short["redirect_url"] = transaction["redirect_url"]
    return short


async def get_transaction(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    transaction = load_transaction(sandbox.store, request.path_params["uid"])
    if transaction is None:
        return not_found()
    return JSONResponse({"transaction": as_asked(transaction, request)})


async def find_by_tracking_id(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    rows = fetch_all(
        sandbox.store,
        "SELECT data FROM bepaid_transactions WHERE tracking_id = ? "
        "ORDER BY created_at DESC, seq DESC LIMIT ?",
        (request.path_params["tracking_id"], TRACKING_ID_LIMIT),
    )
    found = [as_asked(loads(row["data"]), request) for row in rows]
    return JSONResponse({"transactions": found})


def state_section(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every card transaction, newest first (for the admin state view)."""
    rows = fetch_all(
        sandbox.store, "SELECT data FROM bepaid_transactions ORDER BY created_at DESC, seq DESC"
    )
    return [loads(row["data"]) for row in rows]


routes = [
    Route("/transactions/{uid}", get_transaction, methods=["GET"]),
    Route("/v2/transactions/tracking_id/{tracking_id:path}", find_by_tracking_id, methods=["GET"]),
    Route("/transactions/tracking_id/{tracking_id:path}", find_by_tracking_id, methods=["GET"]),
]
