"""When to ask a provider about an open object next — from what is likely to change.

Before this schedule every Monitor refresh (every 5 s) asked about every open object:
2,000 open bills meant 2,000 requests a pass. Most open objects change rarely: a pay
link is paid within minutes of being sent or much later, a subscription changes around
its renewal. :func:`next_check` spreads the checks accordingly (all times the console's
"now": the sandbox's clock in sandbox mode):

===============================  ==================================================
object                           next check after a check at ``now``
===============================  ==================================================
bill or subscription `creating`  10 s (its lost answer is resolved within the grace)
pending, created < 10 min ago    5 s (the Monitor's fastest refresh: the payer is
                                 most likely paying now)
… < 1 h                          1 min
… < 6 h                          5 min
… < 24 h                         20 min
… older                          2 h
any of these with an expiry      never later than the expiry (+2 s), when the
                                 provider turns it `expired`
trial / active subscription      at ``renew_at`` + 1 min, then every minute for an
                                 hour after it; otherwise at most every 6 h
past_due subscription            every 5 min (bePaid retries the charge)
===============================  ==================================================

**Notifications.** When a provider's notifications are reaching the receiver (any
matched in the last :data:`NOTIFIED_WINDOW`), its objects learn their news that way, and
polling is only reconciliation: every interval above is multiplied by
:data:`NOTIFIED_FACTOR` (12) and capped at 6 h, so a fresh link is still checked every
minute in case a notification is lost.

**A failed check** (the provider did not answer) is tried again after
:data:`RETRY_AFTER_ERROR` at the latest.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from console.ledger import Bill, Subscription
from console.status import BillStatus, SubscriptionStatus

CREATING_EVERY = timedelta(seconds=10)
#: (age below which, interval) for pending objects, youngest first; older: the last.
PENDING_STEPS: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(minutes=10), timedelta(seconds=5)),
    (timedelta(hours=1), timedelta(minutes=1)),
    (timedelta(hours=6), timedelta(minutes=5)),
    (timedelta(hours=24), timedelta(minutes=20)),
)
PENDING_OLD = timedelta(hours=2)
AT_EXPIRY = timedelta(seconds=2)
AROUND_RENEWAL = timedelta(minutes=1)
AFTER_RENEWAL = timedelta(hours=1)
SUBSCRIPTION_MAX = timedelta(hours=6)
PAST_DUE_EVERY = timedelta(minutes=5)
RETRY_AFTER_ERROR = timedelta(seconds=30)
#: Notifications matched this recently mean the provider's notifications arrive.
NOTIFIED_WINDOW = timedelta(hours=1)
NOTIFIED_FACTOR = 12
NOTIFIED_MAX = timedelta(hours=6)


def next_check(record: Bill | Subscription, now: datetime, *, notified: bool = False) -> datetime:
    """When to ask about ``record`` next, after a check at ``now``."""
    interval = _interval(record, now)
    if notified:
        interval = min(interval * NOTIFIED_FACTOR, max(interval, NOTIFIED_MAX))
    due = now + interval
    expires_at = record.expires_at if isinstance(record, Bill) else None
    if expires_at is not None and now < expires_at + AT_EXPIRY < due:
        due = expires_at + AT_EXPIRY
    return due


def after_error(record: Bill | Subscription, now: datetime, *, notified: bool = False) -> datetime:
    """When to try again after the provider did not answer about ``record``."""
    return min(next_check(record, now, notified=notified), now + RETRY_AFTER_ERROR)


def _interval(record: Bill | Subscription, now: datetime) -> timedelta:
    status = record.status
    if status in (BillStatus.CREATING, SubscriptionStatus.CREATING):
        return CREATING_EVERY
    if status in (SubscriptionStatus.TRIAL, SubscriptionStatus.ACTIVE):
        return _until_renewal(record, now)
    if status is SubscriptionStatus.PAST_DUE:
        return PAST_DUE_EVERY
    age = max(timedelta(0), now - record.created_at)
    for younger_than, every in PENDING_STEPS:
        if age < younger_than:
            return every
    return PENDING_OLD


def _until_renewal(record: Bill | Subscription, now: datetime) -> timedelta:
    renew_at = record.renew_at if isinstance(record, Subscription) else None
    if renew_at is None:
        return SUBSCRIPTION_MAX
    if renew_at <= now < renew_at + AFTER_RENEWAL:
        return AROUND_RENEWAL
    if now < renew_at:
        return min(renew_at + AROUND_RENEWAL - now, SUBSCRIPTION_MAX)
    return SUBSCRIPTION_MAX
