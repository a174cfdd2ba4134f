"""What the Customer page shows, as rows built without Streamlit.

Each function turns ledger records of one customer into rows for ``st.table``: money
in major units with its currency (:func:`console.money.format_money`, never a float),
times in the display zone named in the column header, statuses with their colour mark
and word, and every bill, subscription, payment and refund tied to its object by a
link to Lookup (``lookup?q=B12``). ``st.table`` renders Markdown in its cells, so text
from people and providers goes through :func:`~console.ui.text.plain`; the links are
made by :mod:`console.ui.links` from the console's own references.
"""

from __future__ import annotations

from collections.abc import Iterable

from console.ledger import Bill, CurrencyTotals, Payment, RefundRow, Subscription, console_ref
from console.money import format_money
from console.ui.links import lookup_link
from console.ui.lookup_view import KIND_WORDS
from console.ui.status_view import local_time, status_label
from console.ui.tables import REFUND_WORDS
from console.ui.text import plain


def totals_rows(totals: Iterable[CurrencyTotals], tz: str) -> list[dict[str, str]]:
    """One row per currency: paid, refunded, net, how many, first and last payment."""
    return [
        {
            "currency": t.currency,
            "paid": format_money(t.paid, t.currency),
            "refunded": format_money(t.refunded, t.currency),
            "net": format_money(t.net, t.currency),
            "charges": f"{t.charges:,}",
            "refunds": f"{t.refunds:,}",
            f"first payment ({tz})": local_time(t.first_payment_at, tz),
            f"last payment ({tz})": local_time(t.last_payment_at, tz),
        }
        for t in totals
    ]


def bill_rows(bills: Iterable[Bill], tz: str) -> list[dict[str, str]]:
    """The customer's bills: reference (a link to Lookup), kind, status, amount, what for."""
    return [
        {
            "bill": lookup_link(bill.ref),
            "kind": KIND_WORDS.get(bill.kind, bill.kind),
            "status": status_label(bill.status),
            "amount": format_money(bill.amount, bill.currency),
            "description": plain(bill.description),
            "tracking id": plain(bill.tracking_id),
            f"created ({tz})": local_time(bill.created_at, tz),
            f"paid ({tz})": local_time(bill.paid_at, tz),
        }
        for bill in bills
    ]


def subscription_rows(subscriptions: Iterable[Subscription], tz: str) -> list[dict[str, str]]:
    """The customer's subscriptions: reference, plan, price, status, cycles, next renewal."""
    return [
        {
            "subscription": lookup_link(sub.ref),
            "plan": plain(sub.plan_title or sub.plan_id),
            "price": f"{format_money(sub.amount, sub.currency)} / {sub.interval} "
            f"{sub.interval_unit}",
            "status": status_label(sub.status),
            "paid cycles": str(sub.paid_cycles),
            f"next renewal ({tz})": local_time(sub.renew_at, tz),
            f"created ({tz})": local_time(sub.created_at, tz),
        }
        for sub in subscriptions
    ]


def payment_rows(payments: Iterable[Payment], tz: str) -> list[dict[str, str]]:
    """Charges and confirmed refunds, with the bill or subscription each belongs to and,
    for a refund, the charge it gave money back from."""
    return [
        {
            "payment": payment.ref,
            f"when ({tz})": local_time(payment.at, tz),
            "kind": payment.kind,
            "amount": format_money(payment.amount, payment.currency),
            "of": owner_links(payment.bill_id, payment.subscription_id),
            "refund of": f"P{payment.parent_id}" if payment.parent_id else "",
            "provider transaction": plain(payment.provider_txn_id),
        }
        for payment in payments
    ]


def refund_rows(refunds: Iterable[RefundRow], tz: str) -> list[dict[str, str]]:
    """Refund attempts in every state: how much of which charge, who asked, why."""
    return [
        {
            "refund": refund.ref,
            f"asked ({tz})": local_time(refund.created_at, tz),
            "of": owner_links(refund.bill_id, refund.subscription_id),
            "payment": f"P{refund.payment_id}",
            "amount": format_money(refund.amount, refund.currency),
            "state": REFUND_WORDS.get(refund.status, refund.status),
            "by": plain(refund.actor),
            "reason": plain(refund.reason),
        }
        for refund in refunds
    ]


def owner_links(bill_id: int | None, subscription_id: int | None) -> str:
    """``[B12](lookup?q=B12) · [S3](lookup?q=S3)``: what a payment or refund belongs to."""
    refs = []
    if bill_id is not None:
        refs.append(console_ref("bill", bill_id))
    if subscription_id is not None:
        refs.append(console_ref("subscription", subscription_id))
    return " · ".join(lookup_link(ref) for ref in refs)
