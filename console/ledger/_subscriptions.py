"""Writing subscriptions: create, attach ids, status reports, schedule, cancellation.

Status reports follow the same rule as bills (see :mod:`console.ledger._bills`):
stale or repeated reports change nothing and append no event; a final
subscription status is terminal. The steps shared with bills live in
:mod:`console.ledger._object_writes`.
"""

from __future__ import annotations

import sqlite3
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
from console.ledger._records import INTERVAL_UNITS, PROVIDERS, SOURCES, NewSubscription, dumps
from console.ledger._times import ms_or_now, now_ms, optional_ms
from console.money import normalize_currency
from console.status import SubscriptionStatus


class SubscriptionWrites(LedgerBase):
    """Write methods for subscriptions."""

    def create_subscription(self, sub: NewSubscription) -> int:
        """Record a new subscription (status ``creating`` or ``pending``) and its first event.

        Returns:
            The console id (shown as ``S<id>``).

        Raises:
            DuplicateTrackingId: this provider already has a subscription with ``tracking_id``.
            ValidationError: an argument is out of its vocabulary or range.
        """
        status = status_of(SubscriptionStatus, sub.status)
        if status not in (SubscriptionStatus.CREATING, SubscriptionStatus.PENDING):
            raise ValidationError(
                "A new subscription starts as creating or pending.", field="status"
            )
        if (sub.trial_interval is None) != (sub.trial_unit is None):
            raise ValidationError(
                "Give both trial_interval and trial_unit, or neither.", field="trial"
            )
        if sub.trial_interval is not None:
            positive_int(sub.trial_interval, "trial_interval")
            choice(sub.trial_unit, INTERVAL_UNITS, "trial_unit")
        source = choice(sub.source, SOURCES, "source")
        created = ms_or_now(sub.at)
        row = {
            "provider": choice(sub.provider, PROVIDERS, "provider"),
            "tracking_id": text_id(sub.tracking_id, "tracking_id", required=True),
            "plan_id": sub.plan_id,
            "plan_title": sub.plan_title,
            "amount": positive_int(sub.amount, "amount"),
            "currency": normalize_currency(sub.currency),
            "interval": positive_int(sub.interval, "interval"),
            "interval_unit": choice(sub.interval_unit, INTERVAL_UNITS, "interval_unit"),
            "trial_interval": sub.trial_interval,
            "trial_unit": sub.trial_unit,
            "customer_email": email(sub.customer_email),
            "status": status.value,
            "test": None if sub.test is None else int(sub.test),
            "demo": int(bool(sub.demo)),
            "created_at": created,
            "updated_at": created,
            "extra_json": dumps(sub.extra),
        }
        with self.write() as conn:
            return insert_with_first_event(conn, "subscriptions", "subscription", row, source)

    def attach_subscription_ids(
        self,
        subscription_id: int,
        *,
        provider_id: str | None = None,
        token: str | None = None,
        pay_url: str | None = None,
        plan_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Store what bePaid answered (``sbs_...`` id, checkout token and redirect_url).

        Arguments left as None keep their value; ``extra`` is merged.

        Raises:
            UnknownRecord: there is no subscription ``subscription_id``.
        """
        changes: dict[str, Any] = {
            "provider_id": text_id(provider_id, "provider_id", required=False),
            "token": text_id(token, "token", required=False, max_length=2000),
            "pay_url": pay_url,
            "plan_id": plan_id,
        }
        with self.write() as conn:
            attach_ids(conn, "subscriptions", "subscription", subscription_id, changes, extra)

    def record_subscription_status(
        self,
        subscription_id: int,
        status: SubscriptionStatus | str,
        native_status: str | None,
        source: str,
        at: datetime | None = None,
        detail: str | Mapping[str, Any] | None = None,
    ) -> bool:
        """Apply a reported status under the never-regress rule; True when something changed.

        Raises:
            UnknownRecord: there is no subscription ``subscription_id``.
        """
        new = status_of(SubscriptionStatus, status)
        source = choice(source, SOURCES, "source")
        happened = ms_or_now(at)
        with self.write() as conn:
            row = _subscription_row(conn, subscription_id, "status, native_status")
            current = SubscriptionStatus(row["status"])
            change = reported_change(current, new, native_status, row["native_status"])
            if change is None:
                return False
            if change == STATUS_CHANGE:
                changes: dict[str, Any] = {"status": new.value}
                if native_status:
                    changes["native_status"] = native_status
            else:
                changes = {"native_status": native_status}
            update_row(conn, "subscriptions", subscription_id, changes)
            append_transition(
                conn,
                "subscription",
                subscription_id,
                current,
                new,
                native_status,
                source,
                happened,
                detail_text(detail),
            )
        return True

    def update_subscription_schedule(
        self,
        subscription_id: int,
        *,
        renew_at: datetime | None = None,
        active_to: datetime | None = None,
        paid_cycles: int | None = None,
        last_notice_at: datetime | None = None,
    ) -> None:
        """Store the provider's billing schedule, and the provider's time of the newest
        notice applied; arguments left as None keep their value.

        Raises:
            UnknownRecord: there is no subscription ``subscription_id``.
            ValidationError: ``paid_cycles`` is negative.
        """
        if paid_cycles is not None and (isinstance(paid_cycles, bool) or paid_cycles < 0):
            raise ValidationError("paid_cycles must be zero or more.", field="paid_cycles")
        changes = {
            "renew_at": optional_ms(renew_at, field="renew_at"),
            "active_to": optional_ms(active_to, field="active_to"),
            "paid_cycles": paid_cycles,
            "last_notice_at": optional_ms(last_notice_at, field="last_notice_at"),
        }
        changes = {column: value for column, value in changes.items() if value is not None}
        with self.write() as conn:
            _subscription_row(conn, subscription_id, "id")
            if changes:
                update_row(conn, "subscriptions", subscription_id, changes)

    def record_cancellation(
        self,
        subscription_id: int,
        *,
        reason: str,
        canceled_at: datetime | None = None,
        source: str = "console",
        native_status: str | None = "canceled",
    ) -> bool:
        """Record a cancellation: reason, time, no next renewal, and status ``canceled``.

        The reason and time are kept from the first report only. The status goes
        through the never-regress rule, so a subscription that already failed
        keeps ``failed``.

        Returns:
            True when anything changed.
        """
        why = text_id(reason, "cancel_reason", required=True, max_length=1000)
        happened = ms_or_now(canceled_at, field="canceled_at")
        with self.write() as conn:
            row = _subscription_row(conn, subscription_id, "canceled_at")
            first_report = row["canceled_at"] is None
            if first_report:
                conn.execute(
                    "UPDATE subscriptions SET canceled_at = ?, cancel_reason = ?, renew_at = NULL,"
                    " updated_at = ? WHERE id = ?",
                    (happened, why, now_ms(), subscription_id),
                )
            changed = self.record_subscription_status(
                subscription_id,
                SubscriptionStatus.CANCELED,
                native_status,
                source,
                at=canceled_at,
                detail=why,
            )
        return first_report or changed


def _subscription_row(conn: sqlite3.Connection, subscription_id: int, columns: str) -> Any:
    return load_row(conn, "subscriptions", "subscription", subscription_id, columns)
