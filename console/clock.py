"""The time the console goes by: the sandbox's clock in sandbox mode, else the real one.

The sandbox's clock can be fast-forwarded (``POST /__sandbox/clock/advance``), and
the sandbox judges expiry times by it: a pay link "24 hours from now" by the real
clock is already in the past for a sandbox two days ahead. So in sandbox mode the
console takes "now" for default expiry times and for validation from
``GET {sandbox}/__sandbox/clock``, read at most every few seconds (between reads it
runs on at the sandbox's speed). When the sandbox cannot be asked, the real clock
is used and :attr:`SandboxClock.reachable` says so (the SANDBOX badge shows it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from console.config import Settings

CLOCK_PATH = "/__sandbox/clock"
#: Real seconds between two reads of the sandbox's clock.
REFRESH_EVERY = 5.0


def real_now() -> datetime:
    return datetime.now(UTC)


class SandboxClock:
    """A callable ``() -> datetime``: the sandbox's now, cached for a few seconds.

    Thread-safe; one instance serves every Streamlit session.
    """

    def __init__(
        self,
        sandbox_url: str,
        *,
        refresh_every: float = REFRESH_EVERY,
        timeout: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = sandbox_url.rstrip("/") + CLOCK_PATH
        self.refresh_every = refresh_every
        self.timeout = timeout
        self._transport = transport
        self._lock = threading.Lock()
        self._read_at: float | None = None  # time.monotonic() of the last read
        self._sandbox_ts = 0.0  # sandbox timestamp at that read
        self._speed = 1.0
        self.reachable = False

    def __call__(self) -> datetime:
        with self._lock:
            if self._read_at is None or time.monotonic() - self._read_at >= self.refresh_every:
                self._read()
            if not self.reachable:
                return real_now()
            elapsed = (time.monotonic() - self._read_at) * self._speed  # type: ignore[operator]
            return datetime.fromtimestamp(self._sandbox_ts + elapsed, UTC)

    def lead(self) -> timedelta | None:
        """How far the sandbox is ahead of real time; None when it cannot be asked."""
        now = self()
        return (now - real_now()) if self.reachable else None

    def _read(self) -> None:
        self._read_at = time.monotonic()
        try:
            # trust_env=False: the sandbox is on loopback, never behind a proxy.
            with httpx.Client(
                timeout=self.timeout, trust_env=False, transport=self._transport
            ) as http:
                answer = http.get(self.url)
            answer.raise_for_status()
            data = answer.json()
            self._sandbox_ts = float(data["timestamp"])
            self._speed = float(data.get("speed", 1.0))
            self.reachable = True
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            self.reachable = False


def clock_for(settings: Settings) -> Callable[[], datetime]:
    """The console's clock for ``settings``: the sandbox's in sandbox mode, else real time."""
    return SandboxClock(settings.sandbox_url) if settings.is_sandbox else real_now
