"""The login gate: call :func:`require_user` at the top of the entry script.

* **Local mode** (no users configured, not live): no login; the acting user is
  :data:`~console.auth.LOCAL_ADMIN` and a sidebar caption says so.
* **Users configured**: a login form until the person authenticates; the session
  then remembers the user (Streamlit session state lives on the server, per browser
  tab) and the sidebar offers *Log out*. Each rerun re-reads the user from the
  settings, so a removed user or a changed password ends open sessions and a
  changed role applies at once.
* **Live mode without users**: an error and nothing else (see
  :func:`console.config.check_users_for_console`).

While nobody is logged in the gate calls ``st.stop()``, so nothing below it renders.
Wrong name and wrong password get the same message; a locked-out name is told how
long to wait (lockouts apply to unknown names too, so this reveals nothing).
"""

from __future__ import annotations

import hashlib
import math

import streamlit as st

from console.auth import LOCAL_ADMIN, LOGIN_THROTTLE, Actor, authenticate, login_name
from console.config import Settings, check_users_for_console
from console.errors import ConfigError
from console.ledger import Ledger

LOCAL_CAPTION = "Local mode: no users configured — the console listens on 127.0.0.1 only"
SESSION_KEY = "login.session"  # (user name, fingerprint of the password hash at login)
ORIGIN = "console"


def require_user(settings: Settings, ledger: Ledger | None) -> Actor:
    """Return the acting user, or show the login form and stop the script run."""
    try:
        check_users_for_console(settings)
    except ConfigError as exc:
        st.error(f"**{exc.title}** — {exc.message}")
        st.stop()
    if settings.is_local:
        st.sidebar.caption(LOCAL_CAPTION)
        return LOCAL_ADMIN
    actor = _signed_in_actor(settings)
    if actor is None:
        _login_form(settings, ledger)
        st.stop()
    _account_sidebar(actor, ledger)
    return actor


def _signed_in_actor(settings: Settings) -> Actor | None:
    session = st.session_state.get(SESSION_KEY)
    if not session:
        return None
    name, fingerprint = session
    record = settings.users.get(name)
    if record is None or _fingerprint(record.password_hash) != fingerprint:
        del st.session_state[SESSION_KEY]  # user removed or password changed: log in again
        return None
    return Actor(record.name, record.role, ORIGIN)


def _login_form(settings: Settings, ledger: Ledger | None) -> None:
    st.title("Merchant Console")
    with st.form("login.form", clear_on_submit=True):
        st.subheader("Log in")
        name = st.text_input("User name", key="login.name", autocomplete="username")
        password = st.text_input(
            "Password", type="password", key="login.password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Log in", type="primary")
    if not submitted:
        return
    actor = authenticate(settings.users, name, password, ledger=ledger, origin=ORIGIN)
    if actor is not None:
        record = settings.users[actor.name]
        st.session_state[SESSION_KEY] = (actor.name, _fingerprint(record.password_hash))
        st.rerun()
    wait = LOGIN_THROTTLE.seconds_locked(login_name(name))
    if wait:
        minutes = math.ceil(wait / 60)
        st.error(f"Too many failed attempts for this name. Try again in {minutes} min.")
    else:
        st.error("Wrong user name or password.")


def _account_sidebar(actor: Actor, ledger: Ledger | None) -> None:
    st.sidebar.caption(f"Signed in as **{actor.name}** ({actor.role.value})")
    if st.sidebar.button("Log out", key="login.logout"):
        if ledger is not None:
            ledger.audit(actor.name, "logout", outcome="ok", origin=ORIGIN)
        st.session_state.pop(SESSION_KEY, None)
        st.rerun()


def _fingerprint(password_hash: str) -> str:
    # Session state keeps a digest, not the hash itself.
    return hashlib.sha256(password_hash.encode("ascii")).hexdigest()
