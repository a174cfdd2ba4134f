"""Finding subscriptions (``ledger.subscriptions``): the Subscriptions page's search, one
keyset page at a time.

A :class:`SubscriptionQuery` narrows by any of, together (AND):

* ``email`` — the customer's whole address, any case (``subscriptions_customer_email``);
* ``plan`` — a plan id exactly, or a part of the plan's title (ASCII letters in any case;
  SQLite's ``LIKE`` folds no others);
* ``states`` — one or several statuses;
* ``ref`` — whatever Lookup takes for a subscription: ``S12``, ``12``, a bePaid id
  (``sbs_…``), a tracking id, a token or a whole pay link (a UNION of index searches,
  :func:`console.ledger._lookup.matching_ids_sql`).

Rows come newest first (by console id) and a page ends with a cursor: the next page is
``id < cursor``, a range of the primary key, so page 500 costs what page 1 does (no
``OFFSET``, which reads and throws away every row before it). Without an e-mail or a
ref to start from, the plan and state conditions are checked while the primary key is
read backwards until the page is full: subscriptions are few beside bills (the demo
has one per 40), so even a rare plan is a read of one small table at worst, and
``subscriptions_status_id`` serves a state alone.

:meth:`SubscriptionSearch.count` counts matches up to a cap, so "how many" is bounded too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from console.errors import ValidationError
from console.ledger._base import LedgerBase
from console.ledger._checks import email as stored_email
from console.ledger._checks import status_of
from console.ledger._customers import page_size
from console.ledger._lookup import MAX_QUERY_LENGTH, matching_ids_sql, search_terms
from console.ledger._records import (
    SUBSCRIPTION_COLUMNS,
    Cursor,
    ListPage,
    Subscription,
    subscription_from_row,
)
from console.status import SubscriptionStatus

#: Counting stops here: the page says "more than 10,000" rather than reading them all.
COUNT_CAP = 10_000


@dataclass(frozen=True, slots=True)
class SubscriptionQuery:
    """What to find; every given part must match (blank parts are left out)."""

    email: str | None = None
    plan: str | None = None
    states: tuple[SubscriptionStatus, ...] = ()
    ref: str | None = None

    def __bool__(self) -> bool:
        return bool(_text(self.email) or _text(self.plan) or self.states or _text(self.ref))


class SubscriptionSearch:
    """The subscriptions matching a :class:`SubscriptionQuery`, a keyset page at a time."""

    def __init__(self, ledger: LedgerBase) -> None:
        self._ledger = ledger

    def search(
        self, query: SubscriptionQuery, *, limit: int = 50, before: Cursor | None = None
    ) -> ListPage[Subscription]:
        """One page of matches, newest first; ``before`` is the previous page's ``older``.

        Raises:
            ValidationError: a malformed e-mail, an unknown state, a bad limit or cursor.
        """
        where, params = _conditions(query)
        if before is not None:
            if len(before) != 1:
                raise ValidationError("This cursor belongs to another list.", field="before")
            where.append("id < ?")
            params.append(before[0])
        rows = (
            self._ledger.connection()
            .execute(
                f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions{_where(where)}"
                " ORDER BY id DESC LIMIT ?",
                [*params, page_size(limit) + 1],
            )
            .fetchall()
        )
        shown = [subscription_from_row(row) for row in rows[:limit]]
        return ListPage(shown, (shown[-1].id,) if len(rows) > limit else None)

    def count(self, query: SubscriptionQuery, *, cap: int = COUNT_CAP) -> int:
        """How many subscriptions match, counting at most ``cap`` (so ``cap`` means "at least")."""
        where, params = _conditions(query)
        found: int = (
            self._ledger.connection()
            .execute(
                f"SELECT count(*) FROM (SELECT 1 FROM subscriptions{_where(where)} LIMIT ?)",
                [*params, cap],
            )
            .fetchone()[0]
        )
        return found


def _conditions(query: SubscriptionQuery) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    if email := _text(query.email):
        where.append("customer_email = ?")
        params.append(stored_email(email))
    if plan := _text(query.plan):
        where.append("(plan_id = ? OR plan_title LIKE ? ESCAPE '\\')")
        params += [plan, f"%{_like_escaped(plan)}%"]
    if query.states:
        states = sorted({status_of(SubscriptionStatus, state).value for state in query.states})
        where.append(f"status IN ({', '.join('?' * len(states))})")
        params += states
    if ref := _text(query.ref):
        terms = search_terms(ref)
        union, ids_params = matching_ids_sql("subscriptions", terms, ids=terms.subscription_ids)
        where.append(f"id IN ({union})")
        params += ids_params
    return where, params


def _where(conditions: Iterable[str]) -> str:
    text = " AND ".join(conditions)
    return f" WHERE {text}" if text else ""


def _text(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > MAX_QUERY_LENGTH:  # a pasted pay link may be long; a page of text is not
        raise ValidationError(f"A search is at most {MAX_QUERY_LENGTH} characters.")
    return value.strip()


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


__all__ = ["COUNT_CAP", "SubscriptionQuery", "SubscriptionSearch"]
