"""From a provider's report of one try to pay to the ledger's row for it.

One function, shared by the two ways such a report arrives: a poll
(:mod:`console.billing`) and a notification (:mod:`console.notices`). It lives
outside both because billing's notification replay imports the notice path, which
would otherwise import billing back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from console.ledger import Attempt
from console.providers import AttemptFacts

__all__ = ["attempt_of"]


def attempt_of(
    facts: AttemptFacts, object_type: str, object_id: int, provider: str, source: str
) -> Attempt:
    """The ledger's row for what a provider said about one try to pay (a poll's or a
    notification's report alike)."""
    return Attempt(
        object_type=object_type,
        object_id=object_id,
        provider=provider,
        provider_uid=facts.uid,
        native_status=facts.native_status,
        at=facts.at or datetime.now(UTC),
        message=facts.message,
        code=facts.code,
        friendly_message=facts.friendly_message,
        three_ds=facts.three_ds,
        card_brand=facts.card_brand,
        card_last4=facts.card_last4,
        method=facts.method,
        source=source,
    )
