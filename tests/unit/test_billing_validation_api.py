"""The public surface pages build on: every exported name exists and says what it is for."""

from __future__ import annotations

import inspect

import pytest

import console.billing
import console.validation
from console.config import load_settings
from console.ledger import Ledger

MODULES = [console.billing, console.validation]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_exported_name_exists_and_callables_are_documented(module):
    assert module.__doc__ and len(module.__doc__) > 200
    for name in module.__all__:
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{module.__name__}.{name} has no docstring"


SERVICES = {
    "pay_links": ["create"],
    "apm_payments": ["create"],
    "payture_bills": ["products", "create"],
    "plans": ["create", "list", "every"],
    "subscriptions": ["create", "cancel"],
    "objects": ["refresh", "confirm"],
    "imports": ["create"],
    "sync": ["refresh_open"],
}


@pytest.mark.parametrize("service", SERVICES)
def test_every_billing_use_case_is_a_documented_method_taking_the_actor_first(service, tmp_path):
    assert f"``{service}``" in console.billing.__doc__, f"the package docstring omits {service}"
    settings = load_settings(env={}, secrets_path=tmp_path / "none.toml")
    with Ledger(tmp_path / "ledger.db") as ledger:
        kind = type(getattr(console.billing.Billing(settings, ledger), service))
    for name in SERVICES[service]:
        method = getattr(kind, name)
        assert inspect.getdoc(method), f"{service}.{name}"
        parameters = list(inspect.signature(method).parameters)
        assert parameters[:2] == ["self", "actor"], f"{service}.{name}"
