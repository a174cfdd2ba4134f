"""Asking a provider about one object now: ``refresh`` and ``confirm``."""

from __future__ import annotations

from typing import Any

from console.auth import Action, Actor
from console.billing._base import BillingBase
from console.billing._bills import bill_result
from console.billing._errors import ProviderFailed, UnknownObject
from console.billing._results import Change, CreatedBill, CreatedSubscription, Refreshed
from console.billing._subscriptions import subscription_result
from console.ledger import Bill, Subscription
from console.providers import ProviderError


class Refreshing(BillingBase):
    """Use cases that ask a provider about one ledger object: refresh, confirm."""

    def refresh(self, actor: Actor, ref: str | int | Bill | Subscription) -> Refreshed:
        """Ask the provider about one bill or subscription now; record status, payments and
        events (source ``poll``).

        Raises:
            PermissionDenied, UnknownObject, ProviderFailed (nothing recorded).
        """
        record = self._find_for(actor, Action.REFRESH, "refresh", ref)
        if record.demo:
            change = _no_change(record, "Demo data is not at any provider.")
            return Refreshed(record, change, False, "Demo data: nothing to ask a provider.")
        try:
            seen = self.observe(record)
        except ProviderError as exc:
            raise ProviderFailed(exc.user_message, ref=record.ref, provider_error=exc) from exc
        change = self.record(record, seen, actor)
        fresh = self.find(record)
        still = fresh.status.value == "creating"
        return Refreshed(fresh, change, still, _describe(change, still))

    def confirm(
        self, actor: Actor, ref: str | int | Bill | Subscription
    ) -> CreatedBill | CreatedSubscription:
        """Re-check a creation whose answer was lost (``result.confirming``); returns the
        same kind of result as the create, with ``confirming`` False once resolved."""
        refreshed = self.refresh(actor, ref)
        record = refreshed.record
        warnings = list(refreshed.change.warnings)
        if isinstance(record, Subscription):
            return subscription_result(self, record, warnings)
        what = {"card_link": "pay link", "apm": "payment"}.get(record.kind, "Payture bill")
        return bill_result(self, record, what, warnings)

    def _find_for(
        self, actor: Actor, action: Action, what: str, ref: str | int | Bill | Subscription
    ) -> Any:
        """Permission first (audited when refused), then the object."""
        try:
            record = self.find(ref)
        except UnknownObject as exc:
            missing: UnknownObject | None = exc
            record = None
        else:
            missing = None
        object_type = None
        if record is not None:
            object_type = "bill" if isinstance(record, Bill) else "subscription"
        self.require(actor, action, what, object_type, record.id if record else str(ref)[:60])
        if missing is not None:
            raise missing
        return record


def _no_change(record: Bill | Subscription, warning: str) -> Change:
    object_type = "bill" if isinstance(record, Bill) else "subscription"
    return Change(
        record.ref, object_type, record.id, record.status.value, record.status.value,
        record.native_status, False, 0, (warning,),
    )  # fmt: skip


def _describe(change: Change, still_creating: bool) -> str:
    if still_creating:
        return f"{change.ref} is still being confirmed with the provider."
    parts = []
    if change.status_changed and change.before != change.after:
        parts.append(f"{change.before} → {change.after}")
    elif change.status_changed:
        parts.append(f"provider status now {change.native_status}")
    if change.new_payments:
        parts.append(f"{change.new_payments} new payment(s) recorded")
    if not parts:
        return f"{change.ref} is unchanged ({change.after})."
    return f"{change.ref}: " + ", ".join(parts) + "."
