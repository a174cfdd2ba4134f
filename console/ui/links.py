"""Links between the console's pages, as addresses and as Markdown links.

The addresses are a contract other pages (and people's bookmarks) rely on:

* ``lookup?q=B12`` — Lookup with that search run (a bill, a subscription, anything);
* ``customer?email=anna%40example.com`` — everything of one customer; the e-mail is
  URL-encoded whole (``quote(email, safe="")``), so no address character can end the
  link or start another parameter;
* ``subscriptions?id=S12`` — the Subscriptions page with that subscription in detail.

They are relative, so they work under any base path the console is served from.
Streamlit opens every Markdown link in a new tab: the page the person came from stays
where it was. The link text is made :func:`~console.ui.text.plain`; the address holds
only what :func:`~urllib.parse.quote` lets through, so neither can become markup.
"""

from __future__ import annotations

from urllib.parse import quote

from console.ui.text import plain

__all__ = [
    "customer_href",
    "customer_link",
    "lookup_href",
    "lookup_link",
    "subscription_href",
]


def lookup_href(query: str) -> str:
    """``lookup?q=B12``."""
    return f"lookup?q={quote(query, safe='')}"


def lookup_link(ref: str, text: str | None = None) -> str:
    """``[B12](lookup?q=B12)``: a console reference that opens on Lookup."""
    return f"[{plain(text or ref)}]({lookup_href(ref)})"


def customer_href(email: str) -> str:
    """``customer?email=anna%40example.com``."""
    return f"customer?email={quote(email, safe='')}"


def customer_link(email: str | None) -> str:
    """``[anna@example.com](customer?email=...)``, or empty text when there is no e-mail."""
    if not email:
        return ""
    return f"[{plain(email)}]({customer_href(email)})"


def subscription_href(ref: str) -> str:
    """``subscriptions?id=S12``."""
    return f"subscriptions?id={quote(ref, safe='')}"
