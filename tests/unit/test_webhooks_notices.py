"""Reading notification bodies: transactions, beyag payments, bare subscription objects."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from console.status import BillStatus, SubscriptionStatus
from console.webhooks import (
    SubscriptionNotice,
    TransactionNotice,
    UnreadableNotice,
    read_notice,
)


def card_transaction(**changes) -> dict:
    transaction = {
        "uid": "762731488-49f70997bc",
        "status": "successful",
        "amount": 1234,
        "currency": "eur",
        "description": "Order 42",
        "type": "payment",
        "tracking_id": "order-42",
        "test": True,
        "created_at": "2026-01-05T10:00:00Z",
        "updated_at": "2026-01-05T10:01:00Z",
        "paid_at": "2026-01-05T10:01:00Z",
        "credit_card": {"last_4": "0000", "token": "card-token"},
    }
    return {"transaction": {**transaction, **changes}}


def subscription(**changes) -> dict:
    sub = {
        "id": "sbs_40fb1fcd6fb88f63",
        "state": "active",
        "tracking_id": "sub-1",
        "renew_at": "2026-01-07T10:00:00Z",
        "active_to": "2026-01-07T10:00:00Z",
        "paid_billing_cycles": 1,
        "plan": {
            "id": "pln_1",
            "title": "Daily coffee",
            "currency": "USD",
            "infinite": True,
            "trial": {"amount": 100, "interval": 1, "interval_unit": "hour"},
            "plan": {"amount": 500, "interval": 1, "interval_unit": "day"},
            "test": True,
        },
        "last_transaction": {
            "uid": "11749-e427d3dc44",
            "status": "successful",
            "message": "Successfully processed",
            "created_at": "2026-01-06T10:00:00Z",
        },
        "cancel_reason": None,
        "cancelled_at": None,
    }
    return {**sub, **changes}


def body(data) -> bytes:
    return json.dumps(data).encode()


def test_a_card_transaction_notice():
    notice = read_notice("bepaid", body(card_transaction()))

    assert isinstance(notice, TransactionNotice)
    assert notice.provider == "bepaid"
    assert notice.kind == "transaction"
    assert (notice.uid, notice.status, notice.native_status) == (
        "762731488-49f70997bc",
        BillStatus.PAID,
        "successful",
    )
    assert (notice.amount, notice.currency) == (1234, "EUR")
    assert notice.test is True
    assert notice.happened_at == datetime(2026, 1, 5, 10, 1, tzinfo=UTC)
    assert notice.dedupe_key == "bepaid:transaction:762731488-49f70997bc:successful"


def test_a_beyag_transaction_is_begateways_and_maps_beyag_statuses():
    notice = read_notice("beyag", body(card_transaction(status="pending", paid_at=None)))

    assert notice.provider == "begateway"
    assert notice.status is BillStatus.PENDING
    assert notice.happened_at == datetime(2026, 1, 5, 10, 1, tzinfo=UTC)  # updated_at


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), (None, None)])
def test_an_unsent_test_flag_is_unknown_not_false(value, expected):
    data = card_transaction(test=value)
    if value is None:
        del data["transaction"]["test"]
    assert read_notice("bepaid", body(data)).test is expected


def test_a_status_without_a_console_mapping_is_read_and_left_unmapped():
    notice = read_notice("bepaid", body(card_transaction(status="chargeback")))
    assert (notice.status, notice.native_status) == (None, "chargeback")


def test_a_bare_subscription_object_notice():
    notice = read_notice("bepaid", body(subscription()))

    assert isinstance(notice, SubscriptionNotice)
    assert (notice.provider, notice.kind, notice.id) == (
        "bepaid",
        "subscription",
        "sbs_40fb1fcd6fb88f63",
    )
    assert notice.status is SubscriptionStatus.ACTIVE
    assert (notice.currency, notice.plan_amount, notice.trial_amount) == ("USD", 500, 100)
    assert notice.test is True
    assert notice.paid_billing_cycles == 1
    assert notice.renew_at == datetime(2026, 1, 7, 10, tzinfo=UTC)
    assert notice.last_charge.uid == "11749-e427d3dc44"
    assert notice.last_charge.created_at == datetime(2026, 1, 6, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, datetime(2026, 1, 6, 10, tzinfo=UTC)),  # the last charge's created_at
        ({"updated_at": "2026-01-06T11:30:00Z"}, datetime(2026, 1, 6, 11, 30, tzinfo=UTC)),
        ({"cancelled_at": "2026-01-06T12:00:00Z"}, datetime(2026, 1, 6, 12, tzinfo=UTC)),
        ({"last_transaction": None, "updated_at": "2026-01-03T00:00:00+03:00"},
         datetime(2026, 1, 2, 21, tzinfo=UTC)),
        ({"last_transaction": None}, None),
    ],
    ids=["last charge", "updated_at", "cancelled_at", "updated_at only", "no time at all"],
)  # fmt: skip
def test_a_subscription_notice_carries_the_latest_time_it_reports(changes, expected):
    assert read_notice("bepaid", body({**subscription(), **changes})).reported_at == expected


@pytest.mark.parametrize(
    ("changes", "amount"),
    [
        ({"state": "trial", "paid_billing_cycles": 0}, 100),
        ({"paid_billing_cycles": 1}, 500),
        ({"paid_billing_cycles": 0, "plan": {**subscription()["plan"], "trial": None}}, 500),
    ],
    ids=["trial charge", "regular charge", "no trial"],
)
def test_the_charged_amount_follows_the_plan(changes, amount):
    assert read_notice("bepaid", body(subscription(**changes))).charged_amount == amount


def test_every_renewal_has_its_own_dedupe_key():
    first = read_notice("bepaid", body(subscription()))
    renewal = read_notice(
        "bepaid",
        body(
            subscription(
                paid_billing_cycles=2,
                last_transaction={**subscription()["last_transaction"], "uid": "11750-aa"},
            )
        ),
    )
    retry = read_notice("bepaid", body(subscription()))

    assert first.dedupe_key != renewal.dedupe_key
    assert first.dedupe_key == retry.dedupe_key


@pytest.mark.parametrize(
    ("route", "raw"),
    [
        ("bepaid", b"not json"),
        ("bepaid", b"\xff\xfe"),
        ("bepaid", b"[1, 2]"),
        ("bepaid", b"{}"),
        ("bepaid", body({"transaction": "x"})),
        ("bepaid", body(card_transaction(uid=None))),
        ("bepaid", body(card_transaction(status=None))),
        ("bepaid", body(card_transaction(amount=12.34))),
        ("bepaid", body(card_transaction(currency="XYZ"))),
        ("beyag", body(subscription())),
        ("bepaid", b"[" * 100_000),
        ("beyag", b'{"transaction":' * 5_000),
    ],
    ids=[
        "not JSON",
        "not UTF-8",
        "array",
        "empty object",
        "transaction not an object",
        "no uid",
        "no status",
        "float amount",
        "unknown currency",
        "subscription on the beyag route",
        "100,000 nested brackets",
        "5,000 nested objects",
    ],
)
def test_a_body_that_is_not_a_notification_is_unreadable(route, raw):
    with pytest.raises(UnreadableNotice):
        read_notice(route, raw)


@pytest.mark.parametrize("raw", [b"[" * 100_000, b"[" * 50_000 + b"]" * 50_000])
def test_a_body_nested_too_deeply_is_unreadable_not_a_recursion_error(raw):
    with pytest.raises(UnreadableNotice, match="nested too deeply"):
        read_notice("bepaid", raw)
