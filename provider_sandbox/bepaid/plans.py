"""bePaid subscription plans: ``POST /plans``, ``GET /plans``, ``GET /plans/{id}``.

A plan says how much and how often to charge: ``plan{amount, interval,
interval_unit}`` (unit ``hour``, ``day`` or ``month``), an optional ``trial`` with
the same three fields (all required together) and ``as_first_payment`` (default
false), ``billing_cycles`` (ignored while ``infinite``, which defaults to true, as the
doc says), ``number_payment_attempts`` (default 3), ``language``, ``test``.
``POST`` answers 201 with the plan; ``GET /plans`` answers a bare JSON array, newest
first, paged by ``?page=`` and ``?per_page=`` (default 50, max 100) — bePaid's doc
says its list calls return "an array". Unknown id → 404.

The same validation serves a subscription's inline plan, with errors nested under
``plan`` (the invalid currency error stays under ``base``, as the doc's example shows).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from provider_sandbox.bepaid import validation as check
from provider_sandbox.bepaid.records import (
    Source,
    all_objects,
    create_response,
    list_response,
    load_object,
    new_id,
    object_response,
    store_object,
)
from provider_sandbox.core import Sandbox, iso

INTERVAL_UNITS = ("hour", "day", "month")
DEFAULT_PAYMENT_ATTEMPTS = 3
UNKNOWN_PLAN = "plan with this ID doesn't exist for this account"

SCHEMA = """
CREATE TABLE IF NOT EXISTS bepaid_plans (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    data TEXT NOT NULL
);
"""


def _period(errors: check.Errors, path: check.Path, section: dict[str, Any]) -> dict[str, Any]:
    return {
        "amount": check.positive_int(errors, (*path, "amount"), section.get("amount")),
        "interval": check.positive_int(errors, (*path, "interval"), section.get("interval")),
        "interval_unit": check.choice(
            errors, (*path, "interval_unit"), section.get("interval_unit"), INTERVAL_UNITS
        ),
    }


def validate_plan(errors: check.Errors, body: dict[str, Any], at: check.Path) -> dict[str, Any]:
    """Check a plan's fields (``at`` is where they sit in the request: ``()`` or ``("plan",)``)."""
    title = check.text(errors, (*at, "title"), body.get("title"), required=True)
    currency = check.currency(errors, body.get("currency"))
    regular = check.object_at(errors, (*at, "plan"), body.get("plan"), required=True)
    trial = check.object_at(errors, (*at, "trial"), body.get("trial"), required=False)
    infinite = check.boolean(errors, (*at, "infinite"), body.get("infinite"), default=True)
    cycles = check.positive_int(
        errors, (*at, "billing_cycles"), body.get("billing_cycles"), required=not infinite
    )
    attempts = check.positive_int(
        errors,
        (*at, "number_payment_attempts"),
        body.get("number_payment_attempts"),
        required=False,
    )
    test = body.get("test")
    if test is not None:
        test = check.boolean(errors, (*at, "test"), test, default=False)
    trial_period = None
    if trial:
        trial_period = _period(errors, (*at, "trial"), trial)
        trial_period["as_first_payment"] = check.boolean(
            errors,
            (*at, "trial", "as_first_payment"),
            trial.get("as_first_payment"),
            default=False,
        )
    return {
        "title": title,
        "currency": currency,
        "language": check.text(errors, (*at, "language"), body.get("language"), limit=10),
        "infinite": infinite,
        "billing_cycles": cycles,
        "trial": trial_period,
        "plan": _period(errors, (*at, "plan"), regular) if regular is not None else None,
        "number_payment_attempts": attempts or DEFAULT_PAYMENT_ATTEMPTS,
        "test": test,
    }


def insert_plan(conn: sqlite3.Connection, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Store an accepted plan and return its representation."""
    plan = {"id": new_id("pln"), **fields, "created_at": iso(now)}
    return store_object(conn, "bepaid_plans", plan, now)


def load_plan(source: Source, plan_id: Any) -> dict[str, Any] | None:
    return load_object(source, "bepaid_plans", plan_id)


async def create_plan(request: Request) -> Response:
    return await create_response(request, validate_plan, insert_plan)


async def list_plans(request: Request) -> Response:
    return list_response(request, "bepaid_plans")


async def get_plan(request: Request) -> Response:
    return object_response(request, load_plan)


def state_section(sandbox: Sandbox) -> list[dict[str, Any]]:
    return all_objects(sandbox, "bepaid_plans")


def install(sandbox: Sandbox) -> None:
    sandbox.store.ensure_schema(SCHEMA)


routes = [
    Route("/plans", create_plan, methods=["POST"]),
    Route("/plans", list_plans, methods=["GET"]),
    Route("/plans/{id}", get_plan, methods=["GET"]),
]
