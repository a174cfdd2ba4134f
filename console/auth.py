"""Who may do what: roles, the acting user, and the one permission check.

Roles, from most to least power:

* **admin** — everything, including settings and replaying a stored notification;
* **operator** — create bills, plans and subscriptions, cancel subscriptions, refund;
* **support** — look up, monitor, refresh, import objects from a provider;
* **viewer** — read only.

``console.billing`` calls :func:`require` before every action, so a role's limits
hold whatever the pages show; :data:`PAGE_ACTIONS` / :func:`allowed_pages` tell the
router which pages to offer. Users live in ``.streamlit/secrets.toml``
(:mod:`console.users`); the Streamlit login gate is :mod:`console.ui.login`.

Password hashes are scrypt from the standard library (memory-hard, no extra
dependency), stored self-describing as ``scrypt$N$r$p$<salt b64>$<key b64>``.
:func:`verify_password` reads N, r and p from the string, so stronger parameters
can be adopted later without invalidating stored hashes. The default (N=2**14,
r=8, p=5: 16 MiB, about 0.3 s) is one of OWASP's listed scrypt settings; it keeps
memory per concurrent login low on a small server. argon2id would be marginally
better but needs a compiled dependency; scrypt at these settings is adequate.
Passwords are NFKC-normalised before hashing so the same password typed on
different keyboards or platforms matches.

:func:`authenticate` costs the same whether or not the name exists (an unknown
name is checked against a dummy hash), writes a ``login`` / ``login_failed`` audit
row for every attempt (never the password), and honours a lockout kept in process
memory by :class:`LoginThrottle`: 5 failures for one name within 5 minutes refuse
that name for 5 minutes. Unknown names are throttled the same way, so a lockout
does not reveal whether a name exists. The counter is per process: a restart
clears it, which is acceptable for a console on loopback or behind one server.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

from console.errors import ConfigError, ConsoleError

if TYPE_CHECKING:
    from console.ledger import Ledger


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    SUPPORT = "support"
    VIEWER = "viewer"


class Action(StrEnum):
    """Everything a user can ask the console to do that a role may be refused."""

    VIEW = "view"
    CREATE = "create"  # bills, pay links, APM payments, Payture bills, plans, subscriptions
    CANCEL = "cancel"
    REFUND = "refund"  # give money back from a card or APM payment
    REFRESH = "refresh"
    IMPORT = "import"
    SETTINGS = "settings"
    REPLAY = "replay"  # re-run a stored provider notification (admin only)


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.OPERATOR: frozenset(
        {Action.VIEW, Action.CREATE, Action.CANCEL, Action.REFUND, Action.REFRESH, Action.IMPORT}
    ),
    Role.SUPPORT: frozenset({Action.VIEW, Action.REFRESH, Action.IMPORT}),
    Role.VIEWER: frozenset({Action.VIEW}),
}


class PermissionDenied(ConsoleError):
    """Raised when the acting user's role does not allow the action."""

    title = "Not allowed"


@dataclass(frozen=True)
class Actor:
    """The person (or process) behind an action, as written to the audit log."""

    name: str
    role: Role
    origin: str = "console"  # e.g. "page:new-payment", "cli", "webhook", "sync"
    # The sign-in session of a person (its ledger id, not the cookie's token). Billing
    # re-checks such an actor's session and current role before every action
    # (console.sessions.Authority); actors without one are processes (sync, CLI, tests).
    session: str | None = None


#: The actor used in local mode (no users configured) and by trusted processes.
LOCAL_ADMIN = Actor("local", Role.ADMIN, "local")
SYNC_ACTOR = Actor("sync", Role.SUPPORT, "sync")
WEBHOOK_ACTOR = Actor("webhooks", Role.SUPPORT, "webhook")


def can(actor: Actor, action: Action) -> bool:
    return action in PERMISSIONS[actor.role]


def require(actor: Actor, action: Action) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may perform ``action``."""
    if not can(actor, action):
        raise PermissionDenied(
            f"{actor.name} ({actor.role}) may not {action.value}; ask an admin for a role "
            "that allows it."
        )


# --- Pages ---------------------------------------------------------------------------

#: The action a role needs to see each page; actions inside a page are checked again
#: (e.g. create / cancel on the Subscriptions page) by ``console.billing``.
PAGE_ACTIONS: dict[str, Action] = {
    "new_payment": Action.CREATE,
    "pay_links": Action.VIEW,
    "subscriptions": Action.VIEW,
    "monitor": Action.VIEW,
    "revenue": Action.VIEW,
    "payments": Action.VIEW,
    "lookup": Action.VIEW,
    "customer": Action.VIEW,
    "activity": Action.VIEW,
    "settings": Action.SETTINGS,
}


def allowed_pages(actor: Actor) -> frozenset[str]:
    """The page keys of :data:`PAGE_ACTIONS` that ``actor`` may open."""
    return frozenset(page for page, action in PAGE_ACTIONS.items() if can(actor, action))


# --- Users and password hashes -------------------------------------------------------

#: What a user name may look like: short, lower case, safe in a TOML key and a log line.
USER_NAME = re.compile(r"[a-z0-9._-]{1,64}")


@dataclass(frozen=True)
class UserRecord:
    """A console user as configured in the secrets file (``[users.NAME]``)."""

    name: str
    role: Role
    password_hash: str

    def __repr__(self) -> str:  # the hash is not a secret, but it has no place in logs
        return f"UserRecord(name={self.name!r}, role={self.role.value!r})"


class MalformedPasswordHash(ConfigError):
    """Raised when a stored password hash is not a well-formed scrypt hash string."""

    title = "Malformed password hash"


SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 5
SALT_BYTES = 16
KEY_BYTES = 64
# Bounds on parameters read from a hash string, so an edited file cannot make one
# login allocate gigabytes or run for minutes.
_MAX_MEMORY = 256 * 1024 * 1024  # 128 * r * N bytes
_MAX_WORK = 2**24  # N * r * p


@dataclass(frozen=True)
class PasswordHash:
    """A parsed ``scrypt$N$r$p$salt$key`` string."""

    n: int
    r: int
    p: int
    salt: bytes
    key: bytes


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """Hash ``password`` with scrypt and a fresh 16-byte salt; return the encoded string."""
    _check_scrypt_parameters(n, r, p)
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, n, r, p, KEY_BYTES)
    return "$".join(["scrypt", str(n), str(r), str(p), _b64(salt), _b64(key)])


def parse_password_hash(encoded: str) -> PasswordHash:
    """Split and check a hash string.

    Raises:
        MalformedPasswordHash: the string is not ``scrypt$N$r$p$<salt b64>$<key b64>``
            with sane parameters; the message says which part is wrong.
    """
    if not isinstance(encoded, str):
        raise MalformedPasswordHash("a password hash must be text.")
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise MalformedPasswordHash(
            "expected scrypt$N$r$p$<salt base64>$<hash base64> "
            "(create one with merchant-console user add)."
        )
    numbers = []
    for label, text in zip(("N", "r", "p"), parts[1:4], strict=True):
        if not text.isascii() or not text.isdigit() or len(text) > 9:
            raise MalformedPasswordHash(f"scrypt parameter {label} must be a whole number.")
        numbers.append(int(text))
    n, r, p = numbers
    _check_scrypt_parameters(n, r, p)
    salt = _unb64(parts[4], "salt")
    key = _unb64(parts[5], "hash")
    if not 8 <= len(salt) <= 64:
        raise MalformedPasswordHash("the salt must be 8 to 64 bytes.")
    if not 16 <= len(key) <= 128:
        raise MalformedPasswordHash("the hash must be 16 to 128 bytes.")
    return PasswordHash(n, r, p, salt, key)


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches ``encoded``; parameters come from the string.

    Raises:
        MalformedPasswordHash: ``encoded`` is not a well-formed hash string.
    """
    stored = parse_password_hash(encoded)
    key = _scrypt(password, stored.salt, stored.n, stored.r, stored.p, len(stored.key))
    return hmac.compare_digest(key, stored.key)


def _check_scrypt_parameters(n: int, r: int, p: int) -> None:
    if n < 2 or n & (n - 1):
        raise MalformedPasswordHash(f"scrypt parameter N must be a power of two, not {n}.")
    if not 1 <= r <= 64 or not 1 <= p <= 64:
        raise MalformedPasswordHash("scrypt parameters r and p must be from 1 to 64.")
    if 128 * r * n > _MAX_MEMORY or n * r * p > _MAX_WORK:
        raise MalformedPasswordHash("scrypt parameters ask for more memory or work than allowed.")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    secret = unicodedata.normalize("NFKC", password).encode("utf-8")
    maxmem = 128 * r * (n + p + 2) + 1024 * 1024
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, dklen=length, maxmem=maxmem)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str, label: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise MalformedPasswordHash(f"the {label} is not valid base64.") from None


@cache
def _dummy_hash() -> str:
    """A hash no password matches, checked for unknown names so timing hides them."""
    return hash_password(secrets.token_urlsafe(32))


# --- Logging in ----------------------------------------------------------------------


class LoginThrottle:
    """Refuse a name for ``lockout_s`` after ``max_failures`` failures within ``window_s``.

    Kept in process memory (see the module docstring); thread-safe, because each
    Streamlit session runs on its own thread. At most ``max_names`` names are
    tracked; the oldest are forgotten first, so random names cannot exhaust memory.
    """

    def __init__(
        self,
        *,
        max_failures: int = 5,
        window_s: float = 300.0,
        lockout_s: float = 300.0,
        max_names: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.lockout_s = lockout_s
        self.max_names = max_names
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}

    def seconds_locked(self, name: str) -> float:
        """Seconds until ``name`` may try again; 0 when it is not locked."""
        with self._lock:
            remaining = self._locked_until.get(name, 0.0) - self._clock()
            if remaining <= 0:
                self._locked_until.pop(name, None)
                return 0.0
            return remaining

    def failed(self, name: str) -> None:
        """Count a failed login for ``name``; lock it when the limit is reached."""
        with self._lock:
            now = self._clock()
            recent = [at for at in self._failures.pop(name, []) if now - at < self.window_s]
            recent.append(now)
            if len(recent) >= self.max_failures:
                self._locked_until[name] = now + self.lockout_s
            else:
                self._failures[name] = recent  # re-inserted last: newest in dict order
            for table in (self._failures, self._locked_until):
                while len(table) > self.max_names:
                    del table[next(iter(table))]

    def succeeded(self, name: str) -> None:
        """Forget the failures of ``name`` after a successful login."""
        with self._lock:
            self._failures.pop(name, None)

    def reset(self) -> None:
        """Forget everything (tests; an admin restart does the same)."""
        with self._lock:
            self._failures.clear()
            self._locked_until.clear()


#: The throttle shared by every session of this process.
LOGIN_THROTTLE = LoginThrottle()


def login_name(typed: str) -> str:
    """The name as looked up and audited: stripped, lower case, or a placeholder.

    A name that cannot be a user (blank, or not matching :data:`USER_NAME`) is
    recorded as a placeholder, so a password typed into the name field by mistake
    does not end up in the audit log.
    """
    name = (typed or "").strip().lower()
    if not name:
        return "(blank)"
    return name if USER_NAME.fullmatch(name) else "(malformed name)"


def authenticate(
    users: Mapping[str, UserRecord],
    name: str,
    password: str,
    *,
    ledger: Ledger | None = None,
    origin: str,
    throttle: LoginThrottle = LOGIN_THROTTLE,
) -> Actor | None:
    """Check a login; return the :class:`Actor` or ``None`` (wrong, unknown or locked).

    Every attempt writes an audit row through ``ledger.audit`` when a ledger is
    given: action ``login`` (outcome ``ok``) or ``login_failed`` (``refused``),
    actor = the name tried (see :func:`login_name`), and never the password.
    """
    tried = login_name(name)
    if throttle.seconds_locked(tried):
        _audit_login(ledger, tried, ok=False, origin=origin, reason="locked out")
        return None
    record = users.get(tried)
    # Always run one scrypt verification so a wrong name costs what a wrong password does.
    matches = verify_password(password or "", record.password_hash if record else _dummy_hash())
    if record is None or not matches:
        throttle.failed(tried)
        reason = "unknown user" if record is None else "wrong password"
        _audit_login(ledger, tried, ok=False, origin=origin, reason=reason)
        return None
    throttle.succeeded(tried)
    _audit_login(ledger, tried, ok=True, origin=origin)
    return Actor(record.name, record.role, origin)


def _audit_login(
    ledger: Ledger | None, name: str, *, ok: bool, origin: str, reason: str | None = None
) -> None:
    if ledger is None:
        return
    ledger.audit(
        name,
        "login" if ok else "login_failed",
        outcome="ok" if ok else "refused",
        origin=origin,
        detail=None if reason is None else {"reason": reason},
    )
