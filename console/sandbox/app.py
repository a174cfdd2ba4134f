"""Assembles the sandbox ASGI app from the provider emulators."""

from __future__ import annotations

from starlette.applications import Starlette

from console.sandbox import bepaid, beyag, payture
from console.sandbox.core import Sandbox, SandboxConfig

EMULATORS = (bepaid, beyag, payture)


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """Build the sandbox app; ``app.state.sandbox`` holds its state."""
    sandbox = Sandbox(config or SandboxConfig())
    for emulator in EMULATORS:
        emulator.install(sandbox)
    routes = [route for emulator in EMULATORS for route in emulator.routes]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    return app
