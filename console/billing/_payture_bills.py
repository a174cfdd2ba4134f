"""Payture bills through behind-api (``billing.payture_bills``)."""

from __future__ import annotations

from collections.abc import Mapping

from console.auth import Action, Actor
from console.billing._bill_steps import Made, confirming, created, money_of, start_bill
from console.billing._core import Core, new_tracking_id
from console.billing._drafts import PaytureBillDraft
from console.billing._once import Once
from console.billing._results import CreatedBill
from console.ledger import NewBill
from console.money import Money
from console.providers import (
    PAYTURE_EXTENDED_KEYS,
    BillExtras,
    OutcomeUnknown,
    PaytureBill,
    Product,
    payture_extended,
)
from console.validation import Fields, identifier, text, uuid_text
from console.validation import email as email_rule
from console.validation import url as url_rule
from console.vocabulary import BillKind, Provider

#: Words of behind-api's bare error messages -> form fields (it has no field errors).
PAYTURE_HINTS = {
    "subscription_id": "product_id",
    "product": "product_id",
    "user_id": "user_id",
    "redirect_url": "redirect_url",
    "extended": "extended",
}


class PaytureBills:
    """Payture bills for catalogue products, and the catalogue itself."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def products(self, actor: Actor) -> tuple[Product, ...]:
        """The Payture product catalogue (sandbox mode); () where behind-api has none (live)."""
        self._core.require(actor, Action.VIEW, "list_payture_products")
        return self._core.catalogue()

    def create(
        self, actor: Actor, draft: PaytureBillDraft, *, idempotency_key: str | None = None
    ) -> CreatedBill:
        """A Payture bill (see :class:`PaytureBillDraft` for guest bills and prices).

        Form fields in errors: product_id, user_id, redirect_url, extended.<name>,
        description, customer_email, amount, currency (and ``form``).
        """
        core = self._core
        core.require(actor, Action.CREATE, "create_payture_bill")
        fields = Fields()
        product_key = fields.check("product_id", uuid_text, draft.product_id, required=True)
        guest = bool(draft.user_id or draft.redirect_url or draft.extended)
        user = fields.check("user_id", text, draft.user_id, required=guest)
        back = fields.check(
            "redirect_url", url_rule, draft.redirect_url, https_only=core.https_only
        )
        extras = _extras(fields, draft.extended)
        about = fields.check("description", text, draft.description)
        email = fields.check("customer_email", email_rule, draft.customer_email)
        catalogue = core.catalogue()
        product = next((p for p in catalogue if p.id == product_key), None)
        if catalogue and product_key and product is None:
            fields.add("product_id", "There is no such product in the catalogue.")
        price: Money | None = None
        if product is not None:
            price = Money(product.amount, product.currency)
        elif not catalogue:  # live behind-api: the person gives the product's price
            price = money_of(core, fields, draft.amount, draft.currency)
        fields.raise_if_any()
        assert product_key is not None and price is not None
        once = Once.of(
            idempotency_key,
            "create_payture_bill",
            {
                "product": product_key,
                "user": user,
                "redirect_url": back,
                "extended": extras,
                "description": about,
                "email": email,
                "amount": price.minor,
                "currency": price.currency,
            },
        )
        client = core.clients.payture
        title = product.title if product else None
        extra: dict[str, object] = {"product_id": product_key, "method": "billCreate"}
        if guest:
            extra.update(method="billCreateUnauthorised", user_id=user)
        if title:
            extra["product_title"] = title
        if extras:
            extra["extended"] = extras
        new = NewBill(
            provider=Provider.PAYTURE,
            kind=BillKind.PAYTURE_BILL,
            tracking_id=new_tracking_id("bill"),
            amount=price.minor,
            currency=price.currency,
            description=about or title,
            customer_email=email,
            test=core.test_mode,
            extra=extra,
        )
        started = start_bill(core, actor, "create_payture_bill", once, "Payture bill", new)
        if isinstance(started, CreatedBill):
            return started

        def call() -> PaytureBill:
            if guest:
                assert user is not None
                return client.bill_create_unauthorised(
                    product_key, user, redirect_url=back, extended=extras or None
                )
            return client.bill_create(product_key)

        made = core.send(
            actor, "create_payture_bill", started, call, fields={}, hints=PAYTURE_HINTS
        )
        if isinstance(made, OutcomeUnknown):
            return confirming(core, actor, "create_payture_bill", started, made, "Payture bill")
        answer = Made(
            "PENDING", provider_id=made.bill_id, token=made.session_id, pay_url=made.pay_url
        )
        return created(core, actor, "create_payture_bill", started, answer, "Payture bill")


def _extras(fields: Fields, extended: BillExtras | Mapping[str, str] | None) -> dict[str, str]:
    """``extended`` under behind-api's key names, every value checked as text."""
    if extended is None:
        return {}
    if not isinstance(extended, BillExtras | Mapping):
        fields.add("extended", "Extra data must be name/value pairs.")
        return {}
    attribute_of = {key: name for name, key in PAYTURE_EXTENDED_KEYS.items()}
    checked: dict[str, str] = {}
    for key, value in (payture_extended(extended) or {}).items():
        label = f"extended.{attribute_of.get(key, key)}"
        name = fields.check(label, identifier, str(key), required=True)
        found = fields.check(label, text, value, max_length=1000)
        if name and found:
            checked[name] = found
    return checked
