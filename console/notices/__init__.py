"""Provider notifications as the console understands them: read, masked, applied.

The notification receiver (:mod:`console.webhooks`) verifies who sent a body and
answers HTTP; what a verified body *means* lives here, so that billing can re-run a
stored notification (``billing.notifications.replay``) through exactly the path the
receiver takes, without importing the receiver (which imports billing)::

    console.webhooks ──► console.billing ──► console.notices ──► console.ledger
            └──────────────────────────────────────┘

Modules (each re-exported here):

    _read.py    body -> TransactionNotice | SubscriptionNotice | PaytureNotice, dedupe keys
    _mask.py    the body as the ledger keeps it: no secrets, no card data
    _apply.py   match, check, apply, verdict — one write transaction (bePaid, beyag);
                Payture notices are applied by billing, which asks billStatus

This package needs the ledger and the providers' wire readers, nothing else.
"""

from __future__ import annotations

from console.notices._apply import (
    BILL_MATCH,
    Delivery,
    Verdict,
    apply_notice,
    find_bill,
    find_subscription,
)
from console.notices._mask import IDENTIFIER_PATHS, MASK, mask, mask_text, masked_payload
from console.notices._read import (
    MAX_BILL_ID,
    ROUTE_PROVIDER,
    ChargeReport,
    Notice,
    PaytureNotice,
    SubscriptionNotice,
    TransactionNotice,
    UnreadableNotice,
    load_json_object,
    notice_of,
    payture_notice_of,
    read_notice,
    read_payture_notice,
)

__all__ = [
    "BILL_MATCH",
    "IDENTIFIER_PATHS",
    "MASK",
    "MAX_BILL_ID",
    "ROUTE_PROVIDER",
    "ChargeReport",
    "Delivery",
    "Notice",
    "PaytureNotice",
    "SubscriptionNotice",
    "TransactionNotice",
    "UnreadableNotice",
    "Verdict",
    "apply_notice",
    "find_bill",
    "find_subscription",
    "load_json_object",
    "mask",
    "mask_text",
    "masked_payload",
    "notice_of",
    "payture_notice_of",
    "read_notice",
    "read_payture_notice",
]
