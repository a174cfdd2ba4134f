"""Links between pages and the Customer page's rows, without Streamlit: addresses encode the
e-mail whole, link text is never markup, money is per currency in its own exponent."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from console.ledger import CurrencyTotals
from console.ui.customer_view import owner_links, totals_rows
from console.ui.links import customer_href, customer_link, lookup_link, subscription_href
from tests.support.markdown import as_shown

AT = datetime(2026, 4, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "email",
    ["anna@example.com", "a+tag@example.com", "o'neil&co@example.com", "x#y?z=1@example.com"],
)
def test_the_customer_address_carries_the_whole_e_mail(email):
    href = customer_href(email)
    assert href.startswith("customer?email=") and re.fullmatch(r"[\w.~%=?-]+", href)
    assert parse_qs(urlsplit(href).query) == {"email": [email]}  # nothing lost, nothing added


def test_a_customer_link_is_one_link_whatever_the_address_holds():
    email = "x](https://evil.example/a)[y@example.com"  # an imported row is only checked for @
    link = customer_link(email)
    assert link.count("](") == 1 and link.endswith(f"]({customer_href(email)})")
    assert as_shown(link.split("](customer?")[0].removeprefix("[")) == email
    assert customer_link(None) == customer_link("") == ""


def test_other_page_addresses():
    assert lookup_link("B12") == "[B12](lookup?q=B12)"
    assert subscription_href("S3") == "subscriptions?id=S3"
    assert owner_links(12, 3) == "[B12](lookup?q=B12) · [S3](lookup?q=S3)"
    assert owner_links(None, 3) == "[S3](lookup?q=S3)"


def test_totals_are_shown_per_currency_in_its_own_minor_units():
    rows = totals_rows(
        [
            CurrencyTotals("JPY", 12_000, 2_000, 3, 1, AT, AT),
            CurrencyTotals("KWD", 1_234_567, 0, 1, 0, AT, AT),
            CurrencyTotals("EUR", 0, 500, 0, 1, None, None),  # only a refund seen
        ],
        "Europe/Minsk",
    )
    assert [(r["currency"], r["paid"], r["refunded"], r["net"]) for r in rows] == [
        ("JPY", "12 000 JPY", "2 000 JPY", "10 000 JPY"),
        ("KWD", "1 234.567 KWD", "0.000 KWD", "1 234.567 KWD"),
        ("EUR", "0.00 EUR", "5.00 EUR", "-5.00 EUR"),
    ]
    assert rows[0]["first payment (Europe/Minsk)"] == "2026-04-01 11:30:00"
    assert rows[2]["last payment (Europe/Minsk)"] == ""
