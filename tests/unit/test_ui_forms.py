"""The pay-form preview opens the payment page in a new tab; the form to copy does not."""

from __future__ import annotations

import pytest

from console.ui.forms import preview_form

SNIPPET = '<form action="https://pay.example/p" method="post">\n</form>\n'
OPENING = '<form target="_blank" rel="noopener noreferrer" '


def test_the_preview_form_opens_a_new_tab_without_telling_the_console_address():
    preview = preview_form(SNIPPET)
    assert preview.startswith(f"{OPENING}action=")
    assert preview.removeprefix(OPENING) == SNIPPET.removeprefix("<form ")


def test_only_a_form_is_previewed():
    with pytest.raises(ValueError):
        preview_form("<div>not a form</div>")
