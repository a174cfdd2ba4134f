"""Running a refresh plan (see :mod:`console.billing._observe`) with blocking or async clients.

The driver calls each :class:`Ask` with the clients and hands the answer back to the
plan; a :class:`~console.providers.ProviderError` is thrown into the plan, which may
handle it (a 404 that means "not yet") or let it propagate to the caller. The same
plans serve both: the async clients have the blocking ones' method names, returning
awaitables, so the async driver awaits what the call returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.billing._observe import Observation, Plan, ProviderReads
from console.providers import ProviderError


@dataclass
class Tally:
    """How many provider reads a plan made (for the polling budget)."""

    asks: int = 0


def counted(plan: Plan, tally: Tally) -> Plan:
    """``plan`` unchanged, counting each read it asks for in ``tally``."""
    try:
        request = next(plan)
        while True:
            tally.asks += 1
            try:
                answer = yield request
            except ProviderError as exc:
                request = plan.throw(exc)
            else:
                request = plan.send(answer)
    except StopIteration as stop:
        seen: Observation = stop.value
        return seen


def run_plan(plan: Plan, reads: ProviderReads) -> Observation:
    """Run ``plan`` to completion with blocking clients; return its observation."""
    try:
        request = next(plan)
        while True:
            try:
                answer = request.call(reads)
            except ProviderError as exc:
                request = plan.throw(exc)
            else:
                request = plan.send(answer)
    except StopIteration as stop:
        seen: Observation = stop.value
        return seen


async def run_plan_async(plan: Plan, reads: Any) -> Observation:
    """Run ``plan`` to completion with async clients (``reads`` has the
    :class:`ProviderReads` shape, its methods returning awaitables)."""
    try:
        request = next(plan)
        while True:
            try:
                answer = await request.call(reads)
            except ProviderError as exc:
                request = plan.throw(exc)
            else:
                request = plan.send(answer)
    except StopIteration as stop:
        seen: Observation = stop.value
        return seen
