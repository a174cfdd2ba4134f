"""What every provider client shares: construction, the httpx client it uses, closing.

Clients take the provider's settings object plus keyword-only options, validated at
construction (:class:`~console.errors.ConfigError` says what to change):

* ``connect_timeout`` / ``read_timeout`` (seconds; pass ``Settings.connect_timeout`` /
  ``read_timeout``),
* ``retry``: a :class:`~console.providers.policy.RetryPolicy`,
* ``transport``: an ``httpx`` transport (``MockTransport`` in unit tests). Without one,
  blocking clients use the process-wide shared ``httpx.Client`` for their settings;
  with one, the client owns a private ``httpx.Client`` and closes it.

Async clients always own their ``httpx.AsyncClient``; use them as
``async with AsyncBepaidClient(...) as client:`` for one bulk-sync run.
"""

from __future__ import annotations

from collections.abc import Hashable
from types import TracebackType
from typing import Any, ClassVar, Self

import httpx

from console.config import BepaidSettings, Settings
from console.errors import ConfigError
from console.providers.http import (
    AsyncSender,
    EnvelopeCheck,
    Sender,
    client_options,
    shared_client,
)
from console.providers.policy import RetryPolicy, Timeouts


def timeouts_of(settings: Settings) -> dict[str, float]:
    """``connect_timeout`` / ``read_timeout`` keyword arguments from the console settings."""
    return {"connect_timeout": settings.connect_timeout, "read_timeout": settings.read_timeout}


def bepaid_settings(settings: Settings) -> BepaidSettings:
    if settings.bepaid is None:
        raise ConfigError("bePaid is not configured: set [bepaid] shop_id and secret_key.")
    return settings.bepaid


class ClientBase:
    """A blocking provider client: a :class:`Sender` over a shared or private httpx.Client."""

    provider: ClassVar[str]
    envelope: ClassVar[EnvelopeCheck | None] = None

    def __init__(
        self,
        *,
        key: Hashable,
        auth: httpx.Auth | None,
        connect_timeout: float,
        read_timeout: float,
        retry: RetryPolicy | None,
        transport: httpx.BaseTransport | None,
    ) -> None:
        timeouts = Timeouts(connect=connect_timeout, read=read_timeout)
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError("retry must be a RetryPolicy")
        if transport is None:
            client = shared_client(
                (key, timeouts), lambda: httpx.Client(auth=auth, **client_options(timeouts))
            )
        else:
            client = httpx.Client(auth=auth, transport=transport, **client_options(timeouts))
        self._owns_client = transport is not None
        self._client = client
        self.timeouts = timeouts
        self.retry = retry or RetryPolicy()
        self._sender = Sender(
            client, provider=self.provider, retry=self.retry, envelope=type(self).envelope
        )

    def close(self) -> None:
        """Close a private httpx client; a shared one stays open for other users."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClientBase:
    """An async provider client: an :class:`AsyncSender` over its own httpx.AsyncClient."""

    provider: ClassVar[str]
    envelope: ClassVar[EnvelopeCheck | None] = None

    def __init__(
        self,
        *,
        auth: httpx.Auth | None,
        connect_timeout: float,
        read_timeout: float,
        retry: RetryPolicy | None,
        transport: httpx.AsyncBaseTransport | None,
        limits: httpx.Limits | None = None,
    ) -> None:
        timeouts = Timeouts(connect=connect_timeout, read=read_timeout)
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError("retry must be a RetryPolicy")
        extra: dict[str, Any] = {"transport": transport} if transport is not None else {}
        if limits is not None:
            extra["limits"] = limits
        self._client = httpx.AsyncClient(auth=auth, **client_options(timeouts), **extra)
        self.timeouts = timeouts
        self.retry = retry or RetryPolicy()
        self._sender = AsyncSender(
            self._client, provider=self.provider, retry=self.retry, envelope=type(self).envelope
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
