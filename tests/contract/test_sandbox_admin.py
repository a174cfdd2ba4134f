"""The admin API under /__sandbox, and how unknown API routes answer."""

from __future__ import annotations

from datetime import datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def test_health_names_the_emulators(module_client):
    response = module_client.get("/__sandbox/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["emulators"]) == {"bepaid", "beyag", "payture"}


def test_state_shows_the_clock_and_every_registered_section(sandbox, anonymous):
    sandbox.add_state_section("orders", lambda sb: {"open": 2, "as_of": sb.now()})

    state = anonymous.get("/__sandbox/state").json()
    assert {"now", "timestamp", "speed"} <= set(state["clock"])
    assert state["clock"]["speed"] == 1.0
    assert state["notifications"] == {"pending": 0, "delivered": 0, "gave_up": 0}
    assert state["faults"] == []
    assert state["orders"]["open"] == 2
    # Sections may hand back datetimes: they are shown as bePaid timestamps.
    assert datetime.fromisoformat(state["orders"]["as_of"].replace("Z", "+00:00"))


def test_state_sees_tickers_applied(sandbox, anonymous):
    """Reading the state is a request like any other: time-driven changes are applied first."""
    ticks: list[datetime] = []
    sandbox.add_ticker(lambda _sb, now: ticks.append(now))
    sandbox.add_state_section("ticks", lambda _sb: ticks[-1] if ticks else None)
    jumped_to = sandbox.clock.advance(7200)

    shown = anonymous.get("/__sandbox/state").json()["ticks"]
    assert datetime.fromisoformat(shown.replace("Z", "+00:00")) >= jumped_to.replace(microsecond=0)


def test_public_key_is_a_2048_bit_rsa_pem(module_client):
    response = module_client.get("/__sandbox/public-key")
    assert response.status_code == 200
    assert response.text.startswith("-----BEGIN PUBLIC KEY-----")
    key = serialization.load_pem_public_key(response.content)
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 2048
    assert module_client.get("/__sandbox/public-key").text == response.text  # stable


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no-such-route", 404),
        ("POST", "/ctp/api/no-such-thing", 404),
        ("GET", "/__sandbox/no-such-page", 404),
        # A known path with a method the sandbox does not emulate is not a 405
        # ("wrong method"): the provider has no such route at all.
        ("PUT", "/__sandbox/clock", 404),
        ("DELETE", "/transactions/some-uid", 404),
        ("GET", "/ctp/api/checkouts", 404),
    ],
)
def test_unknown_routes_answer_json_in_bepaids_error_shape(module_client, method, path, status):
    response = module_client.request(method, path, headers={"Accept": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body == {"message": "Not Found", "errors": {}}
    assert "allow" not in response.headers


def test_a_browser_gets_an_html_not_found_page(module_client):
    response = module_client.get("/no-such-page", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "404" in response.text
