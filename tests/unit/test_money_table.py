"""The ISO 4217 exponent table, formatting, and Money arithmetic that never mixes currencies."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.errors import UnknownCurrency
from console.money import (
    EXPONENTS,
    Money,
    exponent,
    format_amount,
    format_money,
    parse_amount,
    totals_by_currency,
)


@pytest.mark.parametrize("code", ["JPY", "KRW", "VND", "CLP", "ISK", "XOF", "XAF", "PYG", "UGX"])
def test_zero_decimal_currencies(code):
    assert exponent(code) == 0


@pytest.mark.parametrize("code", ["KWD", "BHD", "JOD", "OMR", "TND", "IQD", "LYD"])
def test_three_decimal_currencies(code):
    assert exponent(code) == 3


@pytest.mark.parametrize("code", ["EUR", "USD", "BYN", "RUB", "GBP", "PLN", "KZT", "CNY"])
def test_two_decimal_currencies(code):
    assert exponent(code) == 2


def test_clf_has_four_decimals_and_the_table_is_complete():
    assert exponent("CLF") == 4
    # ISO 4217 lists about 180 codes; those without a minor unit (XAU, XDR...) are excluded.
    assert len(EXPONENTS) > 150
    assert "XAU" not in EXPONENTS and "XXX" not in EXPONENTS


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (123456, "EUR", "1 234.56 EUR"),
        (5, "EUR", "0.05 EUR"),
        (1234567, "JPY", "1 234 567 JPY"),
        (1, "KWD", "0.001 KWD"),
        (-1500, "BYN", "-15.00 BYN"),
        (0, "USD", "0.00 USD"),
    ],
)
def test_format_money(minor, currency, shown):
    assert format_money(minor, currency) == shown


def test_format_refuses_floats():
    with pytest.raises(TypeError):
        format_amount(12.5, "EUR")
    with pytest.raises(TypeError):
        Money(12.5, "EUR")


@given(
    code=st.sampled_from(sorted(EXPONENTS)),
    minor=st.integers(min_value=1, max_value=10**12 - 1),
)
def test_parse_of_format_is_identity_for_every_currency(code, minor):
    assert parse_amount(format_amount(minor, code), code) == minor


def test_money_never_adds_across_currencies():
    assert Money(100, "EUR") + Money(250, "eur") == Money(350, "EUR")
    with pytest.raises(ValueError, match="cannot add USD to EUR"):
        Money(100, "EUR") + Money(100, "USD")
    with pytest.raises(UnknownCurrency):
        Money(1, "XXX")


def test_totals_are_kept_per_currency():
    amounts = [Money(100, "EUR"), Money(500, "JPY"), Money(-40, "EUR"), Money(7, "JPY")]
    assert totals_by_currency(amounts) == {"EUR": 60, "JPY": 507}
