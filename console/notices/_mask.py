"""What the ledger keeps of a notification's body: its JSON as received, masked.

Support must see what a provider said, and an admin must be able to re-run it
(``billing.notifications.replay``), but the ledger must never hold a secret or card
data. :func:`masked_payload` takes the JSON object of a body whose signature check
passed and returns compact JSON text in which:

1. **Secrets, by key.** The value (whatever it holds) of every key whose name —
   lower-cased, everything but letters and digits removed — contains ``secret``,
   ``passw``, ``token``, ``authoriz``, ``apikey``, ``privatekey``, ``cvc``, ``cvv``,
   ``cavv``, ``pares``, ``verificationvalue`` or ``securitycode``, or is ``pin``,
   ``pinblock`` or ``stamp``, becomes ``"[masked]"``. That covers ``secret_key``,
   ``password``, ``access_token``, ``Authorization``, the card ``token`` bePaid hands
   out (it charges the card again), the beyag method's ``token``, ``cvc`` / ``cvv`` /
   ``verification_value``, 3-D Secure's ``cavv`` and ``pares``, and the card ``stamp``
   (an unkeyed SHA-256 of the card number, found again from its BIN and last 4 digits
   in minutes).
2. **Card objects** — the value of a ``credit_card`` or ``card`` key that is an object
   (bePaid transactions and subscriptions) — keep ``brand`` and ``last_4`` only
   (``last_4`` taken from ``number`` when only that was sent); ``first_1``, ``bin``,
   ``holder``, the expiry, ``number``, ``token``, ``stamp`` and anything else go.
3. **Card data, by key, elsewhere**: ``pan``, ``card_number``, ``first_1``,
   ``first_6``, ``bin``, ``exp_month``, ``exp_year`` become ``"[masked]"``.
4. **Card numbers anywhere else**: in every other text (a description, a message, an
   address, a form field) and every whole number, a run of 13-19 digits — spaces or
   dashes between groups allowed, any script's decimal digits — that passes the Luhn
   check and could be a card (not starting with 0, not one repeated digit; the rule
   :mod:`console.validation` applies to what people type) keeps its last four
   digits only: ``"****1111"``.
5. **Credentials in text**: ``Basic`` or ``Bearer`` followed by a token (12 or more
   base64 or URL-safe characters, a digit or ``=`` among them) become
   ``Basic [masked]``.

**What is never changed**: keys, their order, and every value the apply path reads
to match and check a notice — ``uid``, ``status``/``state``, ``type``, ``amount``,
``currency``, ``tracking_id``, ``test``, ``parent_uid``, the times, the plan,
``paid_billing_cycles``, ``last_transaction``, ``bill_id`` — so a replay of the stored
payload reads the same notice as the delivery did (tested with every example). No
such key matches a rule above; the identifiers at :data:`IDENTIFIER_PATHS` are also
spared from rule 4, because a merchant's numeric order id can pass the Luhn check by
chance (one in ten does) and masking it would make the notice match nothing. They
are what the ledger keeps in its own columns anyway (``bills.tracking_id``, the
notification's provider id and dedupe key); the console never makes a tracking id
that looks like a card number.

Bound: a masked payload longer than :data:`MAX_PAYLOAD_CHARS` is not kept (None); a
real notification is 1-4 KiB, a body may be 256 KiB. Customer details (names,
e-mail, address, IP) are kept as sent: support needs them, and the Activity page is
behind the same sign-in as Lookup, which shows them too.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from console.ledger import MAX_PAYLOAD_CHARS
from console.validation import luhn_valid

MASK = "[masked]"

_SECRET_KEY = re.compile(
    r"secret|passw|token|authoriz|apikey|privatekey|cvc|cvv|cavv|pares|verificationvalue"
    r"|securitycode|^pin$|^pinblock$|^stamp$"
)
_CARD_DATA_KEY = re.compile(r"^(?:pan|cardnumber|first1|first6|bin|expmonth|expyear)$")
_CARD_OBJECTS = frozenset({"creditcard", "card"})
_CARD_KEPT = ("brand", "last_4")
#: Where the identifiers the apply path matches by sit (keys from the body's root).
IDENTIFIER_PATHS: frozenset[tuple[str, ...]] = frozenset(
    {
        ("transaction", "uid"),
        ("transaction", "tracking_id"),
        ("transaction", "parent_uid"),
        ("transaction", "amount"),
        ("id",),
        ("tracking_id",),
        ("last_transaction", "uid"),
        ("plan", "plan", "amount"),
        ("plan", "trial", "amount"),
        ("bill_id",),
        ("amount",),
    }
)
_DIGIT_RUN = re.compile(r"\d+(?:[ -]\d+)*")
# A token: 12 or more characters of base64 / URL-safe text with a digit or ``=`` in them
# (so "Basic subscription" stays as it is).
_CREDENTIAL = re.compile(
    r"\b(basic|bearer)\s+(?=[A-Za-z0-9+/=._~-]*[0-9=])[A-Za-z0-9+/=._~-]{12,}", re.IGNORECASE
)


def masked_payload(data: Mapping[str, Any]) -> str | None:
    """``data`` (a notification body's JSON object) masked as the module docstring says,
    as compact JSON text; None when that is over :data:`MAX_PAYLOAD_CHARS` or nested
    too deeply to walk."""
    try:
        text = json.dumps(mask(data), ensure_ascii=False, separators=(",", ":"))
    except RecursionError:
        return None
    return text if len(text) <= MAX_PAYLOAD_CHARS else None


def mask(value: Any, path: tuple[str, ...] = ()) -> Any:
    """A masked copy of the JSON value ``value`` found at ``path`` (keys from the root)."""
    if isinstance(value, Mapping):
        return {str(key): _masked_member(str(key), item, path) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item, path) for item in value]
    if path in IDENTIFIER_PATHS:
        return value
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        masked = mask_text(text)
        return value if masked == text else masked
    return value


def mask_text(text: str) -> str:
    """``text`` with card numbers cut to their last four digits and credentials hidden.

    Again until nothing changes: the four digits kept could start a new card-like run
    with the digits after them, and the result must hold none.
    """
    while (masked := _DIGIT_RUN.sub(_mask_run, text)) != text:
        text = masked
    return _CREDENTIAL.sub(lambda match: f"{match.group(1)} {MASK}", text)


def _masked_member(key: str, value: Any, path: tuple[str, ...]) -> Any:
    name = re.sub(r"[^a-z0-9]", "", key.lower())
    if _SECRET_KEY.search(name) or _CARD_DATA_KEY.match(name):
        return None if value is None else MASK
    if name in _CARD_OBJECTS and isinstance(value, Mapping):
        return _card(value)
    return mask(value, (*path, key))


def _card(card: Mapping[str, Any]) -> dict[str, Any]:
    """A card object cut to its brand and last four digits."""
    kept: dict[str, Any] = {}
    brand = card.get("brand")
    if isinstance(brand, str):
        kept["brand"] = mask_text(brand)
    last_4 = card.get("last_4")
    number = card.get("number")
    if last_4 is None and isinstance(number, str | int) and not isinstance(number, bool):
        last_4 = "".join(ch for ch in str(number) if ch.isdigit())[-4:] or None
    if isinstance(last_4, str | int) and not isinstance(last_4, bool):
        digits = "".join(ch for ch in str(last_4) if ch.isdigit())
        kept["last_4"] = digits[-4:]
    return kept


def _mask_run(match: re.Match[str]) -> str:
    """A run of digit groups with every card-like span cut to its last four digits."""
    pieces = re.split(r"([ -])", match.group(0))  # groups at even indexes, separators between
    groups, separators = pieces[0::2], [*pieces[1::2], ""]
    out: list[str] = []
    start = 0
    while start < len(groups):
        end = _card_end(groups, start)
        if end is None:
            out += [groups[start], separators[start]]
            start += 1
        else:
            out += ["****" + "".join(groups[start : end + 1])[-4:], separators[end]]
            start = end + 1
    return "".join(out)


def _card_end(groups: list[str], start: int) -> int | None:
    """The last group of the longest card-like number that starts at ``groups[start]``."""
    digits = ""
    found = None
    for end in range(start, len(groups)):
        digits += groups[end]
        if len(digits) > 19:
            break
        if len(digits) >= 13 and _card_like(digits):
            found = end
    return found


def _card_like(digits: str) -> bool:
    # As console.validation: no card number starts with 0, and one repeated digit is a
    # placeholder, not a card.
    return unicodedata.decimal(digits[0], 0) != 0 and len(set(digits)) > 1 and luhn_valid(digits)
