"""The notification log over real HTTP: the sandbox's signed notifications reach the
receiver, their bodies are kept masked, and an admin replays them through billing."""

# ruff: noqa: F811 - the shared fixtures are imported by name, and tests take them as arguments

from __future__ import annotations

import json

import httpx
import pytest

from console.auth import Actor, PermissionDenied, Role
from console.billing import Billing, NotReplayable
from console.ledger import NotificationFilter
from console.status import BillStatus
from console.validation import find_card_number
from tests.contract.bepaid_support import APPROVED
from tests.contract.webhooks_support import (  # noqa: F401 - fixtures, found by name
    card_link_bill,
    card_transaction,
    module_ledger,
    receiver_url,
    sandbox_settings,
    shop,
    sign,
    signed_post,
    unique,
)

ADMIN = Actor("ada", Role.ADMIN, "page:activity")


@pytest.fixture(scope="module")
def billing(module_sandbox, module_ledger, tmp_path_factory):
    settings = sandbox_settings(module_sandbox[0], tmp_path_factory.mktemp("replay-settings"))
    return Billing(settings, module_ledger)


def test_a_paid_pay_link_notification_is_kept_masked_and_its_replay_is_a_duplicate(shop, billing):
    bill_id, token = shop.pay_link(amount=1234, currency="EUR")
    transaction = shop.pay(token, APPROVED)["transaction"]
    (delivered,) = shop.wait_for_verdicts("bill", bill_id, 1)
    assert delivered.verdict == "applied"

    kept = shop.ledger.notifications.get(delivered.id)
    payload = json.loads(kept.payload)
    assert payload["transaction"]["uid"] == transaction["uid"]
    assert payload["transaction"]["credit_card"] == {"brand": "visa", "last_4": "0000"}
    assert transaction["credit_card"]["token"] not in kept.payload  # the sandbox sent one
    assert "420000" not in kept.payload and find_card_number(kept.payload) is None
    assert len(kept.body_sha256) == 64
    history = shop.ledger.history("bill", bill_id)

    replayed = billing.notifications.replay(ADMIN, delivered.id)

    assert replayed.verdict.verdict == "duplicate"
    assert replayed.verdict.detail == f"repeats notification #{delivered.id}"
    assert (replayed.row.source, replayed.row.actor) == ("replay", "ada")
    assert shop.ledger.history("bill", bill_id) == history
    assert len(shop.ledger.payments_of("bill", bill_id)) == 1
    newest, oldest = shop.ledger.notifications_of("bill", bill_id)
    assert (newest.id, oldest.id) == (replayed.row.id, delivered.id)


def test_a_notification_for_a_bill_made_later_is_applied_when_replayed(
    shop, billing, receiver_url, sign
):
    """bePaid told us about a payment before its bill was in the ledger (imported or made
    from the back office afterwards): unknown then, applied on replay once it exists."""
    tracking_id = unique("later")
    body = card_transaction(tracking_id)
    body["transaction"]["description"] = "paid with 4200 0000 0000 0000"
    with httpx.Client(timeout=10) as client:
        answer = signed_post(client, shop.hook(), body, sign)
    assert answer.status_code == 200 and answer.json()["verdict"] == "unknown_object"
    first = answer.json()["notification"]
    kept = shop.ledger.notifications.get(first)
    assert json.loads(kept.payload)["transaction"]["description"] == "paid with ****0000"

    bill_id, _ = card_link_bill(shop.ledger, tracking_id=tracking_id)
    replayed = billing.notifications.replay(ADMIN, first)

    assert replayed.verdict.verdict == "applied"
    assert (replayed.verdict.object_type, replayed.verdict.object_id) == ("bill", bill_id)
    assert shop.ledger.get_bill(bill_id).status is BillStatus.PAID
    (payment,) = shop.ledger.payments_of("bill", bill_id)
    assert payment.provider_txn_id == body["transaction"]["uid"]


def test_a_rejected_request_keeps_no_body_and_cannot_be_replayed(shop, billing):
    with httpx.Client(timeout=10) as client:
        answer = signed_post(client, shop.hook(), card_transaction("x"), sign=None)
    assert answer.status_code == 401  # answered once its row was written
    rejected = shop.ledger.notifications.page(NotificationFilter(verdict="rejected")).rows[0]
    assert shop.ledger.notifications.get(rejected.id).payload is None
    assert rejected.body_sha256 is None
    with pytest.raises(NotReplayable):
        billing.notifications.replay(ADMIN, rejected.id)


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.VIEWER, Role.OPERATOR])
def test_support_viewer_and_operator_are_refused_a_replay(shop, billing, role):
    bill_id, token = shop.pay_link()
    shop.pay(token, APPROVED)
    (delivered,) = shop.wait_for_verdicts("bill", bill_id, 1)
    with pytest.raises(PermissionDenied):
        billing.notifications.replay(Actor("sam", role), delivered.id)
    assert [n.id for n in shop.ledger.notifications_of("bill", bill_id)] == [delivered.id]
