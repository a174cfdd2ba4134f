"""Support's plain-language summary: what happened to a bill or subscription, and what to do."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from console.explain import duration_words, explain, local_time
from console.ledger import Bill, Payment, StatusEvent, Subscription
from console.status import BillStatus, SubscriptionStatus

NOW = datetime(2024, 5, 31, 12, 0, tzinfo=UTC)
EVENT_IDS = iter(range(1, 10_000))


def bill(status: BillStatus = BillStatus.PENDING, **changes) -> Bill:
    base = Bill(
        id=12, provider="bepaid", kind="card_link", tracking_id="order-12", provider_id=None,
        token="a" * 64, pay_url="https://checkout.bepaid.by/v2/checkout?token=" + "a" * 64,
        amount=10000, currency="BYN", description="Order 12", customer_email="anna@example.com",
        status=status, native_status=None, test=True, demo=False,
        created_at=NOW - timedelta(hours=1), updated_at=NOW - timedelta(hours=1),
        expires_at=None, paid_at=None, form=None, extra={}, subscription_id=None,
    )  # fmt: skip
    return replace(base, **changes)


def subscription(status: SubscriptionStatus, **changes) -> Subscription:
    base = Subscription(
        id=45, provider="bepaid", provider_id="sbs_1", tracking_id="club-45", token=None,
        pay_url=None, plan_id="plan_1", plan_title="Club", amount=1200, currency="EUR",
        interval=1, interval_unit="month", trial_interval=None, trial_unit=None,
        customer_email="olga@example.com", status=status, native_status=status.value,
        test=True, demo=False, paid_cycles=0, renew_at=None, active_to=None,
        created_at=NOW - timedelta(days=40), updated_at=NOW - timedelta(days=1),
        canceled_at=None, cancel_reason=None, extra={},
    )  # fmt: skip
    return replace(base, **changes)


def event(
    before: str | None, after: str, *, native=None, detail=None, ago=timedelta(0), obj="bill"
):
    return StatusEvent(
        id=next(EVENT_IDS), object_type=obj, object_id=12, from_status=before, to_status=after,
        native_status=native, source="poll", at=NOW - ago, detail=detail,
    )  # fmt: skip


def charge(amount: int, *, currency="BYN", kind="charge", at=NOW, txn="t-1") -> Payment:
    return Payment(
        id=1, bill_id=12, subscription_id=None, provider="bepaid", provider_txn_id=txn,
        kind=kind, channel="card_link", amount=amount, currency=currency, at=at, demo=False,
    )  # fmt: skip


# -- wording helpers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(seconds=20), "less than a minute"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=1, minutes=30), "1 h 30 min"),
        (timedelta(hours=12, minutes=30), "12 h"),
        (timedelta(days=1, hours=2), "1 d 2 h"),
        (timedelta(days=12, hours=5), "12 d"),
        (-timedelta(minutes=5), "5 min"),
    ],
)
def test_durations_read_like_a_person_would_say_them(span, words):
    assert duration_words(span) == words


def test_times_are_written_in_the_display_zone_with_its_name():
    assert local_time(datetime(2024, 5, 31, 22, 30, tzinfo=UTC), "Europe/Minsk") == (
        "2024-06-01 01:30 +03"
    )
    assert local_time(datetime(2024, 1, 15, 9, 5, tzinfo=UTC), "Europe/Berlin") == (
        "2024-01-15 10:05 CET"
    )


# -- bills: one case per status -----------------------------------------------------------


def test_creating_just_now_says_wait_and_do_not_create_another():
    said = explain(bill(BillStatus.CREATING, created_at=NOW - timedelta(minutes=2)), now=NOW)
    assert said.tone == "warning"
    assert said.what_happened.startswith(
        "The provider's answer was lost; the console is confirming"
    )
    assert "2 min ago" in said.what_happened
    assert "Do not create another one yet" in said.next_step


def test_creating_past_the_grace_period_says_a_check_resolves_it():
    said = explain(bill(BillStatus.CREATING, created_at=NOW - timedelta(minutes=30)), now=NOW)
    assert "Press Check with provider now" in said.next_step
    assert "safely create a new one" in said.next_step


def test_pending_expiring_soon_names_the_time_left_and_the_next_step():
    said = explain(bill(expires_at=NOW + timedelta(hours=2)), now=NOW)
    assert said.text == (
        "The customer has not paid yet; the pay link expires in 2 h. "
        "Send the pay link again (Pay links & forms) or create a new one."
    )
    assert said.tone == "warning"  # under three hours left


def test_pending_with_days_left_is_calm():
    said = explain(bill(expires_at=NOW + timedelta(days=3)), now=NOW)
    assert "expires in 3 d" in said.what_happened
    assert said.tone == "info"


def test_pending_card_link_without_expiry_uses_bepaids_default_day():
    said = explain(bill(created_at=NOW - timedelta(hours=20)), now=NOW)
    assert "expires in about 4 h" in said.what_happened


def test_pending_past_its_expiry_asks_for_a_check():
    said = explain(bill(expires_at=NOW - timedelta(minutes=30)), now=NOW, tz="UTC")
    assert "expired 30 min ago (2024-05-31 11:30 UTC)" in said.what_happened
    assert said.next_step.startswith("Press Check with provider now")


def test_pending_apm_names_the_method_and_payture_has_no_expiry():
    apm = bill(kind="apm", provider="begateway", token=None, extra={"method_type": "erip"})
    assert "not completed the erip payment yet" in explain(apm, now=NOW).what_happened
    payture = bill(kind="payture_bill", provider="payture", token=None, amount=249900,
                   currency="RUB", created_at=NOW - timedelta(hours=5))  # fmt: skip
    said = explain(payture, now=NOW)
    assert said.what_happened == "The customer has not paid yet (2 499.00 RUB, issued 5 h ago)."
    assert said.next_step == (
        "Send the Payture bill again (Pay links & forms) or wait for the payment."
    )


def test_paid_says_how_much_and_when_and_that_nothing_is_left_to_do():
    paid_at = datetime(2024, 5, 31, 9, 15, tzinfo=UTC)
    said = explain(
        bill(BillStatus.PAID, paid_at=paid_at),
        [event(None, "pending", ago=timedelta(hours=1)), event("pending", "paid")],
        [charge(10000, at=paid_at)],
        now=NOW,
        tz="Europe/Minsk",
    )
    assert said.tone == "success"
    assert said.what_happened == "Paid 100.00 BYN on 2024-05-31 12:15 +03."
    assert said.next_step == "Nothing to do: fulfil the order."


def test_paid_payture_bill_shows_settlement_stage_and_gift_code():
    gift = bill(BillStatus.PAID, kind="payture_bill", provider="payture", native_status="DONE",
                paid_at=NOW, extra={"gift_code": "GIFT-00C0FFEE"})  # fmt: skip
    said = explain(gift, payments=[charge(10000)], now=NOW)
    assert "Payture reports the bill settled (DONE)." in said.what_happened
    assert "Gift code: GIFT-00C0FFEE." in said.what_happened


@pytest.mark.parametrize(
    ("charged", "expected"),
    [
        (9000, "Paid a different amount: 90.00 BYN instead of 100.00 BYN."),
        (12550, "Paid a different amount: 125.50 BYN instead of 100.00 BYN."),
    ],
)
def test_mismatch_names_both_amounts(charged, expected):
    said = explain(bill(BillStatus.MISMATCH), payments=[charge(charged)], now=NOW)
    assert said.text == (
        f"{expected} Contact the customer, then refund the difference below (Refund) if agreed."
    )
    assert said.tone == "error"


def test_mismatch_without_a_recorded_charge_quotes_the_provider():
    record = bill(BillStatus.MISMATCH, kind="payture_bill", native_status="AMOUNT_MISMATCH")
    said = explain(record, [event("pending", "mismatch", native="AMOUNT_MISMATCH")], now=NOW)
    assert "different amount was paid than the 100.00 BYN billed" in said.what_happened
    assert "AMOUNT_MISMATCH" in said.what_happened


def test_failed_payment_gives_the_providers_reason():
    said = explain(
        bill(BillStatus.FAILED),
        [
            event(None, "pending"),
            event("pending", "failed", native="failed", detail="Card declined"),
        ],
        now=NOW,
    )
    assert said.what_happened == (
        "The payment of 100.00 BYN failed (provider status: failed; Card declined); "
        "nothing was charged."
    )
    assert "another card or method" in said.next_step


def test_failed_creation_says_nobody_could_pay_it():
    history = [event(None, "creating"), event("creating", "failed", detail="amount is too big")]
    said = explain(bill(BillStatus.FAILED), history, now=NOW)
    assert "was never created at the provider" in said.what_happened
    assert "amount is too big" in said.what_happened
    assert said.next_step == "Fix the details and create a new pay link."


def test_expired_says_when():
    record = bill(BillStatus.EXPIRED, expires_at=datetime(2024, 5, 30, 8, 0, tzinfo=UTC))
    said = explain(record, now=NOW, tz="UTC")
    assert said.what_happened == "The pay link expired on 2024-05-30 08:00 UTC without a payment."
    assert said.next_step == "Create a new pay link if the customer still wants to pay."


def test_canceled_after_an_unconfirmed_creation_explains_why():
    history = [
        event(None, "creating"),
        event("creating", "canceled", detail="not confirmed within 10 minutes"),
    ]
    said = explain(bill(BillStatus.CANCELED), history, now=NOW)
    assert "never confirmed this pay link" in said.what_happened
    assert "not confirmed within 10 minutes" in said.what_happened
    assert "nobody could pay it" in said.what_happened


def test_canceled_pending_bill_charged_nothing():
    said = explain(bill(BillStatus.CANCELED), [event(None, "pending"), event("pending", "canceled",
                   native="deleted")], now=NOW)  # fmt: skip
    assert said.what_happened == (
        "The pay link was canceled (provider status: deleted); nothing was charged."
    )


@pytest.mark.parametrize(
    ("refund", "expected"),
    [
        (-10000, "Paid 100.00 BYN, then refunded 100.00 BYN."),
        (-2500, "Paid 100.00 BYN, then partly refunded: 25.00 BYN given back, 75.00 BYN kept."),
    ],
)
def test_refunded_says_how_much_went_back(refund, expected):
    payments = [charge(10000), charge(refund, kind="refund", txn="r-1")]
    said = explain(bill(BillStatus.REFUNDED), payments=payments, now=NOW)
    assert said.what_happened == expected


def test_partly_refunded_points_to_the_refund_action_and_payture_to_its_back_office():
    payments = [charge(10000), charge(-2500, kind="refund", txn="r-1")]
    said = explain(bill(BillStatus.PARTIALLY_REFUNDED), payments=payments, now=NOW)
    assert "refund it below (Refund)" in said.next_step
    payture = bill(BillStatus.MISMATCH, kind="payture_bill")
    said = explain(payture, payments=[charge(9000)], now=NOW)
    assert "Payture's back office" in said.next_step


def test_every_bill_status_has_an_explanation():
    for status in BillStatus:
        said = explain(bill(status), now=NOW)
        assert said.what_happened and said.next_step, status


# -- subscriptions: one case per status ---------------------------------------------------


def test_subscription_creating_is_being_confirmed():
    said = explain(subscription(SubscriptionStatus.CREATING, created_at=NOW), now=NOW)
    assert "confirming whether the subscription was created" in said.what_happened


def test_subscription_pending_waits_for_the_card():
    said = explain(
        subscription(SubscriptionStatus.PENDING, created_at=NOW - timedelta(hours=3)), now=NOW
    )
    assert said.what_happened == (
        "The customer has not entered their card yet: the first payment (12.00 EUR every "
        "month) is still pending, 3 h after the subscription was created."
    )
    assert "Send the subscription's pay link again (Subscriptions)" in said.next_step


def test_subscription_trial_names_the_first_charge():
    renew = datetime(2024, 6, 7, 12, 0, tzinfo=UTC)
    said = explain(subscription(SubscriptionStatus.TRIAL, renew_at=renew), now=NOW, tz="UTC")
    assert said.what_happened == (
        "In its trial period; the first charge (12.00 EUR) is due on 2024-06-07 12:00 UTC."
    )


def test_subscription_active_counts_payments_and_names_the_next_charge():
    renew = datetime(2024, 6, 20, 12, 0, tzinfo=UTC)
    record = subscription(SubscriptionStatus.ACTIVE, paid_cycles=2, renew_at=renew)
    payments = [
        charge(1200, currency="EUR", at=NOW - timedelta(days=40), txn="t-1"),
        charge(1200, currency="EUR", at=NOW - timedelta(days=10), txn="t-2"),
    ]
    said = explain(record, payments=payments, now=NOW, tz="UTC")
    assert said.tone == "success"
    assert said.what_happened == (
        "Active (12.00 EUR every month): 2 payments so far, the last on 2024-05-21 12:00 UTC. "
        "Next charge of 12.00 EUR on 2024-06-20 12:00 UTC."
    )


def test_subscription_past_due_says_bepaid_retries():
    record = subscription(
        SubscriptionStatus.PAST_DUE, paid_cycles=3, native_status="failed_attempt"
    )
    history = [event("active", "past_due", native="failed_attempt", obj="subscription")]
    said = explain(record, history, now=NOW)
    assert "The last renewal of 12.00 EUR failed (provider status: failed_attempt)" in (
        said.what_happened
    )
    assert "3 payments so far" in said.what_happened
    assert "bePaid retries the charge automatically" in said.next_step


def test_subscription_failed_at_the_first_charge_never_started():
    said = explain(subscription(SubscriptionStatus.FAILED), now=NOW)
    assert "The first charge failed" in said.what_happened
    assert "never started" in said.what_happened


def test_subscription_failed_after_renewals():
    said = explain(subscription(SubscriptionStatus.FAILED, paid_cycles=4), now=NOW)
    assert said.what_happened.startswith("Ended: the renewals failed after 4 payments so far")


def test_subscription_error_points_to_the_provider():
    said = explain(subscription(SubscriptionStatus.ERROR), now=NOW)
    assert "Ended with an error at the provider" in said.what_happened
    assert "bePaid support" in said.next_step


def test_subscription_expired_ran_out():
    history = [event("active", "expired", ago=timedelta(days=2), obj="subscription")]
    said = explain(subscription(SubscriptionStatus.EXPIRED, paid_cycles=12), history, now=NOW,
                   tz="UTC")  # fmt: skip
    assert said.what_happened == "Ended on 2024-05-29 12:00 UTC: it ran out (12 payments so far)."


def test_subscription_canceled_names_reason_and_paid_up_period():
    record = subscription(
        SubscriptionStatus.CANCELED, paid_cycles=1, cancel_reason="customer moved abroad",
        canceled_at=NOW - timedelta(days=1), active_to=NOW + timedelta(days=9),
    )  # fmt: skip
    said = explain(record, now=NOW, tz="UTC")
    assert said.what_happened == (
        "Canceled on 2024-05-30 12:00 UTC: customer moved abroad (1 payment so far). "
        "No further charges. The customer has paid up to 2024-06-09 12:00 UTC."
    )
    assert said.next_step == "Nothing to do."


def test_every_subscription_status_has_an_explanation():
    for status in SubscriptionStatus:
        said = explain(subscription(status), now=NOW)
        assert said.what_happened and said.next_step, status


def test_a_failed_payment_says_why_in_the_providers_words_and_names_only_the_last_four():
    from console.ledger import Attempt

    words = {"message": "Payment declined", "code": "F.0002", "friendly_message": "Do not honor."}
    card = {"three_ds": "successful", "card_brand": "visa", "card_last4": "0019"}
    declined = Attempt("bill", 1, "bepaid", "uid-2", "failed", NOW, **words, **card)
    said = explain(bill(BillStatus.FAILED), attempts=[declined], now=NOW)
    assert said.what_happened == (
        "The payment of 100.00 BYN failed — Do not honor. (F.0002); card visa ·· 0019; "
        "nothing was charged."
    )
    assert "another card or method" in said.next_step


def test_a_failed_3d_secure_check_gets_its_own_advice():
    from console.ledger import Attempt

    failed = Attempt("bill", 1, "bepaid", "uid-3", "failed", NOW, three_ds="failed")
    said = explain(bill(BillStatus.FAILED), attempts=[failed], now=NOW)
    assert "3-D Secure failed" in said.what_happened
    assert said.next_step.startswith("The payer did not pass the bank's 3-D Secure check")
