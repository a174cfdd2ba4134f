"""Merchant Console entry point: settings, login gate, mode badge, and the page router.

Pages live in ``app_pages/`` (not ``pages/``: Streamlit would serve that folder's
files without this entry script and its login gate) and are listed in
``console.ui.registry``; a user is offered only the pages their role allows.
"""

from __future__ import annotations

import streamlit as st

from console.errors import ConsoleError
from console.ui import context
from console.ui.login import require_user
from console.ui.overview import render_mode_badge
from console.ui.registry import PAGES_DIR, pages_for

st.set_page_config(page_title="Merchant Console", page_icon="💳", layout="wide")

try:
    settings = context.settings()
except ConsoleError as exc:
    st.error(f"**{exc.title}** — {exc.message}")
    st.stop()

actor = require_user(settings, context.ledger())  # stops the script until logged in
context.set_actor(actor)
render_mode_badge(settings)
specs = pages_for(actor)
sections: dict[str, list] = {}
for spec in specs:
    sections.setdefault(spec.section, []).append(
        st.Page(str(PAGES_DIR / spec.file), title=spec.title, icon=spec.icon, url_path=spec.key)
    )
st.navigation(sections).run()
