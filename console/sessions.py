"""Who is acting, now: sign-in sessions, idle sign-out, and authority at the moment of action.

A person signs in once — with a password (:func:`console.auth.authenticate`) or through
single sign-on (Streamlit's ``st.login``) — and gets a **session**: a random 256-bit
token in an HttpOnly cookie (:data:`SESSION_COOKIE`, never in a URL), and a ledger row
keyed by the token's SHA-256 (the token itself is stored nowhere). Every browser tab
and every reload sends the cookie, so the person stays signed in until:

* they log out (the row is ended, so every tab of theirs is signed out at its next step);
* :attr:`~console.config.Settings.session_idle` passes without an action (default 8 h);
* an admin changes them: removed, role changed, password changed — compared with what
  the row recorded at sign-in, so the change ends the session instead of quietly
  granting the new role to a page opened under the old one.

:meth:`Authority.current` is what ``console.billing`` calls before every use case: it
re-reads the people from the secrets file (:class:`Directory`, cached by the file's
modification time) and the session from the ledger, so a role changed between a page
being drawn and a button being clicked is refused, audited and sends nothing.

Actors without a session are processes the operator started (``sync``, the receiver,
the CLI, tests): they act with the role they were built with. The local-mode actor
(:data:`~console.auth.LOCAL_ADMIN`) is accepted only while no users and no single
sign-on are configured.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from console.auth import LOCAL_ADMIN, Actor, PermissionDenied, Role, authenticate
from console.config import Settings, load_settings
from console.errors import ConfigError
from console.ledger import Ledger, SessionRow

#: The cookie that carries a signed-in person's session token.
SESSION_COOKIE = "mc_session"
#: How long the cookie may live in the browser; the server decides validity long before.
COOKIE_MAX_AGE_S = 30 * 24 * 3600


class SessionEnded(PermissionDenied):
    """Raised when a session is over (logged out, idle, or the person was changed);
    ``reason`` is ``logout``, ``idle``, ``removed``, ``password_changed``,
    ``role_changed`` or ``unknown`` (no such session)."""

    title = "Signed out"

    def __init__(self, message: str, *, reason: str = "unknown") -> None:
        super().__init__(message)
        self.reason = reason


def session_id(token: str) -> str:
    """The ledger id of a session token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def credential_of(secret_material: str) -> str:
    """What a session records about the credential it began with (a digest, never the
    password hash or the identity itself)."""
    return hashlib.sha256(secret_material.encode("utf-8")).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


class Directory:
    """The settings as the secrets file says *now*: users, single sign-on, idle timeout.

    Re-read when the file's modification time or size changes (a few file-system
    calls per check otherwise), so an admin's ``user add --replace`` applies to the
    very next action.
    """

    def __init__(self, secrets_path: Path, env: Mapping[str, str] | None = None) -> None:
        self.secrets_path = secrets_path
        self._env = env
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._settings: Settings | None = None

    def current(self) -> Settings:
        """The settings now. Raises ConfigError when the file became unreadable."""
        stamp = self._file_stamp()
        with self._lock:
            if self._settings is None or stamp != self._stamp:
                self._settings = load_settings(env=self._env, secrets_path=self.secrets_path)
                self._stamp = stamp
            return self._settings

    def _file_stamp(self) -> tuple[int, int]:
        try:
            info = os.stat(self.secrets_path)
        except OSError:
            return (-1, -1)
        return (info.st_mtime_ns, info.st_size)


@dataclass(frozen=True)
class SignIn:
    """A new session: who, and the token to put in the cookie."""

    actor: Actor
    token: str


class Authority:
    """Sessions over the ledger and the current directory of people; thread-safe."""

    def __init__(
        self,
        ledger: Ledger,
        directory: Directory | Callable[[], Settings],
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.ledger = ledger
        self._settings = directory.current if isinstance(directory, Directory) else directory
        self.clock = clock

    def settings(self) -> Settings:
        return self._settings()

    # -- signing in ---------------------------------------------------------------------

    def sign_in_password(self, name: str, password: str, *, origin: str) -> SignIn | None:
        """Check a password (audited, throttled); a new session, or None when refused."""
        users = self.settings().users
        actor = authenticate(users, name, password, ledger=self.ledger, origin=origin)
        if actor is None:
            return None
        record = users[actor.name]
        return self._begin(actor, "password", credential_of(record.password_hash))

    def sign_in_sso(self, claims: Mapping[str, object], *, origin: str) -> SignIn:
        """A session for an identity that Streamlit's ``st.login`` verified.

        The session id is derived from the identity token's own unique values (issuer,
        subject, issue time and nonce), so the same sign-in maps to the same row on
        every rerun and tab, and a new sign-in gets a new row.

        Raises:
            SessionEnded: that sign-in's session was ended (log out of the identity
                provider's session and sign in again).
            PermissionDenied: no role is mapped to the identity; audited.
        """
        settings = self.settings()
        sso = settings.sso
        if sso is None:
            raise PermissionDenied("Single sign-on is not configured.")
        who = str(claims.get(sso.claim) or "").strip().lower()
        role = sso.role_for(who)
        if role is None:
            self.ledger.audit(
                who or "(no identity)",
                "login_failed",
                outcome="refused",
                origin=origin,
                detail={"reason": f"no role mapped to this {sso.claim}", "method": "sso"},
            )
            raise PermissionDenied(
                f"{who or 'This identity'} has no access to this console: ask an admin to "
                f"map it to a role ([sso.roles] in the secrets file)."
            )
        marker = "|".join(str(claims.get(k) or "") for k in ("iss", "sub", "iat", "nonce"))
        sid = session_id("sso|" + marker + "|" + who)
        existing = self.ledger.sessions.get(sid)
        actor = Actor(who, role, origin, session=sid)
        if existing is not None:
            return SignIn(self.current(actor), "")
        self.ledger.sessions.start(
            sid,
            user_name=who,
            method="sso",
            role=role.value,
            credential=credential_of("sso|" + who),
            at=self.clock(),
        )
        self.ledger.audit(who, "login", outcome="ok", origin=origin, detail={"method": "sso"})
        return SignIn(actor, "")

    def _begin(self, actor: Actor, method: str, credential: str) -> SignIn:
        token = secrets.token_urlsafe(32)
        sid = session_id(token)
        self.ledger.sessions.start(
            sid,
            user_name=actor.name,
            method=method,
            role=actor.role.value,
            credential=credential,
            at=self.clock(),
        )
        return SignIn(replace(actor, session=sid), token)

    # -- who is this, now ---------------------------------------------------------------

    def resume(self, token: str, *, origin: str) -> Actor:
        """The person a cookie's token belongs to, as they stand now.

        Raises:
            SessionEnded: unknown token, or the session is over (the message says why).
        """
        if not isinstance(token, str) or not token or len(token) > 256:
            raise SessionEnded("Please sign in.")
        row = self.ledger.sessions.get(session_id(token))
        if row is None:
            raise SessionEnded("Please sign in.")
        return self._standing(row, origin)

    def current(self, actor: Actor) -> Actor:
        """``actor`` as they stand now (see the module docstring); what billing acts as.

        Raises:
            SessionEnded: the person's session is over.
            PermissionDenied: the local-mode actor after users were configured.
        """
        if actor.session is not None:
            row = self.ledger.sessions.get(actor.session)
            if row is None:
                raise SessionEnded("Your session is unknown here; please sign in again.")
            return self._standing(row, actor.origin)
        is_local_admin = actor.name == LOCAL_ADMIN.name and actor.origin == LOCAL_ADMIN.origin
        if is_local_admin and not self.settings().is_local:
            raise SessionEnded("Local mode has ended: users are configured now. Please sign in.")
        return actor

    def sign_out(self, actor: Actor, *, reason: str = "logout") -> str | None:
        """End the actor's session (every tab of theirs); audited once. Returns how the
        session began (``password`` / ``sso``), None for an actor without one."""
        if actor.session is None:
            return None
        row = self.ledger.sessions.get(actor.session)
        if self.ledger.sessions.end(actor.session, reason, at=self.clock()):
            self.ledger.audit(actor.name, "logout", outcome="ok", origin=actor.origin)
        return None if row is None else row.method

    def _standing(self, row: SessionRow, origin: str) -> Actor:
        if not row.open:
            reason = row.end_reason or "unknown"
            raise SessionEnded(_ENDED.get(reason, "Please sign in again."), reason=reason)
        try:
            settings = self.settings()
        except ConfigError as exc:
            raise SessionEnded(f"The console's settings cannot be read: {exc.message}") from exc
        why = self._why_over(row, settings)
        if why is not None:
            if self.ledger.sessions.end(row.id, why, at=self.clock()):
                self.ledger.audit(
                    row.user_name,
                    "session_ended",
                    outcome="ok",
                    origin=origin,
                    detail={"reason": why},
                )
            raise SessionEnded(_ENDED[why], reason=why)
        self.ledger.sessions.touch(row.id, at=self.clock())
        return Actor(row.user_name, Role(row.role), origin, session=row.id)

    def _why_over(self, row: SessionRow, settings: Settings) -> str | None:
        if self.clock() - row.last_seen_at > settings.session_idle:
            return "idle"
        if row.method == "password":
            record = settings.users.get(row.user_name)
            if record is None:
                return "removed"
            if record.role.value != row.role:  # `user add --replace` also sets a password
                return "role_changed"
            if not hmac.compare_digest(credential_of(record.password_hash), row.credential):
                return "password_changed"
            return None
        role = settings.sso.role_for(row.user_name) if settings.sso else None
        if role is None:
            return "removed"
        return "role_changed" if role.value != row.role else None


_ENDED = {
    "logout": "You have logged out. Please sign in again.",
    "idle": "You were signed out after a period without activity. Please sign in again.",
    "removed": "Your access to this console was removed by an admin.",
    "password_changed": "Your password was changed. Please sign in with the new one.",
    "role_changed": "An admin changed your role. Please sign in again to continue.",
}
