"""The console's one error hierarchy.

    ConsoleError                 base: every error the console raises on purpose
     ├── ValidationError         input from a person or a caller is not acceptable
     │    ├── InvalidAmount      an amount cannot be parsed or is out of range
     │    └── UnknownCurrency    a currency code is not a payable ISO 4217 currency
     ├── ConfigError             a setting is missing or malformed
     └── LedgerError             the ledger cannot be opened, migrated or written
          └── SchemaTooNew       the ledger file was written by a newer console

Every error carries a short ``title`` and a one-sentence ``message`` for the UI, which
shows those two and never a traceback.
"""

from __future__ import annotations


class ConsoleError(Exception):
    """Base class: raised on purpose by the console, safe to show to a person."""

    title = "Something went wrong"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(ConsoleError):
    """Raised when input is not acceptable; ``field`` names the input when known."""

    title = "Please check the input"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidAmount(ValidationError):
    """Raised when an amount cannot be parsed or is out of the allowed range."""

    title = "Invalid amount"


class UnknownCurrency(ValidationError):
    """Raised when a currency code is not a payable ISO 4217 currency."""

    title = "Unknown currency"


class ConfigError(ConsoleError):
    """Raised at start when a setting is missing or malformed; the message names it."""

    title = "Configuration problem"


class LedgerError(ConsoleError):
    """Raised when the ledger cannot be opened, migrated or written."""

    title = "Ledger problem"


class SchemaTooNew(LedgerError):
    """Raised when the ledger file has a schema version newer than this console knows."""

    title = "Ledger is newer than this console"
