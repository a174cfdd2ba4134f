"""How long does each console page take to render on a big ledger? Prints a table with ratios.

    python bench/pages.py --ledger /tmp/demo1m.db

For every page file that exists in ``app_pages/`` (the list in ``console.ui.registry``),
one full AppTest run renders the page against the ledger, as the local-mode
admin the login gate lets in: one warm-up run, then the median of ``--runs``
runs, each a fresh ``AppTest`` (a new browser session). A page that raises is
reported, not timed. The page file is run directly, with the gate's actor in
the session, so the time is the page's own.

Baselines measured in the same run, on the same machine and file:

* **trivial page** — an AppTest run of a script that only writes a title: the
  fixed cost of Streamlit's script runner, which no page can go below;
* **full scan** — ``SELECT sum(amount) FROM bills NOT INDEXED`` on the ledger, which
  reads every bill from the table: what a page would cost if it touched every row once
  (without ``NOT INDEXED`` SQLite sums a narrower covering index instead).

A real sandbox runs on a free loopback port during the bench, so pages that talk
to a provider (Activity's health check) do real HTTP, as they would in sandbox
mode. Session caches behave as in production: Activity's 30-second health cache
is filled by the warm-up run.

The issue's target is under one second per page on a 1,000,000-bill ledger.
Opening the ledger with the console migrates it to the current schema, as the
console itself would; nothing else is written.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo


def median_seconds(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, min) of ``runs`` timed calls, after one untimed warm-up call."""
    action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def run_page(page_path: Path, widgets: dict[str, object] | None = None) -> None:
    """One full AppTest run of a page, signed in as the local-mode admin.

    ``widgets`` preset widget values by key, as if the user had chosen them; a key
    that starts with ``?`` is put in the address instead (``?q`` is ``/page?q=...``).
    """
    from streamlit.testing.v1 import AppTest

    from console.auth import LOCAL_ADMIN
    from console.ui.context import ACTOR_KEY

    at = AppTest.from_file(str(page_path), default_timeout=120)
    at.session_state[ACTOR_KEY] = LOCAL_ADMIN
    for key, value in (widgets or {}).items():
        if key.startswith("?"):
            at.query_params[key[1:]] = value
        else:
            at.session_state[key] = value
    at.run()
    if at.exception:
        raise RuntimeError(at.exception[0].message)


#: The customer bench/customers.py adds (100,000 bills) when it has run on the ledger.
BUSY_CUSTOMER = "busy.customer@example.com"


def variants(tz: str, page_key: str, email: str) -> list[tuple[str, dict[str, object]]]:
    """Heavier settings of a page worth timing too: (name, widget values by key).
    ``email`` is a customer of the ledger (the one of its first bill)."""
    if page_key == "customer":
        return [
            ("a demo customer", {"cu_email": email}),
            (f"{BUSY_CUSTOMER} (if added)", {"cu_email": BUSY_CUSTOMER}),
        ]
    if page_key == "subscriptions":
        return [
            ("search: two states", {"sub_q_states": ["active", "trial"]}),
            ("search: a part of a plan title", {"sub_q_plan": "pro"}),
            ("search: an e-mail", {"sub_q_email": email}),
        ]
    today = datetime.now(ZoneInfo(tz)).date()
    year = (today - timedelta(days=364), today)
    if page_key == "payments":  # its filters come from the address
        a_year = {"?from": year[0].isoformat(), "?to": today.isoformat()}
        return [
            ("a year, largest amount first", {**a_year, "?sort": "amount_desc"}),
            ("a year, search 'premium'", {**a_year, "?q": "premium"}),
            ("a year, failed BYN from 100", {**a_year, "?status": "failed",
                                             "?currency": "BYN", "?amount_min": "100"}),
        ]  # fmt: skip
    if page_key != "revenue":
        return []
    return [
        ("365 days per day", {"revenue.period": year}),
        ("365 days per week", {"revenue.period": year, "revenue.bucket": "week"}),
    ]


def run_trivial_page() -> None:
    from streamlit.testing.v1 import AppTest

    AppTest.from_string("import streamlit as st\nst.title('Baseline')").run()


def full_scan(ledger: Path) -> Callable[[], int]:
    def scan() -> int:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT sum(amount) FROM bills NOT INDEXED").fetchone()[0]

    return scan


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_sandbox(state_dir: Path) -> Iterator[int]:
    """The provider sandbox on a free loopback port, in a thread; yields the port."""
    import uvicorn

    from provider_sandbox.app import create_app
    from provider_sandbox.core import SandboxConfig

    port = free_port()
    app = create_app(
        SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(state_dir / "sb.db"))
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.sandbox.store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ledger", required=True, type=Path, help="an existing ledger file")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page (median)")
    parser.add_argument("--timezone", default="Europe/Minsk", help="the console's time zone")
    args = parser.parse_args(argv)
    if not args.ledger.exists():
        print(
            f"{args.ledger} does not exist; make one with "
            f"`merchant-console demo --ledger {args.ledger} --bills 1000000`",
            file=sys.stderr,
        )
        return 2

    from console.ui.registry import PAGES, PAGES_DIR

    with tempfile.TemporaryDirectory() as scratch, running_sandbox(Path(scratch)) as port:
        os.environ.update(
            {
                "MERCHANT_CONSOLE_LEDGER": str(args.ledger),
                "MERCHANT_CONSOLE_SECRETS": str(Path(scratch) / "no-secrets.toml"),
                "MERCHANT_CONSOLE_TIMEZONE": args.timezone,
                "MERCHANT_CONSOLE_SANDBOX_PORT": str(port),
                "MERCHANT_CONSOLE_SANDBOX_STATE": str(Path(scratch) / "sb.db"),
            }
        )
        with sqlite3.connect(f"file:{args.ledger}?mode=ro", uri=True) as conn:
            bills = conn.execute("SELECT count(*) FROM bills").fetchone()[0]
            email = conn.execute(
                "SELECT customer_email FROM bills WHERE customer_email IS NOT NULL LIMIT 1"
            ).fetchone()[0]
        print(f"ledger {args.ledger}: {bills:,} bills; median of {args.runs} runs after a warm-up")

        trivial, _ = median_seconds(run_trivial_page, args.runs)
        scan, _ = median_seconds(full_scan(args.ledger), args.runs)
        rows = [("baseline: trivial page (AppTest)", trivial, trivial, "")]
        rows.append(("baseline: full scan sum(amount) FROM bills", scan, scan, ""))
        for spec in PAGES:
            if not (PAGES_DIR / spec.file).exists():
                continue
            cases = [(f"page: {spec.title} ({spec.file})", None)]
            cases += [
                (f"  {spec.title}, {name}", w)
                for name, w in variants(args.timezone, spec.key, email)
            ]
            for name, widgets in cases:
                try:
                    median, fastest = median_seconds(
                        lambda p=PAGES_DIR / spec.file, w=widgets: run_page(p, w), args.runs
                    )
                except Exception as exc:  # a broken page is reported, the others still run
                    rows.append((name, None, None, str(exc)[:60]))
                    continue
                verdict = "ok (< 1 s)" if median < 1.0 else "over the 1 s target"
                rows.append((name, median, fastest, verdict))

    print(f"{'what':<48} {'median s':>9} {'min s':>7} {'× trivial':>10} {'× scan':>8}  note")
    for name, median, fastest, note in rows:
        if median is None:
            print(f"{name:<48} {'-':>9} {'-':>7} {'-':>10} {'-':>8}  error: {note}")
            continue
        print(
            f"{name:<48} {median:>9.3f} {fastest:>7.3f} {median / trivial:>10.1f}"
            f" {median / scan:>8.2f}  {note}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
