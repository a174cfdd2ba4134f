"""Billing: the one place where an action becomes provider calls and ledger rows.

Pages hold one :class:`Billing` (``st.cache_resource``; it is thread-safe). As in
stripe-python, it is a facade with one small service per resource, each method a use
case that takes the acting :class:`~console.auth.Actor`::

    billing = Billing.open()                       # settings + ledger from the config
    draft = PayLinkDraft(amount="12.50", currency="BYN", description="Order 17")
    result = billing.pay_links.create(actor, draft, idempotency_key=form_key)
    if result.confirming:                          # the provider's answer was lost
        st.info(result.message)                    # "... is being confirmed ..."
        result = billing.objects.confirm(actor, result.ref)

Services: ``pay_links`` (card pay links), ``apm_payments``, ``payture_bills``
(and their ``products``), ``plans``, ``subscriptions`` (create, cancel), ``objects``
(refresh, confirm one object; observe and record for the notification receiver),
``imports`` (objects made elsewhere), ``refunds`` (give money back, see its module),
``sync`` (every open object at once), ``notifications`` (Payture notifications for the
receiver, and an admin's replay of any stored notification). Inputs are
one value per form (``PayLinkDraft``, ``PlanDraft``, ...); plumbing is private.

Every use case, in this order:

1. **Permission, now** — the person's session and current role are checked
   (``console.sessions.Authority.current``), then ``require(actor, Action.X)``; a
   refusal raises ``PermissionDenied`` after writing an audit row with outcome
   ``refused``; nothing else is written and nothing is sent.
2. **All input checked first** (:mod:`console.validation`): one ``InvalidInput``
   carries ``{field: message}`` for every bad field; nothing written, nothing sent.
   The field names are listed in each method's docstring; ``form`` is the key for
   messages about the whole form.
3. **A tracking id** ``mc-<link|apm|bill|sub|import>-<ULID>`` (time-sortable, unique).
4. **The attempt is recorded before the provider is called**: a ledger row with
   status ``creating``, a ``started`` audit row and the form's idempotency key
   (``_once``), in one transaction. Then the call; then its answer (ids, pay link or
   form, status ``pending``) and an ``ok`` audit row, in one transaction. A crash
   between the two leaves a ``creating`` row that a refresh resolves — never a lost
   or a duplicated payment; a repeated submit of the form gets the first one back.
5. **Provider failures.** The ledger is history, so a failed attempt is *kept*,
   with status ``failed`` and the provider's detail in its status event, plus a
   ``failed`` audit row:

   * the provider refused the content (422/400) → ``ProviderRejectedInput`` (an
     ``InvalidInput``): the provider's messages mapped back to form fields where
     the field is obvious (``checkout.order.amount`` → ``amount``), else ``form``;
   * unavailable (5xx, unreachable), rate limited (429), credentials refused →
     ``ProviderFailed`` with one clear sentence (``retry_after`` when known);
     nothing was created at the provider.
   * **the answer was lost** (``OutcomeUnknown``: a timeout or dropped connection
     after the request was sent) → the row stays ``creating``, a ``failed`` audit
     row says the outcome is unknown, and billing immediately tries to confirm it.
     The result has ``confirming=True`` and a message saying so until it is
     resolved; ``objects.confirm(actor, ref)`` re-checks (``sync`` does too).

Outcome-unknown policy (what "confirm" can and cannot find):

* **APM payments** are found by tracking id (``find_payments``): the row gets its
  uid, form and status. If the gateway still has none after the grace period, the
  row is closed ``failed`` ("not created").
* **Card pay links, subscriptions, Payture bills** cannot be looked up: bePaid has
  no search for checkouts or subscriptions, behind-api none for bills (only card
  *charges* are searchable by tracking id, and an unpaid link has none). Their
  pay link never reached anyone, so nobody can pay what may exist at the provider.
  After :data:`CREATING_GRACE` (10 minutes — longer than any create call can still
  be in flight, so a refresh never closes a row whose creation is still running)
  the row is closed ``canceled`` with that explanation in its status event and a
  ``confirm_creation`` audit row. Nothing is re-created automatically: the person
  decides (the message says they may create a new one right away). If a charge
  with the tracking id ever appears, it is recorded and the row is not closed.
* **Plans** (not in the ledger) are confirmed by listing plans: one with the same
  terms is the result.

Whatever happens, an attempt makes at most one object at the provider (nothing is
ever re-sent) and exactly one ledger row records it.

Defaults:

* Notification URLs are ``<webhook_url>/notifications/bepaid`` (checkouts,
  subscriptions) and ``/notifications/beyag`` (APM), sent only when the setting
  ``webhook_url`` is set; otherwise status comes from polling (``console.sync``).
* Return URLs: pay links send none when left empty (the payer sees bePaid's own
  result page); subscriptions likewise. An APM payment needs one (the gateway
  requires it): ``Billing(return_url=...)`` (your shop's thank-you page), else in
  sandbox mode the sandbox's address; in live mode the person must give one.
* Objects are created with ``test: true`` in sandbox mode.
* Pay-link and APM expiry: optional, at least 5 minutes and at most 30 days ahead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Self

from console.billing._apm_payments import APM_METHODS, ApmPayments
from console.billing._clients import Clients
from console.billing._core import CREATING_GRACE, Core, new_tracking_id, utc_now
from console.billing._drafts import (
    ApmPaymentDraft,
    PayLinkDraft,
    PaytureBillDraft,
    PlanDraft,
    RefundDraft,
    SubscriptionDraft,
)
from console.billing._errors import (
    BillingError,
    NotCancelable,
    NotFoundAtProvider,
    NotRefundable,
    NotReplayable,
    ProviderFailed,
    ProviderRejectedInput,
    UnknownObject,
)
from console.billing._import import Imports
from console.billing._notifications import Notifications, Replayed
from console.billing._objects import Objects
from console.billing._observe import Observation
from console.billing._once import new_idempotency_key
from console.billing._pay_links import PayLinks
from console.billing._payture_bills import PaytureBills
from console.billing._plans import Plans
from console.billing._refunds import Refundable, RefundPreview, RefundResult, Refunds
from console.billing._results import (
    CanceledSubscription,
    Change,
    CreatedBill,
    CreatedPlan,
    CreatedSubscription,
    Imported,
    Refreshed,
)
from console.billing._schedule import next_check
from console.billing._subscriptions import Subscriptions
from console.billing._sync import DEFAULT_CONCURRENCY, ObjectError, Sync, SyncReport
from console.config import Settings, load_settings
from console.ledger import Ledger
from console.providers import BepaidClient, BeyagClient, PaytureClient
from console.sessions import Authority, Directory
from console.validation import FORM, InvalidInput


class Billing:
    """Every billing use case over one settings object, one ledger and the provider clients.

    See the package docstring for the services and the rules every use case follows.
    """

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        *,
        bepaid: BepaidClient | None = None,
        beyag: BeyagClient | None = None,
        payture: PaytureClient | None = None,
        clock: Callable[[], datetime] = utc_now,
        creating_grace: timedelta = CREATING_GRACE,
        return_url: str | None = None,
        authority: Authority | None = None,
    ) -> None:
        """Build the services over ``settings`` and ``ledger``.

        Args:
            bepaid, beyag, payture: clients to use; by default each is built from
                ``settings`` on first use (``ConfigError`` when that provider is not
                configured).
            clock: the current time (expiry checks, the creating grace period).
            creating_grace: see :data:`CREATING_GRACE`.
            return_url: where APM payers come back to when the form leaves it empty
                (your shop's thank-you page); see the package docstring.
            authority: who a person is *now* (session, current role); by default the
                people of ``settings.secrets_path`` and the sessions in ``ledger``.
        """
        core = Core(
            settings,
            ledger,
            Clients(settings, bepaid=bepaid, beyag=beyag, payture=payture),
            authority=authority or Authority(ledger, Directory(settings.secrets_path)),
            clock=clock,
            creating_grace=creating_grace,
            return_url=return_url,
        )
        self.settings = settings
        self.ledger = ledger
        self.pay_links = PayLinks(core)
        self.apm_payments = ApmPayments(core)
        self.payture_bills = PaytureBills(core)
        self.plans = Plans(core)
        self.subscriptions = Subscriptions(core)
        self.objects = Objects(core)
        self.imports = Imports(core, self.objects)
        self.refunds = Refunds(core)
        self.sync = Sync(core, self.refunds)
        self.notifications = Notifications(core)

    @classmethod
    def open(cls, settings: Settings | None = None, *, ledger_path: Path | None = None) -> Self:
        """Billing over the configured ledger (``load_settings()`` when not given)."""
        settings = settings or load_settings()
        return cls(settings, Ledger(ledger_path or settings.ledger_path))


__all__ = [
    "APM_METHODS",
    "CREATING_GRACE",
    "DEFAULT_CONCURRENCY",
    "FORM",
    "ApmPaymentDraft",
    "Billing",
    "BillingError",
    "CanceledSubscription",
    "Change",
    "CreatedBill",
    "CreatedPlan",
    "CreatedSubscription",
    "Imported",
    "InvalidInput",
    "NotCancelable",
    "NotFoundAtProvider",
    "NotRefundable",
    "NotReplayable",
    "Notifications",
    "ObjectError",
    "Observation",
    "PayLinkDraft",
    "PaytureBillDraft",
    "PlanDraft",
    "ProviderFailed",
    "ProviderRejectedInput",
    "Refreshed",
    "RefundDraft",
    "RefundPreview",
    "RefundResult",
    "Refundable",
    "Replayed",
    "SubscriptionDraft",
    "SyncReport",
    "UnknownObject",
    "new_idempotency_key",
    "new_tracking_id",
    "next_check",
]
