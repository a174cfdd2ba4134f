"""The receiver as an ASGI app: routes, authentication order, answers, logging.

Routes::

    POST /notifications/bepaid   card transactions of pay links, bare subscription objects
    POST /notifications/beyag    beGateway alternative-payment transactions
    POST /notifications/payture  Payture bill status changes (see ``billing.notifications``)
    GET  /health                 200 {"status": "ok", "mode", "key_fingerprint"}

The Payture route takes an HMAC ``Content-Signature`` instead of Basic credentials
and an RSA signature (behind-api defines no scheme; see ``_verify.py``), and it
believes billStatus, not the body: it asks Payture before it writes, outside the
writer slot, and answers 503 when Payture cannot be asked. Without ``[payture]``
settings every Payture notification is refused with 401.

A request is handled in this order, cheapest refusal first:

1. HTTP Basic shop credentials (constant-time) — checked before the body is
   read, so an unauthenticated caller cannot make the receiver buffer anything;
2. the body, at most :data:`MAX_BODY_BYTES` (413 beyond);
3. ``Content-Signature`` over the raw bytes;
4. reading the notice, then one ledger write transaction with its verdict row.

Answers:

* 200 once the write transaction has **committed** — for every verdict,
  ``unknown_object``, ``mismatch`` and ``error`` (unreadable body) included:
  bePaid retries anything else with back-off, and a retry of the same bytes
  cannot turn out differently. An unknown object is not ours — billing writes a
  bill's row *before* it asks the provider, so a notification cannot outrun
  it — for example a payment made from the bePaid back office or another
  integration on the same shop; the sync job and support see it in the
  notifications list.
* 401 for missing or wrong credentials or signature, 413 for a body over
  :data:`MAX_BODY_BYTES` (before reading it when ``Content-Length`` says so); both
  close the connection (``Connection: close``), since the body may be unread.
  Nothing about the object is written; a ``rejected`` row (route, reason, peer
  address — no body, no headers) is kept for support, but at most
  :data:`REJECTED_ROWS_PER_MINUTE` a minute, so a flood of forged requests cannot
  fill the disk or the log; beyond it they are only counted, and the count is
  logged with the next recorded rejection.
* 500 when the ledger write failed (locked beyond the busy timeout, disk full,
  read-only file): nothing was committed, and the provider's retry is what
  recovers it.

Ledger writes run in a worker thread, one at a time, and notifications that
arrive while one is written share the next transaction (a group commit, each in
its own savepoint; see ``_writer.py``). Writers in other processes (the console,
the sync job) still wait on the lock through the ledger's busy timeout, never
failing with "database is locked".

What is stored: every authenticated notification's row keeps its body's SHA-256
and, when the body is a JSON object, the body masked (``console.notices``: no
secrets, no card data; at most 64 KiB), so support can read it and an admin can
replay it. Rejected requests keep neither.

Secrets: the shop secret key and the ``Authorization`` header are never logged
or stored; log lines name the route, verdict, object and provider ids only.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from console.billing import Billing
from console.config import Settings
from console.ledger import Ledger, console_ref
from console.notices import (
    ROUTE_PROVIDER,
    Delivery,
    Notice,
    PaytureNotice,
    UnreadableNotice,
    Verdict,
    load_json_object,
    masked_payload,
    notice_of,
    payture_notice_of,
)
from console.providers import ProviderError
from console.webhooks._keys import (
    DEFAULT_KEY_WAIT,
    configured_public_key,
    fetch_sandbox_public_key,
)
from console.webhooks._verify import (
    HmacVerifier,
    ShopCredentials,
    SignatureVerifier,
    parse_basic_auth,
)
from console.webhooks._writer import LedgerWriter

log = logging.getLogger("console.webhooks")

#: Largest body accepted; a subscription object is a few KiB.
MAX_BODY_BYTES = 256 * 1024
#: Rejected attempts recorded (ledger row and log line) per minute; the rest are counted.
REJECTED_ROWS_PER_MINUTE = 30


class RejectionBudget:
    """A token bucket: how many rejected attempts a minute are recorded."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.tokens = self.capacity
        self.updated = clock()
        self.unrecorded = 0

    def take(self) -> bool:
        """True when this rejection may be recorded; False counts it as unrecorded."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.unrecorded += 1
        return False

    def pop_unrecorded(self) -> int:
        """Rejections not recorded since the last call."""
        count, self.unrecorded = self.unrecorded, 0
        return count


class Receiver:
    """The request handlers and what they share: credentials, key, ledger, its writer."""

    def __init__(self, settings: Settings, ledger: Ledger, *, key_wait: float) -> None:
        pem = configured_public_key(settings)  # raises ConfigError first: the clearer message
        assert settings.bepaid is not None
        self.settings = settings
        self.ledger = ledger
        self.key_wait = key_wait
        self.credentials = ShopCredentials(settings.bepaid.shop_id, settings.bepaid.secret_key)
        self.verifier: SignatureVerifier | None = SignatureVerifier(pem) if pem else None
        self.rejections = RejectionBudget(REJECTED_ROWS_PER_MINUTE)
        self.writer = LedgerWriter(ledger)
        # Payture notices are checked with billStatus through the shared billing code.
        self.payture_verifier: HmacVerifier | None = None
        self.billing: Billing | None = None
        if settings.payture is not None:
            self.payture_verifier = HmacVerifier(settings.payture.access_token)
            self.billing = Billing(settings, ledger)

    async def start(self) -> None:
        """Fetch the sandbox's key when none is configured."""
        if self.verifier is None:
            pem = await anyio.to_thread.run_sync(
                partial(fetch_sandbox_public_key, self.settings.sandbox_url, wait=self.key_wait)
            )
            self.verifier = SignatureVerifier(pem)
        log.info("notification receiver ready (key sha256:%s)", self.verifier.fingerprint)

    # -- routes ---------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "mode": self.settings.mode,
                "key_fingerprint": self.verifier.fingerprint if self.verifier else None,
            }
        )

    async def bepaid(self, request: Request) -> Response:
        return await self.receive(request, "bepaid")

    async def beyag(self, request: Request) -> Response:
        return await self.receive(request, "beyag")

    async def payture(self, request: Request) -> Response:
        """A Payture bill notice: verify, find the bill, ask billStatus, record."""
        received_at = datetime.now(UTC)
        peer = request.client.host if request.client else "unknown"
        if self.payture_verifier is None or self.billing is None:
            return await self._reject("payture", peer, "Payture is not configured here")
        body = await self._verified_body(request, "payture", peer, self.payture_verifier)
        if isinstance(body, Response):
            return body
        digest = hashlib.sha256(body).hexdigest()
        try:
            data = load_json_object(body)
        except UnreadableNotice as exc:
            return await self._record_unreadable("payture", str(exc), Delivery(received_at, digest))
        delivery = Delivery(received_at, digest, masked_payload(data))
        try:
            notice = payture_notice_of(data)
        except UnreadableNotice as exc:
            return await self._record_unreadable("payture", str(exc), delivery)
        notifications = self.billing.notifications
        bill = await anyio.to_thread.run_sync(notifications.payture_bill, notice)
        try:
            if bill is None or bill.demo:
                why = "no Payture bill with this id" if bill is None else "matches demo data only"
                verdict = await self.writer.run(
                    notifications.payture_unmatched, notice, why, delivery
                )
            else:
                try:
                    seen = await anyio.to_thread.run_sync(self.billing.objects.observe, bill)
                except ProviderError as exc:
                    log.warning(
                        "payture bill %s: billStatus failed (%s); answered 503 so it comes again",
                        notice.bill_id,
                        type(exc).__name__,
                    )
                    return JSONResponse(
                        {"error": "could not confirm with billStatus; retry later"},
                        status_code=503,
                    )
                verdict = await self.writer.run(
                    notifications.apply_payture, bill.id, notice, seen, delivery
                )
        except Exception as exc:  # any failure to commit: the provider must retry
            return _write_failed("payture", exc)
        return _answer("payture", notice, verdict)

    async def receive(self, request: Request, route: str) -> Response:
        """Authenticate, read, apply and record one notification (see the module docstring)."""
        received_at = datetime.now(UTC)
        peer = request.client.host if request.client else "unknown"
        if not self.credentials.match(parse_basic_auth(request.headers.get("authorization"))):
            return await self._reject(route, peer, "missing or wrong HTTP Basic credentials")
        assert self.verifier is not None  # set at start
        body = await self._verified_body(request, route, peer, self.verifier)
        if isinstance(body, Response):
            return body
        digest = hashlib.sha256(body).hexdigest()
        try:
            data = load_json_object(body)
        except UnreadableNotice as exc:
            return await self._record_unreadable(route, str(exc), Delivery(received_at, digest))
        # The body as the ledger keeps it: secrets and card data masked (console.notices).
        delivery = Delivery(received_at, digest, masked_payload(data))
        try:
            notice = notice_of(route, data)
        except UnreadableNotice as exc:
            return await self._record_unreadable(route, str(exc), delivery)
        try:
            verdict = await self.writer.apply(notice, delivery)
        except Exception as exc:  # any failure to commit: the provider must retry
            return _write_failed(route, exc)
        return _answer(route, notice, verdict)

    # -- helpers ----------------------------------------------------------------------

    async def _verified_body(
        self, request: Request, route: str, peer: str, verifier: SignatureVerifier | HmacVerifier
    ) -> bytes | Response:
        """The body when it is small enough and ``Content-Signature`` is right for it;
        otherwise the refusal (413 or 401) to send."""
        body = await _read_body(request, MAX_BODY_BYTES)
        if body is None:
            return await self._reject(
                route, peer, f"body over {MAX_BODY_BYTES} bytes or cut off", status=413
            )
        signature = request.headers.get("content-signature")
        if not verifier.verify(body, signature):
            reason = "invalid Content-Signature" if signature else "no Content-Signature"
            return await self._reject(route, peer, reason)
        return body

    async def _reject(self, route: str, peer: str, reason: str, *, status: int = 401) -> Response:
        if self.rejections.take():
            unrecorded = self.rejections.pop_unrecorded()
            log.warning(
                "rejected a notification on /notifications/%s from %s: %s%s",
                route,
                peer,
                reason,
                f" ({unrecorded} more rejected before it, not recorded)" if unrecorded else "",
            )
            try:
                await self.writer.run(
                    self.ledger.record_notification,
                    provider=ROUTE_PROVIDER[route],
                    verdict="rejected",
                    detail=f"{reason} (from {peer})",
                )
            except Exception as exc:  # the refusal stands even when it cannot be recorded
                log.error("could not record a rejected notification (%s)", type(exc).__name__)
        # A refused request's body may be unread (or still coming): the connection cannot
        # carry another request, so it is closed once the answer is out.
        headers = {"Connection": "close"}
        if status == 401 and route != "payture":  # Payture notices carry no Basic auth
            headers["WWW-Authenticate"] = 'Basic realm="notifications"'
        error = "unauthorized" if status == 401 else "payload too large"
        return JSONResponse({"error": error}, status_code=status, headers=headers)

    async def _record_unreadable(self, route: str, problem: str, delivery: Delivery) -> Response:
        try:
            notification_id = await self.writer.run(
                self.ledger.record_notification,
                provider=ROUTE_PROVIDER[route],
                verdict="error",
                detail=f"unreadable: {problem}",
                **delivery.row(),
            )
        except Exception as exc:
            return _write_failed(route, exc)
        log.warning("%s notification unreadable (%s); recorded as error", route, problem)
        return JSONResponse({"verdict": "error", "notification": notification_id})


def create_app(
    settings: Settings, ledger: Ledger, *, key_wait: float = DEFAULT_KEY_WAIT
) -> Starlette:
    """The notification receiver for ``settings`` writing to ``ledger``.

    ``key_wait``: seconds to keep asking the sandbox for its public key at start
    (sandbox mode without a configured key).

    Raises:
        ConfigError: no bePaid settings; live mode without ``[bepaid] public_key``;
            a configured key that is not a PEM RSA public key.
    """
    receiver = Receiver(settings, ledger, key_wait=key_wait)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await receiver.start()
        yield

    app = Starlette(
        routes=[
            Route("/notifications/bepaid", receiver.bepaid, methods=["POST"]),
            Route("/notifications/beyag", receiver.beyag, methods=["POST"]),
            Route("/notifications/payture", receiver.payture, methods=["POST"]),
            Route("/health", receiver.health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.receiver = receiver
    return app


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is longer than ``limit`` or the client went away."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except ClientDisconnect:
        return None
    return b"".join(chunks)


def _write_failed(route: str, exc: Exception) -> Response:
    # The type and message only, no traceback: the ledger code never sees the
    # Authorization header or the shop's secret key, so neither can be in them.
    message = getattr(exc, "message", None) or str(exc)
    log.error(
        "%s notification not recorded (%s: %s); answered 500 so the provider retries",
        route,
        type(exc).__name__,
        message,
    )
    return JSONResponse({"error": "not recorded; retry later"}, status_code=500)


def _answer(route: str, notice: Notice | PaytureNotice, verdict: Verdict) -> Response:
    """Log what was made of a notice and answer 200 with the verdict (after the commit)."""
    log.info(
        "%s %s %s (%s) -> %s %s%s",
        route,
        notice.kind,
        notice.object_id,
        notice.native_status,
        _ref(verdict),
        verdict.verdict,
        f": {verdict.detail}" if verdict.detail else "",
    )
    return JSONResponse({"verdict": verdict.verdict, "notification": verdict.notification_id})


def _ref(verdict: Verdict) -> str:
    if verdict.object_type is None or verdict.object_id is None:
        return "-"
    return console_ref(verdict.object_type, verdict.object_id)
