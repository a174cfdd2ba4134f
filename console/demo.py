"""``merchant-console demo``: a realistic, repeatable history in a fresh ledger.

About a year (``days``) of card pay links, APM payments and Payture bills across
BYN, RUB, EUR, USD and JPY, plus subscriptions with trials, renewals, failed
renewals that are retried and sometimes end the subscription, and cancellations —
each with its status history and payments. The same ``seed`` gives the same
rows (times are relative to ``now``). Every row is marked ``demo = 1``.

Volume grows over the year, dips on Sundays and follows the day in Europe/Minsk,
so the charts look like a real shop's. Rows go in through the ledger's bulk path in
chunks of ``CHUNK`` bills, so a million bills need little memory; the
whole load is one transaction with the secondary indexes rebuilt once at the end.

The demo refuses a ledger that already has bills or subscriptions: demo rows must
never mix with real ones.
"""

from __future__ import annotations

import random
import time
import uuid
from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

from console.errors import ValidationError
from console.ledger import Ledger, now_ms

CHUNK = 50_000
DAY_MS = 86_400_000
MINUTE_MS = 60_000
LOCAL_OFFSET_MS = 3 * 3_600_000  # Europe/Minsk is UTC+3 all year

BILL_COLUMNS = (
    "id",
    "provider",
    "kind",
    "tracking_id",
    "provider_id",
    "token",
    "pay_url",
    "amount",
    "currency",
    "description",
    "customer_email",
    "status",
    "native_status",
    "test",
    "created_at",
    "updated_at",
    "expires_at",
    "paid_at",
    "extra_json",
    "demo",
)
PAYMENT_COLUMNS = (
    "bill_id",
    "subscription_id",
    "provider",
    "provider_txn_id",
    "kind",
    "channel",
    "amount",
    "currency",
    "at",
    "demo",
)
EVENT_COLUMNS = (
    "object_type",
    "object_id",
    "from_status",
    "to_status",
    "native_status",
    "source",
    "at",
)
# One row for Ledger.bulk_insert, its values in the order of the table's *_COLUMNS.
Row = tuple[object, ...]
SUBSCRIPTION_COLUMNS = (
    "id",
    "provider",
    "provider_id",
    "tracking_id",
    "plan_id",
    "plan_title",
    "amount",
    "currency",
    "interval",
    "interval_unit",
    "trial_interval",
    "trial_unit",
    "customer_email",
    "status",
    "native_status",
    "test",
    "paid_cycles",
    "renew_at",
    "active_to",
    "created_at",
    "updated_at",
    "canceled_at",
    "cancel_reason",
    "demo",
)

# (kind, provider, share), (currency, share, median minor units, rounding step)
KINDS = (("card_link", "bepaid", 55), ("apm", "begateway", 15), ("payture_bill", "payture", 30))
CURRENCIES = {
    "card_link": (
        ("BYN", 50, 4500, 10),
        ("EUR", 18, 2500, 100),
        ("USD", 14, 3000, 100),
        ("RUB", 15, 150000, 1000),
        ("JPY", 3, 3000, 10),
    ),
    "apm": (("BYN", 70, 3500, 10), ("RUB", 30, 120000, 1000)),
}
PAYTURE_PRODUCTS = (  # (title, price, currency, gift)
    ("Premium, 1 month", 29900, "RUB", False),
    ("Premium, 12 months", 299000, "RUB", False),
    ("Premium, 1 month", 990, "BYN", False),
    ("Gift: Premium, 3 months", 79900, "RUB", True),
)
PLANS = (  # (plan id, title, amount, currency, interval, unit, trial days)
    ("demo-plan-pro", "Pro, monthly", 2990, "BYN", 1, "month", 7),
    ("demo-plan-basic", "Basic, monthly", 49000, "RUB", 1, "month", 0),
    ("demo-plan-team", "Team, yearly", 29900, "EUR", 12, "month", 14),
)
#: The largest demo: ten million bills is what bench/scale.py measures (it takes
#: about 20 minutes and 10 GB of disk on the 2-core machine; see the README).
MAX_BILLS = 20_000_000
DESCRIPTIONS = ("Order", "Invoice", "Booking", "Course seat", "Consultation", "Delivery")
CANCEL_REASONS = ("Too expensive", "Switched to another service", "No longer needed", "Moved")
FIRST = ("anna", "ivan", "olga", "pavel", "maria", "dmitry", "elena", "sergey", "kate", "max")
DOMAINS = ("example.com", "example.org", "example.net")
DIURNAL = (1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 10, 10, 9, 9, 9, 10, 11, 12, 11, 8, 5, 2)
DIURNAL_CUM = list(accumulate(DIURNAL))


@dataclass(frozen=True)
class DemoReport:
    """What the generator wrote and how fast."""

    bills: int
    subscriptions: int
    payments: int
    events: int
    seconds: float

    @property
    def rows(self) -> int:
        return self.bills + self.subscriptions + self.payments + self.events

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")

    def summary(self) -> str:
        return (
            f"demo: {self.bills:,} bills, {self.subscriptions:,} subscriptions, "
            f"{self.payments:,} payments, {self.events:,} status events "
            f"({self.rows:,} rows) in {self.seconds:.1f} s — "
            f"{self.rows_per_second:,.0f} rows/s"
        )


def generate_demo(
    ledger_path: Path | str,
    *,
    bills: int = 5000,
    seed: int = 1,
    days: int = 365,
    now: datetime | None = None,
) -> DemoReport:
    """Fill a new (or empty) ledger with a demo history and report the counts.

    Raises:
        ValidationError: ``bills`` or ``days`` out of range, or the ledger is not empty.
    """
    if not 1 <= bills <= MAX_BILLS:
        raise ValidationError(f"--bills must be between 1 and {MAX_BILLS:,}.", field="bills")
    if not 1 <= days <= 3650:
        raise ValidationError("--days must be between 1 and 3650.", field="days")
    started = time.perf_counter()
    ledger = Ledger(ledger_path)
    try:
        conn = ledger.connection()
        existing = conn.execute(
            "SELECT (SELECT count(*) FROM bills) + (SELECT count(*) FROM subscriptions)"
        ).fetchone()[0]
        if existing:
            raise ValidationError(
                f"{ledger_path} already holds {existing:,} bills and subscriptions; "
                "the demo only fills an empty ledger (give a new --ledger path).",
                field="ledger",
            )
        end_ms = now_ms() if now is None else int(now.timestamp() * 1000)
        generator = _Generator(random.Random(seed), seed, end_ms, days)
        counts = generator.write(ledger, bills)
    finally:
        ledger.close()
    return DemoReport(*counts, seconds=time.perf_counter() - started)


class _Generator:
    def __init__(self, rng: random.Random, seed: int, end_ms: int, days: int) -> None:
        self.rng = rng
        self.seed = seed
        self.end_ms = end_ms
        self.start_ms = end_ms - days * DAY_MS
        self.days = days
        # Daily weights: growth over the period, quieter Sundays.
        start_day = datetime.fromtimestamp(self.start_ms / 1000, UTC)
        weights = []
        for day in range(days):
            growth = 0.5 + day / max(days, 1)
            sunday = (start_day + timedelta(days=day)).weekday() == 6
            weights.append(growth * (0.6 if sunday else 1.0))
        self.day_cum = list(accumulate(weights))

    # -- shared helpers --------------------------------------------------------
    def moment(self) -> int:
        """A creation time following the growth, weekday and daily rhythms."""
        rng = self.rng
        day = bisect(self.day_cum, rng.random() * self.day_cum[-1])
        hour = bisect(DIURNAL_CUM, rng.random() * DIURNAL_CUM[-1])
        local_midnight = self.start_ms - (self.start_ms + LOCAL_OFFSET_MS) % DAY_MS
        at = local_midnight + day * DAY_MS + hour * 3_600_000 + rng.randrange(3_600_000)
        return min(max(at, self.start_ms), self.end_ms - MINUTE_MS)

    def email(self, customers: int) -> str:
        n = self.rng.randrange(customers)
        return f"{FIRST[n % len(FIRST)]}.{n}@{DOMAINS[n % len(DOMAINS)]}"

    def uid(self, serial: int) -> str:
        return f"{serial:09d}-{self.rng.getrandbits(40):010x}"

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- writing -----------------------------------------------------------------
    def write(self, ledger: Ledger, bills: int) -> tuple[int, int, int, int]:
        customers = max(50, bills // 6)
        subscriptions = max(5, bills // 40)
        payments = events = 0
        with ledger.bulk_load():  # one transaction; indexes rebuilt once at the end
            sub_rows, sub_payments, sub_events = self.subscriptions(subscriptions, customers)
            ledger.bulk_insert("subscriptions", sub_rows, columns=SUBSCRIPTION_COLUMNS)
            payments += ledger.bulk_insert("payments", sub_payments, columns=PAYMENT_COLUMNS)
            events += ledger.bulk_insert("status_events", sub_events, columns=EVENT_COLUMNS)
            times = sorted(self.moment() for _ in range(bills))
            for first in range(0, bills, CHUNK):
                bill_rows: list[Row] = []
                pay_rows: list[Row] = []
                event_rows: list[Row] = []
                for offset, created in enumerate(times[first : first + CHUNK]):
                    serial = first + offset + 1
                    self.bill(serial, created, customers, bill_rows, pay_rows, event_rows)
                ledger.bulk_insert("bills", bill_rows, columns=BILL_COLUMNS)
                payments += ledger.bulk_insert("payments", pay_rows, columns=PAYMENT_COLUMNS)
                events += ledger.bulk_insert("status_events", event_rows, columns=EVENT_COLUMNS)
        ledger.audit("demo", "demo_generate", None, None, "ok", "cli", {"bills": bills})
        return bills, len(sub_rows), payments, events

    def bill(
        self,
        bill_id: int,
        created: int,
        customers: int,
        bills: list[Row],
        payments: list[Row],
        events: list[Row],
    ) -> None:
        rng = self.rng
        roll = rng.randrange(100)
        kind, provider, _ = KINDS[0] if roll < 55 else KINDS[1] if roll < 70 else KINDS[2]
        extra = None
        if kind == "payture_bill":
            title, amount, currency, gift = PAYTURE_PRODUCTS[rng.randrange(len(PAYTURE_PRODUCTS))]
            description = title
            provider_id = token = self.uuid()
            pay_url = f"https://payture.example/apim/Pay?SessionId={token}"
            expires_at = None
        else:
            currency, median, step = self.currency(kind)
            amount = max(step, round(median * rng.lognormvariate(0, 0.6) / step) * step)
            description = f"{DESCRIPTIONS[rng.randrange(len(DESCRIPTIONS))]} #{bill_id}"
            provider_id = self.uid(bill_id)
            gift = False
            if kind == "card_link":
                token = f"{rng.getrandbits(256):064x}"
                pay_url = f"https://checkout.bepaid.by/v2/checkout?token={token}"
                expires_at = created + DAY_MS
            else:
                token = None
                pay_url = None
                expires_at = created + 2 * DAY_MS
                extra = '{"method": "erip"}'
        open_window = expires_at or created + 3 * DAY_MS
        status, native, settled = self.outcome(kind, created, open_window)
        paid_at = settled if status in ("paid", "refunded", "mismatch") else None
        if gift and status == "paid":
            extra = f'{{"gift_code": "GIFT-{rng.getrandbits(32):08X}"}}'
        bills.append(
            (
                bill_id,
                provider,
                kind,
                f"demo-{self.seed}-b{bill_id}",
                provider_id,
                token,
                pay_url,
                amount,
                currency,
                description,
                self.email(customers),
                status,
                native,
                1,
                created,
                settled or created,
                expires_at,
                paid_at,
                extra,
                1,
            )
        )
        events.append(("bill", bill_id, None, "pending", _first_native(kind), "console", created))
        if settled is None:  # only a pending bill has not settled
            return
        final = "paid" if status == "refunded" else status
        final_native = "successful" if status == "refunded" else native
        if kind == "payture_bill" and status == "paid":
            events.append(("bill", bill_id, "pending", "paid", "PAID", "webhook", settled))
            events.append(("bill", bill_id, "paid", "paid", "DONE", "poll", settled + MINUTE_MS))
        else:
            source = "webhook" if rng.random() < 0.7 else "poll"
            events.append(("bill", bill_id, "pending", final, final_native, source, settled))
        if paid_at is not None:
            paid = amount if status != "mismatch" else max(1, amount - amount // 10)
            txn = f"demo-{self.seed}-c{bill_id}"
            payments.append(
                (bill_id, None, provider, txn, "charge", kind, paid, currency, paid_at, 1)
            )
        if status == "refunded":
            refunded_at = min(settled + rng.randrange(1, 10) * DAY_MS, self.end_ms)
            txn = f"demo-{self.seed}-r{bill_id}"
            payments.append(
                (bill_id, None, provider, txn, "refund", kind, -amount, currency, refunded_at, 1)
            )
            events.append(("bill", bill_id, "paid", "refunded", "refunded", "poll", refunded_at))

    def currency(self, kind: str) -> tuple[str, int, int]:
        options = CURRENCIES[kind]
        roll = self.rng.randrange(sum(share for _, share, _, _ in options))
        for code, share, median, step in options:
            if roll < share:
                return code, median, step
            roll -= share
        raise AssertionError("unreachable")

    def outcome(self, kind: str, created: int, open_until: int) -> tuple[str, str, int | None]:
        """(status, native status, time it settled) for a bill created at ``created``."""
        rng = self.rng
        roll = rng.random()
        settle = created + int(rng.expovariate(1 / 8) * MINUTE_MS) + MINUTE_MS
        still_open = open_until > self.end_ms
        if kind == "payture_bill":
            if roll < 0.90 and settle < self.end_ms:
                return "paid", "DONE", settle
            if roll < 0.91 and settle < self.end_ms:
                return "mismatch", "AMOUNT_MISMATCH", settle
            return "pending", "PENDING", None  # Payture bills never expire on their own
        if still_open and roll < 0.35:
            return "pending", "pending", None
        if roll < 0.80 and settle < self.end_ms:
            if kind == "card_link" and rng.random() < 0.02:
                return "refunded", "successful", settle
            return "paid", "successful", settle
        if roll < 0.88 and settle < self.end_ms:
            return "failed", "failed", settle
        if kind == "apm" and roll < 0.89 and settle < self.end_ms:
            return "canceled", "deleted", settle
        if still_open:
            return "pending", "pending", None
        return "expired", "expired", open_until

    # -- subscriptions -------------------------------------------------------------
    def subscriptions(self, count: int, customers: int) -> tuple[list[Row], list[Row], list[Row]]:
        rows: list[Row] = []
        payments: list[Row] = []
        events: list[Row] = []
        for sub_id in range(1, count + 1):
            self.subscription(sub_id, customers, rows, payments, events)
        return rows, payments, events

    def subscription(
        self,
        sub_id: int,
        customers: int,
        rows: list[Row],
        payments: list[Row],
        events: list[Row],
    ) -> None:
        rng = self.rng
        plan_id, title, amount, currency, interval, unit, trial_days = PLANS[rng.randrange(3)]
        created = self.moment()
        with_trial = trial_days and rng.random() < 0.6
        event = _EventLog(events, sub_id)
        event.add("pending", "redirecting", "console", created)
        at: int | None  # the next charge; None when the subscription failed at once
        at = created + 2 * MINUTE_MS
        status, native = "active", "active"
        canceled_at = reason = None
        cycles = 0
        if with_trial:
            event.add("trial", "trial", "webhook", at)
            status, native = "trial", "trial"
            at += trial_days * DAY_MS
        elif rng.random() < 0.03:
            event.add("failed", "failed", "webhook", at)
            status = native = "failed"
            at = None
        attempt = 0
        while at is not None and at < self.end_ms:
            if rng.random() < 0.04 * (1 if cycles else 0.5):
                canceled_at = at - rng.randrange(1, 5) * DAY_MS
                reason = CANCEL_REASONS[rng.randrange(len(CANCEL_REASONS))]
                event.add("canceled", "canceled", "console", max(canceled_at, created + 1))
                status = native = "canceled"
                break
            if rng.random() < (0.93 if attempt == 0 else 0.5):
                cycles += 1
                attempt = 0
                txn = f"demo-{self.seed}-s{sub_id}-{cycles}"
                payments.append(
                    (None, sub_id, "bepaid", txn, "charge", "subscription", amount, currency, at, 1)
                )
                if status != "active":
                    event.add("active", "active", "webhook", at)
                status, native = "active", "active"
                at = _add_interval(at, interval, unit)
            else:
                attempt += 1
                if attempt > 3:
                    event.add("failed", "failed", "webhook", at)
                    status = native = "failed"
                    break
                if status != "past_due":
                    event.add("past_due", "failed_attempt", "webhook", at)
                status, native = "past_due", "failed_attempt"
                at += DAY_MS
        open_sub = status in ("active", "trial", "past_due")
        rows.append(
            (
                sub_id,
                "bepaid",
                self.uuid(),
                f"demo-{self.seed}-s{sub_id}",
                plan_id,
                title,
                amount,
                currency,
                interval,
                unit,
                trial_days or None,
                "day" if trial_days else None,
                self.email(customers),
                status,
                native,
                1,
                cycles,
                at if open_sub else None,
                at if open_sub else None,
                created,
                event.last_at,
                canceled_at,
                reason,
                1,
            )
        )


class _EventLog:
    """Appends a subscription's status events, remembering its last status."""

    def __init__(self, events: list[Row], sub_id: int) -> None:
        self.events, self.sub_id = events, sub_id
        self.status: str | None = None
        self.last_at = 0

    def add(self, status: str, native: str, source: str, at: int) -> None:
        at = max(at, self.last_at)
        self.events.append(("subscription", self.sub_id, self.status, status, native, source, at))
        self.status, self.last_at = status, at


def _first_native(kind: str) -> str:
    return "PENDING" if kind == "payture_bill" else "pending"


def _add_interval(at_ms: int, interval: int, unit: str) -> int:
    if unit == "hour":
        return at_ms + interval * 3_600_000
    if unit == "day":
        return at_ms + interval * DAY_MS
    moment = datetime.fromtimestamp(at_ms / 1000, UTC)
    month_index = moment.month - 1 + interval
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, _days_in_month(year, month))
    return int(moment.replace(year=year, month=month, day=day).timestamp() * 1000)


def _days_in_month(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
