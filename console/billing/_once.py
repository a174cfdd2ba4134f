"""One submit, one object: idempotency keys for every create and cancel.

A page makes a key when it shows a form (:func:`new_idempotency_key`) and passes it
with every submit of that form. Billing checks the inputs first (a refused form
writes nothing and keeps its key), then claims the key in the **same transaction**
that records the attempt — the ``creating`` row, its audit row, the key — so:

* a double-click, Enter pressed three times, a rerun, or the same submit from another
  process finds the key and gets the first submit's object back: nothing is recorded
  or sent again;
* the same key with *other* values (the form was edited after it was submitted) is
  refused with a message: the person starts a new form (*Create another*) instead of
  silently getting the old object or a second one.

The key is a ledger column with a unique index, not a session flag, so it holds
across reruns, tabs and processes.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from console.validation import FORM, InvalidInput

_KEY = re.compile(r"[A-Za-z0-9_-]{16,128}")


def new_idempotency_key() -> str:
    """A fresh key for a form being shown (128 random bits)."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Once:
    """An idempotency key with the action and the checked values it stands for."""

    key: str
    action: str
    fingerprint: str

    @classmethod
    def of(cls, key: str | None, action: str, values: Mapping[str, Any]) -> Once | None:
        """``None`` without a key; raises InvalidInput for a malformed one."""
        if key is None:
            return None
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise InvalidInput({FORM: "This form's submit key is malformed; reload the page."})
        canonical = json.dumps({"action": action, **values}, sort_keys=True, default=str)
        return cls(key, action, hashlib.sha256(canonical.encode("utf-8")).hexdigest())

    def check_same(self, action: str, fingerprint: str, ref: str | None) -> None:
        """Raise InvalidInput when the key was used for another action or other values."""
        if action != self.action or fingerprint != self.fingerprint:
            what = f" ({ref})" if ref else ""
            raise InvalidInput(
                {
                    FORM: f"This form was already submitted{what} with other values; nothing "
                    "was sent again. Start a new form (Create another) to make another one."
                }
            )
