"""Validation of a beGateway alternative-payment request, the way the gateway answers.

``POST /beyag/transactions/payments`` takes ``{"request": {...}}`` (see
provider-docs/begateway-apm-payments.ru.txt). A request that cannot be accepted is
answered with HTTP 422 ``{"message", "errors"}``: ``errors`` maps each field to its
messages (``customer`` nests its own fields), and ``message`` joins the full
sentences, e.g. ``Currency is invalid``.

An unknown ``method.type`` is a different answer, copied from the doc's error
example: HTTP 422 ``{"message": "Unknown '<type>' payment method", "errors":
{"system": ["System error."]}}``. It is checked first, because the gateway routes a
request to its payment system by that type before it looks at anything else.

Sandbox decisions (not in the doc, written down here):

* ``expired_at`` must carry a time zone (the doc's format ends in TZD) and be in the
  future on the sandbox clock; a past moment is ``must be in the future``.
* ``amount`` is a positive JSON integer of at most 999 999 999 999 minor units.
* ``return_url`` / ``notification_url`` / ``verification_url`` must be http(s) URLs.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import JSONResponse

from provider_sandbox.core import parse_iso
from provider_sandbox.errors import unprocessable
from provider_sandbox.money import EXPONENTS

#: Method types this sandbox's "external payment systems" accept. ``:method_name``
#: is the doc's own placeholder, accepted so that its example request passes verbatim.
SUPPORTED_METHOD_TYPES = ("erip", "alipay", "qiwi", "webmoney", "yandex", "demo", ":method_name")

MAX_AMOUNT = 10**12 - 1
MAX_TRACKING_ID = 255
MAX_DESCRIPTION = 255

#: ``customer`` fields and their documented maximum lengths (None: no limit given).
CUSTOMER_FIELDS: dict[str, int | None] = {
    "first_name": 60,
    "last_name": 60,
    "middle_name": 60,
    "email": 255,
    "country": 2,
    "state": 40,
    "city": 120,
    "zip": 40,
    "address": 510,
    "phone": 200,
    "birth_date": None,
    "gender": None,
    "device_id": 255,
    "taxpayer_id": 255,
    "id_number": 255,
    "external_id": 255,
}

LANGUAGES = frozenset(
    {
        *("en", "es", "tr", "de", "it", "ru", "zh", "fr", "da", "sv", "no", "fi", "pl", "ja"),
        *("be", "uk", "ka", "ro", "lv", "lt", "et", "pt", "he", "ar", "cs", "hu", "kk"),
    }
)

_EXPIRED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_BIRTH_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_COUNTRY = re.compile(r"[A-Z]{2}")

BLANK = "can't be blank"
INVALID = "is invalid"


@dataclass
class PaymentRequest:
    """An accepted request: the body as sent, plus the values the sandbox acts on."""

    body: dict[str, Any]
    method_type: str
    expired_at: datetime | None


@dataclass
class _Errors:
    """Collects field errors and their full sentences in the order they were found."""

    by_field: dict[str, Any] = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)

    def add(self, name: str, message: str, *, section: str | None = None) -> None:
        target = self.by_field.setdefault(section, {}) if section else self.by_field
        target.setdefault(name, []).append(message)
        subject = f"{section} {name}" if section else name
        self.sentences.append(f"{subject.replace('_', ' ').capitalize()} {message}")

    def response(self) -> JSONResponse:
        return unprocessable(". ".join(self.sentences), self.by_field)


def unknown_method(method_type: str) -> JSONResponse:
    """The doc's answer for a payment method the gateway does not know."""
    return unprocessable(f"Unknown '{method_type}' payment method", {"system": ["System error."]})


def validate_payment_request(
    envelope: dict[str, Any], now: datetime
) -> PaymentRequest | JSONResponse:
    """Check ``{"request": {...}}``; return the accepted request or the 422 answer."""
    body = envelope.get("request")
    if not isinstance(body, dict):
        errors = _Errors()
        errors.add("request", BLANK)
        return errors.response()

    method = body.get("method")
    method_type = method.get("type") if isinstance(method, dict) else None
    if isinstance(method_type, str) and method_type and method_type not in SUPPORTED_METHOD_TYPES:
        return unknown_method(method_type)

    errors = _Errors()
    _check_amount(body.get("amount"), errors)
    _check_currency(body.get("currency"), errors)
    _check_text(body, "description", errors, required=True, limit=MAX_DESCRIPTION)
    _check_text(body, "tracking_id", errors, required=False, limit=MAX_TRACKING_ID)
    _check_boolean(body, "test", errors)
    _check_boolean(body, "iframe", errors)
    expired_at = _check_expired_at(body.get("expired_at"), now, errors)
    _check_ip(body.get("ip"), errors)
    _check_language(body.get("language"), errors)
    _check_url(body, "return_url", errors, required=True)
    _check_url(body, "notification_url", errors, required=False)
    _check_url(body, "verification_url", errors, required=False)
    _check_customer(body.get("customer"), errors)
    _check_method(method, errors)
    _check_additional_data(body.get("additional_data"), errors)
    if errors.sentences:
        return errors.response()
    assert isinstance(method_type, str)  # _check_method proved it
    return PaymentRequest(body=body, method_type=method_type, expired_at=expired_at)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_amount(value: Any, errors: _Errors) -> None:
    if value is None:
        errors.add("amount", BLANK)
    elif not _is_integer(value):
        errors.add("amount", "must be an integer")
    elif value <= 0:
        errors.add("amount", "must be greater than 0")
    elif value > MAX_AMOUNT:
        errors.add("amount", f"must be less than or equal to {MAX_AMOUNT}")


def _check_currency(value: Any, errors: _Errors) -> None:
    if value is None or value == "":
        errors.add("currency", BLANK)
    elif not isinstance(value, str) or value not in EXPONENTS:
        errors.add("currency", INVALID)


def _check_text(
    body: dict[str, Any],
    name: str,
    errors: _Errors,
    *,
    required: bool,
    limit: int | None,
    section: str | None = None,
) -> None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            errors.add(name, BLANK, section=section)
    elif not isinstance(value, str):
        errors.add(name, "must be a string", section=section)
    elif limit is not None and len(value) > limit:
        errors.add(name, f"is too long (maximum is {limit} characters)", section=section)


def _check_boolean(body: dict[str, Any], name: str, errors: _Errors) -> None:
    if name in body and body[name] is not None and not isinstance(body[name], bool):
        errors.add(name, "must be true or false")


def _check_expired_at(value: Any, now: datetime, errors: _Errors) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _EXPIRED_AT.fullmatch(value):
        errors.add("expired_at", INVALID)
        return None
    try:
        moment = parse_iso(value)
    except ValueError:
        errors.add("expired_at", INVALID)
        return None
    if moment <= now:
        errors.add("expired_at", "must be in the future")
        return None
    return moment


def _check_ip(value: Any, errors: _Errors) -> None:
    if value is None:
        return
    try:
        ipaddress.ip_address(value if isinstance(value, str) else "")
    except ValueError:
        errors.add("ip", INVALID)


def _check_language(value: Any, errors: _Errors) -> None:
    if value is not None and value not in LANGUAGES:
        errors.add("language", "is not included in the list")


def is_http_url(value: Any) -> bool:
    """True for an absolute http(s) URL with a host."""
    if not isinstance(value, str) or any(ch.isspace() for ch in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _check_url(body: dict[str, Any], name: str, errors: _Errors, *, required: bool) -> None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            errors.add(name, BLANK)
    elif not is_http_url(value):
        errors.add(name, INVALID)


def _check_customer(customer: Any, errors: _Errors) -> None:
    if customer is None:
        return
    if not isinstance(customer, dict):
        errors.add("customer", "must be an object")
        return
    for name, limit in CUSTOMER_FIELDS.items():
        _check_text(customer, name, errors, required=False, limit=limit, section="customer")
    checks = (
        ("email", _EMAIL),
        ("country", _COUNTRY),
        ("birth_date", _BIRTH_DATE),
    )
    for name, pattern in checks:
        value = customer.get(name)
        too_long = len(value) > (CUSTOMER_FIELDS[name] or 10**6) if isinstance(value, str) else 0
        if isinstance(value, str) and value and not too_long and not pattern.fullmatch(value):
            errors.add(name, INVALID, section="customer")
    gender = customer.get("gender")
    if isinstance(gender, str) and gender and gender not in ("male", "female"):
        errors.add("gender", "is not included in the list", section="customer")


def _check_method(method: Any, errors: _Errors) -> None:
    if not isinstance(method, dict):
        errors.add("method", BLANK)
        return
    _check_text(method, "type", errors, required=True, limit=None, section="method")
    _check_text(method, "token", errors, required=False, limit=255, section="method")


def _check_additional_data(section: Any, errors: _Errors) -> None:
    if section is None:
        return
    if not isinstance(section, dict):
        errors.add("additional_data", "must be an object")
        return
    for name in ("contract", "receipt_text"):
        value = section.get(name)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            errors.add(name, "must be an array of strings", section="additional_data")
