"""No raw card numbers in free text: what is caught, and what is left alone."""

from __future__ import annotations

import pytest

from console.validation import find_card_number, luhn_valid, refuse_card_numbers, text

CAUGHT = {
    "plain-visa": ("4200000000000000", "4200000000000000"),
    "spaces": ("Card 4200 0000 0000 0000 please", "4200000000000000"),
    "dashes": ("5555-5555-5555-4444", "5555555555554444"),
    "amex-15": ("3782 822463 10005", "378282246310005"),
    "13-digits": ("x 4222222222222 y", "4222222222222"),
    "16-of-19-digits": ("6011 0009 9013 9424 009", "6011000990139424"),  # first window wins
    "trailing-digit-after-space": ("4200 0000 0000 0000 1", "4200000000000000"),
    "inside-words": ("pan:4111111111111111;", "4111111111111111"),
}

LEFT_ALONE = [
    "Order 12345",
    "Phone +375 29 123 45 67",
    "Invoice 2024-01-15 for 1 234.50 BYN",
    "Tracking 12345678901234567890123",  # 23 digits in one run: an order number
    "4200000000000001",  # 16 digits, fails Luhn
    "0000000000000000",  # Luhn-valid, but no card starts with 0
    "1111111111111111",  # one repeated digit: a placeholder
    "4200  0000 0000 0000",  # two spaces break the run: 4 + 12 digits
    "550e8400-e29b-41d4-a716-446655440001",
    "412345678-1000ab1c9",  # a bePaid uid: 13 Luhn-valid digits, but glued to hex letters
    "https://checkout.bepaid.by/v2/transactions/412345678-1000ab1c9",
]


@pytest.mark.parametrize("case", CAUGHT)
def test_card_numbers_are_found(case):
    given, digits = CAUGHT[case]
    assert find_card_number(given) == digits
    with pytest.raises(Exception, match="card number"):
        refuse_card_numbers(given)


@pytest.mark.parametrize("given", LEFT_ALONE)
def test_ordinary_numbers_are_left_alone(given):
    assert find_card_number(given) is None
    assert text(given, max_length=1000) == given.strip()


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("4200000000000000", True), ("4012000000001097", True), ("79927398713", True),
     ("79927398710", False), ("12a4", False)],
)  # fmt: skip
def test_luhn(digits, valid):
    assert luhn_valid(digits) is valid


def test_the_messages_tell_the_person_where_card_data_belongs():
    with pytest.raises(Exception) as caught:
        text("my card 4200 0000 0000 0000", required=True)
    assert "provider's payment page" in str(caught.value)
