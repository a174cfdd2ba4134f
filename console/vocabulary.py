"""The console's words for what it handles, each defined once with the label people read.

* :class:`Provider` — who holds the money: ``bepaid`` (subscriptions and card pay
  links), ``begateway`` (alternative payment methods, the beyag API of the same shop)
  and ``payture`` (Payture bills through behind-api).
* :class:`BillKind` — what a one-off bill is: a card pay link, an APM payment or a
  Payture bill; each kind belongs to one provider.
* :class:`ObjectType` — a ledger object is a bill or a subscription.

Statuses are :mod:`console.status` (``BillStatus``, ``SubscriptionStatus``) with their
labels there. Every table, filter and chart takes its labels from these enums, never
from a table of its own. They are ``StrEnum``: a member equals its stored text, so the
ledger keeps plain strings and comparisons with them keep working.
"""

from __future__ import annotations

from enum import StrEnum


class Provider(StrEnum):
    """The provider API a bill or subscription lives at."""

    BEPAID = "bepaid"
    BEGATEWAY = "begateway"
    PAYTURE = "payture"

    @property
    def label(self) -> str:
        return _PROVIDER_LABELS[self]


class BillKind(StrEnum):
    """What a one-off bill is."""

    CARD_LINK = "card_link"
    APM = "apm"
    PAYTURE_BILL = "payture_bill"

    @property
    def label(self) -> str:
        """``Card pay link`` — a title for tables, filters and headings."""
        return _KIND_LABELS[self]

    @property
    def noun(self) -> str:
        """``pay link`` — how a sentence names one (``Pay link B12 created.``)."""
        return _KIND_NOUNS[self]

    @property
    def provider(self) -> Provider:
        return _KIND_PROVIDER[self]


class ObjectType(StrEnum):
    """A ledger object: a bill (``B12``) or a subscription (``S3``)."""

    BILL = "bill"
    SUBSCRIPTION = "subscription"

    @property
    def prefix(self) -> str:
        return "B" if self is ObjectType.BILL else "S"


_PROVIDER_LABELS = {
    Provider.BEPAID: "bePaid",
    Provider.BEGATEWAY: "beGateway (APM)",
    Provider.PAYTURE: "Payture",
}
_KIND_LABELS = {
    BillKind.CARD_LINK: "Card pay link",
    BillKind.APM: "Alternative payment",
    BillKind.PAYTURE_BILL: "Payture bill",
}
_KIND_NOUNS = {
    BillKind.CARD_LINK: "pay link",
    BillKind.APM: "payment",
    BillKind.PAYTURE_BILL: "Payture bill",
}
_KIND_PROVIDER = {
    BillKind.CARD_LINK: Provider.BEPAID,
    BillKind.APM: Provider.BEGATEWAY,
    BillKind.PAYTURE_BILL: Provider.PAYTURE,
}

#: Subscriptions are a channel beside the bill kinds in reports (revenue by kind).
SUBSCRIPTION_CHANNEL = "subscription"
SUBSCRIPTION_LABEL = "Subscription"


def channel_label(channel: str) -> str:
    """The label of a bill kind or of ``subscription`` (report rows group by either)."""
    if channel == SUBSCRIPTION_CHANNEL:
        return SUBSCRIPTION_LABEL
    try:
        return BillKind(channel).label
    except ValueError:
        return channel


def provider_label(provider: str) -> str:
    """The label of a provider name (an unknown one is shown as it is)."""
    try:
        return Provider(provider).label
    except ValueError:
        return provider
