"""Who may do what: roles, the acting user, and the one permission check.

Roles, from most to least power:

* **admin** — everything, including settings;
* **operator** — create bills, plans and subscriptions, cancel subscriptions;
* **support** — look up, monitor, refresh, import objects from a provider;
* **viewer** — read only.

``console.billing`` calls :func:`require` before every action, so a role's limits
hold whatever the pages show. Password hashing, users in ``.streamlit/secrets.toml``
and the login gate are built on top of this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from console.errors import ConsoleError


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
    REFRESH = "refresh"
    IMPORT = "import"
    SETTINGS = "settings"


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.OPERATOR: frozenset(
        {Action.VIEW, Action.CREATE, Action.CANCEL, Action.REFRESH, Action.IMPORT}
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


#: The actor used in local mode (no users configured) and by trusted processes.
LOCAL_ADMIN = Actor("local", Role.ADMIN, "local")
SYNC_ACTOR = Actor("sync", Role.SUPPORT, "sync")


def can(actor: Actor, action: Action) -> bool:
    return action in PERMISSIONS[actor.role]


def require(actor: Actor, action: Action) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may perform ``action``."""
    if not can(actor, action):
        raise PermissionDenied(
            f"{actor.name} ({actor.role}) may not {action.value}; ask an admin for a role "
            "that allows it."
        )
