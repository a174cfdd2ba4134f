"""Payture: billCreate needs the configured access_token (else HTTP 401); the two
``need_authorization: false`` methods are served without one, but refuse a wrong one."""

from __future__ import annotations

import httpx
import pytest

from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from tests.support.servers import free_port, serve

API = "/api/payments/20/payture"
MONTHLY = "550e8400-e29b-41d4-a716-446655440001"
VALID_BODIES = {
    "billCreate": {"subscription_id": MONTHLY},
    "billCreateUnauthorised": {"subscription_id": MONTHLY, "user_id": "guest-1"},
    "billStatus": {"bill_id": "cc0e8400-e29b-41d4-a716-446655440009"},
}


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory):
    """One sandbox for the whole module: refused requests change nothing."""
    port = free_port()
    state = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(state)))
    with serve(app, port) as base_url:
        yield base_url, app
    app.state.sandbox.store.close()


@pytest.mark.parametrize(
    ("method", "token", "message"),
    [
        ("billCreate", ..., "access_token can not be empty"),
        ("billCreate", "", "access_token can not be empty"),
        *(
            (method, token, "Invalid access token")
            for method in VALID_BODIES
            for token in ("sandbox-token-2", "SANDBOX-TOKEN", ["sandbox-token"])
        ),
    ],
)
def test_a_missing_or_wrong_token_is_401(anonymous, sandbox, method, token, message):
    bills_before = len(sandbox.state_sections["payture"](sandbox)["bills"])
    body = dict(VALID_BODIES[method])
    if token is not ...:
        body["access_token"] = token

    response = anonymous.post(f"{API}/{method}", json=body)

    assert response.status_code == 401
    assert response.json() == {"success": False, "code": 1001, "message": message}
    assert len(sandbox.state_sections["payture"](sandbox)["bills"]) == bills_before


@pytest.mark.parametrize("method", ["billCreateUnauthorised", "billStatus"])
@pytest.mark.parametrize("token", [..., ""])
def test_the_guest_methods_need_no_token(anonymous, method, token):
    """The doc: billCreateUnauthorised and billStatus are ``need_authorization: false``."""
    body = dict(VALID_BODIES[method])
    if token is not ...:
        body["access_token"] = token

    response = anonymous.post(f"{API}/{method}", json=body)

    assert response.status_code == 200
    assert response.json()["success"] is True


@pytest.mark.parametrize("method", list(VALID_BODIES))
def test_the_configured_token_is_accepted(anonymous, method):
    body = {"access_token": "sandbox-token", **VALID_BODIES[method]}

    response = anonymous.post(f"{API}/{method}", json=body)

    assert response.status_code == 200
    assert response.json()["success"] is True


@pytest.mark.parametrize("raw", [b"{oops", b'"text"', b"[]"])
def test_a_body_that_is_not_a_json_object_is_400(anonymous, raw):
    response = anonymous.post(
        f"{API}/billStatus", content=raw, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json() == {"success": False, "message": "Request body must be a JSON object"}


def test_an_empty_body_has_no_token(anonymous):
    response = anonymous.post(f"{API}/billCreate")

    assert response.status_code == 401
    assert response.json()["message"] == "access_token can not be empty"


def test_a_sandbox_with_another_token_accepts_only_that_token(tmp_path):
    port = free_port()
    config = SandboxConfig(
        public_url=f"http://127.0.0.1:{port}",
        state_path=str(tmp_path / "s.db"),
        access_token="my-own-token",
    )
    app = create_app(config)
    with serve(app, port) as url:
        url = f"{url}{API}/billCreate"
        default = httpx.post(
            url, json={"access_token": "sandbox-token", **VALID_BODIES["billCreate"]}
        )
        own = httpx.post(url, json={"access_token": "my-own-token", **VALID_BODIES["billCreate"]})
    app.state.sandbox.store.close()

    assert default.status_code == 401
    assert own.status_code == 200
