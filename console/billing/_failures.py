"""What a provider's refusal means for the person: its detail for the ledger, and its
messages mapped back onto the form's fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from console.providers import ProviderError
from console.validation import FORM

FieldMap = Mapping[str, str]


def error_detail(error: ProviderError) -> dict[str, Any]:
    """What the ledger keeps about a provider failure (never credentials or bodies)."""
    detail: dict[str, Any] = {
        "error": type(error).__name__,
        "message": error.user_message,
        "http_status": error.http_status,
    }
    if error.field_errors:
        detail["field_errors"] = list(error.field_errors)
    if error.request_id:
        detail["request_id"] = error.request_id
    return detail


def provider_field_errors(
    error: ProviderError, fields: FieldMap, hints: FieldMap
) -> dict[str, str]:
    """The provider's errors as ``{form field: message}``.

    ``fields`` maps the provider's field paths (``plan.amount``, or a last segment
    such as ``amount``) to form fields; the longest matching suffix wins. ``hints``
    maps words of a bare provider message (behind-api has no field errors) to form
    fields. Anything unmatched is reported under ``form``.
    """
    found: dict[str, list[str]] = {}

    def put(field: str, message: str) -> None:
        message = message.strip()
        if not message:
            return
        first_word = message.split()[0]
        if not any(ch.isupper() for ch in first_word[1:]):  # leave "bePaid ..." alone
            message = message[0].upper() + message[1:]
        found.setdefault(field, []).append(message)

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, path if key == "base" else (*path, str(key)))
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item, path)
        elif node is not None:
            message = str(node)
            if message.strip().rstrip(".").lower() == "system error" and error.provider_message:
                message = error.provider_message
            field = _field_for(path, fields)
            shown = message if field != FORM or not path else f"{'.'.join(path)}: {message}"
            put(field, shown)

    walk(error.errors, ())
    if not found:
        message = error.provider_message or error.user_message
        lowered = message.lower()
        field = next((f for word, f in hints.items() if word in lowered), FORM)
        put(field, message)
    return {field: " ".join(_sentence(m) for m in messages) for field, messages in found.items()}


def _field_for(path: tuple[str, ...], fields: FieldMap) -> str:
    for start in range(len(path)):
        key = ".".join(path[start:])
        if key in fields:
            return fields[key]
    return FORM


def _sentence(message: str) -> str:
    return message if message.endswith((".", "!", "?")) else message + "."
