"""Refunds (``ledger.refunds``): each attempt recorded before the provider is asked, and each
refund the provider confirms written as a negative payment linked to its charge.

A ``refunds`` row is one attempt to give money back: ``creating`` (recorded; sent, or its
answer lost and being confirmed), ``succeeded`` (the provider made it: its uid is kept),
or ``failed`` (the provider refused, or confirmed it was never made). When an attempt
succeeds — and when a refund made elsewhere is seen (a notification, the back office) —
one transaction writes the negative payment (``kind = refund``, ``parent_id`` = the
charge), marks the attempt, and moves the bill to ``partially_refunded`` while some of
the money remains, ``refunded`` when nothing does. Subscription charges keep their
subscription's status; their refunds show as payments and in the refund list.

What remains of a charge is its amount less every refund that succeeded *and every
attempt still creating*: an attempt whose answer was lost holds its amount until it is
known, so two attempts can never together give back more than was paid.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.errors import ValidationError
from console.ledger._base import fetch_one, row_id
from console.ledger._bills import BillWrites
from console.ledger._checks import choice, detail_text, text_id
from console.ledger._errors import UnknownRecord
from console.ledger._records import PAYMENT_COLUMNS, SOURCES, Payment, payment_from_row
from console.ledger._times import from_ms, ms_or_now
from console.money import Money
from console.status import BillStatus

REFUND_STATUSES = ("creating", "succeeded", "failed")
REFUND_COLUMNS = (
    "id, payment_id, bill_id, subscription_id, provider, amount, currency, reason, status,"
    " provider_uid, native_status, detail, actor, source, created_at, updated_at"
)


@dataclass(frozen=True, slots=True)
class RefundRow:
    """One refund attempt (or a refund made elsewhere and seen)."""

    id: int
    payment_id: int
    bill_id: int | None
    subscription_id: int | None
    provider: str
    amount: int  # positive minor units given back
    currency: str
    reason: str
    status: str  # creating | succeeded | failed
    provider_uid: str | None
    native_status: str | None
    detail: str | None
    actor: str
    source: str
    created_at: datetime
    updated_at: datetime

    @property
    def ref(self) -> str:
        return f"R{self.id}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class Refunds:
    """Refund attempts and confirmed refunds."""

    def __init__(self, ledger: BillWrites) -> None:
        self._ledger = ledger

    # -- reading -----------------------------------------------------------------------

    def get(self, refund_id: int) -> RefundRow | None:
        row = (
            self._ledger.connection()
            .execute(f"SELECT {REFUND_COLUMNS} FROM refunds WHERE id = ?", (refund_id,))
            .fetchone()
        )
        return None if row is None else refund_from_row(row)

    def of_payment(self, payment_id: int) -> list[RefundRow]:
        """The attempts on one charge, oldest first."""
        rows = self._ledger.connection().execute(
            f"SELECT {REFUND_COLUMNS} FROM refunds WHERE payment_id = ? ORDER BY id", (payment_id,)
        )
        return [refund_from_row(row) for row in rows]

    def of_object(self, object_type: str, object_id: int) -> list[RefundRow]:
        """The attempts on a bill's or a subscription's charges, oldest first."""
        column = "bill_id" if object_type == "bill" else "subscription_id"
        rows = self._ledger.connection().execute(
            f"SELECT {REFUND_COLUMNS} FROM refunds WHERE {column} = ? ORDER BY id", (object_id,)
        )
        return [refund_from_row(row) for row in rows]

    def recent(self, limit: int = 50) -> list[RefundRow]:
        """The newest attempts and seen refunds, newest first (Monitor, Activity)."""
        rows = self._ledger.connection().execute(
            f"SELECT {REFUND_COLUMNS} FROM refunds ORDER BY created_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [refund_from_row(row) for row in rows]

    def creating(self, limit: int = 1000) -> list[RefundRow]:
        """Attempts still being confirmed, oldest first."""
        rows = self._ledger.connection().execute(
            f"SELECT {REFUND_COLUMNS} FROM refunds WHERE status = 'creating'"
            " ORDER BY created_at LIMIT ?",
            (limit,),
        )
        return [refund_from_row(row) for row in rows]

    def charge(self, provider_uid: str, providers: tuple[str, ...]) -> Payment | None:
        """The charge whose provider transaction is ``provider_uid`` (a refund's
        ``parent_uid``) under one of ``providers``, or None."""
        marks = ", ".join("?" for _ in providers)
        row = (
            self._ledger.connection()
            .execute(
                f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider IN ({marks})"
                " AND provider_txn_id = ? AND kind = 'charge' LIMIT 1",
                (*providers, provider_uid),
            )
            .fetchone()
        )
        return None if row is None else payment_from_row(row)

    def remaining(self, payment: Payment) -> int:
        """Minor units of ``payment`` that may still be refunded (see the module docstring)."""
        return _remaining(self._ledger.connection(), payment.id)

    # -- writing -----------------------------------------------------------------------

    def start(
        self,
        payment: Payment,
        amount: int,
        reason: str,
        *,
        actor: str,
        source: str = "console",
        at: datetime | None = None,
    ) -> int:
        """Record an attempt to refund ``amount`` of the charge ``payment``; its id.

        Raises:
            ValidationError: not a charge, not a positive amount, more than remains.
        """
        if payment.kind != "charge":
            raise ValidationError("Only a charge can be refunded.", field="payment")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValidationError("A refund is a positive whole number of minor units.")
        why = text_id(reason, "reason", required=True)
        now = ms_or_now(at)
        with self._ledger.write() as conn:
            left = _remaining(conn, payment.id)
            if amount > left:
                raise ValidationError(
                    f"At most {left} minor units of this payment remain to refund.",
                    field="amount",
                )
            return row_id(
                conn.execute(
                    "INSERT INTO refunds (payment_id, bill_id, subscription_id, provider, amount,"
                    " currency, reason, status, actor, source, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'creating', ?, ?, ?, ?)",
                    (
                        payment.id,
                        payment.bill_id,
                        payment.subscription_id,
                        payment.provider,
                        amount,
                        payment.currency,
                        why,
                        actor,
                        choice(source, SOURCES, "source"),
                        now,
                        now,
                    ),
                )
            )

    def succeed(
        self,
        refund_id: int,
        *,
        provider_uid: str,
        native_status: str | None,
        at: datetime | None,
        source: str = "console",
    ) -> bool:
        """The provider made the refund: mark the attempt, write the negative payment and
        move the bill on, in one transaction. False when this uid was already recorded.

        A notification can arrive before the answer and be matched to another attempt of
        the same charge and amount (attempts of equal amounts are interchangeable): when
        this attempt already holds another uid, the uid goes to the next attempt still
        waiting, or to a refund row of its own — each refund the provider made is recorded
        exactly once, whichever report comes first.
        """
        uid = _uid(provider_uid)
        when = ms_or_now(at)
        with self._ledger.write() as conn:
            row = fetch_one(
                conn,
                f"SELECT {REFUND_COLUMNS} FROM refunds WHERE id = ?",
                (refund_id,),
                what=f"refund {refund_id}",
            )
            if _known(conn, row["provider"], uid):
                return False
            refund = refund_from_row(row)
            if refund.status == "succeeded":
                refund = _waiting_or_new(conn, refund, refund.reason, refund.actor, source, when)
            self._settle(conn, refund, uid, native_status, when, source)
            return True

    def fail(
        self,
        refund_id: int,
        *,
        detail: str | Mapping[str, Any] | None,
        native_status: str | None = None,
    ) -> None:
        """The provider refused, or confirmed it never made this refund."""
        with self._ledger.write() as conn:
            updated = conn.execute(
                "UPDATE refunds SET status = 'failed', detail = ?, native_status = ?,"
                " updated_at = ? WHERE id = ? AND status = 'creating'",
                (detail_text(detail), native_status, ms_or_now(None), refund_id),
            ).rowcount
            if not updated:
                fetch_one(
                    conn,
                    "SELECT id FROM refunds WHERE id = ?",
                    (refund_id,),
                    what=f"refund {refund_id}",
                )

    def record_seen(
        self,
        payment: Payment,
        *,
        provider_uid: str,
        amount: int,
        native_status: str | None,
        at: datetime | None,
        source: str,
        reason: str,
        actor: str,
    ) -> RefundRow | None:
        """A refund the provider reports (a notification, a refund made in its back office):
        recorded once, matched to our own attempt when one is waiting for it.

        Returns the refund row, or None when this provider uid was already recorded.
        """
        uid = _uid(provider_uid)
        when = ms_or_now(at)
        with self._ledger.write() as conn:
            if _known(conn, payment.provider, uid):
                return None
            model = RefundRow(
                id=0,
                payment_id=payment.id,
                bill_id=payment.bill_id,
                subscription_id=payment.subscription_id,
                provider=payment.provider,
                amount=amount,
                currency=payment.currency,
                reason=reason,
                status="creating",
                provider_uid=None,
                native_status=None,
                detail=None,
                actor=actor,
                source=source,
                created_at=from_ms(when),
                updated_at=from_ms(when),
            )
            refund = _waiting_or_new(conn, model, reason, actor, source, when)
            return self._settle(conn, refund, uid, native_status, when, source)

    def _settle(
        self,
        conn: sqlite3.Connection,
        refund: RefundRow,
        uid: str,
        native_status: str | None,
        at_ms: int,
        source: str,
    ) -> RefundRow:
        """Mark ``refund`` made with ``uid`` and write its payment (inside a write)."""
        conn.execute(
            "UPDATE refunds SET status = 'succeeded', provider_uid = ?, native_status = ?,"
            " updated_at = ? WHERE id = ?",
            (uid, native_status, ms_or_now(None), refund.id),
        )
        settled = refund_from_row(
            conn.execute(
                f"SELECT {REFUND_COLUMNS} FROM refunds WHERE id = ?", (refund.id,)
            ).fetchone()
        )
        self._write_payment(conn, settled, uid, at_ms, source)
        return settled

    def _write_payment(
        self, conn: sqlite3.Connection, refund: RefundRow, uid: str, at_ms: int, source: str
    ) -> None:
        """The negative payment of a confirmed refund, and its bill's new status."""
        charge = conn.execute(
            "SELECT channel FROM payments WHERE id = ?", (refund.payment_id,)
        ).fetchone()
        if charge is None:
            raise UnknownRecord(f"The ledger has no payment {refund.payment_id}.")
        conn.execute(
            "INSERT INTO payments (bill_id, subscription_id, provider, provider_txn_id, kind,"
            " channel, amount, currency, at, demo, parent_id)"
            " VALUES (?, ?, ?, ?, 'refund', ?, ?, ?, ?, 0, ?)",
            (
                refund.bill_id,
                refund.subscription_id,
                refund.provider,
                uid,
                charge["channel"],
                -refund.amount,
                refund.currency,
                at_ms,
                refund.payment_id,
            ),
        )
        if refund.bill_id is not None:
            left = conn.execute(
                "SELECT coalesce(sum(amount), 0) FROM payments WHERE bill_id = ?",
                (refund.bill_id,),
            ).fetchone()[0]
            status = BillStatus.REFUNDED if left <= 0 else BillStatus.PARTIALLY_REFUNDED
            # Through the ledger's status rule (never regress), inside this transaction.
            self._ledger.record_bill_status(
                refund.bill_id,
                status,
                None,
                source,
                at=from_ms(at_ms),
                detail=f"{refund.ref} {refund.money} given back: {refund.reason}",
            )


def _known(conn: sqlite3.Connection, provider: str, uid: str) -> bool:
    """Whether a refund with this provider uid is recorded already."""
    found = conn.execute(
        "SELECT 1 FROM refunds WHERE provider = ? AND provider_uid = ?", (provider, uid)
    ).fetchone()
    return found is not None


def _waiting_or_new(
    conn: sqlite3.Connection, like: RefundRow, reason: str, actor: str, source: str, at_ms: int
) -> RefundRow:
    """The oldest attempt still waiting on ``like``'s charge for ``like``'s amount, else a
    new row for a refund nobody here asked for (made in the back office, say)."""
    waiting = conn.execute(
        f"SELECT {REFUND_COLUMNS} FROM refunds WHERE payment_id = ? AND status = 'creating'"
        " AND amount = ? ORDER BY id LIMIT 1",
        (like.payment_id, like.amount),
    ).fetchone()
    if waiting is not None:
        return refund_from_row(waiting)
    refund_id = row_id(
        conn.execute(
            "INSERT INTO refunds (payment_id, bill_id, subscription_id, provider, amount,"
            " currency, reason, status, actor, source, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'creating', ?, ?, ?, ?)",
            (
                like.payment_id,
                like.bill_id,
                like.subscription_id,
                like.provider,
                like.amount,
                like.currency,
                text_id(reason, "reason", required=True),
                actor,
                choice(source, SOURCES, "source"),
                at_ms,
                at_ms,
            ),
        )
    )
    return refund_from_row(
        conn.execute(f"SELECT {REFUND_COLUMNS} FROM refunds WHERE id = ?", (refund_id,)).fetchone()
    )


def _uid(value: str) -> str:
    uid = text_id(value, "provider_uid", required=True)
    assert uid is not None  # required: text_id raised otherwise
    return uid


def _remaining(conn: sqlite3.Connection, payment_id: int) -> int:
    row = conn.execute(
        "SELECT amount FROM payments WHERE id = ? AND kind = 'charge'", (payment_id,)
    ).fetchone()
    if row is None:
        raise UnknownRecord(f"The ledger has no charge {payment_id}.")
    given_back = conn.execute(
        "SELECT coalesce(sum(amount), 0) FROM refunds"
        " WHERE payment_id = ? AND status IN ('creating', 'succeeded')",
        (payment_id,),
    ).fetchone()[0]
    left: int = row["amount"] - given_back
    return left


def refund_from_row(row: sqlite3.Row) -> RefundRow:
    values = dict(row)
    values["created_at"] = from_ms(values["created_at"])
    values["updated_at"] = from_ms(values["updated_at"])
    return RefundRow(**values)


__all__ = ["REFUND_COLUMNS", "REFUND_STATUSES", "RefundRow", "Refunds", "refund_from_row"]
