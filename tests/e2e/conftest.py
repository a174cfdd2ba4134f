"""Browser fixtures: Debian chromium driven by Playwright (no downloaded browser)."""

from __future__ import annotations

import os
import shutil

import pytest

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

    def __init__(self, url: str, sandbox_url: str, ledger_path, env: dict[str, str]) -> None:
        self.url = url
        self.sandbox_url = sandbox_url
        self.ledger_path = ledger_path
        self.env = env


@pytest.fixture(scope="module")
def console_app(tmp_path_factory):
    """Start the README's first command's program exactly as a user would, on free ports."""
    import subprocess
    import sys
    import time

    import httpx

    from tests.support.servers import free_port

    home = tmp_path_factory.mktemp("console")
    port, sandbox_port, webhook_port = free_port(), free_port(), free_port()
    env = dict(os.environ)
    env.update(
        {
            "MERCHANT_CONSOLE_SECRETS": str(home / "no-secrets.toml"),
            "MERCHANT_CONSOLE_SANDBOX_PORT": str(sandbox_port),
            "MERCHANT_CONSOLE_SANDBOX_STATE": str(home / "sandbox.db"),
            "MERCHANT_CONSOLE_WEBHOOKS_PORT": str(webhook_port),
            "MERCHANT_CONSOLE_TIMEZONE": "Europe/Minsk",
        }
    )
    ledger = home / "ledger.db"
    log = open(home / "run.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "run", "--port", str(port), "--ledger", str(ledger)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            log.close()
            pytest.fail(f"merchant-console run exited:\n{(home / 'run.log').read_text()}")
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("merchant-console run did not start within 90 s")
        time.sleep(0.2)
    try:
        yield RunningConsole(url, f"http://127.0.0.1:{sandbox_port}", ledger, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
