"""The script Streamlit runs for every page: settings, login gate, mode badge, router.

It ships inside the package (``console/ui/entry.py``) beside the pages
(``console/ui/app_pages/``, listed in :mod:`console.ui.registry`), so an installed
wheel runs as a checkout does; :mod:`console.ui.server` serves it. A user is offered
only the pages their role allows.
"""

from __future__ import annotations

import streamlit as st

from console.errors import ConsoleError
from console.ui import context
from console.ui.login import require_user
from console.ui.overview import render_mode_badge
from console.ui.registry import page_path, pages_for
from console.ui.text import titled

st.set_page_config(page_title="Merchant Console", page_icon="💳", layout="wide")

try:
    settings = context.settings()
except ConsoleError as exc:
    st.error(titled(exc.title, exc.message))
    st.stop()

actor = require_user(settings, context.authority())  # stops the run until signed in
context.set_actor(actor)
render_mode_badge(settings)
sections: dict[str, list] = {}
for spec in pages_for(actor):
    sections.setdefault(spec.section, []).append(
        st.Page(str(page_path(spec)), title=spec.title, icon=spec.icon, url_path=spec.key)
    )
first = next(iter(sections.values()))[0]


def start() -> None:
    """The root address: the role's first page, at its own address."""
    st.switch_page(first)


# A hidden start page is the default, so every real page keeps its own address: a link
# to /new_payment (a bookmark, a page opened after signing in) opens that page, where a
# default page's own address would answer "page not found".
home = st.Page(start, title="Start", url_path="start", default=True, visibility="hidden")
sections[next(iter(sections))].insert(0, home)
st.navigation(sections).run()
