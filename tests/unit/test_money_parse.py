"""Parsing what a person types into minor units, and every way it can be refused."""

import pytest

from console.errors import InvalidAmount, UnknownCurrency
from console.money import parse_amount


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12", "EUR", 1200),
        ("12.5", "EUR", 1250),
        ("12.50", "EUR", 1250),
        ("1 234,56", "EUR", 123456),
        ("1,234.56", "USD", 123456),
        ("1.234,56", "EUR", 123456),
        ("1\u00a0234,56", "BYN", 123456),  # no-break space from a copied spreadsheet
        ("1\u202f234.5", "RUB", 123450),  # narrow no-break space (French grouping)
        ("1'234.56", "CHF", 123456),  # Swiss apostrophe grouping
        ("  7.05 ", "eur", 705),  # surrounding space, lower-case currency
        ("0.01", "EUR", 1),
        (",5", "EUR", 50),
        ("12,5", "BYN", 1250),  # decimal comma
        ("1,234,567", "JPY", 1234567),
        ("1234", "JPY", 1234),
        ("1.234", "KWD", 1234),  # three-decimal dinar
        ("0.0001", "CLF", 1),  # four decimals
        ("+5", "EUR", 500),
    ],
)
def test_accepts_common_ways_of_typing_an_amount(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "words"),
    [
        ("", "EUR", "Enter an amount"),
        ("   ", "EUR", "Enter an amount"),
        ("-5", "EUR", "positive"),
        ("\u22125", "EUR", "positive"),
        ("0", "EUR", "more than zero"),
        ("0.00", "EUR", "more than zero"),
        ("abc", "EUR", "not an amount"),
        ("12 EUR", "EUR", "not an amount"),
        ("1e5", "EUR", "not an amount"),
        ("0x10", "EUR", "not an amount"),
        ("NaN", "EUR", "not a number"),
        ("inf", "EUR", "not a number"),
        ("-Infinity", "EUR", "not a number"),
        ("12.345", "EUR", "at most 2 decimal places"),
        ("1.5", "JPY", "no decimals"),
        ("1.2345", "KWD", "at most 3 decimal places"),
        ("1,234", "EUR", "ambiguous"),
        ("1,23,4", "EUR", "misplaced"),
        ("1.2.3", "EUR", "misplaced"),
        ("1,2.3,4", "EUR", "mixes separators"),
        (".", "EUR", "not an amount"),
        ("9" * 41, "EUR", "too long"),
        ("10000000000", "EUR", "above the maximum"),
        ("\u0661\u0662", "EUR", "digits 0-9 ('١٢' has U+0661)"),  # Arabic-Indic: not 12
        ("\uff11\uff12.50", "EUR", "digits 0-9"),  # full width
        ("1\u00b2", "EUR", "digits 0-9 ('1²' has U+00B2)"),  # isdigit() but not int()
        ("12\u202e", "EUR", "not an amount"),
    ],
)
def test_refuses_with_a_message_that_says_why(text, currency, words):
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(text, currency)
    assert words in caught.value.message
    assert caught.value.field == "amount"


@pytest.mark.parametrize("currency", ["", "EU", "EURO", "XXX", "XAU", "XTS", "ABC", "€"])
def test_refuses_unknown_or_unpayable_currency(currency):
    with pytest.raises(UnknownCurrency) as caught:
        parse_amount("10", currency)
    assert "ISO 4217" in caught.value.message
    assert caught.value.field == "currency"


@pytest.mark.parametrize("currency", ["E\u202eUR", "EU\ud800"])
def test_an_unknown_currency_is_named_without_its_invisible_characters(currency):
    with pytest.raises(UnknownCurrency) as caught:
        parse_amount("10", currency)
    assert caught.value.message.startswith(ascii(currency))
    caught.value.message.encode("ascii")


def test_maximum_is_configurable_and_inclusive():
    assert parse_amount("100.00", "EUR", maximum=10_000) == 10_000
    with pytest.raises(InvalidAmount, match=r"above the maximum of 100\.00 EUR"):
        parse_amount("100.01", "EUR", maximum=10_000)
