"""One customer's everything (``ledger.customers``): the bills, subscriptions, payments and
refund attempts of one e-mail address, its totals per currency and what is still open.

Support is asked "everything this customer ever paid". A customer is an e-mail address;
the ledger stores them lower-cased, so any case matches, as Lookup does. Every read is
bounded however big the customer is (a marketplace account may have 100,000 bills):

* lists come one page at a time, newest first, by keyset — ``before=`` the cursor the
  previous :class:`~console.ledger.ListPage` gave — never by ``OFFSET`` and never whole;
* totals are summed in SQL, per currency and never across currencies: paid (the
  charges), refunded (confirmed refunds, the negative payments linked to their charge
  by ``parent_id``), how many of each, the first and the last payment;
* every statement starts from an index on the e-mail — ``bills_customer_email``,
  ``subscriptions_customer_email``, and for what is open the small partial indexes
  ``bills_open_customer`` / ``subscriptions_open_customer``; payments are reached
  through ``payments_bill_id`` / ``payments_subscription_id`` and refund attempts
  through ``refunds_bill_id`` / ``refunds_subscription_id``
  (``tests/unit/test_ledger_indexes.py`` checks the plans).

A payment (or a refund attempt) is the customer's when its bill or its subscription is;
one that has both (a subscription's charge that is also a bill) is counted once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.errors import ValidationError
from console.ledger._base import LedgerBase
from console.ledger._checks import email as stored_email
from console.ledger._checks import positive_int
from console.ledger._records import (
    BILL_COLUMNS,
    PAYMENT_COLUMNS,
    SUBSCRIPTION_COLUMNS,
    Bill,
    Cursor,
    ListPage,
    Payment,
    Subscription,
    bill_from_row,
    payment_from_row,
    subscription_from_row,
)
from console.ledger._refunds import REFUND_COLUMNS, RefundRow, refund_from_row
from console.ledger._reports import OPEN_BILLS_SQL, OPEN_SUBSCRIPTIONS_SQL
from console.ledger._times import from_ms
from console.money import Money

#: The most rows one page may ask for.
MAX_PAGE = 1000
_NO_CURSOR = 2**63 - 1
_BILLS_OF = "SELECT id FROM bills WHERE customer_email = :email"
_SUBSCRIPTIONS_OF = "SELECT id FROM subscriptions WHERE customer_email = :email"
# The customer's payments: SQLite answers the OR with one index search per side and a
# union of the row ids ("MULTI-INDEX OR"), so a payment of both is read once.
_OWNED = f"(bill_id IN ({_BILLS_OF}) OR subscription_id IN ({_SUBSCRIPTIONS_OF}))"
# The customer's refund attempts, spelled as joins: with the OR, SQLite reads the whole
# (small) refunds table backwards for a page; this way it reads only hers (``id IN``
# drops the repeat of an attempt on a charge of both her bill and her subscription).
_OWNED_REFUNDS = (
    "id IN (SELECT r.id FROM bills b JOIN refunds r ON r.bill_id = b.id"
    " WHERE b.customer_email = :email"
    " UNION ALL SELECT r.id FROM subscriptions s JOIN refunds r ON r.subscription_id = s.id"
    " WHERE s.customer_email = :email)"
)

_TOTALS_SQL = f"""
SELECT currency,
       coalesce(sum(amount) FILTER (WHERE kind = 'charge'), 0) AS paid,
       -coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0) AS refunded,
       count(*) FILTER (WHERE kind = 'charge') AS charges,
       count(*) FILTER (WHERE kind = 'refund') AS refunds,
       min(at) FILTER (WHERE kind = 'charge') AS first_at,
       max(at) FILTER (WHERE kind = 'charge') AS last_at
FROM payments WHERE {_OWNED}
GROUP BY currency ORDER BY currency
"""


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    """What one customer paid in one currency, in minor units."""

    currency: str
    paid: int  # the charges
    refunded: int  # confirmed refunds, as a positive amount
    charges: int
    refunds: int
    first_payment_at: datetime | None  # the first and last charge (None: only refunds)
    last_payment_at: datetime | None

    @property
    def net(self) -> int:
        """Paid less refunded."""
        return self.paid - self.refunded

    def money(self, amount: int) -> Money:
        return Money(amount, self.currency)


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    """Counts and totals of one customer (an e-mail address, lower-cased)."""

    email: str
    bills: int
    subscriptions: int
    open_bills: int
    open_subscriptions: int
    refunds_being_confirmed: int  # refund attempts whose outcome is not known yet
    totals: list[CurrencyTotals]  # one per currency, in currency order

    def __bool__(self) -> bool:
        return bool(self.bills or self.subscriptions)

    @property
    def first_payment_at(self) -> datetime | None:
        """The customer's first charge in any currency."""
        return min((t.first_payment_at for t in self.totals if t.first_payment_at), default=None)

    @property
    def last_payment_at(self) -> datetime | None:
        """The customer's latest charge in any currency."""
        return max((t.last_payment_at for t in self.totals if t.last_payment_at), default=None)


class Customers:
    """Reads about one customer; every list is a keyset page (see the module docstring)."""

    def __init__(self, ledger: LedgerBase) -> None:
        self._ledger = ledger

    def summary(self, email: str) -> CustomerSummary:
        """Counts, open items and per-currency totals of the customer ``email`` (any case).

        Raises:
            ValidationError: ``email`` is blank or not an e-mail address.
        """
        who = customer_email(email)
        conn = self._ledger.connection()
        params = {"email": who}

        def count(sql: str) -> int:
            found: int = conn.execute(sql, params).fetchone()[0]
            return found

        totals = [
            CurrencyTotals(
                currency=row["currency"],
                paid=row["paid"],
                refunded=row["refunded"],
                charges=row["charges"],
                refunds=row["refunds"],
                first_payment_at=from_ms(row["first_at"]),
                last_payment_at=from_ms(row["last_at"]),
            )
            for row in conn.execute(_TOTALS_SQL, params)
        ]
        return CustomerSummary(
            email=who,
            bills=count("SELECT count(*) FROM bills WHERE customer_email = :email"),
            subscriptions=count("SELECT count(*) FROM subscriptions WHERE customer_email = :email"),
            open_bills=count(
                f"SELECT count(*) FROM bills WHERE customer_email = :email AND {OPEN_BILLS_SQL}"
            ),
            open_subscriptions=count(
                "SELECT count(*) FROM subscriptions WHERE customer_email = :email"
                f" AND {OPEN_SUBSCRIPTIONS_SQL}"
            ),
            refunds_being_confirmed=count(
                f"SELECT count(*) FROM refunds WHERE {_OWNED_REFUNDS} AND status = 'creating'"
            ),
            totals=totals,
        )

    def bills(self, email: str, *, limit: int = 50, before: Cursor | None = None) -> ListPage[Bill]:
        """The customer's bills, newest first (by console id), one page."""
        rows = self._rows(
            f"SELECT {BILL_COLUMNS} FROM bills WHERE customer_email = :email AND id < :before"
            " ORDER BY id DESC LIMIT :limit",
            email,
            limit=page_size(limit) + 1,  # one more: is there another page?
            before=_id_cursor(before),
        )
        return _id_page([bill_from_row(row) for row in rows], limit)

    def subscriptions(
        self, email: str, *, limit: int = 50, before: Cursor | None = None
    ) -> ListPage[Subscription]:
        """The customer's subscriptions, newest first, one page."""
        rows = self._rows(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions"
            " WHERE customer_email = :email AND id < :before ORDER BY id DESC LIMIT :limit",
            email,
            limit=page_size(limit) + 1,
            before=_id_cursor(before),
        )
        return _id_page([subscription_from_row(row) for row in rows], limit)

    def payments(
        self, email: str, *, limit: int = 50, before: Cursor | None = None
    ) -> ListPage[Payment]:
        """The customer's charges and confirmed refunds, newest first (by time), one page."""
        at, last_id = _at_cursor(before)
        rows = self._rows(
            f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE {_OWNED}"
            " AND (at, id) < (:at, :id) ORDER BY at DESC, id DESC LIMIT :limit",
            email,
            limit=page_size(limit) + 1,
            at=at,
            id=last_id,
        )
        shown = [payment_from_row(row) for row in rows[:limit]]
        older = (rows[limit - 1]["at"], shown[-1].id) if len(rows) > limit else None
        return ListPage(shown, older)

    def refunds(
        self, email: str, *, limit: int = 50, before: Cursor | None = None
    ) -> ListPage[RefundRow]:
        """The customer's refund attempts in every state, newest first, one page."""
        rows = self._rows(
            f"SELECT {REFUND_COLUMNS} FROM refunds WHERE {_OWNED_REFUNDS} AND id < :before"
            " ORDER BY id DESC LIMIT :limit",
            email,
            limit=page_size(limit) + 1,
            before=_id_cursor(before),
        )
        return _id_page([refund_from_row(row) for row in rows], limit)

    def open_bills(self, email: str, *, limit: int = 50) -> list[Bill]:
        """The customer's bills still waiting for money (creating, pending), newest first."""
        rows = self._rows(
            f"SELECT {BILL_COLUMNS} FROM bills WHERE customer_email = :email"
            f" AND {OPEN_BILLS_SQL} ORDER BY id DESC LIMIT :limit",
            email,
            limit=page_size(limit),
        )
        return [bill_from_row(row) for row in rows]

    def open_subscriptions(self, email: str, *, limit: int = 50) -> list[Subscription]:
        """The customer's subscriptions that are not final yet, newest first."""
        rows = self._rows(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE customer_email = :email"
            f" AND {OPEN_SUBSCRIPTIONS_SQL} ORDER BY id DESC LIMIT :limit",
            email,
            limit=page_size(limit),
        )
        return [subscription_from_row(row) for row in rows]

    def _rows(self, sql: str, email: str, **params: int) -> list[Any]:
        return (
            self._ledger.connection()
            .execute(sql, {"email": customer_email(email), **params})
            .fetchall()
        )


def customer_email(value: str) -> str:
    """The e-mail address as stored (stripped, lower-cased).

    Raises:
        ValidationError: blank, or not an e-mail address.
    """
    found = stored_email(value) if isinstance(value, str) else None
    if found is None:
        raise ValidationError("Give the customer's e-mail address.", field="email")
    return found


def page_size(limit: object) -> int:
    """``limit`` checked: a whole number from 1 to :data:`MAX_PAGE`."""
    size = positive_int(limit, "limit")
    if size > MAX_PAGE:
        raise ValidationError(f"A page has at most {MAX_PAGE} rows.", field="limit")
    return size


def _id_cursor(before: Cursor | None) -> int:
    if before is None:
        return _NO_CURSOR
    if len(before) != 1:
        raise ValidationError("This cursor belongs to another list.", field="before")
    return before[0]


def _at_cursor(before: Cursor | None) -> tuple[int, int]:
    if before is None:
        return _NO_CURSOR, _NO_CURSOR
    if len(before) != 2:
        raise ValidationError("This cursor belongs to another list.", field="before")
    return before[0], before[1]


def _id_page(rows: list[Any], limit: int) -> ListPage[Any]:
    """The first ``limit`` rows, and the cursor after them when one more was read."""
    shown = rows[:limit]
    return ListPage(shown, (shown[-1].id,) if len(rows) > limit else None)


__all__ = ["MAX_PAGE", "CurrencyTotals", "CustomerSummary", "Customers", "customer_email"]
