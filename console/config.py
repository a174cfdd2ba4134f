"""Settings from ``.streamlit/secrets.toml`` and ``MERCHANT_CONSOLE_*`` environment variables.

Environment variables win over the file, so one file can serve several runs. The
file is read with ``tomllib`` rather than ``st.secrets`` so that the CLI, the sandbox
and the notification receiver share one loader without importing Streamlit.

Mode: ``MERCHANT_CONSOLE_MODE`` (or ``mode`` in the file) when given; otherwise
``live`` when any provider credentials are configured, else ``sandbox``. In sandbox
mode every provider URL points at the built-in sandbox and its documented test
credentials are used, so nothing needs configuring. Live mode requires https base
URLs and the credentials of each provider it talks to.

Users (``[users.NAME]`` tables, see :mod:`console.users`) are read from the file
only, never from the environment. With no users the console runs in *local mode*
(no login, loopback only); :func:`check_users_for_console` refuses live mode
without users. That check is separate from :func:`load_settings` because the
notification receiver and ``sync`` have no login and may run in live mode from the
environment alone; the console entry and ``merchant-console run`` call it.

A missing or malformed setting raises :class:`ConfigError` at start, naming the
setting (``[bepaid] secret_key`` / ``MERCHANT_CONSOLE_BEPAID_SECRET_KEY``). Secret
values are wrapped in :class:`Secret`, whose ``repr`` and ``str`` never show them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console import paths
from console.auth import Role, UserRecord
from console.errors import ConfigError
from console.money import DEFAULT_MAXIMUM
from console.paths import ENV_PREFIX, absolute
from console.users import parse_users

DEFAULT_LEDGER = "data/ledger.db"
DEFAULT_SANDBOX_STATE = "data/sandbox.db"
#: A signed-in person is signed out after this long without any action (``session_idle_minutes``).
DEFAULT_SESSION_IDLE_MINUTES = 8 * 60
#: Polling requests per second per provider, for all processes sharing a ledger together
#: (no provider documents a limit; bePaid and behind-api answer 429 when asked too fast).
DEFAULT_POLL_RATE = 10.0
#: How many requests a provider's bucket holds when full: one Monitor interval (5 s) of
#: the rate, so a pass every 5 s can spend what accrued since the last one.
DEFAULT_POLL_BURST = 50
DEFAULT_SANDBOX_PORT = 8600
# The built-in sandbox's documented test credentials (the sandbox program has the
# same defaults; tests/contract/test_sandbox_separation.py checks they agree).
DEFAULT_SHOP_ID = "361"  # bePaid shop ids are integers; 361 is the docs' example shop
DEFAULT_SECRET_KEY = "sandbox-secret"  # noqa: S105 - the sandbox's documented test credential
DEFAULT_ACCESS_TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's documented test credential
DEFAULT_WEBHOOK_PORT = 8601

# Live hosts as published by the providers (bePaid API, hosted checkout, gateway).
LIVE_BEPAID_API = "https://api.bepaid.by"
LIVE_BEPAID_CHECKOUT = "https://checkout.bepaid.by"
LIVE_BEPAID_GATEWAY = "https://gateway.bepaid.by"


class Secret:
    """A credential that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True)
class BepaidSettings:
    """bePaid / beGateway: one shop serves subscriptions, checkout and beyag."""

    api_url: str  # plans, customers, subscriptions
    checkout_url: str  # /ctp/api/checkouts
    gateway_url: str  # /transactions, /beyag/...
    shop_id: str
    secret_key: Secret
    public_key: Secret  # PEM used to verify Content-Signature on notifications


@dataclass(frozen=True)
class PaytureSettings:
    """Payture bills through the behind-api wrapper."""

    base_url: str
    access_token: Secret


@dataclass(frozen=True)
class SsoSettings:
    """Single sign-on through Streamlit's ``st.login`` (OpenID Connect, via Authlib).

    ``[auth]`` in the secrets file is Streamlit's own section (``redirect_uri``,
    ``cookie_secret``, ``client_id``, ``client_secret``, ``server_metadata_url``, or named
    providers as ``[auth.NAME]``); the console hands it to Streamlit unchanged. ``[sso]``
    says who gets which role: ``claim`` names the identity claim that identifies a
    person (default ``email``), and ``[sso.roles]`` maps its values — an exact value, or
    ``*@domain`` for everyone of a domain — to a console role. An identity with no
    mapping gets no access.
    """

    claim: str
    roles: dict[str, Role]
    provider: str | None  # the [auth.NAME] to use, None for the plain [auth] section
    provider_label: str  # shown on the login page's button
    streamlit_auth: dict[str, Any] = field(repr=False)  # [auth], passed to Streamlit as is

    def role_for(self, value: object) -> Role | None:
        """The role mapped to a claim value (exact first, then ``*@domain``); None: no access."""
        if not isinstance(value, str) or not value.strip():
            return None
        key = value.strip().lower()
        if key in self.roles:
            return self.roles[key]
        if "@" in key:
            return self.roles.get("*@" + key.rsplit("@", 1)[1])
        return None


@dataclass(frozen=True)
class Settings:
    """Everything the console, CLI and receiver need, validated at start."""

    mode: str  # "sandbox" | "live"
    ledger_path: Path
    timezone: ZoneInfo
    max_amount_minor: int
    bepaid: BepaidSettings | None
    payture: PaytureSettings | None
    sandbox_url: str
    sandbox_port: int
    sandbox_state: Path  # the sandbox's own SQLite file, used by `merchant-console run`
    sandbox_speed: float  # sandbox seconds per real second
    webhook_port: int
    # Where providers send notifications: the receiver's public URL. In live mode it is
    # None unless configured, and the console relies on polling (sync) alone.
    webhook_url: str | None
    connect_timeout: float
    read_timeout: float
    source: str = field(default="defaults")  # where settings came from, for the UI
    # Console users by name; empty means local mode (no login). Not in repr: no hashes in logs.
    users: dict[str, UserRecord] = field(default_factory=dict, repr=False, hash=False)
    # The secrets file these settings were read from (absolute), whether or not it exists.
    secrets_path: Path = field(default_factory=paths.secrets_path)
    # A signed-in person is signed out after this long without an action.
    session_idle: timedelta = timedelta(minutes=DEFAULT_SESSION_IDLE_MINUTES)
    sso: SsoSettings | None = field(default=None, repr=False, hash=False)
    # The polling budget per provider: requests per second, and the bucket's size.
    poll_rate: float = DEFAULT_POLL_RATE
    poll_burst: int = DEFAULT_POLL_BURST

    @property
    def is_sandbox(self) -> bool:
        return self.mode == "sandbox"

    @property
    def is_local(self) -> bool:
        """Local mode: no users and no single sign-on configured, so no login (never in
        live mode, and only on a loopback address)."""
        return not self.users and self.sso is None

    def masked(self) -> dict[str, Any]:
        """Settings for display (Activity page, `--help`-style dumps); secrets masked."""
        shown: dict[str, Any] = {
            "mode": self.mode,
            "ledger": str(self.ledger_path),
            "time zone": self.timezone.key,
            "max amount (minor units)": self.max_amount_minor,
            "notification URL": self.webhook_url or "not set (status by polling only)",
            "timeouts (connect / read, s)": f"{self.connect_timeout} / {self.read_timeout}",
            "users": f"{len(self.users)} configured" if self.users else "none",
            "single sign-on": _sso_summary(self.sso),
            "sign-in": "local mode (no login, loopback only)" if self.is_local else "required",
            "idle sign-out": f"after {int(self.session_idle.total_seconds() // 60)} min",
            "polling budget": (
                f"{self.poll_rate:g} requests/s per provider (burst {self.poll_burst})"
            ),
            "secrets file": str(self.secrets_path),
        }
        if self.bepaid:
            shown |= {
                "bePaid API": self.bepaid.api_url,
                "bePaid checkout": self.bepaid.checkout_url,
                "bePaid gateway": self.bepaid.gateway_url,
                "bePaid shop id": self.bepaid.shop_id,
                "bePaid secret key": _mask(self.bepaid.secret_key),
                "bePaid public key": "configured" if self.bepaid.public_key else "not set",
            }
        if self.payture:
            shown |= {
                "Payture behind-api": self.payture.base_url,
                "Payture access token": _mask(self.payture.access_token),
            }
        return shown


def _sso_summary(sso: SsoSettings | None) -> str:
    if sso is None:
        return "not configured"
    return f"{sso.provider_label}: {len(sso.roles)} role mapping(s) on claim {sso.claim!r}"


def _mask(secret: Secret) -> str:
    value = secret.reveal()
    return "not set" if not value else "•" * 8 + (value[-2:] if len(value) > 8 else "")


class _Source:
    """Look-ups in environment first, then the secrets file, with setting names for errors."""

    def __init__(self, env: Mapping[str, str], file_data: dict[str, Any]) -> None:
        self.env = env
        self.file = file_data

    def get(self, section: str | None, key: str, default: Any = None) -> Any:
        env_name = ENV_PREFIX + (f"{section}_{key}" if section else key).upper()
        if env_name in self.env and self.env[env_name] != "":
            return self.env[env_name]
        table = self.file.get(section, {}) if section else self.file
        if section and not isinstance(table, dict):
            raise ConfigError(f"[{section}] in the secrets file must be a table.")
        return table.get(key, default)

    @staticmethod
    def name(section: str | None, key: str) -> str:
        env_name = ENV_PREFIX + (f"{section}_{key}" if section else key).upper()
        file_name = f"[{section}] {key}" if section else key
        return f"{file_name} / {env_name}"


def load_settings(
    env: Mapping[str, str] | None = None, secrets_path: Path | str | None = None
) -> Settings:
    """Read, validate and return the settings.

    Raises:
        ConfigError: a setting is missing or malformed; the message names it.
    """
    env = os.environ if env is None else env
    path = paths.secrets_path(env, secrets_path)
    file_data = _read_secrets(path)
    src = _Source(env, file_data)

    has_bepaid = bool(src.get("bepaid", "shop_id") or src.get("bepaid", "secret_key"))
    has_payture = bool(src.get("payture", "access_token"))
    mode = str(src.get(None, "mode") or ("live" if has_bepaid or has_payture else "sandbox"))
    mode = mode.strip().lower()
    if mode not in {"sandbox", "live"}:
        raise ConfigError(f"{src.name(None, 'mode')} must be 'sandbox' or 'live', not {mode!r}.")

    sandbox_port = _int(src, "sandbox", "port", DEFAULT_SANDBOX_PORT, 1, 65535)
    sandbox_url = _url(
        src, "sandbox", "url", f"http://127.0.0.1:{sandbox_port}", require_https=False
    )
    live = mode == "live"
    if live and not (has_bepaid or has_payture):
        raise ConfigError(
            "Live mode needs provider credentials: set [bepaid] shop_id and secret_key "
            "and/or [payture] access_token (see .streamlit/secrets.example.toml)."
        )

    if live:
        bepaid = _bepaid_live(src) if has_bepaid else None
        payture = _payture_live(src) if has_payture else None
    else:
        bepaid = BepaidSettings(
            api_url=sandbox_url,
            checkout_url=sandbox_url,
            gateway_url=sandbox_url,
            shop_id=DEFAULT_SHOP_ID,
            secret_key=Secret(DEFAULT_SECRET_KEY),
            public_key=Secret(""),  # fetched from the sandbox's /__sandbox/public-key
        )
        payture = PaytureSettings(base_url=sandbox_url, access_token=Secret(DEFAULT_ACCESS_TOKEN))

    webhook_port = _int(src, "webhooks", "port", DEFAULT_WEBHOOK_PORT, 1, 65535)
    tz_name = str(src.get(None, "timezone", "UTC")).strip()
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{src.name(None, 'timezone')}: {tz_name!r} is not an IANA time zone "
            "(for example Europe/Minsk or UTC)."
        ) from None

    users = parse_users(file_data)
    sso = _sso(file_data)
    return Settings(
        mode=mode,
        ledger_path=_path(src, None, "ledger", DEFAULT_LEDGER),
        timezone=timezone,
        max_amount_minor=_int(src, None, "max_amount_minor", DEFAULT_MAXIMUM, 1, 10**15),
        bepaid=bepaid,
        payture=payture,
        sandbox_url=sandbox_url,
        sandbox_port=sandbox_port,
        sandbox_state=_path(src, "sandbox", "state", DEFAULT_SANDBOX_STATE),
        sandbox_speed=_speed(src),
        webhook_port=webhook_port,
        webhook_url=_webhook_url(src, webhook_port, live=live),
        connect_timeout=_float(src, "http", "connect_timeout", 5.0),
        read_timeout=_float(src, "http", "read_timeout", 20.0),
        source=str(path) if file_data else "environment and defaults",
        users=users,
        secrets_path=path,
        session_idle=timedelta(
            minutes=_int(
                src, None, "session_idle_minutes", DEFAULT_SESSION_IDLE_MINUTES, 5, 7 * 24 * 60
            )
        ),
        sso=sso,
        poll_rate=_rate(src),
        poll_burst=_int(src, "polling", "burst", DEFAULT_POLL_BURST, 1, 1_000_000),
    )


def check_users_for_console(settings: Settings) -> None:
    """Refuse to serve the console in live mode without users (see the module docstring).

    Raises:
        ConfigError: live mode and no ``[users.NAME]`` in the secrets file.
    """
    if settings.mode == "live" and settings.is_local:
        raise ConfigError(
            "Live mode refuses to start without users: add one with "
            "merchant-console user add NAME --role admin (or configure single sign-on)."
        )


def _read_secrets(path: Path) -> dict[str, Any]:
    where = f"The secrets file {path} (MERCHANT_CONSOLE_SECRETS)"
    try:
        if not path.exists():
            return {}
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except IsADirectoryError:
        raise ConfigError(f"{where} is a folder, not a file.") from None
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror or exc}.") from None


def _path(src: _Source, section: str | None, key: str, default: str) -> Path:
    """A file setting, made absolute against the folder the command started in."""
    raw = src.get(section, key, default)
    if not isinstance(raw, str) or not raw.strip() or "\x00" in raw:
        raise ConfigError(f"{src.name(section, key)} must be a file path, not {raw!r}.")
    return absolute(raw.strip())


def _sso(file_data: Mapping[str, Any]) -> SsoSettings | None:
    """``[auth]`` + ``[sso]`` (see :class:`SsoSettings`); None when ``[auth]`` is absent."""
    auth = file_data.get("auth")
    sso = file_data.get("sso", {})
    if auth is None:
        if sso:
            raise ConfigError(
                "[sso] needs Streamlit's [auth] section (the OpenID Connect provider)."
            )
        return None
    if not isinstance(auth, dict) or not isinstance(sso, dict):
        raise ConfigError("[auth] and [sso] in the secrets file must be tables.")
    for key in ("redirect_uri", "cookie_secret"):
        if not str(auth.get(key) or "").strip():
            raise ConfigError(f"[auth] {key} is required for single sign-on (see st.login).")
    named = [name for name, value in auth.items() if isinstance(value, dict)]
    provider = str(sso.get("provider") or (named[0] if len(named) == 1 else "")) or None
    if provider is not None and provider not in named:
        raise ConfigError(f"[sso] provider {provider!r} has no [auth.{provider}] section.")
    if provider is None and named:
        raise ConfigError("[sso] provider must name one of " + ", ".join(sorted(named)) + ".")
    claim = str(sso.get("claim") or "email").strip()
    table = sso.get("roles", {})
    if not isinstance(table, dict):
        raise ConfigError("[sso.roles] must map identities to roles.")
    roles: dict[str, Role] = {}
    for who, role in table.items():
        if role not in set(Role):
            raise ConfigError(
                f"[sso.roles] {who!r} must be one of {', '.join(Role)}, not {role!r}."
            )
        roles[str(who).strip().lower()] = Role(role)
    label = str(sso.get("label") or "single sign-on").strip()
    return SsoSettings(claim, roles, provider, label, dict(auth))


def _bepaid_live(src: _Source) -> BepaidSettings:
    shop_id = str(src.get("bepaid", "shop_id") or "").strip()
    secret_key = str(src.get("bepaid", "secret_key") or "").strip()
    for key, value in (("shop_id", shop_id), ("secret_key", secret_key)):
        if not value:
            raise ConfigError(f"{src.name('bepaid', key)} is required in live mode.")
    return BepaidSettings(
        api_url=_url(src, "bepaid", "api_url", LIVE_BEPAID_API, require_https=True),
        checkout_url=_url(src, "bepaid", "checkout_url", LIVE_BEPAID_CHECKOUT, require_https=True),
        gateway_url=_url(src, "bepaid", "gateway_url", LIVE_BEPAID_GATEWAY, require_https=True),
        shop_id=shop_id,
        secret_key=Secret(secret_key),
        public_key=Secret(_public_key(src)),
    )


def _payture_live(src: _Source) -> PaytureSettings:
    base_url = src.get("payture", "base_url")
    if not base_url:
        raise ConfigError(
            f"{src.name('payture', 'base_url')} is required in live mode "
            "(the behind-api host your Payture account uses)."
        )
    return PaytureSettings(
        base_url=_url(src, "payture", "base_url", None, require_https=True),
        access_token=Secret(str(src.get("payture", "access_token")).strip()),
    )


def _webhook_url(src: _Source, port: int, *, live: bool) -> str | None:
    if live and not src.get("webhooks", "url"):
        return None
    return _url(src, "webhooks", "url", f"http://127.0.0.1:{port}", require_https=live)


def _public_key(src: _Source) -> str:
    pem = str(src.get("bepaid", "public_key") or "").strip()
    if pem and "BEGIN PUBLIC KEY" not in pem:
        raise ConfigError(
            f"{src.name('bepaid', 'public_key')} must be a PEM public key "
            "(-----BEGIN PUBLIC KEY----- ...), as shown in the bePaid back office."
        )
    return pem


def _url(src: _Source, section: str, key: str, default: str | None, *, require_https: bool) -> str:
    value = str(src.get(section, key, default) or "").strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"{src.name(section, key)} must be an http(s) URL, not {value!r}.")
    if parts.username or parts.password:
        raise ConfigError(f"{src.name(section, key)} must not carry credentials in the URL.")
    if require_https and parts.scheme != "https":
        raise ConfigError(f"{src.name(section, key)} must use https in live mode.")
    return value


def _int(src: _Source, section: str | None, key: str, default: int, low: int, high: int) -> int:
    raw = src.get(section, key, default)
    try:
        value = int(str(raw).strip()) if not isinstance(raw, bool) else None
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ConfigError(
            f"{src.name(section, key)} must be a whole number from {low} to {high}, not {raw!r}."
        )
    return value


def _speed(src: _Source) -> float:
    raw = src.get("sandbox", "speed", 1.0)
    try:
        value = float(str(raw).strip())
    except ValueError:
        value = 0.0
    if not 0 < value <= 1_000_000:
        raise ConfigError(f"{src.name('sandbox', 'speed')} must be a positive number, not {raw!r}.")
    return value


def _rate(src: _Source) -> float:
    raw = src.get("polling", "requests_per_second", DEFAULT_POLL_RATE)
    try:
        value = float(str(raw).strip())
    except ValueError:
        value = 0.0
    if not 0.01 <= value <= 1000:
        raise ConfigError(
            f"{src.name('polling', 'requests_per_second')} must be a number from 0.01 to 1000 "
            f"(requests per second per provider), not {raw!r}."
        )
    return value


def _float(src: _Source, section: str, key: str, default: float) -> float:
    raw = src.get(section, key, default)
    try:
        value = float(str(raw).strip())
    except ValueError:
        value = -1.0
    if not 0 < value <= 600:
        raise ConfigError(f"{src.name(section, key)} must be seconds between 0 and 600.")
    return value
