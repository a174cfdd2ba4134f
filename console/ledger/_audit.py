"""The audit log: who did what to which object, from where, and how it went.

Details are passed through :func:`redact` before they are stored, so a caller
that hands over a request body by mistake does not write the shop secret or a
card number into the log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from console.ledger._base import LedgerBase, row_id
from console.ledger._checks import choice, detail_text, text_id
from console.ledger._records import OUTCOMES
from console.ledger._times import ms_or_now


class AuditWrites(LedgerBase):
    """Write method for the audit log."""

    def audit(
        self,
        actor: str,
        action: str,
        object_type: str | None = None,
        object_id: int | str | None = None,
        outcome: str = "ok",
        origin: str | None = None,
        detail: str | Mapping[str, Any] | None = None,
        *,
        at: datetime | None = None,
    ) -> int:
        """Append an audit entry and return its id.

        ``outcome`` is ``ok``, ``refused`` (a permission or validation said no)
        or ``failed`` (it was tried and went wrong). ``origin`` says where the
        action came from, for example ``page:bills``, ``cli`` or ``webhook``.
        """
        row = (
            ms_or_now(at),
            text_id(actor, "actor", required=True),
            text_id(action, "action", required=True),
            object_type,
            None if object_id is None else str(object_id),
            choice(outcome, OUTCOMES, "outcome"),
            origin,
            detail_text(redact(detail)),
        )
        with self.write() as conn:
            return row_id(
                conn.execute(
                    "INSERT INTO audit_log (at, actor, action, object_type, object_id, outcome,"
                    " origin, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
            )


_SECRET_KEY = re.compile(
    r"secret|passw|access_token|authoriz|api_?key|private|cvc|cvv|card_?number|^pan$", re.IGNORECASE
)
_CARD_NUMBER = re.compile(r"(?<!\d)(\d[ -]?){12,18}(\d)(?!\d)")


def redact(detail: Any) -> Any:
    """Remove secrets from an audit detail: values under secret-looking keys, and card numbers.

    Keys such as ``secret_key``, ``password``, ``access_token`` and
    ``Authorization`` keep their name but lose their value; Luhn-valid runs of
    13-19 digits (card numbers) keep only their last four digits.
    """
    if isinstance(detail, Mapping):
        return {
            key: "[redacted]" if _SECRET_KEY.search(str(key)) else redact(value)
            for key, value in detail.items()
        }
    if isinstance(detail, list | tuple):
        return [redact(item) for item in detail]
    if isinstance(detail, str):
        return _CARD_NUMBER.sub(_mask_card_number, detail)
    return detail


def _mask_card_number(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    # Only Luhn-valid runs are card numbers; an epoch timestamp mostly is not.
    return "****" + digits[-4:] if _luhn_valid(digits) else match.group(0)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0
