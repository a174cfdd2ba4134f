"""The Subscriptions page's list: a search that narrows by e-mail, plan, states and ids, pages
read by keyset, a detail box that picks from the search result, and ``subscriptions?id=S12``
opening one directly; the detail links its customer to the Customer page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from console.auth import LOCAL_ADMIN, Actor, Role
from console.ledger import Ledger, NewSubscription
from console.status import SubscriptionStatus as State
from console.ui.context import ACTOR_KEY
from console.ui.registry import PAGES_DIR
from tests.app import sell_support as sell
from tests.app.sell_support import error_under
from tests.support.markdown import as_shown

sandbox = sell.sandbox
console_env = sell.console_env

AT = datetime(2026, 1, 5, tzinfo=UTC)
COUNT = 130
PLANS = [("pln_basic", "Basic, monthly"), ("pln_pro", "Pro, monthly"), ("pln_team", "Team, yearly")]
STATES = [State.ACTIVE, State.PAST_DUE, State.CANCELED, State.TRIAL, State.ACTIVE]


def expected(**where) -> list[str]:
    """The refs, newest first, of the subscriptions n = 0..129 (S1..S130) that match."""
    rows = []
    for n in range(COUNT):
        facts = {"email": f"c{n % 7}@example.com", "plan": PLANS[n % 3][0], "state": STATES[n % 5]}
        if all(facts[key] in (value if isinstance(value, tuple) else (value,))
               for key, value in where.items()):  # fmt: skip
            rows.append(f"S{n + 1}")
    return rows[::-1]


@pytest.fixture(scope="module")
def ledger_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("subs") / "ledger.db"
    with Ledger(path) as ledger:
        for n in range(COUNT):
            plan_id, title = PLANS[n % 3]
            sub = ledger.create_subscription(
                NewSubscription(
                    tracking_id=f"club-{n + 1}",
                    amount=990,
                    currency="EUR",
                    interval=1,
                    interval_unit="month",
                    plan_id=plan_id,
                    plan_title=title,
                    customer_email=f"c{n % 7}@example.com",
                    status=State.PENDING,
                    demo=True,
                    at=AT + timedelta(hours=n),
                )
            )
            ledger.record_subscription_status(sub, STATES[n % 5], None, "poll")
    return path


@pytest.fixture
def page(console_env, sandbox, ledger_path):
    console_env(ledger_path, sandbox)

    def open_(actor: Actor = LOCAL_ADMIN, **params):
        """The page as ``subscriptions?<params>`` opens it."""
        at = AppTest.from_file(PAGES_DIR / "subscriptions.py", default_timeout=60)
        at.session_state[ACTOR_KEY] = actor
        at.query_params.update(params)
        return at.run()

    return open_


def listed(at) -> list[str]:
    assert not at.exception
    return list(at.dataframe[0].value["ref"])


def search(at, **values):
    for key, value in values.items():
        widget = at.main.get_by_key(f"sub_q_{key}")
        widget.set_value(value)
    return at.run()


def test_without_a_search_the_newest_page_is_listed(page):
    at = page()
    assert listed(at) == [f"S{n}" for n in range(COUNT, COUNT - 50, -1)]
    assert as_shown(at.caption[0].value) == "130 subscriptions in the ledger."


@pytest.mark.parametrize(
    ("values", "where"),
    [
        ({"email": "C3@Example.com"}, {"email": "c3@example.com"}),
        ({"plan": "pln_team"}, {"plan": "pln_team"}),
        ({"plan": "pro"}, {"plan": "pln_pro"}),  # a part of the title, any case
        ({"states": ["past_due"]}, {"state": State.PAST_DUE}),
        ({"states": ["canceled", "trial"]}, {"state": (State.CANCELED, State.TRIAL)}),
        (
            {"email": "c3@example.com", "plan": "Basic", "states": ["active"]},
            {"email": "c3@example.com", "plan": "pln_basic", "state": State.ACTIVE},
        ),
    ],
)
def test_each_part_of_the_search_narrows_the_list(page, values, where):
    at = search(page(), **values)
    wanted = expected(**where)
    assert 0 < len(wanted) < COUNT
    assert listed(at) == wanted[:50]
    words = "subscription matches" if len(wanted) == 1 else "subscriptions match"
    assert as_shown(at.caption[0].value) == f"{len(wanted)} {words}."


@pytest.mark.parametrize("ref", ["S17", "17", "club-17"])
def test_a_subscription_or_tracking_id_finds_that_one(page, ref):
    assert listed(search(page(), ref=ref)) == ["S17"]


def test_nothing_matching_says_so(page):
    at = search(page(), email="nobody@example.com")
    assert "No subscription matches." in [i.value for i in at.info]
    assert not at.dataframe


def test_a_malformed_e_mail_is_explained_and_nothing_is_searched(page):
    at = search(page(), email="c3@")
    assert "not an e-mail address" in error_under(at, "sub_q_email")
    assert not at.dataframe


def test_a_search_too_long_to_be_an_id_is_refused_with_a_message(page):
    at = search(page(), ref="S1 " * 1000)
    assert "at most 2048 characters" in at.error[0].value
    assert not at.dataframe


def test_pages_follow_one_another_with_no_row_twice_and_none_missed(page):
    at = page()
    seen: list[str] = []
    while True:
        seen += listed(at)
        older = at.button(key="sub_list_older")
        if older.disabled:
            break
        older.click().run()
    assert seen == [f"S{n}" for n in range(COUNT, 0, -1)]
    assert "Page 3: subscriptions 101–130" in at.caption[1].value
    at.button(key="sub_list_newer").click().run()
    assert listed(at)[0] == "S80"


def test_a_new_search_starts_at_its_newest_page(page):
    at = page()
    at.button(key="sub_list_older").click().run()
    at = search(at, states=["past_due"])
    assert listed(at) == expected(state=State.PAST_DUE)


def test_the_detail_box_picks_from_the_search_result_not_only_the_newest(page):
    at = search(page(), email="c0@example.com", states=["canceled"])
    oldest = expected(email="c0@example.com", state=State.CANCELED)[-1]
    assert int(oldest[1:]) < COUNT - 50  # not among the newest 50
    assert oldest in at.selectbox(key="sub_detail").options[-1]
    at.selectbox(key="sub_detail").set_value(oldest).run()
    assert at.subheader[0].value.startswith(f"{oldest}:")
    assert at.query_params["id"] == oldest  # the address names it: it can be shared


@pytest.mark.parametrize("named", ["S3", "s3", "club-3"])
def test_the_address_opens_a_subscription_in_detail(page, named):
    at = page(id=named)
    assert not at.exception
    assert at.selectbox(key="sub_detail").value == "S3"
    assert at.subheader[0].value == "S3: Team, yearly"
    assert at.query_params["id"] == "S3"
    customer = next(m.value for m in at.markdown if m.value.startswith("Customer:"))
    assert customer == "Customer: [c2@example.com](customer?email=c2%40example.com)"


def test_an_address_naming_no_subscription_says_so(page):
    at = page(id="S9999")
    assert as_shown(at.warning[0].value) == "No subscription is “S9999”."
    assert at.selectbox(key="sub_detail").value is None
    assert "id" not in at.query_params


def test_a_viewer_can_search_and_read(page):
    at = search(page(Actor("vic", Role.VIEWER)), email="c1@example.com")
    assert listed(at) == expected(email="c1@example.com")[:50]
    at.selectbox(key="sub_detail").set_value(listed(at)[0]).run()
    assert not at.exception and at.subheader[0].value.startswith(listed(at)[0])
