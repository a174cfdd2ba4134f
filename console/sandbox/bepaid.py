"""Sandbox emulator: bepaid (stub, filled in by its owner)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from console.sandbox.core import Sandbox

routes: list[BaseRoute] = []


def install(sandbox: Sandbox) -> None:
    """Create this emulator's tables and register its tickers and state sections."""
