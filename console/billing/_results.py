"""What billing's use cases return: small frozen dataclasses a page can render directly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console.ledger import Bill, Subscription
from console.providers import FormField, PayForm, Plan
from console.status import BillStatus, SubscriptionStatus


@dataclass(frozen=True, slots=True)
class CreatedBill:
    """A bill (pay link, APM payment or Payture bill) just created, or being confirmed.

    ``confirming`` is True while the provider's answer was lost and the ledger row is
    still ``creating``: show ``message`` ("being confirmed") and call
    ``Billing.confirm(actor, result.ref)`` to re-check. ``form`` is the HTML form
    description of an APM payment (render it with console.payform).
    """

    bill: Bill
    pay_url: str | None
    form: PayForm | None
    confirming: bool
    message: str
    #: True when this answers a repeated submit of the same form (nothing was sent).
    repeated: bool = False

    @property
    def ref(self) -> str:
        return self.bill.ref

    @property
    def status(self) -> BillStatus:
        return self.bill.status


@dataclass(frozen=True, slots=True)
class CreatedSubscription:
    """A subscription just created (``pay_url`` is where the payer enters the card)."""

    subscription: Subscription
    pay_url: str | None
    confirming: bool
    message: str
    repeated: bool = False  # answers a repeated submit of the same form (nothing sent)

    @property
    def ref(self) -> str:
        return self.subscription.ref

    @property
    def status(self) -> SubscriptionStatus:
        return self.subscription.status


@dataclass(frozen=True, slots=True)
class CreatedPlan:
    """A bePaid plan just created (``recovered``: found by listing after a lost answer)."""

    plan: Plan
    recovered: bool
    message: str
    repeated: bool = False  # answers a repeated submit of the same form (nothing sent)


@dataclass(frozen=True, slots=True)
class CanceledSubscription:
    """The subscription after a cancel (``already``: it had ended before we asked)."""

    subscription: Subscription
    already: bool
    message: str
    repeated: bool = False  # answers a repeated submit of the same form (nothing sent)

    @property
    def ref(self) -> str:
        return self.subscription.ref


@dataclass(frozen=True, slots=True)
class Change:
    """What one refresh did to one ledger object (``before`` -> ``after``)."""

    ref: str
    object_type: str
    object_id: int
    before: str
    after: str
    native_status: str | None
    status_changed: bool
    new_payments: int
    warnings: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True when a status event or a payment was recorded."""
        return self.status_changed or self.new_payments > 0


@dataclass(frozen=True, slots=True)
class Refreshed:
    """A bill or subscription after asking its provider now."""

    record: Bill | Subscription
    change: Change
    confirming: bool
    message: str

    @property
    def ref(self) -> str:
        return self.record.ref


@dataclass(frozen=True, slots=True)
class Imported:
    """An object found at a provider and recorded (``created`` False: it was already there)."""

    record: Bill | Subscription
    created: bool
    provider: str
    message: str
    warnings: tuple[str, ...] = field(default=())

    @property
    def ref(self) -> str:
        return self.record.ref


def form_of(data: dict[str, Any] | None) -> PayForm | None:
    """The ledger's stored form JSON back as a :class:`PayForm` (None when absent)."""
    if not data or not data.get("action"):
        return None
    fields = tuple(
        FormField(
            type=str(item.get("type") or "hidden"),
            name=str(item["name"]),
            id=item.get("id"),
            value="" if item.get("value") is None else str(item["value"]),
        )
        for item in data.get("fields") or []
        if isinstance(item, dict) and item.get("name")
    )
    return PayForm(
        action=str(data["action"]), method=str(data.get("method") or "POST"), fields=fields
    )


def form_data(form: PayForm | None) -> dict[str, Any] | None:
    """A :class:`PayForm` as the JSON the ledger stores (the gateway's own shape)."""
    if form is None:
        return None
    return {
        "action": form.action,
        "method": form.method,
        "fields": [
            {"type": f.type, "name": f.name, "id": f.id, "value": f.value} for f in form.fields
        ],
    }
