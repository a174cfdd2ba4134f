"""The mode badge every page shows under the router: SANDBOX (test money) or LIVE.

The word says the mode; the icon is one of Streamlit's bundled Material Symbols,
which every browser draws (an emoji would be an empty box where no emoji font is
installed).
"""

from __future__ import annotations

import streamlit as st

from console.clock import SandboxClock
from console.config import Settings
from console.ui import context


def render_mode_badge(settings: Settings) -> None:
    """A badge no one can miss: SANDBOX (test money) or LIVE; in sandbox mode, its clock."""
    if settings.is_sandbox:
        st.warning(
            f"**SANDBOX** — test money only; providers are emulated at {settings.sandbox_url}. "
            + clock_words(context.clock()),
            icon=":material/science:",
        )
    else:
        st.info("**LIVE** — real providers, real money.", icon=":material/bolt:")


def clock_words(clock: object) -> str:
    """What the badge says about the sandbox's clock (its lead over real time)."""
    if not isinstance(clock, SandboxClock):
        return ""
    lead = clock.lead()
    if lead is None:
        return "Sandbox clock unreachable: dates use the real clock."
    seconds = int(lead.total_seconds())
    if abs(seconds) < 60:
        return "Sandbox clock: real time."
    days, rest = divmod(abs(seconds), 86400)
    span = f"{days} d {rest // 3600} h {rest % 3600 // 60} min"
    side = "ahead of" if seconds > 0 else "behind"
    return f"Sandbox clock: {span} {side} real time (expiry times follow it)."
