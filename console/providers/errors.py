"""Errors raised by the provider clients, and the one place a failure becomes a class.

The classes are ``ProviderError`` and its subclasses; :mod:`console.errors` draws the
whole tree, with when each is raised.

Every error carries what support needs and nothing secret: ``provider`` ("bePaid",
"Payture"), ``operation`` ("create checkout"), ``http_status``, the provider's own
``provider_message``, its ``errors`` structure and the flattened ``field_errors``
lines (``plan.amount: must be greater than 0``), the ``request_id`` header when the
provider sends one, how many ``attempts`` were made, and a ``user_message``: one
sentence the UI shows under :attr:`title`. ``str(error)`` is the developer message.
Credentials are never part of any of these.

:func:`error_for_status` is the only function that turns an HTTP status into a
class. behind-api failures (``{"success": false, "message"}``, usually with HTTP 200)
are first given the HTTP status their message stands for by
:func:`behind_api_status` and then go through the same function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from console.errors import ConsoleError


class ProviderError(ConsoleError):
    """Raised when a provider call fails; ``isinstance`` on it catches every case below."""

    title = "The payment provider could not complete the request"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        operation: str,
        http_status: int | None = None,
        provider_message: str | None = None,
        errors: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        attempts: int = 1,
        user_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.operation = operation
        self.http_status = http_status
        self.provider_message = provider_message
        self.errors: dict[str, Any] = dict(errors or {})
        self.field_errors: tuple[str, ...] = flatten_errors(self.errors)
        self.request_id = request_id
        self.attempts = attempts
        self.user_message = user_message or self._default_user_message()

    def _default_user_message(self) -> str:
        detail = f": {self.provider_message}" if self.provider_message else "."
        return f"{self.provider} could not {self.operation}{detail}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, provider={self.provider!r}, "
            f"operation={self.operation!r}, http_status={self.http_status!r}, "
            f"request_id={self.request_id!r})"
        )


class ProviderValidationError(ProviderError):
    """Raised when the provider refuses the content of a request (HTTP 422 or 400)."""

    title = "The payment provider did not accept the details"

    def _default_user_message(self) -> str:
        lines = self.field_errors or ((self.provider_message,) if self.provider_message else ())
        shown = "; ".join(lines) if lines else "the request was not valid"
        return f"{self.provider} did not accept the details: {shown}."


class AuthenticationFailed(ProviderError):
    """Raised when the provider refuses our credentials (HTTP 401 or 403)."""

    title = "The payment provider refused our credentials"

    def _default_user_message(self) -> str:
        what = "access token" if self.provider == "Payture" else "shop id and secret key"
        return f"{self.provider} refused the {what}; check them in the settings."


class NotFound(ProviderError):
    """Raised when the object asked for does not exist at the provider (HTTP 404)."""

    title = "Not found at the payment provider"

    def _default_user_message(self) -> str:
        return f"{self.provider} has no record of that ({self.operation})."


class RateLimited(ProviderError):
    """Raised when the provider keeps answering 429; ``retry_after`` is its wait in seconds."""

    title = "The payment provider asked us to slow down"

    def __init__(self, message: str, *, retry_after: float | None = None, **details: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **details)

    def _default_user_message(self) -> str:
        when = f"in {self.retry_after:.0f} seconds" if self.retry_after else "in a minute"
        return f"{self.provider} is limiting requests; try again {when}."


class ProviderUnavailable(ProviderError):
    """Raised when the provider answers 5xx or cannot be reached, after bounded retries."""

    title = "The payment provider is not answering"

    def _default_user_message(self) -> str:
        return f"{self.provider} is not answering right now; nothing was changed. Try again soon."


class OutcomeUnknown(ProviderError):
    """Raised when a create was sent but no answer came back: it may have been carried out.

    The request is never re-sent blindly. ``tracking_id`` (when the request had one)
    lets billing look the object up (``find_transactions`` / ``find_payments``)
    before deciding to create it again.
    """

    title = "Not sure whether the payment provider did it"

    def __init__(self, message: str, *, tracking_id: str | None = None, **details: Any) -> None:
        self.tracking_id = tracking_id
        super().__init__(message, **details)

    def _default_user_message(self) -> str:
        return (
            f"The connection to {self.provider} broke after the request was sent, so it may "
            f"or may not have been done ({self.operation}); check before trying again."
        )


class UnexpectedResponse(ProviderError):
    """Raised when the provider answers with a body this client cannot read."""

    title = "The payment provider answered in an unexpected way"


class ProviderRejected(ProviderError):
    """Raised when a refusal has no class of its own (unmapped 4xx, unknown behind-api failure)."""


class SandboxOnlyOperation(ProviderError):
    """Raised when a call that only the built-in sandbox offers is made against a live host."""

    title = "Available in the sandbox only"

    def _default_user_message(self) -> str:
        return f"{self.operation.capitalize()} is offered only by the built-in sandbox."


def error_for_status(http_status: int) -> type[ProviderError]:
    """The error class for an HTTP status that is not a success. The only such mapping."""
    if http_status in (400, 422):
        return ProviderValidationError
    if http_status in (401, 403):
        return AuthenticationFailed
    if http_status == 404:
        return NotFound
    if http_status == 429:
        return RateLimited
    if http_status >= 500:
        return ProviderUnavailable
    return ProviderRejected


# behind-api message fragments -> the HTTP status the message stands for. Checked in
# order; matching is case-insensitive. A message that matches none is a refusal (400
# would claim it is about the input, which we cannot know), so it maps to 409.
_BEHIND_API_MESSAGES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("access token", "access_token", "unauthori", "forbidden", "not authori"), 401),
    (("not found", "does not exist", "doesn't exist", "no such", "unknown bill"), 404),
    (("too many",), 429),
    (("can not be empty", "cannot be empty", "is required", "invalid", "must be", "wrong"), 422),
    (("can't finish request", "try again", "temporar", "unavailable"), 503),
)


def behind_api_status(message: str | None) -> int:
    """The HTTP status a behind-api ``{"success": false, "message"}`` answer stands for.

    ``bill_id can not be empty`` -> 422 (validation), ``... not found`` -> 404,
    access-token messages -> 401, ``Can't finish request`` (behind-api could not reach
    Payture; nothing was created) -> 503, anything else -> 409 (:class:`ProviderRejected`).
    """
    text = (message or "").lower()
    for fragments, status in _BEHIND_API_MESSAGES:
        if any(fragment in text for fragment in fragments):
            return status
    return 409


def flatten_errors(errors: Mapping[str, Any] | Sequence[Any] | str | None) -> tuple[str, ...]:
    """Readable lines from a bePaid ``errors`` object, non-field (``base``) lines first.

    ``{"plan": {"amount": ["must be greater than 0"]}, "base": ["Currency is invalid"]}``
    becomes ``("Currency is invalid", "plan.amount: must be greater than 0")``; a nested
    ``base`` is reported against its parent (``plan: plan with this ID doesn't exist``).
    """
    base: list[str] = []
    fields: list[str] = []
    _walk(errors, "", base, fields)
    return tuple(base + fields)


def _walk(node: Any, path: str, base: list[str], fields: list[str]) -> None:
    if node is None:
        return
    if isinstance(node, Mapping):
        for key, value in node.items():
            key = str(key)
            if key == "base":
                _walk(value, path, base, fields)
            else:
                _walk(value, f"{path}.{key}" if path else key, base, fields)
        return
    if isinstance(node, (list, tuple)):
        for index, item in enumerate(node):
            nested = isinstance(item, (Mapping, list, tuple))
            _walk(item, f"{path}[{index}]" if nested else path, base, fields)
        return
    text = str(node).strip()
    if not text:
        return
    (fields if path else base).append(f"{path}: {text}" if path else text)
