"""The sandbox's "external payment system" pages for beGateway alternative payments.

* ``GET|POST /external/apm/{uid}`` — where ``transaction.form`` leads (hidden ``sid``;
  GET takes ``?sid=``). Shows the payment and three buttons: Pay (→ ``successful``),
  Decline (→ ``failed``) and Cancel (→ ``failed``, "Canceled by the payer").
* ``POST /external/apm/{uid}/complete`` — applies the payer's choice and sends the
  browser (303) to the transaction's ``return_url``, unchanged.
* ``GET /customer/transactions/{uid}/{hash}`` — the ``receipt_url`` page.

Everything shown is escaped with :func:`html.escape`. Forms are parsed with the
standard library (``application/x-www-form-urlencoded``), so no multipart package is
needed; extra fields a shop adds (the doc's ``utf8`` and ``submit``) are ignored.
"""

from __future__ import annotations

import hmac
import json
from html import escape
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from provider_sandbox.beyag.transactions import finish, load, receipt_hash
from provider_sandbox.core import sandbox_of
from provider_sandbox.money import format_money

#: Button value → outcome passed to :func:`finish`.
PAYER_CHOICES = {"successful": "successful", "failed": "failed", "canceled": "canceled"}

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;
color:#1d2433}
.card{border:1px solid #d5dae3;border-radius:10px;padding:1.25rem 1.5rem}
dt{color:#5b6478;font-size:.85rem}dd{margin:0 0 .6rem 0;font-weight:600}
button{font-size:1rem;padding:.55rem 1.1rem;margin:.3rem .4rem 0 0;border-radius:6px;
border:1px solid #8a93a6;background:#fff;cursor:pointer}
button.primary{background:#1f6feb;border-color:#1f6feb;color:#fff}
.note{color:#5b6478;font-size:.85rem}
"""


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    """A complete HTML page; ``title`` is escaped here, ``body`` must be escaped already."""
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main class='card'><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status_code)


async def form_fields(request: Request) -> dict[str, str]:
    """The first value of each field of a urlencoded form body."""
    text = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(text, keep_blank_values=True).items()}


def _details(request_body: dict[str, Any], row: Any) -> str:
    items = [
        ("Shop order", request_body.get("tracking_id") or "—"),
        ("Description", request_body["description"]),
        ("Amount", format_money(request_body["amount"], request_body["currency"])),
        ("Payment method", request_body["method"]["type"]),
        ("Status", row["status"]),
    ]
    if row["expired_at"]:
        items.append(("Pay before (UTC)", row["expired_at"]))
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in items)
    return f"<dl>{rows}</dl>"


def _session_error(request: Request, uid: str, sid: str) -> HTMLResponse | None:
    row = load(sandbox_of(request), uid)
    if row is None:
        return page("Payment not found", "<p>There is no such payment.</p>", 404)
    if not hmac.compare_digest(row["sid"], sid):
        return page(
            "Payment session is not valid",
            "<p>Open this page through the shop's payment form.</p>",
            403,
        )
    return None


async def external_page(request: Request) -> Response:
    uid = request.path_params["uid"]
    if request.method == "POST":
        sid = (await form_fields(request)).get("sid", "")
    else:
        sid = request.query_params.get("sid", "")
    if error := _session_error(request, uid, sid):
        return error
    row = load(sandbox_of(request), uid)
    assert row is not None
    request_body = json.loads(row["request"])
    back = escape(request_body["return_url"])
    if row["status"] != "pending":
        return page(
            f"This payment is {row['status']}",
            f"{_details(request_body, row)}<p><a href='{back}'>Return to the shop</a></p>",
        )
    buttons = (
        "<button class='primary' type='submit' name='outcome' value='successful'>Pay</button>"
        "<button type='submit' name='outcome' value='failed'>Decline</button>"
        "<button type='submit' name='outcome' value='canceled'>Cancel</button>"
    )
    body = (
        f"{_details(request_body, row)}"
        f"<form method='post' action='/external/apm/{escape(uid)}/complete'>"
        f"<input type='hidden' name='sid' value='{escape(sid)}'>{buttons}</form>"
        "<p class='note'>Sandbox payment system: no money moves. "
        "Decline and Cancel both end the payment as failed.</p>"
    )
    return page(f"Pay with {request_body['method']['type']}", body)


async def complete(request: Request) -> Response:
    uid = request.path_params["uid"]
    fields = await form_fields(request)
    if error := _session_error(request, uid, fields.get("sid", "")):
        return error
    outcome = PAYER_CHOICES.get(fields.get("outcome", ""))
    if outcome is None:
        return page("Choose an action", "<p>Press Pay, Decline or Cancel.</p>", 400)
    sandbox = sandbox_of(request)
    finish(sandbox, uid, outcome)  # already final (double submit): just send the payer back
    row = load(sandbox, uid)
    assert row is not None
    return RedirectResponse(json.loads(row["request"])["return_url"], status_code=303)


async def receipt(request: Request) -> Response:
    sandbox = sandbox_of(request)
    uid = request.path_params["uid"]
    row = load(sandbox, uid)
    if row is None or not hmac.compare_digest(
        receipt_hash(sandbox, uid), request.path_params["hash"]
    ):
        return page("Receipt not found", "<p>There is no such receipt.</p>", 404)
    request_body = json.loads(row["request"])
    extra = f"<p>Paid at {escape(row['paid_at'])} UTC.</p>" if row["paid_at"] else ""
    lines = (request_body.get("additional_data") or {}).get("receipt_text") or []
    extra += "".join(f"<p>{escape(line)}</p>" for line in lines)
    return page("Payment receipt", _details(request_body, row) + extra)


routes: list[BaseRoute] = [
    Route("/external/apm/{uid}", external_page, methods=["GET", "POST"]),
    Route("/external/apm/{uid}/complete", complete, methods=["POST"]),
    Route("/customer/transactions/{uid}/{hash}", receipt),
]
