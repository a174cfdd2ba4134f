"""``python -m console.webhooks``: the receiver as its own process, next to the console."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from console.ledger import Ledger
from console.status import BillStatus
from tests.contract.bepaid_support import APPROVED, SHOP
from tests.contract.webhooks_support import Shop, wait_for
from tests.support.servers import free_port


@pytest.fixture
def receiver_process(module_sandbox, tmp_path):
    """The receiver in a child process, as ``merchant-console run`` would start it."""
    port = free_port()
    ledger_path = tmp_path / "ledger.db"
    env = {
        **os.environ,
        "MERCHANT_CONSOLE_MODE": "sandbox",
        "MERCHANT_CONSOLE_SANDBOX_URL": module_sandbox[0],
        "MERCHANT_CONSOLE_SECRETS": str(tmp_path / "no-secrets.toml"),
    }
    command = [sys.executable, "-m", "console.webhooks", "--port", str(port),
               "--ledger", str(ledger_path)]  # fmt: skip
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=2) as http:

            def healthy():
                assert child.poll() is None, child.stdout.read().decode()
                try:
                    return http.get(f"{url}/health").status_code == 200
                except httpx.TransportError:
                    return False

            wait_for(healthy, "the receiver process to answer /health", timeout=20)
        yield url, ledger_path, child
    finally:
        child.terminate()
        child.wait(timeout=10)
        child.stdout.close()


def test_the_receiver_process_records_a_payment_in_the_shared_ledger(
    receiver_process, module_sandbox
):
    url, ledger_path, _ = receiver_process
    with (
        Ledger(ledger_path) as console,  # the console's own connection to the same file
        httpx.Client(base_url=module_sandbox[0], auth=SHOP, timeout=10) as client,
    ):
        shop = Shop(client, console, url)
        bill_id, token = shop.pay_link()

        shop.pay(token, APPROVED)

        (notification,) = shop.wait_for_verdicts("bill", bill_id, 1)
        assert notification.verdict == "applied"
        assert console.get_bill(bill_id).status is BillStatus.PAID


def test_the_receiver_process_logs_each_notification_once_with_its_verdict(
    receiver_process, module_sandbox
):
    url, ledger_path, child = receiver_process
    with (
        Ledger(ledger_path) as console,
        httpx.Client(base_url=module_sandbox[0], auth=SHOP, timeout=10) as client,
    ):
        shop = Shop(client, console, url)
        bill_id, token = shop.pay_link()
        shop.pay(token, APPROVED)
        (notification,) = shop.wait_for_verdicts("bill", bill_id, 1)
        assert httpx.get(f"{url}/health").status_code == 200

    child.terminate()
    output = child.communicate(timeout=10)[0].decode()

    uid = notification.provider_object_id
    said = [line for line in output.splitlines() if uid in line]
    assert len(said) == 1
    assert said[0].endswith(f"bepaid transaction {uid} (successful) -> B{bill_id} applied")
    # uvicorn's access line would repeat it with less in it, and a line per /health probe
    assert "HTTP/1.1" not in output
