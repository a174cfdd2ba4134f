"""Where the public key that checks ``Content-Signature`` comes from.

* Live mode: ``[bepaid] public_key`` (``MERCHANT_CONSOLE_BEPAID_PUBLIC_KEY``),
  the PEM from the bePaid back office. Without it the receiver refuses to start:
  it would otherwise have to accept unsigned notifications or reject real ones.
* Sandbox mode: the sandbox's own key (the settings carry none in sandbox
  mode), fetched from ``GET {sandbox}/__sandbox/public-key`` at start. ``merchant-console
  run`` starts the sandbox and the receiver together, so the fetch is retried
  until the sandbox answers, for a bounded time, then fails with a message that
  says what to start.
"""

from __future__ import annotations

import time

import httpx

from console.config import Settings
from console.errors import ConfigError

PUBLIC_KEY_PATH = "/__sandbox/public-key"
#: Seconds to keep asking a sandbox that does not answer yet.
DEFAULT_KEY_WAIT = 30.0
_RETRY_EVERY = 0.2


def configured_public_key(settings: Settings) -> str | None:
    """The PEM from the settings; None when the sandbox's key is to be fetched.

    Raises:
        ConfigError: no bePaid settings, or live mode without a public key.
    """
    if settings.bepaid is None:
        raise ConfigError(
            "The notification receiver serves bePaid and beGateway notifications, but no "
            "[bepaid] settings are configured (shop_id, secret_key, public_key). Without "
            "them it does not start, and Payture bills are followed by polling "
            "(merchant-console sync)."
        )
    pem = settings.bepaid.public_key.reveal().strip()
    if pem:
        return pem
    if not settings.is_sandbox:
        raise ConfigError(
            "[bepaid] public_key / MERCHANT_CONSOLE_BEPAID_PUBLIC_KEY is required in live mode: "
            "the notification receiver checks every notification's Content-Signature with it. "
            "Copy the PEM public key from the bePaid back office."
        )
    return None


def fetch_sandbox_public_key(
    sandbox_url: str, *, wait: float = DEFAULT_KEY_WAIT, timeout: float = 2.0
) -> str:
    """The sandbox's notification public key (PEM), asking until it answers or ``wait`` passes.

    Raises:
        ConfigError: the sandbox did not hand out a key within ``wait`` seconds.
    """
    url = f"{sandbox_url.rstrip('/')}{PUBLIC_KEY_PATH}"
    deadline = time.monotonic() + wait
    last = "no answer"
    # trust_env=False: the sandbox is on loopback, never behind a proxy.
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        while True:
            try:
                response = client.get(url)
                if response.status_code == 200 and "BEGIN PUBLIC KEY" in response.text:
                    return response.text
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            if time.monotonic() >= deadline:
                raise ConfigError(
                    f"Could not get the sandbox's notification public key from {url} within "
                    f"{wait:g} s ({last}). Start the sandbox (merchant-console sandbox) or set "
                    "[bepaid] public_key."
                )
            time.sleep(_RETRY_EVERY)
