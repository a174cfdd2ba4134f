"""Opening a ledger: a new file is set up, a bad file is refused with a message naming it."""

from __future__ import annotations

import sqlite3

import pytest

import console.ledger
from console.errors import LedgerError, SchemaTooNew
from console.ledger import SCHEMA_VERSION, Ledger


def test_new_file_is_created_with_the_current_schema_in_a_new_folder(tmp_path):
    path = tmp_path / "data" / "ledger.db"
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        assert ledger.found_version == 0
        tables = {
            row[0]
            for row in ledger.connection().execute(
                "SELECT name FROM sqlite_master WHERE type='table'"
            )
        }
    assert {"bills", "subscriptions", "payments", "status_events", "audit_log"} <= tables
    assert path.exists()


def test_connection_settings_survive_a_reopen(tmp_path):
    Ledger(tmp_path / "l.db").close()
    with Ledger(tmp_path / "l.db") as ledger:
        conn = ledger.connection()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
        assert ledger.found_version == SCHEMA_VERSION


@pytest.mark.parametrize(
    "content",
    [b"this is a CSV export, not a ledger\n" * 100, bytes(range(256)) * 20],
    ids=["text", "binary"],
)
def test_a_file_that_is_not_a_database_is_refused_naming_the_path(tmp_path, content):
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(LedgerError) as caught:
        Ledger(path)
    assert str(path) in caught.value.message
    assert "not a SQLite database" in caught.value.message
    assert path.read_bytes() == content  # left untouched


def test_a_foreign_sqlite_database_is_refused_not_migrated(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="not a Merchant Console ledger") as caught:
        Ledger(path)
    assert str(path) in caught.value.message
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["customers"]
    conn.close()


def test_a_newer_schema_raises_schema_too_new(tmp_path):
    path = tmp_path / "future.db"
    Ledger(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew) as caught:
        Ledger(path)
    assert str(path) in caught.value.message
    assert f"version {SCHEMA_VERSION + 1}" in caught.value.message


def test_a_directory_is_not_a_ledger_path(tmp_path):
    with pytest.raises(LedgerError, match="is a directory"):
        Ledger(tmp_path)


def test_public_names_are_exactly_the_exported_ones():
    exported = set(console.ledger.__all__)
    public = {name for name in vars(console.ledger) if not name.startswith("_")}
    modules = {"annotations"}  # from __future__
    assert exported == public - modules
    assert all(hasattr(console.ledger, name) for name in exported)


@pytest.mark.parametrize("path", [":memory:", "file:ledger?mode=memory"])
def test_an_in_memory_ledger_is_refused_because_threads_would_not_share_it(path):
    with pytest.raises(LedgerError, match="file path"):
        Ledger(path)
