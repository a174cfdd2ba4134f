"""Merchant Console entry point: mode banner, then the overview page.

The full set of pages (New payment, Pay links, Subscriptions, Monitor, Revenue,
Lookup, Activity) is routed from here with ``st.navigation`` as it lands; until then
this page shows the mode, the configuration in use (secrets masked) and the ledger.
"""

from __future__ import annotations

import streamlit as st

from console.config import load_settings
from console.errors import ConsoleError
from console.ui.overview import render_overview

st.set_page_config(page_title="Merchant Console", page_icon="💳", layout="wide")

try:
    settings = load_settings()
except ConsoleError as exc:
    st.error(f"**{exc.title}** — {exc.message}")
    st.stop()

render_overview(settings)
