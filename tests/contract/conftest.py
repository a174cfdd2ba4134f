"""Fixtures: a real sandbox on a free loopback port, and HTTP clients for it."""

from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from tests.support.servers import free_port, serve

# One TLS context for every test client: building one per client costs ~80 ms.
_SSL_CONTEXT = httpx.create_ssl_context()


def _client(base_url: str = "", **options) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=10, verify=_SSL_CONTEXT, **options)


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
    with _client(sandbox_url, auth=("361", "sandbox-secret")) as client:
        yield client


@pytest.fixture
def anonymous(sandbox_url):
    with _client(sandbox_url) as client:
        yield client


@contextmanager
def _run_sandbox(state_path, *, routes=(), **config):
    port = free_port()
    app = create_app(
        SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(state_path), **config)
    )
    app.router.routes.extend(routes)
    try:
        with serve(app, port) as base_url:
            yield base_url, app
    finally:
        app.state.sandbox.store.close()


@pytest.fixture(scope="session")
def run_sandbox():
    """``with run_sandbox(state_path, routes=(), **config) as (url, app)``, for any scope.

    ``routes`` are appended to the app's routes (test-only endpoints that observe
    whether a handler ran); other keywords are SandboxConfig fields.
    """
    return _run_sandbox


@pytest.fixture
def start_sandbox(tmp_path):
    """Like ``run_sandbox`` with a state file per test: two in a row model a restart."""

    def start(*, state_path=None, **options):
        return _run_sandbox(state_path or tmp_path / "sandbox.db", **options)

    return start


@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory):
    """One sandbox shared by a module's tests that only read it or move its clock."""
    with _run_sandbox(tmp_path_factory.mktemp("sandbox") / "sandbox.db") as served:
        yield served


@pytest.fixture(scope="module")
def module_client(module_sandbox):
    with _client(module_sandbox[0]) as client:
        yield client


@dataclass
class CaughtRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookCatcher:
    """A notification receiver over real HTTP: records requests, answers as told."""

    def __init__(self) -> None:
        self.requests: list[CaughtRequest] = []
        self.url = ""  # set once served; notifications go to f"{url}/hook"
        self._answers: deque[int] = deque()
        self._default = 200
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[Route("/{path:path}", self._receive, methods=["GET", "POST", "PUT"])]
        )

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, then with the default."""
        with self._lock:
            self._answers.extend(statuses)

    def always(self, status: int) -> None:
        """Answer every later request with ``status``."""
        with self._lock:
            self._default = status

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            self.requests.append(
                CaughtRequest(
                    request.method,
                    request.url.path,
                    {k.lower(): v for k, v in request.headers.items()},
                    body,
                )
            )
            status = self._answers.popleft() if self._answers else self._default
        return PlainTextResponse("ok" if status == 200 else "no", status_code=status)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[CaughtRequest]:
        """The first ``count`` requests, polling until they arrived (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests[:count])
            if time.monotonic() > deadline:
                raise AssertionError(f"catcher got {len(self.requests)} requests, wanted {count}")
            time.sleep(0.02)


@pytest.fixture
def webhook_catcher():
    """A served WebhookCatcher; ``catcher.url + "/hook"`` is a notification_url."""
    catcher = WebhookCatcher()
    with serve(catcher.app) as base_url:
        catcher.url = base_url
        yield catcher


def _wait_until(predicate, timeout: float = 10.0, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy (bounded); return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def wait_until():
    """``wait_until(predicate, timeout=10, what=...)``: bounded polling for background work."""
    return _wait_until


@pytest.fixture(scope="session")
def http():
    """One plain httpx client for the whole session (full URLs)."""
    with _client() as client:
        yield client


@pytest.fixture(scope="session")
def client_for():
    """``with client_for(base_url) as client``: an httpx client for one sandbox."""
    return _client
