"""What the Lookup page shows about a record, computed without Streamlit.

:func:`record_facts` lists a bill's or subscription's facts as (label, value) rows —
ids support can copy, money in major units, times in the display zone — with the
provider's extra data given readable names (a Payture gift code, an APM method).
Keys nobody named yet are returned separately by :func:`other_extras`, so new data
shows up as raw JSON instead of disappearing.

:func:`importable` decides whether offering "look for it at the providers" makes
sense for a query the ledger does not know: an e-mail address or a console
reference (``B123``) exists only in the ledger, so no provider lookup can find it.

:func:`holds_card_number` is why a query is refused before it is searched or put in
the page's address: ``console.validation``'s card-number guard (13-19 Luhn-valid
digits), except for a well-formed UUID (a Payture bill id), whose digit groups can
pass the check.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any, cast

from console.explain import is_bill
from console.ledger import Bill, Subscription
from console.ui.links import customer_link
from console.ui.status_view import local_time, money, status_label
from console.ui.text import plain
from console.validation import find_card_number

KIND_WORDS = {
    "card_link": "card pay link",
    "apm": "APM payment",
    "payture_bill": "Payture bill",
    "subscription": "subscription",
}
PROVIDER_WORDS = {"bepaid": "bePaid", "begateway": "beGateway (APM)", "payture": "Payture"}
#: Extra data a provider or billing stored, with the label shown for it.
EXTRA_LABELS = {
    "gift_code": "Gift code",
    "method_type": "Payment method",
    "method": "Payment method",
    "product_title": "Product",
    "product_id": "Product id",
    "language": "Payment page language",
    "customer": "Payer",
    "provider_tracking_id": "Provider's tracking id",
    "trial_amount": "Trial amount",
    "imported": "Imported",
    "transaction_only": "Imported from a card transaction",
}
_CONSOLE_REF = re.compile(r"^[BbSs]\s*#?\s*\d{1,18}$")


def kind_of(record: Bill | Subscription) -> str:
    """The bill's kind, or ``subscription``."""
    return cast(Bill, record).kind if is_bill(record) else "subscription"


def object_type(record: Bill | Subscription) -> str:
    """``bill`` or ``subscription`` (for ``ledger.history`` and ``payments_of``)."""
    return "bill" if is_bill(record) else "subscription"


def describe(record: Bill | Subscription) -> str:
    """``B12 · card pay link · 12.50 BYN``."""
    return (
        f"{record.ref} · {KIND_WORDS.get(kind_of(record), kind_of(record))} · "
        f"{money(record.amount, record.currency)}"
    )


def match_rows(records: Iterable[Bill | Subscription], tz: str) -> list[dict[str, str]]:
    """Several matches side by side, for the person to pick one."""
    return [
        {
            "ref": record.ref,
            "kind": KIND_WORDS.get(kind_of(record), kind_of(record)),
            "status": status_label(record.status),
            "amount": money(record.amount, record.currency),
            "customer": plain(record.customer_email),
            "tracking id": plain(record.tracking_id),
            f"created ({tz})": local_time(record.created_at, tz),
        }
        for record in records
    ]


def record_facts(record: Bill | Subscription, tz: str) -> list[dict[str, str]]:
    """The record's facts as ``{"": label, "value": value}`` rows (empty values left out),
    values ready for ``st.table`` (text from people and providers through :func:`plain`); the
    customer's e-mail is a link to the Customer page (everything of that customer)."""
    native = plain(record.native_status) or "—"
    rows: list[tuple[str, Any]] = [
        ("Status", f"{status_label(record.status)} (provider: {native})"),
        ("Kind", KIND_WORDS.get(kind_of(record), kind_of(record))),
        ("Provider", PROVIDER_WORDS.get(record.provider, record.provider)),
        ("Amount", money(record.amount, record.currency)),
    ]
    if not is_bill(record):
        rows += _subscription_facts(cast(Subscription, record), tz)
    else:
        record = cast(Bill, record)
        rows += [
            ("Description", plain(record.description)),
            ("Paid at", local_time(record.paid_at, tz)),
            ("Expires at", local_time(record.expires_at, tz)),
        ]
    rows += [
        ("Customer e-mail", customer_link(record.customer_email)),  # everything of theirs
        ("Tracking id", plain(record.tracking_id)),
        ("Provider id", plain(record.provider_id)),
        ("Token / session id", plain(record.token)),
        (f"Created ({tz})", local_time(record.created_at, tz)),
        (f"Updated ({tz})", local_time(record.updated_at, tz)),
        ("Mode", _mode(record)),
    ]
    rows += extra_facts(record)
    return [{"": label, "value": str(value)} for label, value in rows if value not in ("", None)]


def _subscription_facts(sub: Subscription, tz: str) -> list[tuple[str, Any]]:
    every = sub.interval_unit if sub.interval == 1 else f"{sub.interval} {sub.interval_unit}s"
    trial = (
        f"{sub.trial_interval} {sub.trial_unit}{'s' if (sub.trial_interval or 0) != 1 else ''}"
        if sub.trial_interval
        else ""
    )
    return [
        ("Plan", plain(f"{sub.plan_title or sub.plan_id or '—'}, every {every}")),
        ("Trial", trial),
        ("Paid cycles", str(sub.paid_cycles)),
        ("Next charge", local_time(sub.renew_at, tz)),
        ("Paid up to", local_time(sub.active_to, tz)),
        ("Canceled at", local_time(sub.canceled_at, tz)),
        ("Cancel reason", plain(sub.cancel_reason)),
    ]


def _mode(record: Bill | Subscription) -> str:
    if record.demo:
        return "demo data (made by merchant-console demo; at no provider)"
    return {True: "test", False: "live", None: ""}[record.test]


def extra_facts(record: Bill | Subscription) -> list[tuple[str, str]]:
    """The provider's extra data that has a label (gift code, APM method, product…)."""
    facts = []
    for key, label in EXTRA_LABELS.items():
        if key not in record.extra or (key == "method" and "method_type" in record.extra):
            continue
        value = record.extra[key]
        if key == "trial_amount" and isinstance(value, int):
            value = money(value, record.currency)
        elif key == "customer" and isinstance(value, dict):
            value = payer_line(value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        facts.append((label, plain(value)))
    return facts


def payer_line(customer: dict[str, Any]) -> str:
    """``Jan Kowalski · +48 601 000 000 · PL · Warsaw 00-001 · ul. Prosta 1``."""
    name = " ".join(str(customer[k]) for k in ("first_name", "last_name") if customer.get(k))
    place = " ".join(str(customer[k]) for k in ("city", "zip") if customer.get(k))
    parts = [name, customer.get("phone"), customer.get("country"), place, customer.get("address")]
    return " · ".join(str(part) for part in parts if part)


def other_extras(record: Bill | Subscription) -> dict[str, Any]:
    """Extra data without a label (shown as JSON so nothing is hidden)."""
    return {key: value for key, value in record.extra.items() if key not in EXTRA_LABELS}


def importable(query: str) -> bool:
    """Whether a provider could know ``query``: not an e-mail, not a console reference."""
    text = query.strip()
    if not text or _CONSOLE_REF.match(text):
        return False
    return not ("@" in text and "/" not in text)


def holds_card_number(query: str) -> bool:
    """Whether ``query`` holds what looks like a card number (a UUID never does)."""
    try:
        uuid.UUID(query.strip())
    except ValueError:
        return find_card_number(query) is not None
    return False
