"""Money: ISO 4217 minor units, parsing what a person types, and formatting for display.

Every amount in the console is an integer count of the currency's minor unit
(``1234`` EUR is 12.34 EUR, ``1234`` JPY is 1,234 yen, ``1234`` KWD is 1.234 dinar).
Floats never appear: text is parsed digit by digit, and display is built from
``divmod``.

The exponent table comes from the ``iso4217`` package, which ships the ISO 4217
list published by the maintenance agency (SIX). Codes whose minor unit is "N.A." in
that list (gold, SDRs, the test code XTS, "no currency" XXX) are not payable and are
rejected as unknown.

Parsing rules (chosen so that a slip never becomes a thousand-fold mistake):

* spaces (ordinary, no-break, thin) and apostrophes are digit-group separators;
* when both ``.`` and ``,`` appear, the last one is the decimal mark;
* one separator repeated (``1,234,567``) is a group separator;
* a single ``.`` is a decimal point;
* a single ``,`` is a decimal comma, except when exactly three digits follow it
  (``1,234``): that is rejected as ambiguous rather than guessed;
* more decimals than the currency has, a sign, zero, NaN/infinity, anything that
  is not digits, or more than ``maximum`` minor units, are each rejected with a
  message that says which;
* digits are ASCII ``0-9`` only: ``"١٢"`` (Arabic-Indic) or ``"１２"`` (full width)
  is refused with a message naming the character, never read as 12.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from iso4217 import Currency

from console.errors import InvalidAmount, UnknownCurrency

#: Largest amount accepted by default, in minor units. Callers (config) may pass
#: a smaller or larger ``maximum``; the property tests need at least 10**12 - 1.
DEFAULT_MAXIMUM = 10**12 - 1

#: Minor-unit exponent of every payable ISO 4217 currency, keyed by code.
EXPONENTS: dict[str, int] = {c.code: c.exponent for c in Currency if isinstance(c.exponent, int)}

_GROUP_CHARS = " \u00a0\u202f\u2009'\u2019"
_SPECIAL_WORDS = {"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_DIGITS = re.compile(r"[0-9]+")
_GROUPED = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{3})+")


def normalize_currency(code: str) -> str:
    """Return the upper-case ISO code, or raise :class:`UnknownCurrency`."""
    if not isinstance(code, str):
        raise UnknownCurrency("Currency must be a three-letter ISO 4217 code.", field="currency")
    upper = code.strip().upper()
    if upper not in EXPONENTS:
        shown = code.strip()[:12] or "(empty)"
        if not shown.isprintable():  # never echo an invisible or broken character
            shown = ascii(shown)
        raise UnknownCurrency(
            f"{shown} is not a payable ISO 4217 currency code (for example EUR, BYN, JPY).",
            field="currency",
        )
    return upper


def exponent(code: str) -> int:
    """Number of decimal places of the currency's minor unit (EUR 2, JPY 0, KWD 3)."""
    return EXPONENTS[normalize_currency(code)]


def parse_amount(text: str, currency: str, *, maximum: int = DEFAULT_MAXIMUM) -> int:
    """Parse an amount typed by a person into minor units of ``currency``.

    Raises:
        UnknownCurrency: ``currency`` is not a payable ISO 4217 code.
        InvalidAmount: the text is not a positive amount the currency can express,
            or is above ``maximum`` minor units. The message says which.
    """
    code = normalize_currency(currency)
    exp = EXPONENTS[code]
    if not isinstance(text, str):
        raise InvalidAmount("Amount must be text such as 12.50.", field="amount")
    raw = text.strip()
    if not raw:
        raise InvalidAmount("Enter an amount, for example 12.50.", field="amount")
    if len(raw) > 40:
        raise InvalidAmount("That amount is too long to be real.", field="amount")
    if raw.lower() in _SPECIAL_WORDS:
        raise InvalidAmount(
            f"{raw} is not a number; enter an amount such as 12.50.", field="amount"
        )
    if raw.startswith("-") or raw.startswith("\u2212"):
        raise InvalidAmount(
            "The amount must be positive; refunds are made separately.", field="amount"
        )
    if raw.startswith("+"):
        raw = raw[1:]

    foreign = next((ch for ch in raw if ch.isdigit() and not ch.isascii()), None)
    if foreign is not None:  # "²" passes isdigit() and "٣" int(): neither is what was seen
        raise InvalidAmount(
            f"Type the amount with the digits 0-9 ({raw!r} has U+{ord(foreign):04X}).",
            field="amount",
        )
    compact = "".join(ch for ch in raw if ch not in _GROUP_CHARS)
    whole, fraction = _split_decimal(compact, raw)
    if not _DIGITS.fullmatch(whole) or (fraction and not _DIGITS.fullmatch(fraction)):
        raise InvalidAmount(
            f"{raw!r} is not an amount; use digits with one decimal mark, such as 1 234.56.",
            field="amount",
        )
    if len(fraction) > exp:
        allowed = (
            "no decimals" if exp == 0 else f"at most {exp} decimal place" + ("s" if exp > 1 else "")
        )
        raise InvalidAmount(f"{code} amounts have {allowed}; got {raw!r}.", field="amount")
    scale: int = 10**exp  # int ** int is typed Any (a negative power is a float)
    minor = int(whole) * scale + (int(fraction.ljust(exp, "0")) if exp else 0)
    if minor == 0:
        raise InvalidAmount("The amount must be more than zero.", field="amount")
    if minor > maximum:
        raise InvalidAmount(
            f"The amount is above the maximum of {format_amount(maximum, code)} {code}.",
            field="amount",
        )
    return minor


def _split_decimal(compact: str, raw: str) -> tuple[str, str]:
    """Split a group-separator-free string into (whole digits, fraction digits)."""
    dots, commas = compact.count("."), compact.count(",")
    if dots and commas:
        mark = "." if compact.rfind(".") > compact.rfind(",") else ","
        group = "," if mark == "." else "."
        whole, _, fraction = compact.rpartition(mark)
        if whole.count(mark) or not _valid_groups(whole, group):
            raise InvalidAmount(
                f"{raw!r} mixes separators in a way that is not an amount.", field="amount"
            )
        return whole.replace(group, ""), fraction
    sep = "." if dots else "," if commas else ""
    count = dots or commas
    if not sep:
        return compact, ""
    if count > 1:
        if not _valid_groups(compact, sep):
            raise InvalidAmount(f"{raw!r} has misplaced digit-group separators.", field="amount")
        return compact.replace(sep, ""), ""
    whole, _, fraction = compact.partition(sep)
    if not whole and not fraction:
        raise InvalidAmount(f"{raw!r} is not an amount.", field="amount")
    if sep == "," and len(fraction) == 3 and whole:
        raise InvalidAmount(
            f"{raw!r} is ambiguous: write {whole}{fraction} for thousands or "
            f"{whole}.{fraction} for a fraction.",
            field="amount",
        )
    return whole or "0", fraction


def _valid_groups(text: str, sep: str) -> bool:
    """True when ``text`` is digits grouped by ``sep`` in threes (1,234,567)."""
    if sep not in text:
        return _DIGITS.fullmatch(text) is not None
    return _GROUPED.fullmatch(text) is not None and set(text) - set("0123456789") == {sep}


def format_amount(minor: int, currency: str, *, group: bool = True) -> str:
    """Format minor units for display, digit groups split by spaces: ``1 234.56``
    (``group=False``: ``1234.56``, for files other programs read).

    The result is accepted by :func:`parse_amount` (spaces are always group separators).
    """
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError("minor units must be an int")
    exp = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**exp)
    grouped = f"{whole:,}".replace(",", " ") if group else str(whole)
    if exp == 0:
        return f"{sign}{grouped}"
    return f"{sign}{grouped}.{fraction:0{exp}d}"


def format_money(minor: int, currency: str) -> str:
    """``format_amount`` followed by the currency code: ``1 234.56 EUR``."""
    return f"{format_amount(minor, currency)} {normalize_currency(currency)}"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount: integer minor units and an ISO 4217 code. Never a float."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"Money.minor must be an int of minor units, not {self.minor!r}")
        object.__setattr__(self, "currency", normalize_currency(self.currency))

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.minor + other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __str__(self) -> str:
        return format_money(self.minor, self.currency)


def totals_by_currency(amounts: Iterable[Money]) -> dict[str, int]:
    """Sum amounts per currency; never across currencies."""
    totals: dict[str, int] = {}
    for amount in amounts:
        totals[amount.currency] = totals.get(amount.currency, 0) + amount.minor
    return totals
