"""Test cards, card data and the sandbox's card vault.

The test cards (shown on the hosted page) and what each does:

====================  ==========================================================
4200000000000000      approved
4005550000000019      declined (transaction ``failed``)
4012000000001097      3-D Secure challenge; the right code passes, then approved
4012000000001014      3-D Secure challenge that always fails (transaction ``failed``)
4012001037141112      like 4012000000001097 (bePaid's subscription doc uses it)
====================  ==========================================================

The 3-D Secure code is ``12345`` (the challenge page says so); any other code fails
authentication. Any other well-formed number (12-19 digits passing the Luhn check) is
declined as an unknown test card. A number that fails the Luhn check ends a
server-to-server charge with status ``error`` (on the hosted page the form refuses it).

Merchant-initiated charges (subscription renewals) skip 3-D Secure, as real recurring
charges do: only the declining card and unknown cards fail them.

Every card that is charged is kept in the vault (``bepaid_cards``) under a token, so
subscriptions can charge it again and callers can reuse it as ``card.token``.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provider_sandbox.bepaid.records import Source, dumps, fetch_one, loads

THREE_DS_CODE = "12345"
DEFAULT_HOLDER = "TEST CARDHOLDER"

SCHEMA = """
CREATE TABLE IF NOT EXISTS bepaid_cards (
    token TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class TestCard:
    """How a test card behaves when a payer pays with it."""

    number: str
    summary: str
    challenge: bool = False  # the payer is asked for a 3-D Secure code
    passes_3ds: bool = True
    approves: bool = True


TEST_CARDS: dict[str, TestCard] = {
    card.number: card
    for card in (
        TestCard("4200000000000000", "payment succeeds"),
        TestCard("4005550000000019", "payment is declined", approves=False),
        TestCard("4012000000001097", "3-D Secure step, then the payment succeeds", True),
        TestCard("4012000000001014", "3-D Secure step fails", True, passes_3ds=False),
        TestCard("4012001037141112", "3-D Secure step, then the payment succeeds", True),
    )
}
PAGE_CARDS = ("4200000000000000", "4005550000000019", "4012000000001097", "4012000000001014")
UNKNOWN_CARD = TestCard("", "unknown test card", approves=False)


@dataclass(frozen=True)
class Card:
    """Card data as the payer typed it (the sandbox keeps it: test numbers only)."""

    number: str
    holder: str = DEFAULT_HOLDER
    exp_month: int = 12
    exp_year: int = 2030

    @property
    def behaviour(self) -> TestCard:
        return TEST_CARDS.get(self.number, UNKNOWN_CARD)

    @property
    def well_formed(self) -> bool:
        return luhn_valid(self.number)


def direct_outcome(card: Card | None) -> tuple[str, str | None]:
    """Status (and a message when the default one would mislead) of a charge made
    without a 3-D Secure step: a card without one, or a merchant-initiated renewal."""
    if card is None or not card.well_formed:
        return "error", None
    if card.behaviour is UNKNOWN_CARD:
        return "failed", "Unknown test card"
    return ("successful", None) if card.behaviour.approves else ("failed", None)


def luhn_valid(number: str) -> bool:
    """True for 12-19 digits that pass the Luhn checksum."""
    if not (number.isascii() and number.isdigit() and 12 <= len(number) <= 19):
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def clean_number(raw: str) -> str:
    """Digits of a card number as typed (spaces and dashes dropped)."""
    return "".join(ch for ch in raw if ch not in " -")


def brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number[:1] in {"2", "5"}:
        return "master"
    return "unknown"


def card_json(card: Card, token: str | None) -> dict[str, Any]:
    """The ``credit_card`` / subscription ``card`` object bePaid returns."""
    return {
        "holder": card.holder,
        "stamp": hashlib.sha256(card.number.encode()).hexdigest(),
        "brand": brand(card.number),
        "last_4": card.number[-4:],
        "first_1": card.number[:1],
        "bin": card.number[:6],
        "issuer_country": None,
        "issuer_name": None,
        "product": None,
        "token": token,
        "token_provider": None,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
    }


def default_expiry(now: datetime) -> tuple[int, int]:
    return 12, now.year + 3


def store_card(conn: sqlite3.Connection, card: Card) -> str:
    """Keep ``card`` in the vault and return its new token."""
    token = str(uuid.uuid4())
    data = {
        "number": card.number,
        "holder": card.holder,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
    }
    conn.execute("INSERT INTO bepaid_cards (token, data) VALUES (?, ?)", (token, dumps(data)))
    return token


def load_card(source: Source, token: str | None) -> Card | None:
    """The vaulted card behind ``token``, or ``None``."""
    if not token:
        return None
    row = fetch_one(source, "SELECT data FROM bepaid_cards WHERE token = ?", (token,))
    return None if row is None else Card(**loads(row["data"]))
