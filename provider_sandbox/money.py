"""The sandbox's own money rules: ISO 4217 minor-unit exponents, amounts typed on pages.

The providers take amounts as integers in minor units of an ISO 4217 currency
(bePaid: "amount in minimal currency units, e.g. $32.45 is 3245"). The table is
ISO 4217's list of active codes and their minor units, kept here rather than taken
from the console: the emulator must not repeat a mistake in the console's table,
or no contract test could catch it (``tests/contract/test_sandbox_separation.py``
compares the two).

``parse_amount`` reads what a payer types on the Payture pay page (``12``,
``12.50``, ``12,50``, ``1 234.56``); ``format_money`` writes ``1 234.56 EUR``.
"""

from __future__ import annotations

import re

# ISO 4217 codes whose minor unit is not 2 decimals.
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
# Every other active ISO 4217 code with a minor unit has 2 decimals.
_TWO = """
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK
LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO
NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS
SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST
XAD XCD XCG YER ZAR ZMW ZWG
"""

EXPONENTS: dict[str, int] = {
    **{code: 2 for code in _TWO.split()},
    **{code: 0 for code in _ZERO.split()},
    **{code: 3 for code in _THREE.split()},
    **{code: 4 for code in _FOUR.split()},
}

_AMOUNT = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?")
_GROUP_CHARS = " \u00a0\u202f\u2009'"


class AmountError(ValueError):
    """Raised when typed text is not a positive amount the currency can express."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_amount(text: str, currency: str) -> int:
    """Minor units of ``currency`` from ``text`` such as ``1 234.56`` or ``12,5``."""
    exp = EXPONENTS[currency]
    raw = text.strip()
    if not raw:
        raise AmountError("Enter an amount, for example 12.50.")
    if raw[0] in "-\u2212":
        raise AmountError("The amount must be positive.")
    match = _AMOUNT.fullmatch("".join(ch for ch in raw if ch not in _GROUP_CHARS))
    if not match:
        raise AmountError(f"{raw!r} is not an amount; type digits such as 12.50.")
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > exp:
        raise AmountError(f"{currency} amounts have at most {exp} decimal places.")
    # int ** int is typed Any (a negative exponent gives a float); exp is never negative.
    minor: int = int(whole) * 10**exp + (int(fraction.ljust(exp, "0")) if exp else 0)
    if minor <= 0:
        raise AmountError("The amount must be more than zero.")
    return minor


def format_money(minor: int, currency: str) -> str:
    """``1 234.56 EUR``: digit groups split by spaces, the currency's decimals."""
    exp = EXPONENTS.get(currency, 2)
    whole, fraction = divmod(abs(minor), 10**exp)
    sign = "-" if minor < 0 else ""
    grouped = f"{whole:,}".replace(",", " ")
    return f"{sign}{grouped}{f'.{fraction:0{exp}d}' if exp else ''} {currency}"
