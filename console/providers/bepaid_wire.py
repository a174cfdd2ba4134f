"""bePaid's wire format: request bodies we build and answers we read.

Shapes follow provider-docs/bepaid-subscriptions.ru.txt and bePaid's public docs
(docs.bepaid.by: plans, customers, hosted checkout, transaction status query):

* plans and customers are flat objects (``POST /plans`` ``{title, currency, plan{...},
  trial{...}, ...}``); lists are bare JSON arrays (``{"plans": [...]}`` is accepted too);
* a subscription names its plan and customer inline or as ``{"id": ...}``; its status
  is ``state``;
* checkouts are wrapped: ``{"checkout": {...}}``; card transactions are
  ``{"transaction": {...}}``, and lookups by tracking id ``{"transactions": [...]}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from console.errors import ValidationError
from console.providers import wire
from console.providers.models import (
    AttemptFacts,
    Checkout,
    CheckoutLink,
    Customer,
    LastTransaction,
    NewCheckout,
    NewCustomer,
    NewPlan,
    NewRefund,
    Period,
    Plan,
    Subscription,
    Transaction,
)
from console.status import BillStatus, SubscriptionStatus

#: The only part of a card number the console keeps.
_LAST4 = re.compile(r"[0-9]{4}")

INTERVAL_UNITS = ("hour", "day", "month")

# -- requests ---------------------------------------------------------------------


def _period(amount: Any, interval: Any, unit: Any, where: str, *, free_ok: bool) -> dict[str, Any]:
    if free_ok and amount == 0 and not isinstance(amount, bool):
        pass  # a free trial: let bePaid decide whether it takes one
    else:
        wire.check_amount(amount, f"{where}.amount")
    wire.check_count(interval, f"{where}.interval")
    if unit not in INTERVAL_UNITS:
        raise ValidationError(
            f"{where}.interval_unit must be one of {', '.join(INTERVAL_UNITS)}.", field=where
        )
    return {"amount": amount, "interval": interval, "interval_unit": unit}


def plan_body(plan: NewPlan) -> dict[str, Any]:
    """``POST /plans`` body, also used as a subscription's inline ``plan``."""
    if not isinstance(plan, NewPlan):
        raise TypeError("plan must be a NewPlan (or a plan id for a subscription)")
    wire.check_text(plan.title, "title")
    cycles = wire.check_count(plan.billing_cycles, "billing_cycles", required=False)
    wire.check_count(plan.number_payment_attempts, "number_payment_attempts", required=False)
    trial = plan.trial
    return wire.compact(
        {
            "title": plan.title,
            "currency": wire.check_currency(plan.currency),
            "plan": _period(plan.amount, plan.interval, plan.interval_unit, "plan", free_ok=False),
            "trial": _period(
                trial.amount, trial.interval, trial.interval_unit, "trial", free_ok=True
            )
            if trial
            else None,
            "infinite": cycles is None,
            "billing_cycles": cycles,
            "number_payment_attempts": plan.number_payment_attempts,
            "language": plan.language,
            "test": plan.test or None,
        }
    )


def customer_body(customer: NewCustomer) -> dict[str, Any]:
    """``POST /customers`` body, also used as a subscription's inline ``customer``."""
    if not isinstance(customer, NewCustomer):
        raise TypeError("customer must be a NewCustomer (or a customer id for a subscription)")
    return wire.compact({name: getattr(customer, name) for name in NewCustomer.__slots__})


def subscription_body(
    *,
    plan: NewPlan | str,
    customer: NewCustomer | str | None,
    tracking_id: str | None,
    return_url: str | None,
    notification_url: str | None,
    language: str | None,
    additional_data: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """``POST /subscriptions``: plan inline or ``{"id"}``, customer likewise."""
    plan_part = {"id": wire.check_text(plan, "plan")} if isinstance(plan, str) else plan_body(plan)
    if customer is None:
        customer_part = None
    elif isinstance(customer, str):
        customer_part = {"id": wire.check_text(customer, "customer")}
    else:
        customer_part = customer_body(customer)
    return wire.compact(
        {
            "plan": plan_part,
            "customer": customer_part,
            "tracking_id": wire.check_tracking_id(tracking_id),
            "return_url": return_url,
            "notification_url": notification_url,
            "settings": {"language": language},
            "additional_data": dict(additional_data) if additional_data else None,
        }
    )


def checkout_body(checkout: NewCheckout) -> dict[str, Any]:
    """``POST /ctp/api/checkouts`` body: ``{"checkout": {transaction_type, order, ...}}``."""
    wire.check_text(checkout.description, "description")
    wire.check_count(checkout.attempts, "attempts", required=False)
    body = wire.compact(
        {
            "transaction_type": "payment",
            "test": bool(checkout.test),
            "attempts": checkout.attempts,
            "order": {
                "amount": wire.check_amount(checkout.amount),
                "currency": wire.check_currency(checkout.currency),
                "description": checkout.description,
                "tracking_id": wire.check_tracking_id(checkout.tracking_id),
                "expired_at": wire.iso(checkout.expires_at),
            },
            "settings": {
                "success_url": checkout.success_url,
                "decline_url": checkout.decline_url,
                "fail_url": checkout.fail_url,
                "cancel_url": checkout.cancel_url,
                "notification_url": checkout.notification_url,
                "language": checkout.language,
            },
            "customer": dict(checkout.customer) if checkout.customer else None,
        }
    )
    return {"checkout": body}


def refund_body(refund: NewRefund) -> dict[str, Any]:
    """``POST /transactions/refunds`` body (docs.bepaid.by card_api/transactions/refund)."""
    return {
        "request": {
            "parent_uid": wire.check_text(refund.parent_uid, "parent_uid"),
            "amount": wire.check_amount(refund.amount),
            "reason": wire.check_text(refund.reason, "reason"),
            "duplicate_check": bool(refund.duplicate_check),
        }
    }


# -- answers ----------------------------------------------------------------------


def _period_of(data: Any, what: str) -> Period:
    section = wire.obj(data, what)
    return Period(
        amount=wire.whole(section.get("amount"), f"{what}.amount"),
        interval=wire.whole(section.get("interval"), f"{what}.interval"),
        interval_unit=wire.text(section, "interval_unit"),
    )


def plan_of(data: Any) -> Plan:
    plan = wire.obj(data, "the plan")
    trial = plan.get("trial")
    return Plan(
        id=wire.text(plan, "id"),
        title=wire.opt_text(plan, "title") or "",
        currency=wire.currency_of(plan),
        period=_period_of(plan.get("plan"), "plan"),
        trial=_period_of(trial, "trial") if isinstance(trial, dict) and trial else None,
        infinite=plan.get("infinite") is not False,
        billing_cycles=wire.opt_int(plan, "billing_cycles"),
        number_payment_attempts=wire.opt_int(plan, "number_payment_attempts"),
        test=wire.flag(plan, "test"),
        created_at=wire.timestamp(plan.get("created_at")),
        raw=plan,
    )


def customer_of(data: Any) -> Customer:
    customer = wire.obj(data, "the customer")
    return Customer(
        id=wire.text(customer, "id"),
        email=wire.opt_text(customer, "email"),
        first_name=wire.opt_text(customer, "first_name"),
        last_name=wire.opt_text(customer, "last_name"),
        created_at=wire.timestamp(customer.get("created_at")),
        raw=customer,
    )


def listing(body: Any, key: str, read: Any) -> tuple[Any, ...]:
    """A bare JSON array (or ``{key: [...]}``) read item by item."""
    items = body.get(key) if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise wire.MalformedAnswer(f"the answer is not a list of {key}")
    return tuple(read(item) for item in items)


def subscription_of(data: Any) -> Subscription:
    sub = wire.obj(data, "the subscription")
    native = wire.opt_text(sub, "state") or wire.text(sub, "status")
    plan_data = wire.inner(sub, "plan")
    try:
        plan = plan_of(plan_data) if plan_data.get("plan") else None
    except wire.MalformedAnswer:
        plan = None  # an abbreviated plan is fine; the id is what matters
    last = sub.get("last_transaction")
    status = wire.status_of("subscription", native)
    return Subscription(
        id=wire.text(sub, "id"),
        status=status if isinstance(status, SubscriptionStatus) else None,
        native_status=native,
        plan_id=wire.opt_text(plan_data, "id"),
        plan=plan,
        customer_id=wire.opt_text(wire.inner(sub, "customer"), "id"),
        tracking_id=wire.opt_text(sub, "tracking_id"),
        redirect_url=wire.opt_text(sub, "redirect_url"),
        created_at=wire.timestamp(sub.get("created_at")),
        renew_at=wire.timestamp(sub.get("renew_at")),
        active_to=wire.timestamp(sub.get("active_to")),
        cancelled_at=wire.timestamp(sub.get("cancelled_at") or sub.get("canceled_at")),
        cancel_reason=wire.opt_text(sub, "cancel_reason"),
        paid_billing_cycles=wire.opt_int(sub, "paid_billing_cycles"),
        last_transaction=LastTransaction(
            uid=wire.text(last, "uid"),
            native_status=wire.opt_text(last, "status") or "",
            message=wire.opt_text(last, "message"),
            created_at=wire.timestamp(last.get("created_at")),
        )
        if isinstance(last, dict) and last.get("uid")
        else None,
        raw=sub,
    )


def checkout_link_of(body: Any) -> CheckoutLink:
    checkout = wire.section(body, "checkout")
    return CheckoutLink(
        token=wire.text(checkout, "token"),
        redirect_url=wire.text(checkout, "redirect_url"),
        raw=checkout,
    )


def checkout_of(body: Any) -> Checkout:
    checkout = wire.section(body, "checkout")
    expired = wire.flag(checkout, "expired")
    # bePaid may leave ``status`` out until the payer acts: derive it from the flags.
    native = wire.opt_text(checkout, "status") or ("expired" if expired else "pending")
    order = wire.inner(checkout, "order")
    gateway = wire.inner(checkout, "gateway_response")
    payment = next((v for v in gateway.values() if isinstance(v, dict) and v.get("uid")), None)
    currency = order.get("currency")
    status = wire.status_of("checkout", native)
    return Checkout(
        token=wire.text(checkout, "token"),
        status=status if isinstance(status, BillStatus) else None,
        native_status=native,
        finished=wire.flag(checkout, "finished"),
        expired=expired,
        test=wire.flag(checkout, "test"),
        amount=wire.opt_int(order, "amount"),
        currency=wire.currency_of(order) if currency else None,
        description=wire.opt_text(order, "description"),
        tracking_id=wire.opt_text(order, "tracking_id"),
        expires_at=wire.timestamp(order.get("expired_at")),
        transaction_uid=wire.opt_text(payment, "uid"),
        message=wire.opt_text(checkout, "message"),
        raw=checkout,
        attempt=attempt_facts(payment) if payment else None,
    )


def transaction_fields(tx: dict[str, Any], api: str) -> dict[str, Any]:
    """The fields card transactions and beyag payments share, read the same way.

    ``api`` names the status vocabulary (``transaction`` or ``beyag``).
    """
    native = wire.text(tx, "status")
    status = wire.status_of(api, native)
    return {
        "uid": wire.text(tx, "uid"),
        "status": status if isinstance(status, BillStatus) else None,
        "native_status": native,
        "type": wire.opt_text(tx, "type"),
        "amount": wire.whole(tx.get("amount"), "amount"),
        "currency": wire.currency_of(tx),
        "description": wire.opt_text(tx, "description"),
        "tracking_id": wire.opt_text(tx, "tracking_id"),
        "message": wire.opt_text(tx, "message"),
        "test": wire.flag(tx, "test"),
        "created_at": wire.timestamp(tx.get("created_at")),
        "paid_at": wire.timestamp(tx.get("paid_at")),
        "parent_uid": wire.opt_text(tx, "parent_uid"),
        "raw": tx,
    }


def transaction_of(data: Any) -> Transaction:
    tx = wire.obj(data, "the transaction")
    return Transaction(**transaction_fields(tx, "transaction"), facts=attempt_facts(tx))


def attempt_facts(tx: dict[str, Any]) -> AttemptFacts | None:
    """Why a card transaction or alternative payment ended as it did: message, processing
    code, friendly message, 3-D Secure status, card brand and last four digits (a
    ``last_4`` that is not four digits is dropped: no more of a card is ever kept),
    payment method. None when it has no uid or status."""
    uid, native = tx.get("uid"), tx.get("status")
    if not isinstance(uid, str) or not uid or not isinstance(native, str):
        return None
    card = wire.inner(tx, "credit_card")
    last4 = card.get("last_4")
    verification = wire.inner(tx, "three_d_secure_verification")
    return AttemptFacts(
        uid=uid,
        native_status=native,
        at=wire.timestamp(tx.get("updated_at")) or wire.timestamp(tx.get("created_at")),
        message=wire.opt_text(tx, "message"),
        code=wire.opt_text(tx, "code"),
        friendly_message=wire.opt_text(tx, "friendly_message"),
        three_ds=wire.opt_text(verification, "status"),
        card_brand=wire.opt_text(card, "brand"),
        card_last4=last4 if isinstance(last4, str) and _LAST4.fullmatch(last4) else None,
        method=wire.opt_text(tx, "payment_method_type") or wire.opt_text(tx, "method_type"),
    )


def one_transaction(body: Any) -> Transaction:
    return transaction_of(wire.section(body, "transaction"))


def transactions(body: Any) -> tuple[Transaction, ...]:
    """``{"transactions": [...]}`` (or a lone ``{"transaction"}``), newest first."""
    if isinstance(body, dict) and isinstance(body.get("transaction"), dict):
        return (transaction_of(body["transaction"]),)
    found = listing(body, "transactions", transaction_of)
    return tuple(sorted(found, key=_newest_first_key, reverse=True))


def _newest_first_key(tx: Transaction) -> float:
    return tx.created_at.timestamp() if tx.created_at else float("-inf")
