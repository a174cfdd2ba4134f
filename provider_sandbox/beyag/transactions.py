"""beGateway alternative payments: the stored transaction and its lifecycle.

A transaction is kept as the request body the shop sent (JSON) plus the columns
the gateway changes: status, messages, timestamps, payment ref and method token.
:func:`transaction_json` renders the gateway's ``transaction`` object from them;
:func:`finish` is the one way out of ``pending`` (payer page, admin action, expiry
ticker), guarded so that only the first of several racing finishes wins.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
from datetime import datetime
from typing import Any

from provider_sandbox.beyag.validation import PaymentRequest
from provider_sandbox.core import Sandbox, iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS beyag_transactions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    sid TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    payment_message TEXT,
    ref_id TEXT,
    token TEXT,
    tracking_id TEXT,
    expired_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    paid_at TEXT,
    request TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS beyag_by_status ON beyag_transactions (status, expired_at);
"""

GATEWAY_ID = 1
PENDING_MESSAGE = "Transaction is pending"

#: Payer outcome → (status, message, payment message) of the finished transaction.
OUTCOMES: dict[str, tuple[str, str, str]] = {
    "successful": (
        "successful",
        "Successfully processed",
        "The operation was successfully processed",
    ),
    "failed": ("failed", "Declined by the payment system", "The operation was declined"),
    "canceled": ("failed", "Canceled by the payer", "The payer canceled the operation"),
    "expired": ("expired", "Transaction expired", "The payment was not made before expired_at"),
}

_NAME_FIELDS = ("first_name", "middle_name", "last_name")
BILLING_ADDRESS_FIELDS = (*_NAME_FIELDS, "country", "city", "zip", "address", "phone")


def receipt_hash(sandbox: Sandbox, uid: str) -> str:
    """The unguessable tail of a transaction's receipt URL."""
    key = sandbox.config.secret_key.encode()
    return hmac.new(key, uid.encode(), hashlib.sha256).hexdigest()


def load(sandbox: Sandbox, uid: str) -> sqlite3.Row | None:
    return sandbox.store.one("SELECT * FROM beyag_transactions WHERE uid = ?", (uid,))


def transaction_json(sandbox: Sandbox, row: sqlite3.Row) -> dict[str, Any]:
    """The gateway's ``transaction`` object for a stored transaction."""
    request: dict[str, Any] = json.loads(row["request"])
    customer = request.get("customer") or {}
    method = dict(request["method"])
    method_type = method["type"]
    if row["token"]:
        method["token"] = row["token"]
    public_url = sandbox.config.public_url
    body: dict[str, Any] = {
        "uid": row["uid"],
        "type": "payment",
        "status": row["status"],
        "amount": request["amount"],
        "currency": request["currency"],
        "description": request["description"],
        "tracking_id": request.get("tracking_id"),
        "message": row["message"],
        "test": bool(request.get("test", False)),
        "language": request.get("language") or "en",
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "expired_at": row["expired_at"],
        "paid_at": row["paid_at"],
        "method_type": method_type,
        "receipt_url": (
            f"{public_url}/customer/transactions/{row['uid']}/{receipt_hash(sandbox, row['uid'])}"
        ),
        method_type: method,
        "payment": {
            "status": row["status"],
            "gateway_id": GATEWAY_ID,
            "ref_id": row["ref_id"],
            "message": row["payment_message"],
            "bank_code": None,
            "rrn": None,
        },
        "customer": {"ip": request.get("ip"), "email": customer.get("email")},
        "billing_address": {name: customer.get(name) for name in BILLING_ADDRESS_FIELDS},
    }
    if row["status"] == "pending":
        body["form"] = {
            "action": f"{public_url}/external/apm/{row['uid']}",
            "method": "POST",
            "fields": [{"type": "hidden", "name": "sid", "id": "sid", "value": row["sid"]}],
        }
    return body


def create_transaction(sandbox: Sandbox, accepted: PaymentRequest) -> sqlite3.Row:
    """Store a new pending transaction and return its row."""
    now = iso(sandbox.now())
    uid = sandbox.new_uuid()
    tracking_id = accepted.body.get("tracking_id")
    with sandbox.store.tx() as conn:
        conn.execute(
            "INSERT INTO beyag_transactions (uid, sid, status, message, tracking_id, "
            "expired_at, created_at, updated_at, request) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                uid,
                secrets.token_hex(16),
                "pending",
                PENDING_MESSAGE,
                tracking_id or None,
                iso(accepted.expired_at),
                now,
                now,
                json.dumps(accepted.body),
            ),
        )
    row = load(sandbox, uid)
    assert row is not None
    return row


def finish(sandbox: Sandbox, uid: str, outcome: str, now: datetime | None = None) -> bool:
    """Move a pending transaction to the outcome's final status and notify.

    Returns False (and changes nothing) when the transaction is not pending, so a
    double click, an admin action and the expiry ticker can race safely.
    """
    status, message, payment_message = OUTCOMES[outcome]
    moment = iso(now or sandbox.now())
    row = load(sandbox, uid)
    if row is None:
        return False
    request = json.loads(row["request"])
    contract = (request.get("additional_data") or {}).get("contract") or []
    successful = status == "successful"
    token = None
    if successful:
        token = request["method"].get("token") or (
            secrets.token_hex(12) if "recurring" in contract else None
        )
    with sandbox.store.tx() as conn:
        changed = conn.execute(
            "UPDATE beyag_transactions SET status = ?, message = ?, payment_message = ?, "
            "ref_id = ?, token = ?, updated_at = ?, paid_at = ? "
            "WHERE uid = ? AND status = 'pending'",
            (
                status,
                message,
                payment_message,
                str(secrets.randbelow(10**9)) if successful else None,
                token,
                moment,
                moment if successful else None,
                uid,
            ),
        ).rowcount
        if changed:
            # Queued inside the transaction: no notification for a change that rolled back.
            final = conn.execute("SELECT * FROM beyag_transactions WHERE uid = ?", (uid,))
            payload = {"transaction": transaction_json(sandbox, final.fetchone())}
            sandbox.notify(request.get("notification_url"), payload)
    return bool(changed)


def expire_unpaid(sandbox: Sandbox, now: datetime) -> None:
    """Ticker: pending transactions whose ``expired_at`` has passed become expired."""
    rows = sandbox.store.query(
        "SELECT uid FROM beyag_transactions WHERE status = 'pending' "
        "AND expired_at IS NOT NULL AND expired_at <= ?",
        (iso(now),),
    )
    for row in rows:
        finish(sandbox, row["uid"], "expired", now)


def state_section(sandbox: Sandbox) -> dict[str, Any]:
    """What the admin frame shows: every transaction, newest first, in brief."""
    rows = sandbox.store.query("SELECT * FROM beyag_transactions ORDER BY seq DESC")
    transactions = []
    for row in rows:
        request = json.loads(row["request"])
        transactions.append(
            {
                "uid": row["uid"],
                "status": row["status"],
                "amount": request["amount"],
                "currency": request["currency"],
                "method_type": request["method"]["type"],
                "customer": request.get("customer") or {},
                "tracking_id": row["tracking_id"],
                "created_at": row["created_at"],
                "expired_at": row["expired_at"],
                "pay_page": (
                    f"{sandbox.config.public_url}/external/apm/{row['uid']}?sid={row['sid']}"
                ),
            }
        )
    return {"transactions": transactions}
