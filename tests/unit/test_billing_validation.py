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
     ("a\nb", "one line: it contains a line break (U+000A)"),
     ("tab\there", "a control character U+0009 (tab)"),
     ("nul\x00", "a control character U+0000 (NUL)"),
     ("x" * 256, "At most 255"), ("pay 4200000000000000 now", "card number")],
)  # fmt: skip
def test_text_refusals(given, words):
    assert words in refused(text, given, required=True)


@pytest.mark.parametrize(
    ("given", "named"),
    [("evil\u202etxt.exe", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
     ("a\u202ab", "U+202A (LEFT-TO-RIGHT EMBEDDING)"),
     ("a\u2066b\u2069", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
     ("a\u200eb", "U+200E (LEFT-TO-RIGHT MARK)"), ("a\u200fb", "U+200F (RIGHT-TO-LEFT MARK)"),
     ("a\u061cb", "U+061C (ARABIC LETTER MARK)"),
     ("pay\u200bpal", "U+200B (ZERO WIDTH SPACE)"),
     ("a\u200cb", "U+200C (ZERO WIDTH NON-JOINER)"),
     ("a\u200db", "U+200D (ZERO WIDTH JOINER)"),  # between letters, not emoji
     ("a\u2060b", "U+2060 (WORD JOINER)"),
     ("\ufeffOrder 1", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),  # a BOM
     ("soft\u00adhyphen", "U+00AD (SOFT HYPHEN)"),
     ("hi\U000e0041\U000e0042", "U+E0041 (TAG LATIN CAPITAL LETTER A)")],
)  # fmt: skip
def test_text_refuses_invisible_characters_by_name(given, named):
    assert refused(text, given) == f"This contains an invisible character {named}; remove it."


@pytest.mark.parametrize(
    ("given", "named"),
    [("one\u2028two", "U+2028 LINE SEPARATOR"), ("one\u2029two", "U+2029 PARAGRAPH SEPARATOR"),
     ("one\x85two", "U+0085"), ("one\rtwo", "U+000D"), ("one\x0btwo", "U+000B")],
)  # fmt: skip
def test_text_is_one_line_whatever_the_line_break(given, named):
    assert refused(text, given) == f"Keep this to one line: it contains a line break ({named})."


@pytest.mark.parametrize("given", ["a\x1bb", "a\x7fb", "a\x9bb"])  # ESC, DEL, a C1 control
def test_text_refuses_every_control_character(given):
    assert "a control character U+" in refused(text, given)


def test_a_lone_surrogate_is_refused_before_it_can_fail_an_encoder():
    message = refused(text, "Order \ud83d 1")
    assert message == ("This contains a broken character (a lone surrogate, U+D83D); remove it.")
    message.encode("utf-8")  # the message itself never carries the broken character


@pytest.mark.parametrize(
    "given",
    ["Team \U0001f469\u200d\U0001f4bb", "\U0001f3f3\ufe0f\u200d\U0001f308 pride",
     "\U0001f9d1\U0001f3fd\u200d\U0001f680 launch", "\u2764\ufe0f\u200d\U0001f525",
     "\U0001f468\u200d\U0001f469\u200d\U0001f467 family", "\u2764\ufe0f gift"],
)  # fmt: skip
def test_emoji_joined_by_a_zero_width_joiner_are_allowed_in_free_text(given):
    assert text(given) == given


@pytest.mark.parametrize(
    "given", ["\u200d\U0001f4bb", "\U0001f469\u200d", "\U0001f469\u200d x", "x\u200d\U0001f4bb"]
)
def test_a_joiner_that_joins_no_two_emoji_is_refused(given):
    assert "U+200D" in refused(text, given)


def test_invisible_characters_are_refused_in_every_text_based_rule():
    assert "U+202E" in refused(identifier, "pln\u202e1")
    assert "U+200B" in refused(phone, "+375\u200b291234567")
    assert "U+FEFF" in refused(language, "\ufeffen")
    assert "U+2066" in refused(uuid_text, "\u2066550e8400-e29b-41d4-a716-446655440001")


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
     ("https://s.example/?pan=4200-0000-0000-0000", "card number"),
     ("https://shop.example/\u2028x", "spaces"),
     ("https://shop.example/\u202ecod.exe", "invisible character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
     ("https://shop.example/\u2067x", "invisible character U+2067"),
     ("https://shop\u200b.example/", "invisible character U+200B (ZERO WIDTH SPACE)"),
     ("\ufeffhttps://shop.example/", "invisible character U+FEFF"),
     ("https://shop.example/\U0001f469\u200d\U0001f4bb", "U+200D"),  # no emoji exception
     ("https://shop.example/\udc80", "a broken character (a lone surrogate, U+DC80)")],
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
     ("+375 29\n1234567", "one line"), ("1" * 41, "At most 40")],
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
    assert whole_number("007", minimum=1, maximum=10) == 7
    assert whole_number(None, minimum=1, maximum=10, required=False) is None
    assert "from 1 to 10" in refused(whole_number, 11, minimum=1, maximum=10)


@pytest.mark.parametrize(
    ("given", "named"),
    [("\u00b2", "U+00B2 SUPERSCRIPT TWO"),  # isdigit() says yes, int() raises
     ("\u0663", "U+0663 ARABIC-INDIC DIGIT THREE"),  # int() would read 3
     ("\uff13", "U+FF13 FULLWIDTH DIGIT THREE"), ("1\u0966", "U+0966 DEVANAGARI DIGIT ZERO")],
)  # fmt: skip
def test_whole_numbers_are_typed_with_ascii_digits(given, named):
    message = refused(whole_number, given, minimum=1, maximum=1000)
    assert message == f"Type the number with the digits 0-9 (this has {named})."
    assert refused(interval, given, "day") == message


def test_a_number_too_long_to_be_in_range_is_refused_without_parsing_it():
    assert "from 1 to 12" in refused(whole_number, "9" * 5000, minimum=1, maximum=12)
    assert refused(whole_number, "+3", minimum=1, maximum=12) == "Enter a whole number."


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


def test_fields_refuses_a_broken_character_that_a_rule_let_through():
    fields = Fields()
    assert fields.check("extended", lambda: {"note": "ok \udc80"}) is None
    assert fields.check("title", lambda: "fine") == "fine"
    assert fields.errors == {
        "extended": "This contains a broken character that cannot be stored or sent."
    }


def test_fields_without_errors_does_not_raise():
    fields = Fields()
    fields.check("title", text, "Plan", required=True)
    fields.raise_if_any()
    assert not fields.has("title")
