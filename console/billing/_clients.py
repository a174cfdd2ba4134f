"""The provider clients billing talks to, each built on first use and typed as what it is."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from console.config import Settings
from console.providers import BepaidClient, BeyagClient, PaytureClient

C = TypeVar("C")


class Clients:
    """bePaid, beyag and Payture clients over one settings object (thread-safe).

    A client passed in is used as it is (tests give private ones); otherwise it is built
    from the settings on first use, raising :class:`~console.errors.ConfigError` when
    that provider is not configured. It satisfies the plans' ``ProviderReads``.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        bepaid: BepaidClient | None = None,
        beyag: BeyagClient | None = None,
        payture: PaytureClient | None = None,
    ) -> None:
        self._settings = settings
        self._bepaid, self._beyag, self._payture = bepaid, beyag, payture
        self._lock = threading.Lock()

    @property
    def bepaid(self) -> BepaidClient:
        if self._bepaid is None:
            self._bepaid = self._build(lambda: self._bepaid, BepaidClient.from_settings)
        return self._bepaid

    @property
    def beyag(self) -> BeyagClient:
        if self._beyag is None:
            self._beyag = self._build(lambda: self._beyag, BeyagClient.from_settings)
        return self._beyag

    @property
    def payture(self) -> PaytureClient:
        if self._payture is None:
            self._payture = self._build(lambda: self._payture, PaytureClient.from_settings)
        return self._payture

    def _build(self, current: Callable[[], C | None], build: Callable[[Settings], C]) -> C:
        """One client per provider even when two threads ask first at the same time."""
        with self._lock:
            return current() or build(self._settings)
