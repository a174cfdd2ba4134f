"""console.ui.text.plain: whatever people and providers wrote shows as written and is never
Markdown — no image, no link, no heading, no icon, no colour. (The same inputs are
drawn in chromium by tests/e2e/test_user_text_is_never_markup.py.)"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.ui.text import BREAK, plain, titled
from tests.support.markdown import as_shown

SPECIAL = set("\\`*_{}[]()<>#+!|~:$&")


def unescaped_specials(markdown: str) -> list[str]:
    """Markdown-special characters in ``markdown`` that no backslash escapes."""
    left = re.sub(r"\\.", "", markdown)
    return [char for char in left if char in SPECIAL]


def seen_as_written(text: str) -> str:
    """What a person should see: one line, no control or direction-override characters
    (nor a typed word joiner, which nobody can see)."""
    dropped = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" + BREAK
    kept = "".join(
        c for c in text if c not in dropped and (c.isspace() or unicodedata.category(c) != "Cc")
    )
    return " ".join(kept.split())


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("![x](http://127.0.0.1:9/b)", "\\!\\[x\\]\\(http⁠\\://127.0.0.1\\:9/b\\)"),
        ("[x](https://evil.example/l)", "\\[x\\]\\(https⁠\\://evil.example/l\\)"),
        ("see www.evil.example", "see www⁠.evil.example"),
        ("**bold** _it_ ~~gone~~ `code`", "\\*\\*bold\\*\\* \\_it\\_ \\~\\~gone\\~\\~ \\`code\\`"),
        (":red[alarm] :material/home: $x$", "\\:red\\[alarm\\] \\:⁠material/home\\: \\$x\\$"),
        ("&copy; <b>x</b>", "\\&copy; \\<b\\>x\\</b\\>"),
        ("# Heading", "\\# Heading"),
        ("- item", "\\- item"),
        ("12. item", "12\\. item"),
        ("1.5 kg, Order-17", "1.5 kg, Order-17"),
        ("two\nlines\tand  spaces", "two lines and spaces"),
        ("nul\x00 and \u202eevil", "nul and evil"),
        ("Кофе, 1 кг", "Кофе, 1 кг"),
        (None, ""),
        (42, "42"),
    ],
)
def test_plain_escapes_what_markdown_would_read(typed, expected):
    assert plain(typed) == expected.replace("⁠", BREAK)


@pytest.mark.parametrize(
    "typed",
    ["http://a.example", "HTTPS://A.EXAMPLE", "x https://a.example/p?q=1", "www.a.example"],
)
def test_no_web_address_is_left_for_autolinking(typed):
    shown_without_escapes = re.sub(r"\\(.)", r"\1", plain(typed))
    assert not re.search(r"(?i)https?://|www\.", shown_without_escapes)
    assert as_shown(plain(typed)) == typed  # ...and it reads the same


@given(st.text(max_size=200))
def test_any_text_reads_as_written_and_holds_no_markup(text):
    made = plain(text)
    assert as_shown(made) == seen_as_written(text)
    assert unescaped_specials(made) == []
    assert "\n" not in made and not made.startswith(("-", " "))
    assert not re.match(r"\d{1,9}\.(\s|$)", made)


def test_titled_is_a_bold_title_and_a_plain_sentence():
    assert titled("Provider said no", "Description *is* [bad](x)") == (
        "**Provider said no** — Description \\*is\\* \\[bad\\]\\(x\\)"
    )
