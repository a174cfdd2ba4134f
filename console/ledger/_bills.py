"""Writing bills: create, attach what the provider answered, record status reports.

The never-regress rule lives in :func:`console.status.should_apply`; this module
applies it inside one write transaction, so a poll and a webhook racing on the
same bill cannot both read "pending" and both append an event.

Reports that are not applied (a late "pending" after "paid", or the same status
again) change nothing and append no event: polls repeat the current status every
few seconds and bePaid retries notifications, so recording each would bury the
real history. ``record_bill_status`` returns False for them. One exception: when
the console status is unchanged but the provider's native status moved (Payture
``PAID`` -> ``DONE``), the native status is updated and an event is appended.

The steps bills share with subscriptions live in :mod:`console.ledger._object_writes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from console.errors import ValidationError
from console.ledger._base import LedgerBase
from console.ledger._checks import choice, detail_text, email, positive_int, status_of, text_id
from console.ledger._object_writes import (
    STATUS_CHANGE,
    append_transition,
    attach_ids,
    insert_with_first_event,
    load_row,
    reported_change,
    update_row,
)
from console.ledger._records import BILL_KINDS, PROVIDERS, SOURCES, NewBill, dumps
from console.ledger._times import ms_or_now, now_ms, optional_ms
from console.money import normalize_currency
from console.status import BillStatus

_MONEY_MOVED = (BillStatus.PAID, BillStatus.MISMATCH)


class BillWrites(LedgerBase):
    """Write methods for bills."""

    def create_bill(self, bill: NewBill) -> int:
        """Record a new bill (status ``creating`` or ``pending``) and its first event.

        Call it *before* asking the provider, with status ``creating``, so a crash
        between the two leaves a row that a refresh can resolve by tracking id.

        Returns:
            The console id (shown as ``B<id>``).

        Raises:
            DuplicateTrackingId: this provider already has a bill with ``tracking_id``.
            ValidationError: an argument is out of its vocabulary or range.
        """
        provider = choice(bill.provider, PROVIDERS, "provider")
        kind = choice(bill.kind, BILL_KINDS, "kind")
        if (provider == "payture") != (kind == "payture_bill"):
            raise ValidationError(
                f"A {kind} bill cannot be issued through {provider}.", field="kind"
            )
        status = status_of(BillStatus, bill.status)
        if status not in (BillStatus.CREATING, BillStatus.PENDING):
            raise ValidationError("A new bill starts as creating or pending.", field="status")
        source = choice(bill.source, SOURCES, "source")
        created = ms_or_now(bill.at)
        row = {
            "provider": provider,
            "kind": kind,
            "tracking_id": text_id(bill.tracking_id, "tracking_id", required=True),
            "amount": positive_int(bill.amount, "amount"),
            "currency": normalize_currency(bill.currency),
            "description": bill.description,
            "customer_email": email(bill.customer_email),
            "status": status.value,
            "test": None if bill.test is None else int(bill.test),
            "demo": int(bool(bill.demo)),
            "created_at": created,
            "updated_at": created,
            "expires_at": optional_ms(bill.expires_at, field="expires_at"),
            "extra_json": dumps(bill.extra),
            "subscription_id": bill.subscription_id,
        }
        with self.write() as conn:
            return insert_with_first_event(conn, "bills", "bill", row, source)

    def attach_provider_ids(
        self,
        bill_id: int,
        *,
        provider_id: str | None = None,
        token: str | None = None,
        pay_url: str | None = None,
        expires_at: datetime | None = None,
        form: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Store what the provider answered. Arguments left as None keep their value;
        ``extra`` is merged into the bill's extra data (gift code, method type, ...).

        Raises:
            UnknownRecord: there is no bill ``bill_id``.
        """
        changes: dict[str, Any] = {
            "provider_id": text_id(provider_id, "provider_id", required=False),
            "token": text_id(token, "token", required=False, max_length=2000),
            "pay_url": pay_url,
            "expires_at": optional_ms(expires_at, field="expires_at"),
            "form_json": dumps(form),
        }
        with self.write() as conn:
            attach_ids(conn, "bills", "bill", bill_id, changes, extra)

    def record_bill_status(
        self,
        bill_id: int,
        status: BillStatus | str,
        native_status: str | None,
        source: str,
        at: datetime | None = None,
        detail: str | Mapping[str, Any] | None = None,
    ) -> bool:
        """Apply a reported status under the never-regress rule (see the module docstring).

        ``at`` is when the status happened (default: now); it becomes the event's
        time and, for paid or mismatch, the bill's ``paid_at`` when not yet set.

        Returns:
            True when the bill's status or native status changed (and an event
            was appended); False when the report was stale or repeated.

        Raises:
            UnknownRecord: there is no bill ``bill_id``.
        """
        new = status_of(BillStatus, status)
        source = choice(source, SOURCES, "source")
        happened = ms_or_now(at)
        note = detail_text(detail)
        with self.write() as conn:
            row = load_row(conn, "bills", "bill", bill_id, "status, native_status")
            current = BillStatus(row["status"])
            change = reported_change(current, new, native_status, row["native_status"])
            if change is None:
                return False
            if change == STATUS_CHANGE:
                paid_at = happened if new in _MONEY_MOVED else None
                conn.execute(
                    "UPDATE bills SET status = ?, native_status = coalesce(?, native_status),"
                    " paid_at = coalesce(paid_at, ?), updated_at = ? WHERE id = ?",
                    (new.value, native_status, paid_at, now_ms(), bill_id),
                )
            else:
                update_row(conn, "bills", bill_id, {"native_status": native_status})
            append_transition(
                conn, "bill", bill_id, current, new, native_status, source, happened, note
            )
        return True
