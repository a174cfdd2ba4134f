"""Browser fixtures: Debian chromium driven by Playwright (no downloaded browser)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx
import pytest

from tests.support.servers import free_port

CHROMIUM = os.environ.get("MERCHANT_CONSOLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in the
# main thread while it is open, which breaks asyncio.run() in any test that runs later.
@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run the README's test command, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


class RunningConsole:
    """A real `merchant-console run` (sandbox + receiver + Streamlit) on free loopback ports."""

    def __init__(
        self, url: str, sandbox_url: str, ledger_path, env: dict[str, str], home=None, log=None
    ) -> None:
        self.url = url
        self.sandbox_url = sandbox_url
        self.ledger_path = ledger_path
        self.env = env
        self.home = home
        self.log = log

    @property
    def receiver_url(self) -> str:
        return f"http://127.0.0.1:{self.env['MERCHANT_CONSOLE_WEBHOOKS_PORT']}"


@contextmanager
def running_console(home, *, cwd=None, ledger_arg=None, env_extra=None, command=None, port=None):
    """Start `merchant-console run` as a person would — from ``cwd`` (default: ``home``),
    with ``--ledger ledger_arg`` as typed (default: an absolute path in ``home``) — and
    stop it afterwards. ``command`` replaces ``python -m console.cli`` (an installed
    wheel's ``merchant-console``)."""
    port, sandbox_port, webhook_port = port or free_port(), free_port(), free_port()
    env = dict(os.environ)
    env.setdefault("MERCHANT_CONSOLE_SECRETS", str(home / "no-secrets.toml"))
    env.update(
        {
            "MERCHANT_CONSOLE_SANDBOX_PORT": str(sandbox_port),
            "MERCHANT_CONSOLE_SANDBOX_STATE": str(home / "sandbox.db"),
            "MERCHANT_CONSOLE_WEBHOOKS_PORT": str(webhook_port),
            "MERCHANT_CONSOLE_TIMEZONE": "Europe/Minsk",
            **(env_extra or {}),
        }
    )
    env = {key: value for key, value in env.items() if value is not None}
    cwd = cwd or home
    ledger_arg = ledger_arg or str(home / "ledger.db")
    base = command or [sys.executable, "-m", "console.cli"]
    log_path = home / "run.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [*base, "run", "--port", str(port), "--ledger", ledger_arg],
        env=env,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if process.poll() is not None:
                log.close()
                pytest.fail(f"merchant-console run exited:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"merchant-console run did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        ledger = (cwd / ledger_arg) if not os.path.isabs(ledger_arg) else ledger_arg
        yield RunningConsole(
            url, f"http://127.0.0.1:{sandbox_port}", ledger, env, home=home, log=log_path
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def console_app(tmp_path_factory):
    """Start the README's first command's program exactly as a user would, on free ports."""
    with running_console(tmp_path_factory.mktemp("console")) as running:
        yield running
