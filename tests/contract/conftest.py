"""Fixtures: a real sandbox on a free loopback port, and HTTP clients for it."""

from __future__ import annotations

import httpx
import pytest

from console.sandbox.app import create_app
from console.sandbox.core import SandboxConfig
from tests.support.servers import free_port, serve


@pytest.fixture
def sandbox_server(tmp_path):
    """A fresh sandbox (own state file) served over loopback; yields (base_url, app)."""
    port = free_port()
    config = SandboxConfig(
        public_url=f"http://127.0.0.1:{port}", state_path=str(tmp_path / "sandbox.db")
    )
    app = create_app(config)
    with serve(app, port) as base_url:
        yield base_url, app
    app.state.sandbox.store.close()


@pytest.fixture
def sandbox_url(sandbox_server):
    return sandbox_server[0]


@pytest.fixture
def sandbox(sandbox_server):
    """The running sandbox's state object (clock, store) for assertions."""
    return sandbox_server[1].state.sandbox


@pytest.fixture
def bepaid(sandbox_url):
    """httpx client with the sandbox shop's HTTP Basic credentials."""
    with httpx.Client(
        base_url=sandbox_url, auth=("sandbox-shop", "sandbox-secret"), timeout=10
    ) as client:
        yield client


@pytest.fixture
def anonymous(sandbox_url):
    with httpx.Client(base_url=sandbox_url, timeout=10) as client:
        yield client
