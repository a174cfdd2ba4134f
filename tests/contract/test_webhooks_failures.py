"""When the ledger cannot write, the provider hears 500 and its retry recovers the notification."""

# ruff: noqa: F811 - the shared fixtures are imported by name, and tests take them as arguments

from __future__ import annotations

import sqlite3

import httpx
import pytest

from console.ledger import Ledger
from console.status import BillStatus
from tests.contract.bepaid_support import APPROVED, SHOP
from tests.contract.webhooks_support import (  # noqa: F401 - fixtures, found by name
    Shop,
    card_link_bill,
    card_transaction,
    module_ledger,
    receiver_url,
    running_receiver,
    sandbox_settings,
    shop,
    sign,
    signed_post,
    wait_for,
)

RETRY_AFTER = 60  # sandbox seconds before the first retry (SandboxConfig.notify_first_retry)


class FailingLedger(Ledger):
    """A ledger whose payment writes fail (a full disk, an I/O error) until ``heal()``."""

    failing = True

    def record_payment(self, **kwargs):
        if self.failing:
            raise sqlite3.OperationalError("disk I/O error")
        return super().record_payment(**kwargs)

    def heal(self) -> None:
        self.failing = False


@pytest.fixture
def failing_shop(module_sandbox, tmp_path):
    with FailingLedger(tmp_path / "ledger.db") as ledger:
        settings = sandbox_settings(module_sandbox[0], tmp_path)
        with (
            running_receiver(settings, ledger) as url,
            httpx.Client(base_url=module_sandbox[0], auth=SHOP, timeout=10) as client,
        ):
            yield Shop(client, ledger, url)


def test_a_failed_write_is_500_leaves_nothing_half_done_and_the_retry_applies_it(
    failing_shop, caplog
):
    shop = failing_shop
    bill_id, token = shop.pay_link()

    shop.pay(token, APPROVED)

    first = wait_for(
        lambda: next((d for d in shop.delivered(shop.hook()) if d["attempts"] >= 1), None),
        "the first delivery attempt",
    )
    assert first["last_status"] == 500
    assert first["state"] == "pending"  # bePaid will retry
    # The status change was in the same transaction as the failed payment: rolled back.
    assert shop.ledger.get_bill(bill_id).status is BillStatus.CREATING
    assert shop.ledger.notifications_of("bill", bill_id) == []
    assert "answered 500 so the provider retries" in caplog.text

    shop.ledger.heal()
    shop.advance(RETRY_AFTER)

    (notification,) = shop.wait_for_verdicts("bill", bill_id, 1)
    assert notification.verdict == "applied"
    assert shop.ledger.get_bill(bill_id).status is BillStatus.PAID
    assert len(shop.ledger.payments_of("bill", bill_id)) == 1


def test_a_ledger_locked_past_its_busy_timeout_is_500_not_a_lost_notification(
    module_sandbox, sign, tmp_path
):
    path = tmp_path / "ledger.db"
    with Ledger(path, busy_timeout=0.2) as ledger, Ledger(path) as other_process:
        bill_id, tracking_id = card_link_bill(ledger)
        payload = card_transaction(tracking_id)
        settings = sandbox_settings(module_sandbox[0], tmp_path)
        with running_receiver(settings, ledger) as url, httpx.Client(timeout=10) as http:
            hook = f"{url}/notifications/bepaid"
            with other_process.write():  # a long write elsewhere holds the lock
                locked = signed_post(http, hook, payload, sign)
            retried = signed_post(http, hook, payload, sign)

        assert locked.status_code == 500
        assert "database is locked" not in locked.text
        assert retried.status_code == 200
        assert retried.json()["verdict"] == "applied"
        assert ledger.get_bill(bill_id).status is BillStatus.PAID
        assert [n.verdict for n in ledger.notifications_of("bill", bill_id)] == ["applied"]


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"transaction": "no"}', b'{"transaction": {"uid": "x"}}'],
    ids=["not JSON", "not an object", "not a transaction", "no status"],
)
def test_an_authenticated_body_that_cannot_be_read_is_recorded_as_error(shop, sign, body):
    with httpx.Client(timeout=10) as http:
        answer = signed_post(http, shop.hook("beyag"), body, sign)

    assert answer.status_code == 200  # resending the same bytes cannot help
    recorded = shop.ledger.recent_notifications(1)[0]
    assert (recorded.verdict, recorded.provider) == ("error", "begateway")
    assert recorded.detail.startswith("unreadable")
    assert recorded.body_sha256 is not None


def test_health_answers_with_the_key_in_use(shop, module_sandbox):
    with httpx.Client(timeout=10) as http:
        health = http.get(f"{shop.receiver_url}/health")
        key = http.get(f"{module_sandbox[0]}/__sandbox/public-key").text

    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    signer = module_sandbox[1].state.sandbox.notifier.signer
    assert health.json()["key_fingerprint"] == signer.fingerprint
    assert "BEGIN PUBLIC KEY" in key
