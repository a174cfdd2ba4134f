"""Who may talk to the sandbox: shop credentials for the APIs, loopback only for all of it."""

from __future__ import annotations

import base64

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provider_sandbox import server
from provider_sandbox.core import SandboxConfig, shop_auth_error
from provider_sandbox.errors import SandboxConfigError


def shop_only(request: Request) -> Response:
    """A test-only API route guarded the way the bePaid emulators guard theirs."""
    return shop_auth_error(request) or JSONResponse({"ok": True})


@pytest.mark.parametrize(
    ("auth", "status"),
    [
        (("361", "sandbox-secret"), 200),
        (("361", "wrong-secret"), 401),
        (("other-shop", "sandbox-secret"), 401),
        (None, 401),
    ],
    ids=["shop-credentials", "wrong-secret", "wrong-shop", "anonymous"],
)
def test_api_routes_want_the_shops_http_basic_credentials(start_sandbox, http, auth, status):
    with start_sandbox(routes=[Route("/test/shop-only", shop_only)]) as (url, _):
        response = http.get(f"{url}/test/shop-only", auth=auth)

    assert response.status_code == status
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")
        assert response.json()["errors"]["base"]


def test_credentials_can_be_overridden(start_sandbox, http, webhook_catcher):
    config = {"shop_id": "shop-7", "secret_key": "s3cr3t"}
    with start_sandbox(routes=[Route("/test/shop-only", shop_only)], **config) as (url, app):
        assert http.get(f"{url}/test/shop-only", auth=("shop-7", "s3cr3t")).status_code == 200
        assert http.get(f"{url}/test/shop-only", auth=("361", "sandbox-secret")).status_code == 401
        app.state.sandbox.notify(f"{webhook_catcher.url}/hook", {"id": 1})
        (caught,) = webhook_catcher.wait_for(1)

    assert caught.headers["authorization"] == "Basic " + base64.b64encode(b"shop-7:s3cr3t").decode()


def test_the_admin_api_needs_no_credentials(anonymous):
    for path in ("/__sandbox/health", "/__sandbox/state", "/__sandbox/clock"):
        assert anonymous.get(path).status_code == 200


def test_credentials_come_from_the_environment_when_set():
    config = server.config_from_env(
        state_path=":memory:",
        speed=1.0,
        public_url="http://127.0.0.1:8600",
        environ={
            "MERCHANT_CONSOLE_SANDBOX_SHOP_ID": "env-shop",
            "MERCHANT_CONSOLE_SANDBOX_SECRET_KEY": "env-secret",
            "MERCHANT_CONSOLE_SANDBOX_ACCESS_TOKEN": "",  # empty: keep the default
        },
    )
    assert (config.shop_id, config.secret_key, config.access_token) == (
        "env-shop",
        "env-secret",
        SandboxConfig().access_token,
    )


NOT_LOOPBACK = [
    "0.0.0.0",  # noqa: S104 - listed to prove it is refused
    "::",
    "192.168.1.10",
    "10.0.0.1",
    "example.com",
    "127.0.0.1.nip.io",
    "",
]


@pytest.mark.parametrize("host", NOT_LOOPBACK)
def test_the_server_refuses_to_listen_beyond_loopback(monkeypatch, tmp_path, host):
    def must_not_serve(*_args, **_kwargs):
        raise AssertionError("uvicorn was started")

    monkeypatch.setattr(server.uvicorn, "run", must_not_serve)
    with pytest.raises(SandboxConfigError, match="loopback"):
        server.run(host=host, state_path=str(tmp_path / "sandbox.db"))
    assert not (tmp_path / "sandbox.db").exists()


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8650"),
        ("127.8.9.10", "http://127.8.9.10:8650"),
        ("localhost", "http://localhost:8650"),
        ("::1", "http://[::1]:8650"),
    ],
)
def test_the_server_listens_on_loopback_and_prints_how_to_reach_it(
    monkeypatch, tmp_path, capsys, host, url
):
    served = {}
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **options: served.update(options))
    for name in server.ENV_OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    state_path = tmp_path / "nested" / "sandbox.db"

    server.run(host=host, port=8650, state_path=str(state_path), speed=1440)

    assert served["host"] == host
    assert served["port"] == 8650
    assert state_path.exists()
    banner = capsys.readouterr().out
    for shown in (url, "361", "sandbox-secret", "sandbox-token", "x1440"):
        assert shown in banner
    assert f"{url}/__sandbox/public-key" in banner
