"""The sandbox's admin API under ``/__sandbox`` (a prefix no real provider uses).

No authentication: the sandbox only ever listens on loopback (``server.run``
refuses anything else), so whoever can reach it already runs on this machine.
Faults never apply here. Emulators add their own payer-action routes (pay or
decline an item) under the same prefix in their ``routes``.

    GET    /__sandbox/health                 {"status": "ok", "now", "emulators"}
    GET    /__sandbox/state                  {"clock": {...}, <section>: ...}
    GET    /__sandbox/clock                  {"now", "timestamp", "speed", "lead_seconds"}
    POST   /__sandbox/clock/advance          {"seconds"|"minutes"|"hours"|"days": N} -> clock
    POST   /__sandbox/clock/reset            back to real time -> clock + {"reset_seconds"}
    GET    /__sandbox/public-key             the notification public key, PEM (text/plain)
    GET    /__sandbox/notifications          {"notifications": [...], "counts"}; ?state=
    POST   /__sandbox/notifications/{id}/retry   make one due again now
    GET    /__sandbox/faults                 {"faults": [...]}
    POST   /__sandbox/faults                 register (see faults.py) -> 201 fault
    DELETE /__sandbox/faults                 clear all -> {"cleared": n}
    DELETE /__sandbox/faults/{id}            remove one

Errors use bePaid's shape: HTTP 422 ``{"message", "errors": {field: [msgs]}}``.
"""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import datetime
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from provider_sandbox.core import ADMIN_PREFIX, Sandbox, iso, read_json, sandbox_of
from provider_sandbox.errors import unprocessable
from provider_sandbox.faults import FaultSpecError, parse_fault
from provider_sandbox.notifier import STATES

UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, sqlite3.Row):
        return dict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class AdminJSON(JSONResponse):
    """JSON that also accepts what state sections naturally return (datetimes, rows)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, indent=2, default=_jsonable).encode()


def clock_view(sandbox: Sandbox) -> dict[str, Any]:
    now = sandbox.now()
    return {
        "now": iso(now),
        "timestamp": now.timestamp(),
        "speed": sandbox.clock.speed,
        "lead_seconds": sandbox.clock.lead(),
    }


async def health(request: Request) -> Response:
    sandbox = sandbox_of(request)
    return AdminJSON(
        {
            "status": "ok",
            "now": iso(sandbox.now()),
            "emulators": request.app.state.emulators,
        }
    )


def _state(sandbox: Sandbox) -> dict[str, Any]:
    state: dict[str, Any] = {"clock": clock_view(sandbox)}
    for name, section in sandbox.state_sections.items():
        state[name] = section(sandbox)
    return state


async def state(request: Request) -> Response:
    return AdminJSON(await anyio.to_thread.run_sync(_state, sandbox_of(request)))


async def clock(request: Request) -> Response:
    return AdminJSON(clock_view(sandbox_of(request)))


async def advance_clock(request: Request) -> Response:
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    given = {unit: body[unit] for unit in UNIT_SECONDS if unit in body}
    errors = {
        unit: ["must be a non-negative number"]
        for unit, value in given.items()
        if isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    }
    if not given:
        errors["base"] = ["give seconds, minutes, hours or days"]
    if errors:
        return unprocessable("Cannot advance the clock", errors)
    seconds = sum(float(value) * UNIT_SECONDS[unit] for unit, value in given.items())
    sandbox = sandbox_of(request)
    # Sandbox.advance persists the clock, runs the tickers and wakes the notifier.
    await anyio.to_thread.run_sync(sandbox.advance, seconds)
    return AdminJSON({**clock_view(sandbox), "advanced_seconds": seconds})


async def reset_clock(request: Request) -> Response:
    """Sandbox time goes back to real time (the one move backwards the clock makes).

    Objects made while the clock was ahead keep their timestamps; what they wait for
    (an expiry, a renewal) now comes that much later in real time.
    """
    sandbox = sandbox_of(request)
    lead = await anyio.to_thread.run_sync(sandbox.reset_clock)
    return AdminJSON({**clock_view(sandbox), "reset_seconds": lead})


async def public_key(request: Request) -> Response:
    signer = sandbox_of(request).notifier.signer
    pem = await anyio.to_thread.run_sync(lambda: signer.public_key_pem)
    return PlainTextResponse(pem, media_type="application/x-pem-file")


async def notifications(request: Request) -> Response:
    notifier = sandbox_of(request).notifier
    wanted = request.query_params.get("state") or None
    if wanted is not None and wanted not in STATES:
        return unprocessable("Unknown state", {"state": [f"must be one of {', '.join(STATES)}"]})
    listing = await anyio.to_thread.run_sync(
        lambda: {"notifications": notifier.listing(wanted), "counts": notifier.counts()}
    )
    return AdminJSON(listing)


async def retry_notification(request: Request) -> Response:
    notifier = sandbox_of(request).notifier
    notification_id = request.path_params["notification_id"]
    if not await anyio.to_thread.run_sync(notifier.retry_now, notification_id):
        return AdminJSON(
            {"message": "Not found", "errors": {"base": ["no undelivered notification"]}},
            status_code=404,
        )
    return AdminJSON({"id": notification_id, "state": "pending"})


async def list_faults(request: Request) -> Response:
    return AdminJSON({"faults": sandbox_of(request).faults.listing()})


async def add_fault(request: Request) -> Response:
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    try:
        fault = parse_fault(body)
    except FaultSpecError as exc:
        return unprocessable("Invalid fault", exc.errors)
    sandbox_of(request).faults.add(fault)
    return AdminJSON(fault.describe(), status_code=201)


async def clear_faults(request: Request) -> Response:
    return AdminJSON({"cleared": sandbox_of(request).faults.clear()})


async def remove_fault(request: Request) -> Response:
    fault_id = request.path_params["fault_id"]
    if not sandbox_of(request).faults.remove(fault_id):
        return AdminJSON({"message": "Not found", "errors": {"base": ["no such fault"]}}, 404)
    return AdminJSON({"removed": fault_id})


def admin_routes() -> list[Route]:
    """The platform's admin routes (emulators add theirs under the same prefix)."""
    p = ADMIN_PREFIX
    return [
        Route(f"{p}/health", health, methods=["GET"]),
        Route(f"{p}/state", state, methods=["GET"]),
        Route(f"{p}/clock", clock, methods=["GET"]),
        Route(f"{p}/clock/advance", advance_clock, methods=["POST"]),
        Route(f"{p}/clock/reset", reset_clock, methods=["POST"]),
        Route(f"{p}/public-key", public_key, methods=["GET"]),
        Route(f"{p}/notifications", notifications, methods=["GET"]),
        Route(
            f"{p}/notifications/{{notification_id:int}}/retry",
            retry_notification,
            methods=["POST"],
        ),
        Route(f"{p}/faults", list_faults, methods=["GET"]),
        Route(f"{p}/faults", add_fault, methods=["POST"]),
        Route(f"{p}/faults", clear_faults, methods=["DELETE"]),
        Route(f"{p}/faults/{{fault_id}}", remove_fault, methods=["DELETE"]),
    ]
