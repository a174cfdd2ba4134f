"""Process-wide objects for the pages: settings, the ledger, and who is acting.

Streamlit reruns a page's script on a new thread for every interaction; the
ledger is safe for that (one SQLite connection per thread), so one ``Ledger`` per
process is shared through ``st.cache_resource``. Pages get everything from here and
never open files, build SQL or HTTP themselves.
"""

from __future__ import annotations

import streamlit as st

from console.auth import Actor
from console.config import Settings, load_settings
from console.ledger import Ledger

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


def set_actor(actor: Actor) -> None:
    """Called by the entry script after the login gate, on every rerun."""
    st.session_state[ACTOR_KEY] = actor


def actor() -> Actor:
    """The user the login gate let in for this rerun (pages run after the entry script)."""
    try:
        return st.session_state[ACTOR_KEY]
    except KeyError:
        st.error("Not signed in: open the console from its start page.")
        st.stop()
        raise  # unreachable: st.stop() ends the script run
