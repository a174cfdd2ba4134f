"""Typed results of provider calls (and the few typed inputs the clients take).

Every result is a frozen dataclass: amounts are ``int`` minor units with their
ISO 4217 ``currency``; statuses are mapped to the console vocabulary
(:mod:`console.status`) with the provider's ``native_status`` kept beside them —
``status`` is ``None`` when the native status has no mapping, so callers keep what
they had instead of guessing; timestamps are timezone-aware ``datetime`` (``None``
when absent or unreadable); ``raw`` is the provider's JSON object for everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.status import BillStatus, SubscriptionStatus

# -- bePaid plans, customers, subscriptions ---------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """An amount charged every ``interval`` ``interval_unit`` (hour, day or month)."""

    amount: int
    interval: int
    interval_unit: str


@dataclass(frozen=True, slots=True)
class NewPlan:
    """A plan to create, or to send inline with a new subscription."""

    title: str
    currency: str
    amount: int
    interval: int
    interval_unit: str  # hour | day | month
    trial: Period | None = None
    billing_cycles: int | None = None  # None: infinite
    number_payment_attempts: int | None = None  # provider default: 3
    language: str | None = None
    test: bool = False


@dataclass(frozen=True, slots=True)
class Plan:
    """A bePaid subscription plan."""

    id: str
    title: str
    currency: str
    period: Period
    trial: Period | None
    infinite: bool
    billing_cycles: int | None
    number_payment_attempts: int | None
    test: bool
    created_at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def amount(self) -> int:
        return self.period.amount


@dataclass(frozen=True, slots=True)
class NewCheckout:
    """A card pay link to create (bePaid hosted checkout); amounts in minor units.

    ``expires_at`` must be timezone-aware (bePaid's default is 24 hours); ``customer``
    holds the payer's details (``email``, names, ...) sent as ``checkout.customer``.
    """

    amount: int
    currency: str
    description: str
    tracking_id: str | None = None
    expires_at: datetime | None = None
    test: bool = False
    attempts: int | None = None
    success_url: str | None = None
    decline_url: str | None = None
    fail_url: str | None = None
    cancel_url: str | None = None
    notification_url: str | None = None
    language: str | None = None
    customer: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class NewApmPayment:
    """An alternative-payment-method payment to create (beGateway beyag).

    ``tracking_id`` has no default so that callers decide consciously: without one, a
    lost answer cannot be recovered.
    """

    amount: int
    currency: str
    description: str
    method_type: str
    return_url: str
    tracking_id: str | None
    expires_at: datetime | None = None
    test: bool = False
    ip: str | None = None
    language: str | None = None
    notification_url: str | None = None
    customer: Mapping[str, str] | None = None
    method_token: str | None = None


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """A customer to create, or to send inline with a new subscription."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    country: str | None = None
    city: str | None = None
    address: str | None = None
    zip: str | None = None
    state: str | None = None  # two letters; bePaid requires it for US and CA
    ip: str | None = None  # bePaid requires email and ip for a new customer


@dataclass(frozen=True, slots=True)
class Customer:
    """A bePaid customer."""

    id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    created_at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class LastTransaction:
    """The latest charge of a subscription, as the subscription reports it."""

    uid: str
    native_status: str
    message: str | None
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A bePaid subscription; ``redirect_url`` is where the payer enters the card."""

    id: str
    status: SubscriptionStatus | None
    native_status: str
    plan_id: str | None
    plan: Plan | None
    customer_id: str | None
    tracking_id: str | None
    redirect_url: str | None
    created_at: datetime | None
    renew_at: datetime | None
    active_to: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    paid_billing_cycles: int | None
    last_transaction: LastTransaction | None
    raw: dict[str, Any] = field(repr=False, compare=False)


# -- bePaid hosted checkout and card transactions ---------------------------------


@dataclass(frozen=True, slots=True)
class CheckoutLink:
    """A hosted-checkout pay link just created: hand ``redirect_url`` to the payer."""

    token: str
    redirect_url: str
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class AttemptFacts:
    """What a provider said about one try to pay — why it ended as it did.

    ``card_last4`` is the only part of a card number kept (four digits, or None).
    """

    uid: str
    native_status: str
    at: datetime | None
    message: str | None
    code: str | None = None  # bePaid's processing code, e.g. F.0002
    friendly_message: str | None = None  # bePaid API v3: the sentence for the payer
    three_ds: str | None = None  # the 3-D Secure verification's status
    card_brand: str | None = None
    card_last4: str | None = None
    method: str | None = None  # credit_card, erip, ...


@dataclass(frozen=True, slots=True)
class Checkout:
    """A hosted checkout as ``GET /ctp/api/checkouts/{token}`` reports it.

    ``native_status`` is the checkout's ``status``; while nobody has paid the provider
    may leave it out, and then it is ``expired`` when ``expired`` is true, else
    ``pending``. ``transaction_uid`` is the card transaction behind it, once there is one.
    """

    token: str
    status: BillStatus | None
    native_status: str
    finished: bool
    expired: bool
    test: bool
    amount: int | None
    currency: str | None
    description: str | None
    tracking_id: str | None
    expires_at: datetime | None
    transaction_uid: str | None
    message: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)
    attempt: AttemptFacts | None = field(default=None, compare=False)  # the latest try


@dataclass(frozen=True, slots=True)
class Transaction:
    """A bePaid card transaction (``/transactions``)."""

    uid: str
    status: BillStatus | None
    native_status: str
    type: str | None
    amount: int
    currency: str
    description: str | None
    tracking_id: str | None
    message: str | None
    test: bool
    created_at: datetime | None
    paid_at: datetime | None
    parent_uid: str | None  # a refund's, capture's or void's payment
    raw: dict[str, Any] = field(repr=False, compare=False)
    facts: AttemptFacts | None = field(default=None, compare=False)

    @property
    def is_charge(self) -> bool:
        """A payment or a capture: money the payer gave (not a refund, void or hold)."""
        return self.type in (None, "payment", "capture")


@dataclass(frozen=True, slots=True)
class NewRefund:
    """Money to give back from an earlier payment (``parent_uid``), in minor units.

    ``duplicate_check`` (card refunds; the gateway's default) refuses the same parent
    and amount twice within 30 s; ``tracking_id`` (APM refunds) defaults to the payment's.
    """

    parent_uid: str
    amount: int
    reason: str
    duplicate_check: bool = True
    tracking_id: str | None = None


# -- beGateway alternative payments (beyag) ---------------------------------------


@dataclass(frozen=True, slots=True)
class FormField:
    """One input of the HTML form that sends the payer to the payment system."""

    type: str
    name: str
    id: str | None
    value: str


@dataclass(frozen=True, slots=True)
class PayForm:
    """The HTML form description from a beyag answer: ``<form action method>`` + fields."""

    action: str
    method: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True, slots=True)
class BeyagPayment:
    """A beGateway alternative-payment transaction; ``form`` is present while it waits."""

    uid: str
    status: BillStatus | None
    native_status: str
    type: str | None
    amount: int
    currency: str
    description: str | None
    tracking_id: str | None
    method_type: str | None
    message: str | None
    test: bool
    receipt_url: str | None
    form: PayForm | None
    created_at: datetime | None
    paid_at: datetime | None
    expired_at: datetime | None
    parent_uid: str | None  # a refund's payment
    raw: dict[str, Any] = field(repr=False, compare=False)
    facts: AttemptFacts | None = field(default=None, compare=False)

    @property
    def is_charge(self) -> bool:
        """A payment the payer made (not a refund)."""
        return self.type in (None, "payment")


# -- Payture bills through behind-api ---------------------------------------------


@dataclass(frozen=True, slots=True)
class BillExtras:
    """``extended`` data for ``billCreateUnauthorised``.

    Sent under the behind-api's own key names (``pageId``, ``giftRecipient``,
    ``giftMessage``, ``campaign``, ``source``, ``utm_*``); ``other`` adds any further
    keys verbatim.
    """

    page_id: str | None = None
    gift_recipient: str | None = None
    gift_message: str | None = None
    campaign: str | None = None
    source: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    other: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PaytureBill:
    """A Payture bill just created; send the payer to ``pay_url``."""

    bill_id: str
    pay_url: str
    session_id: str | None  # the SessionId of https://<host>/apim/Pay?SessionId=<id>
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class PaytureBillStatus:
    """``billStatus`` of a bill: ``native_status`` is PENDING, PAID, DONE or AMOUNT_MISMATCH.

    ``bill_status`` is Payture's own view (``bill_info.bill_status``). ``amount`` is in
    minor units of the bill's product currency, which behind-api does not repeat:
    ``currency`` is ``None`` unless the answer names one (billing knows it from the
    product the bill was made for).
    """

    bill_id: str
    status: BillStatus | None
    native_status: str
    bill_status: str | None
    amount: int | None
    currency: str | None
    gift_code: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Product:
    """A subscription product from the sandbox's catalogue (what ``subscription_id`` names).

    ``kind`` is ``direct`` (subscription or page access) or ``gift`` (paying yields a
    gift code).
    """

    id: str
    title: str
    amount: int
    currency: str
    kind: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)
