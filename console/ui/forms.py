"""Form pieces the Sell pages share: inline field errors, currency choices, pay links
with their QR codes, pay forms with preview / source / download, and expiry countdowns.

The pure helpers at the top (:func:`currency_choices`, :func:`countdown`,
:func:`unplaced_errors`, :func:`blank_to_none`, :func:`preview_form`) know nothing
about Streamlit and are tested directly; the widgets below only render.

How inline errors work on the pages: a form's submit button has an ``on_click``
callback that reads the submitted values from ``st.session_state``, calls
``console.billing`` and stores either the result or ``InvalidInput.errors`` under a
page key. Callbacks run before the script, so when the page draws its fields the
messages are already known and each one is drawn right under its field
(:func:`field_error`); messages for no field on the form go on top
(:func:`form_errors`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, tzinfo

import streamlit as st

from console.config import Settings
from console.errors import ConsoleError, ValidationError
from console.money import EXPONENTS
from console.payform import (
    allowed_form_hosts,
    qr_png,
    qr_svg,
    render_pay_form,
    sandbox_origin_of,
    standalone_page,
)
from console.providers import PayForm
from console.ui.text import plain, titled
from console.validation import FORM

#: The currencies most merchants here bill in, offered first.
COMMON_CURRENCIES = ("BYN", "RUB", "EUR", "USD")
#: Open bills the Pay links page reads per kind, newest first (its list is this long at
#: most; the count above it is exact).
PAY_LINKS_LISTED = 5000


# -- pure helpers -----------------------------------------------------------------------


def currency_choices() -> list[str]:
    """BYN, RUB, EUR, USD, then every other ISO 4217 code the console knows, A-Z."""
    rest = sorted(code for code in EXPONENTS if code not in COMMON_CURRENCIES)
    return [*COMMON_CURRENCIES, *rest]


def blank_to_none(value: object) -> object:
    """``None`` for an empty or all-space text box, else the value unchanged."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def unplaced_errors(errors: Mapping[str, str], shown_fields: Iterable[str]) -> dict[str, str]:
    """The messages that belong to no field drawn on the form (``form`` and the rest)."""
    shown = set(shown_fields)
    return {name: message for name, message in errors.items() if name not in shown}


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "less than a minute"


def countdown(expires_at: datetime | None, now: datetime, tz: tzinfo) -> str:
    """``"expires in 3 h 12 min (at 14:05, 2 Jun)"``, or ``"expired 5 min ago (...)"``.

    The wall-clock time is in ``tz``, the console's display time zone; ``None``
    means the provider's default lifetime applies.
    """
    if expires_at is None:
        return "no expiry recorded (the provider's default applies)"
    local = expires_at.astimezone(tz)
    at = f"at {local:%H:%M}, {local.day} {local:%b %Y}"
    left = expires_at - now
    if left.total_seconds() > 0:
        return f"expires in {_span(left)} ({at})"
    return f"expired {_span(-left)} ago ({at})"


def preview_form(snippet: str) -> str:
    """The pay form as previewed on a console page: it opens the payment page in a new
    tab (without telling it the console's address), so pressing *Pay* in the preview
    never takes the console's own tab away. The form to copy and download is left as
    it is: on the merchant's site the payer stays in one tab.

    Raises:
        ValueError: ``snippet`` is not a form made by ``console.payform.render_pay_form``.
    """
    opening = "<form "
    if not snippet.startswith(opening):
        raise ValueError("A pay form preview needs a <form> snippet.")
    return f'{opening}target="_blank" rel="noopener noreferrer" {snippet[len(opening) :]}'


# -- widgets ----------------------------------------------------------------------------


def show_failure(error: ConsoleError) -> None:
    """A console error as a title and a sentence (never a traceback)."""
    st.error(titled(error.title, error.message), icon=":material/error:")


def field_error(errors: Mapping[str, str], name: str) -> None:
    """The message for ``name``, right where it is called (under its field); messages
    can quote what was typed or what the provider said, so they are shown plain."""
    if name in errors:
        st.error(plain(errors[name]), icon=":material/error:")


def form_errors(errors: Mapping[str, str], shown_fields: Iterable[str]) -> None:
    """The messages no field on the form shows (``form`` first, then the rest by name)."""
    rest = unplaced_errors(errors, shown_fields)
    if FORM in rest:
        st.error(plain(rest.pop(FORM)), icon=":material/error:")
    for name, message in rest.items():
        st.error(plain(f"{name}: {message}"), icon=":material/error:")


def pay_link_panel(url: str, *, key: str, file_stem: str) -> None:
    """The pay link to copy (``st.code`` has a copy button), its QR code and downloads."""
    st.code(url, language=None, wrap_lines=True)
    try:
        png, svg = qr_png(url), qr_svg(url)
    except ValidationError as exc:
        st.warning(f"No QR code: {plain(exc.message)}")
        return
    st.image(png, caption="Scan to pay", width=220)
    left, right = st.columns(2)
    left.download_button(
        "QR code (PNG)",
        png,
        f"{file_stem}-qr.png",
        "image/png",
        key=f"{key}_png",
        on_click="ignore",
    )
    right.download_button(
        "QR code (SVG)",
        svg,
        f"{file_stem}-qr.svg",
        "image/svg+xml",
        key=f"{key}_svg",
        on_click="ignore",
    )


def pay_form_panel(form: PayForm, settings: Settings, *, key: str, file_stem: str) -> None:
    """A pay form: a live preview, the escaped HTML to copy and an ``.html`` download.

    A form whose address is not an allowed payment host is not rendered at all.
    """
    try:
        snippet = render_pay_form(
            form,
            allowed_hosts=allowed_form_hosts(settings),
            sandbox_origin=sandbox_origin_of(settings),
        )
    except ValidationError as exc:
        st.warning(titled("The pay form is not shown", exc.message), icon=":material/block:")
        return
    st.caption("Preview: the button opens the payment system's page in a new tab.")
    with st.container(border=True):
        st.html(preview_form(snippet))
    st.code(snippet, language="html")
    st.download_button(
        "Download the form (.html)",
        standalone_page(snippet, title="Pay"),
        f"{file_stem}-form.html",
        "text/html",
        key=f"{key}_html",
        on_click="ignore",
    )
