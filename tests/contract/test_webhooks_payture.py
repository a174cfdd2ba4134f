"""Payture bills: the sandbox posts HMAC-signed ``{bill_id, status, amount}`` notices; the
receiver checks the signature, asks billStatus and records what billStatus says."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import replace

import httpx
import pytest

from console.auth import Actor, Role
from console.billing import PaytureBillDraft, ProviderFailed
from console.ledger import Ledger
from console.status import BillStatus
from console.webhooks import create_app
from provider_sandbox.core import DEFAULT_ACCESS_TOKEN
from tests.contract.billing_support import OPERATOR, open_desk
from tests.contract.webhooks_support import sandbox_settings, wait_for
from tests.support.servers import free_port, serve

GIFT = "550e8400-e29b-41d4-a716-446655440007"  # the sandbox catalogue's gift product
DIRECT = "550e8400-e29b-41d4-a716-446655440001"


def signature(body: bytes, key: str = DEFAULT_ACCESS_TOKEN) -> str:
    """base64 HMAC-SHA256 over the body, keyed with the behind-api access token."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture(scope="module")
def world(run_sandbox, tmp_path_factory):
    """A sandbox that notifies a real receiver on loopback, and a desk that bills through
    it (one ledger, shared by billing and the receiver)."""
    tmp = tmp_path_factory.mktemp("payture-hooks")
    port = free_port()
    hook = f"http://127.0.0.1:{port}/notifications/payture"
    options = {"payture_notification_url": hook, "notify_first_retry": 0.5}
    with run_sandbox(tmp / "sandbox.db", **options) as (url, _app):
        settings = sandbox_settings(url, tmp)
        with open_desk(url, tmp) as desk:
            receiver = create_app(settings, desk.ledger, key_wait=10)
            with serve(receiver, port), httpx.Client(timeout=10) as client:
                yield desk, hook, client


def bill(desk, product: str = DIRECT):
    return desk.billing.payture_bills.create(OPERATOR, PaytureBillDraft(product_id=product)).bill


def notices(ledger: Ledger, bill_id: int) -> list:
    return list(reversed(ledger.notifications_of("bill", bill_id)))


def wait_for_notices(ledger: Ledger, bill_id: int, count: int) -> list:
    return wait_for(
        lambda: len(found := notices(ledger, bill_id)) >= count and found,
        f"{count} Payture notification(s) for bill {bill_id}",
    )


def post(client, hook, payload, *, sign=signature):
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if sign is not None:
        headers["Content-Signature"] = sign(body)
    return client.post(hook, content=body, headers=headers)


def test_a_paid_gift_bill_then_done_arrive_without_a_poll(world):
    desk, _, _ = world
    created = bill(desk, GIFT)

    desk.pay_bill(created.provider_id)
    [paid] = wait_for_notices(desk.ledger, created.id, 1)
    assert (paid.verdict, paid.status_reported, paid.provider) == ("applied", "PAID", "payture")
    now = desk.ledger.get_bill(created.id)
    assert now.status is BillStatus.PAID and now.extra["gift_code"].startswith("GIFT-")
    [payment] = desk.ledger.payments_of("bill", created.id)
    assert (payment.provider_txn_id, payment.amount) == (created.provider_id, created.amount)

    desk.advance_sandbox(seconds=61)  # PAID becomes DONE on the sandbox clock
    _, done = wait_for_notices(desk.ledger, created.id, 2)
    assert (done.verdict, done.status_reported) == ("applied", "DONE")
    assert desk.ledger.get_bill(created.id).native_status == "DONE"
    sources = {e.source for e in desk.ledger.history("bill", created.id) if e.to_status == "paid"}
    assert sources == {"webhook"}
    assert len(desk.ledger.payments_of("bill", created.id)) == 1


def test_a_wrong_amount_paid_makes_the_bill_a_mismatch_never_paid(world):
    desk, _, _ = world
    created = bill(desk)

    desk.pay_bill(created.provider_id, amount=created.amount - 100)
    [notice] = wait_for_notices(desk.ledger, created.id, 1)
    assert (notice.verdict, notice.status_reported) == ("applied", "AMOUNT_MISMATCH")
    assert desk.ledger.get_bill(created.id).status is BillStatus.MISMATCH


def test_the_same_notice_five_times_is_one_status_event(world):
    desk, hook, client = world
    created = bill(desk)
    desk.pay_bill(created.provider_id)
    wait_for_notices(desk.ledger, created.id, 1)
    events = len(desk.ledger.history("bill", created.id))

    payload = {"bill_id": created.provider_id, "status": "PAID", "amount": created.amount}
    answers = [post(client, hook, payload) for _ in range(5)]

    assert [a.json()["verdict"] for a in answers] == ["duplicate"] * 5
    assert len(desk.ledger.history("bill", created.id)) == events
    assert len(desk.ledger.payments_of("bill", created.id)) == 1


def test_the_body_is_not_believed_billstatus_is(world):
    desk, hook, client = world
    created = bill(desk)  # unpaid: billStatus says PENDING

    payload = {"bill_id": created.provider_id, "status": "DONE", "amount": created.amount}
    answer = post(client, hook, payload)

    assert answer.status_code == 200 and answer.json()["verdict"] == "stale"
    assert desk.ledger.get_bill(created.id).status is BillStatus.PENDING
    assert desk.ledger.payments_of("bill", created.id) == []


def test_a_notice_for_another_amount_is_a_mismatch_and_changes_nothing(world):
    desk, hook, client = world
    created = bill(desk)
    desk.pay_bill(created.provider_id)
    wait_for_notices(desk.ledger, created.id, 1)
    events = len(desk.ledger.history("bill", created.id))

    payload = {"bill_id": created.provider_id, "status": "PAID", "amount": 1}
    answer = post(client, hook, payload)

    assert answer.json()["verdict"] == "mismatch"
    assert "reports 1" in notices(desk.ledger, created.id)[-1].detail
    assert len(desk.ledger.history("bill", created.id)) == events


@pytest.mark.parametrize(
    "sign",
    [None, lambda body: signature(body, "wrong-token"), lambda body: signature(body + b" ")],
    ids=["unsigned", "wrong-key", "other-bytes"],
)
def test_unauthenticated_notices_are_refused_and_change_nothing(world, sign):
    desk, hook, client = world
    created = bill(desk)
    payload = {"bill_id": created.provider_id, "status": "PAID", "amount": created.amount}

    answer = post(client, hook, payload, sign=sign)

    assert answer.status_code == 401
    assert "WWW-Authenticate" not in answer.headers  # no Basic auth on this route
    assert notices(desk.ledger, created.id) == []
    assert desk.ledger.get_bill(created.id).status is BillStatus.PENDING


def test_an_unknown_bill_and_an_unreadable_body_are_recorded_with_200(world):
    desk, hook, client = world
    stranger = "cc0e8400-e29b-41d4-a716-000000000000"
    unknown = post(client, hook, {"bill_id": stranger})
    assert (unknown.status_code, unknown.json()["verdict"]) == (200, "unknown_object")
    [row] = [n for n in desk.ledger.recent_notifications(50) if n.provider_object_id == stranger]
    assert (row.verdict, row.object_id) == ("unknown_object", None)
    for payload in ({"status": "PAID"}, {"bill_id": "x", "amount": "12.50"}, ["bill_id"]):
        answer = post(client, hook, payload)
        assert (answer.status_code, answer.json()["verdict"]) == (200, "error")


def test_when_billstatus_cannot_be_asked_the_provider_is_told_to_retry(world):
    desk, _, _ = world
    created = bill(desk)
    path = "/api/payments/20/payture/billStatus"
    desk.fault(method="POST", path=path, kind="error", status=503, count=50)
    try:
        desk.pay_bill(created.provider_id)
        wait_for(
            lambda: [
                n for n in desk.admin.get("/__sandbox/notifications").json()["notifications"]
                if n["payload"].get("bill_id") == created.provider_id and n["last_status"] == 503
            ],
            "a delivery answered 503",
        )  # fmt: skip
        assert desk.ledger.get_bill(created.id).status is BillStatus.PENDING  # nothing applied
        assert notices(desk.ledger, created.id) == []
    finally:
        desk.admin.delete("/__sandbox/faults")
    desk.advance_sandbox(seconds=5)  # the sandbox's next attempt is due
    [notice] = wait_for_notices(desk.ledger, created.id, 1)
    assert notice.verdict == "applied"
    assert desk.ledger.get_bill(created.id).status is BillStatus.PAID


def test_without_payture_settings_every_payture_notice_is_refused(world, tmp_path):
    desk, _, client = world
    settings = replace(desk.settings, payture=None)
    with Ledger(tmp_path / "other.db") as ledger, serve(create_app(settings, ledger)) as url:
        answer = post(client, f"{url}/notifications/payture", {"bill_id": "b-1"})
        assert answer.status_code == 401
        assert ledger.notifications_of("bill", 1) == []


ADMIN = Actor("ada", Role.ADMIN, "page:activity")


def test_a_replayed_payture_notice_asks_billstatus_again_and_is_a_duplicate(world):
    desk, _, _ = world
    created = bill(desk)
    desk.pay_bill(created.provider_id)
    [paid] = wait_for_notices(desk.ledger, created.id, 1)
    kept = desk.ledger.notifications.get(paid.id)
    assert json.loads(kept.payload) == {
        "bill_id": created.provider_id,
        "status": "PAID",
        "amount": created.amount,
    }

    replayed = desk.billing.notifications.replay(ADMIN, paid.id)

    assert replayed.verdict.verdict == "duplicate"
    assert replayed.verdict.detail == (
        f"billStatus says PAID, as recorded; repeats notification #{paid.id}"
    )
    assert len(desk.ledger.payments_of("bill", created.id)) == 1


def test_when_billstatus_cannot_be_asked_a_replay_records_nothing(world):
    """A replay believes billStatus, as the receiver does: unable to ask, it records nothing."""
    desk, _, _ = world
    created = bill(desk)
    desk.pay_bill(created.provider_id)
    [paid] = wait_for_notices(desk.ledger, created.id, 1)
    path = "/api/payments/20/payture/billStatus"
    desk.fault(method="POST", path=path, kind="error", status=503, count=50)
    try:
        with pytest.raises(ProviderFailed, match="Nothing was recorded"):
            desk.billing.notifications.replay(ADMIN, paid.id)
    finally:
        desk.admin.delete("/__sandbox/faults")
    assert [n.id for n in notices(desk.ledger, created.id)] == [paid.id]
    audit = desk.ledger.recent_audit(1)[0]
    assert (audit.action, audit.outcome) == ("replay_notification", "failed")
