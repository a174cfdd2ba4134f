"""How fast does ``billing.sync.refresh_open`` refresh open bills? Prints a table with ratios.

    python bench/sync.py --bills 2000

Starts the sandbox in its own process on a free loopback port (so client and
server do not share one interpreter), creates N open bills there through the API,
concurrently (half card pay links, a quarter APM payments, a quarter Payture
bills), records them in a fresh ledger through the bulk path, and pays a fraction
of them as payers would. Then, in the same run:

(a)  ``billing.sync.refresh_open`` over all N (the first pass records the payments;
     a second pass, with nothing left to change, is the steady monitoring cost);
(b)  a sequential loop of single blocking GETs of the same N objects (the
     provider clients, no ledger): what a naive refresh loop would do;
(c)  the sandbox's raw request rate: ``--concurrency`` concurrent GETs of one
     object with ``httpx.AsyncClient``, no ledger — the ceiling for (a).

Rates are objects (or requests) per second; the ratios say how much bounded
concurrency buys over (b) and how close sync gets to the sandbox's ceiling (c).

``--latency MS`` makes the sandbox wait that long before answering each API
request (its ``latency`` fault, registered after setup), the way a provider across
the internet does; the default, 0, measures pure loopback, where the single-process
sandbox and the client's own CPU are the limits.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from console.billing import DEFAULT_CONCURRENCY, Billing
from console.config import load_settings
from console.ledger import Ledger, now_ms
from console.providers import BepaidClient, BeyagClient, PaytureClient

SHOP = ("361", "sandbox-secret")
TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's documented test token
PRODUCTS = [  # (id, price, currency) from the sandbox catalogue
    ("550e8400-e29b-41d4-a716-446655440003", 2990, "BYN"),
    ("550e8400-e29b-41d4-a716-446655440001", 99900, "RUB"),
]
CARD = "4200000000000000"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bills", type=int, default=2000, help="open bills (default 2000)")
    parser.add_argument("--paid", type=float, default=0.25, help="share paid (default 0.25)")
    parser.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="sync concurrency"
    )
    parser.add_argument("--raw-requests", type=int, default=3000, help="requests for (c)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="milliseconds added to each API answer"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--serve-sandbox", nargs=2, metavar=("PORT", "STATE"), help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


# -- the sandbox in its own process -------------------------------------------------


def serve_sandbox(port: int, state: str) -> None:
    import uvicorn

    from provider_sandbox.app import create_app
    from provider_sandbox.core import SandboxConfig

    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=state))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_sandbox(workdir: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-sandbox", str(port), str(workdir / "sandbox.db")]
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit("the sandbox did not start")
        try:
            if httpx.get(f"{url}/__sandbox/health", timeout=1).status_code == 200:
                return child, url
        except httpx.TransportError:
            time.sleep(0.05)
    child.terminate()
    raise SystemExit("the sandbox did not answer within 30 s")


# -- filling the provider and the ledger ----------------------------------------------


async def bounded(jobs: list[Callable[[], Awaitable[Any]]], limit: int) -> list[Any]:
    slots = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[Any]]) -> Any:
        async with slots:
            return await job()

    return await asyncio.gather(*(run(job) for job in jobs))


async def create_objects(url: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` open objects at the sandbox, as ledger rows (without ids)."""
    async with httpx.AsyncClient(base_url=url, auth=SHOP, timeout=30) as http:

        async def checkout(n: int) -> dict[str, Any]:
            tracking, amount = f"bench-link-{n}", rng.randrange(100, 100_000)
            body = {"checkout": {"transaction_type": "payment", "test": True, "order": {
                "amount": amount, "currency": "BYN", "description": f"Bench {n}",
                "tracking_id": tracking}}}  # fmt: skip
            answer = await http.post(
                "/ctp/api/checkouts", json=body, headers={"X-API-Version": "2"}
            )
            made = answer.raise_for_status().json()["checkout"]
            return {"provider": "bepaid", "kind": "card_link", "tracking_id": tracking,
                    "token": made["token"], "pay_url": made["redirect_url"],
                    "amount": amount, "currency": "BYN"}  # fmt: skip

        async def apm(n: int) -> dict[str, Any]:
            tracking, amount = f"bench-apm-{n}", rng.randrange(100, 100_000)
            body = {"request": {"amount": amount, "currency": "BYN", "description": f"Bench {n}",
                                "tracking_id": tracking, "return_url": f"{url}/",
                                "test": True, "method": {"type": "erip"}}}  # fmt: skip
            answer = await http.post("/beyag/transactions/payments", json=body)
            made = answer.raise_for_status().json()["transaction"]
            return {"provider": "begateway", "kind": "apm", "tracking_id": tracking,
                    "provider_id": made["uid"], "amount": amount, "currency": "BYN"}  # fmt: skip

        async def bill(n: int) -> dict[str, Any]:
            product, price, currency = PRODUCTS[n % len(PRODUCTS)]
            answer = await http.post(
                "/api/payments/20/payture/billCreate",
                json={"access_token": TOKEN, "subscription_id": product},
            )
            data = answer.raise_for_status().json()["data"]
            return {"provider": "payture", "kind": "payture_bill", "tracking_id": f"bench-bill-{n}",
                    "provider_id": data["bill_id"], "pay_url": data["bill"]["payUrl"],
                    "amount": price, "currency": currency}  # fmt: skip

        makers = [checkout, checkout, apm, bill]
        jobs = [lambda n=n: makers[n % 4](n) for n in range(count)]
        return await bounded(jobs, 32)


async def pay_some(
    url: str, rows: list[dict[str, Any]], share: float, rng: random.Random
) -> list[dict[str, Any]]:
    """Pay ``share`` of the objects as payers would (the sandbox's payer routes)."""
    chosen = rng.sample(rows, int(len(rows) * share))
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:

        async def pay(row: dict[str, Any]) -> None:
            if row["kind"] == "card_link":
                path, body = f"/__sandbox/checkouts/{row['token']}/pay", {"card": CARD}
            elif row["kind"] == "apm":
                path, body = f"/__sandbox/beyag/{row['provider_id']}/pay", {"outcome": "successful"}
            else:
                path, body = f"/__sandbox/payture/{row['provider_id']}/pay", {}
            (await http.post(path, json=body)).raise_for_status()

        await bounded([lambda row=row: pay(row) for row in chosen], 32)
    return chosen


def fill_ledger(ledger: Ledger, rows: list[dict[str, Any]]) -> None:
    """The objects as the ledger holds them after billing created them: pending."""
    now = now_ms()
    columns = [
        "provider", "kind", "tracking_id", "provider_id", "token", "pay_url", "amount",
        "currency", "status", "native_status", "test", "created_at", "updated_at",
    ]  # fmt: skip
    native = {"card_link": "pending", "apm": "pending", "payture_bill": "PENDING"}
    base = {**dict.fromkeys(columns), "status": "pending", "test": 1}
    times = {"created_at": now, "updated_at": now}  # unless a row brings its own
    full = [{**base, **times, **row, "native_status": native[row["kind"]]} for row in rows]
    ledger.bulk_insert("bills", full, columns=columns)


# -- the three measurements -------------------------------------------------------------


def sequential_gets(settings: Any, rows: list[dict[str, Any]]) -> float:
    bepaid = BepaidClient.from_settings(settings)
    beyag = BeyagClient.from_settings(settings)
    payture = PaytureClient.from_settings(settings)
    started = time.perf_counter()
    for row in rows:
        if row["kind"] == "card_link":
            bepaid.get_checkout(row["token"])
        elif row["kind"] == "apm":
            beyag.get_payment(row["provider_id"])
        else:
            payture.bill_status(row["provider_id"])
    return time.perf_counter() - started


async def raw_rate(url: str, token: str, requests: int, concurrency: int) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, auth=SHOP, limits=limits, timeout=30) as http:
        path, headers = f"/ctp/api/checkouts/{token}", {"X-API-Version": "2"}
        await http.get(path, headers=headers)  # warm the pool

        async def get() -> None:
            (await http.get(path, headers=headers)).raise_for_status()

        started = time.perf_counter()
        await bounded([get] * requests, concurrency)
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_sandbox:
        serve_sandbox(int(args.serve_sandbox[0]), args.serve_sandbox[1])
        return 0
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    child, url = start_sandbox(workdir)
    try:
        # This bench measures a pass's throughput, so the polling budget is opened wide
        # and every open object is asked (`sync --all`); bench/polling.py measures the
        # schedule and the budget.
        env = {
            "MERCHANT_CONSOLE_SANDBOX_URL": url,
            "MERCHANT_CONSOLE_POLLING_REQUESTS_PER_SECOND": "1000",
            "MERCHANT_CONSOLE_POLLING_BURST": "10000",
        }
        settings = load_settings(env=env, secrets_path=workdir / "none.toml")
        started = time.perf_counter()
        rows = asyncio.run(create_objects(url, args.bills, rng))
        created_in = time.perf_counter() - started
        ledger = Ledger(workdir / "ledger.db")
        fill_ledger(ledger, rows)
        paid_rows = asyncio.run(pay_some(url, rows, args.paid, rng))
        paid = len(paid_rows)
        rate = len(rows) / created_in
        print(f"setup: {len(rows)} open bills created at the sandbox in {created_in:.1f} s "
              f"({rate:.0f}/s), {paid} paid; the sandbox runs in its own process")  # fmt: skip
        if args.latency > 0:
            fault = {"kind": "latency", "method": "*", "path": "*", "count": 10**9,
                     "seconds": args.latency / 1000}  # fmt: skip
            httpx.post(f"{url}/__sandbox/faults", json=fault).raise_for_status()

        sync = Billing(settings, ledger).sync
        first = sync.refresh_open(concurrency=args.concurrency, everything=True)
        assert first.ok, first.errors[:3]
        assert len(first.status_changes) == paid, (len(first.status_changes), paid)
        steady = sync.refresh_open(concurrency=args.concurrency, everything=True)
        assert steady.ok and steady.checked == len(rows) - paid
        seq_seconds = sequential_gets(settings, rows)
        token = next(row["token"] for row in rows if row["kind"] == "card_link")
        raw_seconds = asyncio.run(raw_rate(url, token, args.raw_requests, args.concurrency))
        ledger.close()
    finally:
        child.terminate()
        child.wait(timeout=10)

    # A paid card link costs the first pass a second GET (its transaction).
    first_requests = len(rows) + sum(1 for row in paid_rows if row["kind"] == "card_link")
    first_rate = first.checked / first.duration
    steady_rate = steady.checked / steady.duration
    seq_rate = len(rows) / seq_seconds
    raw = args.raw_requests / raw_seconds
    table = [
        ("(a) refresh_open, first pass", first.checked, first.duration, first_rate,
         f"{paid} changes, {first.new_payments} payments, {first_requests} requests"),
        ("(a) refresh_open, steady pass", steady.checked, steady.duration, steady_rate,
         "nothing to change"),
        ("(b) sequential blocking GETs", len(rows), seq_seconds, seq_rate, "no ledger"),
        (f"(c) raw sandbox, {args.concurrency} concurrent GETs", args.raw_requests, raw_seconds,
         raw, "one object, no ledger"),
    ]  # fmt: skip
    latency = f"{args.latency:g} ms added to each answer" if args.latency else "pure loopback"
    print(f"\nconcurrency {args.concurrency}, {latency}; rates per second")
    print(f"{'measurement':<40}{'count':>7}{'seconds':>9}{'per s':>9}  note")
    for name, count, seconds, rate, note in table:
        print(f"{name:<40}{count:>7}{seconds:>9.2f}{rate:>9.0f}  {note}")
    print(f"\n(a first) / (b) = {first_rate / seq_rate:.1f}x    "
          f"(a steady) / (b) = {steady_rate / seq_rate:.1f}x")  # fmt: skip
    print(
        f"(a first) / (c) = {first_rate / raw:.2f}     (a steady) / (c) = {steady_rate / raw:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
