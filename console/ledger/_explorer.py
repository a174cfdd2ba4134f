"""The payments explorer (``ledger.explorer``): every bill, filtered, sorted and paged.

Support's question — "every failed BYN payment of last week over 100" — is a
:class:`PaymentFilter` (every condition given must hold), a :data:`Sort` and a page:

* :meth:`Explorer.page` returns one page, keyset-paginated on the sort value and the
  bill id (``after=`` the page's :attr:`ExplorerPage.last_key` for the next page,
  ``before=`` its :attr:`~ExplorerPage.first_key` for the previous one). No OFFSET: a
  page costs the same on page 1 and on page 10,000.
* :meth:`Explorer.totals` counts and sums the whole filtered set **per currency**.
* :meth:`Explorer.rows` walks the whole filtered set in keyset chunks (the CSV export),
  so memory stays bounded however many rows there are.

Decisions:

* **An amount without a currency.** A bound is typed in major units
  (:class:`MajorAmount`). With a currency chosen it is exact minor units of that
  currency. Without one it is read in *each currency's own* major units: "from 100"
  means 100.00 BYN, 100 JPY, 100.000 KWD, ... — never a conversion, never a float. A
  bound finer than a currency's minor unit is rounded inward for that currency (from
  12.50 is from 13 JPY; up to 12.50 is up to 12 JPY).
* **Sorting by amount without a currency** orders by currency, then amount (largest
  first: currencies from Z to A, so one index serves both directions): amounts of two
  currencies are never compared with each other.
* **Free text** matches a bill when the text is its console reference (``B123``, or a
  plain number as its id), its tracking id, provider id or checkout token (exactly,
  as pasted), or when every word of the text is in its description: words match their
  beginnings (``book`` finds *Booking*), numbers match whole (``123`` finds *Order
  #123*, not *#1234*), in any case and with accents ignored. Descriptions are searched
  through the SQLite FTS5 index ``bills_text``, kept by triggers
  (:mod:`console.ledger._schema`, version 10): a ``LIKE '%word%'`` must read every
  description in the period — a year of a million bills is a second — where the
  index reads only the matching ones. Ids use their B-tree indexes.
* **Totals** of a filter on period, statuses, provider, kind and currency are read
  from the report summaries (``outcome_days``: bills per UTC day and quarter-hour by
  status, provider, kind and currency, with their amounts added up — see
  :mod:`console.ledger._summaries`), so they cost the same on 10,000 and 10,000,000
  bills; the minutes of a period that do not start or end on a quarter-hour mark are
  counted from the bills. With an amount range, an e-mail or text they are counted
  from the bills: one currency at a time, each an index search for that currency's
  rows (nothing sorted to group them; an amount range seeks its own currency's
  amounts), or the e-mail's or text's matches grouped.
* **The export's snapshot.** :meth:`Explorer.rows` returns only bills that existed
  when it started (``id <= max(id)`` then); sort keys never change after a bill is
  written, so a chunk boundary can neither repeat nor skip a row.

How each statement finds its rows (:mod:`console.ledger._explorer_sql`, checked by
``tests/unit/test_ledger_explorer_plans.py``) is written there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, overload

from console.errors import ValidationError
from console.ledger._explorer_sql import (
    EXPORT_CHUNK,
    MAX_LIMIT,
    SORTS,
    CurrencyTotal,
    ExplorerRow,
    FilterQuery,
    MajorAmount,
    PageKey,
    Sort,
    check_key,
    whole,
)
from console.status import BillStatus
from console.vocabulary import BillKind, Provider


@dataclass(frozen=True, slots=True)
class PaymentFilter:
    """What to look for; every condition given must hold (None / empty: no condition).

    ``start`` is inclusive and ``end`` exclusive, aware datetimes (the page turns the
    local days of its time zone into them). ``statuses`` empty means every status;
    ``email`` is matched exactly, in any case; ``text`` as the module docstring says.
    """

    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[BillStatus, ...] = ()
    provider: Provider | None = None
    kind: BillKind | None = None
    currency: str | None = None
    amount_min: MajorAmount | None = None
    amount_max: MajorAmount | None = None
    email: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class ExplorerPage:
    """One page: its rows in sort order, and whether there are rows beyond each end."""

    rows: list[ExplorerRow]
    sort: Sort
    has_previous: bool
    has_next: bool

    @property
    def first_key(self) -> PageKey | None:
        """The first row's position: ``before=`` this for the previous page."""
        return self.rows[0].key(self.sort) if self.rows else None

    @property
    def last_key(self) -> PageKey | None:
        """The last row's position: ``after=`` this for the next page."""
        return self.rows[-1].key(self.sort) if self.rows else None


class _Connected(Protocol):
    def connection(self) -> sqlite3.Connection: ...


class Explorer:
    """Filtered, sorted, keyset-paginated bills; totals per currency; the export's walk."""

    def __init__(self, ledger: _Connected) -> None:
        self._ledger = ledger

    def page(
        self,
        where: PaymentFilter,
        sort: Sort = "newest",
        *,
        after: PageKey | None = None,
        before: PageKey | None = None,
        limit: int = 50,
    ) -> ExplorerPage:
        """One page of bills in ``sort`` order: the first, the one after the position
        ``after``, or the one before the position ``before``.

        Raises:
            ValidationError: a filter value, the sort, a position or the limit is not valid.
        """
        if not 1 <= whole(limit, "limit") <= MAX_LIMIT:
            raise ValidationError(f"limit must be from 1 to {MAX_LIMIT}.", field="limit")
        if after is not None and before is not None:
            raise ValidationError("Give after= or before=, not both.", field="before")
        key = (
            check_key(before if before is not None else after, sort)
            if (before is not None or after is not None)
            else None
        )
        query = self._query(where, sort)
        try:
            if before is not None:
                found = query.rows(key, backwards=True, limit=limit + 1)
                rows = list(reversed(found[:limit]))
                return ExplorerPage(rows, sort, has_previous=len(found) > limit, has_next=True)
            found = query.rows(key, backwards=False, limit=limit + 1)
        finally:
            query.close()
        return ExplorerPage(
            found[:limit], sort, has_previous=after is not None, has_next=len(found) > limit
        )

    @overload
    def totals(self, where: PaymentFilter) -> list[CurrencyTotal]: ...
    @overload
    def totals(self, where: PaymentFilter, *, at_most: int) -> list[CurrencyTotal] | None: ...
    def totals(
        self, where: PaymentFilter, *, at_most: int | None = None
    ) -> list[CurrencyTotal] | None:
        """How many bills the filter holds and their amounts added up, per currency, in
        currency order (currencies without a bill are left out).

        Without an amount range or a common word they come from the report summaries
        and cost the same at any size. With one, they are counted from the bills; given
        ``at_most``, None is returned instead when the filter's period (with its
        statuses, provider, kind and currency) holds more bills than that — what the
        count would have to read, decided from the summaries at once.

        Raises:
            ValidationError: a filter value is not valid.
        """
        query = self._query(where, "newest")
        try:
            return query.totals(at_most)
        finally:
            query.close()

    def rows(self, where: PaymentFilter, sort: Sort = "newest") -> Iterator[ExplorerRow]:
        """Every filtered bill in ``sort`` order, read :data:`EXPORT_CHUNK` at a time
        (bills written after the walk started are left out).

        Raises:
            ValidationError: a filter value or the sort is not valid (raised here, before
                the first row is read).
        """
        query = self._query(where, sort)
        newest = self._ledger.connection().execute("SELECT max(id) FROM bills").fetchone()[0]
        return iter(()) if newest is None else query.walk(newest, EXPORT_CHUNK)

    def currencies(self) -> list[str]:
        """The currencies the ledger's bills are in, in order (one index seek each)."""
        rows = self._ledger.connection().execute(
            "WITH RECURSIVE c(code) AS (SELECT min(currency) FROM bills"
            " UNION ALL SELECT (SELECT min(currency) FROM bills WHERE currency > c.code)"
            " FROM c WHERE c.code IS NOT NULL)"
            " SELECT code FROM c WHERE code IS NOT NULL"
        )
        return [row[0] for row in rows]

    def _query(self, where: PaymentFilter, sort: Sort) -> FilterQuery:
        if not isinstance(where, PaymentFilter):
            raise ValidationError("The filter must be a PaymentFilter.", field="filter")
        return FilterQuery(
            self._ledger.connection(),
            sort,
            currencies=self.currencies,
            start=where.start,
            end=where.end,
            statuses=where.statuses,
            provider=where.provider,
            kind=where.kind,
            currency=where.currency,
            amount_min=where.amount_min,
            amount_max=where.amount_max,
            email=where.email,
            text=where.text,
        )


__all__ = [
    "SORTS",
    "CurrencyTotal",
    "Explorer",
    "ExplorerPage",
    "ExplorerRow",
    "MajorAmount",
    "PageKey",
    "PaymentFilter",
    "Sort",
]
