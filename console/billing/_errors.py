"""Errors billing raises, under the console's one hierarchy (drawn in :mod:`console.errors`).

Every error has a ``title`` and a one-sentence ``message`` for the UI; ``ref`` is the
ledger object the attempt was recorded as (``B12``), when there is one.
"""

from __future__ import annotations

from collections.abc import Mapping

from console.errors import ConsoleError
from console.providers import ProviderError
from console.validation import InvalidInput


class ProviderRejectedInput(InvalidInput):
    """Raised when the provider refused the request's content (HTTP 422/400).

    ``errors`` maps form fields to the provider's messages (``form`` for the rest);
    the attempt stays in the ledger as ``failed`` under ``ref``.
    """

    title = "The payment provider did not accept the details"

    def __init__(
        self, errors: Mapping[str, str], *, ref: str | None, provider_error: ProviderError
    ) -> None:
        super().__init__(errors)
        self.ref = ref
        self.provider_error = provider_error


class BillingError(ConsoleError):
    """Raised when a billing action cannot be carried out; ``ref`` names the ledger object."""

    title = "The action could not be completed"

    def __init__(self, message: str, *, ref: str | None = None) -> None:
        super().__init__(message)
        self.ref = ref


class ProviderFailed(BillingError):
    """Raised when the provider could not do it: unavailable, rate limited, credentials refused.

    ``retry_after`` (seconds) is set when the provider said when to try again.
    """

    def __init__(self, message: str, *, ref: str | None, provider_error: ProviderError) -> None:
        super().__init__(message, ref=ref)
        self.provider_error = provider_error
        self.title = provider_error.title
        self.retry_after: float | None = getattr(provider_error, "retry_after", None)


class UnknownObject(BillingError):
    """Raised when no bill or subscription in the ledger has the given reference."""

    title = "Not in the ledger"


class NotCancelable(BillingError):
    """Raised when a subscription cannot be canceled (never created, or already ended)."""

    title = "Cannot cancel"


class NotFoundAtProvider(BillingError):
    """Raised when an import finds the pasted id at no provider."""

    title = "Not found at any provider"


class NotReplayable(BillingError):
    """Raised when a stored notification keeps no payload to re-run (a rejected request,
    a body that was not a JSON object or too large, a row from before payloads were kept)."""

    title = "This notification cannot be replayed"


class NotRefundable(BillingError):
    """Raised when a payment cannot be refunded through the console (a Payture bill, demo
    data, a refund itself); the message says where to turn instead."""

    title = "This payment cannot be refunded here"
