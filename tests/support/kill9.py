"""Kill a ledger writer with SIGKILL at random points and check what survived.

The writer process opens the ledger and, in a loop, writes one bill with its
payment and status event in one transaction, then prints the bill's tracking id:
a printed id is an *acknowledged* write. The parent reads acknowledgements for a
random number of writes, kills the writer with SIGKILL (no clean-up, possibly in
the middle of a transaction), and then checks the file:

* ``PRAGMA integrity_check`` is ``ok``;
* every acknowledged bill is present, with its payment;
* no bill exists without its payment (no half-written transaction).

Used by ``tests/unit/test_ledger_kill9.py`` (a few rounds) and runnable alone for
many rounds: ``python -m tests.support.kill9 --rounds 200 --ledger /tmp/k.db``.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

WRITER = r"""
import sys
from datetime import UTC, datetime
from console.ledger import Ledger, NewBill
from console.status import BillStatus

ledger = Ledger(sys.argv[1])
round_no = sys.argv[2]
i = 0
while True:
    i += 1
    tracking = f"kill9-{round_no}-{i}"
    with ledger.write():
        bill = ledger.create_bill(
            NewBill(
                provider="bepaid", kind="card_link", tracking_id=tracking, amount=1000 + i,
                currency="BYN", status=BillStatus.PENDING,
            )
        )
        ledger.record_payment(provider="bepaid", provider_txn_id=tracking, amount=1000 + i,
                              currency="BYN", at=datetime.now(UTC), bill_id=bill)
        ledger.record_bill_status(bill, BillStatus.PAID, "successful", "webhook")
    print(tracking, flush=True)
"""


@dataclass
class Kill9Result:
    rounds: int
    acknowledged: int
    lost: list[str]
    orphans: int
    integrity: str


def run_rounds(ledger_path: Path, rounds: int, *, seed: int = 0, max_acks: int = 60) -> Kill9Result:
    rng = random.Random(seed)
    acknowledged: list[str] = []
    env = dict(os.environ)
    for round_no in range(rounds):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(ledger_path), str(round_no)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        wanted = rng.randint(0, max_acks)
        assert writer.stdout is not None
        for _ in range(wanted):
            line = writer.stdout.readline()
            if not line:
                break
            acknowledged.append(line.strip())
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        # Anything the writer printed before it died was acknowledged too.
        acknowledged.extend(line.strip() for line in writer.stdout.read().splitlines())
    return check(ledger_path, rounds, acknowledged)


def check(ledger_path: Path, rounds: int, acknowledged: list[str]) -> Kill9Result:
    import sqlite3

    conn = sqlite3.connect(ledger_path)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        present = {
            row[0]
            for row in conn.execute(
                "SELECT b.tracking_id FROM bills b JOIN payments p ON p.bill_id = b.id "
                "WHERE b.status = 'paid'"
            )
        }
        orphans = conn.execute(
            "SELECT count(*) FROM bills b WHERE NOT EXISTS "
            "(SELECT 1 FROM payments p WHERE p.bill_id = b.id)"
        ).fetchone()[0]
    finally:
        conn.close()
    lost = [tracking for tracking in acknowledged if tracking not in present]
    return Kill9Result(rounds, len(acknowledged), lost, orphans, integrity)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--ledger", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = run_rounds(args.ledger, args.rounds, seed=args.seed)
    print(
        f"{result.rounds} SIGKILL rounds: {result.acknowledged} acknowledged writes, "
        f"{len(result.lost)} lost, {result.orphans} half-written, integrity {result.integrity}"
    )
    return 0 if not result.lost and not result.orphans and result.integrity == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())
