"""Read a Markdown string the way a browser shows it.

AppTest hands back the Markdown source of an element; text that went through
:func:`console.ui.text.plain` carries backslash escapes and invisible word joiners
there. :func:`as_shown` undoes exactly those, so a test compares what a person reads.
The browser tests (tests/e2e/test_user_text_is_never_markup.py) check the same against
what chromium really draws.
"""

from __future__ import annotations

import re

from console.ui.text import BREAK

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash before ASCII punctuation


def as_shown(markdown: str) -> str:
    """``markdown`` with its backslash escapes undone and word joiners removed."""
    return _ESCAPED.sub(r"\1", markdown).replace(BREAK, "")
