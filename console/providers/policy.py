"""What a provider call is, and how patiently it is made: ``Call``, ``Timeouts``, ``RetryPolicy``.

A :class:`Call` describes one request before it is sent — including whether it is
``repeatable`` (safe to send twice: reads) and the ``tracking_id`` that lets billing
find the object if the answer is lost. :class:`Timeouts` and :class:`RetryPolicy`
are keyword-only settings validated at construction, with messages that say what
to change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import tenacity

from console.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how patiently a repeatable request is retried.

    ``attempts`` counts the first try. Waits grow from ``initial_wait`` by doubling up
    to ``max_wait``, plus up to ``jitter`` seconds at random. ``sleep`` / ``async_sleep``
    are injectable so tests record waits instead of sleeping.
    """

    attempts: int = 3
    initial_wait: float = 0.25
    max_wait: float = 2.0
    jitter: float = 0.25
    max_retry_after: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int):
            raise ConfigError("RetryPolicy.attempts must be a whole number (1 = no retries).")
        if not 1 <= self.attempts <= 10:
            raise ConfigError(f"RetryPolicy.attempts must be 1 to 10, not {self.attempts}.")
        for name in ("initial_wait", "max_wait", "jitter", "max_retry_after"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value <= 600:
                raise ConfigError(f"RetryPolicy.{name} must be seconds from 0 to 600.")

    def backoff(self) -> tenacity.wait.wait_base:
        """Exponential from ``initial_wait`` up to ``max_wait``, plus random jitter."""
        exponential = tenacity.wait_exponential(multiplier=self.initial_wait, max=self.max_wait)
        return exponential + tenacity.wait_random(0, self.jitter)


@dataclass(frozen=True, kw_only=True)
class Timeouts:
    """Connect and read timeouts in seconds, validated once."""

    connect: float = 5.0
    read: float = 20.0

    def __post_init__(self) -> None:
        for name in ("connect", "read"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{name}_timeout must be a number of seconds.")
            if not 0 < value <= 600:
                raise ConfigError(f"{name}_timeout must be more than 0 and at most 600 seconds.")

    def as_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(self.read, connect=self.connect, pool=self.connect)


@dataclass(frozen=True)
class Call:
    """One request to a provider, described before it is sent.

    ``repeatable`` marks calls that are safe to send twice (reads). ``tracking_id``
    is carried into :class:`OutcomeUnknown` so billing can look the object up.
    """

    operation: str  # what it does, for messages: "create checkout"
    method: str
    url: str
    json: Any = None
    params: Mapping[str, str | int] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    repeatable: bool = False
    tracking_id: str | None = None

    @property
    def where(self) -> str:
        """``METHOD /path`` for messages: no host, no query, never credentials."""
        return f"{self.method} {urlsplit(self.url).path}"


def check_base_url(name: str, url: str) -> str:
    """``url`` without a trailing slash, or ConfigError naming the setting."""
    if not isinstance(url, str):
        raise ConfigError(f"{name} must be an http(s) URL.")
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"{name} must be an http(s) URL such as https://api.bepaid.by.")
    if parts.username or parts.password or parts.query:
        raise ConfigError(f"{name} must not carry credentials or a query string.")
    return url.strip().rstrip("/")
