"""Sandbox emulator: beGateway alternative payment methods ("beyag").

Routes (shop HTTP Basic auth on the API, like the gateway):

* ``POST /beyag/transactions/payments`` — ``{"request": {...}}`` → ``{"transaction":
  {...}}`` shaped like the doc's "response with form parameters" example, status
  ``pending``. Validation: see :mod:`provider_sandbox.beyag.validation`.
* ``GET /beyag/transactions/{uid}`` → ``{"transaction": {...}}`` (a payment or a refund).
* ``POST /beyag/transactions/refunds`` — see :mod:`refunds`.
* ``GET /beyag/transactions/tracking_id/{tracking_id}`` → ``{"transactions": [...]}``,
  newest first, at most 10; a transaction sent with several ``;``-separated tracking
  ids is found by any of them (as the doc says of the back office).
  Unknown uid / tracking id → 404 ``{"message": "Record not found", "errors": {}}``.
* ``POST /__sandbox/beyag/{uid}/pay`` ``{"outcome": "successful" | "failed"}`` — the
  sandbox admin acts as the payer → ``{"transaction": {...}}``; 404 unknown uid, 409 not
  pending, 422 bad outcome (admin error shape ``{"message", "errors"}``).

Create answers HTTP 200 (the doc gives no status). The response follows the doc's
field names, so the method is ``method_type`` (not ``payment_method_type``) and its
details sit under a key named after the method (``"erip": {"type": "erip", ...}``).
``verification_url`` and ``iframe`` are validated and stored but the sandbox never
calls a verification URL.

The form (``transaction.form``) posts a hidden ``sid`` to ``{public_url}/external/apm/
{uid}``, the sandbox's "external payment system" page (:mod:`pages`), where a
person pays, declines or cancels, and is then sent to ``return_url`` unchanged (the doc
documents no return parameters). Decline and cancel both end ``failed``.

Lifecycle: ``pending`` → ``successful`` | ``failed`` (payer) or ``expired`` (a ticker,
when ``expired_at`` passes on the sandbox clock). Each final status queues a
notification of ``{"transaction": {...}}`` to ``notification_url``. The ``form`` is
part of the representation only while the transaction is pending. A request whose
``additional_data.contract`` contains ``recurring`` gets a method token on success.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from provider_sandbox.beyag import pages, refunds
from provider_sandbox.beyag.transactions import (
    SCHEMA,
    create_transaction,
    expire_unpaid,
    finish,
    load,
    state_section,
    transaction_json,
)
from provider_sandbox.beyag.validation import validate_payment_request
from provider_sandbox.core import (
    ADMIN_PREFIX,
    Sandbox,
    read_json,
    sandbox_of,
    shop_auth_error,
)
from provider_sandbox.errors import not_found, unprocessable

TRACKING_ID_LIMIT = 10


def _not_found() -> JSONResponse:
    return not_found()


async def create_payment(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    accepted = validate_payment_request(body, sandbox.now())
    if isinstance(accepted, Response):
        return accepted
    row = create_transaction(sandbox, accepted)
    return JSONResponse({"transaction": transaction_json(sandbox, row)})


async def get_transaction(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    row = load(sandbox, request.path_params["uid"])
    if row is None:
        found = refunds.load_refund(sandbox, request.path_params["uid"])
        return _not_found() if found is None else JSONResponse({"transaction": found})
    return JSONResponse({"transaction": transaction_json(sandbox, row)})


async def find_by_tracking_id(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if denied := shop_auth_error(request):
        return denied
    wanted = request.path_params["tracking_id"]
    # Exact match, or one of the ';'-separated values the doc allows.
    rows = sandbox.store.query(
        "SELECT * FROM beyag_transactions WHERE tracking_id = :id "
        "OR ';' || tracking_id || ';' LIKE '%;' || :pattern || ';%' ESCAPE '\\' "
        "ORDER BY seq DESC LIMIT :limit",
        {"id": wanted, "pattern": _like_escape(wanted), "limit": TRACKING_ID_LIMIT},
    )
    found = [transaction_json(sandbox, row) for row in rows]
    found += refunds.refunds_by_tracking_id(sandbox, wanted, _like_escape(wanted))
    if not found:
        return _not_found()
    # Newest first (ISO timestamps sort as text); in the same second a refund is newer
    # than its payment.
    found.sort(key=lambda tx: (tx["created_at"], tx["type"] == "refund"), reverse=True)
    return JSONResponse({"transactions": found[:TRACKING_ID_LIMIT]})


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def admin_pay(request: Request) -> Response:
    """``POST /__sandbox/beyag/{uid}/pay``: finish a pending transaction as the payer."""
    sandbox = sandbox_of(request)
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    outcome = body.get("outcome")
    if outcome not in ("successful", "failed"):
        return unprocessable(
            "Outcome must be successful or failed",
            {"outcome": ["must be successful or failed"]},
        )
    uid = request.path_params["uid"]
    row = load(sandbox, uid)
    if row is None:
        return _not_found()
    if not finish(sandbox, uid, outcome):
        return JSONResponse(
            {"message": f"Transaction is already {row['status']}, not pending", "errors": {}},
            status_code=409,
        )
    final = load(sandbox, uid)
    assert final is not None
    return JSONResponse({"transaction": transaction_json(sandbox, final)})


routes: list[BaseRoute] = [
    Route("/beyag/transactions/payments", create_payment, methods=["POST"]),
    Route("/beyag/transactions/refunds", refunds.create_refund, methods=["POST"]),
    Route("/beyag/transactions/tracking_id/{tracking_id:path}", find_by_tracking_id),
    Route("/beyag/transactions/{uid}", get_transaction),
    Route(f"{ADMIN_PREFIX}/beyag/{{uid}}/pay", admin_pay, methods=["POST"]),
    Route(f"{ADMIN_PREFIX}/beyag/{{uid}}/refunds", refunds.admin_refunds, methods=["GET"]),
    *pages.routes,
]


def install(sandbox: Sandbox) -> None:
    """Create this emulator's tables and register its tickers and state sections."""
    sandbox.store.ensure_schema(SCHEMA + refunds.SCHEMA)
    sandbox.add_ticker(expire_unpaid)
    sandbox.add_state_section("beyag", state_section)
