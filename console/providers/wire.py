"""Reading provider JSON into typed values, and wire-level checks of what we send.

Readers raise :class:`MalformedAnswer` when a required value is missing or of the
wrong type; the sender turns that into ``UnexpectedResponse`` (a read) or
``OutcomeUnknown`` (a create: the provider said yes, we cannot tell to what).

Input checks stop requests that would be nonsense on the wire — a float or
non-positive amount, an unknown currency, a tracking id over 255 characters, an
empty id in a URL path. Business rules for forms (maximum amounts, required
descriptions) are billing's job; the provider's own 422 covers the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from console.errors import InvalidAmount, ValidationError
from console.money import normalize_currency
from console.status import Status, UnknownNativeStatus, from_native

MAX_TRACKING_ID = 255

log = logging.getLogger("console.providers")


class MalformedAnswer(ValueError):
    """A 2xx answer lacks a value this client needs, or has it in the wrong type."""


# -- reading ---------------------------------------------------------------------


def obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedAnswer(f"{what} is not a JSON object")
    return value


def inner(data: Mapping[str, Any] | None, key: str) -> dict[str, Any]:
    """``data[key]`` when it is an object, else ``{}`` (an optional nested section)."""
    value = data.get(key) if data is not None else None
    return value if isinstance(value, dict) else {}


def section(body: Any, key: str) -> dict[str, Any]:
    """``body[key]`` as an object: ``{"checkout": {...}}`` -> the inner object."""
    return obj(obj(body, "the answer").get(key), f"the answer's {key!r}")


def text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise MalformedAnswer(f"{key!r} is missing or not text")
    return str(value)


def opt_text(data: Mapping[str, Any] | None, key: str) -> str | None:
    value = (data or {}).get(key)
    if value is None or value == "" or isinstance(value, (dict, list)):
        return None
    return str(value)


def opt_int(data: Mapping[str, Any] | None, key: str) -> int | None:
    value = (data or {}).get(key)
    if value is None:
        return None
    return whole(value, key)


def whole(value: Any, what: str) -> int:
    """An integer from JSON: an int or a string of digits (bePaid echoes both), never a float."""
    if isinstance(value, bool):
        raise MalformedAnswer(f"{what!r} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise MalformedAnswer(f"{what!r} is not a whole number")


def flag(data: Mapping[str, Any] | None, key: str) -> bool:
    return (data or {}).get(key) is True


def timestamp(value: Any) -> datetime | None:
    """An aware datetime from an ISO 8601 value; naive values are UTC; junk is ``None``.

    Unreadable timestamps are not fatal: a status answer is still worth having
    (the provider's text stays in ``raw``).
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def status_of(api: str, native: str | None) -> Status | None:
    """The console status for a native one, or ``None`` when it has no mapping."""
    if native is None:
        return None
    try:
        return from_native(api, native)
    except UnknownNativeStatus:
        log.warning("%s status %r has no console mapping; kept as native only", api, native)
        return None


def opt_currency(data: Mapping[str, Any] | None, key: str = "currency") -> str | None:
    return currency_of(data, key) if data and data.get(key) else None


def currency_of(data: Mapping[str, Any], key: str = "currency") -> str:
    value = text(data, key)
    try:
        return normalize_currency(value)
    except ValidationError:
        raise MalformedAnswer(f"{key!r} {value!r} is not an ISO 4217 currency") from None


# -- checking what we send --------------------------------------------------------


def check_amount(amount: Any, name: str = "amount") -> int:
    """A positive ``int`` of minor units, or InvalidAmount."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount(
            f"{name} must be an int of minor units (1234 for 12.34), not {type(amount).__name__}.",
            field=name,
        )
    if amount <= 0:
        raise InvalidAmount(f"{name} must be more than zero minor units.", field=name)
    return amount


def check_count(value: Any, name: str, *, required: bool = True) -> int | None:
    """A positive whole number (an interval, a number of attempts), or ValidationError."""
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError(f"{name} must be a positive whole number.", field=name)
    return value


def check_currency(code: Any) -> str:
    return normalize_currency(code)


def check_tracking_id(tracking_id: Any) -> str | None:
    if tracking_id is None:
        return None
    if not isinstance(tracking_id, str) or not tracking_id.strip():
        raise ValidationError("tracking_id must be non-empty text.", field="tracking_id")
    if len(tracking_id) > MAX_TRACKING_ID:
        raise ValidationError(
            f"tracking_id is {len(tracking_id)} characters; the providers accept at most "
            f"{MAX_TRACKING_ID}.",
            field="tracking_id",
        )
    return tracking_id


def check_text(value: Any, name: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be non-empty text.", field=name)
    return value


def path_segment(value: Any, name: str) -> str:
    """An id made safe to put in a URL path (``/`` and ``?`` escaped); never empty."""
    check_text(value, name)
    return quote(value.strip(), safe="")


def iso(moment: datetime | None) -> str | None:
    """A request timestamp (``2026-01-01T15:00:00+01:00``); naive datetimes are refused."""
    if moment is None:
        return None
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValidationError(
            "Timestamps sent to a provider must be timezone-aware datetimes.", field="expired_at"
        )
    return moment.isoformat(timespec="seconds")


def compact(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without ``None`` values (and without sections left empty by that)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            value = compact(value)
            if not value:
                continue
        if value is not None:
            out[key] = value
    return out
