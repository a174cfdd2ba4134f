"""The public API of console.providers: ``__all__`` is complete, sorted and importable."""

from __future__ import annotations

import dataclasses
import inspect
import types

import console.providers as providers
from console.providers import errors, models


def test_all_names_are_importable():
    namespace: dict[str, object] = {}
    exec("from console.providers import *", namespace)  # noqa: S102 - the point of the test
    assert set(providers.__all__) <= set(namespace)
    for name in providers.__all__:
        assert getattr(providers, name) is namespace[name]


def test_all_lists_every_public_name_once_in_order():
    public = {
        name
        for name, value in vars(providers).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert set(providers.__all__) == public
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical
    kind = lambda name: 0 if name.isupper() else 1 if name[0].isupper() else 2  # noqa: E731
    assert providers.__all__ == sorted(providers.__all__, key=lambda name: (kind(name), name))


def test_every_error_class_and_model_is_exported():
    error_classes = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, errors.ProviderError)
    }
    model_classes = {
        name
        for name, value in vars(models).items()
        if inspect.isclass(value) and dataclasses.is_dataclass(value)
    }
    assert error_classes | model_classes <= set(providers.__all__)


def test_the_console_error_tree_names_every_provider_error():
    import console.errors as tree  # the one drawing (tests/unit/test_error_tree.py checks it)

    for name, value in vars(errors).items():
        if inspect.isclass(value) and issubclass(value, errors.ProviderError):
            assert name in (tree.__doc__ or "")
            assert value.__doc__ and value.__doc__.startswith("Raised ")
