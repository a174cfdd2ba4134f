"""How many notifications a second does the receiver take? Prints rates and ratios.

    python bench/webhooks.py --notifications 2000 --clients 4 --rounds 5 --baseline REV ...

The receiver runs in its own process exactly as ``merchant-console webhooks``
runs it (:func:`console.webhooks.serve`: uvicorn with the receiver's limits and
logging, its output going to a file), on a fresh ledger holding one pending
pay-link bill per notification. Every notification is a distinct, signed
``{"transaction": ...}`` paying one bill, posted over loopback by ``--clients``
concurrent keep-alive connections (``http.client``, one thread each). Each one is
authenticated (HTTP Basic + RSA-SHA256 signature), matched, applied (status event
+ payment) and recorded with its verdict, and answered 200 only once that is
committed.

Baselines measured in the same run:

* ``/health`` through the same clients: the HTTP floor of this machine;
* signature verification alone, in a loop (one core);
* masking a body for the ledger alone (``console.notices.masked_payload``), in a loop;
* applying notices to a ledger alone, in a loop (no HTTP, no verification);
* the same notifications posted again: all duplicates (a provider's retries);
* with ``--baseline REV`` (repeatable): the receiver of that git revision (its
  tree exported to a temporary folder), served the same way and measured in turns
  with this one, round by round, against the same clients and the same signed
  bodies.

Each round starts each receiver afresh on a copy of the same ledger. Printed: the
median of the rounds and their range, rates against ``/health`` of the same
round, and the receiver process's CPU time per request (from ``/proc``; it is
less disturbed than rates by other work on a shared machine). After each run the
ledger is checked: every bill paid once, one payment each, one ``applied`` and
one ``duplicate`` verdict per notification.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import http.client
import itertools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from console.config import Secret, Settings, load_settings
from console.ledger import Ledger, NewBill
from console.webhooks import SignatureVerifier, apply_notice, read_notice

SHOP = ("361", "sandbox-secret")
REPO = Path(__file__).resolve().parent.parent
Request = tuple[str, bytes | None, dict[str, str]]


def settings_with_key(public_key_pem: str, tmp: Path) -> Settings:
    """Sandbox-mode settings (the shop's test credentials) with the bench's own key."""
    settings = load_settings(
        env={"MERCHANT_CONSOLE_MODE": "sandbox"}, secrets_path=tmp / "none.toml"
    )
    assert settings.bepaid is not None
    bepaid = dataclasses.replace(settings.bepaid, public_key=Secret(public_key_pem))
    return dataclasses.replace(settings, bepaid=bepaid)


def serve_receiver(ledger_path: str, key_path: str, port: int) -> None:
    """The child process: ``console.webhooks.serve`` as the command calls it, until ended."""
    from console.webhooks import serve

    settings = settings_with_key(Path(key_path).read_text(), Path(ledger_path).parent)
    serve(port, Path(ledger_path), settings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def payload(tracking_id: str, uid: str) -> bytes:
    at = "2026-01-05T10:00:00Z"
    transaction = {
        "uid": uid,
        "status": "successful",
        "amount": 1250,
        "currency": "BYN",
        "description": "Order",
        "type": "payment",
        "tracking_id": tracking_id,
        "message": "Successfully processed",
        "test": True,
        "created_at": at,
        "updated_at": at,
        "paid_at": at,
        "credit_card": {"last_4": "0000", "brand": "visa", "token": "tok-" + uid},
    }
    return json.dumps({"transaction": transaction}, separators=(",", ":")).encode()


def create_bills(ledger: Ledger, count: int, prefix: str) -> list[str]:
    tracking_ids = [f"{prefix}-{i}" for i in range(count)]
    with ledger.write():
        for tracking_id in tracking_ids:
            ledger.create_bill(
                NewBill(
                    provider="bepaid",
                    kind="card_link",
                    tracking_id=tracking_id,
                    amount=1250,
                    currency="BYN",
                    test=True,
                )
            )
    return tracking_ids


def post_all(port: int, requests: list[Request], clients: int) -> tuple[float, list[int]]:
    """Send ``(path, body, headers)`` over ``clients`` keep-alive connections, one thread each.

    The stdlib's ``http.client`` is the client: it costs the sending side about a
    third of what httpx does, so the receiver, not the client, sets the rate.
    Returns (seconds, statuses).
    """
    statuses: list[int] = [0] * len(requests)
    authorization = "Basic " + base64.b64encode(":".join(SHOP).encode()).decode()
    next_index = iter(range(len(requests)))
    lock = threading.Lock()

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                path, body, headers = requests[index]
                headers = {"Authorization": authorization, **headers}
                if body is None:
                    connection.request("GET", path, headers=headers)
                else:
                    headers["Content-Type"] = "application/json"
                    connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                statuses[index] = response.status
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, statuses


def loop_rate(function: Callable[[int], object], count: int) -> float:
    started = time.perf_counter()
    for index in range(count):
        function(index)
    return count / (time.perf_counter() - started)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass
class Round:
    """One receiver's figures in one round: rates per second, CPU ms per request."""

    health: float
    notifications: float
    repeats: float
    health_cpu: float
    notification_cpu: float
    repeat_cpu: float

    @property
    def ratio(self) -> float:
        return self.notifications / self.health


def measure(
    tree: Path, template: Path, key_path: Path, signed: list[Request], clients: int, log: Path
) -> Round:
    """Start the receiver of ``tree`` on a copy of ``template``, measure it, check its ledger."""
    ledger_path = template.with_name(f"round-{time.monotonic_ns()}.db")
    shutil.copyfile(template, ledger_path)
    port = free_port()
    paths = [str(tree), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}  # the tree's console first
    command = [sys.executable, str(Path(__file__).resolve()), "--serve-receiver",
               str(ledger_path), str(key_path), str(port)]  # fmt: skip
    with log.open("ab") as output:
        child = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    count = len(signed)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or child.poll() is not None:
                raise SystemExit(f"the receiver of {tree} did not start; see {log}")
            time.sleep(0.05)
        health: list[Request] = [("/health", None, {})] * count
        post_all(port, health[: min(200, count)], clients)  # warm-up
        cpu = [cpu_seconds(child.pid)]
        runs = []
        for requests in (health, signed, signed):
            seconds, statuses = post_all(port, requests, clients)
            cpu.append(cpu_seconds(child.pid))
            if set(statuses) != {200}:
                raise SystemExit(f"the receiver of {tree} answered {sorted(set(statuses))}")
            runs.append(count / seconds)
    finally:
        child.terminate()
        child.wait(timeout=30)
    check_ledger(ledger_path, count)
    ms = [1000 * (after - before) / count for before, after in itertools.pairwise(cpu)]
    return Round(*runs, *ms)


def check_ledger(path: Path, count: int) -> None:
    with Ledger(path) as ledger:
        conn = ledger.connection()
        paid = conn.execute("SELECT count(*) FROM bills WHERE status = 'paid'").fetchone()[0]
        payments = conn.execute("SELECT count(*) FROM payments").fetchone()[0]
        verdicts = dict(conn.execute("SELECT verdict, count(*) FROM notifications GROUP BY 1"))
    if not (paid == payments == count and verdicts == {"applied": count, "duplicate": count}):
        raise SystemExit(
            f"FAILED: {paid} bills paid, {payments} payments, verdicts {verdicts} "
            f"for {count} notifications sent twice"
        )


def export_tree(revision: str, into: Path) -> Path:
    """The files of ``revision`` of this repository, in ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision],
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def summary(label: str, rounds: list[Round]) -> dict[str, float]:
    def median(name: str) -> float:
        return statistics.median(getattr(r, name) for r in rounds)

    def spread(name: str, digits: str) -> str:
        values = [getattr(r, name) for r in rounds]
        return f"{median(name):{digits}} ({min(values):{digits}}–{max(values):{digits}})"

    print(f"  {label}")
    print(f"    GET /health                    {spread('health', ',.0f'):>24} /s"
          f"   CPU {median('health_cpu'):.3f} ms each")  # fmt: skip
    print(f"    POST notification (applied)    {spread('notifications', ',.0f'):>24} /s"
          f"   CPU {median('notification_cpu'):.3f} ms each")  # fmt: skip
    print(f"    POST the same again (duplicate) {spread('repeats', ',.0f'):>23} /s"
          f"   CPU {median('repeat_cpu'):.3f} ms each")  # fmt: skip
    print(f"    notifications vs /health       {spread('ratio', '.2f'):>24} x")
    return {name: median(name) for name in ("notifications", "repeats", "notification_cpu")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--baseline", metavar="REV", action="append", default=[],
        help="also measure the receiver of this git revision (repeatable)",
    )  # fmt: skip
    parser.add_argument("--serve-receiver", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_receiver:
        ledger_path, key_path, port = args.serve_receiver
        serve_receiver(ledger_path, key_path, int(port))
        return 0
    count, clients = args.notifications, args.clients

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    def sign(body: bytes) -> str:
        return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()

    with tempfile.TemporaryDirectory(prefix="webhooks-bench-") as directory:
        tmp = Path(directory)
        key_path = tmp / "key.pem"
        key_path.write_text(pem)
        template = tmp / "template.db"
        with Ledger(template) as ledger:
            tracking_ids = create_bills(ledger, count, "order")
        bodies = [payload(tracking_id, f"uid-{i}") for i, tracking_id in enumerate(tracking_ids)]
        signed: list[Request] = [
            ("/notifications/bepaid", body, {"Content-Signature": sign(body)}) for body in bodies
        ]

        # Baselines without HTTP: verification alone; applying alone (on a second ledger).
        verifier = SignatureVerifier(pem)
        verify_rate = loop_rate(
            lambda i: verifier.verify(bodies[i], signed[i][2]["Content-Signature"]), count
        )
        # Imported here: a baseline revision's receiver runs this file too, and may predate it.
        from console.notices import load_json_object, masked_payload

        parsed = [load_json_object(body) for body in bodies]
        mask_rate = loop_rate(lambda i: masked_payload(parsed[i]), count)
        with Ledger(tmp / "apply-only.db") as apply_ledger:
            create_bills(apply_ledger, count, "order")
            notices = [read_notice("bepaid", body) for body in bodies]
            apply_rate = loop_rate(lambda i: apply_notice(apply_ledger, notices[i]), count)

        trees = {
            f"baseline {revision}": export_tree(revision, tmp / f"baseline-{number}")
            for number, revision in enumerate(args.baseline)
        }
        trees["this tree"] = REPO
        results: dict[str, list[Round]] = {label: [] for label in trees}
        for _ in range(args.rounds):
            for label, tree in trees.items():
                log = tmp / f"{label.replace(' ', '-')}.log"
                results[label].append(measure(tree, template, key_path, signed, clients, log))

    print(
        f"Notification receiver: {count} notifications, {clients} concurrent clients, loopback,"
        f" {args.rounds} round(s): median (range)"
    )
    print(f"  signature verification alone (one core)   {verify_rate:10,.0f} /s")
    print(f"  masking a body for the ledger alone        {mask_rate:10,.0f} /s")
    print(f"  apply + record in the ledger alone         {apply_rate:10,.0f} /s  (no HTTP)")
    medians = {label: summary(label, rounds) for label, rounds in results.items()}
    now = medians["this tree"]
    print(f"  verification share of a notification: {now['notifications'] / verify_rate:.1%}")
    print(f"  masking share of a notification: {now['notifications'] / mask_rate:.1%}")
    for revision in args.baseline:
        before = medians[f"baseline {revision}"]
        print(
            f"  this tree vs {revision}: notifications"
            f" {now['notifications'] / before['notifications']:.2f}x,"
            f" repeats {now['repeats'] / before['repeats']:.2f}x,"
            f" CPU per notification {now['notification_cpu'] / before['notification_cpu']:.2f}x"
        )
    print("  OK: every bill paid once, one payment each, every notification recorded twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
