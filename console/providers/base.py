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

A client class declares only what differs: ``provider``, ``envelope``,
``_settings_section`` (which :class:`~console.config.Settings` attribute
``from_settings`` reads) and ``_make_requests`` (its request builder, which checks the
settings and carries ``auth`` and ``shared_key``). The constructors live here.
"""

from __future__ import annotations

from collections.abc import Hashable
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

import httpx

from console.config import Settings
from console.errors import ConfigError
from console.providers.http import (
    AsyncSender,
    EnvelopeCheck,
    Parser,
    Sender,
    client_options,
    shared_client,
)
from console.providers.policy import Call, RetryPolicy, Timeouts

#: What ``from_settings`` says when the provider's section of the settings is missing.
NOT_CONFIGURED = {
    "bepaid": "bePaid is not configured: set [bepaid] shop_id and secret_key.",
    "payture": "Payture is not configured: set [payture] base_url and access_token.",
}

#: The provider settings type a client takes (BepaidSettings, PaytureSettings).
S = TypeVar("S")
#: What a client's answers are read into.
T = TypeVar("T")


class Requests(Protocol):
    """A client's request builder: the settings checked, and what its httpx client needs."""

    @property
    def auth(self) -> httpx.Auth | None: ...

    @property
    def shared_key(self) -> Hashable: ...


#: The request builder type of a client.
R = TypeVar("R", bound=Requests)


def timeouts_of(settings: Settings) -> dict[str, float]:
    """``connect_timeout`` / ``read_timeout`` keyword arguments from the console settings."""
    return {"connect_timeout": settings.connect_timeout, "read_timeout": settings.read_timeout}


def section_of(settings: Settings, name: str) -> Any:  # BepaidSettings | PaytureSettings
    """The provider section ``name`` of the console settings; ConfigError if it is unset."""
    section = getattr(settings, name)
    if section is None:
        raise ConfigError(NOT_CONFIGURED[name])
    return section


class ProviderClient(Generic[S, R]):
    """What the blocking and async clients share: settings, options, ``from_settings``.

    A client class names its provider, its settings section and its request builder;
    the builder validates the settings and carries ``auth`` (an ``httpx.Auth`` or
    ``None``) and ``shared_key`` (which shared httpx.Client a blocking client uses).
    """

    provider: ClassVar[str]
    envelope: ClassVar[EnvelopeCheck | None] = None
    #: Attribute of :class:`~console.config.Settings` that ``from_settings`` reads.
    _settings_section: ClassVar[str]
    _requests: R

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """A client for the console's settings (its provider section and timeouts)."""
        section = section_of(settings, cls._settings_section)
        return cls(section, **cls._options_of(settings), **options)  # type: ignore[call-arg]

    @classmethod
    def _options_of(cls, settings: Settings) -> dict[str, Any]:
        """Keyword options ``from_settings`` takes from the console settings."""
        return timeouts_of(settings)

    def _make_requests(self, settings: S) -> R:
        """The client's request builder for ``settings`` (raises ConfigError on bad ones)."""
        raise NotImplementedError

    def _start(
        self, settings: S, connect_timeout: float, read_timeout: float, retry: RetryPolicy | None
    ) -> R:
        """Validate settings and options; keep the request builder, timeouts and retry."""
        self._requests = requests = self._make_requests(settings)
        self.timeouts = Timeouts(connect=connect_timeout, read=read_timeout)
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError("retry must be a RetryPolicy")
        self.retry = retry or RetryPolicy()
        return requests


class ClientBase(ProviderClient[S, R]):
    """A blocking provider client: a :class:`Sender` over a shared or private httpx.Client."""

    def __init__(
        self,
        settings: S,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        requests = self._start(settings, connect_timeout, read_timeout, retry)
        auth, options = requests.auth, client_options(self.timeouts)
        if transport is None:
            client = shared_client(
                (requests.shared_key, self.timeouts),
                lambda: httpx.Client(auth=auth, **options),
            )
        else:
            client = httpx.Client(auth=auth, transport=transport, **options)
        self._owns_client = transport is not None
        self._client = client
        self._sender = Sender(
            client, provider=self.provider, retry=self.retry, envelope=type(self).envelope
        )

    def _send(self, request: tuple[Call, Parser[T]]) -> T:
        call, parse = request
        return self._sender.send(call, parse)

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


class AsyncClientBase(ProviderClient[S, R]):
    """An async provider client: an :class:`AsyncSender` over its own httpx.AsyncClient."""

    def __init__(
        self,
        settings: S,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        requests = self._start(settings, connect_timeout, read_timeout, retry)
        extra: dict[str, Any] = {"transport": transport} if transport is not None else {}
        if limits is not None:
            extra["limits"] = limits
        self._client = httpx.AsyncClient(
            auth=requests.auth, **client_options(self.timeouts), **extra
        )
        self._sender = AsyncSender(
            self._client, provider=self.provider, retry=self.retry, envelope=type(self).envelope
        )

    async def _send(self, request: tuple[Call, Parser[T]]) -> T:
        call, parse = request
        return await self._sender.send(call, parse)

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
