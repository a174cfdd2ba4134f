"""Only the shop's provider gets in: HTTP Basic credentials and Content-Signature, both."""

# ruff: noqa: F811 - the shared fixtures are imported by name, and tests take them as arguments

from __future__ import annotations

import base64
import json
import logging

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from console.ledger import Ledger
from console.status import BillStatus
from console.webhooks import MAX_BODY_BYTES, REJECTED_ROWS_PER_MINUTE, RejectionBudget, create_app
from tests.contract.bepaid_support import APPROVED, SHOP
from tests.contract.webhooks_support import (  # noqa: F401 - fixtures, found by name
    card_link_bill,
    card_transaction,
    module_ledger,
    receiver_url,
    sandbox_settings,
    shop,
    sign,
    signed_post,
)
from tests.support.servers import serve

OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign_with_other_key(body: bytes) -> str:
    return base64.b64encode(OTHER_KEY.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


@pytest.fixture
def http():
    with httpx.Client(timeout=10) as client:
        yield client


REFUSALS = {
    "no signature": dict(signer=None),
    "signature by another key": dict(signer="other"),
    "signature not base64": dict(signer="junk"),
    "wrong secret key": dict(auth=("361", "not-the-secret")),
    "wrong shop id": dict(auth=("other-shop", "sandbox-secret")),
    "no credentials": dict(auth=None),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_notification_is_401_and_changes_nothing(shop, sign, http, case):
    bill_id, tracking_id = card_link_bill(shop.ledger)
    payload = card_transaction(tracking_id)
    signer = {"other": sign_with_other_key, "junk": lambda _: "%%not base64%%", None: None}.get(
        case.get("signer", "sandbox"), sign
    )

    response = signed_post(http, shop.hook(), payload, signer, auth=case.get("auth", SHOP))

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert shop.ledger.get_bill(bill_id).status is BillStatus.PENDING
    assert shop.ledger.payments_of("bill", bill_id) == []
    assert len(shop.ledger.history("bill", bill_id)) == 1
    rejected = shop.ledger.recent_notifications(1)[0]
    assert rejected.verdict == "rejected"
    # Kept for support without anything the caller sent: no ids, no body hash.
    assert (rejected.ref, rejected.provider_object_id, rejected.body_sha256) == (None, None, None)
    assert "127.0.0.1" in rejected.detail
    # The same notification, properly sent, is accepted: the refusal was the credentials.
    assert signed_post(http, shop.hook(), payload, sign).json()["verdict"] == "applied"


def test_a_body_changed_after_signing_is_refused(shop, sign, http):
    bill_id, tracking_id = card_link_bill(shop.ledger, amount=100)
    body = json.dumps(card_transaction(tracking_id, amount=100), separators=(",", ":")).encode()
    signature = sign(body)

    response = http.post(
        shop.hook(),
        content=body.replace(b'"amount":100', b'"amount":1'),
        headers={"Content-Signature": signature},
        auth=SHOP,
    )

    assert response.status_code == 401
    assert shop.ledger.get_bill(bill_id).status is BillStatus.PENDING


def test_a_body_over_the_limit_is_refused_before_it_is_read(shop, sign, http):
    body = b"{" + b" " * MAX_BODY_BYTES + b"}"

    response = http.post(shop.hook(), content=body, headers={"Content-Signature": sign(body)},
                         auth=SHOP)  # fmt: skip

    assert response.status_code == 413


def test_secrets_never_reach_the_log_or_the_ledger(shop, sign, http, caplog):
    caplog.set_level(logging.DEBUG)
    bill_id, token = shop.pay_link()
    shop.pay(token, APPROVED)  # the sandbox's own delivery, with the shop's credentials
    shop.wait_for_verdicts("bill", bill_id, 1)
    _, tracking_id = card_link_bill(shop.ledger)
    signed_post(http, shop.hook(), card_transaction(tracking_id), None)  # rejected
    signed_post(http, shop.hook(), b"not json", sign)  # unreadable

    basic = base64.b64encode(b"361:sandbox-secret").decode()
    assert f"-> B{bill_id} applied" in caplog.text  # the receiver did log, at INFO
    assert "rejected a notification" in caplog.text
    assert "sandbox-secret" not in caplog.text
    assert basic not in caplog.text
    stored = b"".join(
        path.read_bytes() for path in shop.ledger.path.parent.glob(shop.ledger.path.name + "*")
    )
    assert b"sandbox-secret" not in stored
    assert basic.encode() not in stored
    assert b"card-token-1" not in stored  # bodies are not stored, only their hash


def test_a_flood_of_forged_requests_records_only_the_budget(module_sandbox, tmp_path, http):
    with Ledger(tmp_path / "ledger.db") as ledger:
        app = create_app(sandbox_settings(module_sandbox[0], tmp_path), ledger)
        # A stopped clock: the bucket does not refill while the flood runs, however slowly.
        app.state.receiver.rejections = RejectionBudget(REJECTED_ROWS_PER_MINUTE, clock=lambda: 0)
        with serve(app) as url:
            answers = [
                signed_post(http, f"{url}/notifications/beyag", b"{}", None).status_code
                for _ in range(REJECTED_ROWS_PER_MINUTE + 20)
            ]

        assert set(answers) == {401}
        rejected = ledger.recent_notifications(1000)
        assert [n.verdict for n in rejected] == ["rejected"] * REJECTED_ROWS_PER_MINUTE
        assert app.state.receiver.rejections.unrecorded == 20
