"""Card pay links: bePaid's hosted checkout (``billing.pay_links``)."""

from __future__ import annotations

from console.auth import Action, Actor
from console.billing._bill_steps import Made, confirming, created, money_of, start_bill
from console.billing._core import Core, new_tracking_id
from console.billing._drafts import PayLinkDraft
from console.billing._once import Once
from console.billing._results import CreatedBill
from console.ledger import NewBill
from console.providers import NewCheckout, OutcomeUnknown
from console.validation import PAY_LINK_MAX_LIFETIME, Fields, text
from console.validation import email as email_rule
from console.validation import expiry as expiry_rule
from console.validation import language as language_rule
from console.validation import url as url_rule
from console.vocabulary import BillKind, Provider

#: Provider error paths -> form fields.
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


class PayLinks:
    """Card pay links."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(
        self, actor: Actor, draft: PayLinkDraft, *, idempotency_key: str | None = None
    ) -> CreatedBill:
        """A card pay link through bePaid's hosted checkout.

        Form fields in errors: amount, currency, description, customer_email,
        expires_at, success_url, decline_url, fail_url, language (and ``form``).

        Raises:
            PermissionDenied, InvalidInput, ProviderRejectedInput, ProviderFailed.
        """
        core = self._core
        core.require(actor, Action.CREATE, "create_pay_link")
        fields = Fields()
        money = money_of(core, fields, draft.amount, draft.currency)
        about = fields.check("description", text, draft.description, required=True)
        email = fields.check("customer_email", email_rule, draft.customer_email)
        expiry = fields.check(
            "expires_at",
            expiry_rule,
            draft.expires_at,
            now=core.now(),
            tz=core.settings.timezone,
            max_ahead=PAY_LINK_MAX_LIFETIME,
        )
        urls = {
            name: fields.check(name, url_rule, value, https_only=core.https_only)
            for name, value in (
                ("success_url", draft.success_url),
                ("decline_url", draft.decline_url),
                ("fail_url", draft.fail_url),
            )
        }
        lang = fields.check("language", language_rule, draft.language)
        fields.raise_if_any()
        assert money is not None and about is not None
        once = Once.of(
            idempotency_key,
            "create_pay_link",
            {
                "amount": money.minor,
                "currency": money.currency,
                "description": about,
                "email": email,
                "urls": urls,
                "language": lang,
            },
        )
        client = core.clients.bepaid
        started = start_bill(
            core,
            actor,
            "create_pay_link",
            once,
            "pay link",
            NewBill(
                provider=Provider.BEPAID,
                kind=BillKind.CARD_LINK,
                tracking_id=new_tracking_id("link"),
                amount=money.minor,
                currency=money.currency,
                description=about,
                customer_email=email,
                test=core.test_mode,
                expires_at=expiry,
                extra={"language": lang} if lang else None,
            ),
        )
        if isinstance(started, CreatedBill):
            return started
        bill = started
        checkout = NewCheckout(
            amount=money.minor,
            currency=money.currency,
            description=about,
            tracking_id=bill.tracking_id,
            expires_at=expiry,
            test=core.test_mode,
            success_url=urls["success_url"],
            decline_url=urls["decline_url"],
            fail_url=urls["fail_url"],
            notification_url=core.notification_url("bepaid"),
            language=lang,
            customer={"email": email} if email else None,
        )
        link = core.send(
            actor,
            "create_pay_link",
            bill,
            lambda: client.create_checkout(checkout),
            fields=CHECKOUT_FIELDS,
        )
        if isinstance(link, OutcomeUnknown):
            return confirming(core, actor, "create_pay_link", bill, link, "pay link")
        made = Made("pending", token=link.token, pay_url=link.redirect_url)
        return created(core, actor, "create_pay_link", bill, made, "pay link")
