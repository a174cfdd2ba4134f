"""Connection reuse: one httpx.Client per provider settings per process, built once."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from console.config import Secret
from console.providers import BepaidClient, BeyagClient, PaytureClient, close_shared_clients
from tests.unit.provider_fakes import BEPAID, PAYTURE


@pytest.fixture(autouse=True)
def fresh_pool():
    close_shared_clients()
    yield
    close_shared_clients()


def test_clients_of_one_shop_share_a_connection_pool():
    first, second, apm = BepaidClient(BEPAID), BepaidClient(BEPAID), BeyagClient(BEPAID)
    assert first._client is second._client is apm._client
    first.close()  # closing a client that shares the pool leaves it open for the others
    assert not second._client.is_closed


@pytest.mark.parametrize(
    "other",
    [
        lambda: BepaidClient(replace(BEPAID, secret_key=Secret("another-secret"))),
        lambda: BepaidClient(BEPAID, read_timeout=3.0),
        lambda: PaytureClient(PAYTURE),
    ],
)
def test_different_credentials_or_timeouts_get_their_own_pool(other):
    assert other()._client is not BepaidClient(BEPAID)._client


def test_pool_is_built_once_under_concurrency():
    seen = []
    barrier = threading.Barrier(8)

    def build():
        barrier.wait()
        seen.append(BepaidClient(BEPAID)._client)

    threads = [threading.Thread(target=build) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(seen) == 8 and len({id(client) for client in seen}) == 1


def test_closed_pool_is_rebuilt_on_next_use():
    before = BepaidClient(BEPAID)._client
    close_shared_clients()
    assert before.is_closed
    after = BepaidClient(BEPAID)._client
    assert after is not before and not after.is_closed
