"""bePaid plans and subscriptions: create a plan, list plans, subscribe, cancel."""

from __future__ import annotations

from dataclasses import dataclass, replace

from console.auth import Action, Actor
from console.billing._base import BillingBase, error_detail, new_tracking_id, provider_field_errors
from console.billing._errors import (
    BillingError,
    NotCancelable,
    ProviderFailed,
    ProviderRejectedInput,
    UnknownObject,
)
from console.billing._once import Once
from console.billing._results import CanceledSubscription, CreatedPlan, CreatedSubscription
from console.ledger import IdempotencyRow, NewSubscription, Subscription
from console.providers import (
    NewCustomer,
    NewPlan,
    NotFound,
    OutcomeUnknown,
    Period,
    Plan,
    ProviderError,
    ProviderValidationError,
)
from console.status import SubscriptionStatus, is_final
from console.validation import Fields, identifier, interval_unit, text, whole_number
from console.validation import amount as amount_rule
from console.validation import currency as currency_rule
from console.validation import email as email_rule
from console.validation import interval as interval_rule
from console.validation import ip_address as ip_rule
from console.validation import language as language_rule
from console.validation import url as url_rule

PLAN_FIELDS = {
    "title": "title",
    "currency": "currency",
    "plan.amount": "amount",
    "plan.interval": "interval",
    "plan.interval_unit": "interval_unit",
    "trial.amount": "trial_amount",
    "trial.interval": "trial_interval",
    "trial.interval_unit": "trial_unit",
    "billing_cycles": "billing_cycles",
    "number_payment_attempts": "number_payment_attempts",
    "language": "language",
}
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
MAX_BILLING_CYCLES = 1000
MAX_PAYMENT_ATTEMPTS = 10


#: Plans read per request when listing every plan (bePaid's largest page) and the most
#: the Subscriptions page lists: beyond that, a merchant finds a plan by its id.
PLANS_PAGE = 100
MAX_PLANS_LISTED = 1000


@dataclass(frozen=True)
class PlanDraft:
    """A plan as a person fills it in; amounts are typed text or int minor units.

    A trial needs all three ``trial_*`` values; ``billing_cycles`` None means
    "until canceled"; ``number_payment_attempts`` None is bePaid's default (3).
    """

    title: str
    amount: str | int
    currency: str
    interval: int | str
    interval_unit: str
    trial_amount: str | int | None = None
    trial_interval: int | str | None = None
    trial_unit: str | None = None
    billing_cycles: int | str | None = None
    number_payment_attempts: int | str | None = None
    language: str | None = None


class SubscriptionUseCases(BillingBase):
    """Use cases for bePaid plans and subscriptions."""

    def create_plan(
        self, actor: Actor, plan: PlanDraft, *, idempotency_key: str | None = None
    ) -> CreatedPlan:
        """A bePaid plan. Form fields in errors: title, amount, currency, interval,
        interval_unit, trial_amount, trial_interval, trial_unit, billing_cycles,
        number_payment_attempts, language (and ``form``).

        A lost answer is resolved by listing the plans: one with the same terms is
        the result (``recovered``).
        """
        self.require(actor, Action.CREATE, "create_plan")
        fields = Fields()
        new_plan = self._plan(fields, plan)
        fields.raise_if_any()
        assert new_plan is not None
        once = Once.of(idempotency_key, "create_plan", {"plan": new_plan})
        client = self.client("bepaid")
        if once is not None:
            first = self.ledger.claim_idempotency_key(
                once.key, action="create_plan", actor=actor.name, fingerprint=once.fingerprint,
                object_type="plan",
            )  # fmt: skip
            if first is not None:
                return self._replay_plan(once, first)
        try:
            created = client.create_plan(new_plan)
        except OutcomeUnknown as exc:
            found = self._same_plan(new_plan)
            if found is None:  # the key stays claimed: this form must not send it again
                self.audit(actor, "create_plan", "plan", None, "failed", error_detail(exc))
                raise ProviderFailed(
                    f"{exc.user_message} No plan with these terms is listed yet: check the "
                    "plans list before creating it again.",
                    ref=None,
                    provider_error=exc,
                ) from exc
            self.audit(actor, "create_plan", "plan", found.id, "ok", "confirmed by listing")
            self._settle_plan(once, found)
            return CreatedPlan(
                found, True, f"Plan {found.id} exists (confirmed after a lost answer)."
            )
        except ProviderError as exc:
            if once is not None:  # nothing was created: the corrected form may go again
                self.ledger.release_idempotency_key(once.key)
            self.audit(actor, "create_plan", "plan", None, "failed", error_detail(exc))
            if isinstance(exc, ProviderValidationError):
                errors = provider_field_errors(exc, PLAN_FIELDS, {})
                raise ProviderRejectedInput(errors, ref=None, provider_error=exc) from exc
            raise ProviderFailed(exc.user_message, ref=None, provider_error=exc) from exc
        self.audit(actor, "create_plan", "plan", created.id, "ok", {"title": created.title})
        self._settle_plan(once, created)
        return CreatedPlan(created, False, f"Plan {created.id} created.")

    def _settle_plan(self, once: Once | None, plan: Plan) -> None:
        if once is not None:
            self.ledger.settle_idempotency_key(once.key, object_id=plan.id)

    def _replay_plan(self, once: Once, first: IdempotencyRow) -> CreatedPlan:
        once.check_same(first.action, first.fingerprint, first.object_id)
        if not first.object_id:
            raise BillingError(
                "This form's plan is being created, or bePaid's answer to it was lost: "
                "check the plans list before creating it again."
            )
        try:
            plan = self.client("bepaid").get_plan(first.object_id)
        except ProviderError as exc:
            raise ProviderFailed(exc.user_message, ref=None, provider_error=exc) from exc
        return CreatedPlan(
            plan, False, f"This form already made plan {plan.id}; nothing was sent again.",
            repeated=True,
        )  # fmt: skip

    def list_plans(self, actor: Actor, *, page: int = 1, per_page: int = 50) -> tuple[Plan, ...]:
        """One page of bePaid plans, newest first."""
        self.require(actor, Action.VIEW, "list_plans")
        try:
            return self.client("bepaid").list_plans(page=page, per_page=per_page)
        except ProviderError as exc:
            raise ProviderFailed(exc.user_message, ref=None, provider_error=exc) from exc

    def every_plan(self, actor: Actor, *, at_most: int = MAX_PLANS_LISTED) -> tuple[Plan, ...]:
        """bePaid's plans, newest first, page after page (100 a page, bePaid's maximum)
        until a short page or ``at_most`` plans: what the pages list and offer."""
        plans: list[Plan] = []
        page = 1
        while len(plans) < at_most:
            batch = self.list_plans(actor, page=page, per_page=PLANS_PAGE)
            plans += batch
            if len(batch) < PLANS_PAGE:
                break
            page += 1
        return tuple(plans[:at_most])

    def create_subscription(
        self,
        actor: Actor,
        *,
        plan: str | PlanDraft,
        customer_email: str | None = None,
        customer_ip: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        return_url: str | None = None,
        language: str | None = None,
        idempotency_key: str | None = None,
    ) -> CreatedSubscription:
        """A bePaid subscription to an existing plan (its id) or an inline plan.

        The e-mail is always kept in the ledger; it is sent to bePaid as a new
        customer only together with the payer's IP address (bePaid requires both),
        otherwise bePaid collects the payer's details on its page.

        Form fields in errors: plan_id (or the plan fields of :meth:`create_plan`),
        customer_email, customer_ip, first_name, last_name, return_url, language.
        """
        self.require(actor, Action.CREATE, "create_subscription")
        fields = Fields()
        terms: Plan | NewPlan | None
        if isinstance(plan, PlanDraft):
            terms = self._plan(fields, plan)
        else:
            terms = self._existing_plan(fields, plan)
        email = fields.check("customer_email", email_rule, customer_email)
        ip = fields.check("customer_ip", ip_rule, customer_ip)
        first = fields.check("first_name", text, first_name, max_length=60)
        last = fields.check("last_name", text, last_name, max_length=60)
        if ip and not email and not fields.has("customer_email"):
            fields.add("customer_email", "Give the payer's e-mail with the IP address.")
        back = fields.check("return_url", url_rule, return_url, https_only=self.https_only)
        lang = fields.check("language", language_rule, language)
        fields.raise_if_any()
        assert terms is not None
        once = Once.of(idempotency_key, "create_subscription", {
            "plan": terms if isinstance(terms, NewPlan) else terms.id, "email": email,
            "ip": ip, "first": first, "last": last, "return_url": back, "language": lang,
        })  # fmt: skip
        client = self.client("bepaid")
        started = self._start_subscription(actor, once, terms, email)
        if isinstance(started, CreatedSubscription):
            return started
        sub = started
        customer = (
            NewCustomer(email=email, ip=ip, first_name=first, last_name=last)
            if email and ip
            else None
        )
        try:
            made = client.create_subscription(
                plan=terms if isinstance(terms, NewPlan) else terms.id,
                customer=customer,
                tracking_id=sub.tracking_id,
                return_url=back,
                notification_url=self.notification_url("bepaid"),
                language=lang,
            )
        except OutcomeUnknown as exc:
            fresh, warnings = self.answer_lost(actor, "create_subscription", sub, exc)
            assert isinstance(fresh, Subscription)
            return subscription_result(self, fresh, warnings)
        except ProviderError as exc:
            self.creation_failed(actor, "create_subscription", sub, exc, SUBSCRIPTION_FIELDS)
        except Exception as exc:
            self.unexpected(actor, "create_subscription", sub, exc)
            raise
        with self.ledger.write():
            self.ledger.attach_subscription_ids(
                sub.id,
                provider_id=made.id,
                token=made.raw.get("token"),
                pay_url=made.redirect_url,
                plan_id=made.plan_id,
            )
            self.ledger.record_subscription_status(
                sub.id, made.status or SubscriptionStatus.PENDING, made.native_status, "console"
            )
            self.audit(
                actor, "create_subscription", "subscription", sub.id, "ok",
                {"tracking_id": sub.tracking_id, "provider_id": made.id},
            )  # fmt: skip
        fresh = self.find(sub)
        return CreatedSubscription(
            fresh, fresh.pay_url, False, f"Subscription {fresh.ref} created."
        )

    def cancel_subscription(
        self,
        actor: Actor,
        subscription: str | int | Subscription,
        *,
        reason: str,
        idempotency_key: str | None = None,
    ) -> CanceledSubscription:
        """Cancel at bePaid (the reason is required and kept) and record it.

        Raises:
            PermissionDenied, UnknownObject, InvalidInput (``reason``),
            NotCancelable (never created at bePaid, or already ended),
            ProviderRejectedInput, ProviderFailed.
        """
        try:
            sub: Subscription | None = self.find(subscription, kind="subscription")
        except UnknownObject:
            sub = None
        named = sub.id if sub is not None else str(subscription)[:60]
        self.require(actor, Action.CANCEL, "cancel_subscription", "subscription", named)
        if sub is None:
            raise UnknownObject(f"The ledger has no subscription {subscription!s:.40}.")
        fields = Fields()
        why = fields.check("reason", text, reason, required=True)
        fields.raise_if_any()
        once = Once.of(idempotency_key, "cancel_subscription", {"sub": sub.id, "reason": why})
        if once is not None:
            first = self.ledger.claim_idempotency_key(
                once.key, action="cancel_subscription", actor=actor.name,
                fingerprint=once.fingerprint, object_type="subscription", object_id=sub.id,
            )  # fmt: skip
            if first is not None:
                once.check_same(first.action, first.fingerprint, sub.ref)
                return CanceledSubscription(
                    sub, is_final(sub.status), f"This form already asked to cancel {sub.ref}; "
                    f"nothing was sent again. It is {sub.status.value}.", repeated=True,
                )  # fmt: skip
        try:
            return self._cancel(actor, sub, why)
        except Exception:
            if once is not None:  # not canceled: the same form may try again
                self.ledger.release_idempotency_key(once.key)
            raise

    def _cancel(self, actor: Actor, sub: Subscription, why: str) -> CanceledSubscription:
        if not sub.provider_id:
            raise NotCancelable(
                f"{sub.ref} was never confirmed at bePaid, so there is nothing to cancel.",
                ref=sub.ref,
            )
        if is_final(sub.status):
            raise NotCancelable(f"{sub.ref} has already ended ({sub.status.value}).", ref=sub.ref)
        client = self.client("bepaid")
        try:
            done = client.cancel_subscription(sub.provider_id, reason=why)
        except (OutcomeUnknown, ProviderValidationError) as exc:
            return self._cancel_unclear(actor, sub, exc)
        except ProviderError as exc:
            self.audit(actor, "cancel_subscription", "subscription", sub.id, "failed",
                       error_detail(exc))  # fmt: skip
            raise ProviderFailed(exc.user_message, ref=sub.ref, provider_error=exc) from exc
        with self.ledger.write():
            self.ledger.record_cancellation(
                sub.id,
                reason=done.cancel_reason or why,
                canceled_at=done.cancelled_at,
                source="console",
                native_status=done.native_status,
            )
            self.audit(actor, "cancel_subscription", "subscription", sub.id, "ok", {"reason": why})
        fresh = self.find(sub)
        return CanceledSubscription(fresh, False, f"Subscription {fresh.ref} canceled.")

    # -- helpers --------------------------------------------------------------------

    def _cancel_unclear(
        self, actor: Actor, sub: Subscription, error: ProviderError
    ) -> CanceledSubscription:
        """A lost answer or a refusal: read the subscription and believe what it says."""
        try:
            seen = self.observe(sub)
        except ProviderError:
            seen = None
        if seen is not None and seen.status is not None and is_final(seen.status):
            self.record(sub, seen, actor)
            fresh = self.find(sub)
            confirmed = {"confirmed": fresh.status.value, "after": type(error).__name__}
            self.audit(actor, "cancel_subscription", "subscription", sub.id, "ok", confirmed)
            already = isinstance(error, ProviderValidationError)
            word = "had already ended" if already else "is"
            return CanceledSubscription(
                fresh, already, f"Subscription {fresh.ref} {word} {fresh.status.value} at bePaid."
            )
        self.audit(actor, "cancel_subscription", "subscription", sub.id, "failed",
                   error_detail(error))  # fmt: skip
        if isinstance(error, ProviderValidationError):
            errors = provider_field_errors(error, CANCEL_FIELDS, {})
            raise ProviderRejectedInput(errors, ref=sub.ref, provider_error=error) from error
        raise ProviderFailed(
            f"{error.user_message} The subscription is not canceled as far as bePaid shows; "
            "try again.",
            ref=sub.ref,
            provider_error=error,
        ) from error

    def _plan(self, fields: Fields, draft: PlanDraft) -> NewPlan | None:
        title = fields.check("title", text, draft.title, required=True)
        code = fields.check("currency", currency_rule, draft.currency)
        maximum = self.settings.max_amount_minor
        minor = (
            fields.check("amount", amount_rule, draft.amount, code, maximum=maximum)
            if code
            else None
        )
        unit = fields.check("interval_unit", interval_unit, draft.interval_unit)
        every = fields.check("interval", interval_rule, draft.interval, unit)
        trial = None
        trial_given = any(
            value not in (None, "")
            for value in (draft.trial_amount, draft.trial_interval, draft.trial_unit)
        )
        if trial_given:
            trial_unit = fields.check("trial_unit", interval_unit, draft.trial_unit)
            trial_every = fields.check(
                "trial_interval", interval_rule, draft.trial_interval, trial_unit
            )
            trial_minor = (
                fields.check("trial_amount", amount_rule, draft.trial_amount, code, maximum=maximum)
                if code
                else None
            )
            if trial_unit and trial_every and trial_minor:
                trial = Period(trial_minor, trial_every, trial_unit)
        cycles = fields.check(
            "billing_cycles", whole_number, draft.billing_cycles,
            minimum=1, maximum=MAX_BILLING_CYCLES, required=False,
        )  # fmt: skip
        attempts = fields.check(
            "number_payment_attempts", whole_number, draft.number_payment_attempts,
            minimum=1, maximum=MAX_PAYMENT_ATTEMPTS, required=False,
        )  # fmt: skip
        lang = fields.check("language", language_rule, draft.language)
        if None in (title, code, minor, unit, every):
            return None
        return NewPlan(
            title=title, currency=code, amount=minor, interval=every, interval_unit=unit,
            trial=trial, billing_cycles=cycles, number_payment_attempts=attempts,
            language=lang, test=self.test_mode,
        )  # type: ignore[arg-type]  # fmt: skip

    def _existing_plan(self, fields: Fields, plan_id: object) -> Plan | None:
        key = fields.check("plan_id", identifier, plan_id, required=True)
        if key is None:
            return None
        try:
            return self.client("bepaid").get_plan(key)
        except NotFound:
            fields.add("plan_id", "bePaid has no plan with this id.")
            return None
        except ProviderError as exc:
            raise ProviderFailed(
                f"{exc.user_message} (while reading the plan; nothing was created)",
                ref=None,
                provider_error=exc,
            ) from exc

    def _same_plan(self, wanted: NewPlan) -> Plan | None:
        try:
            plans = self.client("bepaid").list_plans(per_page=50)
        except ProviderError:
            return None
        for plan in plans:  # newest first
            trial = (
                (plan.trial.amount, plan.trial.interval, plan.trial.interval_unit)
                if plan.trial
                else None
            )
            wanted_trial = (
                (wanted.trial.amount, wanted.trial.interval, wanted.trial.interval_unit)
                if wanted.trial
                else None
            )
            same = (
                plan.title == wanted.title
                and plan.currency == wanted.currency
                and (plan.amount, plan.period.interval, plan.period.interval_unit)
                == (wanted.amount, wanted.interval, wanted.interval_unit)
                and trial == wanted_trial
            )
            if same:
                return plan
        return None

    def _start_subscription(
        self, actor: Actor, once: Once | None, terms: Plan | NewPlan, email: str | None
    ) -> Subscription | CreatedSubscription:
        """Record the attempt before anything is sent: the ``creating`` row, a ``started``
        audit row and the form's idempotency key, in one transaction (or the first
        submit's result when the key was used already)."""
        with self.ledger.write():
            if once is not None:
                first = self.ledger.claim_idempotency_key(
                    once.key, action="create_subscription", actor=actor.name,
                    fingerprint=once.fingerprint,
                )  # fmt: skip
                if first is not None:
                    return self._replay_subscription(once, first)
            sub = self._record_subscription(terms, email)
            self.audit(actor, "create_subscription", "subscription", sub.id, "started",
                       {"tracking_id": sub.tracking_id})  # fmt: skip
            if once is not None:
                self.ledger.settle_idempotency_key(
                    once.key, object_type="subscription", object_id=sub.id
                )
        return sub

    def _replay_subscription(self, once: Once, first: IdempotencyRow) -> CreatedSubscription:
        sub = self.ledger.get_subscription(int(first.object_id)) if first.object_id else None
        once.check_same(first.action, first.fingerprint, sub.ref if sub else None)
        assert sub is not None
        result = subscription_result(self, sub)
        if sub.status == SubscriptionStatus.CREATING:
            message = (
                f"Subscription {sub.ref} is being created by this form's first submit; "
                "it was not sent again."
            )
        else:
            message = f"This form already made {sub.ref}; nothing was sent again. {result.message}"
        return replace(result, message=message, repeated=True)

    def _record_subscription(self, terms: Plan | NewPlan, email: str | None) -> Subscription:
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
        sub_id = self.ledger.create_subscription(
            NewSubscription(
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
                test=self.test_mode,
                extra={"trial_amount": trial.amount} if trial else None,
            )
        )
        sub = self.ledger.get_subscription(sub_id)
        assert sub is not None
        return sub


def subscription_result(
    billing: BillingBase, sub: Subscription, warnings: list[str] | None = None
) -> CreatedSubscription:
    """A :class:`CreatedSubscription` describing ``sub`` as the ledger has it now."""
    confirming = sub.status == SubscriptionStatus.CREATING
    if confirming:
        message = billing.still_creating_message(sub, "subscription")
    else:
        message = f"Subscription {sub.ref} is {sub.status.value}"
        message += billing.reason_of("subscription", sub.id) + "."
    if warnings:
        message += " " + " ".join(warnings)
    return CreatedSubscription(sub, sub.pay_url, confirming, message)
