"""What a notice does to the ledger, and the verdict it gets — on a real ledger file."""

from __future__ import annotations

import json
import sqlite3

import pytest

from console.ledger import Ledger, NewBill, NewSubscription
from console.status import BillStatus, SubscriptionStatus
from console.webhooks import Delivery, apply_notice, read_notice


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


def bill(ledger, *, tracking_id="order-1", kind="card_link", provider="bepaid", **fields):
    values = {"amount": 1234, "currency": "EUR", "test": True, **fields}
    provider_id = values.pop("provider_id", None)
    bill_id = ledger.create_bill(
        NewBill(
            provider=provider,
            kind=kind,
            tracking_id=tracking_id,
            status=BillStatus.PENDING,
            **values,
        )
    )
    if provider_id:
        ledger.attach_provider_ids(bill_id, provider_id=provider_id)
    return bill_id


def transaction(route="bepaid", **changes):
    data = {
        "uid": "uid-1",
        "status": "successful",
        "amount": 1234,
        "currency": "EUR",
        "type": "payment",
        "tracking_id": "order-1",
        "test": True,
        "created_at": "2026-01-05T10:00:00Z",
        "paid_at": "2026-01-05T10:00:00Z",
    }
    data.update(changes)
    data = {key: value for key, value in data.items() if value is not None}
    return read_notice(route, json.dumps({"transaction": data}).encode())


def apply(ledger, notice):
    return apply_notice(ledger, notice, Delivery(body_sha256="0" * 64))


# -- bills --------------------------------------------------------------------------


def test_a_payment_is_applied_with_its_charge_and_the_uid_attached(ledger):
    bill_id = bill(ledger)

    verdict = apply(ledger, transaction())

    assert (verdict.verdict, verdict.object_type, verdict.object_id) == ("applied", "bill", bill_id)
    found = ledger.get_bill(bill_id)
    assert (found.status, found.native_status, found.provider_id) == ("paid", "successful", "uid-1")
    (payment,) = ledger.payments_of("bill", bill_id)
    assert (payment.provider_txn_id, payment.amount, payment.currency) == ("uid-1", 1234, "EUR")
    assert ledger.history("bill", bill_id)[-1].source == "webhook"
    (row,) = ledger.recent_notifications()
    assert (row.id, row.verdict, row.ref, row.status_reported) == (
        verdict.notification_id,
        "applied",
        f"B{bill_id}",
        "successful",
    )


def test_a_repeat_is_a_duplicate_that_names_the_first_delivery(ledger):
    bill_id = bill(ledger)
    first = apply(ledger, transaction())

    again = [apply(ledger, transaction()) for _ in range(4)]

    assert {v.verdict for v in again} == {"duplicate"}
    assert again[-1].detail == f"repeats notification #{first.notification_id}"
    assert len(ledger.history("bill", bill_id)) == 2
    assert len(ledger.payments_of("bill", bill_id)) == 1


def test_a_late_failure_after_payment_is_stale(ledger):
    bill_id = bill(ledger)
    apply(ledger, transaction())

    verdict = apply(ledger, transaction(status="failed", paid_at=None))

    assert verdict.verdict == "stale"
    assert verdict.detail == "reports failed; the ledger keeps paid"
    assert ledger.get_bill(bill_id).status is BillStatus.PAID


def test_a_report_the_poll_already_made_is_a_duplicate(ledger):
    bill_id = bill(ledger)
    ledger.record_bill_status(bill_id, BillStatus.FAILED, "failed", "poll")

    verdict = apply(ledger, transaction(status="failed", paid_at=None))

    assert verdict.verdict == "duplicate"
    assert verdict.detail == "the ledger already shows failed"


def test_without_a_tracking_id_the_uid_finds_the_bill(ledger):
    bill_id = bill(ledger, kind="apm", provider="begateway", provider_id="uid-1")

    verdict = apply(ledger, transaction("beyag", tracking_id=None))

    assert (verdict.verdict, verdict.object_id) == ("applied", bill_id)


@pytest.mark.parametrize(
    ("route", "provider", "kind", "expected"),
    [
        ("beyag", "begateway", "apm", "applied"),
        ("beyag", "bepaid", "apm", "applied"),
        ("beyag", "bepaid", "card_link", "unknown_object"),
        ("bepaid", "bepaid", "card_link", "applied"),
        ("bepaid", "bepaid", "apm", "unknown_object"),
        ("bepaid", "begateway", "apm", "unknown_object"),
    ],
)
def test_each_route_matches_its_own_kind_of_bill(ledger, route, provider, kind, expected):
    bill(ledger, provider=provider, kind=kind)
    assert apply(ledger, transaction(route)).verdict == expected


def test_an_unknown_object_is_recorded_without_a_reference(ledger):
    verdict = apply(ledger, transaction(tracking_id="someone-elses"))

    assert verdict.verdict == "unknown_object"
    assert "'someone-elses'" in verdict.detail
    assert ledger.recent_notifications()[0].ref is None


@pytest.mark.parametrize(
    ("bill_fields", "changes", "detail"),
    [
        ({"test": False}, {}, "a test transaction for a live bill"),
        ({"test": True}, {"test": False}, "a live transaction for a test bill"),
        ({"provider_id": "uid-1"}, {"tracking_id": "order-2"}, "tracking id 'order-2'"),
    ],
    ids=["test for live", "live for test", "other tracking id"],
)
def test_a_transaction_that_contradicts_the_bill_is_not_applied(
    ledger, bill_fields, changes, detail
):
    bill_id = bill(ledger, **bill_fields)

    verdict = apply(ledger, transaction(**changes))

    assert verdict.verdict == "mismatch"
    assert detail in verdict.detail
    assert ledger.get_bill(bill_id).status is BillStatus.PENDING
    assert ledger.payments_of("bill", bill_id) == []


def test_an_apm_bill_has_one_transaction(ledger):
    bill_id = bill(ledger, kind="apm", provider="begateway", provider_id="uid-1")

    verdict = apply(ledger, transaction("beyag", uid="uid-2"))

    assert verdict.verdict == "mismatch"
    assert ledger.get_bill(bill_id).status is BillStatus.PENDING


def test_a_pay_link_may_be_paid_by_a_later_attempt(ledger):
    bill_id = bill(ledger, provider_id="uid-1")  # the first, declined attempt

    verdict = apply(ledger, transaction(uid="uid-2"))

    assert verdict.verdict == "applied"
    assert ledger.get_bill(bill_id).status is BillStatus.PAID


def test_a_bill_of_unknown_test_mode_takes_either(ledger):
    bill_id = bill(ledger, test=None)
    assert apply(ledger, transaction(test=False)).verdict == "applied"
    assert ledger.get_bill(bill_id).status is BillStatus.PAID


@pytest.mark.parametrize(
    ("changes", "payments"),
    [({"amount": 999}, [(999, "EUR")]), ({"currency": "USD"}, [])],
    ids=["other amount", "other currency"],
)
def test_a_payment_of_other_money_is_a_mismatch_never_paid(ledger, changes, payments):
    bill_id = bill(ledger)

    verdict = apply(ledger, transaction(**changes))

    assert verdict.verdict == "mismatch"
    assert ledger.get_bill(bill_id).status is BillStatus.MISMATCH
    assert [(p.amount, p.currency) for p in ledger.payments_of("bill", bill_id)] == payments
    assert "billed 1234 EUR" in ledger.history("bill", bill_id)[-1].detail


def test_a_failure_for_other_money_changes_nothing(ledger):
    bill_id = bill(ledger)

    verdict = apply(ledger, transaction(status="failed", amount=1, paid_at=None))

    assert (verdict.verdict, ledger.get_bill(bill_id).status) == ("mismatch", BillStatus.PENDING)


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"type": "capture"}, "capture transactions are not applied here"),
        ({"status": "chargeback"}, "'chargeback' has no console mapping"),
    ],
)
def test_what_the_receiver_cannot_apply_is_an_error_that_changes_nothing(ledger, changes, detail):
    bill_id = bill(ledger)

    verdict = apply(ledger, transaction(**changes))

    assert verdict.verdict == "error"
    assert detail in verdict.detail
    assert ledger.get_bill(bill_id).status is BillStatus.PENDING


def test_a_refund_of_a_charge_the_ledger_does_not_know_changes_nothing(ledger):
    bill_id = bill(ledger)

    verdict = apply(ledger, transaction(type="refund", parent_uid="never-charged"))

    assert verdict.verdict == "unknown_object"
    assert "'never-charged'" in verdict.detail
    assert ledger.get_bill(bill_id).status is BillStatus.PENDING
    assert ledger.refunds.recent(5) == []


def test_a_transaction_id_recorded_for_another_bill_undoes_the_whole_notice(ledger):
    other = bill(ledger, tracking_id="order-0")
    ledger.record_payment(
        provider="bepaid", provider_txn_id="uid-1", amount=1234, currency="EUR",
        at=ledger.get_bill(other).created_at, bill_id=other,
    )  # fmt: skip
    bill_id = bill(ledger)

    verdict = apply(ledger, transaction())

    assert verdict.verdict == "mismatch"
    assert "already recorded" in verdict.detail
    # The status change came before the payment in the same savepoint: undone too.
    assert ledger.get_bill(bill_id).status is BillStatus.PENDING
    assert ledger.get_bill(bill_id).provider_id is None


class VerdictRowFails(Ledger):
    def record_notification(self, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")


def test_when_the_verdict_row_cannot_be_written_nothing_is_committed(tmp_path):
    with VerdictRowFails(tmp_path / "ledger.db") as ledger:
        bill_id = bill(ledger)

        with pytest.raises(sqlite3.OperationalError):
            apply(ledger, transaction())

        assert ledger.get_bill(bill_id).status is BillStatus.PENDING
        assert ledger.payments_of("bill", bill_id) == []


# -- subscriptions ------------------------------------------------------------------


def subscription_row(ledger, *, provider_id="sbs_1", tracking_id="sub-1", **fields):
    values = {"amount": 500, "currency": "USD", "interval": 1, "interval_unit": "day", "test": True}
    values.update(fields)
    sub_id = ledger.create_subscription(
        NewSubscription(tracking_id=tracking_id, status=SubscriptionStatus.PENDING, **values)
    )
    if provider_id:
        ledger.attach_subscription_ids(sub_id, provider_id=provider_id)
    return sub_id


def subscription(state="active", cycles=1, charge="t-2", charge_status="successful", **changes):
    data = {
        "id": "sbs_1",
        "state": state,
        "tracking_id": "sub-1",
        "renew_at": f"2026-01-0{5 + cycles}T10:00:00Z",
        "active_to": f"2026-01-0{5 + cycles}T10:00:00Z",
        "paid_billing_cycles": cycles,
        "plan": {
            "id": "pln_1",
            "currency": "USD",
            "trial": {"amount": 100, "interval": 1, "interval_unit": "hour"},
            "plan": {"amount": 500, "interval": 1, "interval_unit": "day"},
            "test": True,
        },
        "last_transaction": {"uid": charge, "status": charge_status,
                             "created_at": f"2026-01-0{4 + cycles}T10:00:00Z"},
        "cancel_reason": None,
        "cancelled_at": None,
    }  # fmt: skip
    data.update(changes)
    return read_notice("bepaid", json.dumps(data).encode())


def trial():
    return subscription("trial", cycles=0, charge="t-1")


def test_a_trial_then_a_renewal_record_both_charges_and_the_schedule(ledger):
    sub_id = subscription_row(ledger)

    verdicts = [apply(ledger, trial()).verdict, apply(ledger, subscription()).verdict]

    assert verdicts == ["applied", "applied"]
    sub = ledger.get_subscription(sub_id)
    assert (sub.status, sub.native_status, sub.paid_cycles) == ("active", "active", 1)
    assert sub.renew_at.isoformat() == "2026-01-06T10:00:00+00:00"
    payments = ledger.payments_of("subscription", sub_id)
    assert [(p.provider_txn_id, p.amount) for p in payments] == [("t-1", 100), ("t-2", 500)]


def test_an_older_subscription_notice_arriving_late_is_stale(ledger):
    sub_id = subscription_row(ledger)
    apply(ledger, subscription())

    late_trial = apply(ledger, trial())
    again = apply(ledger, trial())

    # The late one still brings a charge the ledger lacked: that much applies.
    assert late_trial.verdict == "applied"
    assert again.verdict == "stale"
    assert "0 paid cycles" in again.detail
    sub = ledger.get_subscription(sub_id)
    assert (sub.status, sub.paid_cycles) == ("active", 1)
    assert sub.renew_at.isoformat() == "2026-01-06T10:00:00+00:00"
    assert len(ledger.payments_of("subscription", sub_id)) == 2


def renewal_failed(cycles=2, at="2026-01-07T10:00:00Z", **changes):
    """The ``failed_attempt`` of the renewal after ``cycles`` paid cycles, at ``at``."""
    charge = {"uid": "t-fail", "status": "failed", "created_at": at}
    return subscription("failed_attempt", cycles=cycles, last_transaction=charge, **changes)


def test_a_late_active_after_a_failed_renewal_with_as_many_cycles_is_stale(ledger):
    sub_id = subscription_row(ledger)
    apply(ledger, subscription(cycles=1, charge="t-1"))
    assert apply(ledger, renewal_failed(cycles=1)).verdict == "applied"

    late = apply(ledger, subscription(cycles=1, charge="t-1"))  # charged 2026-01-05

    assert late.verdict == "stale"
    assert late.detail == (
        "reports active as of 2026-01-05 10:00:00 UTC; a notice of 2026-01-07 10:00:00 UTC "
        "is applied"
    )
    sub = ledger.get_subscription(sub_id)
    assert (sub.status, sub.native_status) == (SubscriptionStatus.PAST_DUE, "failed_attempt")
    assert sub.last_notice_at.isoformat() == "2026-01-07T10:00:00+00:00"


def test_a_failed_renewal_after_the_active_it_follows_is_applied(ledger):
    sub_id = subscription_row(ledger)

    verdicts = [
        apply(ledger, subscription(cycles=1, charge="t-1")).verdict,
        apply(ledger, renewal_failed(cycles=1)).verdict,
    ]

    assert verdicts == ["applied", "applied"]
    assert ledger.get_subscription(sub_id).status is SubscriptionStatus.PAST_DUE


def test_more_paid_cycles_is_newer_whatever_the_times_say(ledger):
    sub_id = subscription_row(ledger)
    apply(ledger, renewal_failed(cycles=1, at="2026-01-09T10:00:00Z"))

    verdict = apply(ledger, subscription(cycles=2, charge="t-2"))  # charged 2026-01-06

    assert verdict.verdict == "applied"
    sub = ledger.get_subscription(sub_id)
    assert (sub.status, sub.paid_cycles) == (SubscriptionStatus.ACTIVE, 2)
    assert sub.last_notice_at.isoformat() == "2026-01-09T10:00:00+00:00"  # never moves back


def test_updated_at_orders_notices_that_carry_no_charge(ledger):
    sub_id = subscription_row(ledger)
    newer = subscription("failed_attempt", last_transaction=None, updated_at="2026-01-06T09:00:00Z")
    older = subscription("active", last_transaction=None, updated_at="2026-01-06T08:59:59Z")

    assert [apply(ledger, newer).verdict, apply(ledger, older).verdict] == ["applied", "stale"]
    assert ledger.get_subscription(sub_id).status is SubscriptionStatus.PAST_DUE


def test_notices_without_times_are_ordered_by_cycles_only(ledger):
    sub_id = subscription_row(ledger)
    untimed = {"last_transaction": None}
    apply(ledger, subscription("failed_attempt", **untimed))

    verdict = apply(ledger, subscription("active", **untimed))

    assert verdict.verdict == "applied"  # nothing says it is older: as before
    assert ledger.get_subscription(sub_id).last_notice_at is None


def test_a_late_notice_still_records_the_charge_it_reports(ledger):
    sub_id = subscription_row(ledger)
    apply(ledger, renewal_failed(cycles=1))

    late = apply(ledger, subscription(cycles=1, charge="t-1"))  # its charge was never seen

    assert late.verdict == "applied"  # the money moved, so that much applies
    assert late.detail.startswith("its charge t-1 is recorded, its state is not: reports active")
    assert ledger.get_subscription(sub_id).status is SubscriptionStatus.PAST_DUE
    assert [p.provider_txn_id for p in ledger.payments_of("subscription", sub_id)] == ["t-1"]


def test_a_failed_renewal_records_no_payment(ledger):
    sub_id = subscription_row(ledger)
    apply(ledger, subscription())

    verdict = apply(ledger, subscription("failed_attempt", charge="t-3", charge_status="failed"))

    assert verdict.verdict == "applied"
    assert ledger.get_subscription(sub_id).status is SubscriptionStatus.PAST_DUE
    assert len(ledger.payments_of("subscription", sub_id)) == 1


def test_a_cancellation_is_recorded_with_reason_and_no_next_renewal(ledger):
    sub_id = subscription_row(ledger)
    apply(ledger, subscription())

    verdict = apply(
        ledger,
        subscription(
            "canceled", cancel_reason="Customer asked", cancelled_at="2026-01-06T12:00:00Z"
        ),
    )

    assert verdict.verdict == "applied"
    sub = ledger.get_subscription(sub_id)
    assert (sub.status, sub.cancel_reason, sub.renew_at) == ("canceled", "Customer asked", None)
    assert sub.canceled_at.isoformat() == "2026-01-06T12:00:00+00:00"


def test_a_subscription_without_its_provider_id_is_found_by_tracking_id(ledger):
    sub_id = subscription_row(ledger, provider_id=None)

    verdict = apply(ledger, trial())

    assert (verdict.verdict, verdict.object_id) == ("applied", sub_id)
    assert ledger.get_subscription(sub_id).provider_id == "sbs_1"


@pytest.mark.parametrize(
    ("row", "changes", "detail"),
    [
        ({"amount": 700}, {}, "plan amount 500 USD"),
        ({"currency": "EUR", "amount": 500}, {}, "plan currency USD"),
        ({"test": False}, {}, "a test subscription notice for a live subscription"),
        ({"provider_id": "sbs_other"}, {}, "belongs to sbs_other"),
    ],
    ids=["amount", "currency", "test flag", "other subscription"],
)
def test_a_subscription_notice_that_contradicts_the_ledger_is_not_applied(
    ledger, row, changes, detail
):
    sub_id = subscription_row(ledger, **row)

    verdict = apply(ledger, subscription(**changes))

    assert verdict.verdict == "mismatch"
    assert detail in verdict.detail
    assert ledger.get_subscription(sub_id).status is SubscriptionStatus.PENDING
    assert ledger.payments_of("subscription", sub_id) == []


def test_an_abbreviated_plan_applies_the_state_but_records_no_guessed_payment(ledger):
    sub_id = subscription_row(ledger)

    verdict = apply(ledger, subscription(plan={"id": "pln_1"}))

    assert verdict.verdict == "applied"
    assert ledger.get_subscription(sub_id).status is SubscriptionStatus.ACTIVE
    assert ledger.payments_of("subscription", sub_id) == []


def test_an_unknown_subscription_is_an_unknown_object(ledger):
    assert apply(ledger, trial()).verdict == "unknown_object"
