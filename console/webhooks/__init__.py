"""The notification receiver: bePaid, beGateway and Payture tell the console what happened.

An ASGI (Starlette) app that providers POST status notifications to. It checks
who is calling, matches the notification to a bill or subscription in the
ledger, checks it against what was billed, applies it, and records a verdict —
all in one ledger write transaction — and answers 200 only after that commit.

    POST /notifications/bepaid   {"transaction": ...} of pay links; bare subscription objects
    POST /notifications/beyag    {"transaction": ...} of alternative payments
    POST /notifications/payture  {"bill_id", "status", "amount"} of Payture bills
    GET  /health

Billing sets ``notification_url = f"{settings.webhook_url}/notifications/bepaid"``
(or ``/beyag``). Payture's requests carry no notification URL: the provider is told
``/notifications/payture`` once (``merchant-console run`` tells the sandbox). A
Payture notice is only a hint: it is HMAC-checked, then billStatus is asked and its
answer recorded (``billing.notifications``).

What a verified body means — reading it into a notice, masking it for the ledger,
matching and applying it — is :mod:`console.notices`, which an admin's replay
(``billing.notifications.replay``) runs too; its names used here are re-exported.
This package is the HTTP side. Modules (each re-exported here):

    _verify.py    HTTP Basic shop credentials (constant time), Content-Signature (RSA-SHA256;
                  HMAC-SHA256 for Payture)
    _keys.py      where the public key comes from (settings; the sandbox in sandbox mode)
    _writer.py    the one ledger writer: notices that arrive together commit together
    _app.py       routes, request order, answers, logging, rejected-attempt budget
    _limits.py    how long a client may take to send a request, how many are served
    _serve.py     serve(): uvicorn on loopback, with those limits

Decisions (details in the modules):

* **Verdicts** are ``applied | duplicate | stale | mismatch | unknown_object |
  rejected | error``, one ``notifications`` row per delivery (ledger schema v3).
  Idempotence comes from the ledger (never-regress statuses, payments unique per
  provider transaction id); the row only says what happened. Same notification
  five times: one status event, one payment, then four ``duplicate`` rows.
* **Answer 200 for every verdict** (unknown object and mismatch included): a
  retry of the same bytes cannot turn out differently, and an unknown object is
  not ours (billing writes a row before it calls the provider). 500 only when
  the write failed, so the provider retries; 401 for failed authentication.
* **Rejected attempts** are recorded without body or ids, at most 30 a minute
  (a token bucket); beyond that they are counted and the count logged.
* **Money mismatch**: a successful transaction for another amount or currency
  makes the bill ``mismatch``, never ``paid``; the payment is recorded when the
  currency is the bill's (the money did arrive). A test notification never
  touches a live bill, nor the reverse.
* **Subscriptions**: the payment amount follows the plan (trial amount until a
  regular cycle is paid), since ``last_transaction`` carries none; a notice with
  fewer paid cycles than the ledger holds is stale, and so is one with as many
  whose own time (``updated_at``, else its last charge's ``created_at``) is before
  the newest notice applied (kept as ``subscriptions.last_notice_at``).
* **Group commit**: notifications that arrive while one is being written share
  the next write transaction, each in its own savepoint; each 200 still waits
  for the commit of its own verdict (``_writer.py``).
* **Secrets** (shop secret key, Authorization header) are never logged or stored.
  An authenticated body is stored masked — no secrets, no card data, at most 64 KiB
  (:mod:`console.notices`) — with its SHA-256; a rejected one is not stored at all.
* **Limits**: a request's head must arrive within 10 s, its body within 30 s
  (deadlines that trickled bytes do not extend; uvicorn has neither; its httptools
  parser is used, with h11 still selectable), at most
  256 KiB of body (413), 16 KiB of unfinished head (400), 100 open connections
  (503 beyond), idle keep-alive 5 s (``_limits.py``).
* Binds to ``127.0.0.1`` in every mode; live mode sits behind a TLS proxy.
"""

from __future__ import annotations

from console.notices import (
    ROUTE_PROVIDER,
    ChargeReport,
    Delivery,
    Notice,
    SubscriptionNotice,
    TransactionNotice,
    UnreadableNotice,
    Verdict,
    apply_notice,
    find_bill,
    find_subscription,
    read_notice,
)
from console.webhooks._app import (
    MAX_BODY_BYTES,
    REJECTED_ROWS_PER_MINUTE,
    Receiver,
    RejectionBudget,
    create_app,
)
from console.webhooks._keys import (
    DEFAULT_KEY_WAIT,
    PUBLIC_KEY_PATH,
    configured_public_key,
    fetch_sandbox_public_key,
)
from console.webhooks._limits import (
    DeadlineH11Protocol,
    DeadlineHttpToolsProtocol,
    ReceiverLimits,
)
from console.webhooks._serve import DEFAULT_HOST, serve
from console.webhooks._verify import (
    BasicCredentials,
    ShopCredentials,
    SignatureVerifier,
    parse_basic_auth,
)
from console.webhooks._writer import MAX_NOTICES_PER_COMMIT, LedgerWriter

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_KEY_WAIT",
    "MAX_BODY_BYTES",
    "MAX_NOTICES_PER_COMMIT",
    "PUBLIC_KEY_PATH",
    "REJECTED_ROWS_PER_MINUTE",
    "ROUTE_PROVIDER",
    "BasicCredentials",
    "ChargeReport",
    "DeadlineH11Protocol",
    "DeadlineHttpToolsProtocol",
    "Delivery",
    "LedgerWriter",
    "Notice",
    "Receiver",
    "ReceiverLimits",
    "RejectionBudget",
    "ShopCredentials",
    "SignatureVerifier",
    "SubscriptionNotice",
    "TransactionNotice",
    "UnreadableNotice",
    "Verdict",
    "apply_notice",
    "configured_public_key",
    "create_app",
    "fetch_sandbox_public_key",
    "find_bill",
    "find_subscription",
    "parse_basic_auth",
    "read_notice",
    "serve",
]
