"""Stopping `merchant-console run` stops everything it started: no orphaned servers."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.support.servers import free_port


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
        return True
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_stopping_run_stops_sandbox_receiver_and_console(tmp_path, stop_signal):
    port, sandbox_port, webhook_port = free_port(), free_port(), free_port()
    env = dict(os.environ)
    env.update(
        {
            "MERCHANT_CONSOLE_SECRETS": str(tmp_path / "none.toml"),
            "MERCHANT_CONSOLE_SANDBOX_PORT": str(sandbox_port),
            "MERCHANT_CONSOLE_SANDBOX_STATE": str(tmp_path / "sandbox.db"),
            "MERCHANT_CONSOLE_WEBHOOKS_PORT": str(webhook_port),
        }
    )
    urls = [
        f"http://127.0.0.1:{sandbox_port}/__sandbox/health",
        f"http://127.0.0.1:{webhook_port}/health",
        f"http://127.0.0.1:{port}/_stcore/health",
    ]
    command = [sys.executable, "-m", "console.cli", "run", "--port", str(port)]
    command += ["--ledger", str(tmp_path / "ledger.db")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while not all(_answers(url) for url in urls):
            assert process.poll() is None, "run exited during start"
            assert time.monotonic() < deadline, "run did not start"
            time.sleep(0.2)
        process.send_signal(stop_signal)
        process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while any(_answers(url) for url in urls):
            assert time.monotonic() < deadline, "a child of run is still serving"
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            process.kill()
