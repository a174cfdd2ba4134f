"""The sandbox's Payture pay page (``payUrl``) and receipt.

* ``GET /apim/Pay?SessionId=<id>`` — product, amount, and three choices: **Pay**
  (the billed amount → PAID), **Pay a different amount** (a text field in *major*
  units as a person types them, e.g. ``950.00`` or ``1 000,50``, parsed by
  :func:`provider_sandbox.money.parse_amount` → AMOUNT_MISMATCH unless it equals the bill) and
  **Decline** (the bill stays PENDING; the payer may come back).
* ``POST /apim/Pay`` — applies the choice. After a payment the browser goes (303) to
  the bill's ``redirect_url`` unchanged, or to the receipt when it has none.
* ``GET /apim/Receipt?SessionId=<id>`` — status, amount paid, gift code if any.

Everything shown is escaped with :func:`html.escape`; forms are parsed with the
standard library (urlencoded), so no multipart package is needed.
"""

from __future__ import annotations

import json
import sqlite3
from html import escape
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from provider_sandbox.core import sandbox_of
from provider_sandbox.money import AmountError, format_money, parse_amount
from provider_sandbox.payture.bills import decline_bill, load_by_session, pay_bill, product

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;
color:#1d2433;background:#f6f7f9}
.card{background:#fff;border:1px solid #d5dae3;border-radius:10px;padding:1.25rem 1.5rem}
dt{color:#5b6478;font-size:.85rem}dd{margin:0 0 .6rem 0;font-weight:600}
button{font-size:1rem;padding:.55rem 1.1rem;margin:.3rem .4rem 0 0;border-radius:6px;
border:1px solid #8a93a6;background:#fff;cursor:pointer}
button.primary{background:#d9232e;border-color:#d9232e;color:#fff}
input{font-size:1rem;padding:.45rem;border:1px solid #8a93a6;border-radius:6px}
fieldset{border:1px dashed #c2c8d3;border-radius:8px;margin:1rem 0}
.error{color:#b00020;font-weight:600}.note{color:#5b6478;font-size:.85rem}
"""

STATUS_TITLES = {
    "PENDING": "Payment not made yet",
    "PAID": "Payment received",
    "DONE": "Payment complete",
    "AMOUNT_MISMATCH": "Payment received, but not the amount billed",
}


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    """A complete HTML page; ``title`` is escaped here, ``body`` must be escaped already."""
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main class='card'><p class='note'>Payture · sandbox</p>"
        f"<h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status_code)


def _not_found() -> HTMLResponse:
    return page("Payment session not found", "<p>This payment link is not valid.</p>", 404)


def _product_title(request: Request, bill: sqlite3.Row) -> str:
    item = product(sandbox_of(request), bill["product_id"])
    title: str = item["title"] if item else bill["product_id"]
    return title


def _details(request: Request, bill: sqlite3.Row) -> str:
    items = [
        ("Product", _product_title(request, bill)),
        ("Amount", format_money(bill["amount"], bill["currency"])),
    ]
    extended = json.loads(bill["extended"])
    for key, label in (("giftRecipient", "Gift for"), ("giftMessage", "Gift message")):
        if isinstance(extended.get(key), str | int | float):
            items.append((label, str(extended[key])))
    if bill["paid_amount"] is not None:
        items.append(("Paid", format_money(bill["paid_amount"], bill["currency"])))
    if bill["gift_code"]:
        items.append(("Gift code", bill["gift_code"]))
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    return f"<dl>{rows}</dl>"


def _back_link(bill: sqlite3.Row) -> str:
    if not bill["redirect_url"]:
        return ""
    return f"<p><a href='{escape(bill['redirect_url'])}'>Return to the shop</a></p>"


def _pay_form(request: Request, bill: sqlite3.Row, error: str = "", typed: str = "") -> str:
    session = escape(bill["session_id"])
    amount = escape(format_money(bill["amount"], bill["currency"]))
    shown_error = f"<p class='error' role='alert'>{escape(error)}</p>" if error else ""
    return (
        f"{_details(request, bill)}{shown_error}"
        "<form method='post' action='/apim/Pay'>"
        f"<input type='hidden' name='SessionId' value='{session}'>"
        f"<button class='primary' type='submit' name='action' value='pay'>Pay {amount}</button>"
        "<button type='submit' name='action' value='decline'>Decline</button>"
        "<fieldset><legend>Pay a different amount (sandbox: makes AMOUNT_MISMATCH)</legend>"
        f"<label>Amount in {escape(bill['currency'])}, e.g. 12.50 "
        f"<input name='amount' inputmode='decimal' autocomplete='off' value='{escape(typed)}'>"
        "</label> <button type='submit' name='action' value='pay_amount'>Pay this amount"
        "</button></fieldset></form>"
        "<p class='note'>Sandbox pay page: no card is charged.</p>"
    )


def _receipt(request: Request, bill: sqlite3.Row) -> HTMLResponse:
    title = STATUS_TITLES.get(bill["status"], bill["status"])
    body = f"{_details(request, bill)}<p>Status: <b>{escape(bill['status'])}</b></p>"
    return page(title, body + _back_link(bill))


async def pay_page(request: Request) -> Response:
    bill = load_by_session(sandbox_of(request), request.query_params.get("SessionId", ""))
    if bill is None:
        return _not_found()
    if bill["status"] != "PENDING":
        return _receipt(request, bill)
    return page("Pay the bill", _pay_form(request, bill))


async def pay_submit(request: Request) -> Response:
    text = (await request.body()).decode("utf-8", errors="replace")
    fields = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
    sandbox = sandbox_of(request)
    bill = load_by_session(sandbox, fields.get("SessionId", ""))
    if bill is None:
        return _not_found()
    if bill["status"] != "PENDING":
        return _receipt(request, bill)
    action = fields.get("action")
    if action == "decline":
        decline_bill(sandbox, bill["bill_id"])
        retry = f"/apim/Pay?SessionId={quote(bill['session_id'])}"
        body = (
            "<p>The bill is still open: nothing was charged.</p>"
            f"<p><a href='{escape(retry)}'>Try again</a></p>{_back_link(bill)}"
        )
        return page("Payment declined", body)
    amount = None
    if action == "pay_amount":
        typed = fields.get("amount", "")
        try:
            amount = parse_amount(typed, bill["currency"])
        except AmountError as error:
            return page("Pay the bill", _pay_form(request, bill, error.message, typed), 400)
    elif action != "pay":
        return page("Pay the bill", _pay_form(request, bill, "Choose Pay or Decline."), 400)
    pay_bill(sandbox, bill["bill_id"], amount)  # None: a racing payment won; show it
    if bill["redirect_url"]:
        return RedirectResponse(bill["redirect_url"], status_code=303)
    return RedirectResponse(f"/apim/Receipt?SessionId={quote(bill['session_id'])}", status_code=303)


async def receipt_page(request: Request) -> Response:
    bill = load_by_session(sandbox_of(request), request.query_params.get("SessionId", ""))
    return _not_found() if bill is None else _receipt(request, bill)


routes: list[BaseRoute] = [
    Route("/apim/Pay", pay_page, methods=["GET"]),
    Route("/apim/Pay", pay_submit, methods=["POST"]),
    Route("/apim/Receipt", receipt_page),
]
