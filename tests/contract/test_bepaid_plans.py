"""bePaid plans: created, listed and read back; invalid plans are refused field by field."""

from __future__ import annotations

import pytest

from tests.contract.bepaid_support import plan_request, shared_sandbox


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with shared_sandbox(tmp_path_factory.mktemp("bepaid-plans")) as client:
        yield client


def test_a_plan_is_created_with_the_documented_defaults(shop):
    response = shop.post(
        "/plans",
        json={
            "title": "Basic plan",
            "currency": "USD",
            "plan": {"amount": 20, "interval": 20, "interval_unit": "day"},
        },
    )

    assert response.status_code == 201
    plan = response.json()
    assert plan["id"].startswith("pln_")
    assert plan["title"] == "Basic plan"
    assert plan["currency"] == "USD"
    assert plan["plan"] == {"amount": 20, "interval": 20, "interval_unit": "day"}
    assert plan["trial"] is None
    assert plan["infinite"] is True
    assert plan["billing_cycles"] is None
    assert plan["number_payment_attempts"] == 3


def test_a_plan_keeps_its_trial_cycles_and_attempts(shop):
    body = plan_request(
        infinite=False, billing_cycles=12, number_payment_attempts=5, language="ru", test=True
    )
    body["trial"]["as_first_payment"] = True

    plan = shop.post("/plans", json=body).json()

    assert plan["trial"] == {
        "amount": 100,
        "interval": 1,
        "interval_unit": "hour",
        "as_first_payment": True,
    }
    assert (plan["infinite"], plan["billing_cycles"]) == (False, 12)
    assert plan["number_payment_attempts"] == 5
    assert (plan["language"], plan["test"]) == ("ru", True)


def test_a_plan_is_read_back_by_id_and_listed_newest_first(shop):
    first = shop.post("/plans", json=plan_request(title="First")).json()
    second = shop.post("/plans", json=plan_request(title="Second")).json()

    assert shop.get(f"/plans/{first['id']}").json() == first
    listed = shop.get("/plans").json()
    assert isinstance(listed, list)
    ids = [plan["id"] for plan in listed]
    assert ids.index(second["id"]) < ids.index(first["id"])
    assert shop.get("/plans", params={"per_page": 1, "page": 1}).json() == [second]
    assert shop.get("/plans", params={"per_page": 1, "page": 2}).json() == [first]


def test_an_unknown_plan_is_404(shop):
    response = shop.get("/plans/pln_ffffffffffffffff")
    assert response.status_code == 404


def test_digit_string_amounts_are_taken_as_integers(shop):
    """bePaid's own subscription example sends "amount": "90"."""
    body = plan_request(plan={"amount": "90", "interval": 3, "interval_unit": "day"})

    plan = shop.post("/plans", json=body).json()

    assert plan["plan"]["amount"] == 90


@pytest.mark.parametrize(
    ("change", "errors", "message"),
    [
        (
            {"title": ""},
            {"title": ["can't be blank"]},
            "Title can't be blank",
        ),
        (
            {"currency": "LVL"},
            {"base": ["Currency is invalid"]},
            "Currency is invalid",
        ),
        (
            {"plan": {"amount": 0, "interval": 1, "interval_unit": "day"}},
            {"plan": {"amount": ["must be greater than 0"]}},
            "Amount must be greater than 0",
        ),
        (
            {"plan": {"amount": 9.99, "interval": 1, "interval_unit": "day"}},
            {"plan": {"amount": ["must be an integer"]}},
            "Amount must be an integer",
        ),
        (
            {"plan": {"amount": False, "interval": 1, "interval_unit": "day"}},
            {"plan": {"amount": ["must be an integer"]}},
            "Amount must be an integer",
        ),
        (
            {"plan": {"amount": 500, "interval": -1, "interval_unit": "week"}},
            {
                "plan": {
                    "interval": ["must be greater than 0"],
                    "interval_unit": ["is not included in the list"],
                }
            },
            "Interval must be greater than 0. Interval unit is not included in the list",
        ),
        (
            {"plan": None},
            {"plan": ["can't be blank"]},
            "Plan can't be blank",
        ),
        (
            {"plan": {}},
            {
                "plan": {
                    "amount": ["can't be blank"],
                    "interval": ["can't be blank"],
                    "interval_unit": ["can't be blank"],
                }
            },
            "Amount can't be blank. Interval can't be blank. Interval unit can't be blank",
        ),
        (
            {"trial": {"amount": 100, "interval_unit": "hour"}},
            {"trial": {"interval": ["can't be blank"]}},
            "Interval can't be blank",
        ),
        (
            {"infinite": False},
            {"billing_cycles": ["can't be blank"]},
            "Billing cycles can't be blank",
        ),
        (
            {"number_payment_attempts": 0},
            {"number_payment_attempts": ["must be greater than 0"]},
            "Number payment attempts must be greater than 0",
        ),
    ],
)
def test_invalid_plans_are_refused_with_field_errors(shop, change, errors, message):
    response = shop.post("/plans", json={**plan_request(), **change})

    assert response.status_code == 422
    assert response.json() == {"message": message, "errors": errors}
