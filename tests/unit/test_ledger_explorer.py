"""The payments explorer: filters, sorts, keyset pages (no row twice, none missed, across equal
sort values), totals per currency and the export's walk — each checked against the same
question answered in plain Python over every bill."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from console.errors import ValidationError
from console.ledger import Ledger, MajorAmount, NewBill, PaymentFilter, _explorer_sql
from console.money import exponent
from console.status import BillStatus
from console.vocabulary import BillKind, Provider

T0 = datetime(2026, 3, 1, tzinfo=UTC)
KINDS = ((BillKind.CARD_LINK, Provider.BEPAID), (BillKind.APM, Provider.BEGATEWAY),
         (BillKind.PAYTURE_BILL, Provider.PAYTURE))  # fmt: skip
CURRENCIES = ("BYN", "EUR", "JPY", "KWD", "RUB")
WORDS = ("Order", "Booking", "Café crème", "Gift card", "Курс", "Delivery")
COLUMNS = (
    "id", "provider", "kind", "tracking_id", "provider_id", "token", "amount", "currency",
    "description", "customer_email", "status", "created_at", "updated_at",
)  # fmt: skip
N = 420


def _bills(seed: int = 7) -> list[dict]:
    """Bills with many equal times and amounts, so that keys tie on the sort value."""
    rng = random.Random(seed)
    rows = []
    for number in range(1, N + 1):
        kind, provider = rng.choice(KINDS)
        currency = rng.choice(CURRENCIES)
        rows.append(
            {
                "id": number,
                "provider": provider.value,
                "kind": kind.value,
                "tracking_id": f"order-{number}",
                "provider_id": f"uid-{number:05d}" if number % 7 else None,
                "token": f"tok{number:04d}x" if number % 3 else None,
                # amounts in a few values only: many ties
                "amount": rng.choice((100, 1000, 1250, 5000, 99999)),
                "currency": currency,
                "description": f"{rng.choice(WORDS)} #{number}" if number % 11 else None,
                "customer_email": f"c{number % 17}@example.com" if number % 5 else None,
                "status": rng.choice(list(BillStatus)).value,
                # 60 distinct times over 30 days: about 7 bills share each moment
                "created_at": int((T0 + timedelta(hours=12 * rng.randrange(60))).timestamp())
                * 1000,
                "updated_at": 0,
            }
        )
    return rows


BILLS = _bills()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    path = tmp_path_factory.mktemp("explorer") / "ledger.db"
    with Ledger(path) as ledger:
        with ledger.bulk_load():
            ledger.bulk_insert(
                "bills", [tuple(b[c] for c in COLUMNS) for b in BILLS], columns=COLUMNS
            )
        # payments: bill 1 paid and half refunded, bill 2 paid twice (charge + another)
        at = T0 + timedelta(days=1)
        ledger.record_payment(
            provider=BILLS[0]["provider"],
            provider_txn_id="c1",
            amount=100,
            currency=BILLS[0]["currency"],
            at=at,
            bill_id=1,
        )
        ledger.record_payment(provider=BILLS[0]["provider"], provider_txn_id="r1", amount=-40,
                              currency=BILLS[0]["currency"], at=at, bill_id=1)  # fmt: skip
        yield ledger


# -- the same question in plain Python ----------------------------------------------------


def expected(where: PaymentFilter, sort: str) -> list[int]:
    def keep(b: dict) -> bool:
        at = b["created_at"]
        if where.start is not None and at < where.start.timestamp() * 1000:
            return False
        if where.end is not None and at >= where.end.timestamp() * 1000:
            return False
        if where.statuses and b["status"] not in {s.value for s in where.statuses}:
            return False
        if where.provider is not None and b["provider"] != where.provider:
            return False
        if where.kind is not None and b["kind"] != where.kind:
            return False
        if where.currency is not None and b["currency"] != where.currency:
            return False
        scale = 10 ** exponent(b["currency"])
        # exact rational comparison in each currency's own major units
        if where.amount_min is not None:
            low = where.amount_min
            if b["amount"] * 10**low.places < low.units * scale:
                return False
        if where.amount_max is not None:
            high = where.amount_max
            if b["amount"] * 10**high.places > high.units * scale:
                return False
        if where.email is not None and b["customer_email"] != where.email.strip().lower():
            return False
        return not (where.text is not None and not text_matches(where.text, b))

    found = [b for b in BILLS if keep(b)]
    if sort in ("newest", "oldest"):
        found.sort(key=lambda b: (b["created_at"], b["id"]), reverse=sort == "newest")
    else:
        found.sort(
            key=lambda b: (b["currency"], b["amount"], b["id"]), reverse=sort == "amount_desc"
        )
    return [b["id"] for b in found]


def text_matches(text: str, b: dict) -> bool:
    text = text.strip()
    if text in (b["tracking_id"], b["provider_id"], b["token"]):
        return True
    ref = text.removeprefix("B").removeprefix("b")
    if ref.isdigit() and int(ref) == b["id"]:
        return True
    words = _explorer_sql._WORD.findall(_explorer_sql._folded(text))
    if not words or b["description"] is None:
        return False
    have = _explorer_sql._WORD.findall(_explorer_sql._folded(b["description"]))
    return all(any(h == w if w.isdigit() else h.startswith(w) for h in have) for w in words)


def every_page(ledger: Ledger, where: PaymentFilter, sort: str, limit: int) -> list[int]:
    seen: list[int] = []
    page = ledger.explorer.page(where, sort, limit=limit)
    assert page.has_previous is False
    while True:
        seen += [row.id for row in page.rows]
        if not page.has_next:
            return seen
        page = ledger.explorer.page(where, sort, after=page.last_key, limit=limit)
        assert page.has_previous is True


def every_page_backwards(ledger: Ledger, where, sort, limit, last_key) -> list[int]:
    seen: list[int] = []
    page = ledger.explorer.page(where, sort, before=last_key, limit=limit)
    while True:
        seen = [row.id for row in page.rows] + seen
        if not page.has_previous:
            return seen
        page = ledger.explorer.page(where, sort, before=page.first_key, limit=limit)


MARCH = {"start": T0 + timedelta(days=3), "end": T0 + timedelta(days=21)}
FILTERS = {
    "everything": PaymentFilter(),
    "a period": PaymentFilter(**MARCH),
    "failed or expired": PaymentFilter(statuses=(BillStatus.FAILED, BillStatus.EXPIRED)),
    "partially refunded": PaymentFilter(statuses=(BillStatus.PARTIALLY_REFUNDED,)),
    "payture": PaymentFilter(provider=Provider.PAYTURE),
    "apm in a period": PaymentFilter(**MARCH, kind=BillKind.APM),
    "EUR": PaymentFilter(currency="EUR"),
    "EUR 10.00 to 12.50": PaymentFilter(
        currency="EUR", amount_min=MajorAmount(1000, 2), amount_max=MajorAmount(1250, 2)
    ),
    "from 12.50, no currency": PaymentFilter(amount_min=MajorAmount(1250, 2)),
    "up to 10, no currency, in a period": PaymentFilter(**MARCH, amount_max=MajorAmount(10, 0)),
    "an e-mail in any case": PaymentFilter(email=" C3@Example.COM "),
    "a word's beginning": PaymentFilter(text="book"),
    "accents and case ignored": PaymentFilter(text="CAFE"),
    "two words": PaymentFilter(text="gift card"),
    "a number whole": PaymentFilter(text="12"),
    "a B-reference": PaymentFilter(text="B77"),
    "a tracking id": PaymentFilter(text="order-5"),
    "a token": PaymentFilter(text="tok0010x"),
    "cyrillic": PaymentFilter(text="курс"),
    "a word, failed, JPY": PaymentFilter(
        text="order", statuses=(BillStatus.FAILED,), currency="JPY"
    ),
    "nothing": PaymentFilter(kind=BillKind.APM, provider=Provider.PAYTURE),
}
SORTS = ("newest", "oldest", "amount_desc", "amount_asc")


@pytest.fixture(params=["probes", "tiny probes"])
def plans(request, monkeypatch):
    """Every plan: the normal probes, and probes so small that the planner path,
    the common-text path and the currency split all run."""
    if request.param == "tiny probes":
        monkeypatch.setattr(_explorer_sql, "PROBE_BUDGETS", (3, 9))
        monkeypatch.setattr(_explorer_sql, "TEXT_DRIVES_BELOW", 2)
    return request.param


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("name", list(FILTERS))
def test_pages_hold_every_row_once_in_order(ledger, plans, name, sort):
    where = FILTERS[name]
    want = expected(where, sort)
    got = every_page(ledger, where, sort, limit=7)
    assert got == want
    if want:
        last = ledger.explorer.page(where, sort, after=None, limit=N).rows[-1].key(sort)
        before_last = every_page_backwards(ledger, where, sort, 6, last)
        assert before_last == want[:-1]


@pytest.mark.parametrize("name", list(FILTERS))
def test_totals_per_currency_are_the_rows_added_up(ledger, plans, name):
    where = FILTERS[name]
    ids = set(expected(where, "newest"))
    want: dict[str, tuple[int, int]] = {}
    for b in BILLS:
        if b["id"] in ids:
            count, amount = want.get(b["currency"], (0, 0))
            want[b["currency"]] = (count + 1, amount + b["amount"])
    got = {t.currency: (t.count, t.amount) for t in ledger.explorer.totals(where)}
    assert got == want
    assert [t.currency for t in ledger.explorer.totals(where)] == sorted(want)


def test_a_count_from_many_bills_is_declined_and_one_from_the_summaries_never(ledger):
    """``at_most``: an amount range or a common word is counted from the bills, so it is
    declined (None) when its period holds more bills than that; without them the count
    comes from the summaries and is always given, equal to the bills added up."""
    period = {"start": T0, "end": T0 + timedelta(days=10)}
    in_period = len(expected(PaymentFilter(**period), "newest"))
    ranged = PaymentFilter(**period, amount_min=MajorAmount(10, 0))
    assert ledger.explorer.totals(ranged, at_most=in_period - 1) is None
    assert ledger.explorer.totals(ranged, at_most=in_period) == ledger.explorer.totals(ranged)
    plain = PaymentFilter(**period, statuses=(BillStatus.PAID,))
    assert ledger.explorer.totals(plain, at_most=0) == ledger.explorer.totals(plain)
    customer = PaymentFilter(**period, email="c3@example.com", amount_min=MajorAmount(10, 0))
    assert ledger.explorer.totals(customer, at_most=0) is not None  # a handful: at once


@pytest.mark.parametrize("sort", SORTS)
def test_the_export_walk_is_every_row_in_order(ledger, plans, sort, monkeypatch):
    monkeypatch.setattr(_explorer_sql, "EXPORT_CHUNK", 11)
    monkeypatch.setattr("console.ledger._explorer.EXPORT_CHUNK", 11)
    for where in (FILTERS["everything"], FILTERS["from 12.50, no currency"], FILTERS["two words"]):
        assert [row.id for row in ledger.explorer.rows(where, sort)] == expected(where, sort)


def test_a_page_is_50_rows_and_says_what_lies_beyond(ledger):
    first = ledger.explorer.page(PaymentFilter())
    assert len(first.rows) == 50 and first.has_next and not first.has_previous
    second = ledger.explorer.page(PaymentFilter(), after=first.last_key)
    back = ledger.explorer.page(PaymentFilter(), before=second.first_key)
    assert [r.id for r in back.rows] == [r.id for r in first.rows]
    assert back.has_previous is False and back.has_next is True


def test_rows_carry_what_their_payments_moved(ledger):
    [row] = ledger.explorer.page(PaymentFilter(text="B1")).rows
    assert (row.id, row.paid, row.refunded) == (1, 100, 40)
    assert row.ref == "B1" and row.tracking_id == "order-1"
    other = ledger.explorer.page(PaymentFilter(text="B2")).rows[0]
    assert (other.paid, other.refunded) == (0, 0)


def test_an_amount_without_a_currency_is_read_in_each_currencys_own_units(ledger):
    """12.50 is 1250 EUR cents, 12.500 KWD (12500 fils) and, JPY having no minor unit,
    13 yen as a lower bound and 12 yen as an upper one."""

    def amounts(where: PaymentFilter) -> dict[str, set[int]]:
        found: dict[str, set[int]] = {}
        for row in ledger.explorer.page(where, limit=500).rows:
            found.setdefault(row.currency, set()).add(row.amount)
        return found

    at_least = amounts(PaymentFilter(amount_min=MajorAmount(1250, 2)))
    assert min(at_least["EUR"]) == 1250
    assert min(at_least["JPY"]) == 100  # 100 yen is more than 13
    assert at_least["KWD"] == {99999}  # of 100 ... 99999 fils only 99.999 KWD is >= 12.500
    at_most = amounts(PaymentFilter(amount_max=MajorAmount(1250, 2)))
    assert "JPY" not in at_most  # no bill of 12 yen or less
    assert max(at_most["KWD"]) == 5000 and max(at_most["EUR"]) == 1250


def test_major_amounts_round_inward():
    assert MajorAmount(1250, 2).minor_in("JPY", round_up=True) == 13
    assert MajorAmount(1250, 2).minor_in("JPY", round_up=False) == 12
    assert MajorAmount(1200, 2).minor_in("JPY", round_up=True) == 12
    assert MajorAmount(1250, 2).minor_in("KWD", round_up=True) == 12500
    assert MajorAmount(100, 0).minor_in("BYN", round_up=False) == 10000


def test_the_export_leaves_out_bills_written_after_it_started(tmp_path):
    with Ledger(tmp_path / "l.db") as ledger:
        for number in range(3):
            ledger.create_bill(
                NewBill(provider="bepaid", kind="card_link", tracking_id=f"t{number}",
                        amount=100, currency="EUR", at=T0 + timedelta(minutes=number))
            )  # fmt: skip
        walk = ledger.explorer.rows(PaymentFilter(), "oldest")
        first = next(walk)
        ledger.create_bill(
            NewBill(provider="bepaid", kind="card_link", tracking_id="late", amount=100,
                    currency="EUR", at=T0 - timedelta(days=1))
        )  # fmt: skip
        assert [first.id, *(row.id for row in walk)] == [1, 2, 3]


def test_descriptions_are_searchable_as_soon_as_a_bill_is_written(tmp_path):
    with Ledger(tmp_path / "l.db") as ledger:
        bill = ledger.create_bill(
            NewBill(provider="bepaid", kind="card_link", tracking_id="t", amount=100,
                    currency="EUR", description="Hand-made Teapot")
        )  # fmt: skip
        assert [r.id for r in ledger.explorer.page(PaymentFilter(text="teapot")).rows] == [bill]
        with ledger.write() as conn:  # no code path edits a description; the trigger still does
            conn.execute("UPDATE bills SET description = 'Kettle' WHERE id = ?", (bill,))
        assert ledger.explorer.page(PaymentFilter(text="teapot")).rows == []
        assert [r.id for r in ledger.explorer.page(PaymentFilter(text="kett")).rows] == [bill]
        with ledger.write() as conn:
            conn.execute("DELETE FROM bills WHERE id = ?", (bill,))
        assert (
            ledger.connection()
            .execute("SELECT count(*) FROM bills_text WHERE bills_text MATCH 'kettle'")
            .fetchone()[0]
            == 0
        )


def test_temporary_match_tables_are_dropped(ledger, monkeypatch):
    monkeypatch.setattr(_explorer_sql, "TEXT_DRIVES_BELOW", 2)
    ledger.explorer.page(PaymentFilter(text="order"))
    ledger.explorer.totals(PaymentFilter(text="order"))
    list(ledger.explorer.rows(PaymentFilter(text="order")))
    left = (
        ledger.connection()
        .execute("SELECT count(*) FROM temp.sqlite_master WHERE name LIKE 'explorer_matches%'")
        .fetchone()[0]
    )
    assert left == 0


def test_currencies_are_those_of_the_ledger(ledger):
    assert ledger.explorer.currencies() == sorted(CURRENCIES)


NAIVE = datetime(2026, 3, 1)


@pytest.mark.parametrize(
    ("where", "field"),
    [
        (PaymentFilter(start=NAIVE), "start"),
        (PaymentFilter(start=T0, end=T0), "end"),
        (PaymentFilter(statuses=("lost",)), "statuses"),  # type: ignore[arg-type]
        (PaymentFilter(statuses="paid"), "statuses"),  # type: ignore[arg-type]
        (PaymentFilter(provider="paypal"), "provider"),  # type: ignore[arg-type]
        (PaymentFilter(kind="cash"), "kind"),  # type: ignore[arg-type]
        (PaymentFilter(currency="XYZ"), "currency"),
        (PaymentFilter(currency="JPY", amount_min=MajorAmount(1250, 2)), "amount_min"),
        (PaymentFilter(amount_min=MajorAmount(0, 0)), "amount_min"),
        (PaymentFilter(amount_min=MajorAmount(-5, 0)), "amount_min"),
        (PaymentFilter(amount_min=MajorAmount(5, 9)), "amount_min"),
        (PaymentFilter(amount_min=12.5), "amount_min"),  # type: ignore[arg-type]
        (
            PaymentFilter(amount_min=MajorAmount(20, 0), amount_max=MajorAmount(1999, 2)),
            "amount_max",
        ),
        (PaymentFilter(email="not an address"), "customer_email"),
        (PaymentFilter(text="x" * 201), "text"),
        (PaymentFilter(text="a\u202eb"), "text"),
        (PaymentFilter(text=42), "text"),  # type: ignore[arg-type]
    ],
)
def test_bad_filter_values_are_refused_with_the_field_named(ledger, where, field):
    for call in (
        lambda: ledger.explorer.page(where),
        lambda: ledger.explorer.totals(where),
        lambda: ledger.explorer.rows(where),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sort": "cheapest"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": True}, "limit"),
        ({"after": (1, 2, 3)}, "after"),
        ({"after": ("EUR", 1)}, "after"),
        ({"after": (1, 2), "before": (1, 2)}, "before"),
        ({"sort": "amount_desc", "after": (1, 2, 3)}, "after"),
    ],
)
def test_bad_page_requests_are_refused(ledger, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        ledger.explorer.page(PaymentFilter(), **kwargs)
    assert caught.value.field == field


def test_the_filter_is_a_frozen_value():
    where = PaymentFilter(currency="EUR")
    with pytest.raises(AttributeError):
        where.currency = "USD"  # type: ignore[misc]
    assert replace(where, currency="USD").currency == "USD"


def test_the_export_walk_holds_one_chunk_at_a_time(tmp_path, monkeypatch):
    """Python's peak memory while walking 30,000 bills is about that for 3,000: the walk
    holds one chunk (1,000 rows here), never the set."""
    import tracemalloc

    monkeypatch.setattr(_explorer_sql, "EXPORT_CHUNK", 1000)
    monkeypatch.setattr("console.ledger._explorer.EXPORT_CHUNK", 1000)

    def peak(count: int) -> int:
        with Ledger(tmp_path / f"{count}.db") as ledger:
            at = int(T0.timestamp() * 1000)
            columns = ("provider", "kind", "tracking_id", "amount", "currency", "description",
                       "status", "created_at", "updated_at")  # fmt: skip
            rows = (
                ("bepaid", "card_link", f"o-{n}", 100 + n, "EUR", f"Order #{n}", "paid", at + n, 0)
                for n in range(count)
            )
            with ledger.bulk_load():
                ledger.bulk_insert("bills", rows, columns=columns)
            tracemalloc.start()
            try:
                walk = ledger.explorer.rows(PaymentFilter(text="order"), "amount_desc")
                walked = sum(1 for _ in walk)
                return tracemalloc.get_traced_memory()[1] if walked == count else -1
            finally:
                tracemalloc.stop()

    small, large = peak(3_000), peak(30_000)
    assert small > 0 and large > 0
    assert large < small * 2, (small, large)
