"""What polling costs the providers, and how soon a payment shows: the old "every open object
on every refresh" against the schedule and its budget. Prints a table with ratios.

    python bench/polling.py --objects 10000 --minutes 10

Starts the sandbox in its own process (as bench/sync.py does) and creates ``--objects``
open bills there through its API (half card pay links, a quarter APM payments, a
quarter Payture bills). The ledger gets them with realistic ages: created uniformly over
the last 24 hours (a day's links waiting for their payers), a tenth of them one to
seven days old — and, unless ``--cold``, the schedule a running console would have
left: each object last checked somewhere within its interval.

Then the Monitor's life is simulated for ``--minutes`` on a simulated clock that the
console uses as its "now" (the schedule and the budget run on it): every ``--interval``
seconds (5, the Monitor's default) one ``billing.sync.refresh_open`` pass — the real
code, over real HTTP to the sandbox. Meanwhile customers keep coming: every
``--new-every`` seconds a new pay link is made through billing, and its payer pays it
(through the sandbox's payer route) 5 s to 3 min later. For each payment, the time from
paying to the ledger showing it ``paid`` is measured: the simulated time to the pass
that saw it, plus that pass's real duration.

Two runs of the new design: **without notifications** (polling is the only way news
arrives) and **with notifications** (the console's receiver runs on the ledger, the new
links carry its address, so payments arrive by webhook and polling only reconciles).

The old design asked about every open object on every refresh. It is measured, not
simulated for the whole run: two passes over every open object with an unlimited
budget give the requests and the duration of one pass; the run's requests are that
times the number of refreshes (each pass asked everything), and a payment waits for the
next pass to reach its object — uniformly up to one pass duration when passes run back
to back (longer than the interval), so p50 = ½ and p95 = 0.95 × the pass duration.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync as sync_bench

from console.auth import LOCAL_ADMIN
from console.billing import Billing, PayLinkDraft, next_check
from console.config import Settings, load_settings
from console.ledger import Checked, Ledger
from console.status import BillStatus

DAY_MS = 24 * 3600 * 1000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=10_000, help="open objects (10000)")
    parser.add_argument("--minutes", type=float, default=10.0, help="simulated minutes (10)")
    parser.add_argument("--interval", type=float, default=5.0, help="Monitor refresh, s (5)")
    parser.add_argument("--new-every", type=float, default=10.0, help="a new link every N s")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--cold", action="store_true", help="start with no object ever checked (a first start)"
    )
    return parser.parse_args(argv)


class SimClock:
    """The console's "now" in the simulation: starts at the real time, moves when set."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Run:
    """One simulated run's figures."""

    name: str
    passes: int = 0
    requests: int = 0
    deferred: int = 0
    latencies: list[float] = field(default_factory=list)
    pass_seconds: list[float] = field(default_factory=list)


def aged_rows(rows: list[dict[str, Any]], rng: random.Random, now_ms: int) -> None:
    """Give the objects realistic ages (see the module docstring)."""
    for row in rows:
        days = rng.uniform(1, 7) if rng.random() < 0.1 else rng.uniform(0, 1)
        age = days * DAY_MS
        row["created_at"] = row["updated_at"] = int(now_ms - age)


def steady_schedule(ledger: Ledger, rng: random.Random) -> None:
    """The schedule as a console that has been running leaves it: each object last
    checked somewhere within its interval, so its next check falls uniformly within it."""
    now = datetime.now(UTC)
    checks = []
    for item in ledger.polling.due(now + timedelta(days=3650)):
        bill = ledger.get_bill(item.id)
        assert bill is not None
        interval = next_check(bill, now) - now
        checked = now - interval * rng.random()
        checks.append(Checked("bill", item.id, checked, checked + interval))
    ledger.polling.record(checks)


def simulate(
    name: str,
    settings: Settings,
    ledger_path: Path,
    sandbox_url: str,
    args: argparse.Namespace,
    *,
    notified: bool,
) -> Run:
    """The Monitor refreshing every ``interval`` s for ``minutes``, customers paying."""
    rng = random.Random(args.seed)
    clock = SimClock()
    run = Run(name)
    receiver = None
    if notified:
        receiver = _Receiver(settings, ledger_path)
        settings = receiver.settings
    with Ledger(ledger_path) as ledger, httpx.Client(base_url=sandbox_url, timeout=30) as http:
        billing = Billing(settings, ledger, clock=clock)
        start = clock.now

        def at(second: float) -> None:
            clock.now = start + timedelta(seconds=second)

        payers: list[tuple[float, int, str]] = []  # (pays at sim s, bill id, token)
        paid: dict[int, float] = {}  # bill id -> the sim second it was paid
        next_new = 0.0
        for tick in range(1, int(args.minutes * 60 / args.interval) + 1):
            elapsed = tick * args.interval
            # What customers do between two refreshes, in time order.
            events: list[tuple[float, str, Any]] = []
            while next_new <= elapsed:
                events.append((next_new, "new", None))
                next_new += args.new_every
            events += [(p[0], "pay", p) for p in payers if p[0] <= elapsed]
            for second, what, payer in sorted(events, key=lambda e: e[0]):
                at(second)
                if what == "new":
                    made = billing.pay_links.create(
                        LOCAL_ADMIN,
                        PayLinkDraft(amount="25.00", currency="BYN", description="Bench order"),
                    )
                    payers.append((second + rng.uniform(5, 180), made.bill.id, made.bill.token))
                    continue
                payers.remove(payer)
                _, bill_id, token = payer
                answer = http.post(
                    f"/__sandbox/checkouts/{token}/pay", json={"card": sync_bench.CARD}
                )
                answer.raise_for_status()
                paid[bill_id] = second
                if receiver is not None:  # by webhook: how long until the ledger shows it
                    began = time.perf_counter()
                    while time.perf_counter() - began < 10:
                        if ledger.get_bill(bill_id).status == BillStatus.PAID:
                            run.latencies.append(time.perf_counter() - began)
                            del paid[bill_id]
                            break
                        time.sleep(0.002)
            at(elapsed)
            began = time.perf_counter()
            report = billing.sync.refresh_open()
            took = time.perf_counter() - began
            run.passes += 1
            run.pass_seconds.append(took)
            run.requests += sum(report.requests.values())
            run.deferred += report.deferred
            for bill_id, pay_at in list(paid.items()):
                if ledger.get_bill(bill_id).status == BillStatus.PAID:
                    run.latencies.append(elapsed - pay_at + took)
                    del paid[bill_id]
    if receiver is not None:
        receiver.stop()
    return run


class _Receiver:
    """The console's notification receiver on the ledger, in a thread, and settings whose
    new links carry its address."""

    def __init__(self, settings: Settings, ledger_path: Path) -> None:
        import socket

        import uvicorn

        from console.webhooks import create_app

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.settings = load_settings(
            env={
                "MERCHANT_CONSOLE_SANDBOX_URL": settings.sandbox_url,
                "MERCHANT_CONSOLE_WEBHOOKS_URL": f"http://127.0.0.1:{port}",
            },
            secrets_path=settings.secrets_path,
        )
        self._ledger = Ledger(ledger_path)
        app = create_app(self.settings, self._ledger, key_wait=10)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._ledger.close()


def old_design(settings: Settings, ledger_path: Path, ticks: int) -> tuple[float, float]:
    """Requests and seconds of one pass over every open object with no budget."""
    wide = load_settings(
        env={
            "MERCHANT_CONSOLE_SANDBOX_URL": settings.sandbox_url,
            "MERCHANT_CONSOLE_POLLING_REQUESTS_PER_SECOND": "1000",
            "MERCHANT_CONSOLE_POLLING_BURST": "1000000",
        },
        secrets_path=settings.secrets_path,
    )
    with Ledger(ledger_path) as ledger:
        billing = Billing(wide, ledger)
        figures = []
        for _ in range(2):
            started = time.perf_counter()
            report = billing.sync.refresh_open(everything=True)
            figures.append((sum(report.requests.values()), time.perf_counter() - started))
    requests = statistics.mean(n for n, _ in figures)
    seconds = statistics.mean(s for _, s in figures)
    return requests, seconds


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="bench-polling-"))
    child, url = sync_bench.start_sandbox(workdir)
    try:
        settings = load_settings(
            env={"MERCHANT_CONSOLE_SANDBOX_URL": url}, secrets_path=workdir / "none.toml"
        )
        started = time.perf_counter()
        rows = asyncio.run(sync_bench.create_objects(url, args.objects, rng))
        aged_rows(rows, rng, int(time.time() * 1000))
        base = workdir / "base.db"
        with Ledger(base) as ledger:
            sync_bench.fill_ledger(ledger, rows)
            if not args.cold:
                steady_schedule(ledger, rng)
        print(
            f"setup: {len(rows)} open bills at the sandbox and in the ledger in "
            f"{time.perf_counter() - started:.0f} s; budget {settings.poll_rate:g} requests/s "
            f"per provider, bucket {settings.poll_burst}"
        )
        ticks = int(args.minutes * 60 / args.interval)
        runs = []
        designs = (("schedule, no notifications", False), ("schedule + notifications", True))
        for name, notified in designs:
            path = workdir / f"{'notified' if notified else 'polled'}.db"
            path.write_bytes(base.read_bytes())
            runs.append(simulate(name, settings, path, url, args, notified=notified))
        old_path = workdir / "old.db"
        old_path.write_bytes(base.read_bytes())
        old_requests, old_seconds = old_design(settings, old_path, ticks)
    finally:
        child.terminate()
        child.wait(timeout=10)

    old_total = old_requests * ticks
    print(
        f"\n{args.objects} open objects, a refresh every {args.interval:g} s for "
        f"{args.minutes:g} simulated minutes ({ticks} refreshes), a new link every "
        f"{args.new_every:g} s paid 5 s-3 min later"
    )
    print(f"{'design':<34}{'requests':>10}{'vs old':>9}{'p50 s':>8}{'p95 s':>8}  note")
    print(
        f"{'old: every open object, each pass':<34}{old_total:>10.0f}{1:>9.2f}"
        f"{0.5 * old_seconds:>8.1f}{0.95 * old_seconds:>8.1f}  one pass: "
        f"{old_requests:.0f} requests in {old_seconds:.1f} s (measured, x{ticks})"
    )
    for run in runs:
        p50 = percentile(run.latencies, 0.5) if run.latencies else float("nan")
        p95 = percentile(run.latencies, 0.95) if run.latencies else float("nan")
        note = (
            f"{len(run.latencies)} payments, pass p95 {percentile(run.pass_seconds, 0.95):.2f} s,"
            f" {run.deferred} deferrals"
        )
        print(
            f"{run.name:<34}{run.requests:>10}{run.requests / old_total:>9.4f}"
            f"{p50:>8.2f}{p95:>8.2f}  {note}"
        )
    best = runs[0]
    print(
        f"\nold / schedule without notifications = {old_total / max(1, best.requests):.0f}x "
        f"fewer requests; fresh link p95 {percentile(best.latencies, 0.95):.2f} s against "
        f"a target of {args.interval + 1:g} s (the interval + 1 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
