"""Sending provider calls: the blocking and async senders, logging, and client reuse.

:class:`Sender` (``httpx.Client``) and :class:`AsyncSender` (``httpx.AsyncClient``)
send a :class:`~console.providers.policy.Call` under the retry policy (through
``tenacity``), map what happened with :mod:`console.providers.failures`, and hand
the 2xx JSON to a parser from the provider module.

Connection reuse: blocking clients share one ``httpx.Client`` per provider settings
per process (:func:`shared_client`, built lazily under a lock; ``httpx.Client`` is
thread-safe). Async clients own their ``httpx.AsyncClient`` for one ``async with``
block, because an async connection pool belongs to the event loop that opened it.

Secrets: credentials travel in HTTP Basic auth (bePaid) or the JSON body
(behind-api), never in URLs; logged bodies go through :func:`scrub`; error messages
carry method, path, status and the provider's message only.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

import httpx
import tenacity

from console.providers.errors import OutcomeUnknown, ProviderError
from console.providers.failures import (
    Retry,
    failure_for,
    failure_from_response,
    failure_from_transport,
    request_id_of,
    unreadable,
)
from console.providers.policy import Call, RetryPolicy, Timeouts
from console.providers.wire import MalformedAnswer

log = logging.getLogger("console.providers")

USER_AGENT = "merchant-console/0.1 (+httpx)"
SECRET_KEYS = frozenset({"access_token", "secret_key", "password", "verification_value"})


def scrub(value: Any) -> Any:
    """A copy of a JSON value with credentials (``access_token`` and friends) masked."""
    if isinstance(value, Mapping):
        return {
            k: ("********" if str(k).lower() in SECRET_KEYS else scrub(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


#: Reads a 2xx body that may still report a failure (behind-api's ``success: false``):
#: returns ``(status the failure stands for, provider message)``, or ``None`` if fine.
EnvelopeCheck = Callable[[Any], "tuple[int, str | None] | None"]


class _Loop:
    """What the blocking and async senders share: the policy, logging and outcomes."""

    def __init__(
        self, *, provider: str, retry: RetryPolicy, envelope: EnvelopeCheck | None = None
    ) -> None:
        self.provider = provider
        self.retry = retry
        self.envelope = envelope
        self._backoff = retry.backoff()

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retry) and exc.wait is not None:
            return min(exc.wait, self.retry.max_retry_after)
        return self._backoff(state)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info(
            "%s: %s; retrying (attempt %d of %d) in %.2f s",
            self.provider,
            exc,
            state.attempt_number + 1,
            self.retry.attempts,
            wait,
        )

    def _retrying_args(self) -> dict[str, Any]:
        return {
            "stop": tenacity.stop_after_attempt(self.retry.attempts),
            "wait": self._wait,
            "retry": tenacity.retry_if_exception_type(Retry),
            "before_sleep": self._log_retry,
            "reraise": True,
        }

    def _log_request(self, call: Call, attempt: int) -> None:
        if log.isEnabledFor(logging.DEBUG):
            body = json.dumps(scrub(call.json), ensure_ascii=False) if call.json else ""
            log.debug("%s: %s (attempt %d) %s", self.provider, call.where, attempt, body)

    def _outcome(self, call: Call, response: httpx.Response, started: float, parse: Parser[T]) -> T:
        """The parsed answer of one attempt, or raise the error / Retry it amounts to."""
        log.debug(
            "%s: %s -> HTTP %d in %.3f s",
            self.provider,
            call.where,
            response.status_code,
            time.monotonic() - started,
        )
        if not response.is_success:
            raise failure_from_response(response, call, self.provider, self.retry)
        try:
            body = response.json()
        except (ValueError, UnicodeDecodeError):
            raise unreadable(call, self.provider, "the body is not JSON", response) from None
        failure = self.envelope(body) if self.envelope else None
        if failure is not None:
            meaning, message = failure
            raise failure_for(
                response.status_code,
                call=call,
                provider=self.provider,
                policy=self.retry,
                message=message,
                request_id=request_id_of(response),
                meaning=meaning,
            )
        try:
            return parse(body)
        except MalformedAnswer as exc:
            raise unreadable(call, self.provider, str(exc), response) from None

    def _final(self, error: ProviderError, attempts: int) -> ProviderError:
        """The error to raise after the last attempt, with the attempt count, logged once."""
        error.attempts = attempts
        if attempts > 1:
            error.message = f"{error.message} (after {attempts} attempts)"
            error.args = (error.message,)
        level = logging.WARNING if isinstance(error, OutcomeUnknown) else logging.INFO
        log.log(level, "%s: %s: %s", self.provider, type(error).__name__, error)
        return error


T = TypeVar("T")
#: Reads a 2xx answer's JSON into a typed result (raises MalformedAnswer).
Parser = Callable[[Any], T]


class Sender(_Loop):
    """Sends :class:`Call` objects with a blocking ``httpx.Client`` under the retry policy."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        provider: str,
        retry: RetryPolicy,
        envelope: EnvelopeCheck | None = None,
    ) -> None:
        super().__init__(provider=provider, retry=retry, envelope=envelope)
        self.client = client

    def send(self, call: Call, parse: Parser[T]) -> T:
        """Send ``call``; return its 2xx answer (through ``parse``) or raise a ProviderError."""
        attempts = 0

        def attempt() -> T:
            nonlocal attempts
            attempts += 1
            self._log_request(call, attempts)
            started = time.monotonic()
            try:
                response = self.client.request(
                    call.method,
                    call.url,
                    json=call.json,
                    params=call.params,
                    headers=dict(call.headers),
                )
            except httpx.RequestError as exc:
                raise failure_from_transport(exc, call, self.provider, self.retry) from exc
            return self._outcome(call, response, started, parse)

        retrying = tenacity.Retrying(sleep=self.retry.sleep, **self._retrying_args())
        try:
            return retrying(attempt)
        except Retry as exc:
            raise self._final(exc.error, attempts) from exc.__cause__
        except ProviderError as exc:
            raise self._final(exc, attempts) from exc.__cause__


class AsyncSender(_Loop):
    """The async twin of :class:`Sender`, over ``httpx.AsyncClient``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        provider: str,
        retry: RetryPolicy,
        envelope: EnvelopeCheck | None = None,
    ) -> None:
        super().__init__(provider=provider, retry=retry, envelope=envelope)
        self.client = client

    async def send(self, call: Call, parse: Parser[T]) -> T:
        """Send ``call``; return its 2xx answer (through ``parse``) or raise a ProviderError."""
        attempts = 0

        async def attempt() -> T:
            nonlocal attempts
            attempts += 1
            self._log_request(call, attempts)
            started = time.monotonic()
            try:
                response = await self.client.request(
                    call.method,
                    call.url,
                    json=call.json,
                    params=call.params,
                    headers=dict(call.headers),
                )
            except httpx.RequestError as exc:
                raise failure_from_transport(exc, call, self.provider, self.retry) from exc
            return self._outcome(call, response, started, parse)

        retrying = tenacity.AsyncRetrying(sleep=self.retry.async_sleep, **self._retrying_args())
        try:
            return await retrying(attempt)
        except Retry as exc:
            raise self._final(exc.error, attempts) from exc.__cause__
        except ProviderError as exc:
            raise self._final(exc, attempts) from exc.__cause__


# -- one httpx.Client per provider settings per process ---------------------------

_shared: dict[Hashable, httpx.Client] = {}
_shared_lock = threading.Lock()


def shared_client(key: Hashable, build: Callable[[], httpx.Client]) -> httpx.Client:
    """The process-wide client for ``key``, built on first use (thread-safe)."""
    with _shared_lock:
        client = _shared.get(key)
        if client is None or client.is_closed:
            client = _shared[key] = build()
        return client


def close_shared_clients() -> None:
    """Close every shared client (at shutdown, and between tests)."""
    with _shared_lock:
        clients = list(_shared.values())
        _shared.clear()
    for client in clients:
        client.close()


def client_options(timeouts: Timeouts) -> dict[str, Any]:
    """Keyword arguments every ``httpx.Client`` / ``AsyncClient`` here is built with."""
    return {
        "timeout": timeouts.as_httpx(),
        "headers": {"Accept": "application/json", "User-Agent": USER_AGENT},
        "follow_redirects": False,
    }
