"""bePaid subscription plans (``billing.plans``): create, list.

Plans are not ledger objects: bePaid keeps them. A create's lost answer is resolved by
listing the plans (one with the same terms is the result); the form's idempotency key
keeps the plan's id once known, so a repeated submit gets that plan back.
"""

from __future__ import annotations

from console.auth import Action, Actor
from console.billing._core import Core
from console.billing._drafts import PlanDraft
from console.billing._errors import BillingError, ProviderFailed, ProviderRejectedInput
from console.billing._failures import error_detail, provider_field_errors
from console.billing._once import Once
from console.billing._results import CreatedPlan
from console.ledger import IdempotencyRow
from console.providers import (
    NewPlan,
    OutcomeUnknown,
    Period,
    Plan,
    ProviderError,
    ProviderValidationError,
)
from console.validation import Fields, interval_unit, text, whole_number
from console.validation import amount as amount_rule
from console.validation import currency as currency_rule
from console.validation import interval as interval_rule
from console.validation import language as language_rule

#: Provider error paths -> form fields.
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
MAX_BILLING_CYCLES = 1000
MAX_PAYMENT_ATTEMPTS = 10
#: Plans read per request when listing every plan (bePaid's largest page) and the most
#: the Subscriptions page lists: beyond that, a merchant finds a plan by its id.
PLANS_PAGE = 100
MAX_PLANS_LISTED = 1000


class Plans:
    """bePaid plans."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(
        self, actor: Actor, draft: PlanDraft, *, idempotency_key: str | None = None
    ) -> CreatedPlan:
        """A bePaid plan. Form fields in errors: title, amount, currency, interval,
        interval_unit, trial_amount, trial_interval, trial_unit, billing_cycles,
        number_payment_attempts, language (and ``form``).
        """
        core = self._core
        core.require(actor, Action.CREATE, "create_plan")
        fields = Fields()
        new_plan = plan_terms(core, fields, draft)
        fields.raise_if_any()
        assert new_plan is not None
        once = Once.of(idempotency_key, "create_plan", {"plan": new_plan})
        client = core.clients.bepaid
        if once is not None:
            first = core.ledger.idempotency.claim(
                once.key,
                action="create_plan",
                actor=actor.name,
                fingerprint=once.fingerprint,
                object_type="plan",
            )
            if first is not None:
                return self._replay(once, first)
        try:
            made = client.create_plan(new_plan)
        except OutcomeUnknown as exc:
            found = self._same_plan(new_plan)
            if found is None:  # the key stays claimed: this form must not send it again
                core.audit(actor, "create_plan", "plan", None, "failed", error_detail(exc))
                raise ProviderFailed(
                    f"{exc.user_message} No plan with these terms is listed yet: check the "
                    "plans list before creating it again.",
                    ref=None,
                    provider_error=exc,
                ) from exc
            core.audit(actor, "create_plan", "plan", found.id, "ok", "confirmed by listing")
            self._settle(once, found)
            return CreatedPlan(
                found, True, f"Plan {found.id} exists (confirmed after a lost answer)."
            )
        except ProviderError as exc:
            if once is not None:  # nothing was created: the corrected form may go again
                core.ledger.idempotency.release(once.key)
            core.audit(actor, "create_plan", "plan", None, "failed", error_detail(exc))
            if isinstance(exc, ProviderValidationError):
                errors = provider_field_errors(exc, PLAN_FIELDS, {})
                raise ProviderRejectedInput(errors, ref=None, provider_error=exc) from exc
            raise ProviderFailed(exc.user_message, ref=None, provider_error=exc) from exc
        core.audit(actor, "create_plan", "plan", made.id, "ok", {"title": made.title})
        self._settle(once, made)
        return CreatedPlan(made, False, f"Plan {made.id} created.")

    def list(self, actor: Actor, *, page: int = 1, per_page: int = 50) -> tuple[Plan, ...]:
        """One page of bePaid plans, newest first."""
        core = self._core
        core.require(actor, Action.VIEW, "list_plans")
        try:
            return core.clients.bepaid.list_plans(page=page, per_page=per_page)
        except ProviderError as exc:
            raise ProviderFailed(exc.user_message, ref=None, provider_error=exc) from exc

    def every(self, actor: Actor, *, at_most: int = MAX_PLANS_LISTED) -> tuple[Plan, ...]:
        """bePaid's plans, newest first, page after page (100 a page, bePaid's maximum)
        until a short page or ``at_most`` plans: what the pages list and offer."""
        plans: list[Plan] = []
        page = 1
        while len(plans) < at_most:
            batch = self.list(actor, page=page, per_page=PLANS_PAGE)
            plans += batch
            if len(batch) < PLANS_PAGE:
                break
            page += 1
        return tuple(plans[:at_most])

    def _settle(self, once: Once | None, plan: Plan) -> None:
        if once is not None:
            self._core.ledger.idempotency.settle(once.key, object_id=plan.id)

    def _replay(self, once: Once, first: IdempotencyRow) -> CreatedPlan:
        once.check_same(first.action, first.fingerprint, first.object_id)
        if not first.object_id:
            raise BillingError(
                "This form's plan is being created, or bePaid's answer to it was lost: "
                "check the plans list before creating it again."
            )
        try:
            plan = self._core.clients.bepaid.get_plan(first.object_id)
        except ProviderError as exc:
            raise ProviderFailed(exc.user_message, ref=None, provider_error=exc) from exc
        message = f"This form already made plan {plan.id}; nothing was sent again."
        return CreatedPlan(plan, False, message, repeated=True)

    def _same_plan(self, wanted: NewPlan) -> Plan | None:
        try:
            plans = self._core.clients.bepaid.list_plans(per_page=50)
        except ProviderError:
            return None
        return next((plan for plan in plans if same_terms(plan, wanted)), None)  # newest first


def same_terms(plan: Plan, wanted: NewPlan) -> bool:
    """Whether an existing plan has the terms of ``wanted`` (title, price, period, trial)."""
    trial = (
        (plan.trial.amount, plan.trial.interval, plan.trial.interval_unit) if plan.trial else None
    )
    wanted_trial = (
        (wanted.trial.amount, wanted.trial.interval, wanted.trial.interval_unit)
        if wanted.trial
        else None
    )
    return (
        plan.title == wanted.title
        and plan.currency == wanted.currency
        and (plan.amount, plan.period.interval, plan.period.interval_unit)
        == (wanted.amount, wanted.interval, wanted.interval_unit)
        and trial == wanted_trial
    )


def plan_terms(core: Core, fields: Fields, draft: PlanDraft) -> NewPlan | None:
    """The plan's checked terms (messages under the draft's field names), or None."""
    title = fields.check("title", text, draft.title, required=True)
    code = fields.check("currency", currency_rule, draft.currency)
    maximum = core.settings.max_amount_minor
    minor = (
        fields.check("amount", amount_rule, draft.amount, code, maximum=maximum) if code else None
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
        trial_minor = None
        if code is not None:
            trial_minor = fields.check(
                "trial_amount", amount_rule, draft.trial_amount, code, maximum=maximum
            )
        if trial_unit and trial_every and trial_minor:
            trial = Period(trial_minor, trial_every, trial_unit)
    cycles = fields.check(
        "billing_cycles",
        whole_number,
        draft.billing_cycles,
        minimum=1,
        maximum=MAX_BILLING_CYCLES,
        required=False,
    )
    attempts = fields.check(
        "number_payment_attempts",
        whole_number,
        draft.number_payment_attempts,
        minimum=1,
        maximum=MAX_PAYMENT_ATTEMPTS,
        required=False,
    )
    lang = fields.check("language", language_rule, draft.language)
    if title is None or code is None or minor is None or unit is None or every is None:
        return None
    return NewPlan(
        title=title,
        currency=code,
        amount=minor,
        interval=every,
        interval_unit=unit,
        trial=trial,
        billing_cycles=cycles,
        number_payment_attempts=attempts,
        language=lang,
        test=core.test_mode,
    )
