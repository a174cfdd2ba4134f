"""The console's own HTTP routes beside Streamlit: the sign-in page, the page gate and
prepared downloads (:mod:`console.web.downloads`).

Plain Starlette, no Streamlit, so they are tested over HTTP without a browser;
:mod:`console.ui.server` mounts them on Streamlit's server (``st.App``).
"""

from __future__ import annotations

from console.web.downloads import DOWNLOADS, Downloads, Prepared, download_routes
from console.web.gate import SessionGate, is_loopback
from console.web.signin import LOGIN_PATH, SSO_START_PARAM, login_url, safe_next, signin_routes

__all__ = [
    "DOWNLOADS",
    "LOGIN_PATH",
    "SSO_START_PARAM",
    "Downloads",
    "Prepared",
    "SessionGate",
    "download_routes",
    "is_loopback",
    "login_url",
    "safe_next",
    "signin_routes",
]
