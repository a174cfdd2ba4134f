"""The public surface pages build on: every exported name exists and says what it is for."""

from __future__ import annotations

import inspect

import pytest

import console.billing
import console.sync
import console.validation

MODULES = [console.billing, console.sync, console.validation]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_exported_name_exists_and_callables_are_documented(module):
    assert module.__doc__ and len(module.__doc__) > 200
    for name in module.__all__:
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{module.__name__}.{name} has no docstring"


def test_every_billing_use_case_is_a_documented_method_taking_the_actor_first():
    use_cases = [
        "create_pay_link", "create_apm_payment", "payture_products", "create_payture_bill",
        "create_plan", "list_plans", "every_plan", "create_subscription", "cancel_subscription",
        "refresh", "confirm", "import_object",
    ]  # fmt: skip
    for name in use_cases:
        method = getattr(console.billing.Billing, name)
        assert inspect.getdoc(method), name
        parameters = list(inspect.signature(method).parameters)
        assert parameters[:2] == ["self", "actor"], name
        assert name in console.billing.__doc__
