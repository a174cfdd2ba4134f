"""Provider notifications the receiver handled, each with its verdict.

One row per delivery the receiver answered, so support can see "bePaid told us
at 14:02 that B17 was paid, and retried twice" next to the status history.

Verdicts (:data:`VERDICTS`):

* ``applied`` — the notification changed the ledger (a status, a payment, a
  subscription's schedule);
* ``duplicate`` — it reported what the ledger already held (a retry, or a poll
  got there first); nothing changed;
* ``stale`` — it reported an older state than the ledger holds (the
  never-regress rule refused it); nothing changed;
* ``mismatch`` — it disagrees with the ledger (amount, currency, test flag,
  tracking id, or a transaction id recorded with other values);
* ``unknown_object`` — no bill or subscription of this console matches it;
* ``rejected`` — it failed authentication (no ids or body are kept);
* ``error`` — it was authenticated but could not be read or applied.

Why there is no UNIQUE constraint on the body hash or the dedupe key:
retries are deliveries too and are worth seeing, and idempotence does not come
from this table — the ledger's own rules make a repeat change nothing
(never-regress statuses, ``UNIQUE(provider, provider_txn_id)`` payments).
``dedupe_key`` (bePaid sends no timestamp, so it is the object id and the
status reported) lets a duplicate name the first row it repeats.

The body is kept as ``payload``: its JSON with secrets and card data masked by
``console.notices`` before it gets here (at most :data:`MAX_PAYLOAD_CHARS`), with the
SHA-256 of the body as received, which matches the provider's copy when support
compares deliveries. Rejected requests keep neither. A **replay** (an admin re-running
a stored notification) is a row of its own: ``replay_of`` names the row re-run,
``actor`` who asked, and it keeps no payload (it is its original's). Reading rows
back, filtered and a page at a time, is ``ledger.notifications``
(:mod:`console.ledger._notification_log`).

Rows are written inside the same write transaction as the effects they
describe, so a row says ``applied`` only if the change committed with it.
Details go through the audit log's :func:`~console.ledger._audit.redact`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.errors import ValidationError
from console.ledger._audit import redact
from console.ledger._base import LedgerBase, insert_row
from console.ledger._checks import choice, detail_text, positive_int, text_id
from console.ledger._records import OBJECT_TYPES, PROVIDERS, console_ref
from console.ledger._schema import MAX_PAYLOAD_CHARS
from console.ledger._times import from_ms, ms_or_now

VERDICTS: tuple[str, ...] = (
    "applied",
    "duplicate",
    "stale",
    "mismatch",
    "unknown_object",
    "rejected",
    "error",
)
NOTIFICATION_KINDS: tuple[str, ...] = ("transaction", "subscription")

#: Every column but the payload, which only :meth:`NotificationLog.get` reads.
NOTIFICATION_COLUMNS = (
    "id, received_at, provider, kind, object_type, object_id, provider_object_id,"
    " status_reported, verdict, detail, dedupe_key, body_sha256, replay_of, actor"
)
_COLUMNS = NOTIFICATION_COLUMNS


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification delivery and what the receiver made of it."""

    id: int
    received_at: datetime
    provider: str
    kind: str | None  # transaction | subscription; None when it was not read
    object_type: str | None  # bill | subscription, when matched
    object_id: int | None
    provider_object_id: str | None  # transaction uid or sbs_ id, as sent
    status_reported: str | None  # the provider's native status, as sent
    verdict: str
    detail: str | None
    dedupe_key: str | None
    body_sha256: str | None
    replay_of: int | None = None  # the row a replay re-ran
    actor: str | None = None  # who asked for a replay
    payload: str | None = None  # masked JSON; read by ledger.notifications.get only

    @property
    def source(self) -> str:
        """``provider`` (a delivery) or ``replay`` (an admin re-ran ``replay_of``)."""
        return "provider" if self.replay_of is None else "replay"

    @property
    def ref(self) -> str | None:
        """``B17`` / ``S4`` when the notification matched an object, else None."""
        if self.object_type is None or self.object_id is None:
            return None
        return console_ref(self.object_type, self.object_id)


def notification_from_row(row: sqlite3.Row) -> Notification:
    values = dict(row)
    values["received_at"] = from_ms(values["received_at"])
    return Notification(**values)


class NotificationWrites(LedgerBase):
    """Recording notifications and reading them back for the Activity page."""

    def record_notification(
        self,
        *,
        provider: str,
        verdict: str,
        kind: str | None = None,
        object_type: str | None = None,
        object_id: int | None = None,
        provider_object_id: str | None = None,
        status_reported: str | None = None,
        detail: str | dict[str, Any] | None = None,
        dedupe_key: str | None = None,
        body_sha256: str | None = None,
        received_at: datetime | None = None,
        payload: str | None = None,
        replay_of: int | None = None,
        actor: str | None = None,
    ) -> int:
        """Append one notification row and return its id.

        Call it inside the ``ledger.write()`` block that applies the
        notification, so the row and the changes commit together. ``payload`` is
        the body masked (the caller masks it); a replay gives ``replay_of`` and
        ``actor`` together.

        Raises:
            ValidationError: a value is out of its vocabulary, a payload too long, a
                replay without its actor (or the reverse).
        """
        if (object_type is None) != (object_id is None):
            raise ValidationError(
                "Give object_type and object_id together, or neither.", field="object_type"
            )
        if (replay_of is None) != (actor is None):
            raise ValidationError("A replay names its row and its actor.", field="replay_of")
        too_long = isinstance(payload, str) and len(payload) > MAX_PAYLOAD_CHARS
        if payload is not None and (not isinstance(payload, str) or too_long):
            raise ValidationError(
                f"payload must be text of at most {MAX_PAYLOAD_CHARS} characters.",
                field="payload",
            )
        row = {
            "received_at": ms_or_now(received_at, field="received_at"),
            "provider": choice(provider, PROVIDERS, "provider"),
            "kind": None if kind is None else choice(kind, NOTIFICATION_KINDS, "kind"),
            "object_type": None
            if object_type is None
            else choice(object_type, OBJECT_TYPES, "object_type"),
            "object_id": object_id,
            "provider_object_id": _clip(provider_object_id),
            "status_reported": _clip(status_reported),
            "verdict": choice(verdict, VERDICTS, "verdict"),
            "detail": detail_text(redact(detail)),
            "dedupe_key": _clip(dedupe_key, 1000),
            "body_sha256": text_id(body_sha256, "body_sha256", required=False, max_length=64),
            "payload": payload,
            "replay_of": None if replay_of is None else positive_int(replay_of, "replay_of"),
            "actor": text_id(actor, "actor", required=False),
        }
        with self.write() as conn:
            return insert_row(conn, "notifications", row)

    def recent_notifications(
        self, limit: int = 50, *, verdict: str | None = None
    ) -> list[Notification]:
        """The latest notifications, newest first (optionally only one verdict)."""
        conn = self.connection()
        if verdict is None:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM notifications ORDER BY id DESC LIMIT ?", (limit,)
            )
        else:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM notifications WHERE verdict = ? ORDER BY id DESC LIMIT ?",
                (choice(verdict, VERDICTS, "verdict"), limit),
            )
        return [notification_from_row(row) for row in rows]

    def notifications_of(
        self, object_type: str, object_id: int, limit: int = 100
    ) -> list[Notification]:
        """Notifications matched to one bill or subscription, newest first."""
        rows = self.connection().execute(
            f"SELECT {_COLUMNS} FROM notifications WHERE object_type = ? AND object_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (choice(object_type, OBJECT_TYPES, "object_type"), object_id, limit),
        )
        return [notification_from_row(row) for row in rows]

    def first_notification_with(self, dedupe_key: str) -> Notification | None:
        """The first notification that carried ``dedupe_key`` (object id and status), or None."""
        row = (
            self.connection()
            .execute(
                f"SELECT {_COLUMNS} FROM notifications WHERE dedupe_key = ? ORDER BY id LIMIT 1",
                (dedupe_key,),
            )
            .fetchone()
        )
        return None if row is None else notification_from_row(row)


def _clip(value: str | None, limit: int = 255) -> str | None:
    """Provider-sent text, cut to ``limit`` characters: a notification is recorded whatever
    it carries, and an over-long id must not turn a verdict into a failed write."""
    if value is None:
        return None
    return str(value)[:limit]
