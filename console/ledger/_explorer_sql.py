"""The explorer's statements: one filter's conditions, and how each statement finds its rows.

Plans (every one index-driven; ``tests/unit/test_ledger_explorer_plans.py``):

* **A page** walks its sort's covering index — ``bills_explore_created (created_at,
  id, ...)`` for time, ``bills_explore_amount (currency, amount, id, ...)`` for amount —
  from the page's key, checking the other conditions on the index entries themselves,
  for at most 20,000 entries, then 200,000 (:data:`PROBE_BUDGETS`). Common filters fill
  their page there, at a cost that does not grow with the ledger. A filter rarer than
  that is handed whole to SQLite's planner, which seeks the few rows
  by their most selective index — ``bills_status_created (status, created_at, ...)``,
  the amount index for a currency, the time range — and sorts just those.
* **An e-mail** drives through its own index (a customer has a handful of bills);
  **free text** whose words match at most :data:`TEXT_DRIVES_BELOW` bills (by the FTS
  vocabulary ``bills_text_terms``), or that is an id, drives from its matches; text
  matching more is a set the walked entries are checked against.
* **An amount range without a currency**, sorted by amount, is each currency's own
  amount walk, one currency after the other; its totals likewise.
* A page's rows are read by id after the ids are found, so the payments subqueries
  (paid, refunded) run for the rows shown only.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from console.errors import ValidationError
from console.ledger._checks import email as normal_email
from console.ledger._records import console_ref
from console.ledger._summaries import (
    OUTCOMES,
    SPANS_CTE,
    loose_distinct,
    quarter_spans,
    span_sum_sql,
    spans_json,
)
from console.ledger._times import from_ms, to_ms
from console.money import EXPONENTS, exponent, normalize_currency
from console.status import BillStatus
from console.vocabulary import BillKind, Provider

Sort = Literal["newest", "oldest", "amount_desc", "amount_asc"]
SORTS: tuple[Sort, ...] = ("newest", "oldest", "amount_desc", "amount_asc")
#: A row's position in a sort: ``(created_at ms, id)`` for time, ``(currency, amount, id)``
#: for amount. Pass it back as ``after=`` / ``before=``.
PageKey = tuple[int | str, ...]

MAX_LIMIT = 500
MAX_TEXT = 200
MAX_WORDS = 8
#: Free text whose description words match at most this many bills drives the query.
TEXT_DRIVES_BELOW = 20_000
#: Index entries a page walks in sort order, first and then once more, before it lets
#: the planner seek rare rows.
PROBE_BUDGETS = (20_000, 200_000)
#: Rows per statement when :meth:`FilterQuery.walk` reads the whole set.
EXPORT_CHUNK = 5_000
#: The most decimals any ISO 4217 currency has (CLF: 4).
MAX_PLACES = max(EXPONENTS.values())

#: The ends of "all time" for totals read from the summaries (UTC midnights).
_FAR_PAST = -(2**42 // 86_400_000) * 86_400_000
_FAR_FUTURE = (2**42 // 86_400_000) * 86_400_000
_TIME_INDEX = "bills_explore_created"
_AMOUNT_INDEX = "bills_explore_amount"
# What the probe's inner walk hands out: every column a checked condition names.
_PROBE_COLUMNS = "b.id, b.created_at, b.status, b.provider, b.kind, b.currency, b.amount"
_ROW_COLUMNS = (
    "b.id, b.created_at, b.status, b.provider, b.kind, b.amount, b.currency,"
    " b.customer_email, b.description, b.tracking_id, b.provider_id,"
    " (SELECT coalesce(sum(p.amount), 0) FROM payments p"
    "  WHERE p.bill_id = b.id AND p.kind = 'charge') AS paid,"
    " (SELECT coalesce(-sum(p.amount), 0) FROM payments p"
    "  WHERE p.bill_id = b.id AND p.kind = 'refund') AS refunded"
)
_REF = re.compile(r"^(?:[Bb]\s*#?|#)?\s*(\d{1,18})$")
_WORD = re.compile(r"[^\W_]+")
_BY_EXPONENT: dict[int, tuple[str, ...]] = {
    places: tuple(sorted(code for code, e in EXPONENTS.items() if e == places))
    for places in sorted(set(EXPONENTS.values()))
}


@dataclass(frozen=True, slots=True)
class MajorAmount:
    """An amount in major units, exactly: ``units / 10**places`` (12.50 is (1250, 2)).

    Made from what a person typed, parsed by :func:`console.money.parse_amount`;
    :meth:`minor_in` gives it in a currency's minor units.
    """

    units: int
    places: int

    def minor_in(self, currency: str, *, round_up: bool) -> int:
        """This amount in minor units of ``currency``, rounded up (a lower bound) or down."""
        shift = exponent(currency) - self.places
        if shift >= 0:
            scale: int = 10**shift  # int ** int is typed Any (a negative power is a float)
            return self.units * scale
        divisor: int = 10**-shift
        whole_units, rest = divmod(self.units, divisor)
        return whole_units + (1 if round_up and rest else 0)


@dataclass(frozen=True, slots=True)
class ExplorerRow:
    """One bill as the explorer lists it, with what its payments moved."""

    id: int
    created_at: datetime
    status: BillStatus
    provider: Provider
    kind: BillKind
    amount: int
    currency: str
    paid: int  # minor units charged
    refunded: int  # minor units given back (positive)
    customer_email: str | None
    description: str | None
    tracking_id: str
    provider_id: str | None

    @property
    def ref(self) -> str:
        return console_ref("bill", self.id)

    def key(self, sort: Sort) -> PageKey:
        """This row's position in ``sort`` (``after=`` / ``before=`` of a page)."""
        if sort in ("newest", "oldest"):
            return (to_ms(self.created_at), self.id)
        return (self.currency, self.amount, self.id)


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    """How many bills of one currency a filter holds, and their amounts added up."""

    currency: str
    count: int
    amount: int  # minor units


@dataclass(frozen=True, slots=True)
class _Bounds:
    """A statement's conditions that an index can seek: the time range, the currency
    and its amounts (seekable only with a currency), and the page position."""

    time: list[str]
    money: list[str]
    keyset: list[str] = field(default_factory=list)

    @property
    def all(self) -> list[str]:
        return [*self.time, *self.money, *self.keyset]


@dataclass(frozen=True, slots=True)
class _Text:
    """Free text split into what can match it."""

    exact: str  # a tracking id, provider id or token, as pasted
    bill_id: int | None  # B123 / 123
    fts: str | None  # an FTS5 query over descriptions; None when no word is left
    words: tuple[tuple[str, bool], ...]  # (word as the index folds it, matched as a prefix)


class FilterQuery:
    """One checked filter in one sort, and the statements that read it.

    Conditions are kept by what can seek them: the time range (the time index), the
    currency with its amount range (the amount index), and the rest, checked on index
    entries as they are walked.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        sort: Sort,
        *,
        currencies: Callable[[], list[str]],
        start: datetime | None,
        end: datetime | None,
        statuses: Sequence[BillStatus],
        provider: Provider | None,
        kind: BillKind | None,
        currency: str | None,
        amount_min: MajorAmount | None,
        amount_max: MajorAmount | None,
        email: str | None,
        text: str | None,
    ) -> None:
        """Check every value (all of them, before any statement runs).

        Raises:
            ValidationError: a value is not valid; ``field`` names it.
        """
        if sort not in SORTS:
            raise ValidationError(f"sort must be one of {', '.join(SORTS)}.", field="sort")
        self.conn = conn
        self.sort: Sort = sort
        self.by_time = sort in ("newest", "oldest")
        self.descending = sort in ("newest", "amount_desc")
        self._currencies = currencies
        self.params: dict[str, object] = {}
        self.rest: list[str] = []
        self.lo = None if start is None else to_ms(start, field="start")
        self.hi = None if end is None else to_ms(end, field="end")
        if self.lo is not None and self.hi is not None and self.hi <= self.lo:
            raise ValidationError("The end of the period must be after its start.", field="end")
        self.params.update(lo=self.lo, hi=self.hi)
        self._statuses(statuses)
        if provider is not None:
            self.rest.append("b.provider = :provider")
            self.params["provider"] = _member(Provider, provider, "provider")
        if kind is not None:
            self.rest.append("b.kind = :kind")
            self.params["kind"] = _member(BillKind, kind, "kind")
        self.currency = None if currency is None else normalize_currency(currency)
        _check_amounts(amount_min, amount_max, self.currency)
        self.amount_min = amount_min
        self.amount_max = amount_max
        self.email = None if email is None else normal_email(email)
        self.params["email"] = self.email
        self.text = None if text is None else _text(text)
        self.text_is_rare = self.text is not None and self._is_rare(self.text)
        self._matches: _MatchTable | None = None
        if self.text is not None:
            self.params.update(
                text_exact=self.text.exact, text_id=self.text.bill_id, text_fts=self.text.fts
            )

    def _statuses(self, values: object) -> None:
        if isinstance(values, str) or not isinstance(values, Sequence | set | frozenset):
            raise ValidationError("statuses must be a list of bill statuses.", field="statuses")
        found: set[BillStatus] = set()
        for value in values:
            try:
                found.add(BillStatus(value))
            except ValueError:
                known = ", ".join(member.value for member in BillStatus)
                raise ValidationError(
                    f"{value!r} is not one of {known}.", field="statuses"
                ) from None
        if found:
            names = []
            for number, status in enumerate(sorted(found)):
                names.append(f":status{number}")
                self.params[f"status{number}"] = status.value
            self.rest.append(f"b.status IN ({', '.join(names)})")

    def _is_rare(self, text: _Text) -> bool:
        """Whether the text's description words match few enough bills to drive a query
        (all words must match, so one rare word is enough).

        A word is first counted as a whole term, lazily and at most
        :data:`TEXT_DRIVES_BELOW` + 1 matches: a word that common is common as a prefix
        too, and the vocabulary's count (which reads every match of every term the
        prefix covers: 60 ms for a word in 3 million bills) is skipped.
        """
        if text.fts is None:
            return True
        for word, prefix in text.words:
            (whole_term,) = self.conn.execute(
                "SELECT count(*) FROM (SELECT rowid FROM bills_text WHERE bills_text MATCH"
                " :term LIMIT :cap)",
                {"term": '"' + word.replace('"', '""') + '"', "cap": TEXT_DRIVES_BELOW + 1},
            ).fetchone()
            if whole_term > TEXT_DRIVES_BELOW:
                continue
            if not prefix:
                return True
            (count,) = self.conn.execute(
                "SELECT coalesce(sum(doc), 0) FROM bills_text_terms"
                " WHERE term >= :word AND term < :word || char(1114111)",
                {"word": word},
            ).fetchone()
            if count <= TEXT_DRIVES_BELOW:
                return True
        return False

    # -- the conditions of one statement ----------------------------------------------

    def _seek(self, key: PageKey | None, backwards: bool) -> _Bounds:
        """The time, currency, amount and page-position conditions of one statement.

        A page position and the range bound on the side the page walks towards say the
        same thing twice; SQLite seeks an index by one bound per side, so only the
        tighter of the two is written (with the other it would start from the range's
        end and read every entry up to the position).
        """
        down = self.descending != backwards
        time, money = self._time_bounds(), self._money_bounds()
        if key is None:
            return _Bounds(list(time.values()), list(money.values()))
        keyset_op = "<" if down else ">"
        if self.by_time:
            at = int(key[0])
            side = "hi" if down else "lo"
            bound = self.hi if down else self.lo
            if bound is not None and (at >= bound if down else at < bound):
                return _Bounds(list(time.values()), list(money.values()))  # beyond the range
            time.pop(side, None)
            self.params.update(key0=at, key1=key[1])
            keyset = f"(b.created_at, b.id) {keyset_op} (:key0, :key1)"
            return _Bounds(list(time.values()), list(money.values()), [keyset])
        if self.currency is None:
            self.params.update(key0=key[0], key1=key[1], key2=key[2])
            keyset = f"(b.currency, b.amount, b.id) {keyset_op} (:key0, :key1, :key2)"
            return _Bounds(list(time.values()), list(money.values()), [keyset])
        if key[0] != self.currency:  # a position in another currency: all or nothing
            everything = (str(key[0]) > self.currency) == down
            return _Bounds(list(time.values()), list(money.values()), [] if everything else ["0"])
        amount = int(key[1])
        side = "max" if down else "min"
        bound_minor = self.params.get(f"amount_{side}")
        if side in money and isinstance(bound_minor, int):
            if amount > bound_minor if down else amount < bound_minor:
                return _Bounds(list(time.values()), list(money.values()))
            money.pop(side)
        self.params.update(key1=amount, key2=key[2])
        keyset = f"(b.amount, b.id) {keyset_op} (:key1, :key2)"
        return _Bounds(list(time.values()), list(money.values()), [keyset])

    def _time_bounds(self) -> dict[str, str]:
        bounds = {}
        if self.lo is not None:
            bounds["lo"] = "b.created_at >= :lo"
        if self.hi is not None:
            bounds["hi"] = "b.created_at < :hi"
        return bounds

    def _money_bounds(self) -> dict[str, str]:
        """Currency and amount conditions: with a currency, seekable on the amount index."""
        bounds: dict[str, str] = {}
        low, high = self.amount_min, self.amount_max
        if self.currency is not None:
            bounds["currency"] = "b.currency = :currency"
            self.params["currency"] = self.currency
            if low is not None:
                bounds["min"] = "b.amount >= :amount_min"
                self.params["amount_min"] = low.minor_in(self.currency, round_up=True)
            if high is not None:
                bounds["max"] = "b.amount <= :amount_max"
                self.params["amount_max"] = high.minor_in(self.currency, round_up=False)
            return bounds
        if low is None and high is None:
            return bounds
        branches = []  # each currency in its own major units (see ledger._explorer)
        for places, codes in _BY_EXPONENT.items():
            parts = [f"b.currency IN ({', '.join(repr(code) for code in codes)})"]
            if low is not None:
                parts.append(f"b.amount >= :amount_min_{places}")
                self.params[f"amount_min_{places}"] = low.minor_in(codes[0], round_up=True)
            if high is not None:
                parts.append(f"b.amount <= :amount_max_{places}")
                self.params[f"amount_max_{places}"] = high.minor_in(codes[0], round_up=False)
            branches.append("(" + " AND ".join(parts) + ")")
        bounds["any"] = "(" + " OR ".join(branches) + ")"
        return bounds

    def _text_table(self, span: tuple[int, int] | None) -> str:
        """The name of a temporary table holding the ids the text matches — all of them,
        or those within the id ``span`` — filled once, so the statements that check
        against it share one copy (SQLite would rebuild an ``IN (SELECT ...)`` list for
        every statement)."""
        if self._matches is None:
            self._matches = _MatchTable(self.conn)
        return self._matches.fill(
            self._text_ids().replace(" UNION ", " UNION ALL "), self.params, span
        )

    def close(self) -> None:
        """Drop the temporary table of text matches, if one was made."""
        if self._matches is not None:
            self._matches.drop()
            self._matches = None

    def _text_ids(self) -> str:
        """A SELECT of the ids the text matches, each branch an index search."""
        text = self.text
        assert text is not None
        branches = [
            "SELECT id FROM bills WHERE tracking_id = :text_exact",
            "SELECT id FROM bills WHERE provider_id = :text_exact",
            "SELECT id FROM bills WHERE token = :text_exact",
        ]
        if text.bill_id is not None:
            branches.append("SELECT id FROM bills WHERE id = :text_id")
        if text.fts is not None:
            branches.append("SELECT rowid FROM bills_text WHERE bills_text MATCH :text_fts")
        return " UNION ".join(branches)

    def _source(self) -> tuple[str, list[str]]:
        """The FROM clause, and the conditions it brings, of a statement SQLite plans."""
        if self.email is not None:  # a handful of bills: their own index drives
            text = [] if self.text is None else [f"b.id IN ({self._text_ids()})"]
            return "bills b INDEXED BY bills_customer_email", [
                "b.customer_email = :email",
                *text,
            ]
        if self.text is not None and self.text_is_rare:
            return f"({self._text_ids()}) AS t CROSS JOIN bills b ON b.id = t.id", []
        if self.text is not None:
            # Many matches: a table of them checked as other indexes are walked (the
            # unary + keeps SQLite from reading the matched bills one by one instead).
            return "bills b", [f"+b.id IN {self._text_table(None)}"]
        return "bills b", []

    def _order_columns(self) -> tuple[str, ...]:
        return ("b.created_at", "b.id") if self.by_time else ("b.currency", "b.amount", "b.id")

    def _order_by(self, backwards: bool) -> str:
        direction = "DESC" if self.descending != backwards else "ASC"
        return ", ".join(f"{column} {direction}" for column in self._order_columns())

    # -- statements ---------------------------------------------------------------------

    def rows(self, key: PageKey | None, *, backwards: bool, limit: int) -> list[ExplorerRow]:
        """``limit`` rows from the position ``key`` on (backwards: towards the start)."""
        ids = self._page_ids(key, backwards=backwards, limit=limit)
        if not ids:
            return []
        rows = self.conn.execute(
            f"SELECT {_ROW_COLUMNS} FROM json_each(:ids) AS j"
            " CROSS JOIN bills b ON b.id = j.value ORDER BY j.key",
            {"ids": json.dumps(ids)},
        )
        return [_row(row) for row in rows]

    def totals(self, at_most: int | None = None) -> list[CurrencyTotal] | None:
        """Count and sum per currency (module docstring); None when they would be counted
        from the bills and the period (with its statuses, provider, kind and currency,
        from the summaries) holds more than ``at_most`` of them."""
        from_bills = (
            self.amount_min is not None
            or self.amount_max is not None
            or (self.text is not None and not self.text_is_rare)
        ) and self.email is None
        if at_most is not None and from_bills:
            unfiltered = copy.copy(self)
            unfiltered.amount_min = unfiltered.amount_max = None
            if sum(total.count for total in unfiltered._summary_totals()) > at_most:
                return None
        if self.email is not None or self.text is not None:
            # An e-mail's or a text's matches: one statement, grouping only those rows.
            source, brought = self._source()
            conditions = " AND ".join([*self._seek(None, False).all, *self.rest, *brought]) or "1"
            rows = self.conn.execute(
                f"SELECT b.currency, count(*), sum(b.amount) FROM {source} WHERE {conditions}"
                " GROUP BY b.currency ORDER BY b.currency",
                self.params,
            )
            return [CurrencyTotal(*row) for row in rows]
        if self.amount_min is None and self.amount_max is None:
            return self._summary_totals()
        return self._raw_totals()

    def _summary_totals(self) -> list[CurrencyTotal]:
        """Count and sum per currency from the report summaries (``outcome_days``: bills
        per UTC day and quarter-hour by status, provider, kind and currency), so a
        period costs the same whatever the number of bills in it. Whatever part of the
        period does not start or end on a quarter-hour mark is counted from the bills."""
        lo = _FAR_PAST if self.lo is None else self.lo
        hi = _FAR_FUTURE if self.hi is None else self.hi
        spans, edges = quarter_spans([("period", lo, hi)])
        found: dict[str, list[int]] = {}
        if spans:
            wanted = [v for k, v in self.params.items() if re.fullmatch(r"status\d+", k)]
            present = [
                status for (status,) in loose_distinct(self.conn, "outcome_days", ("status",))
            ]
            statuses = [status for status in present if not wanted or status in wanted]
            conditions = ["r.status = s.status", "r.day BETWEEN b.d1 AND b.d2"]
            conditions += [
                f"r.{name} = :{name}" for name in ("provider", "kind") if name in self.params
            ]
            params: dict[str, object] = {
                name: self.params[name] for name in ("provider", "kind") if name in self.params
            }
            if self.currency is not None:
                conditions.append("r.currency = :currency")
                params["currency"] = self.currency
            params |= {"spans": json.dumps(spans_json(spans)), "statuses": json.dumps(statuses)}
            rows = self.conn.execute(
                f"WITH {SPANS_CTE}, s(status) AS (SELECT value FROM json_each(:statuses))"
                f" SELECT r.currency, {span_sum_sql(OUTCOMES, 'bills', spans)},"
                f" {span_sum_sql(OUTCOMES, 'amount', spans)}"
                f" FROM b CROSS JOIN s CROSS JOIN outcome_days r WHERE {' AND '.join(conditions)}"
                " GROUP BY r.currency",
                params,
            )
            for code, count, amount in rows:
                found[code] = [count, amount]
        for _, edge_lo, edge_hi in edges:
            part = copy.copy(self)
            part.params = {**self.params, "lo": edge_lo, "hi": edge_hi}
            part.lo, part.hi = edge_lo, edge_hi
            for total in part._raw_totals():
                counted = found.setdefault(total.currency, [0, 0])
                counted[0] += total.count
                counted[1] += total.amount
        return [
            CurrencyTotal(code, count, amount)
            for code, (count, amount) in sorted(found.items())
            if count
        ]

    def _raw_totals(self) -> list[CurrencyTotal]:
        """Count and sum per currency from the bills themselves."""
        codes = [self.currency] if self.currency is not None else self._currencies()
        totals = []
        for code in codes:  # one index search per currency: nothing sorted to group them
            part = self._in_currency(code)
            conditions = " AND ".join([*part._seek(None, False).all, *part.rest])
            count, amount = part.conn.execute(
                f"SELECT count(*), coalesce(sum(b.amount), 0) FROM bills b WHERE {conditions}",
                part.params,
            ).fetchone()
            if count:
                totals.append(CurrencyTotal(code, count, amount))
        return totals

    def walk(self, newest: int, chunk: int) -> Iterator[ExplorerRow]:
        """Every row with an id up to ``newest``, ``chunk`` rows per statement."""
        self.rest.append("b.id <= :newest")
        self.params["newest"] = newest
        key: PageKey | None = None
        try:
            while True:
                rows = self.rows(key, backwards=False, limit=chunk)
                yield from rows
                if len(rows) < chunk:
                    return
                key = rows[-1].key(self.sort)
        finally:
            self.close()

    def _in_currency(self, code: str) -> FilterQuery:
        """This query for one currency (its amount bounds read in that currency)."""
        if self.currency == code:
            return self
        part = copy.copy(self)
        part.params = dict(self.params)
        part.rest = list(self.rest)
        part.currency = code
        return part

    def _page_ids(self, key: PageKey | None, *, backwards: bool, limit: int) -> list[int]:
        split = not self.by_time and self.currency is None
        if not split or (self.amount_min is None and self.amount_max is None):
            return self._ids(key, backwards=backwards, limit=limit)
        # An amount range without a currency, sorted by amount: currency after currency.
        going_down = self.descending != backwards
        codes = sorted(self._currencies(), reverse=going_down)
        if key is not None:
            at = str(key[0])
            codes = [code for code in codes if (code <= at if going_down else code >= at)]
        ids: list[int] = []
        for code in codes:
            part = self._in_currency(code)
            from_key = key if key is not None and key[0] == code else None
            ids += part._ids(from_key, backwards=backwards, limit=limit - len(ids))
            if len(ids) >= limit:
                break
        return ids

    def _ids(self, key: PageKey | None, *, backwards: bool, limit: int) -> list[int]:
        seek = self._seek(key, backwards)
        order = self._order_by(backwards)
        self.params["limit"] = limit
        if self.email is None and not (self.text is not None and self.text_is_rare):
            for budget in PROBE_BUDGETS:
                walked = self._probe(seek, order, limit=limit, budget=max(budget, 20 * limit))
                if walked is not None:
                    return walked
        source, brought = self._source()
        conditions = " AND ".join([*seek.all, *self.rest, *brought]) or "1"
        sql = f"SELECT b.id FROM {source} WHERE {conditions} ORDER BY {order} LIMIT :limit"
        return [row[0] for row in self.conn.execute(sql, self.params)]

    def _probe(self, seek: _Bounds, order: str, *, limit: int, budget: int) -> list[int] | None:
        """The page from the first ``budget`` entries of the sort's index (all of them
        when fewer are left), or None when those held too few rows to tell."""
        if self.by_time:
            index, seekable, checked = _TIME_INDEX, [*seek.time, *seek.keyset], seek.money
        elif self.currency is not None:
            index, seekable, checked = _AMOUNT_INDEX, [*seek.money, *seek.keyset], seek.time
        else:
            index, seekable, checked = _AMOUNT_INDEX, seek.keyset, [*seek.time, *seek.money]
        self.params["budget"] = budget
        window = (
            f"SELECT {_PROBE_COLUMNS} FROM bills b INDEXED BY {index}"
            f" WHERE {' AND '.join(seekable) or '1'} ORDER BY {order} LIMIT :budget"
        )
        checked = [*checked, *self.rest]
        if not checked and self.text is None:  # the index's own order is the page
            direct = (
                f"SELECT b.id FROM bills b INDEXED BY {index}"
                f" WHERE {' AND '.join(seekable) or '1'} ORDER BY {order} LIMIT :limit"
            )
            return [row[0] for row in self.conn.execute(direct, self.params)]
        walked: int | None = None  # entries in the window, when counted
        if self.text is not None:  # many matches (a rare text drives its own statement)
            span = None
            if self.by_time:  # the window's ids: a time window holds a narrow id span
                low, high, walked = self.conn.execute(
                    f"SELECT min(b.id), max(b.id), count(*) FROM ({window}) AS b", self.params
                ).fetchone()
                span = (low or 0, high or 0)
            checked.append(f"+b.id IN {self._text_table(span)}")
        sql = (
            f"SELECT b.id FROM ({window}) AS b WHERE {' AND '.join(checked) or '1'}"
            f" ORDER BY {order} LIMIT :limit"
        )
        ids = [row[0] for row in self.conn.execute(sql, self.params)]
        if len(ids) >= limit:
            return ids
        # Fewer rows than asked for: the whole answer if the walk reached the end of what
        # it may read. A long walk over every currency rarely does: it is not counted.
        if walked is None and budget > PROBE_BUDGETS[0] and not self.by_time and not self.currency:
            return None
        if walked is None:
            count = f"SELECT count(*) FROM (SELECT 1 FROM bills b INDEXED BY {index}"
            count += f" WHERE {' AND '.join(seekable) or '1'} LIMIT :budget)"
            walked = self.conn.execute(count, self.params).fetchone()[0]
        return ids if walked < budget else None


class _MatchTable:
    """A temporary table of matched ids on one connection (see ``_text_table``)."""

    _numbers = itertools.count()

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.name = f"temp.explorer_matches_{next(self._numbers)}"
        self.span: tuple[int, int] | None = None
        self.filled = False
        conn.execute(
            f"CREATE TEMP TABLE {self.name.removeprefix('temp.')} (id INTEGER PRIMARY KEY)"
        )

    def fill(self, ids_sql: str, params: dict[str, object], span: tuple[int, int] | None) -> str:
        """Hold the ids ``ids_sql`` selects (within ``span``, or all); the table's name."""
        if self.filled and (self.span is None or self.span == span):
            return self.name
        self.conn.execute(f"DELETE FROM {self.name}")
        within = "" if span is None else f" WHERE id BETWEEN {int(span[0])} AND {int(span[1])}"
        branches = ids_sql.replace(
            "bills_text MATCH :text_fts",
            "bills_text MATCH :text_fts"
            + ("" if span is None else f" AND rowid BETWEEN {int(span[0])} AND {int(span[1])}"),
        )
        self.conn.execute(
            f"INSERT OR IGNORE INTO {self.name} (id) SELECT id FROM ({branches}){within}", params
        )
        self.span, self.filled = span, True
        return self.name

    def drop(self) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS {self.name}")


# -- checking values -------------------------------------------------------------------


def whole(value: object, field: str) -> int:
    """``value`` when it is an int (a bool is not)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be a whole number.", field=field)
    return value


def check_key(value: object, sort: Sort) -> PageKey:
    """A page position that fits ``sort`` (see :data:`PageKey`)."""
    wrong = ValidationError("That page position does not fit this sort.", field="after")
    by_time = sort in ("newest", "oldest")
    if not isinstance(value, tuple) or len(value) != (2 if by_time else 3):
        raise wrong
    if by_time:
        whole(value[0], "after")
    elif not isinstance(value[0], str):
        raise wrong
    else:
        whole(value[1], "after")
    whole(value[-1], "after")
    return value


def _member(vocabulary: type[Provider] | type[BillKind], value: object, field: str) -> str:
    try:
        return vocabulary(str(value)).value
    except ValueError:
        known = ", ".join(member.value for member in vocabulary)
        raise ValidationError(f"{value!r} is not one of {known}.", field=field) from None


def _check_amounts(low: object, high: object, currency: str | None) -> None:
    for bound, name in ((low, "amount_min"), (high, "amount_max")):
        if bound is None:
            continue
        if not isinstance(bound, MajorAmount):
            raise ValidationError(f"{name} must be a MajorAmount.", field=name)
        units, places = whole(bound.units, name), whole(bound.places, name)
        if units <= 0 or not 0 <= places <= MAX_PLACES:
            raise ValidationError(f"{name} must be a positive amount.", field=name)
        if currency is not None and places > exponent(currency):
            decimals = exponent(currency)
            raise ValidationError(
                f"{currency} amounts have at most {decimals} decimal places.", field=name
            )
    if (
        isinstance(low, MajorAmount)
        and isinstance(high, MajorAmount)
        and low.units * 10**high.places > high.units * 10**low.places
    ):
        raise ValidationError("The smallest amount is above the largest one.", field="amount_max")


def _text(value: object) -> _Text | None:
    if not isinstance(value, str):
        raise ValidationError("The search text must be text.", field="text")
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_TEXT:
        raise ValidationError(
            f"The search text is longer than {MAX_TEXT} characters.", field="text"
        )
    if any(not ch.isprintable() for ch in text):
        raise ValidationError("The search text has an invisible character.", field="text")
    match = _REF.match(text)
    # The words go to FTS5 as typed (its tokenizer folds them as it folded the
    # descriptions); their folded form is only for reading counts from the vocabulary.
    words = tuple(dict.fromkeys(_WORD.findall(text.lower())))[:MAX_WORDS]
    fts = " AND ".join('"' + word + '"' + ("" if word.isdigit() else "*") for word in words)
    return _Text(
        exact=text,
        bill_id=int(match[1]) if match else None,
        fts=fts or None,
        words=tuple((_folded(word), not word.isdigit()) for word in words),
    )


def _folded(text: str) -> str:
    """``text`` as the ``unicode61 remove_diacritics 2`` tokenizer folds it: lower case,
    accents removed from Latin letters (``Café`` is ``cafe``; ``й`` stays ``й``)."""
    kept: list[str] = []
    base = ""
    for char in unicodedata.normalize("NFD", text.lower()):
        if unicodedata.combining(char):
            if base and (base < "\u0250" or "\u1e00" <= base <= "\u1eff"):
                continue
        else:
            base = char
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _row(row: sqlite3.Row) -> ExplorerRow:
    return ExplorerRow(
        id=row["id"],
        created_at=from_ms(row["created_at"]),
        status=BillStatus(row["status"]),
        provider=Provider(row["provider"]),
        kind=BillKind(row["kind"]),
        amount=row["amount"],
        currency=row["currency"],
        paid=row["paid"],
        refunded=row["refunded"],
        customer_email=row["customer_email"],
        description=row["description"],
        tracking_id=row["tracking_id"],
        provider_id=row["provider_id"],
    )
