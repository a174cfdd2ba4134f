"""The Customer page: ``customer?email=…`` shows everything of that customer — totals per
currency with refunds taken off, what is open, every object linked to Lookup — a page at a
time; a malformed address gets a clear message; every role that may view can read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from console.auth import LOCAL_ADMIN, Actor, Role
from console.ledger import Ledger, NewBill, NewSubscription
from console.status import BillStatus, SubscriptionStatus
from console.ui.context import ACTOR_KEY
from console.ui.registry import PAGES_DIR
from tests.support.markdown import as_shown
from tests.support.servers import free_port

PAGE = PAGES_DIR / "customer.py"
AT = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
ANNA = "anna.petrova@example.com"
BILLS = 60  # paid BYN bills of Anna's besides the few below: more than one page


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    """Anna: 60 paid BYN bills (B1..B60), a EUR bill half refunded, an open bill, an active
    subscription with a charge; Boris: one bill."""
    path = tmp_path_factory.mktemp("customer") / "ledger.db"
    with Ledger(path) as ledger:

        def bill(n, amount, currency, email=ANNA, paid=True):
            bill_id = ledger.create_bill(
                NewBill(
                    provider="bepaid",
                    kind="card_link",
                    tracking_id=f"order-{n}",
                    amount=amount,
                    currency=currency,
                    description=f"Order *{n}*",
                    customer_email=email,
                    status=BillStatus.PENDING,
                    at=AT + timedelta(hours=n),
                )
            )
            if paid:
                ledger.record_payment(
                    provider="bepaid",
                    provider_txn_id=f"txn-{n}",
                    amount=amount,
                    currency=currency,
                    at=AT + timedelta(hours=n, minutes=5),
                    bill_id=bill_id,
                )
                ledger.record_bill_status(bill_id, BillStatus.PAID, "successful", "webhook")
            return bill_id

        for n in range(1, BILLS + 1):
            bill(n, 1_000, "BYN")
        eur = bill(BILLS + 1, 5_000, "EUR")  # B61
        [charge] = ledger.payments_of("bill", eur)
        attempt = ledger.refunds.start(charge, 2_000, "Broken cup", actor="ann")
        ledger.refunds.succeed(attempt, provider_uid="r-1", native_status="successful", at=None)
        bill(BILLS + 2, 700, "BYN", paid=False)  # B62, open
        bill(BILLS + 3, 99_900, "BYN", email="boris@example.com")  # B63, not hers
        sub = ledger.create_subscription(
            NewSubscription(
                tracking_id="club-1",
                amount=1_990,
                currency="EUR",
                interval=1,
                interval_unit="month",
                plan_title="Club",
                customer_email=ANNA,
                status=SubscriptionStatus.PENDING,
                at=AT,
            )
        )
        ledger.record_subscription_status(sub, SubscriptionStatus.ACTIVE, "active", "webhook")
        ledger.record_payment(
            provider="bepaid",
            provider_txn_id="s-1",
            amount=1_990,
            currency="EUR",
            at=AT + timedelta(days=3),
            subscription_id=sub,
        )
    return path


@pytest.fixture
def use(shop, monkeypatch, tmp_path):
    monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(shop))
    monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "no-secrets.toml"))
    monkeypatch.setenv("MERCHANT_CONSOLE_TIMEZONE", "Europe/Minsk")
    monkeypatch.setenv("MERCHANT_CONSOLE_SANDBOX_PORT", str(free_port()))
    monkeypatch.setenv("MERCHANT_CONSOLE_WEBHOOKS_PORT", str(free_port()))
    return shop


def open_customer(email: str | None = None, actor: Actor = LOCAL_ADMIN) -> AppTest:
    """The page as ``customer?email=<email>`` opens it."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[ACTOR_KEY] = actor
    if email is not None:
        at.query_params["email"] = email
    return at.run()


def table_with(at: AppTest, column: str, nth: int = 0):
    return [t.value for t in at.table if column in t.value.columns][nth]


def refs(cells) -> list[str]:
    """``[B12](lookup?q=B12)`` cells as the references they show."""
    return [cell.split("]", 1)[0].removeprefix("[") for cell in cells]


def test_the_address_opens_that_customer_with_totals_per_currency(use):
    at = open_customer("Anna.Petrova@EXAMPLE.com")  # any case, as Lookup matches
    assert not at.exception
    assert at.subheader[0].value == ANNA
    assert at.text_input(key="cu_email").value == "Anna.Petrova@EXAMPLE.com"
    assert at.query_params["email"] == ANNA
    totals = table_with(at, "net").set_index("currency")
    assert list(totals.index) == ["BYN", "EUR"]  # one row per currency, never one sum
    assert totals.loc["BYN", ["paid", "refunded", "net"]].tolist() == [
        "600.00 BYN", "0.00 BYN", "600.00 BYN"
    ]  # fmt: skip
    assert totals.loc["EUR", ["paid", "refunded", "net"]].tolist() == [
        "69.90 EUR", "20.00 EUR", "49.90 EUR"
    ]  # fmt: skip
    assert totals.loc["EUR", "charges"] == "2" and totals.loc["EUR", "refunds"] == "1"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Bills"] == "62" and metrics["Subscriptions"] == "1"
    assert metrics["First payment (Europe/Minsk)"] == "2026-01-10"
    assert totals.loc["BYN", "first payment (Europe/Minsk)"] == "2026-01-10 13:05:00"


def test_what_is_open_is_listed_with_its_status(use):
    at = open_customer(ANNA)
    open_bills = table_with(at, "bill")
    assert refs(open_bills["bill"]) == ["B62"]
    assert list(open_bills["status"]) == ["🔵 pending"]
    captions = [c.value for c in at.caption]
    assert "1 bill waiting for money:" in captions and "1 subscription not final:" in captions
    open_subs = table_with(at, "subscription")
    assert refs(open_subs["subscription"]) == ["S1"] and list(open_subs["status"]) == ["🟢 active"]


def test_every_object_links_to_lookup(use):
    at = open_customer(ANNA)
    bills = table_with(at, "bill", 1)  # the Bills tab (the first table is what is open)
    assert bills["bill"].iloc[0] == "[B62](lookup?q=B62)"
    assert as_shown(bills["description"].iloc[1]) == "Order *61*"  # typed text is not markup
    payments = table_with(at, "payment")
    refund = payments[payments["kind"] == "refund"].iloc[0]
    assert (refund["amount"], refund["of"]) == ("-20.00 EUR", "[B61](lookup?q=B61)")
    assert refund["refund of"].startswith("P")
    charge = payments[payments["of"] == "[S1](lookup?q=S1)"].iloc[0]
    assert charge["amount"] == "19.90 EUR"
    attempts = table_with(at, "reason")
    assert list(attempts["of"]) == ["[B61](lookup?q=B61)"]
    assert list(attempts["state"]) == ["🟢 refunded"]


def test_bills_come_a_page_at_a_time_without_repeats(use):
    at = open_customer(ANNA)
    at.selectbox(key="cu_page_size").set_value(25).run()
    seen: list[str] = []
    for expected in (25, 25, 12):
        page = refs(table_with(at, "bill", 1)["bill"])
        assert len(page) == expected
        seen += page
        older = at.button(key="cu_bills_older")
        if expected < 25:
            assert older.disabled
        else:
            older.click().run()
    assert seen == [f"B{n}" for n in range(62, 0, -1)]  # B63 is Boris's
    at.button(key="cu_bills_newer").click().run()
    assert refs(table_with(at, "bill", 1)["bill"])[0] == "B37"
    at.button(key="cu_bills_newest").click().run()
    assert refs(table_with(at, "bill", 1)["bill"])[0] == "B62"


def test_another_customer_typed_in_the_box_is_shown_and_put_in_the_address(use):
    at = open_customer(ANNA)
    at.selectbox(key="cu_page_size").set_value(25).run()
    at.button(key="cu_bills_older").click().run()
    at.text_input(key="cu_email").set_value("Boris@example.com").run()
    assert at.subheader[0].value == "boris@example.com"
    assert at.query_params["email"] == "boris@example.com"
    assert refs(table_with(at, "bill", 0)["bill"]) == ["B63"]  # his first page, not page 2


@pytest.mark.parametrize("typed", ["anna.petrova", "anna@", "a b@example.com", "4200000000000000"])
def test_a_malformed_address_gets_a_clear_message_and_is_not_searched(use, typed):
    at = open_customer(typed)
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("**Not an e-mail address** — This is not an e-mail address")
    assert "email" not in at.query_params  # not kept in the address either
    assert not at.table and not at.subheader
    assert typed not in error.value


def test_an_address_nobody_used_says_so(use):
    at = open_customer("nobody@example.com")
    assert as_shown(at.warning[0].value) == (
        "No bill or subscription in the ledger has the e-mail nobody@example.com."
    )
    assert not at.table


def test_the_empty_page_says_what_to_type(use):
    at = open_customer()
    assert not at.exception and not at.error
    assert "Type the customer's e-mail address" in at.caption[0].value


@pytest.mark.parametrize("role", list(Role))
def test_every_role_can_read_it(use, role):
    at = open_customer(ANNA, Actor("vic", role))
    assert not at.exception
    assert at.subheader[0].value == ANNA
    assert table_with(at, "net") is not None
