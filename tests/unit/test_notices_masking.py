"""What the ledger keeps of a notification body: no secrets, no card data, and everything
the apply path reads, so a replay of the stored payload reads the same notice."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.ledger import MAX_PAYLOAD_CHARS
from console.notices import (
    MASK,
    UnreadableNotice,
    load_json_object,
    mask,
    mask_text,
    masked_payload,
    notice_of,
    payture_notice_of,
)
from console.validation import find_card_number
from tests.unit.notice_examples import (
    APM_SUCCESSFUL,
    CARD_TRANSACTION,
    EXAMPLES,
    SUBSCRIPTION_CANCELED,
    SUBSCRIPTION_CREATED_WITH_CARD,
    SUBSCRIPTION_REDIRECTING,
    loaded,
)


def read(route: str, data: dict):
    """The notice the receiver reads from ``data`` on ``route`` (or the refusal's text)."""
    try:
        return payture_notice_of(data) if route == "payture" else notice_of(route, data)
    except UnreadableNotice as exc:
        return f"unreadable: {exc}"


def stored(body: str) -> dict:
    payload = masked_payload(loaded(body))
    assert payload is not None
    return json.loads(payload)


@pytest.mark.parametrize(("name", "route", "body"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_the_stored_payload_reads_as_the_same_notice(name, route, body):
    """Replay reads what the receiver read: every field of the notice survives masking."""
    assert read(route, stored(body)) == read(route, loaded(body))


@pytest.mark.parametrize(("name", "route", "body"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_no_example_keeps_a_card_number_or_a_token(name, route, body):
    text = masked_payload(loaded(body))
    assert find_card_number(text) is None
    for secret in ("1e2f9f69-a9d3", "159335feed5e", "064a120788b5", "55524-1559836037",
                   "6f1b7c1e-8d2a", "3241e439f8c87d941d92621a", "AAABBBCCC"):  # fmt: skip
        assert secret not in text


def test_a_card_transaction_keeps_brand_and_last_4_only():
    card = stored(CARD_TRANSACTION)["transaction"]["credit_card"]
    assert card == {"brand": "visa", "last_4": "0000"}
    transaction = stored(CARD_TRANSACTION)["transaction"]
    assert transaction["three_d_secure_verification"] == {"eci": "05", "cavv": MASK}
    assert transaction["customer"] == {"email": "journey@example.com", "ip": "127.0.0.1"}
    assert transaction["payment"]["rrn"] == "999"  # not card data: kept


@pytest.mark.parametrize("body", [SUBSCRIPTION_CREATED_WITH_CARD, SUBSCRIPTION_CANCELED])
def test_a_subscription_card_loses_holder_bin_first_digit_stamp_token_and_expiry(body):
    data = stored(body)
    assert data["card"] == {"brand": "visa", "last_4": "0000"}
    assert data["plan"] == loaded(body)["plan"]  # the plan is what the apply path checks
    assert "420000" not in json.dumps(data) and "John Doe" not in json.dumps(data["card"])


def test_a_subscription_checkout_token_is_masked_and_its_empty_card_stays_empty():
    data = stored(SUBSCRIPTION_REDIRECTING)
    assert data["token"] == MASK and data["card"] == {}
    assert data["redirect_url"] == loaded(SUBSCRIPTION_REDIRECTING)["redirect_url"]


def test_a_beyag_method_token_is_masked_and_the_rest_kept():
    original = loaded(APM_SUCCESSFUL)["transaction"]
    data = stored(APM_SUCCESSFUL)["transaction"]
    assert data[":method_name"] == {"type": ":method_name", "token": MASK}
    assert data["billing_address"] == original["billing_address"]  # an 11-digit phone
    assert data["receipt_url"] == original["receipt_url"]
    assert list(data) == list(original)  # keys and their order as received


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Order for card 4200000000000000, thanks", "Order for card ****0000, thanks"),
        ("card 4200 0000 0000 0000 please", "card ****0000 please"),
        ("4012-0000-0000-1097 then 5555555555554444", "****1097 then ****4444"),
        ("٤٢٠٠٠٠٠٠٠٠٠٠٠٠٠٠", "****٠٠٠٠"),  # Arabic-Indic digits are digits too
        ("order 12345, phone 17777777777, at 1767225600000", None),  # no Luhn-valid card
        ("4200000000000001", None),  # fails the Luhn check
        ("0000000000000000 and 4444444444444444", None),  # placeholders, not cards
        ("42000000000000000000000", None),  # 23 digits: not a card number
        ("Basic subscription, 3 months", None),
    ],
)
def test_card_numbers_hidden_in_text_keep_their_last_four_digits(text, expected):
    data = stored(json.dumps({"transaction": {"uid": "u-1", "description": text}}))
    assert data["transaction"]["description"] == (expected or text)


def test_a_card_number_sent_as_a_json_number_becomes_text_with_its_last_four():
    data = stored(json.dumps({"transaction": {"reference": 4200000000000000, "count": 17}}))
    assert data["transaction"] == {"reference": "****0000", "count": 17}


@pytest.mark.parametrize(
    "key",
    ["secret_key", "password", "access_token", "Authorization", "token", "api-key",
     "private_key", "cvc", "CVV2", "verification_value", "security_code", "pin", "stamp",
     "refresh_token", "client_secret", "pan", "card_number", "first_1", "bin", "exp_month"],
)  # fmt: skip
def test_secrets_and_card_data_keys_lose_their_values_wherever_they_are(key):
    body = {"transaction": {"uid": "u-1", "customer": {"extra": [{key: "s3cr3t-4242"}]}}}
    data = stored(json.dumps(body))
    assert data["transaction"]["customer"]["extra"] == [{key: MASK}]


def test_a_secret_key_holding_an_object_is_masked_whole_and_null_stays_null():
    data = stored(json.dumps({"password": {"old": "a", "new": "b"}, "secret_key": None}))
    assert data == {"password": MASK, "secret_key": None}


def test_credentials_written_into_text_are_masked():
    message = "retry with Authorization: Basic MzYxOnNhbmRib3gtc2VjcmV0 or Bearer abc.def.123456"
    data = stored(json.dumps({"transaction": {"message": message}}))
    assert data["transaction"]["message"] == (
        "retry with Authorization: Basic [masked] or Bearer [masked]"
    )


def test_identifiers_the_apply_path_matches_by_are_kept_even_when_luhn_valid():
    """A merchant's numeric order id passes the Luhn check one time in ten; masking it
    would make a replay match nothing (and the ledger keeps it in its own column)."""
    body = {"transaction": {"uid": "4200000000000000", "tracking_id": "4111111111111111",
                            "parent_uid": "5555555555554444", "amount": 1250,
                            "description": "4111111111111111"}}  # fmt: skip
    data = stored(json.dumps(body))["transaction"]
    assert (data["uid"], data["tracking_id"], data["parent_uid"]) == (
        "4200000000000000",
        "4111111111111111",
        "5555555555554444",
    )
    assert data["description"] == "****1111"


def test_a_payture_notice_is_kept_as_it_came():
    body = '{"bill_id": "4111111111111111", "status": "PAID", "amount": 50000}'
    assert stored(body) == loaded(body)


def test_over_the_size_kept_nothing_is_kept():
    small = {"transaction": {"uid": "u", "description": "x" * 1000}}
    big = {"transaction": {"uid": "u", "description": "x" * MAX_PAYLOAD_CHARS}}
    assert masked_payload(small) is not None
    assert masked_payload(big) is None


def test_a_body_nested_deeper_than_python_can_walk_is_not_kept():
    deep: dict = {}
    inner = deep
    for _ in range(5000):
        inner["a"] = {}
        inner = inner["a"]
    assert masked_payload(deep) is None


def test_a_signed_body_that_is_not_json_has_nothing_to_keep():
    with pytest.raises(UnreadableNotice):
        load_json_object(b"status=paid&uid=1")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet="0123456789 -abc=", max_size=40),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["uid", "description", "card", "token", "note", "amount", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.sampled_from(["transaction", "note", "card"]), _json, max_size=3))
def test_masking_twice_changes_nothing_more_and_leaves_no_card_number(data):
    once = mask(data)
    assert mask(once) == once
    for value in _strings(once, ()):
        assert find_card_number(value) is None, value


@given(st.lists(st.sampled_from(["4200000000000000", "0000", "123456789", " ", "-", "x"])))
def test_no_card_number_survives_in_text_however_the_pieces_fall(pieces):
    assert find_card_number(mask_text("".join(pieces))) is None


def _strings(value, path):
    """Every text outside the identifier paths (where rule 4 does not apply)."""
    from console.notices import IDENTIFIER_PATHS

    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, path)
    elif isinstance(value, str) and path not in IDENTIFIER_PATHS:
        yield value
