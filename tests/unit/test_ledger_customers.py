"""``ledger.customers``: everything of one e-mail address — matched in any case, totals per
currency with refunds taken off, what is open, and pages that never repeat or miss a row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.errors import ValidationError
from console.ledger import Ledger, NewBill, NewSubscription
from console.status import BillStatus, SubscriptionStatus

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ANNA = "anna.petrova@example.com"


def bill(ledger, n, amount, currency, *, email=ANNA, paid=True, at=AT):
    bill_id = ledger.create_bill(
        NewBill(
            provider="bepaid",
            kind="card_link",
            tracking_id=f"order-{n}",
            amount=amount,
            currency=currency,
            customer_email=email,
            status=BillStatus.PENDING,
            at=at,
        )
    )
    if paid:
        ledger.record_payment(
            provider="bepaid",
            provider_txn_id=f"txn-{n}",
            amount=amount,
            currency=currency,
            at=at + timedelta(minutes=5),
            bill_id=bill_id,
        )
        ledger.record_bill_status(bill_id, BillStatus.PAID, "successful", "webhook", at)
    return bill_id


def refund(ledger, bill_id, amount, *, confirm=True, uid=None):
    [charge] = [p for p in ledger.payments_of("bill", bill_id) if p.kind == "charge"]
    attempt = ledger.refunds.start(charge, amount, "Asked by the customer", actor="ann")
    if confirm:
        ledger.refunds.succeed(
            attempt, provider_uid=uid or f"r-{attempt}", native_status="successful", at=None
        )
    return attempt


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """Anna: two BYN bills (one half refunded), a EUR bill fully refunded, a USD bill with a
    refund still being confirmed, an open bill, a subscription with two EUR charges (one of
    them also billed as a bill of hers) and a canceled one; Boris: bills of his own."""
    with Ledger(tmp_path_factory.mktemp("customers") / "ledger.db") as ledger:
        ids = {}
        ids["byn1"] = bill(ledger, 1, 10_000, "BYN", at=AT)
        ids["byn2"] = bill(
            ledger, 2, 2_550, "BYN", email="Anna.Petrova@Example.COM", at=AT + timedelta(days=1)
        )
        ids["eur"] = bill(ledger, 3, 4_000, "EUR", at=AT + timedelta(days=2))
        ids["usd"] = bill(ledger, 4, 1_500, "USD", at=AT + timedelta(days=3))
        ids["open"] = bill(ledger, 5, 700, "BYN", paid=False, at=AT + timedelta(days=4))
        bill(ledger, 6, 99_900, "BYN", email="boris@example.com")
        bill(ledger, 7, 12_300, "EUR", email="boris@example.com", paid=False)
        refund(ledger, ids["byn1"], 5_000)
        refund(ledger, ids["eur"], 4_000)
        ids["usd_attempt"] = refund(ledger, ids["usd"], 1_500, confirm=False)
        sub = ledger.create_subscription(
            NewSubscription(
                tracking_id="sub-1",
                amount=1_990,
                currency="EUR",
                interval=1,
                interval_unit="month",
                plan_title="Pro, monthly",
                customer_email=ANNA,
                status=SubscriptionStatus.PENDING,
                at=AT,
            )
        )
        ledger.record_subscription_status(sub, SubscriptionStatus.ACTIVE, "active", "webhook", AT)
        ids["sub"] = sub
        ledger.record_payment(
            provider="bepaid",
            provider_txn_id="s-1",
            amount=1_990,
            currency="EUR",
            at=AT + timedelta(days=5),
            subscription_id=sub,
        )
        charge_bill = ledger.create_bill(
            NewBill(
                provider="bepaid",
                kind="card_link",
                tracking_id="sub-1-c2",
                amount=1_990,
                currency="EUR",
                customer_email=ANNA,
                status=BillStatus.PENDING,
                subscription_id=sub,
                at=AT + timedelta(days=35),
            )
        )
        ids["charge_bill"] = charge_bill
        ledger.record_payment(
            provider="bepaid",
            provider_txn_id="s-2",
            amount=1_990,
            currency="EUR",
            at=AT + timedelta(days=35),
            subscription_id=sub,
            bill_id=charge_bill,
        )
        old = ledger.create_subscription(
            NewSubscription(
                tracking_id="sub-0",
                amount=500,
                currency="BYN",
                interval=1,
                interval_unit="month",
                customer_email=ANNA,
                status=SubscriptionStatus.PENDING,
                at=AT - timedelta(days=90),
            )
        )
        ledger.record_subscription_status(old, SubscriptionStatus.CANCELED, "canceled", "console")
        ids["old_sub"] = old
        yield ledger, ids


@pytest.mark.parametrize("typed", [ANNA, "ANNA.PETROVA@EXAMPLE.COM", "  Anna.Petrova@example.com "])
def test_the_customer_is_found_in_any_case_and_only_she(shop, typed):
    ledger, ids = shop
    summary = ledger.customers.summary(typed)
    assert summary.email == ANNA
    assert (summary.bills, summary.subscriptions) == (6, 2)
    bills = ledger.customers.bills(typed).rows
    expected = {ids[k] for k in ("byn1", "byn2", "eur", "usd", "open", "charge_bill")}
    assert {b.id for b in bills} == expected  # Boris's bills are not hers
    assert {b.customer_email for b in bills} == {ANNA}


def test_totals_are_per_currency_with_confirmed_refunds_taken_off(shop):
    ledger, _ = shop
    totals = {t.currency: t for t in ledger.customers.summary(ANNA).totals}
    assert list(totals) == ["BYN", "EUR", "USD"]  # never one sum across currencies
    byn, eur, usd = totals["BYN"], totals["EUR"], totals["USD"]
    assert (byn.paid, byn.refunded, byn.net, byn.charges, byn.refunds) == (
        12_550,
        5_000,
        7_550,
        2,
        1,
    )
    # 4000 EUR bill refunded whole + two subscription charges; the second charge is also a
    # bill of hers and is counted once.
    assert (eur.paid, eur.refunded, eur.net, eur.charges, eur.refunds) == (
        7_980,
        4_000,
        3_980,
        3,
        1,
    )
    # A refund still being confirmed is not money given back yet.
    assert (usd.paid, usd.refunded, usd.net) == (1_500, 0, 1_500)
    assert all(isinstance(value, int) for t in totals.values() for value in (t.paid, t.net))
    assert str(byn.money(byn.net)) == "75.50 BYN"


def test_first_and_last_payment(shop):
    ledger, _ = shop
    summary = ledger.customers.summary(ANNA)
    assert summary.first_payment_at == AT + timedelta(minutes=5)
    assert summary.last_payment_at == AT + timedelta(days=35)
    eur = next(t for t in summary.totals if t.currency == "EUR")
    assert eur.first_payment_at == AT + timedelta(days=2, minutes=5)


def test_what_is_open(shop):
    ledger, ids = shop
    summary = ledger.customers.summary(ANNA)
    assert (summary.open_bills, summary.open_subscriptions) == (2, 1)
    assert summary.refunds_being_confirmed == 1
    assert {b.id for b in ledger.customers.open_bills(ANNA)} == {ids["open"], ids["charge_bill"]}
    [sub] = ledger.customers.open_subscriptions(ANNA)
    assert (sub.id, sub.status) == (ids["sub"], SubscriptionStatus.ACTIVE)


def test_payments_and_refund_attempts_of_the_customer(shop):
    ledger, ids = shop
    payments = ledger.customers.payments(ANNA).rows
    assert [p.at for p in payments] == sorted((p.at for p in payments), reverse=True)
    assert len(payments) == 8  # 5 charges of bills (one also the subscription's), 1 more, 2 refunds
    assert len({p.id for p in payments}) == len(payments)
    refunds = [p for p in payments if p.kind == "refund"]
    assert sorted(p.amount for p in refunds) == [-5_000, -4_000]
    assert {p.parent_id for p in refunds} == {
        c.id
        for b in ("byn1", "eur")
        for c in ledger.payments_of("bill", ids[b])
        if c.kind == "charge"
    }
    attempts = ledger.customers.refunds(ANNA).rows
    assert [a.status for a in attempts] == ["creating", "succeeded", "succeeded"]  # newest first
    assert attempts[0].id == ids["usd_attempt"]


def test_someone_unknown_has_nothing(shop):
    ledger, _ = shop
    summary = ledger.customers.summary("nobody@example.com")
    assert not summary
    assert (summary.bills, summary.totals, summary.first_payment_at) == (0, [], None)
    assert ledger.customers.bills("nobody@example.com").rows == []


@pytest.mark.parametrize("bad", ["", "   ", "not an e-mail", None])
def test_a_blank_or_malformed_address_is_refused(shop, bad):
    ledger, _ = shop
    with pytest.raises(ValidationError):
        ledger.customers.summary(bad)


@pytest.mark.parametrize("limit", [0, -1, 1001, 2.5, True])
def test_a_page_size_out_of_range_is_refused(shop, limit):
    ledger, _ = shop
    with pytest.raises(ValidationError):
        ledger.customers.bills(ANNA, limit=limit)


def test_a_cursor_of_another_list_is_refused(shop):
    ledger, _ = shop
    with pytest.raises(ValidationError, match="another list"):
        ledger.customers.payments(ANNA, before=(5,))
    with pytest.raises(ValidationError, match="another list"):
        ledger.customers.bills(ANNA, before=(5, 6))


# -- pagination --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    """One customer with 237 bills, all paid, several payments at the same moment."""
    with Ledger(tmp_path_factory.mktemp("busy") / "ledger.db") as ledger:
        for n in range(237):
            bill(
                ledger, n, 100 + n, "BYN", email="busy@example.com", at=AT + timedelta(hours=n // 3)
            )
        yield ledger


def every_page(read, limit):
    pages, before = [], None
    while True:
        page = read(limit=limit, before=before)
        pages.append(page.rows)
        if page.older is None:
            return pages
        before = page.older


@pytest.mark.parametrize("limit", [1, 7, 50, 237, 1000])
@pytest.mark.parametrize("what", ["bills", "payments"])
def test_pages_never_repeat_or_miss_a_row(busy, what, limit):
    read = getattr(busy.customers, what)
    pages = every_page(lambda **kw: read("busy@example.com", **kw), limit)
    ids = [row.id for page in pages for row in page]
    assert len(ids) == len(set(ids)) == 237
    assert all(len(page) == limit for page in pages[:-1]) and 0 < len(pages[-1]) <= limit
    if what == "payments":
        keys = [(row.at, row.id) for page in pages for row in page]
        assert keys == sorted(keys, reverse=True)  # newest first, across page boundaries
    else:
        assert ids == sorted(ids, reverse=True)


def test_a_page_that_ends_the_list_says_so(busy):
    page = busy.customers.bills("busy@example.com", limit=237)
    assert len(page.rows) == 237 and page.older is None
    page = busy.customers.bills("busy@example.com", limit=236)
    assert page.older == (page.rows[-1].id,)
