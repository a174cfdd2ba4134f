"""Why a payment failed, in the provider's words, from polls and notifications: the decline
message and code, the 3-D Secure result, the card's brand and last four digits (never
more), the payment method — kept per attempt and shown by Lookup."""

from __future__ import annotations

import httpx
import pytest

from console.billing import ApmPaymentDraft, PayLinkDraft
from console.explain import explain
from console.ledger import Ledger
from console.providers.bepaid_wire import transaction_of
from console.status import BillStatus
from console.webhooks import create_app
from tests.contract.bepaid_support import SHOP
from tests.contract.billing_support import OPERATOR, open_desk
from tests.contract.webhooks_support import wait_for
from tests.support.servers import free_port, serve

DECLINED = "4005550000000019"


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


def link(desk):
    return desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount="10.00", currency="BYN", description="Order")
    )


def test_a_declined_card_is_explained_from_a_poll(desk):
    made = link(desk)
    desk.pay_checkout(made.bill.token, card=DECLINED)
    refreshed = desk.billing.objects.refresh(OPERATOR, made.ref)
    assert refreshed.record.status == BillStatus.FAILED
    (tried,) = desk.ledger.attempts.of_object("bill", made.bill.id)
    assert (tried.native_status, tried.code, tried.card, tried.method) == (
        "failed",
        "F.0002",
        "visa ·· 0019",
        "credit_card",
    )
    assert tried.message == "Payment declined" and tried.source == "poll"
    said = explain(refreshed.record, attempts=[tried])
    assert "Payment declined (F.0002); card visa ·· 0019" in said.what_happened
    assert DECLINED not in repr(desk.ledger.attempts.of_object("bill", made.bill.id))


def test_a_declined_card_is_explained_from_its_notification(sandbox_url, tmp_path):
    port = free_port()
    with open_desk(sandbox_url, tmp_path, webhooks_url=f"http://127.0.0.1:{port}") as desk:
        receiver_ledger = Ledger(tmp_path / "ledger.db")
        with serve(create_app(desk.settings, receiver_ledger, key_wait=10), port):
            made = link(desk)
            desk.pay_checkout(made.bill.token, card=DECLINED)
            (tried,) = wait_for(
                lambda: desk.ledger.attempts.of_object("bill", made.bill.id), "the notification"
            )
        receiver_ledger.close()
        assert (tried.source, tried.code, tried.card_last4) == ("webhook", "F.0002", "0019")


def test_an_apm_payment_that_failed_keeps_the_gateways_words(desk):
    made = desk.billing.apm_payments.create(
        OPERATOR,
        ApmPaymentDraft(
            amount="5.00",
            currency="BYN",
            description="x",
            method_type="erip",
            customer_email="p@example.com",
        ),
    )
    desk.pay_apm(made.bill.provider_id, outcome="failed")
    desk.billing.objects.refresh(OPERATOR, made.ref)
    (tried,) = desk.ledger.attempts.of_object("bill", made.bill.id)
    assert tried.native_status == "failed" and tried.method == "erip" and tried.message


def test_api_version_3_adds_the_friendly_message_for_the_payer(desk, sandbox_url):
    made = link(desk)
    desk.pay_checkout(made.bill.token, card=DECLINED)
    desk.billing.objects.refresh(OPERATOR, made.ref)
    uid = desk.ledger.attempts.of_object("bill", made.bill.id)[0].provider_uid
    with httpx.Client(base_url=sandbox_url, auth=SHOP, timeout=10) as api:
        v2 = api.get(f"/transactions/{uid}").json()["transaction"]
        v3 = api.get(f"/transactions/{uid}", headers={"X-API-Version": "3"}).json()["transaction"]
    assert v2["code"] == v3["code"] == "F.0002" and "friendly_message" not in v2
    assert v3["friendly_message"].startswith("Do not honor.")
    assert transaction_of(v3).facts.friendly_message == v3["friendly_message"]
