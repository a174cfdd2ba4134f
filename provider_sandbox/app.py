"""Assembles the sandbox ASGI app: emulators, admin API, faults, ticks, notifications.

Request path, outermost first::

    FaultMiddleware   injected faults (never for /__sandbox)           faults.py
    TickMiddleware    sandbox.tick() in a worker thread, so every handler
                      sees state moved forward to the clock's now
    Router            /__sandbox admin routes, then the emulators' routes

The lifespan runs two background tasks and stops both on shutdown: a ticker loop
(every ``SandboxConfig.tick_every`` real seconds, so expiries and renewals happen
without any request) and the notification sender (notifier.py). It also saves
the clock's lead on shutdown so sandbox time stays monotonic across restarts.

Routes the sandbox does not emulate answer 404 as JSON in bePaid's error shape
``{"message": "Not Found", "errors": {}}`` — also when only the method is unknown
(``DELETE /transactions/{uid}``): a 405 would tell a client it used the wrong
method of a route that exists, and the provider has no such route to speak of. A
browser (``Accept: text/html``) gets a small HTML page instead. Responses that handlers build
themselves, such as the emulators' pay pages, are untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from provider_sandbox import bepaid, beyag, payture
from provider_sandbox.admin import admin_routes
from provider_sandbox.core import ADMIN_PREFIX, Sandbox, SandboxConfig
from provider_sandbox.faults import FaultMiddleware, FaultRegistry
from provider_sandbox.notifier import Notifier

EMULATORS = (bepaid, beyag, payture)

logger = logging.getLogger(__name__)

# Saving the clock's lead is only needed when it drifts (speed != 1); once a second is plenty.
_SAVE_CLOCK_EVERY = 1.0


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """Build the sandbox app; ``app.state.sandbox`` holds its state."""
    sandbox = Sandbox(config or SandboxConfig())
    sandbox.notifier = Notifier(sandbox)
    sandbox.faults = FaultRegistry()
    sandbox.add_state_section("notifications", lambda sb: sb.notifier.counts())
    sandbox.add_state_section("faults", lambda sb: sb.faults.listing())
    for emulator in EMULATORS:
        emulator.install(sandbox)
    routes = admin_routes() + [route for emulator in EMULATORS for route in emulator.routes]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(FaultMiddleware, registry=sandbox.faults),
            Middleware(TickMiddleware, sandbox=sandbox),
        ],
        exception_handlers={404: _not_found, 405: _not_found},
        lifespan=_lifespan,
    )
    app.state.sandbox = sandbox
    app.state.emulators = [emulator.__name__.rsplit(".", 1)[-1] for emulator in EMULATORS]
    return app


class TickMiddleware:
    """Runs the tickers before each request, so handlers see state as of now."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != f"{ADMIN_PREFIX}/health":
            await _tick(self.sandbox)
        await self.app(scope, receive, send)


async def _tick(sandbox: Sandbox) -> None:
    # A broken ticker is an emulator bug: log it loudly, but keep serving, so the
    # admin API stays usable to look at the state it left behind.
    try:
        await anyio.to_thread.run_sync(sandbox.tick)
    except Exception:
        logger.exception("a sandbox ticker failed")


async def _tick_forever(sandbox: Sandbox) -> None:
    """The background ticker loop: time-driven changes happen without requests."""
    saved_at = time.monotonic()
    while True:
        await asyncio.sleep(sandbox.config.tick_every)
        await _tick(sandbox)
        if sandbox.clock.speed != 1 and time.monotonic() - saved_at >= _SAVE_CLOCK_EVERY:
            await anyio.to_thread.run_sync(sandbox.save_clock)
            saved_at = time.monotonic()


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    sandbox: Sandbox = app.state.sandbox
    tasks = [
        asyncio.create_task(_tick_forever(sandbox), name="sandbox-ticker"),
        asyncio.create_task(sandbox.notifier.run(), name="sandbox-notifier"),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, Exception):
                logger.error("sandbox background task failed", exc_info=result)
        await anyio.to_thread.run_sync(sandbox.save_clock)


async def _not_found(request: Request, exc: Exception) -> Response:
    """404 in bePaid's error shape (for unknown methods too), or an HTML page for a browser."""
    if "text/html" in request.headers.get("accept", ""):
        page = "<!doctype html><title>404 Not Found</title><h1>404 Not Found</h1>"
        return HTMLResponse(page, status_code=404)
    return JSONResponse({"message": "Not Found", "errors": {}}, status_code=404)
