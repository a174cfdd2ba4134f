"""Input rules shared by billing, the notification receiver and the pages.

Each rule takes what a person (or a calling program) gave, returns the
normalised value, and raises :class:`~console.errors.ValidationError` with one
sentence a form can show under the field. :class:`Fields` runs many rules and
collects every message at once, so a form shows all its problems in one go;
:class:`InvalidInput` carries them as ``{field: message}``.

The rules, and why:

* **Amounts** are text a person typed (``"12.50"``, parsed by
  :func:`console.money.parse_amount`) or an ``int`` of minor units from a
  program; floats are refused. The maximum is the setting ``max_amount_minor``.
* **Text** (descriptions, titles, reasons, ids) is stripped, at most 255
  characters unless said otherwise, and one line. What the reader cannot see is
  refused, with a message naming the code point (``This contains an invisible
  character U+202E (RIGHT-TO-LEFT OVERRIDE); remove it.``): one rule by Unicode
  category, not a hand list —

  - ``Cc`` controls: C0 and C1, so tabs, NUL and line feeds;
  - ``Zl``/``Zp`` and the other line breaks (U+2028, U+2029, U+0085);
  - ``Cf`` format characters: zero-width space and joiners (U+200B-U+200D), word
    joiner U+2060, the BOM U+FEFF, soft hyphen, the bidirectional controls that make
    text read differently from what it is (U+202A-U+202E, U+2066-U+2069, U+200E,
    U+200F, U+061C) and the tag characters U+E0001, U+E0020-U+E007F (invisible ASCII);
  - ``Cs``: a lone surrogate, which cannot be encoded, stored or sent.

  *Decision on emoji:* a zero-width joiner between two pictographs is how emoji
  sequences are written (👩‍💻, 🏳️‍🌈, 🧑🏽‍🚀), and a person may type one in a
  description or a gift message, so U+200D is allowed where it joins two symbols
  (category ``So``, after an optional U+FE0F or skin-tone modifier); anywhere else
  it is refused. Subdivision flags (🏴 + tag characters) are refused: tags are the
  classic way to smuggle invisible text, and a flag is not worth that. Scripts
  that need ZWNJ/ZWJ between letters (Persian, some Indic text) are refused too,
  a trade-off accepted for a console whose merchants write Latin and Cyrillic.
  No field takes several lines today; a multi-line rule would allow U+000A only.
* **No card numbers in free text.** A run of 13-19 digits (single spaces or
  dashes between digits allowed) that passes the Luhn check is refused: card
  data belongs on the provider's hosted page, never in our ledger or logs. Runs
  are split where they have separators, so ``4200 0000 0000 0000 1`` is still
  caught; a long run without separators (an order number) is only checked whole.
  Runs starting with 0 or made of one repeated digit are not card numbers, nor
  are runs glued to a letter (part of an id such as a bePaid uid ``412345678-1000ab1c9``).
* **URLs** are absolute ``http``/``https`` with a host, at most 2048
  characters, no spaces, no ``user:password@``; ``javascript:``, ``data:`` and
  ``file:`` are refused by name. Live mode requires ``https``. Every invisible
  character of the text rule is refused too, with no emoji exception: a URL is
  read by people deciding where they will be sent.
* **Numbers typed as text** (intervals, billing cycles, payment attempts) are
  ASCII digits 0-9 only: ``"²"`` is a digit to ``str.isdigit`` but not to ``int``,
  and ``"٣"`` or ``"３"`` would be read as 3 although nobody on the page typed a 3.
* **Nothing that cannot be encoded passes** :class:`Fields`: a value a rule
  accepted is checked once more for lone surrogates, so no provider call or ledger
  write can fail on encoding after billing has recorded an attempt.
* **E-mail**: one ``@``, a dotted domain, no spaces, at most 254 characters
  (64 before the ``@``); lower-cased, as the ledger stores it.
* **Phone numbers**: digits with an optional leading ``+`` and spaces, dashes,
  dots or parentheses between them; 5-15 digits (E.164 allows 15). The card rule
  still applies, so a 13-15 digit number that passes the Luhn check is refused
  too: a rare false refusal is cheaper than a card number in the ledger.
* **Countries**: an ISO 3166-1 alpha-2 code that exists (``BY``, ``LV``),
  upper-cased; the ``iso3166`` package holds the list.
* **Expiry** is an aware datetime (a naive one is read in the console's time
  zone) at least :data:`MIN_LIFETIME` ahead and at most ``max_ahead`` ahead
  (:data:`PAY_LINK_MAX_LIFETIME`, 30 days, for pay links and APM payments: a
  link that lives longer is a liability, and bePaid's own default is 24 hours).
* **Plan intervals**: ``hour``, ``day`` or ``month``; at most
  :data:`MAX_INTERVAL` of each (720 hours, 365 days, 12 months).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any, TypeVar
from urllib.parse import urlsplit

from iso3166 import countries_by_alpha2

from console.errors import ValidationError
from console.money import DEFAULT_MAXIMUM, normalize_currency, parse_amount

T = TypeVar("T")

#: Key of a message about the whole form rather than one field.
FORM = "form"

MAX_TEXT = 255
MAX_URL = 2048
MAX_EMAIL = 254
MAX_EMAIL_LOCAL = 64
MIN_LIFETIME = timedelta(minutes=5)
PAY_LINK_MAX_LIFETIME = timedelta(days=30)
INTERVAL_UNITS = ("hour", "day", "month")
MAX_INTERVAL = {"hour": 720, "day": 365, "month": 12}

__all__ = [
    "FORM",
    "INTERVAL_UNITS",
    "MAX_INTERVAL",
    "MAX_TEXT",
    "MAX_URL",
    "MIN_LIFETIME",
    "PAY_LINK_MAX_LIFETIME",
    "Fields",
    "InvalidInput",
    "amount",
    "currency",
    "email",
    "expiry",
    "find_card_number",
    "find_invisible",
    "identifier",
    "interval",
    "interval_unit",
    "ip_address",
    "language",
    "luhn_valid",
    "refuse_card_numbers",
    "text",
    "url",
    "uuid_text",
    "whole_number",
]

#: Unicode categories one line of text never holds (see the module docstring).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")
_CONTROL_NAMES = {"\t": "tab", "\x00": "NUL", "\x1b": "escape", "\x7f": "delete"}
_ZWJ = "\u200d"
#: What may sit between a pictograph and a joiner: emoji presentation, skin tones.
_EMOJI_MODIFIERS = frozenset("\ufe0f" + "".join(chr(c) for c in range(0x1F3FB, 0x1F400)))
# A digit run: digits with at most one space or dash between two digits.
#: A run of digits with single spaces or dashes between them, not glued to a letter or
#: digit: ``412345678-1000ab1c9`` (a bePaid uid: digits, dash, hex) is an id, not a card.
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d)*(?![0-9A-Za-z])")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_LANGUAGE = re.compile(r"[a-z]{2}")
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}")
_PHONE = re.compile(r"\+?[0-9(][0-9 ().-]*[0-9]")
MIN_PHONE_DIGITS = 5
MAX_PHONE_DIGITS = 15
_REFUSED_SCHEMES = ("javascript", "data", "file", "vbscript")


class InvalidInput(ValidationError):
    """Raised when inputs are not acceptable; ``errors`` maps each bad field to one message.

    Nothing was written and nothing was sent when billing raises it (its
    subclass ``ProviderRejectedInput`` is the one exception, and says so).
    """

    title = "Please check the highlighted fields"

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        shown = "; ".join(f"{name}: {message}" for name, message in self.errors.items())
        super().__init__(
            shown or "The input is not acceptable.", field=next(iter(self.errors), None)
        )


class Fields:
    """Runs rules field by field and collects one message per field.

    >>> fields = Fields()
    >>> minor = fields.check("amount", amount, "12.50", "EUR")
    >>> fields.raise_if_any()   # InvalidInput({"amount": ...}) when something was wrong
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def check(self, name: str, rule: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``rule(*args, **kwargs)``, or None after recording its message under ``name``."""
        try:
            value = rule(*args, **kwargs)
        except ValidationError as exc:
            self.add(name, exc.message)
            return None
        if not _encodable(value):  # a rule let a lone surrogate through: refuse it here
            self.add(name, "This contains a broken character that cannot be stored or sent.")
            return None
        return value

    def add(self, name: str, message: str) -> None:
        """Record ``message`` for ``name`` (the first message of a field wins)."""
        self.errors.setdefault(name, message)

    def has(self, name: str) -> bool:
        return name in self.errors

    def raise_if_any(self) -> None:
        """Raise :class:`InvalidInput` with every collected message, if there is one."""
        if self.errors:
            raise InvalidInput(self.errors)


# -- money ------------------------------------------------------------------------


def currency(value: object) -> str:
    """A payable ISO 4217 code, upper-cased."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError("Choose a currency.")
    return normalize_currency(value)  # type: ignore[arg-type]


def amount(value: object, currency_code: str, *, maximum: int = DEFAULT_MAXIMUM) -> int:
    """Minor units from typed text (``"12.50"``) or an ``int`` of minor units (not a float)."""
    if isinstance(value, bool | float):
        raise ValidationError("Give the amount as text such as 12.50 or whole minor units.")
    if isinstance(value, int):
        if value <= 0:
            raise ValidationError("The amount must be more than zero.")
        if value > maximum:
            raise ValidationError(f"The amount is above the maximum of {maximum} minor units.")
        return value
    if value is None:
        raise ValidationError("Enter an amount, for example 12.50.")
    return parse_amount(value, currency_code, maximum=maximum)  # type: ignore[arg-type]


# -- text -------------------------------------------------------------------------


def text(
    value: object, *, required: bool = False, max_length: int = MAX_TEXT, cards: bool = True
) -> str | None:
    """One line of text: stripped, no control characters, not too long, and (unless
    ``cards`` is False, for values checked by a stricter format) no card numbers."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError("This is required.")
        return None
    if not isinstance(value, str):
        raise ValidationError("This must be text.")
    stripped = value.strip()
    found = find_invisible(stripped)
    if found is not None:
        if found.startswith("a line break"):
            raise ValidationError(f"Keep this to one line: it contains {found}.")
        raise ValidationError(f"This contains {found}; remove it.")
    if len(stripped) > max_length:
        raise ValidationError(f"At most {max_length} characters (this has {len(stripped)}).")
    if cards:
        refuse_card_numbers(stripped)
    return stripped


def find_invisible(value: str, *, emoji: bool = True) -> str | None:
    """What ``value`` holds that one line of text must not, named for a message
    (``"an invisible character U+202E (RIGHT-TO-LEFT OVERRIDE)"``), or None.

    See the module docstring for the rule; ``emoji`` allows a zero-width joiner
    between two pictographs.
    """
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        if category not in _INVISIBLE_CATEGORIES:
            continue
        if char == _ZWJ and emoji and _joins_pictographs(value, index):
            continue
        point = f"U+{ord(char):04X}"
        if char in _LINE_BREAKS:
            name = unicodedata.name(char, "")
            return f"a line break ({point}{' ' + name if name else ''})"
        if category == "Cs":
            return f"a broken character (a lone surrogate, {point})"
        if category == "Cc":
            control = _CONTROL_NAMES.get(char)
            return f"a control character {point}" + (f" ({control})" if control else "")
        return f"an invisible character {point} ({unicodedata.name(char, 'unnamed')})"
    return None


def _joins_pictographs(value: str, index: int) -> bool:
    before = index - 1
    while before >= 0 and value[before] in _EMOJI_MODIFIERS:
        before -= 1
    after = index + 1
    return (
        before >= 0
        and after < len(value)
        and unicodedata.category(value[before]) == "So"
        and unicodedata.category(value[after]) == "So"
    )


def _encodable(value: object) -> bool:
    """True when every text in ``value`` (and in its dict keys, values and items)
    can be encoded as UTF-8."""
    if isinstance(value, str):
        return not any(unicodedata.category(ch) == "Cs" for ch in value)
    if isinstance(value, Mapping):
        return all(_encodable(k) and _encodable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_encodable(item) for item in value)
    return True


def refuse_card_numbers(value: str) -> None:
    """Raise when ``value`` holds what looks like a card number (see the module docstring)."""
    if find_card_number(value) is not None:
        raise ValidationError(
            "This looks like a card number. Never type card details here: the payer "
            "enters them on the provider's payment page."
        )


def find_card_number(value: str) -> str | None:
    """The first Luhn-valid 13-19 digit number in ``value`` (separators removed), or None."""
    for match in _DIGIT_RUN.finditer(value):
        groups = re.split(r"[ -]", match.group(0))
        for start in range(len(groups)):
            digits = ""
            for end in range(start, len(groups)):
                digits += groups[end]
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and _card_like(digits):
                    return digits
    return None


def _card_like(digits: str) -> bool:
    # Card numbers never start with 0 (ISO/IEC 7812 industry 0 issues none) and a run of
    # one repeated digit is a placeholder, not a card.
    return unicodedata.decimal(digits[0], 0) != 0 and len(set(digits)) > 1 and luhn_valid(digits)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every card number passes.

    Decimal digits of any script count (a card number typed in Arabic-Indic digits
    is still a card number); ``"²"`` and other non-decimal "digits" do not.
    """
    values = [unicodedata.decimal(char, None) for char in digits]
    if not values or None in values:
        return False
    total = 0
    for position, digit in enumerate(reversed(values)):
        value = digit * (2 if position % 2 else 1)  # type: ignore[operator]
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def identifier(value: object, *, required: bool = False) -> str | None:
    """A provider id pasted or typed: letters, digits and ``_ . : -``, at most 255."""
    found = text(value, required=required)
    if found is not None and not _IDENTIFIER.fullmatch(found):
        raise ValidationError("Use letters, digits, '_', '.', ':' or '-' only (no spaces).")
    return found


def uuid_text(value: object, *, required: bool = False) -> str | None:
    """A UUID such as ``550e8400-e29b-41d4-a716-446655440001``, lower-cased.

    Not checked for card numbers: a well-formed UUID is not one, but its dashed digit
    groups can pass the Luhn check by chance.
    """
    found = text(value, required=required, cards=False)
    if found is None:
        return None
    try:
        parsed = uuid.UUID(found)
    except ValueError:
        raise ValidationError("This must be a UUID such as 550e8400-e29b-41d4-a716-...") from None
    if str(parsed) != found.lower():
        raise ValidationError("Write the UUID with dashes: 8-4-4-4-12 hexadecimal digits.")
    return found.lower()


def language(value: object) -> str | None:
    """An optional two-letter language code (``en``, ``ru``, ``be``), lower-cased."""
    found = text(value, max_length=10)
    if found is None:
        return None
    found = found.lower()
    if not _LANGUAGE.fullmatch(found):
        raise ValidationError("Use a two-letter language code such as en, ru or be.")
    return found


def ip_address(value: object) -> str | None:
    """An optional IPv4 or IPv6 address."""
    found = text(value, max_length=64)
    if found is None:
        return None
    try:
        return str(ipaddress.ip_address(found))
    except ValueError:
        raise ValidationError("This is not an IP address such as 203.0.113.7.") from None


# -- addresses --------------------------------------------------------------------


def url(value: object, *, https_only: bool = False, required: bool = False) -> str | None:
    """An absolute http(s) URL (https only when ``https_only``); see the module docstring."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError("Enter a web address starting with https://.")
        return None
    if not isinstance(value, str):
        raise ValidationError("A web address must be text.")
    found = value.strip()
    if len(found) > MAX_URL:
        raise ValidationError(f"A web address may have at most {MAX_URL} characters.")
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in found):
        raise ValidationError("A web address cannot contain spaces or control characters.")
    invisible = find_invisible(found, emoji=False)
    if invisible is not None:
        raise ValidationError(f"A web address cannot contain {invisible}.")
    scheme = found.split(":", 1)[0].lower() if ":" in found else ""
    if scheme in _REFUSED_SCHEMES:
        raise ValidationError(f"{scheme}: addresses are not allowed; use https://.")
    try:
        parts = urlsplit(found)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ValidationError("This is not a valid web address.") from None
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        raise ValidationError("Enter a full web address starting with https://.")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("A web address must not contain a user name or password.")
    if https_only and parts.scheme.lower() != "https":
        raise ValidationError("Live mode requires an https:// address.")
    refuse_card_numbers(found)
    return found


def email(value: object, *, required: bool = False) -> str | None:
    """An e-mail address, lower-cased (see the module docstring for what is checked)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError("Enter an e-mail address.")
        return None
    if not isinstance(value, str):
        raise ValidationError("An e-mail address must be text.")
    found = value.strip()
    if len(found) > MAX_EMAIL:
        raise ValidationError(f"An e-mail address has at most {MAX_EMAIL} characters.")
    local, at, domain = found.rpartition("@")
    labels = domain.split(".")
    valid = (
        at
        and 0 < len(local) <= MAX_EMAIL_LOCAL
        and _EMAIL_LOCAL.fullmatch(local)
        and not local.startswith(".")
        and not local.endswith(".")
        and ".." not in local
        and len(labels) >= 2
        and all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    )
    if not valid:
        raise ValidationError("This is not an e-mail address such as name@example.com.")
    return found.lower()


def phone(value: object) -> str | None:
    """An optional phone number such as ``+375 29 123-45-67`` (see the module docstring)."""
    found = text(value, max_length=40)
    if found is None:
        return None
    digits = sum(ch.isdigit() for ch in found)
    if not _PHONE.fullmatch(found) or not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        raise ValidationError(
            f"This is not a phone number such as +375 29 123-45-67 "
            f"({MIN_PHONE_DIGITS}-{MAX_PHONE_DIGITS} digits)."
        )
    return found


def country(value: object) -> str | None:
    """An optional ISO 3166-1 alpha-2 country code, upper-cased."""
    found = text(value, max_length=10)
    if found is None:
        return None
    code = found.upper()
    if code not in countries_by_alpha2:
        raise ValidationError("Use a two-letter country code such as BY, LV or US.")
    return code


# -- time -------------------------------------------------------------------------


def expiry(
    value: object,
    *,
    now: datetime,
    tz: tzinfo,
    max_ahead: timedelta = PAY_LINK_MAX_LIFETIME,
    min_ahead: timedelta = MIN_LIFETIME,
) -> datetime | None:
    """An optional expiry between ``now + min_ahead`` and ``now + max_ahead``.

    A naive datetime is read in ``tz`` (the console's time zone: what a person
    picked in a date and time widget).
    """
    if value is None or value == "":
        return None
    if not isinstance(value, datetime):
        raise ValidationError("Pick a date and time.")
    moment = value if value.tzinfo is not None else value.replace(tzinfo=tz)
    if moment < now + min_ahead:
        minutes = int(min_ahead.total_seconds() // 60)
        raise ValidationError(f"The expiry must be at least {minutes} minutes in the future.")
    if moment > now + max_ahead:
        raise ValidationError(f"The expiry can be at most {max_ahead.days} days ahead.")
    return moment


def interval_unit(value: object) -> str:
    """``hour``, ``day`` or ``month``."""
    if value not in INTERVAL_UNITS:
        raise ValidationError("Choose hour, day or month.")
    return str(value)


def interval(value: object, unit: str | None) -> int:
    """A positive whole number of ``unit`` at most :data:`MAX_INTERVAL` ``[unit]``."""
    count = whole_number(value, minimum=1, maximum=MAX_INTERVAL.get(unit or "", 365))
    assert count is not None
    return count


def whole_number(value: object, *, minimum: int, maximum: int, required: bool = True) -> int | None:
    """A whole number in ``[minimum, maximum]``; digits typed as text are accepted."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError("This is required.")
        return None
    if isinstance(value, str):
        value = _typed_whole_number(value.strip(), minimum, maximum)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("Enter a whole number.")
    if not minimum <= value <= maximum:
        raise ValidationError(f"Enter a whole number from {minimum} to {maximum}.")
    return value


def _typed_whole_number(typed: str, minimum: int, maximum: int) -> int:
    """ASCII digits as an int; anything else is refused with a sentence saying why."""
    foreign = next((ch for ch in typed if ch.isdigit() and not ch.isascii()), None)
    if foreign is not None:
        name = unicodedata.name(foreign, "")
        raise ValidationError(
            f"Type the number with the digits 0-9 (this has U+{ord(foreign):04X}"
            + (f" {name}" if name else "")
            + ")."
        )
    if not (typed.isascii() and typed.isdigit()):
        raise ValidationError("Enter a whole number.")
    if len(typed.lstrip("0")) > len(str(maximum)):  # also keeps int() off 5,000-digit text
        raise ValidationError(f"Enter a whole number from {minimum} to {maximum}.")
    return int(typed)
