"""Run the sandbox as its own program on loopback (``merchant-console sandbox``).

The sandbox has test credentials and an unauthenticated admin API, so it only
binds to loopback: ``127.0.0.0/8``, ``::1`` or ``localhost``; anything else is
refused with :class:`~provider_sandbox.errors.SandboxConfigError` before a socket is opened.

Credentials default to shop id ``361`` (a number, as bePaid shop ids are), secret
key ``sandbox-secret`` and behind-api access token ``sandbox-token``; the environment variables
``MERCHANT_CONSOLE_SANDBOX_SHOP_ID``, ``MERCHANT_CONSOLE_SANDBOX_SECRET_KEY`` and
``MERCHANT_CONSOLE_SANDBOX_ACCESS_TOKEN`` override them. The banner printed at
start shows all three, the base URL, where the notification public key is
published, and the clock speed.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import uvicorn

from provider_sandbox.app import create_app
from provider_sandbox.core import ADMIN_PREFIX, SandboxConfig
from provider_sandbox.errors import SandboxConfigError

ENV_OVERRIDES = {
    "MERCHANT_CONSOLE_SANDBOX_SHOP_ID": "shop_id",
    "MERCHANT_CONSOLE_SANDBOX_SECRET_KEY": "secret_key",
    "MERCHANT_CONSOLE_SANDBOX_ACCESS_TOKEN": "access_token",
    "MERCHANT_CONSOLE_SANDBOX_PAYTURE_NOTIFY_URL": "payture_notification_url",
}


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_loopback(host: str) -> None:
    """Raise SandboxConfigError unless ``host`` is a loopback address."""
    if not is_loopback(host):
        raise SandboxConfigError(
            f"The sandbox only listens on loopback (127.0.0.1, ::1 or localhost), not {host!r}: "
            "it accepts test credentials and has an unauthenticated admin API."
        )


def base_url(host: str, port: int) -> str:
    """``http://host:port``, with IPv6 addresses in brackets."""
    bare = host.strip("[]")
    shown = f"[{bare}]" if ":" in bare else bare
    return f"http://{shown}:{port}"


def config_from_env(
    *,
    state_path: str,
    speed: float,
    public_url: str,
    environ: Mapping[str, str] | None = None,
) -> SandboxConfig:
    """A SandboxConfig with credentials taken from the environment where set."""
    environ = os.environ if environ is None else environ
    credentials = {
        field: environ[name] for name, field in ENV_OVERRIDES.items() if environ.get(name)
    }
    defaults = SandboxConfig()
    return SandboxConfig(
        state_path=state_path,
        speed=speed,
        public_url=public_url,
        shop_id=credentials.get("shop_id", defaults.shop_id),
        secret_key=credentials.get("secret_key", defaults.secret_key),
        access_token=credentials.get("access_token", defaults.access_token),
        payture_notification_url=credentials.get(
            "payture_notification_url", defaults.payture_notification_url
        ),
    )


def lead_words(lead: float) -> str:
    """``+2 d 03:00:00 ahead of real time`` (or ``none: sandbox time is real time``)."""
    if abs(lead) < 1:
        return "none: sandbox time is real time"
    whole = int(abs(lead))
    days, rest = divmod(whole, 86400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    sign = "+" if lead > 0 else "-"
    return f"{sign}{days} d {clock} {'ahead of' if lead > 0 else 'behind'} real time"


def banner(config: SandboxConfig, key_fingerprint: str, lead: float = 0.0) -> str:
    """What the sandbox prints at start: where it is and how to talk to it."""
    return "\n".join(
        [
            "Merchant Console sandbox (bePaid / beGateway / Payture bills emulator)",
            f"  Base URL            {config.public_url}",
            f"  Shop id             {config.shop_id}",
            f"  Secret key          {config.secret_key}",
            f"  Access token        {config.access_token}   (behind-api)",
            f"  Public key (PEM)    {config.public_url}{ADMIN_PREFIX}/public-key",
            f"  Key fingerprint     sha256:{key_fingerprint}",
            f"  Clock speed         x{config.speed:g}",
            f"  Clock lead          {lead_words(lead)}"
            + (f"   (POST {ADMIN_PREFIX}/clock/reset to go back)" if abs(lead) >= 1 else ""),
            f"  Payture notices to  {config.payture_notification_url or '(none)'}",
            f"  State               {config.state_path}",
            f"  Admin API           {config.public_url}{ADMIN_PREFIX}/state",
        ]
    )


def run(
    host: str = "127.0.0.1",
    port: int = 8600,
    state_path: str = "data/sandbox.db",
    speed: float = 1.0,
    public_url: str | None = None,
    *,
    payture_notify_url: str | None = None,
) -> None:
    """Serve the sandbox until interrupted; raises SandboxConfigError for a bad host or speed."""
    require_loopback(host)
    if not speed > 0:
        raise SandboxConfigError(f"The sandbox clock speed must be positive, not {speed!r}.")
    if state_path != ":memory:":
        Path(state_path).parent.mkdir(parents=True, exist_ok=True)
    config = config_from_env(
        state_path=state_path, speed=speed, public_url=public_url or base_url(host, port)
    )
    if payture_notify_url:
        config = replace(config, payture_notification_url=payture_notify_url)
    app = create_app(config)
    sandbox = app.state.sandbox
    try:
        # Generate (first start) or load the signing key now, so it can be shown.
        print(banner(config, sandbox.notifier.signer.fingerprint, sandbox.clock.lead()), flush=True)
        uvicorn.run(app, host=host.strip("[]"), port=port, log_level="info", lifespan="on")
    finally:
        sandbox.store.close()
