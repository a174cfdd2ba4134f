"""Take a PNG of every console page that exists, for the README: docs/screenshots/<page>.png.

    python docs/screenshots.py [--bills 5000] [--pages revenue activity]

Fills a demo ledger in a scratch directory, starts the real ``merchant-console
run`` on free loopback ports (sandbox, receiver and console, time zone
Europe/Minsk, local mode), opens each page in Debian chromium through Playwright
(the same executable and flags as the e2e tests) and waits until the app is idle
and every chart has drawn before taking a full-page screenshot. Nothing outside
``docs/screenshots/`` and the scratch directory is written.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
sys.path.insert(0, str(ROOT))

from console.demo import generate_demo  # noqa: E402
from console.ui.registry import PAGES, PAGES_DIR  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# True once lazy elements have loaded and every Plotly chart has drawn its SVG.
DRAWN = """() => !document.querySelector('[data-testid="stSkeleton"]')
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .every(chart => chart.querySelector('.main-svg'))"""
# Streamlit scrolls inside <main>, so a "full page" screenshot needs a viewport that tall.
CONTENT_HEIGHT = """() => document.querySelector('[data-testid="stMain"]').scrollHeight"""
WIDTH = 1400


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_console(home: Path, ledger: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "MERCHANT_CONSOLE_SECRETS": str(home / "no-secrets.toml"),
            "MERCHANT_CONSOLE_SANDBOX_PORT": str(free_port()),
            "MERCHANT_CONSOLE_SANDBOX_STATE": str(home / "sandbox.db"),
            "MERCHANT_CONSOLE_WEBHOOKS_PORT": str(free_port()),
            "MERCHANT_CONSOLE_TIMEZONE": "Europe/Minsk",
        }
    )
    log = open(home / "run.log", "w")  # noqa: SIM115 - lives as long as the child
    command = [sys.executable, "-m", "console.cli", "run", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [*command, "--ledger", str(ledger)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"merchant-console run exited:\n{(home / 'run.log').read_text()}")
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("merchant-console run did not start within 90 s")
        time.sleep(0.2)


def shoot(url: str, keys: list[str]) -> list[Path]:
    """Open the console, then each page through its sidebar link; one PNG per page."""
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_context(viewport={"width": WIDTH, "height": 900}).new_page()
        page.set_default_timeout(60_000)
        # The start page first, then each page by its sidebar link, as a user would
        # (the default page lives at "/", not at its url_path).
        page.goto(url)
        page.get_by_text("SANDBOX").first.wait_for()
        for key in keys:
            spec = next(spec for spec in PAGES if spec.key == key)
            page.set_viewport_size({"width": WIDTH, "height": 900})
            page.get_by_test_id("stSidebarNavLink").filter(has_text=spec.title).click()
            page.get_by_role("heading", name=spec.title, exact=True).first.wait_for()
            page.locator(IDLE).wait_for()
            page.wait_for_function(DRAWN)
            height = page.evaluate(CONTENT_HEIGHT)
            page.set_viewport_size({"width": WIDTH, "height": min(height, 12_000)})
            page.wait_for_function(DRAWN)
            path = OUT / f"{key}.png"
            page.screenshot(path=str(path))
            written.append(path)
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bills", type=int, default=5000, help="demo ledger size")
    parser.add_argument("--pages", nargs="*", help="page keys (default: every existing page)")
    args = parser.parse_args(argv)
    existing = [spec.key for spec in PAGES if (PAGES_DIR / spec.file).exists()]
    keys = [key for key in (args.pages or existing) if key in existing]
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        ledger = home / "demo.db"
        print(generate_demo(ledger, bills=args.bills, seed=1).summary())
        process, url = start_console(home, ledger)
        try:
            for path in shoot(url, keys):
                print(f"wrote {path.relative_to(ROOT)}")
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
