"""bePaid subscription routes: create, read and cancel.

* ``POST /subscriptions`` — ``plan`` inline (stored as a new plan) or ``{"id": ...}``;
  ``customer`` inline (stored) or ``{"id": ...}``; ``tracking_id`` (≤255),
  ``device_id``, ``return_url``, ``notification_url``, ``additional_data``,
  ``receipt_text`` (array of strings), ``dynamic_billing_descriptor``,
  ``settings.language``; optionally ``card`` (``number``, ``verification_value``,
  ``holder``, ``exp_month``, ``exp_year`` — or a ``token`` from an earlier charge).
  → 201 with the subscription. Without a card it is ``redirecting``, with ``token``
  and ``redirect_url`` = ``{public_url}/v2/checkout?token=...`` (the doc example's
  URL form), where the payer pays the first charge. With a card the first charge runs
  at once, through the same code path as the page: a 3-D Secure card leaves it
  ``redirecting`` with ``last_transaction.redirect_url`` at the challenge, as in the
  doc's 3-D Secure example. Plan errors are reported alone and first: the doc's
  unknown-plan example shows only the plan error although its card token is unknown.
* ``GET /subscriptions/{id}`` → the subscription.
* ``POST /subscriptions/{id}/cancel`` ``{"cancel_reason": "..."}`` (required) → 200,
  state ``canceled`` with ``cancel_reason`` and ``cancelled_at`` (``active_to`` kept,
  ``transaction: null`` as in the doc); a 3-D Secure step still open ends ``failed``.
  A subscription that already ended → 422.

Unknown id → 404. A subscription is not notified when created (the caller has the
answer); every later change is.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provider_sandbox.bepaid import payer as payer
from provider_sandbox.bepaid import renewals as billing
from provider_sandbox.bepaid import validation as check
from provider_sandbox.bepaid.cards import Card, load_card
from provider_sandbox.bepaid.customers import (
    UNKNOWN_CUSTOMER,
    insert_customer,
    load_customer,
    validate_customer,
)
from provider_sandbox.bepaid.plans import UNKNOWN_PLAN, insert_plan, load_plan, validate_plan
from provider_sandbox.bepaid.records import dumps, new_id
from provider_sandbox.bepaid.subscriptions import (
    load_subscription,
    notice,
    reload_subscription,
    save_subscription,
    subscription_json,
)
from provider_sandbox.bepaid.transactions import finish_transaction
from provider_sandbox.core import Sandbox, iso, read_json, sandbox_of, shop_auth_error
from provider_sandbox.errors import not_found

HOLDER_LIMIT = 32
ABANDONED_3DS = "Subscription canceled before 3-D Secure authentication was completed"


def _plan_part(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any] | Response:
    """The plan to subscribe to: an existing one (``{"id"}``) or inline fields to store."""
    errors = check.Errors()
    plan = check.object_at(errors, ("plan",), body.get("plan"), required=True)
    if plan is None:
        return errors.response()
    if "id" in plan:
        found = load_plan(sandbox.store, plan["id"])
        return found if found is not None else check.failure(("plan", "base"), UNKNOWN_PLAN)
    fields = validate_plan(errors, plan, ("plan",))
    return errors.response() if errors else {"new": fields}


def _customer_part(sandbox: Sandbox, errors: check.Errors, value: Any) -> dict[str, Any] | None:
    customer = check.object_at(errors, ("customer",), value, required=False)
    if not customer:
        return None
    if "id" in customer:
        found = load_customer(sandbox.store, customer["id"])
        if found is None:
            errors.add(("customer", "base"), UNKNOWN_CUSTOMER)
        return found
    return {"new": validate_customer(errors, customer, ("customer",))}


def _card_part(
    sandbox: Sandbox, errors: check.Errors, value: Any
) -> tuple[Card, str | None] | None:
    """The card sent with the request and its vault token (when sent as a token)."""
    card = check.object_at(errors, ("card",), value, required=False)
    if not card:
        return None
    if "token" in card:
        found = load_card(sandbox.store, card["token"] if isinstance(card["token"], str) else None)
        if found is None:
            errors.add(("card", "token"), check.INVALID)
            return None
        return found, card["token"]
    number = check.text(errors, ("card", "number"), card.get("number"), required=True, limit=19)
    if number is not None and not (number.isdigit() and len(number) >= 12):
        errors.add(("card", "number"), check.INVALID)
    cvc = check.text(
        errors, ("card", "verification_value"), card.get("verification_value"), required=True
    )
    if cvc is not None and not (cvc.isdigit() and len(cvc) in (3, 4)):
        errors.add(("card", "verification_value"), check.INVALID)
    holder = check.text(
        errors, ("card", "holder"), card.get("holder"), required=True, limit=HOLDER_LIMIT
    )
    month = check.positive_int(errors, ("card", "exp_month"), card.get("exp_month"))
    if month is not None and month > 12:
        errors.add(("card", "exp_month"), check.INVALID)
    year = check.positive_int(errors, ("card", "exp_year"), card.get("exp_year"))
    if year is not None and not 2000 <= year <= 2099:
        errors.add(("card", "exp_year"), check.INVALID)
    if errors:
        return None
    return Card(number=number, holder=holder, exp_month=month, exp_year=year), None  # type: ignore[arg-type]


def _receipt_text(errors: check.Errors, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
        errors.add(("receipt_text",), "must be an array of strings")
        return []
    return value


async def create_subscription(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    plan = _plan_part(sandbox, body)
    if isinstance(plan, Response):
        return plan
    errors = check.Errors()
    customer = _customer_part(sandbox, errors, body.get("customer"))
    card = _card_part(sandbox, errors, body.get("card"))
    settings = check.object_at(errors, ("settings",), body.get("settings"), required=False) or {}
    extra = check.object_at(
        errors, ("additional_data",), body.get("additional_data"), required=False
    )
    fields = {
        "tracking_id": check.text(errors, ("tracking_id",), body.get("tracking_id")),
        "device_id": check.text(errors, ("device_id",), body.get("device_id")),
        "return_url": check.url(errors, ("return_url",), body.get("return_url")),
        "notification_url": check.url(errors, ("notification_url",), body.get("notification_url")),
        "language": check.text(
            errors, ("settings", "language"), settings.get("language"), limit=10
        ),
        "dynamic_billing_descriptor": check.text(
            errors, ("dynamic_billing_descriptor",), body.get("dynamic_billing_descriptor")
        ),
        "receipt_text": _receipt_text(errors, body.get("receipt_text")),
        "additional_data": extra or {},
    }
    if errors:
        return errors.response()
    now = sandbox.now()
    with sandbox.store.tx() as conn:
        if "new" in plan:
            plan = insert_plan(conn, plan["new"], now)
        if customer is not None and "new" in customer:
            customer = insert_customer(conn, customer["new"], now)
        sub: dict[str, Any] = {
            "id": new_id("sbs"),
            "token": sandbox.new_token(),
            "state": "redirecting",
            "created_at": iso(now),
            "renew_at": None,
            "active_to": None,
            "plan": plan,
            "customer_id": customer["id"] if customer else None,
            "customer": customer or {},
            **fields,
            "card_token": None,
            "paid_billing_cycles": 0,
            "number_failed_payment_attempts": 0,
            "last_transaction_uid": None,
            "pending_uid": None,
            "cancel_reason": None,
            "cancelled_at": None,
            "had_success": False,
            "anchor_at": None,
            "periods_billed": 0,
            "due_at": None,
        }
        conn.execute(
            "INSERT INTO bepaid_subscriptions (id, token, state, due_at, created_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (sub["id"], sub["token"], sub["state"], None, now.timestamp(), dumps(sub)),
        )
    if card is not None:
        payer.pay(sandbox, sub["token"], card[0], card_token=card[1])
    created = reload_subscription(sandbox.store, sub["id"])
    return JSONResponse(subscription_json(sandbox, sandbox.store, created), status_code=201)


async def get_subscription(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    sub = load_subscription(sandbox.store, request.path_params["id"])
    if sub is None:
        return not_found()
    return JSONResponse(subscription_json(sandbox, sandbox.store, sub))


async def cancel_subscription(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    errors = check.Errors()
    reason = check.text(errors, ("cancel_reason",), body.get("cancel_reason"), required=True)
    notices: payer.Notices = []
    with sandbox.store.tx() as conn:
        sub = load_subscription(conn, request.path_params["id"])
        if sub is None:
            return not_found()
        if errors or reason is None:  # a required text is None only with an error
            return errors.response()
        if sub["state"] in billing.FINAL_STATES:
            state = sub["state"]
            message = (
                "Subscription is already canceled"
                if state == "canceled"
                else f"Subscription has already ended: it is {state}"
            )
            return check.failure(("base",), message)
        now = sandbox.now()
        if sub["pending_uid"]:  # a 3-D Secure step left open can never complete now
            finish_transaction(
                conn, sub["pending_uid"], status="failed", at=now, message=ABANDONED_3DS
            )
            sub["pending_uid"] = None
        billing.cancel(sub, reason, now)
        save_subscription(conn, sub)
        notices.append(notice(sandbox, conn, sub))
        shown = subscription_json(sandbox, conn, sub)
    payer.flush(sandbox, notices)
    return JSONResponse({**shown, "transaction": None})


routes = [
    Route("/subscriptions", create_subscription, methods=["POST"]),
    Route("/subscriptions/{id}", get_subscription, methods=["GET"]),
    Route("/subscriptions/{id}/cancel", cancel_subscription, methods=["POST"]),
]
