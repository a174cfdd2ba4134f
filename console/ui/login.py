"""The login gate of every script run: call :func:`require_user` at the top of the entry script.

* **Local mode** (no users, no single sign-on, never live): no login; the acting user
  is :data:`~console.auth.LOCAL_ADMIN` and a sidebar caption says so. The gate refuses
  to serve when the server listens on, or the browser comes from, anything but
  loopback.
* **Users configured**: the browser's session cookie (set by the sign-in page,
  :mod:`console.web.signin`, HttpOnly) names a session that
  :class:`~console.sessions.Authority` checks on every run: still open, not idle,
  the person unchanged. Reloads, new tabs and opened links share the cookie, so they
  stay signed in. Without a valid session the browser is sent to the sign-in page with
  ``next`` = this page and its query.
* **Single sign-on**: Streamlit's ``st.login`` identity (``st.user``) is mapped to a
  role (``[sso.roles]``) and gets a session row of its own (idle timeout, revocation).
  An identity with no role gets no access.

*Log out* ends the session on the server, so every tab of that person is signed out
at its next step, then shows the sign-in page.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

import streamlit as st

from console.auth import LOCAL_ADMIN, Actor, PermissionDenied
from console.config import Settings, check_users_for_console
from console.errors import ConfigError
from console.sessions import SESSION_COOKIE, Authority, SessionEnded
from console.ui.navigate import go_to
from console.ui.text import plain, titled
from console.web import SSO_START_PARAM, is_loopback, login_url

LOCAL_CAPTION = "Local mode: no users configured — the console listens on 127.0.0.1 only"
ORIGIN = "console"
_LEAVING = "login_leaving"  # set while st.logout() redirects the browser


def require_user(settings: Settings, authority: Authority) -> Actor:
    """Return the acting user, or send the browser to sign in and stop the script run."""
    try:
        check_users_for_console(settings)
    except ConfigError as exc:
        st.error(titled(exc.title, exc.message))
        st.stop()
    if settings.is_local:
        _refuse_unless_loopback()
        st.sidebar.caption(LOCAL_CAPTION)
        return LOCAL_ADMIN
    ended: SessionEnded | None = None
    token = session_token()
    if token:
        try:
            actor = authority.resume(token, origin=ORIGIN)
        except SessionEnded as exc:
            ended = exc
        else:
            _account_sidebar(actor, authority)
            return actor
    if settings.sso is not None:
        identity = _single_sign_on(settings, authority)
        if identity is not None:
            _account_sidebar(identity, authority)
            return identity
    _send_to_sign_in(ended)
    raise AssertionError("unreachable: st.stop() ends the run")


def session_token() -> str | None:
    """The session token the browser sent with this tab's connection (HttpOnly cookie)."""
    token = st.context.cookies.get(SESSION_COOKIE)
    return token if isinstance(token, str) else None  # AppTest has no real cookies


def _single_sign_on(settings: Settings, authority: Authority) -> Actor | None:
    """The signed-in identity as a console user; None when nobody is signed in."""
    assert settings.sso is not None
    if not st.user.is_logged_in:
        if st.query_params.get(SSO_START_PARAM) == "1":
            st.query_params.clear()
            _login(settings.sso.provider)
            st.stop()
        return None
    claims: Mapping[str, object] = st.user.to_dict()
    try:
        return authority.sign_in_sso(claims, origin=ORIGIN).actor
    except SessionEnded:
        st.logout()  # that sign-in is over: leave the identity provider's session too
        st.stop()
    except PermissionDenied as exc:
        st.title("Merchant Console")
        st.error(plain(exc.message), icon=":material/block:")
        st.button("Log out", on_click=st.logout, key="login_sso_logout")
        st.stop()
    return None


def _login(provider: str | None) -> None:
    if provider is None:
        st.login()
    else:
        st.login(provider)


def _send_to_sign_in(ended: SessionEnded | None) -> None:
    if st.session_state.pop(_LEAVING, False):
        st.stop()  # st.logout() is already taking the browser away
    target = login_url(_here())
    if ended is not None:
        notice = "logout" if ended.reason == "logout" else "ended"
        target += ("&" if "?" in target else "?") + f"notice={notice}"
    st.title("Merchant Console")
    message = ended.message if ended else "Please sign in to use the console."
    st.info(plain(message), icon=":material/login:")
    st.markdown(f"[Sign in]({target})")
    go_to(target)
    st.stop()


def _here() -> str:
    """This page's path and query, to come back to after signing in."""
    path = urlsplit(st.context.url or "/").path or "/"
    query = st.query_params.to_dict()
    return path + (f"?{urlencode(query)}" if query else "")


def _refuse_unless_loopback() -> None:
    address = str(st.get_option("server.address") or "")
    client = st.context.ip_address  # None on loopback (and not a string in AppTest)
    if is_loopback(address) and (not isinstance(client, str) or is_loopback(client)):
        return
    st.error(
        "**Local mode serves this computer only.** No users are configured, so the console "
        "has no login; it refuses to serve on a network address. Add a user "
        "(merchant-console user add NAME --role admin) or start it with merchant-console run, "
        "which listens on 127.0.0.1.",
        icon=":material/block:",
    )
    st.stop()


def _account_sidebar(actor: Actor, authority: Authority) -> None:
    st.sidebar.caption(f"Signed in as **{plain(actor.name)}** ({actor.role.value})")
    st.sidebar.button("Log out", key="login_logout", on_click=_log_out, args=(actor, authority))


def _log_out(actor: Actor, authority: Authority) -> None:
    # The run that follows this callback finds the session ended and opens the sign-in
    # page (with a "logged out" notice); every other tab does so at its next step.
    if authority.sign_out(actor) == "sso":
        st.logout()  # drop Streamlit's identity cookie and the identity provider's session
        st.session_state[_LEAVING] = True  # the run that follows must not redirect again
