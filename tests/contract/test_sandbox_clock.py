"""Sandbox time: runs at a chosen speed, advances on request, and drives the tickers."""

from __future__ import annotations

import time
from datetime import datetime

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

NO_BACKGROUND_TICKS = 3600.0  # tick_every long enough that only requests and advances tick


class TickRecorder:
    """A ticker that remembers the sandbox times it was run at."""

    def __init__(self) -> None:
        self.seen: list[datetime] = []

    def __call__(self, _sandbox, now: datetime) -> None:
        self.seen.append(now)

    def last(self) -> float:
        return self.seen[-1].timestamp() if self.seen else 0.0

    def route(self) -> Route:
        def last_tick(_request: Request) -> JSONResponse:
            return JSONResponse({"last_tick": self.last()})

        return Route("/test/last-tick", last_tick, methods=["GET"])


def sandbox_timestamp(client: httpx.Client) -> float:
    return client.get("/__sandbox/clock").json()["timestamp"]


@pytest.mark.parametrize("speed", [1.0, 60.0, 1440.0])
def test_the_clock_runs_at_the_configured_speed(start_sandbox, client_for, speed):
    with (
        start_sandbox(speed=speed) as (url, _),
        client_for(url) as client,
    ):
        assert client.get("/__sandbox/clock").json()["speed"] == speed
        before_first = time.time()
        first = sandbox_timestamp(client)
        after_first = time.time()
        client.get("/__sandbox/health")  # let some real time pass, however little
        before_second = time.time()
        second = sandbox_timestamp(client)
        after_second = time.time()

    # Sandbox elapsed time brackets real elapsed time x speed, whatever the machine's pace.
    assert second - first >= (before_second - after_first) * speed - 1e-3
    assert second - first <= (after_second - before_first) * speed + 1e-3


@pytest.mark.parametrize(
    ("body", "seconds"),
    [
        ({"seconds": 90}, 90),
        ({"minutes": 2.5}, 150),
        ({"hours": 1, "minutes": 30}, 5400),
        ({"days": 1}, 86400),
        ({"days": 30}, 30 * 86400),
    ],
)
def test_advancing_moves_sandbox_time_forward(module_client, body, seconds):
    before_call = time.time()
    before = sandbox_timestamp(module_client)
    response = module_client.post("/__sandbox/clock/advance", json=body)
    after_call = time.time()

    assert response.status_code == 200
    assert response.json()["advanced_seconds"] == seconds
    moved = sandbox_timestamp(module_client) - before
    assert seconds <= moved <= seconds + (time.time() - before_call) + 1e-3
    assert response.json()["timestamp"] - before <= seconds + (after_call - before_call) + 1e-3


@pytest.mark.parametrize(
    "body",
    [{}, {"seconds": -5}, {"days": "one"}, {"hours": True}, {"weeks": 1}, [1]],
    ids=["nothing", "backwards", "text", "boolean", "unknown-unit", "not-an-object"],
)
def test_bad_advances_are_refused_and_time_does_not_jump(module_client, body):
    before = sandbox_timestamp(module_client)
    response = module_client.post("/__sandbox/clock/advance", json=body)

    assert response.status_code == 422
    assert response.json()["message"]
    assert sandbox_timestamp(module_client) - before < 60


def test_tickers_run_right_after_an_advance(start_sandbox, client_for):
    ticker = TickRecorder()
    with (
        start_sandbox(tick_every=NO_BACKGROUND_TICKS) as (url, app),
        client_for(url) as client,
    ):
        app.state.sandbox.add_ticker(ticker)
        before = sandbox_timestamp(client)
        client.post("/__sandbox/clock/advance", json={"days": 1})
        # Checked before any further request: the advance itself ran the tickers.
        assert ticker.last() >= before + 86400


def test_tickers_run_before_every_api_request(start_sandbox, client_for):
    ticker = TickRecorder()
    with (
        start_sandbox(tick_every=NO_BACKGROUND_TICKS, routes=[ticker.route()]) as (url, app),
        client_for(url) as client,
    ):
        sandbox = app.state.sandbox
        sandbox.add_ticker(ticker)
        for hours in (1, 5):
            jumped_to = sandbox.clock.advance(hours * 3600).timestamp()  # no tick by itself
            assert client.get("/test/last-tick").json()["last_tick"] >= jumped_to


def test_tickers_run_in_the_background_without_requests(start_sandbox, wait_until):
    ticker = TickRecorder()
    with start_sandbox(tick_every=0.05) as (_, app):
        app.state.sandbox.add_ticker(ticker)
        wait_until(lambda: len(ticker.seen) >= 3, what="background ticks")
    assert ticker.seen == sorted(ticker.seen)
