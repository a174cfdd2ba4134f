"""The clients under the sandbox's injected faults: bounded retries for reads, and no
duplicate objects when a create's answer is lost (``POST /__sandbox/faults``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from console.providers import (
    NewApmPayment,
    NewCheckout,
    NewCustomer,
    NewPlan,
    OutcomeUnknown,
    ProviderUnavailable,
    RateLimited,
)
from console.status import SubscriptionStatus
from tests.contract.client_support import PRODUCT, USER, add_fault, clients, fault_applied, state

PLAN = NewPlan(title="Weekly", currency="EUR", amount=900, interval=7, interval_unit="day")
CHECKOUTS = "/ctp/api/checkouts"
BILL_STATUS = "/api/payments/20/payture/billStatus"


@pytest.fixture(scope="module")
def url(module_sandbox):
    return module_sandbox[0]


@pytest.fixture
def admin(module_client):
    yield module_client
    module_client.delete("/__sandbox/faults")


@pytest.fixture
def made(url):
    """Clients with a patient read timeout: ordinary calls never time out, even on a busy CI."""
    with clients(url, read_timeout=10.0) as made:
        yield made


@pytest.fixture
def impatient(url):
    """Clients that give up reading after half a second, for calls a fault holds longer."""
    with clients(url, read_timeout=0.5) as made:
        yield made


def new_link(made, tracking_id: str):
    return made.bepaid.create_checkout(
        NewCheckout(amount=500, currency="EUR", description="Fault test", tracking_id=tracking_id)
    )


@pytest.mark.parametrize(
    ("fault", "waits"),
    [
        ({"kind": "error", "status": 503, "count": 2}, 2),
        ({"kind": "error", "status": 500, "count": 1}, 1),
        ({"kind": "rate_limit", "retry_after": 1, "count": 2}, 2),
        ({"kind": "drop", "count": 1}, 1),
    ],
    ids=lambda value: value.get("kind") if isinstance(value, dict) else str(value),
)
def test_reads_recover_from_transient_faults(made, admin, fault, waits):
    link = new_link(made, f"fault-read-{fault['kind']}-{fault.get('status')}")
    spec = add_fault(admin, method="GET", path=f"{CHECKOUTS}/{link.token}", **fault)
    assert made.bepaid.get_checkout(link.token).token == link.token
    assert fault_applied(admin, spec["id"]) == fault["count"]
    assert len(made.waits.waits) == waits
    if fault["kind"] == "rate_limit":
        assert made.waits.waits == [1.0, 1.0]  # Retry-After honoured


def test_read_timeout_on_a_read_is_retried(url, made, admin):
    link = new_link(made, "fault-read-latency")
    spec = add_fault(admin, method="GET", path=f"{CHECKOUTS}/{link.token}", kind="latency",
                     seconds=3.0)  # fmt: skip
    with clients(url, read_timeout=1.5) as patient_enough:
        assert patient_enough.bepaid.get_checkout(link.token).token == link.token
        assert len(patient_enough.waits.waits) == 1
    assert fault_applied(admin, spec["id"]) == 1


def test_persistent_5xx_ends_unavailable_after_bounded_attempts(made, admin):
    link = new_link(made, "fault-503-forever")
    spec = add_fault(admin, method="GET", path=f"{CHECKOUTS}/{link.token}", kind="error", count=9)
    with pytest.raises(ProviderUnavailable) as caught:
        made.bepaid.get_checkout(link.token)
    assert caught.value.attempts == 3 and fault_applied(admin, spec["id"]) == 3


def test_persistent_429_ends_rate_limited(made, admin):
    path = "^/v2/transactions/tracking_id/"
    spec = add_fault(admin, method="GET", path=path, kind="rate_limit", retry_after=2, count=9)
    with pytest.raises(RateLimited) as caught:
        made.bepaid.find_transactions("anything")
    assert caught.value.retry_after == 2.0 and fault_applied(admin, spec["id"]) == 3
    assert made.waits.waits == [2.0, 2.0]


def test_bill_status_post_is_retried_like_a_read(made, admin):
    bill = made.payture.bill_create(PRODUCT)
    spec = add_fault(admin, method="POST", path=BILL_STATUS, kind="drop", count=1)
    assert made.payture.bill_status(bill.bill_id).native_status == "PENDING"
    assert fault_applied(admin, spec["id"]) == 1


def checkouts_with(admin, tracking_id: str) -> int:
    return sum(
        c["order"]["tracking_id"] == tracking_id for c in state(admin)["bepaid"]["checkouts"]
    )


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": "error", "status": 503}, ProviderUnavailable),
        ({"kind": "rate_limit", "retry_after": 1}, RateLimited),
        ({"kind": "error", "status": 502}, OutcomeUnknown),  # a gateway: cannot know
        ({"kind": "drop"}, OutcomeUnknown),
    ],
    ids=lambda value: (
        f"{value['kind']}-{value.get('status', '')}" if isinstance(value, dict) else ""
    ),
)
def test_create_is_sent_once_when_it_fails(made, admin, fault, error):
    tracking_id = f"fault-create-{fault['kind']}-{fault.get('status', '')}"
    spec = add_fault(admin, method="POST", path=CHECKOUTS, count=5, **fault)
    with pytest.raises(error) as caught:
        new_link(made, tracking_id)
    assert fault_applied(admin, spec["id"]) == 1  # never re-sent
    assert made.waits.waits == []
    if isinstance(caught.value, OutcomeUnknown):
        assert caught.value.tracking_id == tracking_id
    # None of these faults ran the handler: billing's lookup finds nothing, so it may
    # create again, and then there is exactly one.
    assert made.bepaid.find_transactions(tracking_id) == ()
    admin.delete("/__sandbox/faults")
    new_link(made, tracking_id)
    assert checkouts_with(admin, tracking_id) == 1


@dataclass
class Create:
    """One create call, the fault path it hits, and how to count what it made."""

    path: str
    run: Callable[[Any, str], Any]
    count: Callable[[Any, Any, str], int]


def _count_section(name: str, key: Callable[[dict], Any], value: Callable[[str], Any]):
    return lambda made, admin, tag: sum(
        key(item) == value(tag) for item in state(admin)["bepaid"][name]
    )


CREATES = {
    "checkout": Create(
        CHECKOUTS,
        lambda made, tag: new_link(made, tag),
        _count_section("checkouts", lambda c: c["order"]["tracking_id"], str),
    ),
    "subscription": Create(
        "/subscriptions",
        lambda made, tag: made.bepaid.create_subscription(plan=PLAN, tracking_id=tag),
        _count_section("subscriptions", lambda s: s.get("tracking_id"), str),
    ),
    "plan": Create(
        "/plans",
        lambda made, tag: made.bepaid.create_plan(NewPlan(**{**_fields(PLAN), "title": tag})),
        _count_section("plans", lambda p: p["title"], str),
    ),
    "customer": Create(
        "/customers",
        lambda made, tag: made.bepaid.create_customer(
            NewCustomer(email=f"{tag}@example.com", ip="127.0.0.1")
        ),
        _count_section("customers", lambda c: c["email"], lambda tag: f"{tag}@example.com"),
    ),
    "beyag payment": Create(
        "/beyag/transactions/payments",
        lambda made, tag: made.beyag.create_payment(
            NewApmPayment(
                amount=700,
                currency="USD",
                description="Fault test",
                method_type="erip",
                return_url="https://shop.example/back",
                tracking_id=tag,
            )
        ),
        lambda made, admin, tag: len(made.beyag.find_payments(tag)),
    ),
    "bill": Create(
        "/api/payments/20/payture/billCreateUnauthorised",
        lambda made, tag: made.payture.bill_create_unauthorised(
            PRODUCT, USER, extended={"campaign": tag}
        ),
        lambda made, admin, tag: sum(
            b["extended"].get("campaign") == tag for b in state(admin)["payture"]["bills"]
        ),
    ),
}


def _fields(plan: NewPlan) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in NewPlan.__slots__}


@pytest.mark.parametrize("seconds", [2.0, 0.0], ids=["read-timeout", "dropped-after-commit"])
@pytest.mark.parametrize("name", list(CREATES))
def test_commit_then_timeout_leaves_exactly_one_object(
    made, impatient, admin, wait_until, name, seconds
):
    create = CREATES[name]
    tag = f"ctt-{name.replace(' ', '-')}-{int(seconds)}"
    spec = add_fault(
        admin, method="POST", path=create.path, kind="commit_then_timeout", seconds=seconds
    )
    with pytest.raises(OutcomeUnknown) as caught:
        create.run(impatient, tag)
    assert fault_applied(admin, spec["id"]) == 1
    if name in ("checkout", "subscription", "beyag payment"):
        assert caught.value.tracking_id == tag
    # The provider did it once; the client did not send it again.
    wait_until(lambda: create.count(made, admin, tag) >= 1, timeout=5, what=f"the {name}")
    assert create.count(made, admin, tag) == 1


def test_cancel_whose_answer_is_lost_is_resolved_by_reading(made, impatient, admin):
    sub = made.bepaid.create_subscription(plan=PLAN, tracking_id="ctt-cancel")
    path = f"/subscriptions/{sub.id}/cancel"
    add_fault(admin, method="POST", path=path, kind="commit_then_timeout", seconds=2.0)
    with pytest.raises(OutcomeUnknown):
        impatient.bepaid.cancel_subscription(sub.id, reason="lost answer")
    assert made.bepaid.get_subscription(sub.id).status is SubscriptionStatus.CANCELED
