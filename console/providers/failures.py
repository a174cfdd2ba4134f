"""What a failed attempt means: which error to raise, and whether to try again.

:func:`is_retryable` is the one place retries are decided:

* a request that failed to **connect** (nothing was sent) is retried, whatever it is;
* a **repeatable** call (GETs, and behind-api ``billStatus``, a POST that only reads)
  is retried on 5xx, 429, read timeouts and dropped connections;
* a **create** is never re-sent once it may have reached the provider: a read
  timeout, a dropped connection, a 502/504 (a gateway answering for a backend that
  may have done it) or a 2xx body we cannot read raise
  :class:`~console.providers.errors.OutcomeUnknown` carrying the ``tracking_id``;
  a 500/503 (the provider says it failed) raises ``ProviderUnavailable`` and a 429
  (refused, not done) ``RateLimited``, both at once, so billing decides.

A 429 waits ``Retry-After`` when that is at most ``RetryPolicy.max_retry_after``
seconds. A longer wait is not slept through: ``RateLimited`` is raised at once with
``retry_after`` so the caller (bulk sync) can back off as a whole.

The class of an error comes from :func:`~console.providers.errors.error_for_status`.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from console.providers.errors import (
    OutcomeUnknown,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    UnexpectedResponse,
    error_for_status,
)
from console.providers.policy import Call, RetryPolicy

REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-correlation-id")
# Transport failures that happen before a byte of the request left this process.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
# 5xx answers to a create after which the object may exist (a gateway timed out or
# lost the backend's answer); other 5xx say the provider failed to do it.
AMBIGUOUS_5XX = frozenset({502, 504})


class Retry(Exception):
    """Raised inside the retry loop when :func:`is_retryable` allows another attempt."""

    def __init__(self, error: ProviderError, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


def is_retryable(error: ProviderError, call: Call, *, sent: bool, policy: RetryPolicy) -> bool:
    """Whether to try ``call`` again after ``error``. The one place retries are decided."""
    if not sent:
        return True  # nothing reached the provider: repeating cannot duplicate anything
    if not call.repeatable:
        return False
    if isinstance(error, RateLimited):
        return error.retry_after is None or error.retry_after <= policy.max_retry_after
    return isinstance(error, ProviderUnavailable)


def failure_from_transport(
    exc: httpx.RequestError, call: Call, provider: str, policy: RetryPolicy
) -> ProviderError | Retry:
    """Turn a transport failure into the error to raise, or a :class:`Retry`."""
    sent = not isinstance(exc, NOT_SENT)
    kind = type(exc).__name__
    if sent and not call.repeatable:
        return OutcomeUnknown(
            f"{call.where}: {kind} after the request was sent; it may have been carried out.",
            provider=provider,
            operation=call.operation,
            tracking_id=call.tracking_id,
        )
    what = "could not connect" if not sent else f"{kind} while waiting for the answer"
    error = ProviderUnavailable(
        f"{call.where}: {what}.", provider=provider, operation=call.operation
    )
    return Retry(error) if is_retryable(error, call, sent=sent, policy=policy) else error


def failure_from_response(
    response: httpx.Response, call: Call, provider: str, policy: RetryPolicy
) -> ProviderError | Retry:
    """Turn a non-2xx answer into the error to raise, or a :class:`Retry`."""
    body = _json_or_none(response)
    message = body.get("message") if isinstance(body, dict) else None
    errors = body.get("errors") if isinstance(body, dict) else None
    return failure_for(
        response.status_code,
        call=call,
        provider=provider,
        policy=policy,
        message=str(message) if message else None,
        errors=errors if isinstance(errors, dict) else None,
        request_id=request_id_of(response),
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )


def failure_for(
    http_status: int,
    *,
    call: Call,
    provider: str,
    policy: RetryPolicy,
    message: str | None = None,
    errors: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
    meaning: int | None = None,
) -> ProviderError | Retry:
    """The error (or :class:`Retry`) for a failed answer.

    ``meaning`` is the status whose class applies when it differs from the real one:
    behind-api reports failures with HTTP 200 and a message (see
    :func:`~console.providers.errors.behind_api_status`).
    """
    status = meaning or http_status
    details: dict[str, Any] = {
        "provider": provider,
        "operation": call.operation,
        "http_status": http_status,
        "provider_message": message,
        "errors": errors,
        "request_id": request_id,
    }
    text = f"{call.where}: HTTP {http_status}" + (f" — {message}" if message else "")
    if not call.repeatable and status in AMBIGUOUS_5XX:
        return OutcomeUnknown(
            text + "; the provider may have carried it out.",
            tracking_id=call.tracking_id,
            **details,
        )
    cls = error_for_status(status)
    if cls is RateLimited:
        error: ProviderError = RateLimited(text, retry_after=retry_after, **details)
    else:
        error = cls(text, **details)
    if is_retryable(error, call, sent=True, policy=policy):
        return Retry(error, retry_after if cls is RateLimited else None)
    return error


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def request_id_of(response: httpx.Response) -> str | None:
    for name in REQUEST_ID_HEADERS:
        if name in response.headers:
            return response.headers[name]
    return None


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def unreadable(call: Call, provider: str, reason: str, response: httpx.Response) -> ProviderError:
    """A 2xx answer we cannot read: UnexpectedResponse for a read, OutcomeUnknown for a create."""
    text = f"{call.where}: HTTP {response.status_code}, but {reason}"
    status, request_id = response.status_code, request_id_of(response)
    if call.repeatable:
        return UnexpectedResponse(
            text + ".",
            provider=provider,
            operation=call.operation,
            http_status=status,
            request_id=request_id,
        )
    return OutcomeUnknown(
        text + "; it was probably carried out but we cannot tell what was created.",
        tracking_id=call.tracking_id,
        provider=provider,
        operation=call.operation,
        http_status=status,
        request_id=request_id,
    )
