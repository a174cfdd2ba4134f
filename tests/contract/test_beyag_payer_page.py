"""beyag: the sandbox "external payment system" page a payer reaches through the form."""

from __future__ import annotations

import httpx
import pytest

from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from tests.support.servers import free_port, serve

PAYMENTS = "/beyag/transactions/payments"
RETURN_URL = "https://shop.example/return?order=42"


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory):
    """One sandbox for the whole module: each test works on records it creates."""
    port = free_port()
    state = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(state)))
    with serve(app, port) as base_url:
        yield base_url, app
    app.state.sandbox.store.close()


def create(client, **changes):
    body = {
        "amount": 1999,
        "currency": "USD",
        "description": "Order #42",
        "tracking_id": "order-42",
        "return_url": RETURN_URL,
        "method": {"type": "alipay"},
    }
    body.update(changes)
    return client.post(PAYMENTS, json={"request": body}).json()["transaction"]


def submit_form(transaction, **extra):
    """What a browser sends when the shop's form (built from ``form``) is submitted."""
    form = transaction["form"]
    fields = {field["name"]: field["value"] for field in form["fields"]}
    return httpx.request(form["method"], form["action"], data={**fields, **extra})


def choose(transaction, outcome, sid=None):
    sid = sid or transaction["form"]["fields"][0]["value"]
    return httpx.post(
        f"{transaction['form']['action']}/complete", data={"sid": sid, "outcome": outcome}
    )


def test_the_form_opens_a_page_showing_the_payment(bepaid):
    transaction = create(bepaid)

    page = submit_form(transaction, utf8="✓", submit="Оплатить")  # the doc's extra inputs

    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    for text in ("Order #42", "19.99 USD", "alipay", "order-42", ">Pay<", ">Decline<"):
        assert text in page.text


def test_the_page_also_opens_with_the_session_id_in_the_query(bepaid):
    transaction = create(bepaid)
    sid = transaction["form"]["fields"][0]["value"]

    page = httpx.get(transaction["form"]["action"], params={"sid": sid})

    assert page.status_code == 200
    assert "19.99 USD" in page.text


def test_what_the_shop_sent_is_escaped(bepaid):
    transaction = create(bepaid, description="<script>alert(1)</script>", tracking_id="'><b>")

    page = submit_form(transaction)

    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "'><b>" not in page.text


@pytest.mark.parametrize(
    ("outcome", "status", "message"),
    [
        ("successful", "successful", "Successfully processed"),
        ("failed", "failed", "Declined by the payment system"),
        ("canceled", "failed", "Canceled by the payer"),
    ],
)
def test_the_payers_choice_sets_the_status_and_returns_to_the_shop(
    bepaid, outcome, status, message
):
    transaction = create(bepaid)

    response = choose(transaction, outcome)

    assert response.status_code == 303
    assert response.headers["location"] == RETURN_URL
    after = bepaid.get(f"/beyag/transactions/{transaction['uid']}").json()["transaction"]
    assert (after["status"], after["message"]) == (status, message)


def test_a_second_choice_changes_nothing_and_still_returns_to_the_shop(bepaid):
    transaction = create(bepaid)
    choose(transaction, "successful")

    response = choose(transaction, "failed")

    assert response.headers["location"] == RETURN_URL
    after = bepaid.get(f"/beyag/transactions/{transaction['uid']}").json()["transaction"]
    assert after["status"] == "successful"


def test_a_finished_payment_page_shows_its_status(bepaid):
    transaction = create(bepaid)
    choose(transaction, "failed")

    page = submit_form(transaction)

    assert "This payment is failed" in page.text
    assert ">Pay<" not in page.text


def test_a_wrong_session_id_is_refused(bepaid):
    transaction = create(bepaid)

    assert submit_form(transaction, sid="forged").status_code == 403
    assert choose(transaction, "successful", sid="forged").status_code == 403
    after = bepaid.get(f"/beyag/transactions/{transaction['uid']}").json()["transaction"]
    assert after["status"] == "pending"


def test_an_unknown_payment_page_is_404(sandbox_url):
    assert httpx.get(f"{sandbox_url}/external/apm/nope", params={"sid": "x"}).status_code == 404


def test_an_unknown_choice_is_refused(bepaid):
    transaction = create(bepaid)

    assert choose(transaction, "steal").status_code == 400


def test_the_receipt_url_shows_the_paid_payment(bepaid):
    transaction = create(bepaid, additional_data={"receipt_text": ["Thank you", "<b>bold</b>"]})
    choose(transaction, "successful")

    receipt = httpx.get(transaction["receipt_url"])

    assert receipt.status_code == 200
    assert "19.99 USD" in receipt.text
    assert "Thank you" in receipt.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in receipt.text
    assert httpx.get(transaction["receipt_url"][:-4] + "0000").status_code == 404
