"""What a person fills in, one value per form: the inputs of billing's create use cases.

Values are as typed — an amount is text (``"12.50"``) or int minor units, blanks are
``None`` — because billing checks every field and answers with a message per field
(``InvalidInput``); these classes only carry them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from console.providers import BillExtras


@dataclass(frozen=True)
class PayLinkDraft:
    """A card pay link (bePaid hosted checkout).

    ``expires_at`` defaults to bePaid's 24 hours and may be at most 30 days ahead.
    Return pages left empty are not sent: the payer then sees bePaid's own result page.
    """

    amount: str | int | None
    currency: str | None
    description: str | None
    customer_email: str | None = None
    expires_at: datetime | None = None
    success_url: str | None = None
    decline_url: str | None = None
    fail_url: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class ApmPaymentDraft:
    """An alternative-payment-method payment (beGateway beyag).

    ``return_url`` (required by the gateway) defaults to ``Billing(return_url=...)``,
    then, in sandbox mode only, to the sandbox's address. ``customer`` holds the payer's
    details some payment methods need (first_name, last_name, phone, country, city,
    zip, address; empty values are left out).
    """

    amount: str | int | None
    currency: str | None
    description: str | None
    method_type: str | None
    return_url: str | None = None
    customer_email: str | None = None
    expires_at: datetime | None = None
    language: str | None = None
    customer: Mapping[str, str | None] | None = None


@dataclass(frozen=True)
class PaytureBillDraft:
    """A Payture bill through behind-api for a catalogue product.

    A guest bill (``billCreateUnauthorised``) when ``user_id``, ``redirect_url`` or
    ``extended`` is given — it needs ``user_id`` — else ``billCreate``. In sandbox mode
    amount and currency come from the catalogue; live behind-api has none, so there the
    product's ``amount`` and ``currency`` are required.
    """

    product_id: str | None
    user_id: str | None = None
    redirect_url: str | None = None
    extended: BillExtras | Mapping[str, str] | None = None
    description: str | None = None
    customer_email: str | None = None
    amount: str | int | None = None
    currency: str | None = None


@dataclass(frozen=True)
class PlanDraft:
    """A plan as a person fills it in; amounts are typed text or int minor units.

    A trial needs all three ``trial_*`` values; ``billing_cycles`` None means
    "until canceled"; ``number_payment_attempts`` None is bePaid's default (3).
    """

    title: str | None
    amount: str | int | None
    currency: str | None
    interval: int | str | None
    interval_unit: str | None
    trial_amount: str | int | None = None
    trial_interval: int | str | None = None
    trial_unit: str | None = None
    billing_cycles: int | str | None = None
    number_payment_attempts: int | str | None = None
    language: str | None = None


@dataclass(frozen=True)
class SubscriptionDraft:
    """A subscription to an existing plan (its id) or an inline plan (a :class:`PlanDraft`).

    The e-mail is always kept in the ledger; it is sent to bePaid as a new customer
    only together with the payer's IP address (bePaid requires both), otherwise bePaid
    collects the payer's details on its page.
    """

    plan: str | PlanDraft | None
    customer_email: str | None = None
    customer_ip: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    return_url: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class RefundDraft:
    """Money to give back from one charge: ``amount`` as typed (``None``: all that
    remains), and the ``reason`` (required; the provider keeps it, at most 255 characters)."""

    amount: str | int | None
    reason: str | None
