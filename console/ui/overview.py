"""The overview shown by the entry page: mode badge, configuration, ledger summary."""

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


def render_overview(settings: Settings) -> None:
    render_mode_badge(settings)
    st.title("Merchant Console")
    st.caption(
        "Card pay links, subscriptions and alternative payments through bePaid / beGateway, "
        "and Payture bills — one ledger, one place to look things up."
    )
    st.subheader("Configuration in use")
    st.table(
        {"setting": list(settings.masked()), "value": list(map(str, settings.masked().values()))}
    )
