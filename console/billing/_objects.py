"""Asking a provider about one ledger object now (``billing.objects``): refresh, confirm,
and the two steps the notification receiver uses, observe and record."""

from __future__ import annotations

from console.auth import Action, Actor
from console.billing._bill_steps import bill_result
from console.billing._core import Core, Record
from console.billing._errors import ProviderFailed
from console.billing._observe import Observation
from console.billing._record import unchanged
from console.billing._results import Change, CreatedBill, CreatedSubscription, Refreshed
from console.billing._subscriptions import subscription_result
from console.ledger import Bill, Subscription
from console.providers import ProviderError
from console.status import BillStatus, SubscriptionStatus


class Objects:
    """One bill or subscription at a time."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def refresh(self, actor: Actor, ref: str | int | Record) -> Refreshed:
        """Ask the provider about one bill or subscription now; record status, payments and
        events (source ``poll``).

        Raises:
            PermissionDenied, UnknownObject, ProviderFailed (nothing recorded).
        """
        core = self._core
        record = core.find_for(actor, Action.REFRESH, "refresh", ref)
        if record.demo:
            change = _no_change(record, "Demo data is not at any provider.")
            return Refreshed(record, change, False, "Demo data: nothing to ask a provider.")
        checked_at = core.now()
        try:
            seen = core.observe(record)
        except ProviderError as exc:
            core.reschedule(record, checked_at, failed=True)
            raise ProviderFailed(exc.user_message, ref=record.ref, provider_error=exc) from exc
        change = core.record(record, seen, actor)
        fresh = core.find(record)
        core.reschedule(fresh, checked_at)
        still = fresh.status in (BillStatus.CREATING, SubscriptionStatus.CREATING)
        return Refreshed(fresh, change, still, _describe(change, still))

    def confirm(self, actor: Actor, ref: str | int | Record) -> CreatedBill | CreatedSubscription:
        """Re-check a creation whose answer was lost (``result.confirming``); returns the
        same kind of result as the create, with ``confirming`` False once resolved."""
        refreshed = self.refresh(actor, ref)
        record = refreshed.record
        warnings = refreshed.change.warnings
        if isinstance(record, Subscription):
            return subscription_result(self._core, record, warnings)
        return bill_result(self._core, record, record.kind.noun, warnings)

    def observe(self, record: Record) -> Observation:
        """What the provider says about ``record`` now (blocking), without recording it.

        Raises:
            ProviderError: the provider could not be asked.
        """
        return self._core.observe(record)

    def record(
        self, record: Record, seen: Observation, actor: Actor, *, source: str = "poll"
    ) -> Change:
        """Record ``seen`` for ``record`` (ids, payments, status, schedule) in one transaction."""
        return self._core.record(record, seen, actor, source)


def _no_change(record: Bill | Subscription, warning: str) -> Change:
    return unchanged(record, Observation(warnings=[warning]))


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
