"""Faults: the next N matching API requests are slow, fail or vanish, as a client sees it."""

from __future__ import annotations

import time

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from provider_sandbox.core import sandbox_of

ORDERS = "/test/orders"


def create_order(request: Request) -> JSONResponse:
    """A test-only API route whose effect (a row) outlives its response."""
    with sandbox_of(request).store.tx() as conn:
        order_id = conn.execute("INSERT INTO test_orders DEFAULT VALUES").lastrowid
    return JSONResponse({"id": order_id}, status_code=201)


@pytest.fixture(scope="module")
def served(run_sandbox, client_for, tmp_path_factory):
    """One sandbox with the test route for the module; ``api`` resets it per test."""
    state_path = tmp_path_factory.mktemp("faults") / "sandbox.db"
    with run_sandbox(state_path, routes=[Route(ORDERS, create_order, methods=["POST"])]) as (
        url,
        app,
    ):
        store = app.state.sandbox.store
        store.ensure_schema("CREATE TABLE IF NOT EXISTS test_orders (id INTEGER PRIMARY KEY)")
        with client_for(url) as client:
            yield client, store


@pytest.fixture
def api(served):
    """(client, orders_created) with no faults registered and no orders yet."""
    client, store = served
    client.delete("/__sandbox/faults")
    with store.tx() as conn:
        conn.execute("DELETE FROM test_orders")
    yield client, lambda: store.one("SELECT COUNT(*) AS n FROM test_orders")["n"]


def inject(client: httpx.Client, **fault) -> dict:
    response = client.post("/__sandbox/faults", json={"method": "POST", "path": ORDERS, **fault})
    assert response.status_code == 201, response.text
    return response.json()


def test_latency_delays_then_serves(api):
    client, orders = api
    inject(client, kind="latency", seconds=0.3)

    started = time.monotonic()
    response = client.post(ORDERS)
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 201
    assert orders() == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_error_answers_the_status_without_running_the_handler(api, status):
    client, orders = api
    inject(client, kind="error", status=status)

    response = client.post(ORDERS)
    assert response.status_code == status
    assert set(response.json()) == {"message", "errors"}
    assert orders() == 0


def test_rate_limit_answers_429_with_retry_after(api):
    client, orders = api
    inject(client, kind="rate_limit", retry_after=7)

    response = client.post(ORDERS)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert orders() == 0


def test_drop_closes_the_connection_without_running_the_handler(api):
    client, orders = api
    inject(client, kind="drop")

    with pytest.raises(httpx.RemoteProtocolError):
        client.post(ORDERS, json={"amount": 100})
    assert orders() == 0
    assert client.post(ORDERS).status_code == 201  # the next request is served again


@pytest.mark.parametrize(
    ("hold_seconds", "client_timeout", "client_sees"),
    [(1.5, 0.4, httpx.ReadTimeout), (0.2, 5.0, httpx.RemoteProtocolError)],
    ids=["impatient-client-times-out", "patient-client-sees-the-drop"],
)
def test_commit_then_timeout_changes_state_but_the_client_never_hears(
    api, wait_until, hold_seconds, client_timeout, client_sees
):
    client, orders = api
    inject(client, kind="commit_then_timeout", seconds=hold_seconds)

    with pytest.raises(client_sees):
        client.post(ORDERS, timeout=client_timeout)
    # The operation happened all the same: the client has to reconcile, not retry blindly.
    wait_until(lambda: orders() == 1, what="the order to be committed")


def test_count_limits_the_fault_to_the_next_n_matching_requests(api):
    client, orders = api
    fault = inject(client, kind="error", status=503, count=2)

    statuses = [client.post(ORDERS).status_code for _ in range(3)]
    assert statuses == [503, 503, 201]
    assert orders() == 1
    (listed,) = client.get("/__sandbox/faults").json()["faults"]
    assert listed["id"] == fault["id"]
    assert (listed["remaining"], listed["applied"]) == (0, 2)


@pytest.mark.parametrize(
    ("method", "path", "applies"),
    [
        ("POST", ORDERS, True),
        ("post", ORDERS, True),
        ("*", ORDERS, True),
        ("*", "*", True),
        ("POST", "^/test/", True),
        ("POST", r"^/test/orders$", True),
        ("GET", ORDERS, False),
        ("POST", "/test/order", False),
        ("POST", "/test/orders/", False),
        ("POST", "^/other/", False),
    ],
)
def test_faults_match_by_method_and_exact_path_or_regex(api, method, path, applies):
    client, _ = api
    inject(client, kind="error", status=503, method=method, path=path)

    assert client.post(ORDERS).status_code == (503 if applies else 201)


def test_faults_never_apply_to_the_admin_api(api):
    client, _ = api
    inject(client, kind="error", status=503, method="*", path="*")

    assert client.get("/__sandbox/health").status_code == 200
    assert client.get("/__sandbox/faults").json()["faults"][0]["remaining"] == 1
    assert client.post(ORDERS).status_code == 503


def test_faults_can_be_listed_removed_and_cleared(api):
    client, _ = api
    first = inject(client, kind="error", status=500)
    inject(client, kind="rate_limit")

    assert [f["kind"] for f in client.get("/__sandbox/faults").json()["faults"]] == [
        "error",
        "rate_limit",
    ]
    assert client.delete(f"/__sandbox/faults/{first['id']}").status_code == 200
    assert client.delete(f"/__sandbox/faults/{first['id']}").status_code == 404
    assert client.post(ORDERS).status_code == 429
    inject(client, kind="error")
    assert client.delete("/__sandbox/faults").json() == {"cleared": 2}
    assert client.get("/__sandbox/faults").json() == {"faults": []}
    assert client.post(ORDERS).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "explode"}, "kind"),
        ({}, "kind"),
        ({"kind": "error", "status": 200}, "status"),
        ({"kind": "error", "status": "503"}, "status"),
        ({"kind": "latency", "seconds": -1}, "seconds"),
        ({"kind": "latency", "count": 0}, "count"),
        ({"kind": "rate_limit", "retry_after": 1.5}, "retry_after"),
        ({"kind": "drop", "path": "^(unclosed"}, "path"),
        ({"kind": "drop", "path": "ctp/api/checkouts"}, "path"),
        ({"kind": "drop", "method": "GET /x"}, "method"),
    ],
)
def test_malformed_faults_are_refused_with_field_errors(api, body, field):
    client, _ = api
    response = client.post("/__sandbox/faults", json=body)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert client.get("/__sandbox/faults").json() == {"faults": []}
