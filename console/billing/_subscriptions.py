"""bePaid subscriptions (``billing.subscriptions``): subscribe, cancel."""

from __future__ import annotations

from dataclasses import replace

from console.auth import Action, Actor
from console.billing._core import Core, new_tracking_id
from console.billing._drafts import PlanDraft, SubscriptionDraft
from console.billing._errors import (
    NotCancelable,
    ProviderFailed,
    ProviderRejectedInput,
    UnknownObject,
)
from console.billing._failures import error_detail, provider_field_errors
from console.billing._once import Once
from console.billing._plans import PLAN_FIELDS, plan_terms
from console.billing._results import CanceledSubscription, CreatedSubscription
from console.ledger import IdempotencyRow, NewSubscription, Subscription
from console.providers import (
    NewCustomer,
    NewPlan,
    NotFound,
    OutcomeUnknown,
    Plan,
    ProviderError,
    ProviderValidationError,
)
from console.providers import Subscription as ProviderSubscription
from console.status import SubscriptionStatus, is_final
from console.validation import Fields, identifier, text
from console.validation import email as email_rule
from console.validation import ip_address as ip_rule
from console.validation import language as language_rule
from console.validation import url as url_rule

SUBSCRIPTION_FIELDS = {
    **PLAN_FIELDS,
    "plan": "plan_id",
    "customer.email": "customer_email",
    "customer.ip": "customer_ip",
    "customer.first_name": "first_name",
    "customer.last_name": "last_name",
    "return_url": "return_url",
    "settings.language": "language",
}
CANCEL_FIELDS = {"cancel_reason": "reason"}


class Subscriptions:
    """bePaid subscriptions."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(
        self, actor: Actor, draft: SubscriptionDraft, *, idempotency_key: str | None = None
    ) -> CreatedSubscription:
        """A bePaid subscription to an existing plan (its id) or an inline plan.

        Form fields in errors: plan_id (or the plan fields of ``billing.plans.create``),
        customer_email, customer_ip, first_name, last_name, return_url, language.
        """
        core = self._core
        core.require(actor, Action.CREATE, "create_subscription")
        fields = Fields()
        terms: Plan | NewPlan | None
        if isinstance(draft.plan, PlanDraft):
            terms = plan_terms(core, fields, draft.plan)
        else:
            terms = self._existing_plan(fields, draft.plan)
        email = fields.check("customer_email", email_rule, draft.customer_email)
        ip = fields.check("customer_ip", ip_rule, draft.customer_ip)
        first = fields.check("first_name", text, draft.first_name, max_length=60)
        last = fields.check("last_name", text, draft.last_name, max_length=60)
        if ip and not email and not fields.has("customer_email"):
            fields.add("customer_email", "Give the payer's e-mail with the IP address.")
        back = fields.check("return_url", url_rule, draft.return_url, https_only=core.https_only)
        lang = fields.check("language", language_rule, draft.language)
        fields.raise_if_any()
        assert terms is not None
        once = Once.of(
            idempotency_key,
            "create_subscription",
            {
                "plan": terms if isinstance(terms, NewPlan) else terms.id,
                "email": email,
                "ip": ip,
                "first": first,
                "last": last,
                "return_url": back,
                "language": lang,
            },
        )
        client = core.clients.bepaid
        started = self._start(actor, once, terms, email)
        if isinstance(started, CreatedSubscription):
            return started
        sub = started
        customer = (
            NewCustomer(email=email, ip=ip, first_name=first, last_name=last)
            if email and ip
            else None
        )

        def call() -> ProviderSubscription:
            return client.create_subscription(
                plan=terms if isinstance(terms, NewPlan) else terms.id,
                customer=customer,
                tracking_id=sub.tracking_id,
                return_url=back,
                notification_url=core.notification_url("bepaid"),
                language=lang,
            )

        made = core.send(actor, "create_subscription", sub, call, fields=SUBSCRIPTION_FIELDS)
        if isinstance(made, OutcomeUnknown):
            fresh, warnings = core.answer_lost(actor, "create_subscription", sub, made)
            assert isinstance(fresh, Subscription)
            return subscription_result(core, fresh, warnings)
        with core.ledger.write():
            core.ledger.attach_subscription_ids(
                sub.id,
                provider_id=made.id,
                token=made.raw.get("token"),
                pay_url=made.redirect_url,
                plan_id=made.plan_id,
            )
            core.ledger.record_subscription_status(
                sub.id, made.status or SubscriptionStatus.PENDING, made.native_status, "console"
            )
            audit = {"tracking_id": sub.tracking_id, "provider_id": made.id}
            core.audit(actor, "create_subscription", "subscription", sub.id, "ok", audit)
        fresh_sub = core.subscription(sub.id)
        message = f"Subscription {fresh_sub.ref} created."
        return CreatedSubscription(fresh_sub, fresh_sub.pay_url, False, message)

    def cancel(
        self,
        actor: Actor,
        subscription: str | int | Subscription,
        *,
        reason: str | None,
        idempotency_key: str | None = None,
    ) -> CanceledSubscription:
        """Cancel at bePaid (the reason is required and kept) and record it.

        Raises:
            PermissionDenied, UnknownObject, InvalidInput (``reason``),
            NotCancelable (never created at bePaid, or already ended),
            ProviderRejectedInput, ProviderFailed.
        """
        core = self._core
        try:
            sub: Subscription | None = core.subscription(subscription)
        except UnknownObject:
            sub = None
        named = sub.id if sub is not None else _shown(subscription)
        core.require(actor, Action.CANCEL, "cancel_subscription", "subscription", named)
        if sub is None:
            raise UnknownObject(f"The ledger has no subscription {_shown(subscription)[:40]}.")
        fields = Fields()
        why = fields.check("reason", text, reason, required=True)
        fields.raise_if_any()
        assert why is not None
        once = Once.of(idempotency_key, "cancel_subscription", {"sub": sub.id, "reason": why})
        if once is not None:
            first = core.ledger.idempotency.claim(
                once.key,
                action="cancel_subscription",
                actor=actor.name,
                fingerprint=once.fingerprint,
                object_type="subscription",
                object_id=sub.id,
            )
            if first is not None:
                once.check_same(first.action, first.fingerprint, sub.ref)
                message = (
                    f"This form already asked to cancel {sub.ref}; nothing was sent again. "
                    f"It is {sub.status.value}."
                )
                return CanceledSubscription(sub, is_final(sub.status), message, repeated=True)
        try:
            return self._cancel(actor, sub, why)
        except Exception:
            if once is not None:  # not canceled: the same form may try again
                core.ledger.idempotency.release(once.key)
            raise

    # -- helpers --------------------------------------------------------------------

    def _cancel(self, actor: Actor, sub: Subscription, why: str) -> CanceledSubscription:
        core = self._core
        if not sub.provider_id:
            raise NotCancelable(
                f"{sub.ref} was never confirmed at bePaid, so there is nothing to cancel.",
                ref=sub.ref,
            )
        if is_final(sub.status):
            raise NotCancelable(f"{sub.ref} has already ended ({sub.status.value}).", ref=sub.ref)
        provider_id = sub.provider_id
        try:
            done = core.clients.bepaid.cancel_subscription(provider_id, reason=why)
        except (OutcomeUnknown, ProviderValidationError) as exc:
            return self._cancel_unclear(actor, sub, exc)
        except ProviderError as exc:
            detail = error_detail(exc)
            core.audit(actor, "cancel_subscription", "subscription", sub.id, "failed", detail)
            raise ProviderFailed(exc.user_message, ref=sub.ref, provider_error=exc) from exc
        with core.ledger.write():
            core.ledger.record_cancellation(
                sub.id,
                reason=done.cancel_reason or why,
                canceled_at=done.cancelled_at,
                source="console",
                native_status=done.native_status,
            )
            core.audit(actor, "cancel_subscription", "subscription", sub.id, "ok", {"reason": why})
        fresh = core.subscription(sub.id)
        return CanceledSubscription(fresh, False, f"Subscription {fresh.ref} canceled.")

    def _cancel_unclear(
        self, actor: Actor, sub: Subscription, error: ProviderError
    ) -> CanceledSubscription:
        """A lost answer or a refusal: read the subscription and believe what it says."""
        core = self._core
        try:
            seen = core.observe(sub)
        except ProviderError:
            seen = None
        if seen is not None and seen.status is not None and is_final(seen.status):
            core.record(sub, seen, actor)
            fresh = core.subscription(sub.id)
            confirmed = {"confirmed": fresh.status.value, "after": type(error).__name__}
            core.audit(actor, "cancel_subscription", "subscription", sub.id, "ok", confirmed)
            already = isinstance(error, ProviderValidationError)
            word = "had already ended" if already else "is"
            return CanceledSubscription(
                fresh, already, f"Subscription {fresh.ref} {word} {fresh.status.value} at bePaid."
            )
        detail = error_detail(error)
        core.audit(actor, "cancel_subscription", "subscription", sub.id, "failed", detail)
        if isinstance(error, ProviderValidationError):
            errors = provider_field_errors(error, CANCEL_FIELDS, {})
            raise ProviderRejectedInput(errors, ref=sub.ref, provider_error=error) from error
        raise ProviderFailed(
            f"{error.user_message} The subscription is not canceled as far as bePaid shows; "
            "try again.",
            ref=sub.ref,
            provider_error=error,
        ) from error

    def _existing_plan(self, fields: Fields, plan_id: object) -> Plan | None:
        key = fields.check("plan_id", identifier, plan_id, required=True)
        if key is None:
            return None
        try:
            return self._core.clients.bepaid.get_plan(key)
        except NotFound:
            fields.add("plan_id", "bePaid has no plan with this id.")
            return None
        except ProviderError as exc:
            raise ProviderFailed(
                f"{exc.user_message} (while reading the plan; nothing was created)",
                ref=None,
                provider_error=exc,
            ) from exc

    def _start(
        self, actor: Actor, once: Once | None, terms: Plan | NewPlan, email: str | None
    ) -> Subscription | CreatedSubscription:
        """Record the attempt before anything is sent: the ``creating`` row, a ``started``
        audit row and the form's idempotency key, in one transaction (or the first
        submit's result when the key was used already)."""
        core = self._core
        with core.ledger.write():
            if once is not None:
                first = core.ledger.idempotency.claim(
                    once.key,
                    action="create_subscription",
                    actor=actor.name,
                    fingerprint=once.fingerprint,
                )
                if first is not None:
                    return self._replay(once, first)
            sub_id = core.ledger.create_subscription(self._new(terms, email))
            sub = core.subscription(sub_id)
            audit = {"tracking_id": sub.tracking_id}
            core.audit(actor, "create_subscription", "subscription", sub.id, "started", audit)
            if once is not None:
                core.ledger.idempotency.settle(
                    once.key, object_type="subscription", object_id=sub.id
                )
        return sub

    def _new(self, terms: Plan | NewPlan, email: str | None) -> NewSubscription:
        if isinstance(terms, Plan):
            amount, interval, unit = terms.amount, terms.period.interval, terms.period.interval_unit
            plan_id: str | None = terms.id
        else:
            amount, interval, unit, plan_id = (
                terms.amount,
                terms.interval,
                terms.interval_unit,
                None,
            )
        trial = terms.trial
        return NewSubscription(
            tracking_id=new_tracking_id("sub"),
            amount=amount,
            currency=terms.currency,
            interval=interval,
            interval_unit=unit,
            plan_id=plan_id,
            plan_title=terms.title,
            trial_interval=trial.interval if trial else None,
            trial_unit=trial.interval_unit if trial else None,
            customer_email=email,
            test=self._core.test_mode,
            extra={"trial_amount": trial.amount} if trial else None,
        )

    def _replay(self, once: Once, first: IdempotencyRow) -> CreatedSubscription:
        core = self._core
        sub = core.ledger.get_subscription(int(first.object_id)) if first.object_id else None
        once.check_same(first.action, first.fingerprint, sub.ref if sub else None)
        assert sub is not None
        result = subscription_result(core, sub)
        if sub.status == SubscriptionStatus.CREATING:
            message = (
                f"Subscription {sub.ref} is being created by this form's first submit; "
                "it was not sent again."
            )
        else:
            message = f"This form already made {sub.ref}; nothing was sent again. {result.message}"
        return replace(result, message=message, repeated=True)


def subscription_result(
    core: Core, sub: Subscription, warnings: list[str] | tuple[str, ...] | None = None
) -> CreatedSubscription:
    """A :class:`CreatedSubscription` describing ``sub`` as the ledger has it now."""
    confirming = sub.status == SubscriptionStatus.CREATING
    if confirming:
        message = core.still_creating_message(sub, "subscription")
    else:
        message = f"Subscription {sub.ref} is {sub.status.value}" + core.reason_of(sub) + "."
    if warnings:
        message += " " + " ".join(warnings)
    return CreatedSubscription(sub, sub.pay_url, confirming, message)


def _shown(ref: object) -> str:
    """A reference as it may be written down: at most 60 characters, never a broken one."""
    return str(ref).encode("utf-8", "replace").decode("utf-8")[:60]
