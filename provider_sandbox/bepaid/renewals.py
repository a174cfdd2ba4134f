"""How a bePaid subscription is billed: the first charge, renewals, retries and endings.

Everything runs on the sandbox clock; a ticker charges each subscription whose next
charge is due, at the moment it was due (a clock advanced by three days bills a daily
plan three times, each transaction dated on its own day).

* **First charge** (the payer on the hosted page, or a card sent with the request):
  the trial amount when the plan has a trial, else the plan amount. Success → ``trial``
  (renews when the trial ends) or ``active`` (``paid_billing_cycles`` 1). Failure or
  error → ``failed``, as the doc's automatic-cancellation rules say.
* **Renewals** charge the plan amount with the stored card, every ``interval``
  ``interval_unit`` counted from the first regular charge (hour and day are exact;
  month is the calendar month, the day clamped to the month's length and taken from
  the first charge again each time, so Jan 31 renews Feb 28, then Mar 31). Success →
  ``active``, ``paid_billing_cycles`` + 1, ``renew_at`` = ``active_to`` = the next date.
* **Failed renewal**: if nothing regular was ever paid (the first charge after a
  trial, unless ``trial.as_first_payment``), the subscription ends ``failed`` at once.
  Otherwise it goes ``failed_attempt`` and is retried one day later (or one plan
  interval later when that is shorter); ``number_payment_attempts`` counts every
  attempt for the period including the first, and when the last one fails the
  subscription ends ``failed`` (``error`` when that charge errored).
  ``number_failed_payment_attempts`` counts the failures; a success resets it and
  pays for the period the retry falls in (a period that passed unpaid is not charged
  afterwards), keeping the original billing days.
  While retrying, ``renew_at`` is the next attempt and ``active_to`` stays at the end
  of the paid period.
* **billing_cycles** (when not ``infinite``): after the last paid cycle ``renew_at``
  becomes null and at ``active_to`` the subscription ends ``expired``.

``trial_processing`` and ``processing`` are never observable: the sandbox charges
synchronously. Every state change (and every renewal) is notified to
``notification_url`` as the bare subscription object.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

from provider_sandbox.bepaid.records import from_epoch
from provider_sandbox.core import iso

RETRY_SPACING = timedelta(days=1)
FINAL_STATES = frozenset({"failed", "error", "expired", "canceled"})
PAYABLE_STATES = frozenset({"pending", "redirecting"})
BILLED_STATES = frozenset({"trial", "active", "failed_attempt"})


def add_interval(moment: datetime, count: int, unit: str) -> datetime:
    """``moment`` plus ``count`` hours, days or calendar months (day clamped)."""
    if unit == "hour":
        return moment + timedelta(hours=count)
    if unit == "day":
        return moment + timedelta(days=count)
    months = moment.month - 1 + count
    year, month = moment.year + months // 12, months % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def first_charge_amount(plan: dict[str, Any]) -> int:
    amount: int = plan["trial"]["amount"] if plan["trial"] else plan["plan"]["amount"]
    return amount


def apply_first_charge(sub: dict[str, Any], transaction: dict[str, Any], now: datetime) -> None:
    """Move a subscription on after its first charge concluded."""
    sub["last_transaction_uid"] = transaction["uid"]
    sub["pending_uid"] = None
    if transaction["status"] != "successful":
        _end(sub, "failed")
        return
    sub["card_token"] = transaction["credit_card"]["token"]
    plan = sub["plan"]
    trial = plan["trial"]
    if trial:
        anchor = add_interval(now, trial["interval"], trial["interval_unit"])
        sub.update(state="trial", had_success=bool(trial["as_first_payment"]), periods_billed=0)
        sub["anchor_at"] = anchor.timestamp()
        _schedule(sub, anchor)
        return
    sub.update(state="active", had_success=True, periods_billed=1, paid_billing_cycles=1)
    sub["anchor_at"] = now.timestamp()
    _schedule(sub, _period_end(sub))


def apply_renewal(sub: dict[str, Any], transaction: dict[str, Any] | None, due: datetime) -> None:
    """Apply a due renewal: ``transaction`` is its charge, ``None`` when cycles ran out."""
    plan = sub["plan"]
    if transaction is None:
        _end(sub, "expired")
        return
    sub["last_transaction_uid"] = transaction["uid"]
    if transaction["status"] == "successful":
        sub.update(
            state="active",
            had_success=True,
            number_failed_payment_attempts=0,
            paid_billing_cycles=sub["paid_billing_cycles"] + 1,
            periods_billed=sub["periods_billed"] + 1,
        )
        while _period_end(sub) <= due:  # long retries: skip periods that went unbilled
            sub["periods_billed"] += 1
        _schedule(sub, _period_end(sub))
        return
    failures = sub["number_failed_payment_attempts"] + 1
    sub["number_failed_payment_attempts"] = failures
    if not sub["had_success"]:
        _end(sub, "failed")
    elif failures >= plan["number_payment_attempts"]:
        _end(sub, "error" if transaction["status"] == "error" else "failed")
    else:
        regular = plan["plan"]
        spacing = min(
            RETRY_SPACING, add_interval(due, regular["interval"], regular["interval_unit"]) - due
        )
        retry_at = due + spacing
        sub.update(state="failed_attempt", renew_at=iso(retry_at), due_at=retry_at.timestamp())


def cycles_exhausted(sub: dict[str, Any]) -> bool:
    plan = sub["plan"]
    return not plan["infinite"] and sub["paid_billing_cycles"] >= plan["billing_cycles"]


def cancel(sub: dict[str, Any], reason: str, now: datetime) -> None:
    sub.update(cancel_reason=reason, cancelled_at=iso(now))
    _end(sub, "canceled")


def _period_end(sub: dict[str, Any]) -> datetime:
    """End of the last billed regular period (= the next regular charge date)."""
    regular = sub["plan"]["plan"]
    anchor = from_epoch(sub["anchor_at"])
    assert anchor is not None
    return add_interval(
        anchor, sub["periods_billed"] * regular["interval"], regular["interval_unit"]
    )


def _schedule(sub: dict[str, Any], paid_until: datetime) -> None:
    """Paid through ``paid_until``: renew then, or just expire then when cycles ran out."""
    sub["active_to"] = iso(paid_until)
    sub["due_at"] = paid_until.timestamp()
    sub["renew_at"] = None if cycles_exhausted(sub) else iso(paid_until)


def _end(sub: dict[str, Any], state: str) -> None:
    sub.update(state=state, renew_at=None, due_at=None)
