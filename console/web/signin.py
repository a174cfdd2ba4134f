"""The sign-in page and its routes, served by the console's own server beside Streamlit.

Signing in is plain HTTP, not a Streamlit widget, for one reason: only a server
response can set an **HttpOnly** cookie, which page scripts cannot read. So:

* ``GET /session/login?next=/lookup?q=B12`` — the form (password, and a single
  sign-on button when configured). It sets a random anti-forgery cookie
  (``mc_csrf``, SameSite=Strict) that the form repeats in a hidden field.
* ``POST /session/login`` — checks the anti-forgery pair and the ``Origin``, then the
  password (:meth:`console.sessions.Authority.sign_in_password`: scrypt, lockout,
  audit) in a worker thread, so the server keeps serving other people meanwhile. On
  success: the session cookie (HttpOnly, SameSite=Lax, Secure over https) and a
  redirect to ``next``, the page that was asked for with its query.
* ``GET /session/sso?next=...`` — remembers ``next`` for the single sign-on round trip
  (``mc_next``, HttpOnly, 10 minutes) and starts Streamlit's ``st.login`` flow.

``next`` is only ever a path on this server (``/...``, never ``//host`` or a scheme):
anything else becomes ``/``, so the page cannot be used to send people elsewhere.
"""

from __future__ import annotations

import hmac
import secrets
from html import escape
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from console.errors import ConsoleError
from console.sessions import COOKIE_MAX_AGE_S, SESSION_COOKIE, Authority, SessionEnded

LOGIN_PATH = "/session/login"
SSO_PATH = "/session/sso"
CSRF_COOKIE = "mc_csrf"
NEXT_COOKIE = "mc_next"
#: The query parameter that asks the entry script to start ``st.login``.
SSO_START_PARAM = "mc_sso"
_MAX_FIELD = 1024


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this server, else ``/``."""
    if not value or len(value) > 2048:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return "/"
    return value


def login_url(next_path: str | None = None) -> str:
    """The sign-in page that returns to ``next_path`` afterwards."""
    target = safe_next(next_path)
    return LOGIN_PATH if target == "/" else f"{LOGIN_PATH}?next={quote(target, safe='')}"


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def signin_routes(authority: Authority) -> list[Route]:
    """The routes above, over ``authority`` (sessions and the current people)."""

    async def login_page(request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            try:
                await run_in_threadpool(authority.resume, token, origin="console")
            except SessionEnded:
                pass
            else:
                return RedirectResponse(target, status_code=303)
        return _form(request, target, error=None, name="", status=200, stale_cookie=bool(token))

    async def login_submit(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=8, max_part_size=_MAX_FIELD)
        target = safe_next(_field(form.get("next")))
        name = _field(form.get("name"))
        if not _same_origin(request) or not _csrf_ok(request, _field(form.get("csrf"))):
            return _form(
                request,
                target,
                name=name,
                status=403,
                error="The form expired or came from another site. Please try again.",
            )
        try:
            signed_in = await run_in_threadpool(
                authority.sign_in_password, name, _field(form.get("password")), origin="console"
            )
        except ConsoleError as exc:
            return _form(request, target, error=exc.message, name=name, status=503)
        if signed_in is None:
            wait = _locked_for(name)
            error = (
                f"Too many failed attempts for this name. Try again in {wait} min."
                if wait
                else "Wrong user name or password."
            )
            return _form(request, target, error=error, name=name, status=401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            signed_in.token,
            max_age=COOKIE_MAX_AGE_S,
            path="/",
            httponly=True,
            samesite="lax",
            secure=is_https(request),
        )
        response.delete_cookie(CSRF_COOKIE, path=LOGIN_PATH)
        return response

    async def sso_start(request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        response = RedirectResponse(f"/?{SSO_START_PARAM}=1", status_code=303)
        response.set_cookie(
            NEXT_COOKIE,
            target,
            max_age=600,
            path="/",
            httponly=True,
            samesite="lax",
            secure=is_https(request),
        )
        return response

    def _form(
        request: Request,
        target: str,
        *,
        error: str | None,
        name: str,
        status: int,
        stale_cookie: bool = False,
    ) -> Response:
        settings = authority.settings()
        csrf = secrets.token_urlsafe(24)
        page = render_login_page(
            target=target,
            csrf=csrf,
            error=error,
            name=name,
            passwords=bool(settings.users),
            sso_label=settings.sso.provider_label if settings.sso else None,
            notice=_notice(request),
        )
        response = HTMLResponse(page, status_code=status, headers=_NO_STORE)
        response.set_cookie(
            CSRF_COOKIE,
            csrf,
            max_age=3600,
            path=LOGIN_PATH,
            httponly=True,
            samesite="strict",
            secure=is_https(request),
        )
        if stale_cookie:  # a logged-out or expired session: the browser may forget it
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return [
        Route(LOGIN_PATH, login_page, methods=["GET"]),
        Route(LOGIN_PATH, login_submit, methods=["POST"]),
        Route(SSO_PATH, sso_start, methods=["GET"]),
    ]


_NO_STORE = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
}

_NOTICES = {
    "logout": "You have logged out.",
    "ended": "Your session has ended. Please sign in again.",
}


def _notice(request: Request) -> str | None:
    return _NOTICES.get(request.query_params.get("notice", ""))


def _field(value: object) -> str:
    return value[:_MAX_FIELD] if isinstance(value, str) else ""


def _csrf_ok(request: Request, sent: str) -> bool:
    expected = request.cookies.get(CSRF_COOKIE, "")
    return bool(expected and sent) and hmac.compare_digest(expected, sent)


def _same_origin(request: Request) -> bool:
    """A browser names the page a form came from; it must be this server."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # old browsers send none; "null" is a sandboxed frame
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _locked_for(name: str) -> int:
    from console.auth import LOGIN_THROTTLE, login_name

    seconds = LOGIN_THROTTLE.seconds_locked(login_name(name))
    return -(-int(seconds) // 60) if seconds else 0


def render_login_page(
    *,
    target: str,
    csrf: str,
    error: str | None,
    name: str,
    passwords: bool,
    sso_label: str | None,
    notice: str | None,
) -> str:
    """The sign-in page: every value escaped, no script, posts only to this server."""
    parts = [_HEAD, "<main><h1>Merchant Console</h1>"]
    if notice:
        parts.append(f'<p class="notice" role="status">{escape(notice)}</p>')
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    if passwords:
        parts.append(
            f'<form method="post" action="{LOGIN_PATH}">'
            f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
            f'<input type="hidden" name="next" value="{escape(target)}">'
            '<label for="name">User name</label>'
            f'<input id="name" name="name" autocomplete="username" required value="{escape(name)}"'
            f"{'' if name else ' autofocus'}>"
            '<label for="password">Password</label>'
            '<input id="password" name="password" type="password"'
            f' autocomplete="current-password" required{" autofocus" if name else ""}>'
            '<button type="submit">Log in</button></form>'
        )
    if sso_label:
        href = f"{SSO_PATH}?next={quote(target, safe='')}"
        parts.append(f'<a class="sso" href="{escape(href)}">Sign in with {escape(sso_label)}</a>')
    parts.append("</main></body></html>")
    return "".join(parts)


_HEAD = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Merchant Console</title><style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f6f7f9;margin:0}
main{max-width:22rem;margin:12vh auto;background:#fff;padding:2rem;border-radius:.75rem;
box-shadow:0 1px 4px rgba(0,0,0,.08)}h1{font-size:1.4rem;margin:0 0 1.2rem}
label{display:block;margin:.8rem 0 .3rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #c7ccd1;border-radius:.4rem}
button,.sso{display:block;width:100%;box-sizing:border-box;margin-top:1.2rem;padding:.6rem;
border:0;border-radius:.4rem;background:#0f766e;color:#fff;font-size:1rem;text-align:center;
text-decoration:none;cursor:pointer}.sso{background:#334155}
.error{color:#b91c1c}.notice{color:#0f766e}</style></head><body>"""
