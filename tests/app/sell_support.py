"""Shared by the Sell pages' AppTests (New payment, Pay links & forms, Subscriptions).

Each page file is run directly with the acting user in session state, as the router
runs it after the login gate (see tests/app/test_page_activity.py for why). The
console is pointed at a real sandbox on a free loopback port through the same
environment variables `merchant-console run` uses; the notification URL points at a
free port where nothing listens, so statuses change only when a test asks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from console.auth import LOCAL_ADMIN, Actor
from console.demo import generate_demo
from console.ledger import Ledger
from console.ui.context import ACTOR_KEY
from console.ui.registry import PAGES_DIR
from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from tests.support.markdown import as_shown
from tests.support.servers import free_port, serve


@dataclass
class Sandbox:
    url: str
    port: int

    def admin(self, path: str, body: dict | None = None) -> dict:
        """POST to the sandbox's admin API (payer actions, clock) and return its JSON."""
        answer = httpx.post(f"{self.url}/__sandbox/{path}", json=body or {}, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.url}/__sandbox/faults", timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    """One real sandbox per test module (objects never clash: every id is fresh)."""
    port = free_port()
    state = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(state)))
    with serve(app, port) as url:
        yield Sandbox(url, port)
    app.state.sandbox.store.close()


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "ledger.db"
    generate_demo(path, bills=1000, seed=1)
    return path


@pytest.fixture
def console_env(monkeypatch, tmp_path):
    """Point the console at ``ledger`` and (optionally) a running sandbox."""

    def use(ledger: Path, sandbox: Sandbox | None = None, tz: str = "Europe/Minsk") -> Path:
        monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(ledger))
        monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "no-secrets.toml"))
        monkeypatch.setenv("MERCHANT_CONSOLE_TIMEZONE", tz)
        monkeypatch.setenv("MERCHANT_CONSOLE_WEBHOOKS_PORT", str(free_port()))
        monkeypatch.setenv(
            "MERCHANT_CONSOLE_SANDBOX_PORT", str(sandbox.port if sandbox else free_port())
        )
        return ledger

    return use


def open_page(name: str, actor: Actor | None = LOCAL_ADMIN) -> AppTest:
    at = AppTest.from_file(PAGES_DIR / f"{name}.py", default_timeout=60)
    if actor is not None:
        at.session_state[ACTOR_KEY] = actor
    return at.run()


def flat(at: AppTest) -> list:
    """Every element of the main area in page order (iterating a block walks its tree)."""
    return [element for element in at.main if not isinstance(element, Block)]


def error_under(at: AppTest, key: str) -> str | None:
    """The error drawn right after the widget with ``key`` (the inline message), if any,
    as the browser shows it."""
    elements = flat(at)
    for index, element in enumerate(elements):
        if getattr(element, "key", None) == key or getattr(element, "id", None) == key:
            following = elements[index + 1] if index + 1 < len(elements) else None
            if following is not None and following.type == "error":
                return as_shown(following.value)
            return None
    raise AssertionError(f"no widget with key {key!r} on the page")


def ledger_counts(path: Path) -> tuple[int, int, int]:
    """(bills, subscriptions, status events) in the ledger file."""
    if not path.exists():
        return (0, 0, 0)
    with Ledger(path) as ledger:
        conn = ledger.connection()
        return tuple(  # type: ignore[return-value]
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("bills", "subscriptions", "status_events")
        )


def fill(at: AppTest, values: dict[str, object]) -> AppTest:
    """Set widgets by key (not run). A selectbox value that is not an option is typed in,
    as a person can where the page allows new options (the currency boxes)."""
    for key, value in values.items():
        widget = at.main.get_by_key(key)
        if widget.type == "selectbox" and widget.format_func(value) not in widget.options:
            widget.options.append(value)  # what the browser sends for a typed new option
        widget.set_value(value)
    return at


def texts(at: AppTest, kind: str) -> str:
    """Every element of ``kind`` (``success``, ``error``…) as the browser shows its text."""
    return " ".join(as_shown(str(element.value)) for element in getattr(at, kind))
