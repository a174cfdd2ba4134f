"""The one way text that a person, a payer or a provider supplied reaches the page.

Most Streamlit elements render their text as GitHub-flavoured Markdown with Streamlit's
own additions: ``st.markdown``, ``st.caption``, the ``st.info``/``success``/``warning``/
``error`` boxes, ``st.toast``, headings, **every cell of** ``st.table``, widget labels,
expander titles, tab names and help texts. A description, plan title, cancel reason,
gift message, customer name, tracking id or provider message shown there unescaped is
markup: ``![x](https://elsewhere/b)`` makes every browser that opens the page fetch
that address (with the console's address as the Referer), ``[x](...)`` a link that
looks like ours. So every such text goes through :func:`plain` on its way to one of
those elements, and nowhere else: ``st.text``, ``st.code``, ``st.json`` and the cells of
``st.dataframe`` show text as it is (there the escapes would show).

What :func:`plain` does, and why:

* Every character Markdown, GFM or Streamlit gives a meaning inside a line (emphasis,
  code, links and images, raw HTML and entities, tables, strikethrough, ``$`` maths,
  ``:red[...]`` / ``:material/...:`` / ``:smile:`` directives) is backslash-escaped,
  which CommonMark allows for any ASCII punctuation and shows as the character itself.
* Line breaks, tabs and runs of spaces become one space (a browser shows them so
  anyway), and other control characters and the bidirectional overrides are dropped:
  no text can start a new block (a heading, a list, a code block) or read backwards.
  The few block markers that work at the start of a line without a line break (``-``
  and ``1.``; table cells start one) are escaped where the text starts.
* Bare web addresses are not made links, nor ``:material/name:`` icons. GFM turns
  ``http://…``, ``https://…`` and ``www.…`` into links, and Streamlit the icon names
  into icons, *after* parsing, in the text left once escapes are undone, so escaping
  cannot stop them (measured in chromium). An invisible WORD JOINER (U+2060, :data:`BREAK`)
  after the scheme (``www``, the icon's first ``:``) does, and the text reads and prints
  the same. E-mail addresses still become ``mailto:`` links: a browser loads nothing for
  them, and a joiner inside an address would break it when support copies it.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["BREAK", "plain", "titled"]

#: An invisible WORD JOINER, put where Markdown would find a link or an icon in the text.
BREAK = "\u2060"

_INLINE_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~:$&])")
_BLOCK_START = re.compile(r"^(-|\d{1,9}(?=\.(?:\s|$)))")
# Found in the text after escapes are undone, so escaping cannot stop them: web
# addresses (GFM autolinks) and Streamlit's ``:material/name:`` icons.
_FOUND_AFTER_PARSING = re.compile(r"(?i)https?(?=:)|www(?=\.)|:(?=material/)")
# Dropped: the bidirectional overrides, and a typed BREAK (invisible; ours mark the spots).
_DROPPED = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" + BREAK)


def plain(text: object) -> str:
    """``text`` made safe to put into Markdown: it shows as typed and is never markup.

    ``None`` is the empty string; anything else is ``str()``-ed first. Apply it once,
    where the text meets the element (escaping twice shows the backslashes).
    """
    if text is None:
        return ""
    kept = "".join(
        char
        for char in str(text)
        if char not in _DROPPED and (char.isspace() or unicodedata.category(char) != "Cc")
    )
    one_line = " ".join(kept.split())
    unlinked = _FOUND_AFTER_PARSING.sub(lambda match: match.group(0) + BREAK, one_line)
    escaped = _INLINE_SPECIAL.sub(r"\\\1", unlinked)
    return _BLOCK_START.sub(lambda match: _block_escape(match.group(0)), escaped)


def _block_escape(start: str) -> str:
    # ``- x`` is a list item; ``12. x`` an ordered one (escape the dot after the digits).
    return "\\-" if start == "-" else start + "\\"


def titled(title: object, sentence: object) -> str:
    """``**Title** — sentence`` (an error's title and message) with both made :func:`plain`."""
    return f"**{plain(title)}** — {plain(sentence)}"
