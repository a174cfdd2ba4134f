"""Refund from Lookup, against a real sandbox: the form (amount prefilled with what remains,
reason required), the confirmation that repeats amount and what will remain, the refund,
and the bill, timeline and payments that follow; who is offered the action and who is not."""

from __future__ import annotations

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from console.auth import LOCAL_ADMIN, Actor, Role
from console.billing import Billing, PayLinkDraft, PaytureBillDraft
from console.config import load_settings
from console.ledger import Ledger
from console.status import BillStatus
from console.ui.context import ACTOR_KEY
from console.ui.registry import PAGES_DIR
from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from tests.support.markdown import as_shown
from tests.support.servers import free_port, serve

PAGE = PAGES_DIR / "lookup.py"
SUPPORT = Actor("sam", Role.SUPPORT, "console")
OPERATOR = Actor("olga", Role.OPERATOR, "console")
APPROVED_CARD = "4200000000000000"
BYN_PRODUCT = "550e8400-e29b-41d4-a716-446655440003"  # a 29.90 BYN product of the sandbox


@pytest.fixture
def shop(monkeypatch, tmp_path):
    """A real sandbox and a ledger with one paid 12.50 BYN pay link; yields (ledger path,
    bill ref, sandbox port)."""
    port = free_port()
    app = create_app(
        SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(tmp_path / "sb.db"))
    )
    path = tmp_path / "ledger.db"
    monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(path))
    monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "no-secrets.toml"))
    monkeypatch.setenv("MERCHANT_CONSOLE_TIMEZONE", "Europe/Minsk")
    monkeypatch.setenv("MERCHANT_CONSOLE_SANDBOX_PORT", str(port))
    monkeypatch.setenv("MERCHANT_CONSOLE_WEBHOOKS_PORT", str(free_port()))  # nobody listens
    with serve(app, port):
        with Ledger(path) as ledger:
            billing = Billing(load_settings(), ledger)
            made = billing.pay_links.create(
                LOCAL_ADMIN,
                PayLinkDraft(amount="12.50", currency="BYN", description="Coffee beans"),
            )
            paid = httpx.post(
                f"http://127.0.0.1:{port}/__sandbox/checkouts/{made.bill.token}/pay",
                json={"card": APPROVED_CARD},
                timeout=10,
            )
            assert paid.status_code == 200, paid.text
            billing.objects.refresh(LOCAL_ADMIN, made.ref)
        yield path, made.ref, port
    app.state.sandbox.store.close()


def open_lookup(query: str, actor: Actor = OPERATOR) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[ACTOR_KEY] = actor
    at.query_params["q"] = query
    return at.run()


def ref_id(ref: str) -> int:
    return int(ref[1:])


def refund_keys(at: AppTest) -> tuple[str, str]:
    amount = next(t.key for t in at.text_input if t.key.startswith("lk_refund_amount_"))
    return amount, amount.replace("_amount_", "_reason_")


def table_with(at: AppTest, column: str):
    return next(table.value for table in at.table if column in table.value.columns)


def sandbox_refunds(port: int, path, bill_ref: str) -> list[dict]:
    with Ledger(path) as ledger:
        charge = ledger.payments_of("bill", ref_id(bill_ref))[0]
    answer = httpx.get(
        f"http://127.0.0.1:{port}/__sandbox/transactions/{charge.provider_txn_id}/refunds",
        timeout=10,
    )
    return answer.json()["refunds"]


def test_refund_part_then_the_rest_from_lookup(shop):
    path, ref, port = shop
    at = open_lookup(ref)
    amount_key, reason_key = refund_keys(at)
    assert at.text_input(key=amount_key).value == "12.50"  # what remains, in major units

    at.text_input(key=amount_key).set_value("5")
    at.button[[b.label for b in at.button].index("Review refund")].click().run()
    assert [as_shown(e.value) for e in at.error] == [
        "Give a reason: the provider keeps it with the refund."
    ]
    assert sandbox_refunds(port, path, ref) == []  # a refused form sends nothing

    at.text_input(key=reason_key).set_value("One bag was torn")
    at.button[[b.label for b in at.button].index("Review refund")].click().run()
    confirmation = as_shown(at.warning[0].value).replace("**", "")
    assert "Give back 5.00 BYN of P1 (12.50 BYN paid)" in confirmation
    assert "7.50 BYN will remain" in confirmation and "One bag was torn" in confirmation
    assert sandbox_refunds(port, path, ref) == []  # reviewing sends nothing

    at.button[[b.label for b in at.button].index("Refund 5.00 BYN")].click().run()
    assert not at.exception
    assert "Refunded 5.00 BYN of P1" in as_shown(at.success[-1].value)
    assert any("partially refunded" in m.value for m in at.markdown)  # the status badge
    timeline = list(table_with(at, "change")["change"])
    assert "paid → partially_refunded" in timeline
    assert any(row.startswith("R1: refund of P1, 5.00 BYN, 🟢 refunded") for row in timeline)
    assert "olga" in " ".join(table_with(at, "change")["source"])
    assert list(table_with(at, "refund of")["amount"]) == ["12.50 BYN", "-5.00 BYN"]
    amount_key, reason_key = refund_keys(at)
    assert at.text_input(key=amount_key).value == "7.50"  # a fresh form: what remains now

    at.text_input(key=reason_key).set_value("Customer cancelled the rest")
    at.button[[b.label for b in at.button].index("Review refund")].click().run()
    assert "**0.00 BYN** will remain" in as_shown(at.warning[0].value)
    at.button[[b.label for b in at.button].index("Refund 7.50 BYN")].click().run()
    with Ledger(path) as ledger:
        assert ledger.get_bill(ref_id(ref)).status == BillStatus.REFUNDED
    assert [r["amount"] for r in sandbox_refunds(port, path, ref)] == [500, 750]
    assert any("Nothing of it remains to refund" in as_shown(i.value) for i in at.info)


def test_more_than_remains_is_refused_under_the_amount(shop):
    path, ref, _ = shop
    at = open_lookup(ref)
    amount_key, reason_key = refund_keys(at)
    at.text_input(key=amount_key).set_value("12.51")
    at.text_input(key=reason_key).set_value("Too much")
    at.button[[b.label for b in at.button].index("Review refund")].click().run()
    assert [as_shown(e.value) for e in at.error] == [
        "At most 12.50 BYN of this payment remains to refund."
    ]
    assert not any(b.label.startswith("Refund ") for b in at.button)
    with Ledger(path) as ledger:
        assert ledger.refunds.of_object("bill", ref_id(ref)) == []


def test_change_goes_back_to_the_form_with_what_was_typed(shop):
    _, ref, _ = shop
    at = open_lookup(ref)
    amount_key, reason_key = refund_keys(at)
    at.text_input(key=amount_key).set_value("2")
    at.text_input(key=reason_key).set_value("Late delivery")
    at.button[[b.label for b in at.button].index("Review refund")].click().run()
    at.button[[b.label for b in at.button].index("Change")].click().run()
    assert at.text_input(key=amount_key).value == "2"
    assert at.text_input(key=reason_key).value == "Late delivery"


def test_support_sees_the_payments_but_is_not_offered_a_refund(shop):
    _, ref, _ = shop
    at = open_lookup(ref, actor=SUPPORT)
    assert not at.exception
    assert not [t for t in at.text_input if t.key.startswith("lk_refund")]
    assert "Refunds are made by operators and admins." in [c.value for c in at.caption]


def test_a_payture_bill_points_to_paytures_back_office(shop):
    path, _, port = shop
    with Ledger(path) as ledger:
        billing = Billing(load_settings(), ledger)
        made = billing.payture_bills.create(LOCAL_ADMIN, PaytureBillDraft(product_id=BYN_PRODUCT))
        answer = httpx.post(
            f"http://127.0.0.1:{port}/__sandbox/payture/{made.bill.provider_id}/pay",
            json={},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        billing.objects.refresh(LOCAL_ADMIN, made.ref)
    at = open_lookup(made.ref)
    assert any("Payture's merchant back office" in as_shown(i.value) for i in at.info)
    assert not [t for t in at.text_input if t.key.startswith("lk_refund")]


def test_a_subscription_offers_each_charge_and_reviews_the_one_picked(shop):
    path, _, _ = shop
    from datetime import UTC, datetime, timedelta

    from console.ledger import NewSubscription

    first = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    with Ledger(path) as ledger:
        sub = ledger.create_subscription(
            NewSubscription(
                tracking_id="sub-1",
                amount=2990,
                currency="BYN",
                interval=1,
                interval_unit="month",
                status="pending",
                customer_email="sub@example.com",
            )
        )
        for month, uid in enumerate(("sub-ch-1", "sub-ch-2")):
            ledger.record_payment(
                provider="bepaid",
                provider_txn_id=uid,
                amount=2990,
                currency="BYN",
                at=first + timedelta(days=31 * month),
                subscription_id=sub,
            )
        charges = ledger.payments_of("subscription", sub)
    at = open_lookup(f"S{sub}")
    picker = at.selectbox(key="lk_refund_charge")
    assert picker.options == [
        f"{charges[0].ref} · 2026-10-01 12:00:00 · 29.90 BYN",
        f"{charges[1].ref} · 2026-11-01 12:00:00 · 29.90 BYN",
    ]
    assert picker.value == charges[1].id  # the newest charge first
    picker.set_value(charges[0].id).run()
    amount_key, reason_key = refund_keys(at)
    assert amount_key.endswith(f"_{charges[0].id}")
    at.text_input(key=amount_key).set_value("9.90")
    at.text_input(key=reason_key).set_value("October was half used")
    at.button[[b.label for b in at.button].index("Review refund")].click().run()
    said = as_shown(at.warning[0].value).replace("**", "")
    assert f"Give back 9.90 BYN of {charges[0].ref} (29.90 BYN paid)" in said
    assert "20.00 BYN will remain" in said
