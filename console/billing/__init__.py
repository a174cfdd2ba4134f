"""Billing: the one place where an action becomes provider calls and ledger rows.

Pages hold one :class:`Billing` (``st.cache_resource``; it is thread-safe) and call
one method per use case, passing the acting :class:`~console.auth.Actor`::

    billing = Billing.open()                       # settings + ledger from the config
    result = billing.create_pay_link(actor, amount="12.50", currency="BYN",
                                     description="Order 17")
    if result.confirming:                          # the provider's answer was lost
        st.info(result.message)                    # "... is being confirmed ..."
        result = billing.confirm(actor, result.ref)

Use cases: ``create_pay_link``, ``create_apm_payment``, ``payture_products``,
``create_payture_bill``, ``create_plan``, ``list_plans``, ``every_plan``, ``create_subscription``,
``cancel_subscription``, ``refresh``, ``confirm``, ``import_object``. Bulk refresh
is :mod:`console.sync`.

Every use case, in this order:

1. **Permission** — ``require(actor, Action.X)``; a refusal raises
   ``PermissionDenied`` after writing an audit row with outcome ``refused``;
   nothing else is written and nothing is sent.
2. **All input checked first** (:mod:`console.validation`): one ``InvalidInput``
   carries ``{field: message}`` for every bad field; nothing written, nothing sent.
   The field names are listed in each method's docstring; ``form`` is the key for
   messages about the whole form.
3. **A tracking id** ``mc-<link|apm|bill|sub|import>-<ULID>`` (time-sortable, unique).
4. **The attempt is recorded before the provider is called**: a ledger row with
   status ``creating``. Then the call; then its answer (ids, pay link or form,
   status ``pending``) and an ``ok`` audit row, in one transaction. A crash between
   the two leaves a ``creating`` row that a refresh resolves — never a lost or a
   duplicated payment.
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
     resolved; ``confirm(actor, ref)`` re-checks (``console.sync`` does too).

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

from console.billing._base import CREATING_GRACE, new_tracking_id
from console.billing._bills import APM_METHODS, BillCreation
from console.billing._errors import (
    BillingError,
    NotCancelable,
    NotFoundAtProvider,
    ProviderFailed,
    ProviderRejectedInput,
    UnknownObject,
)
from console.billing._import import Importing
from console.billing._once import new_idempotency_key
from console.billing._results import (
    CanceledSubscription,
    Change,
    CreatedBill,
    CreatedPlan,
    CreatedSubscription,
    Imported,
    Refreshed,
)
from console.billing._subscriptions import PlanDraft, SubscriptionUseCases
from console.validation import FORM, InvalidInput


class Billing(BillCreation, SubscriptionUseCases, Importing):
    """Every billing use case over one settings object, one ledger and the provider clients.

    ``Billing(settings, ledger, *, bepaid=None, beyag=None, payture=None, clock=...,
    creating_grace=CREATING_GRACE, return_url=None)``; ``Billing.open()`` builds one
    from the configuration. See the package docstring for the rules every method follows.
    """


__all__ = [
    "APM_METHODS",
    "CREATING_GRACE",
    "FORM",
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
    "PlanDraft",
    "ProviderFailed",
    "ProviderRejectedInput",
    "Refreshed",
    "UnknownObject",
    "new_idempotency_key",
    "new_tracking_id",
]
