"""Schema migrations: a version-1 file written by an older console opens with its data intact."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlite_utils

from console.errors import LedgerError
from console.ledger import SCHEMA_VERSION, Ledger, NewBill, PaymentFilter, _schema
from console.status import BillStatus
from tests.support.summaries import (
    assert_summaries_match_raw,
    outcome_counts,
    raw_outcome_counts,
    raw_revenue_rows,
)

# The shape an older console wrote: no demo flags, no audit origin, and e-mails
# stored as the customer typed them. Written out here, not taken from the code,
# so that a later edit of the migration cannot silently change what "v1" means.
V1_FILE_SQL = """
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY, provider TEXT NOT NULL, provider_id TEXT,
    tracking_id TEXT NOT NULL, token TEXT, pay_url TEXT, plan_id TEXT, plan_title TEXT,
    amount INTEGER NOT NULL, currency TEXT NOT NULL, interval INTEGER NOT NULL,
    interval_unit TEXT NOT NULL, trial_interval INTEGER, trial_unit TEXT, customer_email TEXT,
    status TEXT NOT NULL, native_status TEXT, test INTEGER,
    paid_cycles INTEGER NOT NULL DEFAULT 0, renew_at INTEGER, active_to INTEGER,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, canceled_at INTEGER,
    cancel_reason TEXT, extra_json TEXT, UNIQUE (tracking_id, provider));
CREATE TABLE bills (
    id INTEGER PRIMARY KEY, provider TEXT NOT NULL, kind TEXT NOT NULL,
    tracking_id TEXT NOT NULL, provider_id TEXT, token TEXT, pay_url TEXT,
    amount INTEGER NOT NULL, currency TEXT NOT NULL, description TEXT, customer_email TEXT,
    status TEXT NOT NULL, native_status TEXT, test INTEGER, created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL, expires_at INTEGER, paid_at INTEGER, form_json TEXT,
    extra_json TEXT, subscription_id INTEGER REFERENCES subscriptions (id),
    UNIQUE (tracking_id, provider));
CREATE INDEX bills_customer_email ON bills (customer_email) WHERE customer_email IS NOT NULL;
CREATE TABLE payments (
    id INTEGER PRIMARY KEY, bill_id INTEGER REFERENCES bills (id),
    subscription_id INTEGER REFERENCES subscriptions (id), provider TEXT NOT NULL,
    provider_txn_id TEXT NOT NULL, kind TEXT NOT NULL, channel TEXT NOT NULL,
    amount INTEGER NOT NULL, currency TEXT NOT NULL, at INTEGER NOT NULL,
    UNIQUE (provider, provider_txn_id));
CREATE TABLE status_events (
    id INTEGER PRIMARY KEY, object_type TEXT NOT NULL, object_id INTEGER NOT NULL,
    from_status TEXT, to_status TEXT NOT NULL, native_status TEXT, source TEXT NOT NULL,
    at INTEGER NOT NULL, detail TEXT);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    object_type TEXT, object_id TEXT, outcome TEXT NOT NULL, detail TEXT);
INSERT INTO bills VALUES (7, 'payture', 'payture_bill', 'order-7', 'bill-77', 'sess-7',
    'https://payture.com/apim/Pay?SessionId=sess-7', 5000, 'RUB', 'Gift card',
    'Olga.Petrova@Example.COM', 'paid', 'DONE', 1, 1767225600000, 1767229200000, NULL,
    1767229200000, NULL, '{"gift":{"code":"X1"}}', NULL);
INSERT INTO payments VALUES (1, 7, NULL, 'payture', 'bill-77', 'charge', 'payture_bill',
    5000, 'RUB', 1767229200000);
INSERT INTO status_events VALUES (1, 'bill', 7, NULL, 'pending', 'PENDING', 'console',
    1767225600000, NULL);
INSERT INTO status_events VALUES (2, 'bill', 7, 'pending', 'paid', 'DONE', 'webhook',
    1767229200000, NULL);
INSERT INTO audit_log VALUES (1, 1767225600000, 'ann', 'create_bill', 'bill', '7', 'ok', NULL);
PRAGMA user_version = 1;
"""


@pytest.fixture
def v1_file(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(V1_FILE_SQL)
    conn.close()
    return path


def _columns(conn, table):
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_v1_file_migrates_with_its_data_intact(v1_file):
    with Ledger(v1_file) as ledger:
        assert ledger.found_version == 1
        assert ledger.schema_version == SCHEMA_VERSION
        bill = ledger.get_bill(7)
        assert bill.status is BillStatus.PAID
        assert (bill.amount, bill.currency, bill.native_status) == (5000, "RUB", "DONE")
        assert bill.extra == {"gift": {"code": "X1"}}
        assert bill.demo is False
        assert bill.customer_email == "olga.petrova@example.com"
        assert [e.to_status for e in ledger.history("bill", 7)] == ["pending", "paid"]
        assert [p.amount for p in ledger.payments_of("bill", 7)] == [5000]
        assert ledger.recent_audit()[0].origin is None


def test_v1_e_mails_become_findable_in_any_case(v1_file):
    with Ledger(v1_file) as ledger:
        assert [b.id for b in ledger.lookup("OLGA.petrova@example.com").bills] == [7]


def test_migrated_file_gets_the_columns_a_new_file_has(v1_file, tmp_path):
    with Ledger(v1_file) as old, Ledger(tmp_path / "new.db") as new:
        for table in ("bills", "subscriptions", "payments", "audit_log"):
            assert _columns(old.connection(), table) == _columns(new.connection(), table)


def test_a_migrated_subscription_has_no_notice_time_yet(v1_file):
    conn = sqlite3.connect(v1_file)
    conn.execute(
        "INSERT INTO subscriptions (id, provider, tracking_id, amount, currency, interval,"
        " interval_unit, status, created_at, updated_at) VALUES (3, 'bepaid', 'sub-3', 500,"
        " 'USD', 1, 'month', 'past_due', 1767225600000, 1767225600000)"
    )
    conn.commit()
    conn.close()
    with Ledger(v1_file) as ledger:
        sub = ledger.get_subscription(3)
        assert (sub.status.value, sub.last_notice_at) == ("past_due", None)


def test_migrated_file_accepts_new_writes(v1_file):
    with Ledger(v1_file) as ledger:
        bill_id = ledger.create_bill(
            NewBill(
                provider="payture",
                kind="payture_bill",
                tracking_id="order-8",
                amount=100,
                currency="RUB",
                demo=True,
            )
        )
        assert bill_id == 8
        assert ledger.get_bill(bill_id).demo is True


def test_a_failing_migration_leaves_the_file_untouched(v1_file, monkeypatch):
    def broken(db):
        db.execute("ALTER TABLE bills ADD COLUMN half_done INTEGER")
        db.execute("this is not SQL")

    monkeypatch.setattr(
        _schema, "MIGRATIONS", (*_schema.MIGRATIONS[:1], _schema.Migration(2, "broken", broken))
    )
    with pytest.raises(LedgerError, match="was not changed") as caught:
        Ledger(v1_file)
    assert str(v1_file) in caught.value.message
    conn = sqlite3.connect(v1_file)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "half_done" not in _columns(conn, "bills")
    assert conn.execute("SELECT customer_email FROM bills").fetchone()[0].startswith("Olga")
    conn.close()


def test_migrations_are_numbered_in_order():
    assert [m.version for m in _schema.MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))


def test_a_v5_ledger_with_paid_bills_gains_refunds_and_keeps_every_row(tmp_path, monkeypatch):
    """Version 6 rebuilds the bills table (its status CHECK learns partially_refunded)
    under rows that other tables refer to: every row, index and reference survives."""
    path = tmp_path / "v5.db"
    with monkeypatch.context() as patch:
        patch.setattr(_schema, "MIGRATIONS", _schema.MIGRATIONS[:5])
        patch.setattr(_schema, "SCHEMA_VERSION", 5)
        with Ledger(path) as old:
            bill_id = old.create_bill(
                NewBill(
                    provider="bepaid",
                    kind="card_link",
                    tracking_id="o-1",
                    amount=700,
                    currency="EUR",
                    status=BillStatus.PENDING,
                )
            )
            old.record_payment(
                provider="bepaid",
                provider_txn_id="t-1",
                amount=700,
                currency="EUR",
                at=datetime(2026, 5, 1, tzinfo=UTC),
                bill_id=bill_id,
            )
            old.record_bill_status(bill_id, BillStatus.PAID, "successful", "webhook")
    with Ledger(path) as ledger:
        assert ledger.found_version == 5 and ledger.schema_version == SCHEMA_VERSION
        assert ledger.get_bill(bill_id).status == BillStatus.PAID
        assert [p.amount for p in ledger.payments_of("bill", bill_id)] == [700]
        conn = ledger.connection()
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        indexes = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name='bills'")
        }
        assert {"bills_open", "bills_token", "bills_status_created"} <= indexes
        ledger.record_bill_status(bill_id, BillStatus.PARTIALLY_REFUNDED, None, "console")
        assert ledger.get_bill(bill_id).status == BillStatus.PARTIALLY_REFUNDED


def test_a_v6_ledger_gains_an_empty_polling_schedule_and_budget(tmp_path, monkeypatch):
    path = tmp_path / "v6.db"
    with monkeypatch.context() as patch:
        patch.setattr(_schema, "MIGRATIONS", _schema.MIGRATIONS[:6])
        patch.setattr(_schema, "SCHEMA_VERSION", 6)
        with Ledger(path) as ledger:
            new = {"provider": "bepaid", "kind": "card_link", "tracking_id": "o"}
            bill = ledger.create_bill(NewBill(**new, amount=5, currency="BYN"))
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        now = ledger.get_bill(bill).created_at
        assert [item.ref for item in ledger.polling.due(now)] == [f"B{bill}"]  # never checked
        assert ledger.polling.take("bepaid", 3, rate=1, burst=2, now=now) == 2  # a full bucket


def test_a_v8_ledger_gains_the_customer_and_search_indexes(tmp_path, monkeypatch):
    """Version 9 adds indexes only: a v8 file with a customer's bills, a refund attempt and
    subscriptions keeps every row, and the customer's reads find them through the new ones."""
    path = tmp_path / "v8.db"
    with monkeypatch.context() as patch:
        patch.setattr(_schema, "MIGRATIONS", _schema.MIGRATIONS[:8])
        patch.setattr(_schema, "SCHEMA_VERSION", 8)
        with Ledger(path) as old:
            bill_id = old.create_bill(
                NewBill(
                    provider="bepaid",
                    kind="card_link",
                    tracking_id="o-1",
                    amount=700,
                    currency="EUR",
                    customer_email="Olga@Example.com",
                    status=BillStatus.PENDING,
                )
            )
            old.record_payment(
                provider="bepaid",
                provider_txn_id="t-1",
                amount=700,
                currency="EUR",
                at=datetime(2026, 5, 1, tzinfo=UTC),
                bill_id=bill_id,
            )
            [charge] = old.payments_of("bill", bill_id)
            old.refunds.start(charge, 200, "Broken cup", actor="ann")
            open_bill = old.create_bill(
                NewBill(
                    provider="bepaid",
                    kind="card_link",
                    tracking_id="o-2",
                    amount=300,
                    currency="EUR",
                    customer_email="olga@example.com",
                    status=BillStatus.PENDING,
                )
            )
            old.record_bill_status(bill_id, BillStatus.PAID, "successful", "webhook")
        indexes_before = _index_names(path)
    with Ledger(path) as ledger:
        assert (ledger.found_version, ledger.schema_version) == (8, SCHEMA_VERSION)
        added = _index_names(path) - indexes_before
        assert {
            "refunds_bill_id",
            "refunds_subscription_id",
            "bills_open_customer",
            "subscriptions_open_customer",
            "subscriptions_status_id",
        } <= added  # later versions add their own
        summary = ledger.customers.summary("OLGA@example.com")
        assert (summary.bills, summary.open_bills, summary.refunds_being_confirmed) == (2, 1, 1)
        assert [b.id for b in ledger.customers.open_bills("olga@example.com")] == [open_bill]
        assert [r.amount for r in ledger.customers.refunds("olga@example.com").rows] == [200]
        assert ledger.connection().execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _index_names(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    finally:
        conn.close()


def test_a_v9_ledger_gains_the_explorer_indexes_and_finds_its_old_descriptions(
    tmp_path, monkeypatch
):
    """Version 10: the explorer's covering indexes, the status index widened under the
    same name, and the description search filled from the bills already there."""
    path = tmp_path / "v9.db"
    with monkeypatch.context() as patch:
        patch.setattr(_schema, "MIGRATIONS", _schema.MIGRATIONS[:9])
        patch.setattr(_schema, "SCHEMA_VERSION", 9)
        with Ledger(path) as old:
            for number, words in enumerate(("Blue teapot", "Green kettle", None)):
                old.create_bill(
                    NewBill(provider="bepaid", kind="card_link", tracking_id=f"o-{number}",
                            amount=700, currency="EUR", description=words)
                )  # fmt: skip
    with Ledger(path) as ledger:
        assert ledger.found_version == 9 and ledger.schema_version == SCHEMA_VERSION
        conn = ledger.connection()
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {
            "bills_explore_created",
            "bills_explore_amount",
            "bills_status_created",
            "bills_text",
            "bills_text_terms",
            *_schema.TEXT_TRIGGERS,
        } <= names
        status_columns = [r[2] for r in conn.execute("PRAGMA index_info(bills_status_created)")]
        assert status_columns[:2] == ["status", "created_at"]  # what Revenue's outcomes seek
        found = ledger.explorer.page(PaymentFilter(text="teapot")).rows
        assert [row.description for row in found] == ["Blue teapot"]
        new = ledger.create_bill(
            NewBill(provider="bepaid", kind="card_link", tracking_id="o-9", amount=1,
                    currency="EUR", description="Red teapot")
        )  # fmt: skip
        assert {r.id for r in ledger.explorer.page(PaymentFilter(text="teapot")).rows} == {1, new}
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute(
            "INSERT INTO bills_text (bills_text) VALUES ('integrity-check')"
        ).rowcount in (-1, 0, 1)  # FTS5 raises here when its index disagrees with bills


def test_rebuilding_the_bills_table_keeps_the_description_search(tmp_path):
    """A later migration that rebuilds ``bills`` (as version 6 did) keeps its triggers,
    so descriptions written afterwards are still found."""
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.create_bill(
            NewBill(provider="bepaid", kind="card_link", tracking_id="o-1", amount=1,
                    currency="EUR", description="Old lamp")
        )  # fmt: skip
        conn = ledger.connection()
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("BEGIN IMMEDIATE")
        db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
        stored = "SELECT sql, rootpage FROM sqlite_master WHERE name = 'bills'"
        ddl, page = conn.execute(stored).fetchone()
        assert ddl.startswith('CREATE TABLE "bills"')  # as version 6's rebuild left it
        _schema._rebuild(db, "bills", lambda sql: sql + " ")  # any change rebuilds it
        assert conn.execute(stored).fetchone()[1] != page  # a new table
        conn.execute("COMMIT")
        conn.execute("PRAGMA foreign_keys = ON")
        triggers = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        assert set(_schema.TEXT_TRIGGERS) <= triggers
        new = ledger.create_bill(
            NewBill(provider="bepaid", kind="card_link", tracking_id="o-2", amount=1,
                    currency="EUR", description="New lamp")
        )  # fmt: skip
        assert {r.id for r in ledger.explorer.page(PaymentFilter(text="lamp")).rows} == {1, new}


def test_notifications_recorded_before_payloads_were_kept_gain_the_columns_empty(
    tmp_path, monkeypatch
):
    """The payload migration adds payload, replay_of and actor to a ledger whose
    notifications were recorded without them: the rows stay, with nothing to replay."""
    step = next(
        i for i, m in enumerate(_schema.MIGRATIONS) if m.apply is _schema._notification_payloads
    )
    path = tmp_path / "before-payloads.db"
    with monkeypatch.context() as patch:
        patch.setattr(_schema, "MIGRATIONS", _schema.MIGRATIONS[:step])
        patch.setattr(_schema, "SCHEMA_VERSION", _schema.MIGRATIONS[step - 1].version)
        with Ledger(path) as old:
            with old.write() as conn:
                conn.execute(
                    "INSERT INTO notifications (received_at, provider, kind, verdict,"
                    " provider_object_id, dedupe_key) VALUES (1767225600000, 'bepaid',"
                    " 'transaction', 'applied', 'uid-1', 'bepaid:transaction:uid-1:successful')"
                )
            assert "payload" not in _columns(old.connection(), "notifications")
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        (old_row,) = ledger.recent_notifications()
        kept = ledger.notifications.get(old_row.id)
        assert (kept.payload, kept.replay_of, kept.actor, kept.source) == (
            None,
            None,
            None,
            "provider",
        )
        replay = ledger.record_notification(
            provider="bepaid", verdict="duplicate", replay_of=old_row.id, actor="ann"
        )
        assert [r.id for r in ledger.notifications.replays_of(old_row.id)] == [replay]
        conn = ledger.connection()
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {r[1] for r in conn.execute("PRAGMA index_list(notifications)")}
        assert {"notifications_provider", "notifications_provider_object"} <= indexes


def test_a_v6_ledger_gains_report_summaries_equal_to_its_rows_with_progress(tmp_path, monkeypatch):
    """Version 12 creates the summaries and fills them from the payments and bills already
    there, reporting how far it has got; reports then give the raw answers."""
    path = tmp_path / "v6.db"
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with monkeypatch.context() as patch:
        patch.setattr(_schema, "MIGRATIONS", _schema.MIGRATIONS[:6])
        patch.setattr(_schema, "SCHEMA_VERSION", 6)
        with Ledger(path) as old:
            for number in range(40):
                at = start + timedelta(hours=37 * number, minutes=number)
                bill_id = old.create_bill(
                    NewBill(
                        provider="bepaid",
                        kind="card_link",
                        tracking_id=f"o-{number}",
                        amount=100 + number,
                        currency=("EUR", "BYN")[number % 2],
                        status=BillStatus.PENDING,
                        at=at,
                    )
                )
                if number % 3:
                    old.record_bill_status(bill_id, BillStatus.FAILED, None, "poll", at=at)
                    continue
                old.record_payment(
                    provider="bepaid",
                    provider_txn_id=f"t-{number}",
                    amount=100 + number,
                    currency=("EUR", "BYN")[number % 2],
                    at=at + timedelta(minutes=5),
                    bill_id=bill_id,
                )
                old.record_bill_status(bill_id, BillStatus.PAID, None, "poll", at=at)
                if number % 2 == 0:
                    charge = old.payments_of("bill", bill_id)[0]
                    attempt = old.refunds.start(charge, 50, "asked", actor="olga")
                    old.refunds.succeed(
                        attempt, provider_uid=f"r-{number}", native_status=None, at=at
                    )
            assert old.schema_version == 6
            assert "revenue_days" not in {
                row[0] for row in old.connection().execute("SELECT name FROM sqlite_master")
            }
    heard: list[tuple[str, int, int]] = []
    with Ledger(path, progress=lambda what, done, total: heard.append((what, done, total))) as new:
        assert (new.found_version, new.schema_version) == (6, SCHEMA_VERSION)
        assert_summaries_match_raw(new)
        rows = new.connection().execute(
            "SELECT (SELECT count(*) FROM payments) + (SELECT count(*) FROM bills)"
        )
        raw_rows = rows.fetchone()[0]
        for tz in ("Europe/Minsk", "Asia/Kathmandu"):
            for bucket in ("day", "week"):
                window = {"start": date(2026, 3, 1), "end": date(2026, 6, 1)}
                assert new.revenue(bucket, tz, **window) == raw_revenue_rows(
                    new, bucket, tz, **window
                )
                assert outcome_counts(new, bucket, tz, **window) == raw_outcome_counts(
                    new, bucket, tz, **window
                )
    assert heard, "the fill reported no progress"
    assert {what for what, _, _ in heard} == {"report summaries"}
    assert {total for _, _, total in heard} == {raw_rows}
    done = [done for _, done, _ in heard]
    assert done == sorted(done) and done[-1] == raw_rows
    reports = len(heard)
    with Ledger(path, progress=lambda *report: heard.append(report)):
        pass
    assert len(heard) == reports  # an up-to-date file migrates nothing, reports nothing


def test_a_v12_ledger_lists_its_open_bills_from_the_indexes_alone(tmp_path, monkeypatch):
    """Version 13 widens the open-bills index (same name) and adds one by kind: the open
    bills of a file written before are listed newest first, the paid one left out."""
    path = tmp_path / "v12.db"
    with monkeypatch.context() as patch:
        patch.setattr(_schema, "MIGRATIONS", _schema.MIGRATIONS[:12])
        patch.setattr(_schema, "SCHEMA_VERSION", 12)
        with Ledger(path) as old:
            made = {}
            for number, kind in enumerate(("card_link", "apm", "card_link", "payture_bill")):
                provider = {"card_link": "bepaid", "apm": "begateway"}.get(kind, "payture")
                made[number] = old.create_bill(
                    NewBill(
                        provider=provider,
                        kind=kind,
                        tracking_id=f"o-{number}",
                        amount=100,
                        currency="BYN",
                        status=BillStatus.PENDING,
                        at=datetime(2026, 5, 1, tzinfo=UTC) + timedelta(hours=number),
                    )
                )
            old.record_bill_status(made[2], BillStatus.PAID, "successful", "poll")
    with Ledger(path) as ledger:
        assert (ledger.found_version, ledger.schema_version) == (12, SCHEMA_VERSION)
        assert ledger.open_bill_ids(limit=10) == [made[3], made[1], made[0]]
        assert ledger.open_bill_ids("card_link", limit=10) == [made[0]]
        conn = ledger.connection()
        columns = [r[2] for r in conn.execute("PRAGMA index_info(bills_open)")]
        assert columns == ["created_at", "id", "status"]
        assert "bills_open_kind" in _index_names(path)
