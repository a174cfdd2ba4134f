"""bePaid plans: create one (with or without a trial) and list them."""

from __future__ import annotations

import pytest

from console.billing import PlanDraft, ProviderFailed
from tests.contract.billing_support import OPERATOR, VIEWER, open_desk


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


MONTHLY = PlanDraft(title="Premium monthly", amount="9.90", currency="EUR", interval=1,
                    interval_unit="month")  # fmt: skip


def test_plan_with_a_trial_is_created_with_its_terms(desk):
    draft = PlanDraft(
        title="Daily box",
        amount="3.00",
        currency="BYN",
        interval="2",
        interval_unit="day",
        trial_amount="0.50",
        trial_interval=7,
        trial_unit="day",
        billing_cycles=12,
        number_payment_attempts=2,
    )
    created = desk.billing.plans.create(OPERATOR, draft)
    plan = created.plan
    assert not created.recovered
    assert (plan.title, plan.currency, plan.amount) == ("Daily box", "BYN", 300)
    assert (plan.period.interval, plan.period.interval_unit) == (2, "day")
    assert (plan.trial.amount, plan.trial.interval, plan.trial.interval_unit) == (50, 7, "day")
    assert (plan.billing_cycles, plan.number_payment_attempts, plan.test) == (12, 2, True)
    assert ("olga", "create_plan", "ok") in desk.audit_actions()


def test_plans_are_listed_newest_first(desk):
    first = desk.billing.plans.create(OPERATOR, MONTHLY).plan
    second = desk.billing.plans.create(
        OPERATOR, PlanDraft(**{**MONTHLY.__dict__, "title": "B"})
    ).plan
    listed = desk.billing.plans.list(VIEWER)
    assert [p.id for p in listed[:2]] == [second.id, first.id]


def test_plan_creation_failure_is_audited_and_explained(desk):
    desk.fault(method="POST", path="/plans", kind="error", status=503)
    with pytest.raises(ProviderFailed) as caught:
        desk.billing.plans.create(OPERATOR, MONTHLY)
    assert "not answering" in caught.value.message
    assert ("olga", "create_plan", "failed") in desk.audit_actions()
    assert desk.provider_objects()["plans"] == 0


def test_every_plan_reads_page_after_page_up_to_its_bound(desk):
    made = [
        desk.billing.plans.create(
            OPERATOR, PlanDraft(**{**MONTHLY.__dict__, "title": f"Plan {n}"})
        ).plan.id
        for n in range(105)  # more than one page of 100
    ]
    assert [p.id for p in desk.billing.plans.every(VIEWER)] == made[::-1]  # newest first
    assert [p.id for p in desk.billing.plans.every(VIEWER, at_most=3)] == made[:-4:-1]
