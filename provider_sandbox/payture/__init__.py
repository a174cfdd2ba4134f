"""Sandbox emulator: Payture bills through the behind-api wrapper.

Routes (provider-docs/payture-bills-behind-api-client.txt; JSON bodies, POST), each
under API versions 10 and 20 with the same handlers: the official generated Python
client (PyPI ``behind-api-client``) calls ``/api/payments/10/payture/...`` and the node
client's V20 the same methods with the same parameters. V21 is not served: the node
client ships a ``PaymentsV21Payture`` but its methods are not documented.

* ``/api/payments/{10|20}/payture/billCreate`` ``{access_token, subscription_id}``
* ``/api/payments/{10|20}/payture/billCreateUnauthorised`` ``{access_token?, subscription_id,
  user_id, redirect_url?, extended?}``
  → ``{"success": true, "data": {"bill_id", "bill": {"payUrl"}}}``, where ``payUrl`` is
  ``{public_url}/apim/Pay?SessionId=<id>`` (the pay page, :mod:`pages`).
* ``/api/payments/{10|20}/payture/billStatus`` ``{access_token?, bill_id}``
  → ``{"success": true, "data": {"bill_info": {bill_status, amount, gift?}, "status"}}``;
  an ``AMOUNT_MISMATCH`` bill answers ``success: false`` with the same ``data``, exactly
  as the doc's example does.

HTTP statuses: every answer the doc shows (``success`` true or false) is HTTP 200,
because behind-api clients read ``success`` from a 200 and treat any other status as
a transport or authorisation failure. ``billCreate`` needs the access token
(``need_authorization: true``): a missing or wrong ``access_token`` is HTTP 401
``{"success": false, "code": 1001, "message": ...}``; 1001 is the code behind-api
clients hand to their "request rejected" handler. ``billCreateUnauthorised`` and
``billStatus`` are ``need_authorization: false`` and are served without a token; a
token that *is* sent must still be the right one (inferred: a stale token is a
configuration mistake worth saying, and the doc shows no example either way).
A body that is not a JSON object is HTTP 400 in the same shape.

Validation messages (``success: false``): ``<field> can not be empty`` (the doc's
``bill_id can not be empty`` pattern), ``Invalid UUID format: <field>`` (the doc's
UUID check; subscription and bill ids are UUIDs, ``user_id`` is any non-empty text
because the doc's own test example uses ``test-user-000...1``), ``Can't finish
request: subscription product not found`` (the doc's create error, with the reason),
``redirect_url must be a valid HTTP/HTTPS URL``, ``extended must be an object``,
``Bill not found``.

Notifications: the doc shows only a merchant-side "webhook handler" sketch — it reads
``{bill_id, status, amount}``, verifies the request, then asks billStatus — with no
signature scheme and no place to give a notification URL. The emulator sends that
body for every status change to ``SandboxConfig.payture_notification_url`` (the
"back office" setting; ``--payture-notify-url``), signed with an HMAC of the access
token (``notifier.py``); see ``payture_bills.notify_status``.

Sandbox-only extras under the admin prefix (the real API has no such routes):

* ``GET /__sandbox/payture/products`` → ``{"products": [{id, title, price, currency,
  kind}]}`` — the seeded catalogue (see :mod:`bills`, which also seeds the
  doc's example bill).
* ``POST /__sandbox/payture/{bill_id}/pay`` ``{"amount": minor units, optional}`` — pay
  as the payer; a different amount ends ``AMOUNT_MISMATCH``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from provider_sandbox.core import ADMIN_PREFIX, Sandbox, read_json, sandbox_of
from provider_sandbox.errors import behind_api_failure, unprocessable
from provider_sandbox.payture import pages
from provider_sandbox.payture.bills import (
    SCHEMA,
    bill_status_data,
    complete_paid_bills,
    create_bill,
    is_http_url,
    is_uuid,
    load,
    pay_bill,
    pay_url,
    product,
    products,
    seed,
    state_section,
)

API_VERSIONS = ("10", "20")
REJECTED_TOKEN_CODE = 1001


class BillError(Exception):
    """Raised by a method handler: answered as ``{"success": false, "message"}``."""


Handler = Callable[[Sandbox, dict[str, Any]], dict[str, Any] | JSONResponse]


def _failure(message: str, status_code: int = 200, **extra: Any) -> JSONResponse:
    return behind_api_failure(message, status_code, **extra)


def _token_error(sandbox: Sandbox, body: dict[str, Any]) -> JSONResponse | None:
    token = body.get("access_token")
    if token is None or token == "":
        return _failure("access_token can not be empty", 401, code=REJECTED_TOKEN_CODE)
    expected = sandbox.config.access_token
    if not isinstance(token, str) or not hmac.compare_digest(token.encode(), expected.encode()):
        return _failure("Invalid access token", 401, code=REJECTED_TOKEN_CODE)
    return None


def behind_api_method(
    handler: Handler, *, guest: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a method handler with behind-api's body parsing, token check and envelope.

    ``guest``: the method is ``need_authorization: false`` — no token is needed.
    """

    async def endpoint(request: Request) -> Response:
        sandbox = sandbox_of(request)
        try:
            body = json.loads(await request.body() or b"{}")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return _failure("Request body must be a JSON object", 400)
        sent_no_token = body.get("access_token") in (None, "")
        if not (guest and sent_no_token) and (denied := _token_error(sandbox, body)):
            return denied
        try:
            data = handler(sandbox, body)
        except BillError as error:
            return _failure(str(error))
        if isinstance(data, JSONResponse):
            return data
        return JSONResponse({"success": True, "data": data})

    return endpoint


def _required_uuid(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise BillError(f"{name} can not be empty")
    if not is_uuid(value):
        raise BillError(f"Invalid UUID format: {name}")
    return value


def _catalogue_product(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    item = product(sandbox, _required_uuid(body, "subscription_id"))
    if item is None:
        raise BillError("Can't finish request: subscription product not found")
    return item


def _created(sandbox: Sandbox, row: Any) -> dict[str, Any]:
    return {"bill_id": row["bill_id"], "bill": {"payUrl": pay_url(sandbox, row["session_id"])}}


def bill_create(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """billCreate: a bill for the user behind the access token."""
    item = _catalogue_product(sandbox, body)
    return _created(sandbox, create_bill(sandbox, item, created_by="billCreate"))


def bill_create_unauthorised(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """billCreateUnauthorised: a guest bill with redirect URL and extended data."""
    item = _catalogue_product(sandbox, body)
    user_id = body.get("user_id")
    if user_id is None or user_id == "":
        raise BillError("user_id can not be empty")
    if not isinstance(user_id, str) or len(user_id) > 255:
        raise BillError("user_id must be a string of at most 255 characters")
    redirect_url = body.get("redirect_url") or None
    if redirect_url is not None and not is_http_url(redirect_url):
        raise BillError("redirect_url must be a valid HTTP/HTTPS URL")
    extended = body.get("extended")
    if extended is not None and not isinstance(extended, dict):
        raise BillError("extended must be an object")
    row = create_bill(
        sandbox,
        item,
        created_by="billCreateUnauthorised",
        user_id=user_id,
        redirect_url=redirect_url,
        extended=extended,
    )
    return _created(sandbox, row)


def bill_status(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any] | JSONResponse:
    """billStatus: PENDING / PAID / DONE, or AMOUNT_MISMATCH as ``success: false``."""
    row = load(sandbox, _required_uuid(body, "bill_id"))
    if row is None:
        raise BillError("Bill not found")
    data = bill_status_data(row)
    if row["status"] == "AMOUNT_MISMATCH":
        return JSONResponse({"success": False, "data": data})
    return data


async def admin_products(request: Request) -> Response:
    return JSONResponse({"products": products(sandbox_of(request))})


async def admin_pay(request: Request) -> Response:
    """``POST /__sandbox/payture/{bill_id}/pay {"amount"?}``: pay as the payer.

    Errors use the admin API's shape: ``{"message", "errors"}`` with 404 / 409 / 422.
    """
    sandbox = sandbox_of(request)
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    amount = body.get("amount")
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount < 10**12
    ):
        return unprocessable(
            "Amount must be a positive integer of minor units",
            {"amount": ["must be a positive integer of minor units"]},
        )
    row = load(sandbox, request.path_params["bill_id"])
    if row is None:
        return JSONResponse({"message": "Bill not found", "errors": {}}, status_code=404)
    if pay_bill(sandbox, row["bill_id"], amount) is None:
        message = f"Bill is already {row['status']}, not PENDING"
        return JSONResponse({"message": message, "errors": {}}, status_code=409)
    paid = load(sandbox, row["bill_id"])
    assert paid is not None
    return JSONResponse({"bill_id": paid["bill_id"], **bill_status_data(paid)})


METHODS = {
    "billCreate": behind_api_method(bill_create),
    "billCreateUnauthorised": behind_api_method(bill_create_unauthorised, guest=True),
    "billStatus": behind_api_method(bill_status, guest=True),
}

routes: list[BaseRoute] = [
    *(
        Route(f"/api/payments/{version}/payture/{name}", endpoint, methods=["POST"])
        for version in API_VERSIONS
        for name, endpoint in METHODS.items()
    ),
    Route(f"{ADMIN_PREFIX}/payture/products", admin_products),
    Route(f"{ADMIN_PREFIX}/payture/{{bill_id}}/pay", admin_pay, methods=["POST"]),
    *pages.routes,
]


def install(sandbox: Sandbox) -> None:
    """Create this emulator's tables, seed the catalogue, register ticker and state."""
    sandbox.store.ensure_schema(SCHEMA)
    seed(sandbox)
    sandbox.add_ticker(complete_paid_bills)
    sandbox.add_state_section("payture", state_section)
