"""Process-wide objects for the pages: settings, the ledger, and who is acting.

Streamlit reruns a page's script on a new thread for every interaction; the
ledger is safe for that (one SQLite connection per thread), so one ``Ledger`` per
process is shared through ``st.cache_resource``. Pages get everything from here and
never open files, build SQL or HTTP themselves.

``billing()`` is one :class:`~console.billing.Billing` per process and configuration
(it is thread-safe and keeps its provider clients' connection pools): it is cached
under a fingerprint of the settings it was built from, so an edited secrets file
(a new key, another provider URL) builds a new one on the next rerun.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import streamlit as st

from console.auth import Actor
from console.billing import Billing
from console.clock import SandboxClock, real_now
from console.config import Settings, load_settings
from console.ledger import Ledger
from console.sessions import Authority, Directory

ACTOR_KEY = "auth_actor"


@st.cache_resource(show_spinner=False)
def _ledger(path: str) -> Ledger:
    return Ledger(path)


def settings() -> Settings:
    """The validated settings, read afresh on every rerun (a few file reads) so that an
    edited secrets file — a new user, a changed key — applies without a restart.

    Raises ConfigError, which the entry page shows.
    """
    return load_settings()


def ledger() -> Ledger:
    return _ledger(str(settings().ledger_path))


@st.cache_resource(show_spinner=False)
def _clock(sandbox_url: str, is_sandbox: bool) -> Callable[[], datetime]:
    return SandboxClock(sandbox_url) if is_sandbox else real_now


def clock() -> Callable[[], datetime]:
    """The console's "now": the sandbox's clock in sandbox mode (see console.clock)."""
    current = settings()
    return _clock(current.sandbox_url, current.is_sandbox)


@st.cache_resource(show_spinner=False)
def _authority(ledger_path: str, secrets_path: str) -> Authority:
    return Authority(_ledger(ledger_path), Directory(Path(secrets_path)))


def authority() -> Authority:
    """Sessions and the people of the secrets file as they are now (one per process)."""
    current = settings()
    return _authority(str(current.ledger_path), str(current.secrets_path))


@st.cache_resource(show_spinner=False)
def _billing(
    fingerprint: str, _settings: Settings, _ledger: Ledger, _authority: Authority
) -> Billing:
    # Keyed by the fingerprint only: the underscore arguments are not hashed.
    clock = _clock(_settings.sandbox_url, _settings.is_sandbox)
    return Billing(_settings, _ledger, authority=_authority, clock=clock)


def billing() -> Billing:
    """The process's billing use cases over the current settings and the shared ledger."""
    current = settings()
    return _billing(settings_fingerprint(current), current, ledger(), authority())


def settings_fingerprint(current: Settings) -> str:
    """A digest of everything a ``Billing`` is built from (secrets included, never shown)."""
    parts: list[str] = [
        current.mode,
        str(current.ledger_path),
        str(current.secrets_path),
        current.timezone.key,
        str(current.max_amount_minor),
        current.sandbox_url,
        str(current.webhook_url),
        f"{current.connect_timeout}/{current.read_timeout}",
    ]
    if current.bepaid:
        b = current.bepaid
        parts += [b.api_url, b.checkout_url, b.gateway_url, b.shop_id, b.secret_key.reveal()]
    if current.payture:
        parts += [current.payture.base_url, current.payture.access_token.reveal()]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def set_actor(actor: Actor) -> None:
    """Called by the entry script after the login gate, on every rerun."""
    st.session_state[ACTOR_KEY] = actor


def actor() -> Actor:
    """The user the login gate let in for this rerun (pages run after the entry script).

    In a widget callback (which Streamlit runs *before* the entry script) this is the
    actor of the previous run; that is safe because billing re-checks the person's
    session and current role before it acts (:meth:`console.sessions.Authority.current`).
    """
    try:
        return st.session_state[ACTOR_KEY]
    except KeyError:
        st.error("Not signed in: open the console from its start page.")
        st.stop()
        raise  # unreachable: st.stop() ends the script run
