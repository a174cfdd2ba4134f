"""One status vocabulary, every provider's native statuses mapped, and the never-regress rule."""

import pytest

from console.status import (
    FINAL_BILL,
    FINAL_SUBSCRIPTION,
    NATIVE_STATUS,
    BillStatus,
    SubscriptionStatus,
    UnknownNativeStatus,
    from_native,
    is_final,
    parse_status,
    should_apply,
)

B, S = BillStatus, SubscriptionStatus


@pytest.mark.parametrize(
    ("api", "native", "expected"),
    [
        ("payture", "PENDING", B.PENDING),
        ("payture", "PAID", B.PAID),
        ("payture", "DONE", B.PAID),
        ("payture", "AMOUNT_MISMATCH", B.MISMATCH),
        ("beyag", "initial", B.PENDING),
        ("beyag", "pending", B.PENDING),
        ("beyag", "successful", B.PAID),
        ("beyag", "failed", B.FAILED),
        ("beyag", "expired", B.EXPIRED),
        ("beyag", "error", B.FAILED),
        ("beyag", "deleted", B.CANCELED),
        ("checkout", "successful", B.PAID),
        ("checkout", "incomplete", B.PENDING),
        ("transaction", "successful", B.PAID),
        ("transaction", "failed", B.FAILED),
        ("transaction", "incomplete", B.PENDING),
        ("transaction", "expired", B.EXPIRED),
        ("transaction", "error", B.FAILED),
        ("subscription", "redirecting", S.PENDING),
        ("subscription", "trial_processing", S.TRIAL),
        ("subscription", "failed_attempt", S.PAST_DUE),
        ("subscription", "rescuing", S.PAST_DUE),
        ("subscription", "error", S.ERROR),
        ("subscription", "canceled", S.CANCELED),
        ("subscription", "Active", S.ACTIVE),  # case from a sloppy proxy
    ],
)
def test_native_statuses_map_to_the_console_vocabulary(api, native, expected):
    assert from_native(api, native) == expected


def test_every_documented_subscription_state_is_mapped():
    documented = [
        "pending",
        "redirecting",
        "trial",
        "trial_processing",
        "processing",
        "active",
        "failed_attempt",
        "rescuing",
        "failed",
        "error",
        "expired",
        "canceled",
    ]
    assert set(documented) <= set(NATIVE_STATUS["subscription"])


@pytest.mark.parametrize(("api", "native"), [("payture", "paid"), ("beyag", "weird"), ("x", "y")])
def test_unknown_native_status_is_refused_not_guessed(api, native):
    with pytest.raises(UnknownNativeStatus):
        from_native(api, native)


def test_final_sets():
    assert {
        B.PAID,
        B.FAILED,
        B.EXPIRED,
        B.CANCELED,
        B.MISMATCH,
        B.PARTIALLY_REFUNDED,
        B.REFUNDED,
    } == FINAL_BILL
    assert {S.FAILED, S.ERROR, S.EXPIRED, S.CANCELED} == FINAL_SUBSCRIPTION
    assert not is_final(B.PENDING) and not is_final(S.PAST_DUE) and is_final(S.CANCELED)


@pytest.mark.parametrize(
    ("current", "new", "applied"),
    [
        (None, B.PENDING, True),
        (B.CREATING, B.PENDING, True),
        (B.PENDING, B.PAID, True),
        (B.PAID, B.PENDING, False),  # a late poll answer never undoes a payment
        (B.EXPIRED, B.PENDING, False),
        (B.EXPIRED, B.PAID, True),  # money moved after all: show it
        (B.FAILED, B.PAID, True),
        (B.PAID, B.EXPIRED, False),
        (B.PAID, B.FAILED, False),
        (B.PAID, B.REFUNDED, True),
        (B.REFUNDED, B.PAID, False),
        (B.PAID, B.PAID, False),  # nothing to change
        (S.ACTIVE, S.PAST_DUE, True),
        (S.PAST_DUE, S.ACTIVE, True),
        (S.CANCELED, S.ACTIVE, False),  # a late renewal report never revives it
        (S.CANCELED, S.FAILED, False),
        (S.FAILED, S.CANCELED, False),
    ],
)
def test_never_regress_rule(current, new, applied):
    assert should_apply(current, new) is applied


def test_stored_strings_round_trip():
    for member in [*BillStatus, *SubscriptionStatus]:
        assert parse_status(str(member)) == member
    with pytest.raises(ValueError):
        parse_status("bogus")
