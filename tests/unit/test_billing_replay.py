"""Replaying a stored notification (``billing.notifications.replay``): the stored, masked
payload goes through the receiver's own apply path, so a replay gets the verdict a second
delivery of the original body would get — on a ledger file, without HTTP (the contract
tests post real notifications and replay them; Payture's replay asks billStatus there)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from console.auth import Actor, PermissionDenied, Role
from console.billing import Billing, NotReplayable, UnknownObject
from console.config import load_settings
from console.ledger import Ledger, NewBill, NewSubscription
from console.notices import (
    ROUTE_PROVIDER,
    Delivery,
    UnreadableNotice,
    apply_notice,
    load_json_object,
    masked_payload,
    notice_of,
)
from console.status import BillStatus, SubscriptionStatus

ADMIN = Actor("ada", Role.ADMIN, "page:activity")
CARD = {"holder": "Jane Payer", "brand": "visa", "last_4": "0000", "first_1": "4",
        "bin": "420000", "token": "card-token-1", "exp_month": 12, "exp_year": 2039}  # fmt: skip


def receive(ledger: Ledger, route: str, body: dict[str, Any]) -> tuple[str, str | None, int]:
    """What the receiver does with a verified body: read it, keep it masked, apply it."""
    raw = json.dumps(body).encode()
    data = load_json_object(raw)
    delivery = Delivery(body_sha256="0" * 64, payload=masked_payload(data))
    try:
        notice = notice_of(route, data)
    except UnreadableNotice as exc:
        row = ledger.record_notification(
            provider=ROUTE_PROVIDER[route], verdict="error", detail=f"unreadable: {exc}",
            **delivery.row(),
        )  # fmt: skip
        return "error", f"unreadable: {exc}", row
    verdict = apply_notice(ledger, notice, delivery)
    assert verdict.notification_id is not None
    return verdict.verdict, verdict.detail, verdict.notification_id


def new_bill(ledger, *, tracking_id="order-1", kind="card_link", provider="bepaid", **fields):
    values = {"amount": 1234, "currency": "EUR", "test": True, "status": BillStatus.PENDING}
    return ledger.create_bill(
        NewBill(provider=provider, kind=kind, tracking_id=tracking_id, **(values | fields))
    )


def transaction(**changes):
    data = {
        "uid": "uid-1", "status": "successful", "amount": 1234, "currency": "EUR",
        "type": "payment", "tracking_id": "order-1", "test": True,
        "description": "Order 1, paid with 4200 0000 0000 0000",
        "created_at": "2026-01-05T10:00:00Z", "paid_at": "2026-01-05T10:00:00Z",
        "credit_card": CARD,
    }  # fmt: skip
    return {"transaction": {**data, **changes}}


def subscription_row(ledger):
    sub = ledger.create_subscription(
        NewSubscription(
            tracking_id="sub-1", amount=500, currency="USD", interval=1, interval_unit="day",
            test=True, status=SubscriptionStatus.PENDING,
        )
    )  # fmt: skip
    ledger.attach_subscription_ids(sub, provider_id="sbs_1")


SUBSCRIPTION = {
    "id": "sbs_1", "state": "active", "tracking_id": "sub-1", "paid_billing_cycles": 1,
    "renew_at": "2026-01-06T10:00:00Z", "active_to": "2026-01-06T10:00:00Z",
    "plan": {"id": "pln_1", "currency": "USD", "test": True,
             "plan": {"amount": 500, "interval": 1, "interval_unit": "day"}},
    "last_transaction": {"uid": "t-2", "status": "successful",
                         "created_at": "2026-01-05T10:00:00Z"},
    "card": CARD,
}  # fmt: skip


def paid_by_another_transaction(ledger):
    new_bill(ledger)
    receive(ledger, "bepaid", transaction(uid="uid-0"))


def charged(ledger):
    bill = new_bill(ledger)
    receive(ledger, "bepaid", transaction())
    assert ledger.get_bill(bill).status is BillStatus.PAID


@dataclass(frozen=True)
class Scenario:
    name: str
    route: str
    body: dict[str, Any]
    before: Callable[[Ledger], object]  # the ledger before the first delivery
    between: Callable[[Ledger], object]  # what happens before the second one / the replay
    verdicts: tuple[str, str]  # the first delivery's verdict, then the second's


def nothing(ledger):
    return None


SCENARIOS = [
    Scenario("a payment, applied", "bepaid", transaction(), new_bill, nothing,
             ("applied", "duplicate")),
    Scenario("a payment before its bill existed", "bepaid", transaction(), nothing, new_bill,
             ("unknown_object", "applied")),
    Scenario("a test payment for a live bill", "bepaid", transaction(),
             lambda ledger: new_bill(ledger, test=False), nothing, ("mismatch", "mismatch")),
    Scenario("a payment of another amount", "bepaid", transaction(amount=999), new_bill,
             nothing, ("mismatch", "mismatch")),
    Scenario("a late failure after the payment", "bepaid",
             transaction(status="failed", paid_at=None), paid_by_another_transaction, nothing,
             ("stale", "stale")),
    Scenario("a refund", "bepaid",
             transaction(uid="r-1", type="refund", parent_uid="uid-1", amount=234), charged,
             nothing, ("applied", "duplicate")),
    Scenario("a subscription renewal", "bepaid", SUBSCRIPTION, subscription_row, nothing,
             ("applied", "duplicate")),
    Scenario("an alternative payment", "beyag", transaction(payment_method_type="qiwi"),
             lambda ledger: new_bill(ledger, kind="apm", provider="begateway"), nothing,
             ("applied", "duplicate")),
    Scenario("a signed body that is no notification", "bepaid", {"hello": "world"}, nothing,
             nothing, ("error", "error")),
]  # fmt: skip


def billing_over(ledger: Ledger, tmp_path: Path) -> Billing:
    settings = load_settings(env={"MERCHANT_CONSOLE_MODE": "sandbox"}, secrets_path=tmp_path / "x")
    return Billing(settings, ledger)


def effects(ledger: Ledger) -> dict[str, list]:
    conn = ledger.connection()
    return {
        table: [tuple(row) for row in conn.execute(f"SELECT {columns} FROM {table} ORDER BY id")]
        for table, columns in (
            ("bills", "id, status, native_status, provider_id"),
            ("subscriptions", "id, status, paid_cycles, renew_at"),
            ("payments", "id, provider_txn_id, kind, amount, currency, parent_id"),
            ("status_events", "object_type, object_id, from_status, to_status, source"),
            ("refunds", "id, status, amount, provider_uid"),
        )
    }


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_a_replay_gets_the_verdict_a_second_delivery_would_get(scenario, tmp_path):
    """Ledger A gets the body twice from the provider; ledger B gets it once and then an
    admin replays the stored payload. Same verdicts, same details, same ledger."""
    with Ledger(tmp_path / "a.db") as a, Ledger(tmp_path / "b.db") as b:
        outcomes = []
        for ledger in (a, b):
            scenario.before(ledger)
            first = receive(ledger, scenario.route, scenario.body)
            scenario.between(ledger)
            if ledger is a:
                second = receive(ledger, scenario.route, scenario.body)
            else:
                replayed = billing_over(ledger, tmp_path).notifications.replay(ADMIN, first[2])
                second = (replayed.verdict.verdict, replayed.verdict.detail, replayed.row.id)
                assert (replayed.row.replay_of, replayed.row.actor) == (first[2], "ada")
                assert replayed.row.verdict == replayed.verdict.verdict
            outcomes.append((first, second))
        (a_first, a_second), (b_first, b_second) = outcomes
        assert (a_first[0], a_second[0]) == scenario.verdicts
        assert (b_first, b_second) == (a_first, a_second)
        assert effects(b) == effects(a)


def test_a_replay_of_an_applied_payment_changes_nothing_and_names_what_it_repeats(tmp_path):
    with Ledger(tmp_path / "l.db") as ledger:
        bill = new_bill(ledger)
        _, _, first = receive(ledger, "bepaid", transaction())
        before = effects(ledger)
        replayed = billing_over(ledger, tmp_path).notifications.replay(ADMIN, first)
        assert replayed.verdict.verdict == "duplicate"
        assert replayed.message == (
            f"#{first} replayed as #{replayed.row.id}: duplicate (repeats notification #{first})."
        )
        assert effects(ledger) == before
        assert ledger.get_bill(bill).status is BillStatus.PAID
        audit = ledger.recent_audit(1)[0]
        assert (audit.actor, audit.action, audit.outcome) == ("ada", "replay_notification", "ok")
        assert json.loads(audit.detail) == {"replayed_as": replayed.row.id, "verdict": "duplicate"}


def test_replaying_a_replay_re_runs_its_original(tmp_path):
    with Ledger(tmp_path / "l.db") as ledger:
        new_bill(ledger)
        _, _, first = receive(ledger, "bepaid", transaction())
        replays = billing_over(ledger, tmp_path).notifications
        once = replays.replay(ADMIN, first)
        twice = replays.replay(ADMIN, once.row.id)
        assert (twice.original.id, twice.row.replay_of) == (first, first)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPPORT, Role.VIEWER])
def test_only_an_admin_may_replay_and_a_refusal_is_audited(role, tmp_path):
    with Ledger(tmp_path / "l.db") as ledger:
        _, _, first = receive(ledger, "bepaid", transaction())
        with pytest.raises(PermissionDenied):
            billing_over(ledger, tmp_path).notifications.replay(Actor("sam", role), first)
        assert [n.id for n in ledger.recent_notifications()] == [first]
        audit = ledger.recent_audit(1)[0]
        assert (audit.actor, audit.action, audit.outcome) == (
            "sam",
            "replay_notification",
            "refused",
        )
        assert (audit.object_type, audit.object_id) == ("notification", str(first))


def test_a_row_without_a_payload_cannot_be_replayed(tmp_path):
    with Ledger(tmp_path / "l.db") as ledger:
        rejected = ledger.record_notification(provider="bepaid", verdict="rejected")
        old = ledger.record_notification(provider="bepaid", verdict="applied", kind="transaction")
        replays = billing_over(ledger, tmp_path).notifications
        with pytest.raises(NotReplayable, match="refused requests keep no body"):
            replays.replay(ADMIN, rejected)
        with pytest.raises(NotReplayable, match="before payloads were kept"):
            replays.replay(ADMIN, old)
        with pytest.raises(UnknownObject, match="#999"):
            replays.replay(ADMIN, 999)
        assert len(ledger.recent_notifications()) == 2
