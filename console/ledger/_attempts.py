"""Attempts (``ledger.attempts``): what the provider said about each try to pay a bill or
charge a subscription — the answer support reads to say *why* it failed.

One row per provider transaction (``UNIQUE (provider, provider_uid)``), updated as the
transaction moves on (``incomplete`` → ``failed``), whichever report comes first: a poll,
a notification, an import. A row keeps only what explains the outcome:

* ``native_status``, ``message`` (the provider's words), ``code`` (bePaid's processing
  code, ``F.0002``) and ``friendly_message`` (bePaid API v3: the sentence meant for the
  payer);
* ``three_ds`` — the 3-D Secure verification's status (``successful``, ``failed``, …);
* ``card_brand`` and ``card_last4`` — **never more of the card**: the ledger refuses a
  ``card_last4`` that is not exactly four digits, so a full number cannot be stored here
  by mistake;
* ``method`` — the payment method (``credit_card``, ``erip``, …).

A later report never erases what an earlier one said: empty fields of a new report keep
the stored values (a subscription's short ``last_transaction`` has no card, the full
transaction has).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from console.errors import ValidationError
from console.ledger._base import LedgerBase
from console.ledger._checks import choice, text_id
from console.ledger._records import PROVIDERS
from console.ledger._times import from_ms, ms_or_now

_COLUMNS = (
    "id, object_type, object_id, provider, provider_uid, native_status, message, code,"
    " friendly_message, three_ds, card_brand, card_last4, method, source, at, updated_at"
)
_LAST4 = re.compile(r"[0-9]{4}")
#: What a later report may fill in (a value it leaves empty keeps the stored one).
_KEPT = (
    "native_status",
    "message",
    "code",
    "friendly_message",
    "three_ds",
    "card_brand",
    "card_last4",
    "method",
)
#: Statuses of an attempt still under way: a later report may replace them.
_OPEN = ("incomplete", "pending", "processing", "new")
_SHORT = 255


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try to pay, as the provider described it."""

    object_type: str  # bill | subscription
    object_id: int
    provider: str
    provider_uid: str
    native_status: str | None
    at: datetime
    message: str | None = None
    code: str | None = None
    friendly_message: str | None = None
    three_ds: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    method: str | None = None
    source: str = "poll"
    id: int | None = None

    @property
    def card(self) -> str:
        """``visa ·· 0019`` (empty when the provider named no card)."""
        if self.card_last4 is None:
            return self.card_brand or ""
        return f"{self.card_brand or 'card'} ·· {self.card_last4}"

    @property
    def failed(self) -> bool:
        return self.native_status in ("failed", "declined", "error", "expired")

    @property
    def reason(self) -> str:
        """The provider's words for the outcome: ``Do not honor (F.0002)``."""
        words = self.friendly_message or self.message or ""
        if self.code and self.code != "S.0000":
            words = f"{words} ({self.code})" if words else self.code
        return words


class Attempts:
    """What providers said about each try to pay."""

    def __init__(self, ledger: LedgerBase) -> None:
        self._ledger = ledger

    def record(self, attempts: Iterable[Attempt]) -> int:
        """Store or update each attempt (by provider uid); returns how many rows changed.

        Call it inside the ``ledger.write()`` block that records what the report changed.
        An attempt that ended keeps its outcome: a late report of the same transaction
        (``failed`` after ``successful``) adds what it knows but changes no outcome.

        Raises:
            ValidationError: a value out of its vocabulary, or a card_last4 that is not
                four digits.
        """
        values = [_values(attempt) for attempt in attempts]
        if not values:
            return 0
        changed = 0
        with self._ledger.write() as conn:
            for new in values:
                old = conn.execute(
                    f"SELECT {_COLUMNS} FROM attempts WHERE provider = ? AND provider_uid = ?",
                    (new["provider"], new["provider_uid"]),
                ).fetchone()
                if old is None:
                    conn.execute(
                        f"INSERT INTO attempts ({', '.join(new)})"
                        f" VALUES ({', '.join(':' + name for name in new)})",
                        new,
                    )
                    changed += 1
                    continue
                merged = {name: new[name] if new[name] is not None else old[name] for name in _KEPT}
                if old["native_status"] not in (None, *_OPEN):
                    merged["native_status"] = old["native_status"]  # an outcome is kept
                if all(merged[name] == old[name] for name in _KEPT):
                    continue
                conn.execute(
                    f"UPDATE attempts SET {', '.join(f'{n} = :{n}' for n in _KEPT)},"
                    " updated_at = :updated_at WHERE id = :id",
                    {**merged, "updated_at": new["updated_at"], "id": old["id"]},
                )
                changed += 1
        return changed

    def of_object(self, object_type: str, object_id: int) -> list[Attempt]:
        """Every attempt of a bill or subscription, oldest first."""
        rows = self._ledger.connection().execute(
            f"SELECT {_COLUMNS} FROM attempts WHERE object_type = ? AND object_id = ?"
            " ORDER BY at, id",
            (object_type, object_id),
        )
        return [_attempt(row) for row in rows]

    def latest(self, object_type: str, ids: Iterable[int]) -> dict[int, Attempt]:
        """The newest attempt of each object in ``ids`` that has one (lists: Monitor's
        recently finished, the Payments explorer)."""
        wanted = list(dict.fromkeys(ids))
        found: dict[int, Attempt] = {}
        conn = self._ledger.connection()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM attempts WHERE object_type = ?"
                f" AND object_id IN ({marks}) ORDER BY at, id",
                (object_type, *chunk),
            )
            for row in rows:
                found[row["object_id"]] = _attempt(row)  # the last one wins
        return found


def _values(attempt: Attempt) -> dict[str, object]:
    last4 = attempt.card_last4
    if last4 is not None and not _LAST4.fullmatch(last4):
        raise ValidationError(
            "card_last4 must be exactly four digits: the ledger keeps no more of a card.",
            field="card_last4",
        )
    now = ms_or_now(None)
    return {
        "object_type": choice(attempt.object_type, ("bill", "subscription"), "object_type"),
        "object_id": attempt.object_id,
        "provider": choice(attempt.provider, PROVIDERS, "provider"),
        "provider_uid": text_id(attempt.provider_uid, "provider_uid", required=True),
        "native_status": _short(attempt.native_status),
        "message": _short(attempt.message),
        "code": _short(attempt.code),
        "friendly_message": _short(attempt.friendly_message),
        "three_ds": _short(attempt.three_ds),
        "card_brand": _short(attempt.card_brand),
        "card_last4": last4,
        "method": _short(attempt.method),
        "source": attempt.source,
        "at": ms_or_now(attempt.at),
        "updated_at": now,
    }


def _short(value: str | None) -> str | None:
    """Provider text, trimmed to what a screen shows (a provider's essay is cut)."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text[:_SHORT] or None


def _attempt(row: sqlite3.Row) -> Attempt:
    return Attempt(
        id=row["id"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        provider=row["provider"],
        provider_uid=row["provider_uid"],
        native_status=row["native_status"],
        message=row["message"],
        code=row["code"],
        friendly_message=row["friendly_message"],
        three_ds=row["three_ds"],
        card_brand=row["card_brand"],
        card_last4=row["card_last4"],
        method=row["method"],
        source=row["source"],
        at=from_ms(row["at"]),
    )
