"""bePaid request validation: nested field errors and the 422 body they become.

bePaid answers an invalid request with HTTP 422 ``{"message": "...", "errors": {...}}``
where ``errors`` mirrors the request's shape (``{"plan": {"plan": {"amount": [...]}}}``
for an inline plan's amount) and non-field errors sit under ``base``. ``message`` is
the errors' full sentences joined by ``". "`` ("Amount must be greater than 0").

Value rules shared by every bePaid route:

* amounts and counts are positive whole numbers. A JSON integer is accepted; so is a
  string of ASCII digits ("90"), because bePaid's own subscription example sends
  ``"amount": "90"`` and every documented example must be accepted. Floats, other
  strings, booleans, zero and negatives are rejected.
* a currency is a payable ISO 4217 code (``provider_sandbox.money.EXPONENTS``, case-insensitive);
  anything else is ``Currency is invalid`` under ``base``, as the doc's LVL example shows.
* strings that the doc limits (tracking_id, description) are at most 255 characters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.responses import JSONResponse

from provider_sandbox.core import parse_iso
from provider_sandbox.errors import unprocessable
from provider_sandbox.money import EXPONENTS

Path = tuple[str, ...]

BLANK = "can't be blank"
NOT_INTEGER = "must be an integer"
NOT_POSITIVE = "must be greater than 0"
NOT_OBJECT = "must be an object"
NOT_STRING = "must be a string"
NOT_BOOLEAN = "must be true or false"
NOT_IN_LIST = "is not included in the list"
INVALID = "is invalid"
CURRENCY_INVALID = "Currency is invalid"
MAX_TEXT = 255


def too_long(limit: int) -> str:
    return f"is too long (maximum is {limit} characters)"


class Errors:
    """Field errors collected at nested paths, rendered as bePaid's 422 body."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}
        self.sentences: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.sentences)

    def add(self, path: Path, message: str) -> None:
        """Record ``message`` for the field at ``path`` (``("base",)`` for the request)."""
        node = self.tree
        for key in path[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):  # a parent already failed as a whole
                return
            node = child
        messages = node.setdefault(path[-1], [])
        if isinstance(messages, list):
            messages.append(message)
        self.sentences.append(message if path[-1] == "base" else f"{_label(path)} {message}")

    def response(self) -> JSONResponse:
        return unprocessable(". ".join(self.sentences), self.tree)


def _label(path: Path) -> str:
    return path[-1].replace("_", " ").capitalize()


def failure(path: Path, message: str) -> JSONResponse:
    """A 422 response carrying one error."""
    errors = Errors()
    errors.add(path, message)
    return errors.response()


def object_at(errors: Errors, path: Path, value: Any, *, required: bool) -> dict[str, Any] | None:
    """The JSON object at ``path``, or ``None`` (recording why when it is wrong)."""
    if value is None:
        if required:
            errors.add(path, BLANK)
        return None
    if not isinstance(value, dict):
        errors.add(path, NOT_OBJECT)
        return None
    return value


def positive_int(errors: Errors, path: Path, value: Any, *, required: bool = True) -> int | None:
    """A whole number above zero; digit strings are coerced (see module docstring)."""
    if value is None or value == "":
        if required:
            errors.add(path, BLANK)
        return None
    if isinstance(value, bool):
        errors.add(path, NOT_INTEGER)
        return None
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            errors.add(path, NOT_INTEGER)
            return None
        value = int(value)
    if not isinstance(value, int):
        errors.add(path, NOT_INTEGER)
        return None
    if value <= 0:
        errors.add(path, NOT_POSITIVE)
        return None
    return value


def text(
    errors: Errors, path: Path, value: Any, *, required: bool = False, limit: int = MAX_TEXT
) -> str | None:
    """A string of at most ``limit`` characters; blank counts as missing."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(path, BLANK)
        return None
    if not isinstance(value, str):
        errors.add(path, NOT_STRING)
        return None
    if len(value) > limit:
        errors.add(path, too_long(limit))
        return None
    return value


def url(errors: Errors, path: Path, value: Any) -> str | None:
    """An optional absolute http(s) URL."""
    found = text(errors, path, value, limit=2048)
    if found is not None and not found.startswith(("http://", "https://")):
        errors.add(path, INVALID)
        return None
    return found


def boolean(errors: Errors, path: Path, value: Any, *, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        errors.add(path, NOT_BOOLEAN)
        return default
    return value


def choice(errors: Errors, path: Path, value: Any, allowed: tuple[str, ...]) -> str | None:
    """One of ``allowed`` (required)."""
    if value is None or value == "":
        errors.add(path, BLANK)
        return None
    if not isinstance(value, str) or value not in allowed:
        errors.add(path, NOT_IN_LIST)
        return None
    return value


def currency(errors: Errors, value: Any) -> str | None:
    """A payable ISO 4217 code, upper-cased; otherwise ``Currency is invalid`` (base)."""
    if isinstance(value, str) and value.strip().upper() in EXPONENTS:
        return value.strip().upper()
    errors.add(("base",), CURRENCY_INVALID)
    return None


def future_moment(errors: Errors, path: Path, value: Any, now: datetime) -> datetime | None:
    """An optional ISO 8601 timestamp after ``now``."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors.add(path, INVALID)
        return None
    try:
        moment = parse_iso(value)
    except ValueError:
        errors.add(path, INVALID)
        return None
    if moment <= now:
        errors.add(path, "must be in the future")
        return None
    return moment
