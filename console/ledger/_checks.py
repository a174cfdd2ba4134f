"""Checking what callers pass to the write methods, with messages that name the field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from console.errors import ValidationError

E = TypeVar("E", bound=StrEnum)


def choice(value: object, allowed: tuple[str, ...], field: str) -> str:
    """Return ``value`` when it is one of ``allowed``, else raise ValidationError."""
    if value not in allowed:
        raise ValidationError(
            f"{field} must be one of {', '.join(allowed)}; got {value!r}.", field=field
        )
    return str(value)


def status_of(vocabulary: type[E], value: object) -> E:
    """``value`` as a member of ``vocabulary`` (BillStatus or SubscriptionStatus)."""
    try:
        return vocabulary(value if isinstance(value, str) else str(value))
    except ValueError:
        known = ", ".join(member.value for member in vocabulary)
        raise ValidationError(f"{value!r} is not one of {known}.", field="status") from None


def positive_int(value: object, field: str) -> int:
    """Return ``value`` when it is an int > 0 (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError(
            f"{field} must be a positive whole number; got {value!r}.", field=field
        )
    return value


def text_id(value: object, field: str, *, required: bool, max_length: int = 255) -> str | None:
    """Strip an identifier; refuse empty (when required), non-text or over-long values."""
    if value is None:
        if required:
            raise ValidationError(f"{field} is required.", field=field)
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} must be non-empty text.", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(f"{field} is longer than {max_length} characters.", field=field)
    return value


def email(value: str | None) -> str | None:
    """Lower-case and strip an e-mail address (the index serves exact matches only)."""
    if value is None or not value.strip():
        return None
    value = value.strip().lower()
    if "@" not in value or len(value) > 254:
        raise ValidationError(f"{value[:60]!r} is not an e-mail address.", field="customer_email")
    return value


def detail_text(detail: str | Mapping[str, Any] | None) -> str | None:
    """A detail as stored: text as given, a mapping as compact JSON."""
    if detail is None or isinstance(detail, str):
        return detail
    return json.dumps(dict(detail), ensure_ascii=False, sort_keys=True, default=str)
