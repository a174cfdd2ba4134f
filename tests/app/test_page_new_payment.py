"""New payment page: card pay links, APM payments and Payture bills created through a real
sandbox; bad input is pointed out under its field and nothing reaches the ledger."""

from __future__ import annotations

import httpx
import pytest

from console.auth import Actor, Role
from console.ledger import Ledger
from console.status import BillStatus
from tests.app import sell_support as sell
from tests.app.sell_support import error_under, fill, flat, ledger_counts, open_page, texts

# Fixtures: a real sandbox per module, the demo ledger, the console's environment.
sandbox = sell.sandbox
demo_ledger = sell.demo_ledger
console_env = sell.console_env

GIFT = "550e8400-e29b-41d4-a716-446655440007"  # the sandbox catalogue's gift product


def choose_kind(at, kind: str):
    return at.segmented_control(key="np_kind").set_value(kind).run()


def only_bill(path) -> object:
    with Ledger(path) as ledger:
        [bill] = ledger.recent_bills(5)
        return bill


@pytest.mark.parametrize("which", ["empty", "demo"])
def test_every_kind_renders_on_an_empty_and_a_demo_ledger(
    which, console_env, demo_ledger, sandbox, tmp_path
):
    console_env(demo_ledger if which == "demo" else tmp_path / "empty.db", sandbox)
    at = open_page("new_payment")
    assert not at.exception
    assert at.title[0].value == "New payment"
    assert at.text_input(key="np_card_amount").value == ""
    assert at.selectbox(key="np_card_currency").options[:4] == ["BYN", "RUB", "EUR", "USD"]
    assert at.number_input(key="np_card_hours").value == 24
    choose_kind(at, "apm")
    assert "erip" in at.selectbox(key="np_apm_method").options
    choose_kind(at, "payture")
    assert not at.exception
    products = at.selectbox(key="np_pt_product").options
    assert "Gift: Premium, 3 months — 2 499.00 RUB · gift" in products


CARD = {"np_card_amount": "12.50", "np_card_description": "Order 17"}
BAD_INPUT = [
    # (kind, values, widget whose message it is, words of the message)
    ("card", {**CARD, "np_card_amount": "12,5x"}, "np_card_amount", "amount"),
    ("card", {**CARD, "np_card_amount": "0"}, "np_card_amount", "more than zero"),
    ("card", {**CARD, "np_card_amount": "1.234"}, "np_card_amount", "decimal"),
    ("card", {**CARD, "np_card_currency": "XYZ"}, "np_card_currency", "ISO 4217"),
    ("card", {**CARD, "np_card_success_url": "javascript:alert(1)"}, "np_card_success_url",
     "not allowed"),
    ("card", {**CARD, "np_card_decline_url": "shop.example/sorry"}, "np_card_decline_url",
     "https://"),
    ("card", {**CARD, "np_card_description": "x" * 256}, "np_card_description", "At most 255"),
    ("card", {**CARD, "np_card_description": "Card 4200 0000 0000 0000"},
     "np_card_description", "card number"),
    ("card", {**CARD, "np_card_email": "nobody"}, "np_card_email", "e-mail"),
    ("apm", {"np_apm_amount": "5", "np_apm_description": "Order",
             "np_apm_return_url": "ftp://shop.example"}, "np_apm_return_url", "https://"),
    ("apm", {"np_apm_amount": "", "np_apm_description": "Order"}, "np_apm_amount", "amount"),
    ("apm", {"np_apm_amount": "5", "np_apm_description": "Order", "np_apm_phone": "call me"},
     "np_apm_phone", "phone number"),
    ("apm", {"np_apm_amount": "5", "np_apm_description": "Order",
             "np_apm_phone": "4200 0000 0000 0000"}, "np_apm_phone", "card number"),
    ("apm", {"np_apm_amount": "5", "np_apm_description": "Order", "np_apm_first_name": "J" * 61},
     "np_apm_first_name", "At most 60"),
    ("payture", {"np_pt_product": GIFT, "np_pt_gift_message": "Happy birthday!"},
     "np_pt_user", "required"),
    ("payture", {"np_pt_product": GIFT, "np_pt_user": "guest-1",
                 "np_pt_gift_message": "x" * 1001}, "np_pt_gift_message", "At most 1000"),
    ("payture", {"np_pt_product": GIFT, "np_pt_user": "guest-1",
                 "np_pt_redirect_url": "data:text/html,hi"}, "np_pt_redirect_url", "not allowed"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "values", "key", "words"), BAD_INPUT)
def test_bad_input_is_shown_under_its_field_and_nothing_is_written(
    kind, values, key, words, console_env, sandbox, tmp_path
):
    ledger = console_env(tmp_path / "ledger.db", sandbox)
    at = open_page("new_payment")
    choose_kind(at, kind)
    fill(at, values)
    at.button(key={"card": "np_card_submit", "apm": "np_apm_submit",
                   "payture": "np_pt_submit"}[kind]).click().run()  # fmt: skip
    assert not at.exception
    message = error_under(at, key)
    assert message is not None and words.lower() in message.lower(), message
    assert ledger_counts(ledger)[:2] == (0, 0)  # no bill, no subscription
    assert not at.code and not at.image  # no pay link was made


def test_a_card_pay_link_is_created_with_its_link_and_qr_code(console_env, sandbox, tmp_path):
    ledger = console_env(tmp_path / "ledger.db", sandbox)
    at = open_page("new_payment")
    fill(at, {**CARD, "np_card_email": "Anna@Example.com", "np_card_currency": "EUR"})
    at.button(key="np_card_submit").click().run()
    assert not at.exception
    bill = only_bill(ledger)
    assert (bill.kind, bill.status, bill.amount, bill.currency) == (
        "card_link",
        BillStatus.PENDING,
        1250,
        "EUR",
    )
    assert bill.pay_url.startswith(sandbox.url) and bill.customer_email == "anna@example.com"
    assert at.success[0].value == f"Pay link {bill.ref} created."
    assert at.code[0].value == bill.pay_url  # st.code: the copy button comes with it
    assert len(at.image) == 1  # the QR code
    assert {b.label for b in at.download_button} == {"QR code (PNG)", "QR code (SVG)"}
    assert bill.expires_at is not None  # 24 hours by default


def test_check_status_sees_a_paid_link(console_env, sandbox, tmp_path):
    ledger = console_env(tmp_path / "ledger.db", sandbox)
    at = open_page("new_payment")
    fill(at, CARD)
    at.button(key="np_card_submit").click().run()
    bill = only_bill(ledger)
    sandbox.admin(f"checkouts/{bill.token}/pay", {"card": "4200000000000000"})
    at.button(key="np_refresh").click().run()
    assert not at.exception
    assert only_bill(ledger).status == BillStatus.PAID
    assert "status **paid**" in texts(at, "markdown")


def test_an_apm_payment_shows_its_form_escaped_with_preview_and_download(
    console_env, sandbox, tmp_path
):
    ledger = console_env(tmp_path / "ledger.db", sandbox)
    at = open_page("new_payment")
    choose_kind(at, "apm")
    fill(at, {"np_apm_amount": "7.00", "np_apm_description": 'Order "7" <b>',
              "np_apm_method": "erip", "np_apm_email": "payer@example.com"})  # fmt: skip
    at.button(key="np_apm_submit").click().run()
    assert not at.exception
    bill = only_bill(ledger)
    assert (bill.kind, bill.status, bill.extra["method_type"]) == (
        "apm",
        BillStatus.PENDING,
        "erip",
    )
    action = bill.form["action"]
    assert action.startswith(f"{sandbox.url}/external/apm/")
    [preview] = at.html
    [source] = [code for code in at.code if code.language == "html"]
    assert source.value.startswith(f'<form action="{action}" method="post"')
    # The preview is the same form, opening the payment page in a new tab: pressing Pay
    # in it never takes the console's own tab away (the copied form is left as it is).
    assert preview.value == source.value.replace(
        "<form ", '<form target="_blank" rel="noopener noreferrer" ', 1
    )
    assert "Order" not in source.value  # the description is ours, not the form's
    assert "Download the form (.html)" in {b.label for b in at.download_button}


def test_payer_details_of_an_apm_payment_reach_the_gateway_and_lookup(
    console_env, sandbox, tmp_path
):
    ledger = console_env(tmp_path / "ledger.db", sandbox)
    at = open_page("new_payment")
    choose_kind(at, "apm")
    fill(at, {"np_apm_amount": "3", "np_apm_description": "Order 9", "np_apm_method": "erip",
              "np_apm_first_name": " Alena ", "np_apm_last_name": "Kaval",
              "np_apm_phone": "+375 29 123-45-67", "np_apm_country": "BY",
              "np_apm_city": "Minsk"})  # fmt: skip
    at.button(key="np_apm_submit").click().run()
    assert not at.exception
    bill = only_bill(ledger)
    payer = {"first_name": "Alena", "last_name": "Kaval", "phone": "+375 29 123-45-67",
             "country": "BY", "city": "Minsk"}  # fmt: skip
    assert bill.extra["customer"] == payer
    state = httpx.get(f"{sandbox.url}/__sandbox/state", timeout=10).json()
    [sent] = [t for t in state["beyag"]["transactions"] if t["uid"] == bill.provider_id]
    assert {k: sent["customer"].get(k) for k in payer} == payer  # what the gateway got

    lookup = open_page("lookup")
    lookup.text_input(key="lk_query").set_value(bill.ref).run()
    [facts] = [t.value for t in lookup.table if "value" in t.value.columns]
    payer_shown = facts.set_index("")["value"]["Payer"].replace("\\", "")  # markdown escapes
    assert payer_shown == "Alena Kaval · +375 29 123-45-67 · BY · Minsk"


def test_a_payture_gift_bill_carries_its_extended_data(console_env, sandbox, tmp_path):
    ledger = console_env(tmp_path / "ledger.db", sandbox)
    at = open_page("new_payment")
    choose_kind(at, "payture")
    fill(at, {"np_pt_product": GIFT, "np_pt_user": "guest-7",
              "np_pt_gift_recipient": "Olga", "np_pt_gift_message": "Happy birthday!",
              "np_pt_utm_source": "newsletter"})  # fmt: skip
    at.button(key="np_pt_submit").click().run()
    assert not at.exception
    bill = only_bill(ledger)
    assert (bill.kind, bill.status, bill.amount, bill.currency) == (
        "payture_bill",
        BillStatus.PENDING,
        249900,
        "RUB",
    )
    assert bill.extra["user_id"] == "guest-7"
    assert bill.extra["extended"] == {
        "giftRecipient": "Olga", "giftMessage": "Happy birthday!", "utm_source": "newsletter"
    }  # fmt: skip
    assert "/apim/Pay?SessionId=" in at.code[0].value
    assert len(at.image) == 1


def test_a_provider_failure_is_a_title_and_a_sentence(console_env, sandbox, tmp_path):
    ledger = console_env(tmp_path / "ledger.db", sandbox)
    at = open_page("new_payment")
    fill(at, CARD)
    sandbox.admin("faults", {"kind": "error", "status": 503, "method": "POST",
                             "path": "/ctp/api/checkouts", "count": 10})  # fmt: skip
    try:
        at.button(key="np_card_submit").click().run()
    finally:
        sandbox.clear_faults()
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("**") and "Traceback" not in error.value
    assert "failed" in error.value  # the attempt is kept, and said so
    assert only_bill(ledger).status == BillStatus.FAILED
    assert not at.code


def test_a_lost_answer_is_being_confirmed_with_check_again(console_env, sandbox, tmp_path):
    ledger = console_env(tmp_path / "ledger.db", sandbox)
    at = open_page("new_payment")
    fill(at, CARD)
    sandbox.admin("faults", {"kind": "commit_then_timeout", "seconds": 0.2, "method": "POST",
                             "path": "/ctp/api/checkouts"})  # fmt: skip
    at.button(key="np_card_submit").click().run()
    assert not at.exception
    assert "being confirmed" in at.info[0].value
    assert only_bill(ledger).status == BillStatus.CREATING
    at.button(key="np_confirm").click().run()
    assert not at.exception
    assert "being confirmed" in at.info[0].value  # still honest: not found, not lost
    assert not at.code  # no link to hand out while unconfirmed


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.VIEWER])
def test_roles_that_cannot_create_get_no_form(role, console_env, tmp_path):
    console_env(tmp_path / "ledger.db")
    at = open_page("new_payment", Actor("sam", role))
    assert not at.exception
    assert "may not create payments" in at.error[0].value
    assert not at.text_input and not at.button


def test_without_the_login_gate_no_form_is_shown(console_env, tmp_path):
    console_env(tmp_path / "ledger.db")
    at = open_page("new_payment", actor=None)
    assert "Not signed in" in at.error[0].value
    assert not [e for e in flat(at) if e.type == "text_input"]
