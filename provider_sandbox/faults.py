"""Injected faults: make the next N matching API requests slow, fail or vanish.

``POST /__sandbox/faults`` with ``{"kind", "method", "path", "count", "status",
"seconds", "retry_after"}`` registers a fault; it applies to the next ``count``
requests (default 1) whose method and path match, then it is spent (it stays in
``GET /__sandbox/faults`` with ``remaining: 0`` so a test can see it fired).
The first matching fault in registration order wins. Faults are kept in memory:
a restart clears them (they are test scaffolding, not provider state).

Matching:
- ``method``: an HTTP method, case-insensitive; omitted or ``"*"`` = any.
- ``path``: an exact path (``/ctp/api/checkouts``); a value starting with ``^`` is
  a regular expression searched in the path (end it with ``$`` to anchor both
  ends); omitted or ``"*"`` = any path. The query string is not part of the path.
- Faults never apply to the admin prefix ``/__sandbox``.

Kinds, as an httpx client sees them:
- ``latency``: wait ``seconds`` (default 1), then serve normally.
- ``error``: answer ``status`` (default 503, 400–599) with a JSON body
  ``{"message": <reason phrase>, "errors": {}}``; the handler does not run.
- ``rate_limit``: answer 429 with ``Retry-After: <retry_after>`` (default 1); the
  handler does not run.
- ``drop``: after ``seconds`` (default 0) the connection closes mid-response,
  without running the handler. An ASGI app cannot close its socket, so the fault
  sends a 200 status line promising a body it never completes and returns;
  uvicorn then closes the connection (and logs "ASGI callable returned without
  completing response"). httpx raises ``httpx.RemoteProtocolError`` ("peer
  closed connection without sending complete message body").
- ``commit_then_timeout``: run the handler (its writes commit), discard its
  response, hold the connection for ``seconds`` (default 30) and then drop it as
  above. A client whose read timeout is shorter than ``seconds`` gets
  ``httpx.ReadTimeout``; a more patient one gets ``httpx.RemoteProtocolError``.
  Either way the operation happened: the client must reconcile, not blindly retry.
  A held connection delays the server's shutdown until ``seconds`` have passed.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import uuid
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from provider_sandbox.core import ADMIN_PREFIX

logger = logging.getLogger(__name__)

KINDS = ("latency", "error", "rate_limit", "drop", "commit_then_timeout")
DEFAULT_SECONDS = {"latency": 1.0, "drop": 0.0, "commit_then_timeout": 30.0}
# What a dropped response promises: more bytes than it will ever send.
_PROMISED_LENGTH = b"1024"


class FaultSpecError(ValueError):
    """Raised when a fault request is malformed; ``errors`` maps field -> messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k} {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Fault:
    """One registered fault and how many more requests it will hit."""

    kind: str
    method: str = "*"
    path: str = "*"
    remaining: int = 1
    status: int | None = None
    seconds: float | None = None
    retry_after: int | None = None
    id: str = field(default_factory=lambda: "flt_" + uuid.uuid4().hex[:16])
    applied: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method != "*" and self.method != method.upper():
            return False
        if self.path == "*":
            return True
        if self.path.startswith("^"):
            return re.search(self.path, path) is not None
        return self.path == path

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def _number(body: dict[str, Any], name: str, errors: dict[str, list[str]]) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors[name] = ["must be a number"]
        return None
    if value < 0:
        errors[name] = ["must not be negative"]
        return None
    return float(value)


def parse_fault(body: dict[str, Any]) -> Fault:
    """Validate a ``POST /__sandbox/faults`` body; raises :class:`FaultSpecError`."""
    errors: dict[str, list[str]] = {}
    given_kind = body.get("kind")
    kind = given_kind if isinstance(given_kind, str) and given_kind in KINDS else ""
    if not kind:
        errors["kind"] = [f"must be one of {', '.join(KINDS)}"]
    method = body.get("method") or "*"
    if not isinstance(method, str) or not re.fullmatch(r"\*|[A-Za-z]+", method):
        errors["method"] = ["must be an HTTP method or *"]
    path = body.get("path") or "*"
    if not isinstance(path, str):
        errors["path"] = ["must be a string"]
    elif path.startswith("^"):
        try:
            re.compile(path)
        except re.error as exc:
            errors["path"] = [f"is not a valid regular expression ({exc})"]
    elif path != "*" and not path.startswith("/"):
        errors["path"] = ["must start with / (exact path) or ^ (regular expression)"]
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        errors["count"] = ["must be a positive integer"]
    seconds = _number(body, "seconds", errors)
    status = body.get("status", 503 if kind == "error" else None)
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599
    ):
        errors["status"] = ["must be an HTTP error status (400-599)"]
    retry_after = body.get("retry_after", 1 if kind == "rate_limit" else None)
    if retry_after is not None and (
        isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0
    ):
        errors["retry_after"] = ["must be a non-negative integer (seconds)"]
    if errors:
        raise FaultSpecError(errors)
    if seconds is None:
        seconds = DEFAULT_SECONDS.get(kind)
    return Fault(
        kind=kind,
        method=method.upper(),
        path=path,
        remaining=count,
        status=status if kind == "error" else None,
        seconds=seconds if kind in DEFAULT_SECONDS else None,
        retry_after=retry_after if kind == "rate_limit" else None,
    )


class FaultRegistry:
    """The registered faults; safe to use from the event loop and worker threads."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that applies to this request (counting it as applied), or None."""
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            return None
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    fault.applied += 1
                    return fault
        return None

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.describe() for fault in self._faults]

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [fault for fault in self._faults if fault.id != fault_id]
            return len(self._faults) < before

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._faults)
            self._faults = []
            return cleared


class FaultMiddleware:
    """ASGI middleware (outermost): applies a registered fault to a matching request."""

    def __init__(self, app: ASGIApp, registry: FaultRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fault = self.registry.take(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        logger.warning(
            "sandbox fault %s (%s) applied to %s %s",
            fault.id,
            fault.kind,
            scope["method"],
            scope["path"],
        )
        if fault.kind == "latency":
            await asyncio.sleep(fault.seconds or 0)
            await self.app(scope, receive, send)
        elif fault.kind == "error":
            status = fault.status or 503
            await _json_error(status, {}, scope, receive, send)
        elif fault.kind == "rate_limit":
            headers = {"Retry-After": str(fault.retry_after or 0)}
            await _json_error(429, headers, scope, receive, send)
        elif fault.kind == "drop":
            await _drain(receive)
            await asyncio.sleep(fault.seconds or 0)
            await _drop_connection(send)
        else:  # commit_then_timeout

            async def discard(_message: Message) -> None:
                return None

            await self.app(scope, receive, discard)
            await asyncio.sleep(fault.seconds or 0)
            await _drop_connection(send)


async def _json_error(
    status: int, headers: dict[str, str], scope: Scope, receive: Receive, send: Send
) -> None:
    body = {"message": HTTPStatus(status).phrase, "errors": {}}
    await JSONResponse(body, status_code=status, headers=headers)(scope, receive, send)


async def _drain(receive: Receive) -> None:
    """Read the request body so the client is not cut off while still sending it."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _drop_connection(send: Send) -> None:
    """Start a response and leave it incomplete: uvicorn closes the connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", _PROMISED_LENGTH),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
