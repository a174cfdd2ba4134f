"""SQLite connections for the ledger: one per thread, WAL, and a write lock taken up front.

Settings every connection gets, and why:

* ``journal_mode=WAL`` (stored in the file): readers never block the writer and
  the writer never blocks readers, so a page can render while the webhook
  receiver records a payment.
* ``busy_timeout`` (10 s by default): a writer that finds the write lock taken
  waits for it inside SQLite instead of failing with "database is locked".
* ``synchronous=NORMAL``: in WAL mode a commit appends to the WAL file and the
  WAL is fsynced at checkpoints, not at every commit. A killed *process* loses
  nothing: committed frames are already in the operating system's page cache and
  the WAL is replayed when the file is next opened. Only a power cut or a kernel
  crash can lose the last few commits — never corrupt the file. That trade is
  right for a console whose provider remains the source of truth.
* ``foreign_keys=ON``: SQLite leaves it off by default, per connection.

Threads: a connection is never shared. Streamlit runs every rerun on a new
thread, so each thread lazily opens its own (``threading.local``) and the
connection is closed when that thread ends, instead of leaking one per rerun.

Writes: :meth:`ThreadConnections.write` starts with ``BEGIN IMMEDIATE``. A
deferred ``BEGIN`` that reads first and writes later must *upgrade* its lock,
and in WAL mode a writer that lost that race gets SQLITE_BUSY at once — the
busy timeout cannot help, because waiting would not make its snapshot current.
Taking the write lock before the first read means a writer only ever waits, so
no caller needs a retry loop for "database is locked".
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from console.errors import LedgerError

#: Page cache per connection, in KiB (negative cache_size means KiB in SQLite).
CACHE_KIB = 16 * 1024


class _Handle:
    """One thread's connection and its write nesting depth."""

    __slots__ = ("__weakref__", "conn", "depth", "finalizer")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.depth = 0
        # Runs when the owning thread ends (its thread-local storage is dropped)
        # or when the ledger is closed, whichever comes first.
        self.finalizer = weakref.finalize(self, conn.close)


class ThreadConnections:
    """Lazily opened, per-thread connections to one ledger file."""

    def __init__(self, path: Path, *, busy_timeout: float) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._handles: weakref.WeakSet[_Handle] = weakref.WeakSet()
        self._lock = threading.Lock()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        return self._handle().conn

    @property
    def open_count(self) -> int:
        """How many connections are open right now (threads that ended are not counted)."""
        with self._lock:
            return sum(1 for handle in self._handles if handle.finalizer.alive)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """Run the block as one write transaction; commit on success, roll back on error.

        Nested use on the same thread joins the outer transaction through a
        savepoint: an error inside the inner block undoes only that block (if
        the caller catches it), and nothing is committed until the outer block ends.

        Raises:
            LedgerError: the write lock was not free within the busy timeout.
        """
        handle = self._handle()
        conn = handle.conn
        if handle.depth:
            yield from _savepoint(handle)
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(
                f"The ledger at {self.path} stayed locked by another writer for more than "
                f"{self.busy_timeout:g} s ({exc})."
            ) from exc
        handle.depth = 1
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            handle.depth = 0

    def close(self) -> None:
        """Close every connection this ledger opened; threads reopen on next use."""
        with self._lock:
            handles = list(self._handles)
        for handle in handles:
            handle.finalizer()

    def _handle(self) -> _Handle:
        handle: _Handle | None = getattr(self._local, "handle", None)
        if handle is None or not handle.finalizer.alive:
            handle = _Handle(open_connection(self.path, busy_timeout=self.busy_timeout))
            self._local.handle = handle
            with self._lock:
                self._handles.add(handle)
        return handle


def _savepoint(handle: _Handle) -> Iterator[sqlite3.Connection]:
    conn = handle.conn
    name = f"ledger_write_{handle.depth}"
    conn.execute(f"SAVEPOINT {name}")
    handle.depth += 1
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
        raise
    else:
        conn.execute(f"RELEASE {name}")
    finally:
        handle.depth -= 1


@contextmanager
def read_snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """Run the block's SELECTs on one snapshot of the file (a deferred read transaction),
    so a report made of several statements never sees half of a write. Inside a write
    transaction the block simply joins it."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def open_connection(path: Path, *, busy_timeout: float) -> sqlite3.Connection:
    """Open ``path`` with the ledger's settings (see the module docstring).

    ``isolation_level=None`` turns off the sqlite3 module's implicit BEGIN, so
    transactions are exactly the ones :meth:`ThreadConnections.write` opens.
    ``check_same_thread=False`` only lets a finished thread's connection be
    closed from the thread that collects it; it is never used concurrently.

    Raises:
        LedgerError: the file cannot be opened or is not a SQLite database.
    """
    try:
        conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise LedgerError(f"Cannot open the ledger at {path}: {exc}.") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute("PRAGMA temp_store = MEMORY")
        # Reading the header is what fails on a file that is not a database.
        conn.execute("PRAGMA user_version").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise LedgerError(
            f"The ledger file {path} is not a SQLite database ({exc}). "
            "Point MERCHANT_CONSOLE_LEDGER at a ledger file, or at a new path to start one."
        ) from exc
    conn.row_factory = sqlite3.Row
    return conn


def enable_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Switch the file to WAL mode (persistent; a no-op when it already is)."""
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"Cannot use the ledger at {path}: {exc}.") from exc
    if str(mode).lower() != "wal":
        raise LedgerError(f"The ledger at {path} cannot use WAL mode (journal mode is {mode}).")


def refresh_statistics(conn: sqlite3.Connection) -> None:
    """Sample the indexes (``ANALYZE`` limited to 1000 rows each: milliseconds on a
    million bills) so the planner picks the small partial index for open items
    instead of guessing. Runs when a ledger is opened and after a bulk load."""
    try:
        conn.execute("PRAGMA analysis_limit = 1000")
        conn.execute("ANALYZE")
    except sqlite3.OperationalError:
        pass  # another writer held the lock for the whole busy timeout: keep the old statistics
