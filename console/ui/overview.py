"""The mode badge every page shows under the router: SANDBOX (test money) or LIVE.

The word says the mode; the icon is one of Streamlit's bundled Material Symbols,
which every browser draws (an emoji would be an empty box where no emoji font is
installed).
"""

from __future__ import annotations

import streamlit as st

from console.config import Settings


def render_mode_badge(settings: Settings) -> None:
    """A badge no one can miss: SANDBOX (test money) or LIVE."""
    if settings.is_sandbox:
        st.warning(
            f"**SANDBOX** — test money only; providers are emulated at {settings.sandbox_url}.",
            icon=":material/science:",
        )
    else:
        st.info("**LIVE** — real providers, real money.", icon=":material/bolt:")
