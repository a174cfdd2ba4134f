"""The Lookup page: every kind of pasted query finds its record, ``?q=`` deep links, several
matches to pick from, a clear not-found message, and — against a real sandbox — checking
with the provider and importing an object the ledger never saw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from console.auth import LOCAL_ADMIN, Actor, Role
from console.billing import Billing, PayLinkDraft
from console.config import load_settings
from console.demo import generate_demo
from console.ledger import Ledger, NewBill, NewSubscription
from console.providers import BepaidClient, NewCheckout
from console.status import BillStatus, SubscriptionStatus
from console.ui.context import ACTOR_KEY
from console.ui.registry import PAGES_DIR
from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from tests.support.markdown import as_shown
from tests.support.servers import free_port, serve

PAGE = PAGES_DIR / "lookup.py"
VIEWER = Actor("vic", Role.VIEWER, "console")
APPROVED_CARD = "4200000000000000"
AT = datetime(2024, 5, 31, 9, 0, tzinfo=UTC)
TOKEN = "3f9c" * 16  # a 64-hex checkout token
APM_UID = "6a1f2c3d-1111-4222-8333-444455556666"
PAYTURE_BILL = "550e8400-e29b-41d4-a716-4466554400aa"
SESSION = "7d3e9b1c5a"
SUBSCRIPTION_ID = "sbs_8a41cd0e2f"
LINK_B1 = "B1 · card pay link · 100.00 BYN"


def open_lookup(query: str | None = None, actor: Actor = LOCAL_ADMIN) -> AppTest:
    """Run the Lookup page (optionally opened as ``/lookup?q=<query>``) as ``actor``."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[ACTOR_KEY] = actor
    if query is not None:
        at.query_params["q"] = query
    return at.run()


def search(at: AppTest, query: str) -> AppTest:
    return at.text_input(key="lk_query").set_value(query).run()


def table_with(at: AppTest, column: str):
    """The first st.table on the page that has ``column``."""
    return next(table.value for table in at.table if column in table.value.columns)


def shown(at: AppTest) -> str:
    """The record the page shows, as its heading (``B1 · card pay link · 100.00 BYN``)."""
    assert not at.exception
    return at.subheader[0].value


@pytest.fixture
def use_ledger(monkeypatch, tmp_path):
    def use(path: Path, *, sandbox_port: int | None = None) -> None:
        monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(path))
        monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "no-secrets.toml"))
        monkeypatch.setenv("MERCHANT_CONSOLE_TIMEZONE", "Europe/Minsk")
        monkeypatch.setenv("MERCHANT_CONSOLE_SANDBOX_PORT", str(sandbox_port or free_port()))
        monkeypatch.setenv("MERCHANT_CONSOLE_WEBHOOKS_PORT", str(free_port()))  # nobody listens

    return use


@pytest.fixture(scope="module")
def shop_ledger(tmp_path_factory) -> Path:
    """A paid card link, an APM payment and a Payture bill of one customer, a subscription."""
    path = tmp_path_factory.mktemp("shop") / "ledger.db"
    with Ledger(path) as ledger:
        link = ledger.create_bill(
            NewBill(
                provider="bepaid",
                kind="card_link",
                tracking_id="order-981",
                amount=10000,
                currency="BYN",
                description="Phone order",
                customer_email="anna.petrova@example.com",
                status=BillStatus.PENDING,
                at=AT,
            )
        )
        ledger.attach_provider_ids(
            link, token=TOKEN, pay_url=f"https://checkout.bepaid.by/v2/checkout?token={TOKEN}"
        )
        ledger.record_payment(
            provider="bepaid",
            provider_txn_id="5431-9bc1d0e2f3",
            amount=10000,
            currency="BYN",
            at=AT + timedelta(minutes=7),
            bill_id=link,
        )
        ledger.record_bill_status(
            link, BillStatus.PAID, "successful", "webhook", AT + timedelta(minutes=7)
        )
        apm = ledger.create_bill(
            NewBill(
                provider="begateway",
                kind="apm",
                tracking_id="erip-5",
                amount=990,
                currency="BYN",
                customer_email="anna.petrova@example.com",
                status=BillStatus.PENDING,
                at=AT + timedelta(hours=1),
                extra={"method_type": "erip"},
            )
        )
        ledger.attach_provider_ids(apm, provider_id=APM_UID)
        gift = ledger.create_bill(
            NewBill(
                provider="payture",
                kind="payture_bill",
                tracking_id="gift-3",
                amount=249900,
                currency="RUB",
                status=BillStatus.PENDING,
                at=AT + timedelta(hours=2),
            )
        )
        ledger.attach_provider_ids(
            gift,
            provider_id=PAYTURE_BILL,
            token=SESSION,
            pay_url=f"http://127.0.0.1:8600/apim/Pay?SessionId={SESSION}",
            extra={"gift_code": "GIFT-00C0FFEE"},
        )
        ledger.record_bill_status(gift, BillStatus.PAID, "DONE", "poll", AT + timedelta(hours=3))
        sub = ledger.create_subscription(
            NewSubscription(
                tracking_id="club-7",
                amount=1200,
                currency="EUR",
                interval=1,
                interval_unit="month",
                plan_title="Club",
                customer_email="olga@example.com",
                status=SubscriptionStatus.PENDING,
                at=AT,
            )
        )
        ledger.attach_subscription_ids(sub, provider_id=SUBSCRIPTION_ID)
        ledger.record_subscription_status(
            sub, SubscriptionStatus.ACTIVE, "active", "webhook", AT + timedelta(minutes=3)
        )
    return path


@pytest.mark.parametrize(
    ("query", "heading"),
    [
        ("B1", LINK_B1),
        ("b#1", LINK_B1),
        ("order-981", LINK_B1),
        (TOKEN, LINK_B1),
        (f"https://checkout.bepaid.by/v2/checkout?token={TOKEN}", LINK_B1),
        (f"  http://127.0.0.1:8600/checkout?token={TOKEN}  ", LINK_B1),
        (APM_UID, "B2 · APM payment · 9.90 BYN"),
        (PAYTURE_BILL, "B3 · Payture bill · 2 499.00 RUB"),
        (f"http://127.0.0.1:8600/apim/Pay?SessionId={SESSION}", "B3 · Payture bill · 2 499.00 RUB"),
        (SUBSCRIPTION_ID, "S1 · subscription · 12.00 EUR"),
        ("OLGA@Example.COM", "S1 · subscription · 12.00 EUR"),
    ],
    ids=[
        "ref",
        "ref-hash",
        "tracking-id",
        "token",
        "bepaid-link",
        "sandbox-link",
        "apm-uid",
        "payture-bill",
        "payture-link",
        "subscription-id",
        "email-any-case",
    ],
)
def test_each_kind_of_query_finds_its_record_and_sets_the_url(
    use_ledger, shop_ledger, query, heading
):
    use_ledger(shop_ledger)
    at = search(open_lookup(), query)
    assert shown(at) == heading
    assert at.query_params["q"] == query.strip()


def test_a_paid_link_shows_what_happened_its_timeline_and_payment(use_ledger, shop_ledger):
    use_ledger(shop_ledger)
    at = open_lookup("order-981")
    assert as_shown(at.success[0].value).startswith("Paid 100.00 BYN on 2024-05-31 12:07 +03.")
    timeline = table_with(at, "change")
    assert list(timeline["change"]) == ["∅ → pending", "pending → paid"]
    assert list(timeline["when (Europe/Minsk)"]) == ["2024-05-31 12:00:00", "2024-05-31 12:07:00"]
    [payment] = table_with(at, "kind").to_dict("records")
    assert (payment["kind"], payment["amount"]) == ("charge", "100.00 BYN")
    assert at.code[0].value == f"https://checkout.bepaid.by/v2/checkout?token={TOKEN}"


def test_provider_extras_are_named(use_ledger, shop_ledger):
    use_ledger(shop_ledger)
    facts = table_with(open_lookup("B3"), "value").set_index("")["value"]
    assert facts["Gift code"] == "GIFT-00C0FFEE"
    facts = table_with(open_lookup("B2"), "value").set_index("")["value"]
    assert facts["Payment method"] == "erip"


def test_the_customer_e_mail_links_to_everything_of_that_customer(use_ledger, shop_ledger):
    use_ledger(shop_ledger)
    facts = table_with(open_lookup("B1"), "value").set_index("")["value"]
    # customer?email=<the whole address, URL-encoded>: the Customer page's address
    assert facts["Customer e-mail"] == (
        "[anna.petrova@example.com](customer?email=anna.petrova%40example.com)"
    )


def test_a_deep_link_runs_the_search(use_ledger, shop_ledger):
    use_ledger(shop_ledger)
    at = open_lookup("S1")
    assert at.text_input(key="lk_query").value == "S1"
    assert shown(at) == "S1 · subscription · 12.00 EUR"
    assert as_shown(at.success[0].value).startswith("Active (12.00 EUR every month)")


def test_an_email_with_several_records_offers_a_pick(use_ledger, shop_ledger):
    use_ledger(shop_ledger)
    at = open_lookup("Anna.Petrova@EXAMPLE.com")
    assert list(table_with(at, "ref")["ref"]) == ["B2", "B1"]  # newest first
    assert shown(at).startswith("B2 ·")
    at.selectbox(key="lk_pick").set_value("B1").run()
    assert shown(at).startswith("B1 ·")


@pytest.mark.parametrize(
    ("query", "actor", "offers_import"),
    [
        ("order-404404", LOCAL_ADMIN, True),
        ("nobody@example.com", LOCAL_ADMIN, False),
        ("B999", LOCAL_ADMIN, False),
        ("order-404404", VIEWER, False),
    ],
)
def test_not_found_says_so_and_offers_an_import_only_where_it_can_work(
    use_ledger, shop_ledger, query, actor, offers_import
):
    use_ledger(shop_ledger)
    at = open_lookup(query, actor)
    assert not at.exception
    assert as_shown(at.warning[0].value).startswith("Nothing in the ledger matches")
    assert bool([b for b in at.button if b.key == "lk_import"]) == offers_import
    assert not at.subheader


def test_a_viewer_is_not_offered_a_provider_check(use_ledger, shop_ledger):
    use_ledger(shop_ledger)
    at = open_lookup("B1", VIEWER)
    assert shown(at).startswith("B1 ·")
    assert not at.button


def test_demo_rows_cannot_be_checked_with_a_provider(use_ledger, tmp_path):
    generate_demo(tmp_path / "demo.db", bills=20, seed=1)
    use_ledger(tmp_path / "demo.db")
    at = open_lookup("B1")
    assert at.button(key="lk_refresh").disabled
    facts = table_with(at, "value").set_index("")["value"]
    assert facts["Mode"].startswith("demo data")


# -- against a real sandbox -------------------------------------------------------------


@pytest.fixture
def sandbox(tmp_path):
    """A real sandbox on a free loopback port; yields its port."""
    port = free_port()
    app = create_app(
        SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(tmp_path / "sb.db"))
    )
    with serve(app, port):
        yield port
    app.state.sandbox.store.close()


def pay(port: int, token: str) -> None:
    answer = httpx.post(
        f"http://127.0.0.1:{port}/__sandbox/checkouts/{token}/pay",
        json={"card": APPROVED_CARD},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def test_check_with_provider_now_records_the_payment(use_ledger, tmp_path, sandbox):
    use_ledger(tmp_path / "ledger.db", sandbox_port=sandbox)
    with Ledger(tmp_path / "ledger.db") as ledger:
        made = Billing(load_settings(), ledger).pay_links.create(
            LOCAL_ADMIN,
            PayLinkDraft(
                amount="12.50",
                currency="BYN",
                description="Coffee beans",
                customer_email="anna@example.com",
            ),
        )
    at = open_lookup("anna@example.com")
    assert as_shown(at.info[0].value).startswith("The customer has not paid yet")
    pay(sandbox, made.bill.token)  # the notification goes nowhere: only a check can tell

    at.button(key="lk_refresh").click().run()
    said = as_shown(at.success[0].value)
    assert said == f"{made.ref}: pending → paid, 1 new payment(s) recorded."
    assert as_shown(at.success[1].value).startswith("Paid 12.50 BYN on ")
    assert list(table_with(at, "change")["change"])[-1] == "pending → paid"
    assert list(table_with(at, "kind")["amount"]) == ["12.50 BYN"]


def test_an_object_only_the_provider_knows_is_imported_through_the_page(
    use_ledger, tmp_path, sandbox
):
    use_ledger(tmp_path / "ledger.db", sandbox_port=sandbox)
    settings = load_settings()
    with BepaidClient.from_settings(settings) as bepaid:  # made elsewhere: a back office
        link = bepaid.create_checkout(
            NewCheckout(
                amount=1500,
                currency="EUR",
                description="Phone order",
                tracking_id="order-77",
                test=True,
            )
        )
    pay(sandbox, link.token)

    at = open_lookup(link.redirect_url)
    assert as_shown(at.warning[0].value).startswith("Nothing in the ledger matches")
    at.button(key="lk_import").click().run()
    assert not at.exception
    assert as_shown(at.success[0].value).startswith("Imported as B1")
    assert shown(at) == "B1 · card pay link · 15.00 EUR"
    assert as_shown(at.success[1].value).startswith("Paid 15.00 EUR on ")
    assert {row["source"] for row in table_with(at, "change").to_dict("records")} == {"poll"}
    assert at.query_params["q"] == link.redirect_url


def test_an_id_no_provider_knows_gets_a_clear_message(use_ledger, tmp_path, sandbox):
    use_ledger(tmp_path / "ledger.db", sandbox_port=sandbox)
    at = open_lookup("order-404404")
    at.button(key="lk_import").click().run()
    assert not at.exception
    assert "No provider knows 'order-404404'" in as_shown(at.error[0].value)


# -- card numbers are never searched, echoed or put in the address -----------------------

CARDS = ["4200000000000000", "4200 0000 0000 0000", "order 4012-0000-0000-1097"]


def page_text(at: AppTest) -> str:
    """Everything the page shows in text elements and tables (Markdown source)."""
    parts = [str(e.value) for e in at.main if hasattr(e, "value") and not callable(e.value)]
    return " ".join(parts)


@pytest.mark.parametrize("card", CARDS)
def test_a_typed_card_number_is_refused_before_it_reaches_the_url(use_ledger, shop_ledger, card):
    use_ledger(shop_ledger)
    at = search(open_lookup("B1"), card)  # a search was already in the address
    assert not at.exception
    assert "q" not in at.query_params
    assert at.text_input(key="lk_query").value == ""  # the box is cleared
    assert "never looked up or stored" in as_shown(at.error[0].value)
    assert not at.subheader  # nothing was searched
    digits = "".join(ch for ch in card if ch.isdigit())
    assert digits[:6] not in page_text(at).replace(" ", "").replace("-", "")


@pytest.mark.parametrize("card", CARDS)
def test_a_link_with_a_card_number_is_dropped(use_ledger, shop_ledger, card):
    use_ledger(shop_ledger)
    at = open_lookup(card)
    assert not at.exception
    assert "q" not in at.query_params
    assert at.text_input(key="lk_query").value == ""
    assert "never looked up or stored" in as_shown(at.error[0].value)


def test_a_uuid_whose_digits_pass_the_card_check_is_still_searched(use_ledger, shop_ledger):
    use_ledger(shop_ledger)
    bill_id = "10853451-4290-4007-81c0-5a5887adfac9"  # "1085345142904007" is Luhn-valid
    at = search(open_lookup(), bill_id)
    assert at.query_params["q"] == bill_id
    assert as_shown(at.warning[0].value).startswith("Nothing in the ledger matches")


def test_a_failed_payment_shows_why_in_the_providers_words(use_ledger, tmp_path):
    from console.ledger import Attempt

    path = tmp_path / "failed.db"
    with Ledger(path) as ledger:
        bill_id = ledger.create_bill(
            NewBill(
                provider="bepaid",
                kind="card_link",
                tracking_id="order-7",
                amount=1000,
                currency="BYN",
                status=BillStatus.PENDING,
                at=AT,
            )
        )
        ledger.record_bill_status(bill_id, BillStatus.FAILED, "failed", "poll", AT)
        said = {"message": "Payment declined", "code": "F.0002", "three_ds": "successful"}
        card = {"card_brand": "visa", "card_last4": "0019", "method": "credit_card"}
        ledger.attempts.record(
            [Attempt("bill", bill_id, "bepaid", "uid-9", "failed", AT, **said, **card)]
        )
    use_ledger(path)
    at = open_lookup(f"B{bill_id}")
    assert not at.exception
    assert "Payment declined (F.0002); card visa ·· 0019" in as_shown(at.error[0].value)
    row = table_with(at, "why (the provider's words)").iloc[0]
    shown = (row["why (the provider's words)"], row["card"], row["3-D Secure"])
    assert tuple(as_shown(cell) for cell in shown) == (
        "Payment declined (F.0002)",
        "visa ·· 0019",
        "successful",
    )
