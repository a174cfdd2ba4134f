"""Recording money movements, idempotently.

A charge is usually reported twice — by the poll that refreshes a bill and by the
provider's notification — and sometimes many times (bePaid retries
notifications). ``UNIQUE(provider, provider_txn_id)`` makes the second report a
no-op, so revenue counts each charge once. A repeat that disagrees with the
recorded row (other amount, currency or object) is not silently dropped: it
raises :class:`ConflictingPayment`, because one of the two reports is wrong.

The channel (how the money came in: the bill's kind, or ``subscription``) is
copied onto the payment so revenue by kind needs no join.

The kind follows the sign: a positive amount is a charge, a negative one a refund.
Recording a payment does not change the bill's status: billing calls
``record_payment`` and ``record_bill_status`` inside one ``ledger.write()`` block.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from console.errors import ValidationError
from console.ledger._base import LedgerBase, fetch_one
from console.ledger._checks import choice, text_id
from console.ledger._errors import ConflictingPayment
from console.ledger._records import PROVIDERS
from console.ledger._times import to_ms
from console.money import normalize_currency


class PaymentWrites(LedgerBase):
    """Write methods for payments."""

    def record_payment(
        self,
        *,
        provider: str,
        provider_txn_id: str,
        amount: int,
        currency: str,
        at: datetime,
        bill_id: int | None = None,
        subscription_id: int | None = None,
        demo: bool = False,
    ) -> bool:
        """Record a charge (amount > 0) or refund (amount < 0) of a bill and/or subscription.

        Returns:
            True when the payment is new; False when this provider transaction id
            was already recorded with the same amount, currency and objects.

        Raises:
            ValidationError: zero or non-integer amount, no object, or a currency
                that differs from the bill's or subscription's.
            UnknownRecord: the bill or subscription does not exist.
            ConflictingPayment: the transaction id is recorded with other values.
        """
        provider = choice(provider, PROVIDERS, "provider")
        txn = text_id(provider_txn_id, "provider_txn_id", required=True)
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
            raise ValidationError("A payment amount is a non-zero whole number.", field="amount")
        if bill_id is None and subscription_id is None:
            raise ValidationError("A payment belongs to a bill or a subscription.", field="bill_id")
        code = normalize_currency(currency)
        moved_at = to_ms(at)
        with self.write() as conn:
            channel = "subscription"
            if subscription_id is not None:
                _check_currency(conn, "subscription", subscription_id, code)
            if bill_id is not None:
                channel = _check_currency(conn, "bill", bill_id, code)["kind"]
            row = (
                bill_id,
                subscription_id,
                provider,
                txn,
                "charge" if amount > 0 else "refund",
                channel,
                amount,
                code,
                moved_at,
                int(bool(demo)),
            )
            inserted = conn.execute(
                "INSERT INTO payments (bill_id, subscription_id, provider, provider_txn_id, kind,"
                " channel, amount, currency, at, demo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (provider, provider_txn_id) DO NOTHING",
                row,
            ).rowcount
            if inserted:
                return True
            recorded = conn.execute(
                "SELECT bill_id, subscription_id, amount, currency FROM payments"
                " WHERE provider = ? AND provider_txn_id = ?",
                (provider, txn),
            ).fetchone()
        if tuple(recorded) != (bill_id, subscription_id, amount, code):
            raise ConflictingPayment(
                f"{provider} transaction {txn} is already recorded as {recorded['amount']} "
                f"{recorded['currency']} (bill {recorded['bill_id']}, subscription "
                f"{recorded['subscription_id']}); the new report says {amount} {code}."
            )
        return False


def _check_currency(
    conn: sqlite3.Connection, object_type: str, object_id: int, currency: str
) -> sqlite3.Row:
    """The bill's or subscription's row, after checking it is in ``currency``."""
    what = f"{object_type} {object_id}"
    kind = "kind" if object_type == "bill" else "'subscription' AS kind"
    row = fetch_one(
        conn, f"SELECT currency, {kind} FROM {object_type}s WHERE id = ?", (object_id,), what=what
    )
    if row["currency"] != currency:
        raise ValidationError(
            f"A {currency} payment cannot belong to {what}, which is in {row['currency']}.",
            field="currency",
        )
    return row
