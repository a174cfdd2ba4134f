"""The sandbox's hosted card payment page (bePaid's ``checkout.bepaid.by/v2/checkout``).

Pages (no auth; the token is the capability, as on bePaid):

* ``GET /v2/checkout?token=...`` — amount, description, the card form (Card number,
  Cardholder name, Expiry date (MM/YY), CVC) and the test cards; once nothing can be
  paid, a sentence saying why (paid, declined, expired, canceled).
* ``POST /v2/checkout/pay`` — the form. Invalid fields re-render the form (422) with
  a message under each field; otherwise see :func:`bepaid_payer.pay`.
* ``GET /v2/checkout/3ds?token=...`` and ``POST /v2/checkout/3ds`` — the 3-D Secure
  challenge: a "Verification code" field (the code is ``12345``) and a Confirm button.
* ``GET /v2/checkout/cancel?token=...`` — the Cancel link.

Outcomes are 303 redirects (to the merchant's return URL, the challenge, or back to
this page). Everything shown is escaped with :func:`html.escape`. The page is in
English whatever ``settings.language`` says.
"""

from __future__ import annotations

import html
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from provider_sandbox.bepaid import payer as payer
from provider_sandbox.bepaid.cards import (
    PAGE_CARDS,
    TEST_CARDS,
    THREE_DS_CODE,
    Card,
    clean_number,
    luhn_valid,
)
from provider_sandbox.core import sandbox_of
from provider_sandbox.money import format_money

HOLDER_LIMIT = 32  # bePaid: card.holder is string(32)

STYLE = """
body{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1d2733;margin:0}
main{max-width:28rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;
box-shadow:0 1px 4px #0002}
h1{font-size:1.6rem;margin:.2rem 0}.muted{color:#5a6675}label{display:block;margin-top:.8rem;
font-weight:600}input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;
border:1px solid #9aa5b1;border-radius:4px}.error{color:#b00020;margin:.2rem 0}
.note{background:#fff4e5;border-left:4px solid #e08a00;padding:.5rem .8rem}
button{margin-top:1.2rem;width:100%;padding:.7rem;font-size:1.05rem;background:#0b6bcb;
color:#fff;border:0;border-radius:4px;cursor:pointer}table{border-collapse:collapse;
margin-top:.4rem}td{padding:.15rem .6rem .15rem 0;font-size:.9rem}code{font-size:.95rem}
"""


def _document(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(page, status_code=status_code)


def _field(name: str, label: str, value: str, error: str | None, **attrs: str) -> str:
    described = f' aria-describedby="{name}-error" aria-invalid="true"' if error else ""
    extra = "".join(f' {key.replace("_", "-")}="{html.escape(val)}"' for key, val in attrs.items())
    message = f'<p class="error" id="{name}-error">{html.escape(error)}</p>' if error else ""
    return (
        f'<label for="{name}">{html.escape(label)}</label>'
        f'<input id="{name}" name="{name}" value="{html.escape(value)}"{described}{extra}>'
        f"{message}"
    )


def _test_cards() -> str:
    rows = "".join(
        f"<tr><td><code>{number}</code></td><td>{html.escape(TEST_CARDS[number].summary)}</td></tr>"
        for number in PAGE_CARDS
    )
    return (
        '<section aria-labelledby="test-cards"><h2 id="test-cards" style="font-size:1rem">'
        "Test cards</h2><table>"
        f'{rows}</table><p class="muted">Any holder name, a future expiry date and any '
        f"3-digit CVC. The 3-D Secure code is <code>{THREE_DS_CODE}</code>.</p></section>"
    )


def _page(
    request: Request,
    token: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    sandbox = sandbox_of(request)
    session = payer.load_session(sandbox, sandbox.store, token)
    if session is None:
        return _unknown()
    now = sandbox.now()
    info = session.page(now)
    amount = format_money(info.amount, info.currency)
    parts = [
        '<p class="muted">Sandbox payment page</p>',
        f"<h1>{html.escape(amount)}</h1>",
        f"<p>{html.escape(info.description)}</p>",
    ]
    parts += [f'<p class="note" role="status">{html.escape(note)}</p>' for note in info.notes]
    if not info.open:
        parts.append(f'<p role="status"><strong>{html.escape(info.headline)}</strong></p>')
        return _document(f"Payment: {amount}", "".join(parts), status_code)
    values, errors = values or {}, errors or {}
    parts.append(
        '<form method="post" action="/v2/checkout/pay" novalidate>'
        f'<input type="hidden" name="token" value="{html.escape(token)}">'
        + _field(
            "number",
            "Card number",
            values.get("number", ""),
            errors.get("number"),
            inputmode="numeric",
            autocomplete="cc-number",
        )
        + _field(
            "holder",
            "Cardholder name",
            values.get("holder", ""),
            errors.get("holder"),
            autocomplete="cc-name",
        )
        + _field(
            "expiry",
            "Expiry date (MM/YY)",
            values.get("expiry", ""),
            errors.get("expiry"),
            autocomplete="cc-exp",
            placeholder="MM/YY",
        )
        + _field(
            "cvc",
            "CVC",
            values.get("cvc", ""),
            errors.get("cvc"),
            inputmode="numeric",
            autocomplete="cc-csc",
        )
        + f'<button type="submit">Pay {html.escape(amount)}</button></form>'
        f'<p><a href="/v2/checkout/cancel?{urlencode({"token": token})}">Cancel payment</a></p>'
    )
    parts.append(_test_cards())
    return _document(f"Payment: {amount}", "".join(parts), status_code)


def _unknown() -> Response:
    return _document(
        "Payment not found",
        "<h1>Payment not found</h1><p>This payment link is not known.</p>",
        404,
    )


def read_card_form(fields: dict[str, str], now: datetime) -> Card | dict[str, str]:
    """The card the payer typed, or a message per invalid field."""
    errors: dict[str, str] = {}
    number = clean_number(fields.get("number", ""))
    if not luhn_valid(number):
        errors["number"] = "Enter a valid card number (12 to 19 digits)."
    holder = fields.get("holder", "").strip()
    if not holder:
        errors["holder"] = "Enter the name on the card."
    elif len(holder) > HOLDER_LIMIT:
        errors["holder"] = f"The name can have at most {HOLDER_LIMIT} characters."
    month, year = _expiry(fields.get("expiry", ""))
    if month is None or year is None:
        errors["expiry"] = "Enter the expiry date as MM/YY."
    elif (year, month) < (now.year, now.month):
        errors["expiry"] = "This card has expired."
    cvc = fields.get("cvc", "").strip()
    if not (cvc.isascii() and cvc.isdigit() and len(cvc) in (3, 4)):
        errors["cvc"] = "Enter the 3 or 4 digit security code."
    if errors:
        return errors
    return Card(number=number, holder=holder, exp_month=month, exp_year=year)  # type: ignore[arg-type]


def _expiry(text: str) -> tuple[int | None, int | None]:
    month_text, _, year_text = text.strip().replace(" ", "").partition("/")
    if not (month_text.isdigit() and year_text.isdigit() and len(year_text) in (2, 4)):
        return None, None
    month, year = int(month_text), int(year_text)
    if not 1 <= month <= 12:
        return None, None
    return month, year + 2000 if len(year_text) == 2 else year


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _follow(request: Request, token: str, result: payer.PayResult) -> Response:
    """Turn a payer step's result into the response the browser gets.

    ``retry`` and ``closed`` re-render the page, which shows the latest attempt's
    message (and the attempts left) or why nothing can be paid any more.
    """
    if result.outcome in ("redirect", "challenge") and result.location:
        return RedirectResponse(result.location, status_code=303)
    if result.outcome == "missing":
        return _unknown()
    return _page(request, token)


async def show_page(request: Request) -> Response:
    token = request.query_params.get("token", "")
    sandbox = sandbox_of(request)
    session = payer.load_session(sandbox, sandbox.store, token)
    if session is not None and session.pending_uid and session.is_open(sandbox.now()):
        return RedirectResponse(payer.challenge_url(sandbox, token), status_code=303)
    return _page(request, token)


async def submit_card(request: Request) -> Response:
    sandbox = sandbox_of(request)
    fields = await _form(request)
    token = fields.get("token", "")
    card = read_card_form(fields, sandbox.now())
    if isinstance(card, dict):
        values = {key: fields.get(key, "") for key in ("number", "holder", "expiry")}
        return _page(request, token, values=values, errors=card, status_code=422)
    return _follow(request, token, payer.pay(sandbox, token, card))


async def show_challenge(request: Request) -> Response:
    sandbox = sandbox_of(request)
    token = request.query_params.get("token", "")
    session = payer.load_session(sandbox, sandbox.store, token)
    if session is None:
        return _unknown()
    if not session.pending_uid or not session.is_open(sandbox.now()):
        return RedirectResponse(payer.page_url(sandbox, token), status_code=303)
    info = session.page(sandbox.now())
    amount = format_money(info.amount, info.currency)
    body = (
        '<p class="muted">Sandbox issuer: 3-D Secure</p><h1>Confirm your payment</h1>'
        f"<p>{html.escape(amount)} — {html.escape(info.description)}</p>"
        f"<p>Enter the code sent to your phone. In the sandbox the code is "
        f"<code>{THREE_DS_CODE}</code>.</p>"
        '<form method="post" action="/v2/checkout/3ds">'
        f'<input type="hidden" name="token" value="{html.escape(token)}">'
        + _field(
            "code", "Verification code", "", None, inputmode="numeric", autocomplete="one-time-code"
        )
        + '<button type="submit">Confirm</button></form>'
    )
    return _document("3-D Secure", body)


async def submit_challenge(request: Request) -> Response:
    sandbox = sandbox_of(request)
    fields = await _form(request)
    token = fields.get("token", "")
    return _follow(request, token, payer.confirm_3ds(sandbox, token, fields.get("code", "")))


async def cancel(request: Request) -> Response:
    sandbox = sandbox_of(request)
    location = payer.cancel_location(sandbox, request.query_params.get("token", ""))
    if location is None:
        return _unknown()
    return RedirectResponse(location, status_code=303)


routes = [
    Route("/v2/checkout", show_page, methods=["GET"]),
    Route("/v2/checkout/pay", submit_card, methods=["POST"]),
    Route("/v2/checkout/3ds", show_challenge, methods=["GET"]),
    Route("/v2/checkout/3ds", submit_challenge, methods=["POST"]),
    Route("/v2/checkout/cancel", cancel, methods=["GET"]),
]
