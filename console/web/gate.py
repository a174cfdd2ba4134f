"""The door of the console's server: who may load a page at all.

An ASGI middleware in front of Streamlit. It looks only at page loads — a browser's
``GET`` for a document (``/``, ``/lookup?q=B12``, any page path); Streamlit's own
traffic (its websocket, scripts, media) passes untouched, and the entry script's
login gate still decides per rerun (:mod:`console.ui.login`). Decisions:

* **Local mode** (no users, no single sign-on): a page is served to a loopback
  client only; anyone else gets 403. ``merchant-console run`` binds loopback anyway;
  this holds even when someone starts the server another way.
* **Users configured**: a page load without a valid session cookie is redirected to
  the sign-in page with ``next`` = the page asked for, query included — so a deep link
  opened while logged out lands, after signing in, where it pointed.
* **Single sign-on**: Streamlit's own identity cookie lets the page load (the entry
  script checks the identity and its role); after the identity provider's round trip
  the page asked for before it (``mc_next``) is restored.
"""

from __future__ import annotations

import ipaddress

from starlette.datastructures import URL, Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from console.sessions import SESSION_COOKIE, Authority, SessionEnded
from console.web.signin import NEXT_COOKIE, SSO_START_PARAM, is_https, login_url, safe_next

#: Paths that are never page loads: Streamlit's core, assets and auth, and our sign-in.
EXEMPT_PREFIXES = (
    "/_stcore/",
    "/static/",
    "/media/",
    "/component/",
    "/app/static/",
    "/auth/",
    "/oauth2callback",
    "/session/",
    "/favicon",
    "/manifest",
    "/robots.txt",
)
#: Streamlit's identity cookie (``st.login``); its chunks are named ``..._0``, ``..._1``.
STREAMLIT_USER_COOKIE = "_streamlit_user"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SessionGate:
    """ASGI middleware; ``SessionGate(app, authority=...)``."""

    def __init__(self, app: ASGIApp, *, authority: Authority) -> None:
        self.app = app
        self.authority = authority

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _is_page_load(scope):
            response = await self._decide(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _decide(self, scope: Scope) -> Response | None:
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import Request

        request = Request(scope)
        settings = await run_in_threadpool(self.authority.settings)
        if settings.is_local:
            client = scope.get("client")
            if not is_loopback(client[0] if client else None):
                return PlainTextResponse(
                    "This console runs in local mode (no users configured) and serves "
                    "this computer only. Ask an admin to add users.",
                    status_code=403,
                )
            return None
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            try:
                await run_in_threadpool(self.authority.resume, token, origin="console")
            except SessionEnded:
                pass
            else:
                return None
        if settings.sso is not None:
            if _has_streamlit_identity(request.cookies):
                remembered = request.cookies.get(NEXT_COOKIE)
                if remembered is not None:
                    response = RedirectResponse(safe_next(remembered), status_code=303)
                    response.delete_cookie(NEXT_COOKIE, path="/", secure=is_https(request))
                    return response
                return None
            if request.url.path == "/" and request.query_params.get(SSO_START_PARAM) == "1":
                return None  # the entry script starts st.login
        return RedirectResponse(login_url(_path_and_query(request.url)), status_code=303)


def _is_page_load(scope: Scope) -> bool:
    if scope.get("method") not in ("GET", "HEAD"):
        return False
    path: str = scope.get("path", "/")
    if path.startswith(EXEMPT_PREFIXES):
        return False
    headers = Headers(scope=scope)
    destination = headers.get("sec-fetch-dest")
    if destination is not None:
        return destination in ("document", "iframe")
    return "text/html" in headers.get("accept", "")


def _has_streamlit_identity(cookies: dict[str, str]) -> bool:
    return any(
        name == STREAMLIT_USER_COOKIE or name.startswith(STREAMLIT_USER_COOKIE + "_")
        for name in cookies
        if not name.startswith("_streamlit_user_tokens")
    )


def _path_and_query(url: URL) -> str:
    return url.path + (f"?{url.query}" if url.query else "")
