"""Sandbox-only payer actions for bePaid objects, under ``/__sandbox/`` (no auth).

No real API uses the ``/__sandbox`` prefix. These let tests and demos act as the
payer without a browser, through the same code path as the hosted page:

* ``POST /__sandbox/checkouts/{token}/pay`` and ``POST /__sandbox/subscriptions/{id}/pay``
  ``{"card": "4200000000000000", "holder": optional, "three_ds_code": optional}``.
  For a 3-D Secure card, a missing ``three_ds_code`` means the payer types the right
  code (``12345``); a string is typed as given; ``null`` stops at the challenge
  (transaction ``incomplete``). → 200 ``{"outcome", "location", "message",
  "transaction", "checkout" | "subscription"}``; ``outcome`` is ``redirect``,
  ``challenge`` or ``retry``. A session that can no longer be paid → 422.
* ``POST /__sandbox/subscriptions/{id}/card`` ``{"card": "4005550000000019"}`` — the
  payer's stored card changes (say, it now declines), so renewals can be made to fail.
  Here a number that fails the Luhn check is accepted: renewals with it end in status
  ``error``, bePaid's "wrong card number format" case.

Otherwise a card number that is not 12-19 digits passing the Luhn check → 422.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provider_sandbox.bepaid import payer as payer
from provider_sandbox.bepaid import validation as check
from provider_sandbox.bepaid.cards import (
    DEFAULT_HOLDER,
    THREE_DS_CODE,
    Card,
    clean_number,
    default_expiry,
    luhn_valid,
)
from provider_sandbox.bepaid.checkout import load_checkout
from provider_sandbox.bepaid.subscriptions import (
    load_subscription,
    reload_subscription,
    replace_card,
    subscription_json,
)
from provider_sandbox.core import ADMIN_PREFIX, Sandbox, read_json, sandbox_of
from provider_sandbox.errors import not_found


def _card(sandbox: Sandbox, body: dict[str, Any], *, checksum: bool = True) -> Card | Response:
    """The card in an admin request; ``checksum=False`` lets a Luhn-failing number in."""
    raw = body.get("card")
    number = clean_number(raw) if isinstance(raw, str) else ""
    well_formed = luhn_valid(number) or (
        not checksum and number.isdigit() and 12 <= len(number) <= 19
    )
    if not well_formed:
        return check.failure(("card",), check.INVALID)
    holder = body.get("holder") if isinstance(body.get("holder"), str) else DEFAULT_HOLDER
    month, year = default_expiry(sandbox.now())
    return Card(number=number, holder=holder or DEFAULT_HOLDER, exp_month=month, exp_year=year)


async def _pay(sandbox: Sandbox, token: str, body: dict[str, Any]) -> payer.PayResult | Response:
    card = _card(sandbox, body)
    if isinstance(card, Response):
        return card
    result = payer.pay(sandbox, token, card)
    if result.outcome == "challenge":
        code = body.get("three_ds_code", THREE_DS_CODE)
        if code is not None:
            result = payer.confirm_3ds(sandbox, token, str(code))
    if result.outcome in ("closed", "missing"):
        return check.failure(("base",), result.message)
    return result


def _answer(result: payer.PayResult, name: str, shown: dict[str, Any]) -> JSONResponse:
    return JSONResponse(
        {
            "outcome": result.outcome,
            "location": result.location,
            "message": result.message,
            "transaction": result.transaction,
            name: shown,
        }
    )


async def pay_checkout(request: Request) -> Response:
    sandbox = sandbox_of(request)
    token = request.path_params["token"]
    if load_checkout(sandbox, sandbox.store, token) is None:
        return not_found()
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    result = await _pay(sandbox, token, body)
    if isinstance(result, Response):
        return result
    session = load_checkout(sandbox, sandbox.store, token)
    assert session is not None
    return _answer(result, "checkout", session.data)


async def pay_subscription(request: Request) -> Response:
    sandbox = sandbox_of(request)
    sub = load_subscription(sandbox.store, request.path_params["id"])
    if sub is None:
        return not_found()
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    result = await _pay(sandbox, sub["token"], body)
    if isinstance(result, Response):
        return result
    sub = reload_subscription(sandbox.store, sub["id"])
    return _answer(result, "subscription", subscription_json(sandbox, sandbox.store, sub))


async def swap_card(request: Request) -> Response:
    sandbox = sandbox_of(request)
    sub_id = request.path_params["id"]
    if load_subscription(sandbox.store, sub_id) is None:
        return not_found()
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    card = _card(sandbox, body, checksum=False)
    if isinstance(card, Response):
        return card
    shown = replace_card(sandbox, sub_id, card)
    return not_found() if shown is None else JSONResponse(shown)


routes = [
    Route(f"{ADMIN_PREFIX}/checkouts/{{token}}/pay", pay_checkout, methods=["POST"]),
    Route(f"{ADMIN_PREFIX}/subscriptions/{{id}}/pay", pay_subscription, methods=["POST"]),
    Route(f"{ADMIN_PREFIX}/subscriptions/{{id}}/card", swap_card, methods=["POST"]),
]
