"""A restarted sandbox continues: clock, signing key, queued notifications, emulator tables."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig


@pytest.fixture
def clock(http):
    return lambda url: http.get(f"{url}/__sandbox/clock").json()


@pytest.fixture
def public_key(http):
    return lambda url: http.get(f"{url}/__sandbox/public-key").text


def test_clock_advance_survives_a_restart(start_sandbox, http, clock):
    with start_sandbox() as (url, _):
        before = clock(url)["timestamp"]
        http.post(f"{url}/__sandbox/clock/advance", json={"days": 3})

    with start_sandbox() as (url, _):
        assert clock(url)["timestamp"] >= before + 3 * 86400


def test_time_gained_at_high_speed_is_not_lost_on_restart(start_sandbox, clock):
    """Sandbox time never runs backwards, even after running at --speed 3600."""
    with start_sandbox(speed=3600) as (url, _):
        last_seen = clock(url)["timestamp"]

    with start_sandbox(speed=1) as (url, _):
        assert clock(url)["timestamp"] >= last_seen


def test_signing_key_survives_a_restart(start_sandbox, public_key):
    with start_sandbox() as (url, _):
        first = public_key(url)
    with start_sandbox() as (url, _):
        assert public_key(url) == first


def test_each_state_file_has_its_own_key(start_sandbox, tmp_path, public_key):
    with start_sandbox(state_path=tmp_path / "one.db") as (url, _):
        first = public_key(url)
    with start_sandbox(state_path=tmp_path / "two.db") as (url, _):
        assert public_key(url) != first


def test_notifications_queued_before_a_restart_are_delivered_after_it(
    start_sandbox, webhook_catcher, tmp_path, public_key
):
    state_path = tmp_path / "sandbox.db"
    payload = {"subscription": {"id": "sbs_1", "state": "active"}}
    # Queued by a sandbox that stopped before delivering (its lifespan never ran).
    stopped = create_app(SandboxConfig(state_path=str(state_path)))
    stopped.state.sandbox.notify(f"{webhook_catcher.url}/hook", payload)
    stopped.state.sandbox.store.close()

    with start_sandbox(state_path=state_path) as (url, _):
        (caught,) = webhook_catcher.wait_for(1)
        key = serialization.load_pem_public_key(public_key(url).encode())

    signature = base64.b64decode(caught.headers["content-signature"])
    key.verify(signature, caught.body, padding.PKCS1v15(), hashes.SHA256())  # raises if not


def test_emulator_tables_survive_a_restart(start_sandbox):
    with start_sandbox() as (_, app):
        store = app.state.sandbox.store
        store.ensure_schema("CREATE TABLE IF NOT EXISTS test_bills (id TEXT PRIMARY KEY)")
        with store.tx() as conn:
            conn.execute("INSERT INTO test_bills VALUES ('bill-1')")

    with start_sandbox() as (_, app):
        rows = app.state.sandbox.store.query("SELECT id FROM test_bills")
        assert [row["id"] for row in rows] == ["bill-1"]
