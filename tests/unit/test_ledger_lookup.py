"""Support's search box: whatever is pasted — a console id, a provider id, an e-mail,
a whole pay link — finds the bill or subscription."""

from __future__ import annotations

import pytest

from console.ledger import Ledger, NewBill, NewSubscription, search_terms

TOKEN = "3241e439f8c87d941d92321a4bdc030d4c9a69c67f3b0cfe12de4a13cc34aa51"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    with Ledger(tmp_path_factory.mktemp("lookup") / "ledger.db") as ledger:
        card = ledger.create_bill(
            NewBill(
                provider="bepaid",
                kind="card_link",
                tracking_id="order-77",
                amount=100,
                currency="EUR",
                customer_email="Ann@Example.com",
            )
        )
        ledger.attach_provider_ids(
            card,
            provider_id="1-310-8f2a0c",
            token=TOKEN,
            pay_url=f"https://checkout.bepaid.by/v2/checkout?token={TOKEN}",
        )
        sandbox = ledger.create_bill(
            NewBill(
                provider="bepaid",
                kind="card_link",
                tracking_id="100500",
                amount=100,
                currency="EUR",
            )
        )
        ledger.attach_provider_ids(sandbox, token="sandbox-token-42")
        payture = ledger.create_bill(
            NewBill(
                provider="payture",
                kind="payture_bill",
                tracking_id="gift-9",
                amount=5000,
                currency="RUB",
            )
        )
        ledger.attach_provider_ids(payture, provider_id="bill-abc123", token="abc123xyz")
        apm = ledger.create_bill(
            NewBill(
                provider="begateway",
                kind="apm",
                tracking_id="erip-1",
                amount=700,
                currency="BYN",
                customer_email="ann@example.com",
            )
        )
        ledger.attach_provider_ids(apm, provider_id="4107-95cf4bf9b4")
        sub = ledger.create_subscription(
            NewSubscription(
                tracking_id="sub-ann",
                amount=1999,
                currency="USD",
                interval=1,
                interval_unit="month",
                customer_email="ANN@example.com",
            )
        )
        ledger.attach_subscription_ids(sub, provider_id="sbs_43cb5f79f8b56c17", token="sub-token-7")
        yield ledger


def found(ledger, query):
    result = ledger.lookup(query)
    return [b.ref for b in result.bills] + [s.ref for s in result.subscriptions]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("B1", ["B1"]),
        ("b1", ["B1"]),
        ("B#3", ["B3"]),
        (" S1 ", ["S1"]),
        ("3", ["B3"]),  # a plain number: bill 3 (there is no subscription 3)
        ("1", ["B1", "S1"]),
        ("order-77", ["B1"]),
        ("100500", ["B2"]),  # a numeric tracking id, not an id
        ("1-310-8f2a0c", ["B1"]),
        ("4107-95cf4bf9b4", ["B4"]),
        ("sbs_43cb5f79f8b56c17", ["S1"]),
        (TOKEN, ["B1"]),
        ("ANN@EXAMPLE.COM", ["B4", "B1", "S1"]),
        (f"https://checkout.bepaid.by/v2/checkout?token={TOKEN}", ["B1"]),
        ("http://127.0.0.1:8600/checkout?token=sandbox-token-42", ["B2"]),
        ("https://payture.com/apim/Pay?SessionId=abc123xyz", ["B3"]),
        ("checkout.bepaid.by/v2/checkout?token=sub-token-7", ["S1"]),
        ("https://api.bepaid.by/subscriptions/sbs_43cb5f79f8b56c17", ["S1"]),
    ],
)
def test_pasted_text_finds_the_object(ledger, query, expected):
    assert found(ledger, query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "B999",
        "nobody@example.com",
        "x" * 5000,
        "https://checkout.bepaid.by/v2/checkout?token=unknown",
    ],
)
def test_nothing_matching_is_an_empty_falsy_result(ledger, query):
    result = ledger.lookup(query)
    assert not result
    assert result.bills == [] and result.subscriptions == []


def test_many_matches_are_limited_newest_first(tmp_path):
    with Ledger(tmp_path / "l.db") as ledger:
        for number in range(30):
            ledger.create_bill(
                NewBill(
                    provider="bepaid",
                    kind="card_link",
                    tracking_id=f"o-{number}",
                    amount=1,
                    currency="EUR",
                    customer_email="x@y.z",
                )
            )
        bills = ledger.lookup("x@y.z", limit=10).bills
        assert [b.id for b in bills] == list(range(30, 20, -1))


def test_pay_link_terms_come_from_query_values_and_id_like_path_segments():
    terms = search_terms("https://gateway.bepaid.by/process/94-bb19e2c4bc?lang=ru")
    assert "94-bb19e2c4bc" in terms.texts and "ru" in terms.texts
    assert "process" not in terms.texts  # no digits: not an id
    assert terms.bill_ids == set() and terms.emails == []


@pytest.mark.parametrize(
    ("provider", "keys", "expected"),
    [
        ("bepaid", {"provider_id": "1-310-8f2a0c"}, "B1"),
        ("bepaid", {"tracking_id": "order-77"}, "B1"),
        ("bepaid", {"token": "sandbox-token-42"}, "B2"),
        ("payture", {"provider_id": "bill-abc123"}, "B3"),
        ("begateway", {"provider_id": "1-310-8f2a0c"}, None),  # another provider's id
        ("bepaid", {"tracking_id": "gift-9"}, None),
    ],
)
def test_find_bill_matches_one_provider_exactly(ledger, provider, keys, expected):
    bill = ledger.find_bill(provider, **keys)
    assert (bill.ref if bill else None) == expected


def test_find_subscription_by_bepaid_id_or_tracking_id(ledger):
    assert ledger.find_subscription("bepaid", provider_id="sbs_43cb5f79f8b56c17").ref == "S1"
    assert ledger.find_subscription("bepaid", tracking_id="sub-ann").ref == "S1"
    assert ledger.find_subscription("bepaid", tracking_id="order-77") is None
