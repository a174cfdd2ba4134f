"""Starting the receiver: the key it verifies with, and refusals that say what to fix."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from console import webhooks
from console.config import load_settings
from console.errors import ConfigError
from console.ledger import Ledger
from console.webhooks import create_app, fetch_sandbox_public_key
from tests.support.servers import free_port, serve

PEM = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def settings(tmp_path, **env):
    return load_settings(
        env={f"MERCHANT_CONSOLE_{name.upper()}": value for name, value in env.items()},
        secrets_path=tmp_path / "none.toml",
    )


def live(tmp_path, **env):
    return settings(
        tmp_path, mode="live", bepaid_shop_id="shop-1", bepaid_secret_key="live-secret", **env
    )


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def test_live_mode_without_a_public_key_refuses_to_start(tmp_path, ledger):
    with pytest.raises(ConfigError, match=r"\[bepaid\] public_key .* required in live mode"):
        create_app(live(tmp_path), ledger)
    with pytest.raises(ConfigError, match="MERCHANT_CONSOLE_BEPAID_PUBLIC_KEY"):
        webhooks.serve(settings=live(tmp_path), ledger_path=tmp_path / "ledger.db")


def test_live_mode_without_bepaid_says_payture_bills_are_polled(tmp_path, ledger):
    payture_only = settings(
        tmp_path,
        mode="live",
        payture_access_token="token",
        payture_base_url="https://behind.example",
    )
    with pytest.raises(ConfigError, match="Payture bills are followed by polling"):
        create_app(payture_only, ledger)


def test_live_mode_verifies_with_the_configured_key(tmp_path, ledger):
    app = create_app(live(tmp_path, bepaid_public_key=PEM), ledger)

    with serve(app) as url:
        health = httpx.get(f"{url}/health").json()

    assert health["mode"] == "live"
    assert health["key_fingerprint"] == app.state.receiver.verifier.fingerprint


def test_a_sandbox_that_never_answers_is_a_clear_error_after_a_bounded_wait(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(ConfigError) as caught:
        fetch_sandbox_public_key(closed, wait=0.3)

    assert f"{closed}/__sandbox/public-key" in caught.value.message
    assert "merchant-console sandbox" in caught.value.message


def test_only_post_reaches_the_notification_routes(tmp_path, ledger):
    app = create_app(live(tmp_path, bepaid_public_key=PEM), ledger)

    with serve(app) as url, httpx.Client(base_url=url) as client:
        assert client.get("/notifications/bepaid").status_code == 405
        assert client.get("/notifications/payture").status_code == 405
        assert client.post("/notifications/stripe").status_code == 404
