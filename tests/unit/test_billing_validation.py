"""The input rules pages and billing share: every kind of bad input, and what good input becomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from console.errors import ValidationError
from console.validation import (
    FORM,
    Fields,
    InvalidInput,
    amount,
    country,
    currency,
    email,
    expiry,
    identifier,
    interval,
    interval_unit,
    ip_address,
    language,
    phone,
    text,
    url,
    uuid_text,
    whole_number,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MINSK = ZoneInfo("Europe/Minsk")


def refused(rule, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        rule(*args, **kwargs)
    assert caught.value.message
    return caught.value.message


# -- amounts and currencies ----------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "code", "minor"),
    [("12.50", "EUR", 1250), ("1 234,5", "EUR", 123450), ("1500", "JPY", 1500),
     ("1.234", "KWD", 1234), (1250, "EUR", 1250), ("  7 ", "BYN", 700)],
)  # fmt: skip
def test_amount_accepts_typed_text_and_minor_units(given, code, minor):
    assert amount(given, code, maximum=10**9) == minor


@pytest.mark.parametrize(
    ("given", "words"),
    [("", "Enter an amount"), (None, "Enter an amount"), ("abc", "not an amount"),
     ("-1", "positive"), ("0", "more than zero"), ("1.234", "at most 2 decimal"),
     ("1,234", "ambiguous"), ("nan", "not a number"), (0, "more than zero"),
     (-5, "more than zero"), (12.5, "whole minor units"), (True, "whole minor units"),
     ("1000001", "above the maximum"), (10**8 + 1, "above the maximum")],
)  # fmt: skip
def test_amount_refusals_say_what_is_wrong(given, words):
    assert words in refused(amount, given, "EUR", maximum=10**8)


@pytest.mark.parametrize("given", ["", None, "EURO", "XYZ", "XAU", 978])
def test_currency_refusals(given):
    refused(currency, given)


def test_currency_is_upper_cased():
    assert currency(" byn ") == "BYN"


# -- text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "words"),
    [("   ", "required"), (None, "required"), (42, "must be text"),
     ("a\nb", "control characters"), ("tab\there", "control characters"),
     ("nul\x00", "control characters"), ("evil\u202etxt.exe", "direction overrides"),
     ("x" * 256, "At most 255"), ("pay 4200000000000000 now", "card number")],
)  # fmt: skip
def test_text_refusals(given, words):
    assert words in refused(text, given, required=True)


def test_text_is_stripped_and_optional_text_may_be_empty():
    assert text("  Order 17  ") == "Order 17"
    assert text("", required=False) is None
    assert text("Привет, заказ №5 — 2 шт.") == "Привет, заказ №5 — 2 шт."
    assert text("y" * 1000, max_length=1000) == "y" * 1000


@pytest.mark.parametrize("given", ["has space", "semi;colon", "slash/x", "é-accent"])
def test_identifier_refusals(given):
    refused(identifier, given, required=True)


def test_identifier_accepts_provider_ids():
    for value in ("pln_0e3e3f6934a07d23", "469391462-e89f2aa4dd", "order:17.b"):
        assert identifier(value) == value


@pytest.mark.parametrize("given", ["premium", "550e8400e29b41d4a716446655440001x", "{550e8400}"])
def test_uuid_refusals(given):
    refused(uuid_text, given, required=True)


def test_uuid_is_lower_cased_and_never_taken_for_a_card():
    value = "550E8400-E29B-41D4-A716-446655449999"  # its 716-446655449999 passes Luhn
    assert uuid_text(value) == value.lower()


@pytest.mark.parametrize("given", ["english", "e", "1a", "en-US"])
def test_language_refusals(given):
    refused(language, given)


def test_language_is_lower_cased():
    assert language("RU") == "ru" and language(None) is None


@pytest.mark.parametrize("given", ["999.1.1.1", "localhost", "1.2.3"])
def test_ip_refusals(given):
    refused(ip_address, given)


def test_ip_accepts_v4_and_v6():
    assert ip_address("203.0.113.7") == "203.0.113.7"
    assert ip_address("2001:DB8::1") == "2001:db8::1"


# -- addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "words"),
    [("javascript:alert(1)", "javascript: addresses are not allowed"),
     ("JavaScript:alert(1)", "javascript: addresses are not allowed"),
     ("data:text/html,<b>x</b>", "data: addresses"), ("file:///etc/passwd", "file: addresses"),
     ("vbscript:x", "vbscript: addresses"), ("ftp://shop.example/", "starting with https"),
     ("shop.example/thanks", "starting with https"), ("/thanks", "starting with https"),
     ("https://", "starting with https"), ("https://user:pw@shop.example/", "user name"),
     ("https://user@shop.example/", "user name"), ("https://shop.example/a b", "spaces"),
     ("https://shop.example/\x07", "control"), ("https://shop.example:99999/", "not a valid"),
     ("https://shop.example/" + "a" * 2030, "at most 2048"), (42, "must be text"),
     ("https://s.example/?pan=4200-0000-0000-0000", "card number")],
)  # fmt: skip
def test_url_refusals(given, words):
    assert words in refused(url, given)


def test_url_live_mode_requires_https():
    assert "https" in refused(url, "http://shop.example/", https_only=True)
    assert url("https://shop.example/", https_only=True) == "https://shop.example/"


def test_url_accepts_http_in_sandbox_mode_and_empty_when_optional():
    assert url(" http://127.0.0.1:8501/done?x=1 ") == "http://127.0.0.1:8501/done?x=1"
    assert url("") is None
    assert "Enter a web address" in refused(url, "", required=True)


@pytest.mark.parametrize(
    "given",
    ["payer.example.com", "payer@example", "pay er@example.com", "a@@b.example",
     ".a@b.example", "a.@b.example", "a..b@c.example", "a@-b.example", "a@b.123",
     "a" * 65 + "@b.example", "a@" + "b" * 250 + ".io", "a@b.example\nBcc: x@y.example"],
)  # fmt: skip
def test_email_refusals(given):
    refused(email, given)


@pytest.mark.parametrize(
    ("given", "words"),
    [("call me", "phone number"), ("12 34", "5-15 digits"), ("+1 234 567 890 123 456", "5-15"),
     ("++375291234567", "phone number"), ("375-", "phone number"), ("4200000000000000", "card"),
     ("+375 29\n1234567", "control characters"), ("1" * 41, "At most 40")],
)  # fmt: skip
def test_phone_refusals(given, words):
    assert words in refused(phone, given)


def test_phone_keeps_what_a_person_wrote():
    assert phone(" +375 (29) 123-45-67 ") == "+375 (29) 123-45-67"
    assert phone("8.017.222.33.44") == "8.017.222.33.44"
    assert phone("") is None


@pytest.mark.parametrize("given", ["XX", "BLR", "B", "12", "Belarus", "ZZ"])
def test_country_refusals(given):
    assert "two-letter country code" in refused(country, given)


def test_country_is_an_upper_cased_iso_code():
    assert country("lv") == "LV" and country(" by ") == "BY"
    assert country(None) is None


def test_email_is_lower_cased_and_optional():
    assert email(" Payer.Name+tag@Example.COM ") == "payer.name+tag@example.com"
    assert email("") is None
    refused(email, "", required=True)


# -- time and intervals --------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "words"),
    [(NOW - timedelta(seconds=1), "at least 5 minutes"),
     (NOW + timedelta(minutes=4), "at least 5 minutes"),
     (NOW + timedelta(days=30, seconds=1), "at most 30 days"),
     ("2025-03-02", "Pick a date")],
)  # fmt: skip
def test_expiry_refusals(given, words):
    assert words in refused(expiry, given, now=NOW, tz=UTC)


def test_expiry_reads_a_naive_time_in_the_console_time_zone():
    chosen = expiry(datetime(2025, 3, 1, 18, 0), now=NOW, tz=MINSK)
    assert chosen == datetime(2025, 3, 1, 15, 0, tzinfo=UTC)
    assert expiry(None, now=NOW, tz=UTC) is None


@pytest.mark.parametrize(
    ("count", "unit", "ok"),
    [(1, "hour", True), (720, "hour", True), (721, "hour", False), (365, "day", True),
     (366, "day", False), (12, "month", True), (13, "month", False), (0, "day", False),
     ("3", "day", True), ("three", "day", False), (2.5, "day", False), (True, "day", False)],
)  # fmt: skip
def test_interval_limits(count, unit, ok):
    if ok:
        assert interval(count, unit) == int(count)
    else:
        refused(interval, count, unit)


@pytest.mark.parametrize("given", ["week", "", None, "Month"])
def test_interval_unit_refusals(given):
    refused(interval_unit, given)


def test_whole_number_bounds_and_optional_empty():
    assert whole_number(" 7 ", minimum=1, maximum=10) == 7
    assert whole_number(None, minimum=1, maximum=10, required=False) is None
    assert "from 1 to 10" in refused(whole_number, 11, minimum=1, maximum=10)


# -- collecting ----------------------------------------------------------------------


def test_fields_collects_one_message_per_field_and_raises_them_together():
    fields = Fields()
    assert fields.check("amount", amount, "-1", "EUR") is None
    assert fields.check("currency", currency, "EUR") == "EUR"
    fields.check("email", email, "nope")
    fields.add("email", "second message is ignored")
    fields.add(FORM, "Something about the whole form.")
    with pytest.raises(InvalidInput) as caught:
        fields.raise_if_any()
    errors = caught.value.errors
    assert list(errors) == ["amount", "email", FORM]
    assert "second" not in errors["email"]
    assert caught.value.field == "amount" and "amount:" in caught.value.message


def test_fields_without_errors_does_not_raise():
    fields = Fields()
    fields.check("title", text, "Plan", required=True)
    fields.raise_if_any()
    assert not fields.has("title")
