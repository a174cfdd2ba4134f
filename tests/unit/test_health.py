"""Provider health: reachable or not, how fast, and what answered — over real loopback HTTP."""

from __future__ import annotations

import socket
from datetime import UTC

import pytest

from console.config import load_settings
from console.health import HealthTarget, check_providers, check_targets, health_targets
from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from tests.support.servers import free_port, serve


@pytest.fixture
def sandbox_port(tmp_path):
    """A real sandbox on a free loopback port; yields the port."""
    port = free_port()
    app = create_app(
        SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(tmp_path / "sb.db"))
    )
    with serve(app, port):
        yield port
    app.state.sandbox.store.close()


def sandbox_settings(tmp_path, port: int):
    env = {"MERCHANT_CONSOLE_SANDBOX_PORT": str(port)}
    return load_settings(env, secrets_path=tmp_path / "none.toml")


def test_running_sandbox_is_reachable_with_a_latency(tmp_path, sandbox_port):
    [check] = check_providers(sandbox_settings(tmp_path, sandbox_port))
    assert check.reachable
    assert check.url == f"http://127.0.0.1:{sandbox_port}/__sandbox/health"
    assert check.status_code == 200
    assert check.detail == "HTTP 200"
    assert isinstance(check.latency_ms, int) and check.latency_ms >= 0
    assert check.checked_at.tzinfo is UTC


def test_closed_port_is_unreachable(tmp_path):
    [check] = check_providers(sandbox_settings(tmp_path, free_port()))
    assert not check.reachable
    assert check.latency_ms is None and check.status_code is None
    assert check.detail == "connection refused"


def test_silent_server_times_out(tmp_path):
    # A listening socket that never answers: the TCP handshake completes, no HTTP follows.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/__sandbox/health"
        [check] = check_targets([HealthTarget("silent", url, "GET", False)], timeout=0.3)
    assert not check.reachable
    assert check.detail == "timed out after 0.3 s"


@pytest.mark.parametrize(
    ("path", "any_answer", "reachable"),
    [
        ("/__sandbox/health", False, True),  # the sandbox's own health route
        ("/not-a-route", False, False),  # something answers, but it is not our sandbox
        ("/not-a-route", True, True),  # live rule: any HTTP answer means the host is there
    ],
)
def test_what_counts_as_reachable(sandbox_port, path, any_answer, reachable):
    url = f"http://127.0.0.1:{sandbox_port}{path}"
    method = "GET" if not any_answer else "HEAD"
    [check] = check_targets([HealthTarget("t", url, method, any_answer)])
    assert check.reachable is reachable
    assert check.status_code is not None  # it did answer


def test_live_mode_checks_each_distinct_base_url_without_credentials(tmp_path):
    env = {
        "MERCHANT_CONSOLE_BEPAID_SHOP_ID": "361",
        "MERCHANT_CONSOLE_BEPAID_SECRET_KEY": "live-secret",
        "MERCHANT_CONSOLE_BEPAID_CHECKOUT_URL": "https://api.bepaid.by",  # same host as the API
        "MERCHANT_CONSOLE_PAYTURE_ACCESS_TOKEN": "live-token",
        "MERCHANT_CONSOLE_PAYTURE_BASE_URL": "https://behind.example.com",
    }
    targets = health_targets(load_settings(env, secrets_path=tmp_path / "none.toml"))
    assert [(t.name, t.url) for t in targets] == [
        ("bePaid API, bePaid checkout", "https://api.bepaid.by"),
        ("bePaid gateway", "https://gateway.bepaid.by"),
        ("Payture behind-api", "https://behind.example.com"),
    ]
    assert all(t.method == "HEAD" and t.any_answer for t in targets)
    assert "live-secret" not in repr(targets) and "live-token" not in repr(targets)


def test_results_keep_the_targets_order(sandbox_port):
    closed = free_port()
    targets = [
        HealthTarget("down", f"http://127.0.0.1:{closed}/", "HEAD"),
        HealthTarget("up", f"http://127.0.0.1:{sandbox_port}/__sandbox/health", "GET", False),
    ]
    assert [(c.name, c.reachable) for c in check_targets(targets)] == [
        ("down", False),
        ("up", True),
    ]
