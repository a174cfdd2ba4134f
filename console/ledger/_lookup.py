"""Finding things: support's search box, one object's history, recent activity.

``lookup`` accepts whatever a customer or a colleague pastes:

* a console reference: ``B123`` (bill), ``S45`` (subscription), case-insensitive,
  ``#`` allowed (``B#123``);
* a plain number: bill *and* subscription with that id, and any provider id or
  tracking id equal to it (merchants often use order numbers as tracking ids);
* a provider id (bePaid uid, beyag uid, ``sbs_...``, Payture bill id), a tracking
  id, or a checkout token / Payture SessionId;
* a customer e-mail, in any letter case;
* a whole pay link: ``https://checkout.bepaid.by/v2/checkout?token=...``,
  ``http://127.0.0.1:8600/checkout?token=...``, ``https://x/apim/Pay?SessionId=...``,
  ``https://api.bepaid.by/subscriptions/sbs_...``. Every query value and every
  path segment that looks like an id (six or more characters, at least one
  digit) is searched as a token, provider id and tracking id.

Every branch is an index search (see ``tests/unit/test_ledger_indexes.py``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from console.errors import ValidationError
from console.ledger._base import LedgerBase
from console.ledger._checks import choice
from console.ledger._records import (
    AUDIT_COLUMNS,
    BILL_COLUMNS,
    EVENT_COLUMNS,
    OBJECT_TYPES,
    PAYMENT_COLUMNS,
    SUBSCRIPTION_COLUMNS,
    AuditEntry,
    Bill,
    LookupResult,
    Payment,
    StatusEvent,
    Subscription,
    audit_from_row,
    bill_from_row,
    event_from_row,
    payment_from_row,
    subscription_from_row,
)

MAX_QUERY_LENGTH = 2048
_MAX_CANDIDATES = 12
_REF = re.compile(r"^([BbSs])\s*#?\s*(\d{1,18})$")
_NUMBER = re.compile(r"^#?(\d{1,18})$")
_ID_LIKE = re.compile(r"^(?=.*\d)[\w.:~-]{6,}$")


@dataclass
class SearchTerms:
    """What a pasted query may be, split by the column that can hold it."""

    bill_ids: set[int] = field(default_factory=set)
    subscription_ids: set[int] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)  # provider ids, tracking ids, tokens
    emails: list[str] = field(default_factory=list)

    def add_text(self, value: str) -> None:
        if value and value not in self.texts and len(self.texts) < _MAX_CANDIDATES:
            self.texts.append(value)


def search_terms(query: str) -> SearchTerms:
    """Split a pasted query into the ids, texts and e-mails it may stand for."""
    terms = SearchTerms()
    text = (query or "").strip()[:MAX_QUERY_LENGTH]
    if not text:
        return terms
    if match := _REF.match(text):
        target = terms.bill_ids if match[1] in "Bb" else terms.subscription_ids
        target.add(int(match[2]))
    elif match := _NUMBER.match(text):
        terms.bill_ids.add(int(match[1]))
        terms.subscription_ids.add(int(match[1]))
    if "@" in text and "/" not in text:
        terms.emails.append(text.lower())
    if "://" in text or "?" in text or text.startswith("www."):
        for candidate in url_candidates(text):
            terms.add_text(candidate)
    terms.add_text(text)
    return terms


def url_candidates(url: str) -> list[str]:
    """Values in a pay link that may be a token, SessionId, uid or subscription id."""
    parts = urlsplit(url if "://" in url else "//" + url)
    candidates = [value.strip() for _, value in parse_qsl(parts.query) if value.strip()]
    segments = [segment for segment in reversed(parts.path.split("/")) if _ID_LIKE.match(segment)]
    return candidates + segments


class Lookups(LedgerBase):
    """Read methods for single objects, search and recent activity."""

    def get_payment(self, payment_id: int) -> Payment | None:
        """The payment with console id ``payment_id`` (``P17``), or None."""
        row = self._read_one(f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = ?", payment_id)
        return None if row is None else payment_from_row(row)

    def get_bill(self, bill_id: int) -> Bill | None:
        """The bill with console id ``bill_id``, or None."""
        row = self._read_one(f"SELECT {BILL_COLUMNS} FROM bills WHERE id = ?", bill_id)
        return None if row is None else bill_from_row(row)

    def get_subscription(self, subscription_id: int) -> Subscription | None:
        """The subscription with console id ``subscription_id``, or None."""
        row = self._read_one(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?", subscription_id
        )
        return None if row is None else subscription_from_row(row)

    def find_bill(
        self,
        provider: str,
        *,
        provider_id: str | None = None,
        tracking_id: str | None = None,
        token: str | None = None,
    ) -> Bill | None:
        """The bill of ``provider`` with exactly this provider id, tracking id or token
        (the first one given is used). For webhooks and refreshes, which know which
        provider spoke; support's free-text search is :meth:`lookup`."""
        column, value = _exact_key(provider_id=provider_id, tracking_id=tracking_id, token=token)
        row = self._read_one(
            f"SELECT {BILL_COLUMNS} FROM bills WHERE {column} = ? AND provider = ?"
            " ORDER BY id DESC LIMIT 1",
            value,
            provider,
        )
        return None if row is None else bill_from_row(row)

    def find_subscription(
        self,
        provider: str,
        *,
        provider_id: str | None = None,
        tracking_id: str | None = None,
        token: str | None = None,
    ) -> Subscription | None:
        """The subscription of ``provider`` with exactly this id, tracking id or token."""
        column, value = _exact_key(provider_id=provider_id, tracking_id=tracking_id, token=token)
        row = self._read_one(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE {column} = ?"
            " AND provider = ? ORDER BY id DESC LIMIT 1",
            value,
            provider,
        )
        return None if row is None else subscription_from_row(row)

    def lookup(self, query: str, *, limit: int = 50) -> LookupResult:
        """Bills and subscriptions matching a pasted query (see the module docstring),
        newest first, at most ``limit`` of each."""
        terms = search_terms(query)
        conn = self.connection()
        bills = _search(conn, "bills", BILL_COLUMNS, terms.bill_ids, terms, limit)
        subscriptions = _search(
            conn, "subscriptions", SUBSCRIPTION_COLUMNS, terms.subscription_ids, terms, limit
        )
        return LookupResult(
            bills=[bill_from_row(row) for row in bills],
            subscriptions=[subscription_from_row(row) for row in subscriptions],
        )

    def history(self, object_type: str, object_id: int) -> list[StatusEvent]:
        """An object's status events in the order they were recorded."""
        choice(object_type, OBJECT_TYPES, "object_type")
        rows = self.connection().execute(
            f"SELECT {EVENT_COLUMNS} FROM status_events"
            " WHERE object_type = ? AND object_id = ? ORDER BY id",
            (object_type, object_id),
        )
        return [event_from_row(row) for row in rows]

    def payments_of(self, object_type: str, object_id: int) -> list[Payment]:
        """Charges and refunds of a bill or a subscription, oldest first."""
        column = {"bill": "bill_id", "subscription": "subscription_id"}[
            choice(object_type, OBJECT_TYPES, "object_type")
        ]
        rows = self.connection().execute(
            f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE {column} = ? ORDER BY at, id",
            (object_id,),
        )
        return [payment_from_row(row) for row in rows]

    def recent_events(self, limit: int = 50) -> list[StatusEvent]:
        """The latest status events across all objects, newest first."""
        rows = self.connection().execute(
            f"SELECT {EVENT_COLUMNS} FROM status_events ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [event_from_row(row) for row in rows]

    def recent_audit(self, limit: int = 50) -> list[AuditEntry]:
        """The latest audit entries, newest first."""
        rows = self.connection().execute(
            f"SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [audit_from_row(row) for row in rows]

    def audit_of(
        self, object_type: str, object_id: int | str, limit: int = 100
    ) -> list[AuditEntry]:
        """Audit entries about one object, newest first."""
        rows = self.connection().execute(
            f"SELECT {AUDIT_COLUMNS} FROM audit_log WHERE object_type = ? AND object_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (object_type, str(object_id), limit),
        )
        return [audit_from_row(row) for row in rows]

    def recent_bills(self, limit: int = 50, *, before_id: int | None = None) -> list[Bill]:
        """Bills newest first; pass the last id shown as ``before_id`` for the next page."""
        rows = self.connection().execute(
            f"SELECT {BILL_COLUMNS} FROM bills WHERE id < ? ORDER BY id DESC LIMIT ?",
            (before_id if before_id is not None else 2**63 - 1, limit),
        )
        return [bill_from_row(row) for row in rows]

    def recent_subscriptions(
        self, limit: int = 50, *, before_id: int | None = None
    ) -> list[Subscription]:
        """Subscriptions newest first; keyset pagination like :meth:`recent_bills`."""
        rows = self.connection().execute(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id < ?"
            " ORDER BY id DESC LIMIT ?",
            (before_id if before_id is not None else 2**63 - 1, limit),
        )
        return [subscription_from_row(row) for row in rows]

    def _read_one(self, sql: str, *params: object) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.connection().execute(sql, params).fetchone()
        return row


def _exact_key(**keys: str | None) -> tuple[str, str]:
    for column, value in keys.items():
        if value is not None:
            return column, value
    raise ValidationError("Give a provider_id, tracking_id or token to find.", field="provider_id")


def lookup_sql(
    table: str, columns: str, terms: SearchTerms, *, ids: set[int]
) -> tuple[str, list[object]]:
    """The search as one statement: a UNION of index searches, one per column."""
    union, params = matching_ids_sql(table, terms, ids=ids)
    if not union:
        return "", []
    sql = f"SELECT {columns} FROM {table} WHERE id IN ({union}) ORDER BY id DESC LIMIT ?"
    return sql, params


def matching_ids_sql(table: str, terms: SearchTerms, *, ids: set[int]) -> tuple[str, list[object]]:
    """``SELECT id FROM table WHERE ... UNION ...``: the ids ``terms`` can stand for, one
    index search per column (empty when the terms hold nothing to search)."""
    branches: list[str] = []
    params: list[object] = []

    def branch(column: str, values: Sequence[object]) -> None:
        if values:
            branches.append(
                f"SELECT id FROM {table} WHERE {column} IN ({', '.join('?' * len(values))})"
            )
            params.extend(values)

    branch("id", sorted(ids))
    for column in ("provider_id", "tracking_id", "token"):
        branch(column, terms.texts)
    branch("customer_email", terms.emails)
    return " UNION ".join(branches), params


def _search(
    conn: sqlite3.Connection,
    table: str,
    columns: str,
    ids: set[int],
    terms: SearchTerms,
    limit: int,
) -> list[sqlite3.Row]:
    sql, params = lookup_sql(table, columns, terms, ids=ids)
    if not sql:
        return []
    return conn.execute(sql, [*params, limit]).fetchall()
