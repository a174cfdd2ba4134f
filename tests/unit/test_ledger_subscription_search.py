"""``ledger.subscriptions``: the Subscriptions page's search — by e-mail, plan, states and
ids, every part narrowing — and keyset pages that never repeat or miss a row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.errors import ValidationError
from console.ledger import Ledger, NewSubscription, SubscriptionQuery
from console.status import SubscriptionStatus as State

AT = datetime(2026, 2, 1, tzinfo=UTC)
PLANS = [("pln_basic", "Basic, monthly"), ("pln_pro", "Pro, monthly"), ("pln_team", "Team 100%")]
STATES = [State.ACTIVE, State.PAST_DUE, State.CANCELED, State.TRIAL]


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    """60 subscriptions: plans, states and three customers in turn; S1..S60."""
    with Ledger(tmp_path_factory.mktemp("subs") / "ledger.db") as ledger:
        for n in range(60):
            plan_id, title = PLANS[n % 3]
            sub = ledger.create_subscription(
                NewSubscription(
                    tracking_id=f"track-{n}",
                    amount=990,
                    currency="EUR",
                    interval=1,
                    interval_unit="month",
                    plan_id=plan_id,
                    plan_title=title,
                    customer_email=f"c{n % 5}@example.com",
                    status=State.PENDING,
                    at=AT + timedelta(hours=n),
                )
            )
            ledger.attach_subscription_ids(sub, provider_id=f"sbs_{n:04d}abc")
            ledger.record_subscription_status(sub, STATES[n % 4], None, "webhook")
        yield ledger


def found(ledger, **query) -> list[int]:
    return [s.id for s in ledger.subscriptions.search(SubscriptionQuery(**query), limit=100).rows]


def test_no_search_lists_every_subscription_newest_first(ledger):
    assert found(ledger) == list(range(60, 0, -1))
    assert ledger.subscriptions.count(SubscriptionQuery()) == 60


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"email": "C2@Example.com"}, [n + 1 for n in range(60) if n % 5 == 2]),
        ({"plan": "pln_pro"}, [n + 1 for n in range(60) if n % 3 == 1]),
        ({"plan": "PRO"}, [n + 1 for n in range(60) if n % 3 == 1]),  # a part of the title
        ({"plan": "monthly"}, [n + 1 for n in range(60) if n % 3 != 2]),
        ({"plan": "100%"}, [n + 1 for n in range(60) if n % 3 == 2]),  # % is a character
        ({"plan": "1_0"}, []),  # _ is a character, not "any one character"
        ({"states": (State.PAST_DUE,)}, [n + 1 for n in range(60) if n % 4 == 1]),
        (
            {"states": (State.ACTIVE, State.TRIAL)},
            [n + 1 for n in range(60) if n % 4 in (0, 3)],
        ),
        ({"ref": "S17"}, [17]),
        ({"ref": "17"}, [17]),
        ({"ref": "track-16"}, [17]),
        ({"ref": "sbs_0016abc"}, [17]),
        ({"ref": "https://api.bepaid.by/subscriptions/sbs_0016abc"}, [17]),
        ({"ref": "nothing-like-it"}, []),
        (
            {"email": "c1@example.com", "plan": "pln_basic", "states": (State.CANCELED,)},
            [n + 1 for n in range(60) if n % 5 == 1 and n % 3 == 0 and n % 4 == 2],
        ),
        ({"email": "c1@example.com", "ref": "S17"}, [17]),  # S17 is c1's (16 % 5 == 1)
        ({"email": "c2@example.com", "ref": "S17"}, []),
    ],
)
def test_each_part_narrows_the_search(ledger, query, expected):
    assert found(ledger, **query) == sorted(expected, reverse=True)  # newest first
    assert ledger.subscriptions.count(SubscriptionQuery(**query)) == len(expected)


def test_blank_parts_are_left_out(ledger):
    assert not SubscriptionQuery(email="  ", plan="", ref=" ")
    assert found(ledger, email="  ", plan="", ref=" ") == list(range(60, 0, -1))


def test_the_count_stops_at_its_cap(ledger):
    assert ledger.subscriptions.count(SubscriptionQuery(), cap=25) == 25


@pytest.mark.parametrize(
    "query",
    [
        SubscriptionQuery(email="not-an-address"),
        SubscriptionQuery(states=("sleeping",)),  # type: ignore[arg-type]
        SubscriptionQuery(ref="x" * 5000),
    ],
)
def test_bad_searches_are_refused(ledger, query):
    with pytest.raises(ValidationError):
        ledger.subscriptions.search(query)


@pytest.mark.parametrize("limit", [1, 4, 7, 50, 60])
@pytest.mark.parametrize(
    "query",
    [SubscriptionQuery(), SubscriptionQuery(states=(State.ACTIVE, State.CANCELED))],
    ids=["all", "two states"],
)
def test_pages_never_repeat_or_miss_a_row(ledger, query, limit):
    ids, before, pages = [], None, 0
    while True:
        page = ledger.subscriptions.search(query, limit=limit, before=before)
        pages += 1
        assert 0 < len(page.rows) <= limit
        ids += [s.id for s in page.rows]
        if page.older is None:
            break
        assert len(page.rows) == limit
        before = page.older
    expected = found(ledger, states=query.states)
    assert ids == expected and len(set(ids)) == len(ids)
    assert pages == -(-len(expected) // limit)


def test_a_page_is_the_same_after_newer_subscriptions_arrive(tmp_path):
    """Keyset, not OFFSET: rows added at the top do not shift the next page."""
    with Ledger(tmp_path / "ledger.db") as ledger:

        def add(n):
            ledger.create_subscription(
                NewSubscription(
                    tracking_id=f"t-{n}",
                    amount=100,
                    currency="EUR",
                    interval=1,
                    interval_unit="month",
                    status=State.PENDING,
                )
            )

        for n in range(10):
            add(n)
        first = ledger.subscriptions.search(SubscriptionQuery(), limit=4)
        for n in range(10, 15):
            add(n)
        second = ledger.subscriptions.search(SubscriptionQuery(), limit=4, before=first.older)
        assert [s.id for s in first.rows] == [10, 9, 8, 7]
        assert [s.id for s in second.rows] == [6, 5, 4, 3]
