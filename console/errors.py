"""The console's one error hierarchy, drawn whole (``tests/unit/test_error_tree.py`` keeps
this drawing equal to the classes): every error the console raises on purpose, with
the module that defines it and when it is raised.

    ConsoleError                          base: every error the console raises on purpose
     ├── ValidationError                  input from a person or a caller is not acceptable
     │    ├── InvalidAmount               an amount cannot be parsed or is out of range
     │    ├── UnknownCurrency             a currency code is not a payable ISO 4217 currency
     │    ├── DuplicateTrackingId         (ledger) a bill or subscription has this tracking id
     │    └── InvalidInput                (validation) fields of a form, one message each
     │         └── ProviderRejectedInput  (billing) the provider refused fields; kept as failed
     ├── ConfigError                      a setting is missing or malformed
     │    └── MalformedPasswordHash       (auth) a stored password hash is not scrypt$...
     ├── LedgerError                      the ledger cannot be opened, migrated or written
     │    ├── SchemaTooNew                the ledger file was written by a newer console
     │    ├── UnknownRecord               (ledger) no bill or subscription has that id
     │    └── ConflictingPayment          (ledger) a transaction id was reported twice, differently
     ├── PermissionDenied                 (auth) the person's role may not do this; audited
     │    └── SessionEnded                (sessions) logged out, idle, or changed by an admin
     ├── BillingError                     (billing) an action could not be carried out
     │    ├── ProviderFailed              the provider could not do it (unavailable, 429, ...)
     │    ├── UnknownObject               no ledger object has that reference
     │    ├── NotCancelable               the subscription cannot be canceled now
     │    ├── NotRefundable               the payment cannot be refunded here (Payture, demo)
     │    ├── NotReplayable               a stored notification keeps no payload to re-run
     │    └── NotFoundAtProvider          import: no provider knows the pasted id
     └── ProviderError                    (providers) a provider call failed
          ├── ProviderValidationError     the provider refused the request's content (422, 400)
          ├── AuthenticationFailed        the provider refused our credentials (401, 403)
          ├── NotFound                    the object asked for does not exist (404)
          ├── RateLimited                 the provider asked us to slow down (429)
          ├── ProviderUnavailable         the provider could not be reached or failed (5xx)
          ├── OutcomeUnknown              a create was sent and may or may not have happened
          ├── UnexpectedResponse          the provider answered with a body we cannot read
          ├── ProviderRejected            any other refusal (an unmapped 4xx, ...)
          └── SandboxOnlyOperation        the call exists only in the built-in sandbox

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
    """Raised when a setting is missing or malformed (at start); the message names it."""

    title = "Configuration problem"


class LedgerError(ConsoleError):
    """Raised when the ledger cannot be opened, migrated or written."""

    title = "Ledger problem"


class SchemaTooNew(LedgerError):
    """Raised when the ledger file has a schema version newer than this console knows."""

    title = "Ledger is newer than this console"
