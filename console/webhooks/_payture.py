"""Payture bill notifications: a hint to ask billStatus, never a status to believe.

behind-api's only word on notifications is its webhook example: the merchant's
endpoint reads ``{bill_id, status, amount}``, verifies the request, then **asks
billStatus** and acts on that answer. The receiver does the same:

1. the HMAC ``Content-Signature`` is checked (``_verify.HmacVerifier``);
2. the body is read into a :class:`PaytureNotice` (``bill_id`` required, at most
   255 characters; ``status`` and ``amount`` optional);
3. the bill is found by its Payture bill id — none: verdict ``unknown_object``;
4. billStatus is asked through the shared billing observation (the same rules as a
   poll: gift code, payment dated when seen, AMOUNT_MISMATCH → ``mismatch``); when
   Payture cannot be asked, nothing is recorded about the bill and the receiver
   answers 503 so the notification comes again;
5. in one write transaction: the answer is recorded with ``source="webhook"`` and
   the notifications row is written.

A notice that reports an amount other than the bill's while billStatus does not
say AMOUNT_MISMATCH is verdict ``mismatch`` and changes nothing: the two sources
disagree, and the next poll (or the provider's next notice) settles it.

Verdicts otherwise: ``applied`` when billStatus told us something new;
``duplicate`` when it did not and the notice reports what billStatus says;
``stale`` when the notice reports another status than billStatus now gives (a
``PAID`` notice arriving after ``DONE``). Ledger kind: ``transaction`` (the
bill's payment), dedupe key ``payture:bill:<bill_id>:<status>``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from console.auth import WEBHOOK_ACTOR
from console.billing import Billing
from console.ledger import Bill, Ledger
from console.status import BillStatus
from console.webhooks._apply import Verdict
from console.webhooks._notices import UnreadableNotice, load_json_object

MAX_BILL_ID = 255


@dataclass(frozen=True, slots=True)
class PaytureNotice:
    """What a Payture notification claims: a bill id, perhaps a status and an amount."""

    bill_id: str
    native_status: str | None
    amount: int | None

    route = "payture"
    kind = "transaction"
    provider = "payture"

    @property
    def object_id(self) -> str:
        return self.bill_id

    @property
    def dedupe_key(self) -> str:
        return f"payture:bill:{self.bill_id}:{self.native_status or '-'}"


def read_payture_notice(body: bytes) -> PaytureNotice:
    """The notice in ``body``.

    Raises:
        UnreadableNotice: not a JSON object (or nested too deeply to read) with a
            usable ``bill_id``, or a ``status`` or ``amount`` of the wrong type.
    """
    data = load_json_object(body)
    bill_id = data.get("bill_id")
    if not isinstance(bill_id, str) or not bill_id.strip() or len(bill_id) > MAX_BILL_ID:
        raise UnreadableNotice(f"bill_id must be text of 1-{MAX_BILL_ID} characters")
    status = data.get("status")
    if status is not None and (not isinstance(status, str) or len(status) > 40):
        raise UnreadableNotice("status must be a short text")
    amount = data.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise UnreadableNotice("amount must be a whole number of minor units")
    return PaytureNotice(bill_id.strip(), status, amount)


def find_payture_bill(ledger: Ledger, notice: PaytureNotice) -> Bill | None:
    """The Payture bill the notice is about (by its bill id), or None."""
    return ledger.find_bill("payture", provider_id=notice.bill_id)


def apply_payture_notice(
    billing: Billing,
    bill_id: int,
    notice: PaytureNotice,
    seen: Any,
    *,
    body_sha256: str | None = None,
    received_at: datetime | None = None,
) -> Verdict:
    """Record billStatus's answer ``seen`` (``billing.objects.observe``'s observation) for bill
    ``bill_id`` and the notification row, in one write transaction (see the module
    docstring for the verdicts).

    Raises:
        LedgerError, sqlite3.Error: the write failed; nothing was committed.
    """
    ledger = billing.ledger
    with ledger.write():
        bill = ledger.get_bill(bill_id)
        assert bill is not None  # bills are never deleted
        verdict = _verdict(billing, bill, notice, seen)
        return _recorded(ledger, notice, verdict, body_sha256, received_at)


def record_unmatched(
    ledger: Ledger,
    notice: PaytureNotice,
    why: str,
    body_sha256: str | None,
    received_at: datetime | None,
) -> Verdict:
    """Record a notice about no bill of ours (verdict ``unknown_object``)."""
    with ledger.write():
        verdict = Verdict("unknown_object", why)
        return _recorded(ledger, notice, verdict, body_sha256, received_at)


def _recorded(
    ledger: Ledger,
    notice: PaytureNotice,
    verdict: Verdict,
    body_sha256: str | None,
    received_at: datetime | None,
) -> Verdict:
    """Write the notifications row for ``verdict``; return it with the row's id."""
    notification_id = ledger.record_notification(
        provider="payture",
        verdict=verdict.verdict,
        kind=notice.kind,
        object_type=verdict.object_type,
        object_id=verdict.object_id,
        provider_object_id=notice.bill_id,
        status_reported=notice.native_status,
        detail=verdict.detail,
        dedupe_key=notice.dedupe_key,
        body_sha256=body_sha256,
        received_at=received_at,
    )
    return replace(verdict, notification_id=notification_id)


def _verdict(billing: Billing, bill: Bill, notice: PaytureNotice, seen: Any) -> Verdict:
    said = f"billStatus says {seen.native_status or 'nothing'}"
    if (
        notice.amount is not None
        and notice.amount != bill.amount
        and seen.status != BillStatus.MISMATCH
    ):
        detail = f"the notice reports {notice.amount}, the bill is {bill.amount}; {said}"
        return Verdict("mismatch", detail + "; nothing applied", "bill", bill.id)
    change = billing.objects.record(bill, seen, WEBHOOK_ACTOR, source="webhook")
    if change.status_changed or change.new_payments:
        return Verdict("applied", f"{said}: {change.before} → {change.after}", "bill", bill.id)
    if notice.native_status in (None, seen.native_status):
        earlier = billing.ledger.first_notification_with(notice.dedupe_key)
        repeat = f"; repeats notification #{earlier.id}" if earlier else ""
        return Verdict("duplicate", f"{said}, as recorded{repeat}", "bill", bill.id)
    detail = f"{said}; the notice's {notice.native_status} is not current"
    return Verdict("stale", detail, "bill", bill.id)
