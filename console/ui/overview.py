"""The mode badge every page shows under the router: SANDBOX (test money) or LIVE."""

from __future__ import annotations

import streamlit as st

from console.config import Settings


def render_mode_badge(settings: Settings) -> None:
    """A badge no one can miss: SANDBOX (test money) or LIVE."""
    if settings.is_sandbox:
        st.warning(
            f"**SANDBOX** — test money only; providers are emulated at {settings.sandbox_url}.",
            icon="🧪",
        )
    else:
        st.info("**LIVE** — real providers, real money.", icon="🔴")
