"""Escaped HTML pay forms and QR codes for pay links.

An APM payment (beGateway beyag) answers with a form description —
``{action, method, fields[{type, name, id, value}]}`` — that the shop must show
the payer; the gateway leaves the submit button to the shop. :func:`render_pay_form`
turns that description into a standalone HTML snippet a merchant can paste into
their site, and the console previews the same snippet.

Everything in the description came over the network, so none of it is trusted:

* **Every value is escaped** for a double-quoted attribute (``& < > " '``), and a
  carriage return is written as ``&#13;`` so that the value a browser reads back is
  exactly the value the gateway sent. NUL and lone surrogates cannot travel in an
  HTML attribute at all: a field holding one is refused rather than altered.
* **The action must point at a payment host we expect**: ``https`` on one of
  ``allowed_hosts`` (the host itself or a subdomain of it), or — in sandbox mode
  only — exactly the configured sandbox origin (scheme, host and port; http is
  fine on loopback). ``javascript:``, ``data:``, other schemes, user names in the
  URL, backslashes (browsers read them as ``/``, so ``https://evil\\@good`` would
  go to ``evil``) and whitespace are refused. A form is never rendered to an
  arbitrary host: :class:`~console.errors.ValidationError` instead.
* **The method is GET or POST**; field types are limited to plain input types
  (``hidden``, ``text``, ``email``, ``tel``, ``number``) so a field cannot become
  a file picker, an image or a second submit button.

Which hosts are allowed (:func:`allowed_form_hosts`): the configured provider
hosts plus :data:`PROVIDER_DOMAINS`, the providers' own domains and their
subdomains. A payment system that hosts its page elsewhere is refused until its
domain is added to ``allowed_hosts`` (decision: safer to show nothing than a form
to a host nobody configured).

QR codes (:func:`qr_png`, :func:`qr_svg`) use segno (pure Python), error
correction level M, for absolute http(s) URLs only.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import SplitResult, urlsplit

import segno

from console.config import Settings
from console.errors import ValidationError
from console.providers import FormField, PayForm
from console.validation import MAX_URL

#: The providers' own domains: forms may post to them and to their subdomains.
PROVIDER_DOMAINS = ("bepaid.by", "begateway.com")
#: Input types a rendered form may contain (never file, image, submit, ...).
FIELD_TYPES = frozenset({"hidden", "text", "email", "tel", "number"})
METHODS = frozenset({"get", "post"})
QR_SCALE = 6
QR_BORDER = 4

_ATTRIBUTE_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#x27;",
    "\r": "&#13;",  # raw, the HTML parser would turn it into a line feed
}


def escape_attribute(value: str) -> str:
    """``value`` for a double-quoted HTML attribute that reads back exactly as ``value``.

    Raises:
        ValidationError: ``value`` holds NUL or a lone surrogate (no HTML carries them).
    """
    if "\x00" in value:
        raise ValidationError("A form value contains a NUL character, which HTML cannot carry.")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValidationError("A form value contains an invalid (surrogate) character.")
    return "".join(_ATTRIBUTE_ESCAPES.get(ch, ch) for ch in value)


def escape_text(value: str) -> str:
    """``value`` as element text (same rules as attributes: nothing can open a tag)."""
    return escape_attribute(value)


def allowed_form_hosts(settings: Settings) -> tuple[str, ...]:
    """Hosts a pay form may post to: the configured provider hosts and :data:`PROVIDER_DOMAINS`."""
    hosts: list[str] = list(PROVIDER_DOMAINS)
    if settings.bepaid:
        urls = (settings.bepaid.api_url, settings.bepaid.checkout_url, settings.bepaid.gateway_url)
        hosts += [urlsplit(u).hostname or "" for u in urls]
    if settings.payture:
        hosts.append(urlsplit(settings.payture.base_url).hostname or "")
    return tuple(dict.fromkeys(h for h in hosts if h))


def sandbox_origin_of(settings: Settings) -> str | None:
    """The sandbox origin forms may post to over http — in sandbox mode only."""
    return settings.sandbox_url if settings.is_sandbox else None


def check_form_action(
    action: str, *, allowed_hosts: Iterable[str], sandbox_origin: str | None = None
) -> str:
    """``action`` when it is a URL a pay form may post to (see the module docstring).

    Raises:
        ValidationError: any other address, with a sentence saying why.
    """
    parts = web_address(action, what="The form's address")
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if sandbox_origin and _origin(action) == _origin(sandbox_origin):
        return action
    if scheme != "https":
        raise ValidationError("The form's address must start with https://.")
    for allowed in allowed_hosts:
        allowed = allowed.lower().strip(".")
        if allowed and (host == allowed or host.endswith("." + allowed)):
            return action
    raise ValidationError(
        f"The form sends the payer to {host}, which is not an allowed payment host."
    )


def render_pay_form(
    form: PayForm,
    *,
    allowed_hosts: Iterable[str],
    sandbox_origin: str | None = None,
    button_label: str = "Pay",
) -> str:
    """The form as a standalone HTML snippet: ``<form>``, its inputs and a submit button.

    Raises:
        ValidationError: the action, the method, a field type, or a value that HTML
            cannot carry (see the module docstring). Nothing is rendered then.
    """
    action = check_form_action(
        form.action, allowed_hosts=allowed_hosts, sandbox_origin=sandbox_origin
    )
    method = (form.method or "").strip().lower()
    if method not in METHODS:
        raise ValidationError("A pay form's method must be GET or POST.")
    lines = [f'<form action="{escape_attribute(action)}" method="{method}" accept-charset="UTF-8">']
    for field in form.fields:
        kind = (field.type or "hidden").strip().lower()
        if kind not in FIELD_TYPES:
            raise ValidationError(f"A pay form field may not be of type {kind[:20]!r}.")
        attributes = [f'type="{kind}"', f'name="{escape_attribute(field.name)}"']
        if field.id:
            attributes.append(f'id="{escape_attribute(field.id)}"')
        attributes.append(f'value="{escape_attribute(field.value)}"')
        lines.append(f"  <input {' '.join(attributes)}>")
    lines.append(f'  <button type="submit">{escape_text(button_label)}</button>')
    lines.append("</form>")
    return "\n".join(lines) + "\n"


def form_from_json(data: Mapping[str, Any] | None) -> PayForm | None:
    """The form a ledger row stores (the gateway's JSON shape) as a :class:`PayForm`.

    Only the shape is read here; :func:`render_pay_form` checks what it says.
    """
    if not data or not data.get("action"):
        return None
    fields = tuple(
        FormField(
            type=str(item.get("type") or "hidden"),
            name=str(item["name"]),
            id=None if item.get("id") is None else str(item["id"]),
            value="" if item.get("value") is None else str(item["value"]),
        )
        for item in data.get("fields") or []
        if isinstance(item, Mapping) and item.get("name") is not None
    )
    return PayForm(str(data["action"]), str(data.get("method") or "POST"), fields)


def standalone_page(snippet: str, *, title: str = "Pay") -> str:
    """``snippet`` (already escaped) wrapped in a minimal HTML page, for the download."""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape_text(title)}</title>\n</head>\n<body>\n{snippet}</body>\n</html>\n"
    )


# -- QR codes -------------------------------------------------------------------------


def qr_code(url: str) -> segno.QRCode:
    """The QR code of an absolute http(s) URL. Raises ValidationError for anything else."""
    web_address(url, what="A QR code's address")
    return segno.make(url, error="m", micro=False)


def qr_png(url: str) -> bytes:
    """A PNG of the QR code for ``url`` (black on white, quiet zone included)."""
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()


def qr_svg(url: str) -> str:
    """A standalone SVG document of the QR code for ``url``."""
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="svg", scale=QR_SCALE, border=QR_BORDER, xmldecl=False)
    return buffer.getvalue().decode("utf-8")


def web_address(value: object, *, what: str) -> SplitResult:
    """The parts of an absolute http(s) URL with a host, at most ``MAX_URL`` characters,
    without whitespace, control characters, backslashes or a user name.

    Unlike :func:`console.validation.url` it does not look for card numbers: these
    addresses come from a provider, and a checkout token's hex digits can look like one.

    Raises:
        ValidationError: anything else; the message starts with ``what``.
    """
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{what} is missing.")
    if len(value) > MAX_URL:
        raise ValidationError(f"{what} has more than {MAX_URL} characters.")
    if "\\" in value or any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in value):
        raise ValidationError(f"{what} contains spaces, control characters or backslashes.")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ValidationError(f"{what} is not a valid web address.") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"{what} must be an http(s) web address, not {value[:20]!r}.")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(f"{what} must not contain a user name or password.")
    return parts


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port
