"""Errors only the ledger raises, placed under the console's one hierarchy (drawn in
:mod:`console.errors`)."""

from __future__ import annotations

from console.errors import LedgerError, ValidationError


class DuplicateTrackingId(ValidationError):
    """Raised when a bill or subscription with the same (provider, tracking_id) exists.

    ``existing_ref`` is the console reference of the row that holds it (``B12``).
    """

    title = "Tracking id already used"

    def __init__(self, message: str, *, existing_ref: str | None) -> None:
        super().__init__(message, field="tracking_id")
        self.existing_ref = existing_ref


class UnknownRecord(LedgerError):
    """Raised when a write names a bill or subscription id the ledger does not hold."""

    title = "Not found"


class ConflictingPayment(LedgerError):
    """Raised when a provider transaction id is reported again with a different amount,
    currency or object than the one recorded: the two reports cannot both be true."""

    title = "Conflicting payment report"
