"""Provider reachability and latency: one cheap request per configured provider base URL.

What is asked, by mode:

* **sandbox** — ``GET {sandbox}/__sandbox/health``; reachable only when it answers
  200 (anything else on that port is not our sandbox);
* **live** — ``HEAD`` of each distinct base URL (bePaid API, checkout and
  gateway, the Payture behind-api). Any HTTP answer, even 404 or 405, counts as
  reachable: the question is "can we talk to the host", not "is this an API
  endpoint", and a base URL has no documented health route. No credentials are
  sent.

Checks run concurrently with a short timeout (:data:`HEALTH_TIMEOUT`), so the
slowest provider bounds the wait. Nothing is cached here; the Activity page
caches the answers for about 30 seconds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from console.config import Settings

#: Seconds to wait for a provider's answer before calling it unreachable.
HEALTH_TIMEOUT = 2.0
SANDBOX_HEALTH_PATH = "/__sandbox/health"


@dataclass(frozen=True, slots=True)
class HealthTarget:
    """One URL to ask: which provider(s) it serves, the method, and what counts as reachable."""

    name: str
    url: str
    method: str = "HEAD"
    any_answer: bool = True  # False: only HTTP 200 counts (the sandbox's health route)


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    """The answer to one health request."""

    name: str
    url: str
    reachable: bool
    latency_ms: int | None  # None when nothing answered
    status_code: int | None
    detail: str  # "HTTP 200", "timed out after 2 s", "connection refused", ...
    checked_at: datetime


def health_targets(settings: Settings) -> tuple[HealthTarget, ...]:
    """The URLs to check for these settings, one per distinct base URL."""
    if settings.is_sandbox:
        url = settings.sandbox_url.rstrip("/") + SANDBOX_HEALTH_PATH
        return (HealthTarget("sandbox (bePaid, beGateway, Payture)", url, "GET", False),)
    names: dict[str, list[str]] = {}
    if settings.bepaid:
        names.setdefault(settings.bepaid.api_url, []).append("bePaid API")
        names.setdefault(settings.bepaid.checkout_url, []).append("bePaid checkout")
        names.setdefault(settings.bepaid.gateway_url, []).append("bePaid gateway")
    if settings.payture:
        names.setdefault(settings.payture.base_url, []).append("Payture behind-api")
    return tuple(HealthTarget(", ".join(served), url) for url, served in names.items())


def check_target(
    target: HealthTarget, *, client: httpx.Client, timeout: float = HEALTH_TIMEOUT
) -> ProviderHealth:
    """Send one request to ``target`` and report whether and how fast it answered."""
    checked_at = datetime.now(UTC)
    started = time.perf_counter()
    try:
        response = client.request(target.method, target.url, timeout=timeout)
    except httpx.TimeoutException:
        return _unreachable(target, checked_at, f"timed out after {timeout:g} s")
    except httpx.ConnectError as exc:
        return _unreachable(target, checked_at, _connect_detail(exc))
    except httpx.HTTPError as exc:
        return _unreachable(target, checked_at, f"{type(exc).__name__}: {exc}"[:200])
    latency_ms = round((time.perf_counter() - started) * 1000)
    reachable = target.any_answer or response.status_code == 200
    return ProviderHealth(
        target.name,
        target.url,
        reachable,
        latency_ms,
        response.status_code,
        f"HTTP {response.status_code}",
        checked_at,
    )


def check_targets(
    targets: Sequence[HealthTarget], *, timeout: float = HEALTH_TIMEOUT
) -> list[ProviderHealth]:
    """Check every target at once (one thread each); results in the targets' order."""
    if not targets:
        return []
    with (
        httpx.Client(follow_redirects=False) as client,
        ThreadPoolExecutor(max_workers=len(targets)) as pool,
    ):
        return list(pool.map(lambda t: check_target(t, client=client, timeout=timeout), targets))


def check_providers(settings: Settings, *, timeout: float = HEALTH_TIMEOUT) -> list[ProviderHealth]:
    """Reachability and latency of every provider these settings talk to."""
    return check_targets(health_targets(settings), timeout=timeout)


def _unreachable(target: HealthTarget, checked_at: datetime, detail: str) -> ProviderHealth:
    return ProviderHealth(target.name, target.url, False, None, None, detail, checked_at)


def _connect_detail(exc: httpx.ConnectError) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
        return "host name not found"
    return f"cannot connect: {exc}"[:200]
