"""Alternative-payment-method payments through beGateway's beyag API (``billing.apm_payments``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from console.auth import Action, Actor
from console.billing._bill_steps import Made, confirming, created, money_of, start_bill
from console.billing._core import Core, new_tracking_id
from console.billing._drafts import ApmPaymentDraft
from console.billing._once import Once
from console.billing._results import CreatedBill
from console.ledger import NewBill
from console.providers import NewApmPayment, OutcomeUnknown
from console.validation import PAY_LINK_MAX_LIFETIME, Fields, identifier, text
from console.validation import country as country_rule
from console.validation import email as email_rule
from console.validation import expiry as expiry_rule
from console.validation import language as language_rule
from console.validation import phone as phone_rule
from console.validation import url as url_rule
from console.vocabulary import BillKind, Provider


def _text_up_to(limit: int) -> Callable[[object], str | None]:
    return lambda value: text(value, max_length=limit)


#: Payer details an APM payment may carry (beGateway's ``customer`` section; some
#: payment methods require some of them): name -> its rule. The lengths are the
#: gateway's documented ones; phone and country have their own formats.
APM_CUSTOMER_FIELDS: dict[str, Callable[[object], str | None]] = {
    "first_name": _text_up_to(60),
    "last_name": _text_up_to(60),
    "phone": phone_rule,
    "country": country_rule,
    "city": _text_up_to(120),
    "zip": _text_up_to(40),
    "address": _text_up_to(510),
}

#: Provider error paths -> form fields.
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

#: Method types the sandbox's payment systems accept (pages offer these as choices).
APM_METHODS = ("erip", "alipay", "qiwi", "webmoney", "yandex", "demo")


class ApmPayments:
    """Alternative-payment-method payments; the result's ``form`` sends the payer on."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(
        self, actor: Actor, draft: ApmPaymentDraft, *, idempotency_key: str | None = None
    ) -> CreatedBill:
        """An APM payment; its ``form`` is the HTML form that sends the payer to the
        payment system. The payer's details (``draft.customer``) are sent to the gateway
        and kept in the bill's extra data as ``customer``.

        Form fields in errors: amount, currency, description, method_type, return_url,
        customer_email, expires_at, language, customer.<name> (and ``form``).
        """
        core = self._core
        core.require(actor, Action.CREATE, "create_apm_payment")
        fields = Fields()
        money = money_of(core, fields, draft.amount, draft.currency)
        about = fields.check("description", text, draft.description, required=True)
        method = fields.check("method_type", identifier, draft.method_type, required=True)
        back = fields.check(
            "return_url",
            url_rule,
            draft.return_url or self._default_return_url(),
            https_only=core.https_only,
            required=True,
        )
        email = fields.check("customer_email", email_rule, draft.customer_email)
        expiry = fields.check(
            "expires_at",
            expiry_rule,
            draft.expires_at,
            now=core.now(),
            tz=core.settings.timezone,
            max_ahead=PAY_LINK_MAX_LIFETIME,
        )
        lang = fields.check("language", language_rule, draft.language)
        payer = _payer(fields, draft.customer)
        fields.raise_if_any()
        assert money is not None and about and method and back
        once = Once.of(
            idempotency_key,
            "create_apm_payment",
            {
                "amount": money.minor,
                "currency": money.currency,
                "description": about,
                "method": method,
                "return_url": back,
                "email": email,
                "language": lang,
                "payer": payer,
            },
        )
        client = core.clients.beyag
        extra: dict[str, object] = {"method_type": method}
        if lang:
            extra["language"] = lang
        if payer:
            extra["customer"] = payer
        bill = NewBill(
            provider=Provider.BEGATEWAY,
            kind=BillKind.APM,
            tracking_id=new_tracking_id("apm"),
            amount=money.minor,
            currency=money.currency,
            description=about,
            customer_email=email,
            test=core.test_mode,
            expires_at=expiry,
            extra=extra,
        )
        started = start_bill(core, actor, "create_apm_payment", once, "payment", bill)
        if isinstance(started, CreatedBill):
            return started
        payment = NewApmPayment(
            amount=money.minor,
            currency=money.currency,
            description=about,
            method_type=method,
            return_url=back,
            tracking_id=started.tracking_id,
            expires_at=expiry,
            test=core.test_mode,
            language=lang,
            notification_url=core.notification_url("beyag"),
            customer={**payer, **({"email": email} if email else {})} or None,
        )
        answer = core.send(
            actor,
            "create_apm_payment",
            started,
            lambda: client.create_payment(payment),
            fields=APM_FIELDS,
        )
        if isinstance(answer, OutcomeUnknown):
            return confirming(core, actor, "create_apm_payment", started, answer, "payment")
        made = Made(
            answer.native_status,
            provider_id=answer.uid,
            form=answer.form,
            expires_at=answer.expired_at,
        )
        return created(core, actor, "create_apm_payment", started, made, "payment")

    def _default_return_url(self) -> str | None:
        core = self._core
        if core.return_url:
            return core.return_url
        if core.settings.is_sandbox:
            return f"{core.settings.sandbox_url}/"
        return None


def _payer(fields: Fields, given: Mapping[str, str | None] | None) -> dict[str, str]:
    """The payer details that were given, each checked by its rule (errors under
    ``customer.<name>``); an unknown key is an error, not silently dropped."""
    payer: dict[str, str] = {}
    for name, value in (given or {}).items():
        rule = APM_CUSTOMER_FIELDS.get(name)
        if rule is None:
            fields.add(f"customer.{name}", f"Unknown payer detail {name!r}.")
            continue
        checked = fields.check(f"customer.{name}", rule, value)
        if checked:
            payer[name] = checked
    return payer
