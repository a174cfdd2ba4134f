"""bePaid subscriptions: storage, representation, the hosted page's view, renewals.

A subscription is kept as one JSON record (``bepaid_subscriptions.data``) holding the
API fields plus billing internals (``anchor_at``, ``periods_billed``, ``had_success``,
``due_at``, ``pending_uid``, ``card_token``). :func:`subscription_json` is the API
representation, also the body of every notification. The routes are in
:mod:`subscription_api`, the billing rules in :mod:`renewals`.

The doc's create-with-card example shows ``state: "successful"``, a value its own
state list lacks; the sandbox reports the state machine's state (``trial`` or
``active``) instead.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from provider_sandbox.bepaid import payer as payer
from provider_sandbox.bepaid import renewals as billing
from provider_sandbox.bepaid.cards import Card, card_json, direct_outcome, load_card, store_card
from provider_sandbox.bepaid.records import Source, dumps, fetch_all, fetch_one, from_epoch, loads
from provider_sandbox.bepaid.transactions import (
    Charge,
    create_transaction,
    load_transaction,
    summary,
)
from provider_sandbox.core import Sandbox
from provider_sandbox.money import format_money

SCHEMA = """
CREATE TABLE IF NOT EXISTS bepaid_subscriptions (
    id TEXT PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    due_at REAL,
    created_at REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bepaid_subscriptions_by_due ON bepaid_subscriptions (due_at);
"""

CLOSED_MESSAGES = {
    "trial": "This subscription is already paid.",
    "active": "This subscription is already paid.",
    "failed_attempt": "This subscription is already paid.",
    "failed": "The payment was declined: this subscription has failed.",
    "error": "The payment could not be processed: this subscription has ended.",
    "expired": "This subscription has ended.",
    "canceled": "This subscription was canceled.",
}


# -- storage and representation ----------------------------------------------


def load_subscription(source: Source, sub_id: str) -> dict[str, Any] | None:
    row = fetch_one(source, "SELECT data FROM bepaid_subscriptions WHERE id = ?", (sub_id,))
    return None if row is None else loads(row["data"])


def reload_subscription(source: Source, sub_id: str) -> dict[str, Any]:
    """A subscription read again after a change; the sandbox never deletes one."""
    sub = load_subscription(source, sub_id)
    if sub is None:
        raise LookupError(f"Subscription {sub_id} vanished from the sandbox state")
    return sub


def save_subscription(conn: sqlite3.Connection, sub: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE bepaid_subscriptions SET state = ?, due_at = ?, data = ? WHERE id = ?",
        (sub["state"], sub["due_at"], dumps(sub), sub["id"]),
    )


def subscription_json(sandbox: Sandbox, source: Source, sub: dict[str, Any]) -> dict[str, Any]:
    """The subscription as bePaid shows it (and notifies it)."""
    card = load_card(source, sub["card_token"])
    last = (
        load_transaction(source, sub["last_transaction_uid"])
        if sub["last_transaction_uid"]
        else None
    )
    shown = {
        "id": sub["id"],
        "state": sub["state"],
        "tracking_id": sub["tracking_id"],
        "device_id": sub["device_id"],
        "created_at": sub["created_at"],
        "renew_at": sub["renew_at"],
        "active_to": sub["active_to"],
        "card": card_json(card, sub["card_token"]) if card else {},
        "customer": {"id": sub["customer_id"]} if sub["customer_id"] else {},
        "paid_billing_cycles": sub["paid_billing_cycles"],
        "number_failed_payment_attempts": sub["number_failed_payment_attempts"],
        "additional_data": sub["additional_data"],
        "plan": sub["plan"],
        "last_transaction": summary(last),
        "cancel_reason": sub["cancel_reason"],
        "cancelled_at": sub["cancelled_at"],
    }
    if sub["state"] in billing.PAYABLE_STATES:
        shown["token"] = sub["token"]
        shown["redirect_url"] = payer.page_url(sandbox, sub["token"])
    return shown


def notice(
    sandbox: Sandbox, conn: sqlite3.Connection, sub: dict[str, Any]
) -> tuple[str | None, dict[str, Any]]:
    """The notification of ``sub``'s current state: (notification_url, subscription)."""
    return (sub["notification_url"], subscription_json(sandbox, conn, sub))


# -- the hosted page's view of a subscription --------------------------------


class SubscriptionSession:
    """A subscription waiting for its first payment, as a pay session."""

    def __init__(self, sandbox: Sandbox, sub: dict[str, Any]) -> None:
        self.sandbox = sandbox
        self.sub = sub
        self.token: str = sub["token"]
        self.pending_uid: str | None = sub["pending_uid"]

    def is_open(self, now: datetime) -> bool:
        return self.sub["state"] in billing.PAYABLE_STATES

    def closed_message(self, now: datetime) -> str:
        return CLOSED_MESSAGES.get(self.sub["state"], "This subscription cannot be paid.")

    def page(self, now: datetime) -> payer.PageInfo:
        plan = self.sub["plan"]
        regular, trial = plan["plan"], plan["trial"]
        every = format_money(regular["amount"], plan["currency"])
        schedule = f"then {every} every {regular['interval']} {regular['interval_unit']}(s)"
        note = (
            f"Trial of {trial['interval']} {trial['interval_unit']}(s), {schedule}."
            if trial
            else f"This first payment, {schedule}."
        )
        return payer.PageInfo(
            amount=billing.first_charge_amount(plan),
            currency=plan["currency"],
            description=f"Subscription: {plan['title']}",
            open=self.is_open(now),
            headline="" if self.is_open(now) else self.closed_message(now),
            notes=[note] if self.is_open(now) else [],
        )

    def charge(self) -> Charge:
        plan = self.sub["plan"]
        return subscription_charge(self.sub, billing.first_charge_amount(plan))

    def hold_for_challenge(self, conn: sqlite3.Connection, transaction: dict[str, Any]) -> None:
        self.sub["pending_uid"] = transaction["uid"]
        self.sub["last_transaction_uid"] = transaction["uid"]
        save_subscription(conn, self.sub)

    def conclude(
        self,
        conn: sqlite3.Connection,
        transaction: dict[str, Any],
        now: datetime,
        notices: payer.Notices,
    ) -> payer.PayResult:
        billing.apply_first_charge(self.sub, transaction, now)
        save_subscription(conn, self.sub)
        notices.append(notice(self.sandbox, conn, self.sub))
        return payer.PayResult("redirect", self.cancel_location(), transaction)

    def cancel_location(self) -> str:
        if not self.sub["return_url"]:
            return payer.page_url(self.sandbox, self.token)
        return payer.with_query(self.sub["return_url"], id=self.sub["id"])


def load_session(sandbox: Sandbox, source: Source, token: str) -> SubscriptionSession | None:
    row = fetch_one(source, "SELECT data FROM bepaid_subscriptions WHERE token = ?", (token,))
    return None if row is None else SubscriptionSession(sandbox, loads(row["data"]))


def subscription_charge(sub: dict[str, Any], amount: int) -> Charge:
    plan = sub["plan"]
    return Charge(
        amount=amount,
        currency=plan["currency"],
        description=plan["title"],
        tracking_id=sub["tracking_id"],
        test=bool(plan["test"]),
        language=sub["language"] or plan["language"],
        customer=sub["customer"],
        additional_data=sub["additional_data"],
        notification_url=sub.get("notification_url"),
    )


# -- renewals ----------------------------------------------------------------

MAX_RENEWALS_PER_TICK = 5000  # a far clock jump on an hourly plan catches up over ticks
_DUE = (
    "SELECT data FROM bepaid_subscriptions WHERE due_at IS NOT NULL AND due_at <= ? "
    "ORDER BY due_at LIMIT 1"
)


def renew_due_subscriptions(sandbox: Sandbox, now: datetime) -> None:
    """Ticker: charge (or end) every subscription whose next date has come."""
    if fetch_one(sandbox.store, _DUE, (now.timestamp(),)) is None:
        return  # the common case: no write transaction on every tick
    notices: payer.Notices = []
    with sandbox.store.tx() as conn:
        for _ in range(MAX_RENEWALS_PER_TICK):
            row = fetch_one(conn, _DUE, (now.timestamp(),))
            if row is None:
                break
            sub = loads(row["data"])
            _renew(conn, sub)
            notices.append(notice(sandbox, conn, sub))
    payer.flush(sandbox, notices)


def _renew(conn: sqlite3.Connection, sub: dict[str, Any]) -> None:
    due = from_epoch(sub["due_at"])
    assert due is not None
    if billing.cycles_exhausted(sub):
        billing.apply_renewal(sub, None, due)
    else:
        card = load_card(conn, sub["card_token"])
        assert card is not None, "a billed subscription always has a card"
        status, message = direct_outcome(card)
        charge = subscription_charge(sub, sub["plan"]["plan"]["amount"])
        transaction = create_transaction(
            conn, charge, card, sub["card_token"], status=status, at=due, message=message
        )
        billing.apply_renewal(sub, transaction, due)
    save_subscription(conn, sub)


def replace_card(sandbox: Sandbox, sub_id: str, card: Card) -> dict[str, Any] | None:
    """The payer's stored card changes (e.g. to one that now declines)."""
    with sandbox.store.tx() as conn:
        sub = load_subscription(conn, sub_id)
        if sub is None:
            return None
        sub["card_token"] = store_card(conn, card)
        save_subscription(conn, sub)
        return subscription_json(sandbox, conn, sub)


def state_section(sandbox: Sandbox) -> list[dict[str, Any]]:
    rows = fetch_all(
        sandbox.store, "SELECT data FROM bepaid_subscriptions ORDER BY created_at DESC"
    )
    return [subscription_json(sandbox, sandbox.store, loads(row["data"])) for row in rows]
