"""The ledger's schema: an ordered list of forward migrations and the code that runs them.

``PRAGMA user_version`` holds the number of migrations applied. Opening a file
runs the missing ones, in order, inside one ``BEGIN IMMEDIATE`` transaction, so a
file is either fully migrated or untouched (SQLite DDL is transactional). A file
from a newer console raises :class:`~console.errors.SchemaTooNew` instead of
being guessed at.

History (migrations are frozen once released: fix forward, never edit one):

1. bills, subscriptions, payments, status_events (append-only by trigger) and
   audit_log, with their indexes.
2. ``demo`` flags on bills, subscriptions and payments (the demo generator's rows
   can be told apart and purged); ``origin`` on audit_log (where an action came
   from: page, CLI, webhook); customer e-mails lower-cased, because version 1
   stored them as typed and the e-mail index only serves exact matches.
3. ``notifications``: one row per provider notification the receiver handled
   (or refused), with its verdict (:mod:`console.ledger._notifications`).
4. ``console_sessions`` and ``idempotency_keys``; the audit outcome ``started``.
5. ``subscriptions.last_notice_at``: the provider's own time (``updated_at``, else
   ``last_transaction.created_at``) of the newest subscription notice applied, so a
   late notice with as many paid cycles cannot flip a newer state back.
6. ``refunds`` (attempts), ``payments.parent_id``, the bill status ``partially_refunded``.
7. ``poll_schedule`` and ``poll_budget``: when each open object is next asked about,
   and the per-provider request budget all processes share (:mod:`console.ledger._polling`).
8. ``attempts``: what providers said about each try to pay (:mod:`console.ledger._attempts`).
9. Indexes for the customer view and the subscriptions search: refund attempts by
   bill and by subscription, a customer's open bills and subscriptions (partial),
   subscriptions by state in id order.
10. The payments explorer (:mod:`console.ledger._explorer`): covering indexes that walk
    bills in time, amount or status order carrying every filtered column (the status
    index, which revenue's outcomes already used, gains those columns), and
    ``bills_text``, an FTS5 index of descriptions (external content: the text stays in
    ``bills``) kept by triggers, with ``bills_text_terms`` (its vocabulary) to tell a
    rare word from a common one.
11. ``notifications.payload`` (the body, masked), ``replay_of`` and ``actor`` (an admin's
    replay names the row it re-ran and who asked), and indexes for the notification
    log's filters (:mod:`console.ledger._notification_log`).
12. Report summaries (:mod:`console.ledger._summaries`): revenue and bill outcomes per
    UTC day and quarter-hour, kept by triggers, filled from the rows already there.
    The fill reads every payment and bill once — the one long step so far (seconds
    per million bills): :func:`migrate` reports it through ``progress``, and
    ``merchant-console migrate`` and ``run`` draw it as a bar.
13. ``bills_open`` carries the id and the status, and ``bills_open_kind`` orders open
    bills by kind and time, so Pay links lists the newest open bills and counts them
    without reading their rows.

Why the DDL is SQL text and not ``sqlite_utils.Database.create_table``: CHECK
constraints, composite UNIQUE constraints, partial indexes and triggers cannot be
expressed through it. sqlite-utils does the introspection and the column
additions (:func:`_v2_demo_and_origin`).

``payments.channel`` repeats the bill's kind (or ``subscription``) so that
revenue by kind needs no join; it is written once, with the payment.

Index notes: the UNIQUE constraints are written ``(tracking_id, provider)`` —
the same uniqueness as ``(provider, tracking_id)``, but with tracking_id first the
constraint's own index also serves a lookup by tracking id alone. Partial indexes
(``WHERE status IN (...)``, ``WHERE x IS NOT NULL``) keep the open-items index
tiny however many paid bills there are; queries must repeat the same ``WHERE``
text for SQLite to use them.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from console.errors import LedgerError, SchemaTooNew
from console.ledger._summaries import SUMMARY_SQL, Progress, rebuild


def one_of(column: str, *values: str) -> str:
    """``column = 'a' OR column = 'b' ...`` for a CHECK constraint.

    Not ``column IN ('a', 'b')``: inside a CHECK, SQLite rebuilds the IN list's
    lookup table for every row, which made bulk inserts three times slower.
    """
    return " OR ".join(f"{column} = '{value}'" for value in values)


# Vocabularies as version 1 froze them (a new status needs a new migration).
_V1_PROVIDERS = ("bepaid", "begateway", "payture")
_V1_KINDS = ("card_link", "apm", "payture_bill")
_V1_UNITS = ("hour", "day", "month")
_V1_BILL_STATUSES = (
    "creating",
    "pending",
    "paid",
    "failed",
    "expired",
    "canceled",
    "mismatch",
    "refunded",
)
_V1_SUBSCRIPTION_STATUSES = (
    "creating",
    "pending",
    "trial",
    "active",
    "past_due",
    "failed",
    "error",
    "expired",
    "canceled",
)

_V1_SQL = f"""
CREATE TABLE subscriptions (
    id             INTEGER PRIMARY KEY,
    provider       TEXT    NOT NULL CHECK ({one_of("provider", *_V1_PROVIDERS)}),
    provider_id    TEXT,
    tracking_id    TEXT    NOT NULL CHECK (length(tracking_id) BETWEEN 1 AND 255),
    token          TEXT,
    pay_url        TEXT,
    plan_id        TEXT,
    plan_title     TEXT,
    amount         INTEGER NOT NULL CHECK (amount > 0),
    currency       TEXT    NOT NULL CHECK (length(currency) = 3),
    interval       INTEGER NOT NULL CHECK (interval > 0),
    interval_unit  TEXT    NOT NULL CHECK ({one_of("interval_unit", *_V1_UNITS)}),
    trial_interval INTEGER CHECK (trial_interval > 0),
    trial_unit     TEXT    CHECK ({one_of("trial_unit", *_V1_UNITS)}),
    customer_email TEXT,
    status         TEXT    NOT NULL CHECK ({one_of("status", *_V1_SUBSCRIPTION_STATUSES)}),
    native_status  TEXT,
    test           INTEGER,
    paid_cycles    INTEGER NOT NULL DEFAULT 0 CHECK (paid_cycles >= 0),
    renew_at       INTEGER,
    active_to      INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    canceled_at    INTEGER,
    cancel_reason  TEXT,
    extra_json     TEXT,
    UNIQUE (tracking_id, provider)
);
CREATE INDEX subscriptions_provider_id ON subscriptions (provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX subscriptions_token ON subscriptions (token) WHERE token IS NOT NULL;
CREATE INDEX subscriptions_customer_email ON subscriptions (customer_email)
    WHERE customer_email IS NOT NULL;
CREATE INDEX subscriptions_status
    ON subscriptions (status, currency, interval_unit, interval, amount);
CREATE INDEX subscriptions_open ON subscriptions (created_at)
    WHERE status IN ('creating', 'pending', 'trial', 'active', 'past_due');

CREATE TABLE bills (
    id              INTEGER PRIMARY KEY,
    provider        TEXT    NOT NULL CHECK ({one_of("provider", *_V1_PROVIDERS)}),
    kind            TEXT    NOT NULL CHECK ({one_of("kind", *_V1_KINDS)}),
    tracking_id     TEXT    NOT NULL CHECK (length(tracking_id) BETWEEN 1 AND 255),
    provider_id     TEXT,
    token           TEXT,
    pay_url         TEXT,
    amount          INTEGER NOT NULL CHECK (amount > 0),
    currency        TEXT    NOT NULL CHECK (length(currency) = 3),
    description     TEXT,
    customer_email  TEXT,
    status          TEXT    NOT NULL CHECK ({one_of("status", *_V1_BILL_STATUSES)}),
    native_status   TEXT,
    test            INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    paid_at         INTEGER,
    form_json       TEXT,
    extra_json      TEXT,
    subscription_id INTEGER REFERENCES subscriptions (id),
    UNIQUE (tracking_id, provider)
);
CREATE INDEX bills_provider_id ON bills (provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX bills_token ON bills (token) WHERE token IS NOT NULL;
CREATE INDEX bills_customer_email ON bills (customer_email) WHERE customer_email IS NOT NULL;
CREATE INDEX bills_subscription_id ON bills (subscription_id) WHERE subscription_id IS NOT NULL;
CREATE INDEX bills_status_created ON bills (status, created_at);
CREATE INDEX bills_open ON bills (created_at) WHERE status IN ('creating', 'pending');

CREATE TABLE payments (
    id              INTEGER PRIMARY KEY,
    bill_id         INTEGER REFERENCES bills (id),
    subscription_id INTEGER REFERENCES subscriptions (id),
    provider        TEXT    NOT NULL CHECK ({one_of("provider", *_V1_PROVIDERS)}),
    provider_txn_id TEXT    NOT NULL CHECK (length(provider_txn_id) > 0),
    kind            TEXT    NOT NULL CHECK ({one_of("kind", "charge", "refund")}),
    channel         TEXT    NOT NULL CHECK ({one_of("channel", *_V1_KINDS, "subscription")}),
    amount          INTEGER NOT NULL CHECK ((kind = 'charge' AND amount > 0)
                                         OR (kind = 'refund' AND amount < 0)),
    currency        TEXT    NOT NULL CHECK (length(currency) = 3),
    at              INTEGER NOT NULL,
    UNIQUE (provider, provider_txn_id),
    CHECK (bill_id IS NOT NULL OR subscription_id IS NOT NULL)
);
-- Covering index for revenue: one (currency, provider, channel) series in one
-- bucket is one range search that never reads the table and needs no sort.
CREATE INDEX payments_revenue ON payments (currency, provider, channel, at, amount);
CREATE INDEX payments_bill_id ON payments (bill_id) WHERE bill_id IS NOT NULL;
CREATE INDEX payments_subscription_id ON payments (subscription_id)
    WHERE subscription_id IS NOT NULL;

CREATE TABLE status_events (
    id            INTEGER PRIMARY KEY,
    object_type   TEXT    NOT NULL CHECK ({one_of("object_type", "bill", "subscription")}),
    object_id     INTEGER NOT NULL,
    from_status   TEXT,
    to_status     TEXT    NOT NULL,
    native_status TEXT,
    source        TEXT    NOT NULL CHECK ({one_of("source", "console", "poll", "webhook")}),
    at            INTEGER NOT NULL,
    detail        TEXT
);
CREATE INDEX status_events_object ON status_events (object_type, object_id);
CREATE TRIGGER status_events_no_update BEFORE UPDATE ON status_events
BEGIN
    SELECT RAISE(ABORT, 'status_events is append-only: history cannot be changed');
END;
CREATE TRIGGER status_events_no_delete BEFORE DELETE ON status_events
BEGIN
    SELECT RAISE(ABORT, 'status_events is append-only: history cannot be deleted');
END;

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    object_type TEXT,
    object_id   TEXT,
    outcome     TEXT    NOT NULL CHECK ({one_of("outcome", "ok", "refused", "failed")}),
    detail      TEXT
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id) WHERE object_type IS NOT NULL;
"""


def _v1_initial(db: sqlite_utils.Database) -> None:
    for statement in split_statements(_V1_SQL):
        db.execute(statement)


def _v2_demo_and_origin(db: sqlite_utils.Database) -> None:
    for table in ("bills", "subscriptions", "payments"):
        db.table(table).add_column("demo", int, not_null_default=0)
    db.table("audit_log").add_column("origin", str)
    for table in ("bills", "subscriptions"):
        db.execute(
            f"UPDATE {table} SET customer_email = lower(trim(customer_email))"
            " WHERE customer_email <> lower(trim(customer_email))"
        )


_V3_VERDICTS = ("applied", "duplicate", "stale", "mismatch", "unknown_object", "rejected", "error")

_V3_SQL = f"""
CREATE TABLE notifications (
    id                 INTEGER PRIMARY KEY,
    received_at        INTEGER NOT NULL,
    provider           TEXT    NOT NULL CHECK ({one_of("provider", *_V1_PROVIDERS)}),
    kind               TEXT    CHECK ({one_of("kind", "transaction", "subscription")}),
    object_type        TEXT    CHECK ({one_of("object_type", "bill", "subscription")}),
    object_id          INTEGER,
    provider_object_id TEXT,
    status_reported    TEXT,
    verdict            TEXT    NOT NULL CHECK ({one_of("verdict", *_V3_VERDICTS)}),
    detail             TEXT,
    dedupe_key         TEXT,
    body_sha256        TEXT    CHECK (body_sha256 IS NULL OR length(body_sha256) = 64),
    CHECK ((object_type IS NULL) = (object_id IS NULL))
);
CREATE INDEX notifications_object ON notifications (object_type, object_id)
    WHERE object_type IS NOT NULL;
CREATE INDEX notifications_dedupe_key ON notifications (dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX notifications_verdict ON notifications (verdict, id);
"""


def _v3_notifications(db: sqlite_utils.Database) -> None:
    for statement in split_statements(_V3_SQL):
        db.execute(statement)


_V4_SQL = """
CREATE TABLE console_sessions (
    id           TEXT    PRIMARY KEY CHECK (length(id) = 64),
    user_name    TEXT    NOT NULL,
    method       TEXT    NOT NULL CHECK (method IN ('password', 'sso')),
    role         TEXT    NOT NULL,
    credential   TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ended_at     INTEGER,
    end_reason   TEXT,
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX console_sessions_open ON console_sessions (user_name) WHERE ended_at IS NULL;
CREATE TABLE idempotency_keys (
    key          TEXT    PRIMARY KEY CHECK (length(key) BETWEEN 16 AND 128),
    action       TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL CHECK (length(fingerprint) = 64),
    object_type  TEXT    CHECK (object_type IN ('bill', 'subscription', 'plan', 'refund')),
    object_id    TEXT,
    result       TEXT,
    created_at   INTEGER NOT NULL
);
"""


_V4_AUDIT_SQL = f"""
CREATE TABLE audit_log_v4 (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    object_type TEXT,
    object_id   TEXT,
    outcome     TEXT    NOT NULL CHECK ({one_of("outcome", "ok", "refused", "failed", "started")}),
    detail      TEXT,
    origin      TEXT
);
INSERT INTO audit_log_v4 (id, at, actor, action, object_type, object_id, outcome, detail, origin)
    SELECT id, at, actor, action, object_type, object_id, outcome, detail, origin FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_v4 RENAME TO audit_log;
CREATE INDEX audit_log_object ON audit_log (object_type, object_id) WHERE object_type IS NOT NULL;
"""


def _v4_sessions_and_idempotency(db: sqlite_utils.Database) -> None:
    # The audit log gains the outcome "started": a create or refund is audited when it
    # is recorded, before the provider is called (SQLite changes a CHECK by rebuilding).
    for statement in split_statements(_V4_SQL + _V4_AUDIT_SQL):
        db.execute(statement)


def _v5_last_notice_at(db: sqlite_utils.Database) -> None:
    db.table("subscriptions").add_column("last_notice_at", int)


_V6_BILL_STATUSES = (*_V1_BILL_STATUSES, "partially_refunded")

_V6_SQL = f"""
ALTER TABLE payments ADD COLUMN parent_id INTEGER REFERENCES payments (id);
CREATE INDEX payments_parent_id ON payments (parent_id) WHERE parent_id IS NOT NULL;
CREATE TABLE refunds (
    id              INTEGER PRIMARY KEY,
    payment_id      INTEGER NOT NULL REFERENCES payments (id),
    bill_id         INTEGER REFERENCES bills (id),
    subscription_id INTEGER REFERENCES subscriptions (id),
    provider        TEXT    NOT NULL CHECK ({one_of("provider", *_V1_PROVIDERS)}),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    currency        TEXT    NOT NULL CHECK (length(currency) = 3),
    reason          TEXT    NOT NULL CHECK (length(reason) BETWEEN 1 AND 255),
    status          TEXT    NOT NULL CHECK ({one_of("status", "creating", "succeeded", "failed")}),
    provider_uid    TEXT,
    native_status   TEXT,
    detail          TEXT,
    actor           TEXT    NOT NULL,
    source          TEXT    NOT NULL CHECK ({one_of("source", "console", "poll", "webhook")}),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (provider, provider_uid),
    CHECK (bill_id IS NOT NULL OR subscription_id IS NOT NULL)
);
CREATE INDEX refunds_payment_id ON refunds (payment_id);
CREATE INDEX refunds_creating ON refunds (created_at) WHERE status = 'creating';
"""


def _v6_refunds(db: sqlite_utils.Database) -> None:
    """Refund attempts, refunds linked to their charge, and ``partially_refunded``.

    SQLite changes a CHECK only by rebuilding the table: the bills table is copied into
    one whose status CHECK knows the new word, with every column and index it had.
    """
    _rebuild(
        db,
        "bills",
        lambda sql: sql.replace(
            one_of("status", *_V1_BILL_STATUSES), one_of("status", *_V6_BILL_STATUSES)
        ),
    )
    for statement in split_statements(_V6_SQL):
        db.execute(statement)


_V7_SQL = """
CREATE TABLE poll_schedule (
    object_type TEXT NOT NULL CHECK (object_type IN ('bill', 'subscription')),
    object_id INTEGER NOT NULL,
    last_checked_at INTEGER,
    next_check_at INTEGER NOT NULL,
    PRIMARY KEY (object_type, object_id)
) WITHOUT ROWID;
CREATE TABLE poll_budget (
    provider TEXT PRIMARY KEY,
    tokens_milli INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    paused_until INTEGER
);
CREATE INDEX notifications_received_at ON notifications (received_at);
"""


def _v7_polling(db: sqlite_utils.Database) -> None:
    """The polling schedule (when each open object is next asked about) and the request
    budget per provider that every process sharing the ledger draws from."""
    for statement in split_statements(_V7_SQL):
        db.execute(statement)


_V8_SQL = """
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    object_type TEXT NOT NULL CHECK (object_type IN ('bill', 'subscription')),
    object_id INTEGER NOT NULL,
    provider TEXT NOT NULL,
    provider_uid TEXT NOT NULL,
    native_status TEXT,
    message TEXT,
    code TEXT,
    friendly_message TEXT,
    three_ds TEXT,
    card_brand TEXT,
    card_last4 TEXT CHECK (card_last4 IS NULL OR (length(card_last4) = 4
                                                   AND card_last4 NOT GLOB '*[^0-9]*')),
    method TEXT,
    source TEXT NOT NULL,
    at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (provider, provider_uid)
);
CREATE INDEX attempts_object ON attempts (object_type, object_id, at);
"""


def _v8_attempts(db: sqlite_utils.Database) -> None:
    """What providers said about each try to pay: message, code, 3-D Secure, card brand
    and last four digits (never more), payment method."""
    for statement in split_statements(_V8_SQL):
        db.execute(statement)


_V9_SQL = """
CREATE INDEX refunds_bill_id ON refunds (bill_id) WHERE bill_id IS NOT NULL;
CREATE INDEX refunds_subscription_id ON refunds (subscription_id)
    WHERE subscription_id IS NOT NULL;
CREATE INDEX bills_open_customer ON bills (customer_email)
    WHERE status IN ('creating', 'pending');
CREATE INDEX subscriptions_open_customer ON subscriptions (customer_email)
    WHERE status IN ('creating', 'pending', 'trial', 'active', 'past_due');
CREATE INDEX subscriptions_status_id ON subscriptions (status, id);
"""


def _v9_customers_and_subscription_search(db: sqlite_utils.Database) -> None:
    """Indexes for one customer's view and the subscriptions search (``ledger.customers``,
    ``ledger.subscriptions``): refund attempts by bill and by subscription, a customer's
    open bills and subscriptions (partial: only what is open), subscriptions by state in
    id order (a state's newest page without a sort)."""
    for statement in split_statements(_V9_SQL):
        db.execute(statement)


#: The longest masked payload a notifications row keeps (characters): a real
#: notification is 1-4 KiB; ``console.notices`` keeps none longer.
MAX_PAYLOAD_CHARS = 64 * 1024

_PAYLOADS_SQL = f"""
ALTER TABLE notifications ADD COLUMN payload TEXT
    CHECK (payload IS NULL OR length(payload) <= {MAX_PAYLOAD_CHARS});
ALTER TABLE notifications ADD COLUMN replay_of INTEGER REFERENCES notifications (id);
ALTER TABLE notifications ADD COLUMN actor TEXT
    CHECK ((actor IS NULL) = (replay_of IS NULL) AND (actor IS NULL OR length(actor) <= 255));
CREATE INDEX notifications_provider_object ON notifications (provider_object_id)
    WHERE provider_object_id IS NOT NULL;
CREATE INDEX notifications_provider ON notifications (provider, id);
CREATE INDEX notifications_replay_of ON notifications (replay_of) WHERE replay_of IS NOT NULL;
"""


def _notification_payloads(db: sqlite_utils.Database) -> None:
    """Notifications keep their body, masked (``payload``), and a replay names the row it
    re-ran (``replay_of``) and who asked (``actor``); indexes for the Activity filters
    by provider and by provider id. Rows from before keep no payload."""
    for statement in split_statements(_PAYLOADS_SQL):
        db.execute(statement)


_OPEN_BY_KIND_SQL = """
DROP INDEX IF EXISTS bills_open;
CREATE INDEX bills_open ON bills (created_at, id, status)
    WHERE status IN ('creating', 'pending');
CREATE INDEX bills_open_kind ON bills (kind, created_at, id, status)
    WHERE status IN ('creating', 'pending');
"""


def _open_bills_by_kind(db: sqlite_utils.Database) -> None:
    """Open bills, of every kind or of one, newest first, and their count per status, read
    from these small partial indexes alone (Pay links & forms), never from the bills'
    rows: the open-bills index gains the id and the status (same name, same order)."""
    for statement in split_statements(_OPEN_BY_KIND_SQL):
        db.execute(statement)


def _report_summaries(db: sqlite_utils.Database) -> None:
    for statement in split_statements(SUMMARY_SQL):
        db.execute(statement)


def _fill_summaries(db: sqlite_utils.Database, progress: Progress) -> None:
    rebuild(db.conn, progress)


def _rebuild(db: sqlite_utils.Database, table: str, change: Callable[[str], str]) -> None:
    """Rebuild ``table`` from its own DDL as ``change`` rewrites it, keeping rows, indexes
    and triggers (SQLite's documented steps; :func:`migrate` runs them with foreign keys
    off). Row ids are kept, so an FTS index with this table as its content stays true;
    the copy fires no trigger, so the report summaries stay as they were, right."""
    conn = db.conn
    (ddl,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    new_ddl = change(ddl)
    if new_ddl == ddl:
        return  # a table without the constraint (an early hand-made file): nothing to relax
    kept = [
        row[0]
        for row in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
            " AND tbl_name = ? AND sql IS NOT NULL ORDER BY type = 'trigger'",
            (table,),
        )
    ]
    columns = ", ".join(f'"{column}"' for column in db.table(table).columns_dict)
    rebuilt = f"{table}_rebuilt"
    # SQLite stores a renamed table's DDL with its name quoted: CREATE TABLE "bills" (...
    named = re.sub(rf'^CREATE TABLE ("?){table}\1\s', f"CREATE TABLE {rebuilt} ", new_ddl, count=1)
    if named == new_ddl:
        raise LedgerError(f"Cannot rebuild {table}: its DDL does not start as expected.")
    conn.execute(named)
    conn.execute(f"INSERT INTO {rebuilt} ({columns}) SELECT {columns} FROM {table}")
    conn.execute(f"DROP TABLE {table}")
    conn.execute(f"ALTER TABLE {rebuilt} RENAME TO {table}")
    for statement in kept:
        conn.execute(statement)


@dataclass(frozen=True)
class Migration:
    """One forward step; applying it turns schema version ``version - 1`` into ``version``.

    ``fill``, when set, runs after ``apply``: a step that reads every row (filling a new
    table from the old ones) and reports how far it has got.
    """

    version: int
    summary: str
    apply: Callable[[sqlite_utils.Database], None]
    fill: Callable[[sqlite_utils.Database, Progress], None] | None = None


_EXPLORER_SQL = """
DROP INDEX IF EXISTS bills_status_created;
CREATE INDEX bills_status_created
    ON bills (status, created_at, id, provider, kind, currency, amount);
CREATE INDEX bills_explore_created
    ON bills (created_at, id, status, provider, kind, currency, amount);
CREATE INDEX bills_explore_amount
    ON bills (currency, amount, id, created_at, status, provider, kind);
CREATE VIRTUAL TABLE bills_text USING fts5(
    description, content = 'bills', content_rowid = 'id', columnsize = 0,
    tokenize = "unicode61 remove_diacritics 2"
);
CREATE VIRTUAL TABLE bills_text_terms USING fts5vocab(bills_text, 'row');
"""

#: The triggers that keep ``bills_text`` equal to the bills' descriptions (the bulk path
#: drops them while it loads and rebuilds the index once at the end).
TEXT_TRIGGERS_SQL = """
CREATE TRIGGER bills_text_insert AFTER INSERT ON bills WHEN new.description IS NOT NULL
BEGIN
    INSERT INTO bills_text (rowid, description) VALUES (new.id, new.description);
END;
CREATE TRIGGER bills_text_delete AFTER DELETE ON bills WHEN old.description IS NOT NULL
BEGIN
    INSERT INTO bills_text (bills_text, rowid, description)
        VALUES ('delete', old.id, old.description);
END;
CREATE TRIGGER bills_text_update AFTER UPDATE OF description ON bills
BEGIN
    INSERT INTO bills_text (bills_text, rowid, description)
        SELECT 'delete', old.id, old.description WHERE old.description IS NOT NULL;
    INSERT INTO bills_text (rowid, description)
        SELECT new.id, new.description WHERE new.description IS NOT NULL;
END;
"""
TEXT_TRIGGERS = ("bills_text_insert", "bills_text_delete", "bills_text_update")
#: Refills ``bills_text`` from the bills' descriptions (FTS5's own command).
REBUILD_TEXT_SQL = "INSERT INTO bills_text (bills_text) VALUES ('rebuild')"


# Named by what it does, not by its number: another branch may take number 7 first.
def _explorer_indexes(db: sqlite_utils.Database) -> None:
    for statement in split_statements(_EXPLORER_SQL + TEXT_TRIGGERS_SQL):
        db.execute(statement)
    db.execute(REBUILD_TEXT_SQL)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "bills, subscriptions, payments, status events, audit log", _v1_initial),
    Migration(2, "demo flags, audit origin, lower-cased e-mails", _v2_demo_and_origin),
    Migration(3, "notifications received, with their verdicts", _v3_notifications),
    Migration(
        4,
        "sign-in sessions, idempotency keys, audited attempts",
        _v4_sessions_and_idempotency,
    ),
    Migration(5, "time of the newest subscription notice applied", _v5_last_notice_at),
    Migration(6, "refunds: attempts, links to their charge, partially_refunded", _v6_refunds),
    Migration(7, "polling schedule and per-provider request budget", _v7_polling),
    Migration(8, "attempts: why a payment failed, in the provider's words", _v8_attempts),
    Migration(
        9,
        "indexes for the customer view and the subscriptions search",
        _v9_customers_and_subscription_search,
    ),
    Migration(
        10, "payments explorer: time and amount indexes, description search", _explorer_indexes
    ),
    Migration(11, "notification payloads (masked) and replays", _notification_payloads),
    Migration(
        12, "report summaries per UTC day and quarter-hour", _report_summaries, _fill_summaries
    ),
    Migration(13, "open bills by kind, newest first, from the index alone", _open_bills_by_kind),
)

#: The schema version this console writes.
SCHEMA_VERSION = MIGRATIONS[-1].version


def split_statements(script: str) -> list[str]:
    """Split an SQL script into statements (trigger bodies stay whole).

    ``executescript`` would COMMIT first, breaking the one-transaction migration.
    """
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement: {pending.strip()[:60]!r}")
    return statements


def user_version(conn: sqlite3.Connection) -> int:
    """The file's schema version (0 for a new, empty file)."""
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def migrate(conn: sqlite3.Connection, path: Path, progress: Progress | None = None) -> int:
    """Bring the file at ``path`` to :data:`SCHEMA_VERSION`; return the version found.

    ``progress(what, done, total)`` is called as a long step (a ``fill``) moves.

    Raises:
        SchemaTooNew: the file was written by a newer console.
        LedgerError: the file is a SQLite database that is not a ledger, or a
            migration failed (nothing was changed).
    """
    found = user_version(conn)
    _refuse_newer(found, path)
    if found == SCHEMA_VERSION:
        return found
    # Some steps rebuild a table that others refer to (SQLite's documented way to change
    # a constraint): foreign keys are off while they run and checked before COMMIT.
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while this one waited for the lock.
        found = user_version(conn)
        _refuse_newer(found, path)
        db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
        if found == 0 and db.table_names():
            raise LedgerError(
                f"{path} is a SQLite database but not a Merchant Console ledger "
                f"(it has tables {', '.join(sorted(db.table_names())[:5])} and no schema version)."
            )
        for migration in MIGRATIONS[found:]:
            migration.apply(db)
            if migration.fill is not None:
                migration.fill(db, progress or _quietly)
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise sqlite3.IntegrityError(f"{len(broken)} rows would lose what they refer to")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        _rollback(conn)
        raise LedgerError(
            f"Could not migrate the ledger at {path} to version "
            f"{SCHEMA_VERSION}: {exc}. The file was not changed."
        ) from exc
    except BaseException:
        _rollback(conn)
        raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    return found


def _quietly(what: str, done: int, total: int) -> None:
    """A progress report nobody asked for."""


def _refuse_newer(found: int, path: Path) -> None:
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"The ledger at {path} has schema version {found}, but this console knows "
            f"versions up to {SCHEMA_VERSION}. Upgrade the console, or open another ledger file."
        )


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")
