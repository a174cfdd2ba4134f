"""Running a plan (see :mod:`console.billing._observe`) with blocking or async clients.

The driver sends each :class:`Ask` to the named client's method and hands the answer
back to the plan; a :class:`~console.providers.ProviderError` is thrown into the plan,
which may handle it (a 404 that means "not yet") or let it propagate to the caller.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from console.billing._observe import Ask, Observation, Plan
from console.providers import ProviderError


def run_plan(plan: Plan, ask: Callable[[Ask], Any]) -> Observation:
    """Run ``plan`` to completion with a blocking ``ask``; return its observation."""
    try:
        request = next(plan)
        while True:
            try:
                answer = ask(request)
            except ProviderError as exc:
                request = plan.throw(exc)
            else:
                request = plan.send(answer)
    except StopIteration as stop:
        return stop.value


async def run_plan_async(plan: Plan, ask: Callable[[Ask], Awaitable[Any]]) -> Observation:
    """Run ``plan`` to completion with an async ``ask``; return its observation."""
    try:
        request = next(plan)
        while True:
            try:
                answer = await ask(request)
            except ProviderError as exc:
                request = plan.throw(exc)
            else:
                request = plan.send(answer)
    except StopIteration as stop:
        return stop.value


def asker(clients: Callable[[str], Any]) -> Callable[[Ask], Any]:
    """An ``ask`` that calls ``clients(name).<method>(arg)`` (blocking or async alike)."""

    def ask(request: Ask) -> Any:
        return getattr(clients(request.client), request.method)(request.arg)

    return ask
