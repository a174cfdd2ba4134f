"""The sandbox's error shapes, as the providers document them, and its start-up error.

Exceptions::

    SandboxError          base of the sandbox's own exceptions
    └── SandboxConfigError  raised when the sandbox cannot start as asked (host, speed)

Answers:

* bePaid / beGateway: HTTP 422 ``{"message": "...", "errors": {field: [msgs] | {...}}}``
  with non-field errors under ``base`` (:func:`unprocessable`); an unknown id is
  404 ``{"message": "Record not found", "errors": {}}`` (:func:`not_found`); a route the
  sandbox does not emulate is 404 ``{"message": "Not Found", "errors": {}}``.
* behind-api: ``{"success": false, "message": "..."}`` (:func:`behind_api_failure`).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


class SandboxError(Exception):
    """Base of the sandbox's exceptions; ``message`` is a sentence for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SandboxConfigError(SandboxError):
    """Raised when the sandbox is asked to start in a way it refuses (host, speed)."""


def unprocessable(message: str, errors: dict[str, Any] | None = None) -> JSONResponse:
    """bePaid/beGateway validation error: HTTP 422 ``{"message", "errors"}``."""
    return JSONResponse({"message": message, "errors": errors or {}}, status_code=422)


def not_found() -> JSONResponse:
    """bePaid's 404 body for an unknown id."""
    return JSONResponse({"message": "Record not found", "errors": {}}, status_code=404)


def behind_api_failure(message: str, status_code: int = 200, **extra: Any) -> JSONResponse:
    """behind-api's failure envelope ``{"success": false, ..., "message"}``."""
    return JSONResponse({"success": False, **extra, "message": message}, status_code=status_code)
