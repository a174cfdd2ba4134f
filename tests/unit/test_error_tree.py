"""The error tree drawn in console/errors.py is the real one: every class, under its parent."""

from __future__ import annotations

import importlib
import pkgutil
import re

import console
from console.errors import ConsoleError

_LINE = re.compile(r"^(?P<lead>[ │├└─]*)(?P<name>[A-Z]\w+)\s")


def drawn_parents() -> dict[str, str | None]:
    """Each class name in the drawing with the name it hangs under."""
    doc = console.errors.__doc__ or ""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        if not line.startswith("    ") or not line.strip():
            continue
        found = _LINE.match(line[4:] + " ")
        if not found:
            continue
        depth = len(found["lead"])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[found["name"]] = stack[-1][1] if stack else None
        stack.append((depth, found["name"]))
    return parents


def real_parents() -> dict[str, str | None]:
    for module in pkgutil.walk_packages(console.__path__, "console."):
        if (
            not module.name.startswith(("console.ui", "console.web"))
            and "__main__" not in module.name
        ):
            importlib.import_module(module.name)
    parents: dict[str, str | None] = {"ConsoleError": None}
    pending = [ConsoleError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            parents[sub.__name__] = cls.__name__
            pending.append(sub)
    return parents


def test_the_drawing_has_every_error_class_under_its_parent():
    assert drawn_parents() == real_parents()


def test_every_error_says_when_it_is_raised_and_has_a_title():
    for name in set(real_parents()) - {"ConsoleError"}:
        cls = next(c for c in _all(ConsoleError) if c.__name__ == name)
        assert cls.__doc__ and cls.__doc__.startswith("Raised when"), name
        assert cls.title, name


def _all(cls):
    yield cls
    for sub in cls.__subclasses__():
        yield from _all(sub)
