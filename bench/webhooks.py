"""How many notifications a second does the receiver take? Prints rates and ratios.

    python bench/webhooks.py --notifications 2000 --clients 4

The receiver runs in its own process (uvicorn, as ``merchant-console webhooks``
runs it) on a fresh ledger holding one pending pay-link bill per notification.
Every notification is a distinct, signed ``{"transaction": ...}`` paying one
bill, posted over loopback by ``--clients`` concurrent keep-alive connections
(``http.client``, one thread each).
Each one is authenticated (HTTP Basic + RSA-SHA256 signature), matched, applied
(status event + payment) and recorded with its verdict in one committed write
transaction before its 200.

Baselines measured in the same run:

* ``/health`` through the same clients: the HTTP floor of this machine;
* signature verification alone, in a loop (one core);
* applying notices to a ledger alone, in a loop (no HTTP, no verification);
* the same notifications posted again: all duplicates (a provider's retries).

At the end the ledger is checked: every bill paid once, one payment each.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import http.client
import json
import multiprocessing
import socket
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


def settings_with_key(public_key_pem: str, tmp: Path) -> Settings:
    """Sandbox-mode settings (the shop's test credentials) with the bench's own key."""
    settings = load_settings(
        env={"MERCHANT_CONSOLE_MODE": "sandbox"}, secrets_path=tmp / "none.toml"
    )
    assert settings.bepaid is not None
    bepaid = dataclasses.replace(settings.bepaid, public_key=Secret(public_key_pem))
    return dataclasses.replace(settings, bepaid=bepaid)


def run_receiver(ledger_path: str, public_key_pem: str, port: int) -> None:
    """The child process: the receiver on loopback until terminated."""
    import uvicorn

    from console.webhooks import create_app

    ledger = Ledger(ledger_path)
    app = create_app(settings_with_key(public_key_pem, Path(ledger_path).parent), ledger)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


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


def post_all(
    port: int, requests: list[tuple[str, bytes | None, dict[str, str]]], clients: int
) -> tuple[float, list[int]]:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args(argv)
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
        ledger_path = tmp / "ledger.db"
        with Ledger(ledger_path) as ledger:
            tracking_ids = create_bills(ledger, count, "order")
        bodies = [payload(tracking_id, f"uid-{i}") for i, tracking_id in enumerate(tracking_ids)]
        signed = [
            ("/notifications/bepaid", body, {"Content-Signature": sign(body)}) for body in bodies
        ]

        # Baselines without HTTP: verification alone; applying alone (on a second ledger).
        verifier = SignatureVerifier(pem)
        verify_rate = loop_rate(
            lambda i: verifier.verify(bodies[i], signed[i][2]["Content-Signature"]), count
        )
        with Ledger(tmp / "apply-only.db") as apply_ledger:
            create_bills(apply_ledger, count, "order")
            notices = [read_notice("bepaid", body) for body in bodies]
            apply_rate = loop_rate(lambda i: apply_notice(apply_ledger, notices[i]), count)

        port = free_port()
        child = multiprocessing.get_context("spawn").Process(
            target=run_receiver, args=(str(ledger_path), pem, port), daemon=True
        )
        child.start()
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or not child.is_alive():
                    print("the receiver did not start", file=sys.stderr)
                    return 1
                time.sleep(0.05)

            health = [("/health", None, {})] * count
            post_all(port, health[: min(200, count)], clients)  # warm-up
            health_seconds, health_statuses = post_all(port, health, clients)
            seconds, statuses = post_all(port, signed, clients)
            again_seconds, again_statuses = post_all(port, signed, clients)
        finally:
            child.terminate()
            child.join(timeout=10)

        with Ledger(ledger_path) as ledger:
            conn = ledger.connection()
            paid = conn.execute("SELECT count(*) FROM bills WHERE status = 'paid'").fetchone()[0]
            payments = conn.execute("SELECT count(*) FROM payments").fetchone()[0]
            verdicts = dict(
                conn.execute("SELECT verdict, count(*) FROM notifications GROUP BY verdict")
            )

    ok = (
        set(health_statuses) == {200}
        and set(statuses) == {200}
        and set(again_statuses) == {200}
        and paid == payments == count
        and verdicts == {"applied": count, "duplicate": count}
    )
    rate, again_rate, health_rate = count / seconds, count / again_seconds, count / health_seconds
    print(f"Notification receiver: {count} notifications, {clients} concurrent clients, loopback")
    print(f"  {'what':52} {'per second':>12} {'ms each':>9}")
    for label, value in (
        ("GET /health (HTTP floor, same clients)", health_rate),
        ("signature verification alone (one core)", verify_rate),
        ("apply + record in the ledger alone (no HTTP)", apply_rate),
        ("POST notification: verify + apply + commit", rate),
        ("POST the same again: verify + duplicate verdict", again_rate),
    ):
        print(f"  {label:52} {value:12,.0f} {1000 / value:9.3f}")
    print(f"  notifications vs /health: {rate / health_rate:.2f}x the HTTP floor's rate")
    print(f"  verification share of a notification: {rate / verify_rate:.1%}")
    print(f"  ledger check: {paid} bills paid, {payments} payments, verdicts {verdicts}")
    print("  OK" if ok else "  FAILED: some notifications were not applied exactly once")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
