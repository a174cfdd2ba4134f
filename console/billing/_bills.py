"""Creating one-off bills: card pay links (bePaid checkout), APM payments (beyag), Payture bills.

Each method: permission, then every input checked (``InvalidInput`` with all bad
fields; nothing written, nothing sent), then a ledger row ``creating`` is written,
then the provider is called, then its answer is recorded. See the package
docstring for what happens when the provider fails or its answer is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from console.auth import Action, Actor
from console.billing._base import BillingBase, new_tracking_id
from console.billing._once import Once
from console.billing._results import CreatedBill, form_data, form_of
from console.ledger import Bill, IdempotencyRow, NewBill
from console.providers import (
    BillExtras,
    NewApmPayment,
    NewCheckout,
    OutcomeUnknown,
    PayForm,
    Product,
    ProviderError,
)
from console.providers.payture import EXTENDED_KEYS, extended_of
from console.status import BillStatus
from console.validation import (
    FORM,
    PAY_LINK_MAX_LIFETIME,
    Fields,
    InvalidInput,
    identifier,
    text,
    uuid_text,
)
from console.validation import amount as amount_rule
from console.validation import country as country_rule
from console.validation import currency as currency_rule
from console.validation import email as email_rule
from console.validation import expiry as expiry_rule
from console.validation import language as language_rule
from console.validation import phone as phone_rule
from console.validation import url as url_rule

#: Payer details an APM payment may carry (beGateway's ``customer`` section; some
#: payment methods require some of them): name -> (rule, maximum length). The lengths
#: are the gateway's documented ones; phone and country have their own formats.
APM_CUSTOMER_FIELDS: dict[str, tuple[Any, int | None]] = {
    "first_name": (text, 60),
    "last_name": (text, 60),
    "phone": (phone_rule, None),
    "country": (country_rule, None),
    "city": (text, 120),
    "zip": (text, 40),
    "address": (text, 510),
}

#: Provider error paths -> form fields, per create call.
CHECKOUT_FIELDS = {
    "amount": "amount",
    "currency": "currency",
    "description": "description",
    "expired_at": "expires_at",
    "success_url": "success_url",
    "decline_url": "decline_url",
    "fail_url": "fail_url",
    "language": "language",
    "customer.email": "customer_email",
}
APM_FIELDS = {
    "amount": "amount",
    "currency": "currency",
    "description": "description",
    "expired_at": "expires_at",
    "return_url": "return_url",
    "language": "language",
    "customer.email": "customer_email",
    **{f"customer.{name}": f"customer.{name}" for name in APM_CUSTOMER_FIELDS},
    "method": "method_type",
    "method.type": "method_type",
    "system": "method_type",
}
PAYTURE_HINTS = {
    "subscription_id": "product_id",
    "product": "product_id",
    "user_id": "user_id",
    "redirect_url": "redirect_url",
    "extended": "extended",
}
#: Method types the sandbox's payment systems accept (pages offer these as choices).
APM_METHODS = ("erip", "alipay", "qiwi", "webmoney", "yandex", "demo")


class BillCreation(BillingBase):
    """Use cases that create one-off bills."""

    def create_pay_link(
        self,
        actor: Actor,
        *,
        amount: str | int,
        currency: str,
        description: str,
        customer_email: str | None = None,
        expires_at: datetime | None = None,
        success_url: str | None = None,
        decline_url: str | None = None,
        fail_url: str | None = None,
        language: str | None = None,
        idempotency_key: str | None = None,
    ) -> CreatedBill:
        """A card pay link through bePaid's hosted checkout.

        ``amount`` is typed text (``"12.50"``) or int minor units. ``expires_at``
        defaults to bePaid's 24 hours and may be at most 30 days ahead. Return URLs
        left empty are not sent: the payer then sees bePaid's own result page.

        Form fields in errors: amount, currency, description, customer_email,
        expires_at, success_url, decline_url, fail_url, language (and ``form``).

        Raises:
            PermissionDenied, InvalidInput, ProviderRejectedInput, ProviderFailed.
        """
        self.require(actor, Action.CREATE, "create_pay_link")
        fields = Fields()
        code, minor = self._money(fields, amount, currency)
        about = fields.check("description", text, description, required=True)
        email = fields.check("customer_email", email_rule, customer_email)
        expiry = fields.check(
            "expires_at",
            expiry_rule,
            expires_at,
            now=self.now(),
            tz=self.settings.timezone,
            max_ahead=PAY_LINK_MAX_LIFETIME,
        )
        urls = {
            name: fields.check(name, url_rule, value, https_only=self.https_only)
            for name, value in (
                ("success_url", success_url),
                ("decline_url", decline_url),
                ("fail_url", fail_url),
            )
        }
        lang = fields.check("language", language_rule, language)
        fields.raise_if_any()
        once = Once.of(idempotency_key, "create_pay_link", {
            "amount": minor, "currency": code, "description": about, "email": email,
            "urls": urls, "language": lang,
        })  # fmt: skip
        client = self.client("bepaid")
        started = self._start_bill(
            actor, "create_pay_link", once, "pay link",
            "bepaid", "card_link", "link", minor, code, about, email, expiry,
            extra={"language": lang} if lang else None,
        )  # fmt: skip
        if isinstance(started, CreatedBill):
            return started
        bill = started
        try:
            link = client.create_checkout(
                NewCheckout(
                    amount=minor,
                    currency=code,
                    description=about,
                    tracking_id=bill.tracking_id,
                    expires_at=expiry,
                    test=self.test_mode,
                    success_url=urls["success_url"],
                    decline_url=urls["decline_url"],
                    fail_url=urls["fail_url"],
                    notification_url=self.notification_url("bepaid"),
                    language=lang,
                    customer={"email": email} if email else None,
                )
            )
        except OutcomeUnknown as exc:
            return self._confirming(actor, "create_pay_link", bill, exc, "pay link")
        except ProviderError as exc:
            self.creation_failed(actor, "create_pay_link", bill, exc, CHECKOUT_FIELDS)
        except Exception as exc:
            self.unexpected(actor, "create_pay_link", bill, exc)
            raise
        return self._created(
            actor, "create_pay_link", bill, token=link.token, pay_url=link.redirect_url,
            native="pending", what="Pay link",
        )  # fmt: skip

    def create_apm_payment(
        self,
        actor: Actor,
        *,
        amount: str | int,
        currency: str,
        description: str,
        method_type: str,
        return_url: str | None = None,
        customer_email: str | None = None,
        expires_at: datetime | None = None,
        language: str | None = None,
        customer: Mapping[str, str | None] | None = None,
        idempotency_key: str | None = None,
    ) -> CreatedBill:
        """An alternative-payment-method payment (beGateway beyag); the result's ``form``
        is the HTML form that sends the payer to the payment system.

        ``return_url`` (required by the gateway) defaults to ``Billing(return_url=...)``,
        then, in sandbox mode only, to the sandbox's address. ``customer`` holds the
        payer's details some payment methods need (the keys of
        :data:`APM_CUSTOMER_FIELDS`; empty values are left out); they are sent to the
        gateway and kept in the bill's extra data as ``customer``.

        Form fields in errors: amount, currency, description, method_type, return_url,
        customer_email, expires_at, language, customer.<name> (and ``form``).
        """
        self.require(actor, Action.CREATE, "create_apm_payment")
        fields = Fields()
        code, minor = self._money(fields, amount, currency)
        about = fields.check("description", text, description, required=True)
        method = fields.check("method_type", identifier, method_type, required=True)
        back = fields.check(
            "return_url", url_rule, return_url or self._default_return_url(),
            https_only=self.https_only, required=True,
        )  # fmt: skip
        email = fields.check("customer_email", email_rule, customer_email)
        expiry = fields.check(
            "expires_at",
            expiry_rule,
            expires_at,
            now=self.now(),
            tz=self.settings.timezone,
            max_ahead=PAY_LINK_MAX_LIFETIME,
        )
        lang = fields.check("language", language_rule, language)
        payer = _apm_customer(fields, customer)
        fields.raise_if_any()
        once = Once.of(idempotency_key, "create_apm_payment", {
            "amount": minor, "currency": code, "description": about, "method": method,
            "return_url": back, "email": email, "language": lang, "payer": payer,
        })  # fmt: skip
        client = self.client("beyag")
        extra: dict[str, Any] = {"method_type": method}
        if lang:
            extra["language"] = lang
        if payer:
            extra["customer"] = payer
        started = self._start_bill(
            actor, "create_apm_payment", once, "payment",
            "begateway", "apm", "apm", minor, code, about, email, expiry, extra=extra,
        )  # fmt: skip
        if isinstance(started, CreatedBill):
            return started
        bill = started
        try:
            payment = client.create_payment(
                NewApmPayment(
                    amount=minor,
                    currency=code,
                    description=about,
                    method_type=method,
                    return_url=back,
                    tracking_id=bill.tracking_id,
                    expires_at=expiry,
                    test=self.test_mode,
                    language=lang,
                    notification_url=self.notification_url("beyag"),
                    customer={**payer, **({"email": email} if email else {})} or None,
                )
            )
        except OutcomeUnknown as exc:
            return self._confirming(actor, "create_apm_payment", bill, exc, "payment")
        except ProviderError as exc:
            self.creation_failed(actor, "create_apm_payment", bill, exc, APM_FIELDS)
        except Exception as exc:
            self.unexpected(actor, "create_apm_payment", bill, exc)
            raise
        return self._created(
            actor, "create_apm_payment", bill, provider_id=payment.uid, form=payment.form,
            expires=payment.expired_at, native=payment.native_status, what="Payment",
        )  # fmt: skip

    def payture_products(self, actor: Actor) -> tuple[Product, ...]:
        """The Payture product catalogue (sandbox mode); () where behind-api has none (live)."""
        self.require(actor, Action.VIEW, "list_payture_products")
        return self.catalogue()

    def create_payture_bill(
        self,
        actor: Actor,
        *,
        product_id: str,
        user_id: str | None = None,
        redirect_url: str | None = None,
        extended: BillExtras | Mapping[str, str] | None = None,
        description: str | None = None,
        customer_email: str | None = None,
        amount: str | int | None = None,
        currency: str | None = None,
        idempotency_key: str | None = None,
    ) -> CreatedBill:
        """A Payture bill through behind-api for a catalogue product.

        ``billCreateUnauthorised`` (a guest bill) when ``user_id``, ``redirect_url`` or
        ``extended`` is given — it needs ``user_id`` — else ``billCreate``. Amount and
        currency come from the product: in sandbox mode from the catalogue (given
        values are ignored); live behind-api has no catalogue, so there ``amount`` and
        ``currency`` (the product's price) are required.

        Form fields in errors: product_id, user_id, redirect_url, extended.<name>,
        description, customer_email, amount, currency (and ``form``).
        """
        self.require(actor, Action.CREATE, "create_payture_bill")
        fields = Fields()
        product_key = fields.check("product_id", uuid_text, product_id, required=True)
        guest = bool(user_id or redirect_url or extended)
        user = fields.check("user_id", text, user_id, required=guest)
        back = fields.check("redirect_url", url_rule, redirect_url, https_only=self.https_only)
        extras = self._extras(fields, extended)
        about = fields.check("description", text, description)
        email = fields.check("customer_email", email_rule, customer_email)
        catalogue = self.catalogue()
        product = next((p for p in catalogue if p.id == product_key), None)
        if catalogue and product_key and product is None:
            fields.add("product_id", "There is no such product in the catalogue.")
        code, minor = "", 0  # set below, or a field error is raised first
        if product is not None:
            code, minor = product.currency, product.amount
        elif not catalogue:  # live behind-api: the person gives the product's price
            code, minor = self._money(fields, amount, currency)
        fields.raise_if_any()
        once = Once.of(idempotency_key, "create_payture_bill", {
            "product": product_key, "user": user, "redirect_url": back, "extended": extras,
            "description": about, "email": email, "amount": minor, "currency": code,
        })  # fmt: skip
        client = self.client("payture")
        title = product.title if product else None
        extra: dict[str, Any] = {"product_id": product_key, "method": "billCreate"}
        if guest:
            extra.update(method="billCreateUnauthorised", user_id=user)
        if title:
            extra["product_title"] = title
        if extras:
            extra["extended"] = extras
        started = self._start_bill(
            actor, "create_payture_bill", once, "Payture bill",
            "payture", "payture_bill", "bill", minor, code, about or title, email, None, extra,
        )  # fmt: skip
        if isinstance(started, CreatedBill):
            return started
        bill = started
        try:
            if guest:
                made = client.bill_create_unauthorised(
                    product_key, user, redirect_url=back, extended=extras or None
                )
            else:
                made = client.bill_create(product_key)
        except OutcomeUnknown as exc:
            return self._confirming(actor, "create_payture_bill", bill, exc, "Payture bill")
        except ProviderError as exc:
            self.creation_failed(actor, "create_payture_bill", bill, exc, {}, hints=PAYTURE_HINTS)
        except Exception as exc:
            self.unexpected(actor, "create_payture_bill", bill, exc)
            raise
        return self._created(
            actor, "create_payture_bill", bill, provider_id=made.bill_id, token=made.session_id,
            pay_url=made.pay_url, native="PENDING", what="Payture bill",
        )  # fmt: skip

    # -- helpers --------------------------------------------------------------------

    def _money(self, fields: Fields, amount: object, currency: object) -> tuple[str, int]:
        code = fields.check("currency", currency_rule, currency)
        minor = None
        if code is not None:
            minor = fields.check(
                "amount", amount_rule, amount, code, maximum=self.settings.max_amount_minor
            )
        return code, minor  # type: ignore[return-value]  # checked by raise_if_any

    def _extras(
        self, fields: Fields, extended: BillExtras | Mapping[str, str] | None
    ) -> dict[str, str]:
        """``extended`` under behind-api's key names, every value checked as text."""
        if extended is None:
            return {}
        if not isinstance(extended, BillExtras | Mapping):
            fields.add("extended", "Extra data must be name/value pairs.")
            return {}
        attribute_of = {key: name for name, key in EXTENDED_KEYS.items()}
        checked: dict[str, str] = {}
        for key, value in (extended_of(extended) or {}).items():
            label = f"extended.{attribute_of.get(key, key)}"
            name = fields.check(label, identifier, str(key), required=True)
            found = fields.check(label, text, value, max_length=1000)
            if name and found:
                checked[name] = found
        return checked

    def _default_return_url(self) -> str | None:
        if self.return_url:
            return self.return_url
        if self.settings.is_sandbox:
            return f"{self.settings.sandbox_url}/"
        return None

    def _start_bill(
        self,
        actor: Actor,
        action: str,
        once: Once | None,
        what: str,
        provider: str,
        kind: str,
        tracking_kind: str,
        minor: int,
        currency: str,
        description: str | None,
        email: str | None,
        expires_at: datetime | None,
        extra: dict[str, Any] | None,
    ) -> Bill | CreatedBill:
        """Record the attempt before anything is sent: the ``creating`` row, a ``started``
        audit row and the form's idempotency key, in one transaction.

        Returns the new bill, or — when the key was already used — the result of the
        first submit (nothing recorded, nothing to send).
        """
        with self.ledger.write():
            if once is not None:
                first = self.ledger.claim_idempotency_key(
                    once.key, action=action, actor=actor.name, fingerprint=once.fingerprint
                )
                if first is not None:
                    return self._replay_bill(once, first, what)
            tracking_id = new_tracking_id(tracking_kind)
            bill_id = self.ledger.create_bill(
                NewBill(
                    provider=provider,
                    kind=kind,
                    tracking_id=tracking_id,
                    amount=minor,
                    currency=currency,
                    description=description,
                    customer_email=email,
                    test=self.test_mode,
                    expires_at=expires_at,
                    extra=extra,
                )
            )
            self.audit(actor, action, "bill", bill_id, "started", {"tracking_id": tracking_id})
            if once is not None:
                self.ledger.settle_idempotency_key(once.key, object_type="bill", object_id=bill_id)
        bill = self.ledger.get_bill(bill_id)
        assert bill is not None
        return bill

    def _replay_bill(self, once: Once, first: IdempotencyRow, what: str) -> CreatedBill:
        """What a repeated submit of a form gets: the first submit's bill, as it is now."""
        bill = self.ledger.get_bill(int(first.object_id)) if first.object_id else None
        once.check_same(first.action, first.fingerprint, bill.ref if bill else None)
        if bill is None:  # the first submit is between its claim and its row: impossible
            raise InvalidInput({FORM: "This form is being submitted; wait a moment."})
        result = bill_result(self, bill, what)
        if bill.status == BillStatus.CREATING:
            message = (
                f"{what.capitalize()} {bill.ref} is being created by this form's first "
                "submit; it was not sent again."
            )
        else:
            message = f"This form already made {bill.ref}; nothing was sent again. " + (
                result.message
            )
        return replace(result, message=message, repeated=True)

    def _created(
        self,
        actor: Actor,
        action: str,
        bill: Bill,
        *,
        what: str,
        native: str,
        provider_id: str | None = None,
        token: str | None = None,
        pay_url: str | None = None,
        form: PayForm | None = None,
        expires: datetime | None = None,
    ) -> CreatedBill:
        """Record the provider's answer: ids, pay link or form, status ``pending``."""
        with self.ledger.write():
            self.ledger.attach_provider_ids(
                bill.id,
                provider_id=provider_id,
                token=token,
                pay_url=pay_url,
                form=form_data(form),
                expires_at=expires,
            )
            self.ledger.record_bill_status(bill.id, BillStatus.PENDING, native, "console")
            self.audit(
                actor, action, "bill", bill.id, "ok",
                {"tracking_id": bill.tracking_id, "provider_id": provider_id or token},
            )  # fmt: skip
        fresh = self.find(bill)
        return CreatedBill(
            bill=fresh,
            pay_url=fresh.pay_url,
            form=form_of(fresh.form),
            confirming=False,
            message=f"{what} {fresh.ref} created.",
        )

    def _confirming(
        self, actor: Actor, action: str, bill: Bill, error: OutcomeUnknown, what: str
    ) -> CreatedBill:
        fresh, warnings = self.answer_lost(actor, action, bill, error)
        assert isinstance(fresh, Bill)
        return bill_result(self, fresh, what, warnings)


def bill_result(
    billing: BillingBase, bill: Bill, what: str, warnings: list[str] | None = None
) -> CreatedBill:
    """A :class:`CreatedBill` describing ``bill`` as the ledger has it now."""
    confirming = bill.status == BillStatus.CREATING
    if confirming:
        message = billing.still_creating_message(bill, what)
    elif bill.status == BillStatus.PENDING:
        message = f"{what.capitalize()} {bill.ref} is confirmed and waiting for the payer."
    else:
        message = f"{what.capitalize()} {bill.ref} is {bill.status.value}"
        message += billing.reason_of("bill", bill.id) + "."
    if warnings:
        message += " " + " ".join(warnings)
    return CreatedBill(
        bill=bill,
        pay_url=bill.pay_url,
        form=form_of(bill.form),
        confirming=confirming,
        message=message,
    )


def _apm_customer(fields: Fields, given: Mapping[str, str | None] | None) -> dict[str, str]:
    """The payer details that were given, each checked by its rule (errors under
    ``customer.<name>``); an unknown key is an error, not silently dropped."""
    payer: dict[str, str] = {}
    for name, value in (given or {}).items():
        if name not in APM_CUSTOMER_FIELDS:
            fields.add(f"customer.{name}", f"Unknown payer detail {name!r}.")
            continue
        rule, limit = APM_CUSTOMER_FIELDS[name]
        checked = fields.check(f"customer.{name}", rule, value, **(
            {"max_length": limit} if limit else {}
        ))  # fmt: skip
        if checked:
            payer[name] = checked
    return payer
