"""Payture bills behind behind-api: the product catalogue, stored bills and their lifecycle.

Statuses are behind-api's (``status`` in billStatus): ``PENDING`` → ``PAID`` → ``DONE``,
or ``PENDING`` → ``AMOUNT_MISMATCH`` when the payer paid a different amount.
``bill_info.bill_status`` is Payture's own word: ``PENDING`` before payment, ``PAID``
after (also for ``DONE`` and ``AMOUNT_MISMATCH``, as in the doc's examples).

Sandbox decisions (written down here because the doc leaves them open):

* ``PAID`` becomes ``DONE`` :data:`DONE_AFTER_SECONDS` (60) sandbox seconds after the
  payment, by a ticker on the sandbox clock.
* ``bill_info.amount`` is the bill's price while unpaid and the amount actually paid
  afterwards, so an ``AMOUNT_MISMATCH`` shows what the payer really paid.
* A gift code (``GIFT-XXXXXX``) is issued when a bill for a product of kind ``gift``
  is paid the right amount; it appears as ``bill_info.gift.code`` in PAID and DONE.
* Declining on the pay page leaves the bill ``PENDING`` (behind-api documents no
  declined or cancelled status); the payer may try again.
* Status changes (``PAID``, ``AMOUNT_MISMATCH``, ``DONE``) are posted to
  ``SandboxConfig.payture_notification_url`` when it is set, as ``{bill_id, status,
  amount}`` — the body behind-api's webhook example reads — signed with an HMAC
  (see ``notifier.py``); behind-api's requests carry no notification URL.
* The catalogue is seeded on install. Its first product has the doc's example id
  ``550e8400-e29b-41d4-a716-446655440001`` and price 99900, and the doc's example bill
  ``cc0e8400-e29b-41d4-a716-446655440009`` (SessionId ``abc123xyz``) is seeded PENDING
  for it, so the doc's requests and its first billStatus answer work verbatim.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import string
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from provider_sandbox.core import Sandbox, iso, parse_iso

DONE_AFTER_SECONDS = 60

#: The doc's own UUID check (versions 1-5, RFC 4122 variant).
UUID_PATTERN = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", re.IGNORECASE
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS payture_products (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    price INTEGER NOT NULL,
    currency TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payture_bills (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    bill_id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL UNIQUE,
    product_id TEXT NOT NULL REFERENCES payture_products (id),
    user_id TEXT,
    redirect_url TEXT,
    extended TEXT NOT NULL,
    created_by TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    paid_amount INTEGER,
    gift_code TEXT,
    declines INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    paid_at TEXT,
    done_at TEXT
);
CREATE INDEX IF NOT EXISTS payture_bills_by_status ON payture_bills (status, paid_at);
"""


@dataclass(frozen=True)
class Product:
    """A subscription product a bill can be created for; ``price`` in minor units."""

    id: str
    title: str
    price: int
    currency: str
    kind: str  # "direct" (subscription / page access) or "gift" (yields a gift code)


CATALOGUE = (
    Product("550e8400-e29b-41d4-a716-446655440001", "Premium, 1 month", 99900, "RUB", "direct"),
    Product("550e8400-e29b-41d4-a716-446655440002", "Premium, 1 year", 999000, "RUB", "direct"),
    Product("550e8400-e29b-41d4-a716-446655440003", "Premium, 1 month", 2990, "BYN", "direct"),
    Product("550e8400-e29b-41d4-a716-446655440004", "Premium, 1 year", 29900, "BYN", "direct"),
    Product(
        "550e8400-e29b-41d4-a716-446655440007", "Gift: Premium, 3 months", 249900, "RUB", "gift"
    ),
)


#: The doc's example bill: (bill_id, SessionId, product, user_id).
EXAMPLE_BILL = (
    "cc0e8400-e29b-41d4-a716-446655440009",
    "abc123xyz",
    CATALOGUE[0],
    "aa0e8400-e29b-41d4-a716-446655440005",
)


def seed(sandbox: Sandbox) -> None:
    """Insert the catalogue and the doc's example bill where the store lacks them."""
    bill_id, session_id, item, user_id = EXAMPLE_BILL
    with sandbox.store.tx() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO payture_products (id, title, price, currency, kind) "
            "VALUES (:id, :title, :price, :currency, :kind)",
            [asdict(product) for product in CATALOGUE],
        )
        conn.execute(
            "INSERT OR IGNORE INTO payture_bills (bill_id, session_id, product_id, user_id, "
            "extended, created_by, amount, currency, status, created_at) "
            "VALUES (?, ?, ?, ?, '{}', 'seed', ?, ?, 'PENDING', ?)",
            (bill_id, session_id, item.id, user_id, item.price, item.currency, iso(sandbox.now())),
        )


def products(sandbox: Sandbox) -> list[dict[str, Any]]:
    rows = sandbox.store.query("SELECT * FROM payture_products ORDER BY id")
    return [dict(row) for row in rows]


def product(sandbox: Sandbox, product_id: str) -> sqlite3.Row | None:
    return sandbox.store.one("SELECT * FROM payture_products WHERE id = ?", (product_id.lower(),))


def is_uuid(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and UUID_PATTERN.fullmatch(value) is not None


def is_http_url(value: Any) -> bool:
    """True for an absolute http(s) URL with a host (the doc's redirect URL rule)."""
    if not isinstance(value, str) or any(ch.isspace() for ch in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def load(sandbox: Sandbox, bill_id: str) -> sqlite3.Row | None:
    return sandbox.store.one("SELECT * FROM payture_bills WHERE bill_id = ?", (bill_id.lower(),))


def load_by_session(sandbox: Sandbox, session_id: str) -> sqlite3.Row | None:
    return sandbox.store.one("SELECT * FROM payture_bills WHERE session_id = ?", (session_id,))


def pay_url(sandbox: Sandbox, session_id: str) -> str:
    return f"{sandbox.config.public_url}/apim/Pay?SessionId={session_id}"


def create_bill(
    sandbox: Sandbox,
    item: sqlite3.Row,
    *,
    created_by: str,
    user_id: str | None = None,
    redirect_url: str | None = None,
    extended: dict[str, Any] | None = None,
) -> sqlite3.Row:
    """Store a PENDING bill for a catalogue product and return its row."""
    bill_id = sandbox.new_uuid()
    with sandbox.store.tx() as conn:
        conn.execute(
            "INSERT INTO payture_bills (bill_id, session_id, product_id, user_id, "
            "redirect_url, extended, created_by, amount, currency, status, created_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,'PENDING',?)",
            (
                bill_id,
                secrets.token_urlsafe(18),
                item["id"],
                user_id,
                redirect_url,
                json.dumps(extended or {}),
                created_by,
                item["price"],
                item["currency"],
                iso(sandbox.now()),
            ),
        )
    row = load(sandbox, bill_id)
    assert row is not None
    return row


def _gift_code() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "GIFT-" + "".join(secrets.choice(alphabet) for _ in range(6))


def pay_bill(sandbox: Sandbox, bill_id: str, amount: int | None = None) -> str | None:
    """The payer pays ``amount`` (default: the bill's price). Returns the new status.

    Returns None when the bill is not PENDING (already paid): nothing changes, so a
    double submit or an admin action racing the pay page is harmless.
    """
    row = load(sandbox, bill_id)
    if row is None:
        return None
    paid = row["amount"] if amount is None else amount
    status = "PAID" if paid == row["amount"] else "AMOUNT_MISMATCH"
    kind = sandbox.store.one("SELECT kind FROM payture_products WHERE id = ?", (row["product_id"],))
    gift = _gift_code() if status == "PAID" and kind and kind["kind"] == "gift" else None
    with sandbox.store.tx() as conn:
        changed = conn.execute(
            "UPDATE payture_bills SET status = ?, paid_amount = ?, gift_code = ?, paid_at = ? "
            "WHERE bill_id = ? AND status = 'PENDING'",
            (status, paid, gift, iso(sandbox.now()), row["bill_id"]),
        ).rowcount
        if changed:
            notify_status(sandbox, row["bill_id"], status, paid)
    return status if changed else None


def notify_status(sandbox: Sandbox, bill_id: str, status: str, amount: int) -> None:
    """Tell the merchant's Payture notification URL (if set) that a bill's status changed.

    The body is the one behind-api's webhook example reads — ``{bill_id, status,
    amount}`` (``amount`` as in billStatus's ``bill_info``); the receiver is expected
    to confirm it with billStatus, as that example does. Queued inside the caller's
    transaction: no notice for a change that rolled back.
    """
    payload = {"bill_id": bill_id, "status": status, "amount": amount}
    sandbox.notify(sandbox.config.payture_notification_url, payload, scheme="payture")


def decline_bill(sandbox: Sandbox, bill_id: str) -> None:
    """The payer declined on the pay page: counted, the bill stays PENDING."""
    with sandbox.store.tx() as conn:
        conn.execute(
            "UPDATE payture_bills SET declines = declines + 1 "
            "WHERE bill_id = ? AND status = 'PENDING'",
            (bill_id,),
        )


def complete_paid_bills(sandbox: Sandbox, now: datetime) -> None:
    """Ticker: PAID bills become DONE once :data:`DONE_AFTER_SECONDS` have passed."""
    due = iso(now - timedelta(seconds=DONE_AFTER_SECONDS))
    # Read first: the ticker runs before every request, and most ticks have nothing to do.
    if not sandbox.store.one(
        "SELECT 1 FROM payture_bills WHERE status = 'PAID' AND paid_at <= ? LIMIT 1", (due,)
    ):
        return
    with sandbox.store.tx() as conn:
        done = conn.execute(
            "SELECT bill_id, paid_amount FROM payture_bills WHERE status = 'PAID' AND paid_at <= ?",
            (due,),
        ).fetchall()
        conn.execute(
            "UPDATE payture_bills SET status = 'DONE', done_at = ? "
            "WHERE status = 'PAID' AND paid_at <= ?",
            (iso(now), due),
        )
        for row in done:
            notify_status(sandbox, row["bill_id"], "DONE", row["paid_amount"])


def bill_status_data(row: sqlite3.Row) -> dict[str, Any]:
    """billStatus's ``data``: ``{bill_info: {bill_status, amount, gift?}, status}``."""
    paid = row["status"] != "PENDING"
    info: dict[str, Any] = {
        "bill_status": "PAID" if paid else "PENDING",
        "amount": row["paid_amount"] if paid else row["amount"],
    }
    if row["gift_code"]:
        info["gift"] = {"code": row["gift_code"]}
    return {"bill_info": info, "status": row["status"]}


def done_due_at(row: sqlite3.Row) -> str | None:
    """When a PAID bill becomes DONE (sandbox time), for the admin frame."""
    if row["status"] != "PAID" or not row["paid_at"]:
        return None
    return iso(parse_iso(row["paid_at"]) + timedelta(seconds=DONE_AFTER_SECONDS))


def state_section(sandbox: Sandbox) -> dict[str, Any]:
    """What the admin frame shows: the catalogue and every bill, newest first."""
    bills = []
    for row in sandbox.store.query("SELECT * FROM payture_bills ORDER BY seq DESC"):
        bills.append(
            {
                "bill_id": row["bill_id"],
                "status": row["status"],
                "product_id": row["product_id"],
                "amount": row["amount"],
                "paid_amount": row["paid_amount"],
                "currency": row["currency"],
                "gift_code": row["gift_code"],
                "user_id": row["user_id"],
                "extended": json.loads(row["extended"]),
                "declines": row["declines"],
                "created_at": row["created_at"],
                "paid_at": row["paid_at"],
                "done_at": row["done_at"],
                "done_due_at": done_due_at(row),
                "pay_url": pay_url(sandbox, row["session_id"]),
            }
        )
    return {"products": products(sandbox), "bills": bills}
