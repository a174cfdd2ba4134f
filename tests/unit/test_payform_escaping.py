"""Pay forms render hostile gateway data as inert text: one form, its inputs, values intact.

Every rendered snippet is parsed back with the standard library's HTML parser (the
same tokenizer rules a browser follows for these constructs) and checked for what
an attacker would want: a second form, a script, an event handler, an attribute
that escaped its quotes, or a value that changed on the way.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.errors import ValidationError
from console.payform import render_pay_form, standalone_page
from console.providers import FormField, PayForm

HOSTS = ("bepaid.by", "begateway.com")
ACTION = "https://pay.bepaid.by/apm/erip"
HOSTILE = [
    '"',
    "'",
    '"><img src=x onerror=alert(1)>',
    "</form><form action='https://evil.example'>",
    "<script>alert(1)</script>",
    "&quot; onfocus=alert(1) autofocus x=&quot;",
    "line\nbreak\rcarriage\ttab",
    "юникод ✓ 💳 \u202e",
    "&amp;&lt;&#0;&#x3c;",
    "x" * 20_000,
    "<!--",
    "]]><![CDATA[",
    "\x01\x1f\x7f\x85",
]

# Text without the two things no HTML attribute can carry (refused, tested below).
carried_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=300,
)
hostile_text = st.one_of(st.sampled_from(HOSTILE), carried_text)


class FormShape(HTMLParser):
    """Records every start tag with its attributes, and any text outside tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        if data.strip():
            self.text.append(data)


def parse(html: str) -> FormShape:
    shape = FormShape()
    shape.feed(html)
    shape.close()
    return shape


def form_of(fields: list[tuple[str, str | None, str]], method: str = "POST") -> PayForm:
    return PayForm(
        action=ACTION,
        method=method,
        fields=tuple(
            FormField("hidden", name, field_id, value) for name, field_id, value in fields
        ),
    )


def assert_inert(shape: FormShape, fields, button_label: str) -> None:
    names = [tag for tag, _ in shape.tags]
    assert names == ["form", *["input"] * len(fields), "button"]
    for _, attributes in shape.tags:
        assert not any(name.startswith("on") for name in attributes)
        assert set(attributes) <= {"action", "method", "accept-charset", "type", "name", "id",
                                   "value"}  # fmt: skip
    form = shape.tags[0][1]
    assert (form["action"], form["method"]) == (ACTION, "post")
    for (name, field_id, value), (_, attributes) in zip(fields, shape.tags[1:], strict=False):
        assert attributes["type"] == "hidden"
        assert attributes["name"] == name
        assert attributes.get("id") == (field_id or None)
        assert attributes["value"] == value
    assert "".join(shape.text).strip() == button_label.strip()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.lists(st.tuples(hostile_text, st.none() | hostile_text, hostile_text), max_size=6),
    button_label=hostile_text.filter(lambda text: text.strip() != ""),
)
def test_hostile_names_values_and_labels_stay_inside_their_attributes(fields, button_label):
    html = render_pay_form(form_of(fields), allowed_hosts=HOSTS, button_label=button_label)
    assert "<script" not in html.lower()
    assert_inert(parse(html), fields, button_label)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_each_known_attack_string_round_trips_exactly(hostile):
    fields = [(hostile, hostile, hostile)]
    html = render_pay_form(form_of(fields), allowed_hosts=HOSTS, button_label=hostile)
    assert_inert(parse(html), fields, hostile)


def test_the_download_page_holds_exactly_the_same_form():
    fields = [("sid", "sid", '"><script>alert(1)</script>')]
    snippet = render_pay_form(form_of(fields), allowed_hosts=HOSTS)
    page = standalone_page(snippet, title="</title><script>alert(1)</script>")
    shape = parse(page)
    tags = [tag for tag, _ in shape.tags]
    assert tags == ["html", "head", "meta", "title", "body", "form", "input", "button"]
    assert shape.tags[6][1]["value"] == fields[0][2]
    assert shape.text[0] == "</title><script>alert(1)</script>"  # the title, as text


def test_the_gateway_example_renders_as_the_documented_form():
    form = PayForm(
        action="https://pay.begateway.com",
        method="GET",
        fields=(FormField("hidden", "sid", "sid", "185737d3d7f665641ab339ea38dc06bc"),),
    )
    html = render_pay_form(form, allowed_hosts=HOSTS, button_label="Оплатить")
    assert html == (
        '<form action="https://pay.begateway.com" method="get" accept-charset="UTF-8">\n'
        '  <input type="hidden" name="sid" id="sid" value="185737d3d7f665641ab339ea38dc06bc">\n'
        '  <button type="submit">Оплатить</button>\n'
        "</form>\n"
    )


@pytest.mark.parametrize(
    ("where", "value"),
    [("name", "a\x00b"), ("value", "\x00"), ("value", "\ud800"), ("label", "Pay\x00")],
)
def test_characters_html_cannot_carry_are_refused_not_altered(where, value):
    fields = [(value if where == "name" else "sid", None, value if where == "value" else "x")]
    label = value if where == "label" else "Pay"
    with pytest.raises(ValidationError):
        render_pay_form(form_of(fields), allowed_hosts=HOSTS, button_label=label)


@pytest.mark.parametrize("method", ["DELETE", "", "PO ST", "get; x", "dialog"])
def test_only_get_and_post_are_methods(method):
    with pytest.raises(ValidationError, match="GET or POST"):
        render_pay_form(form_of([], method=method), allowed_hosts=HOSTS)


@pytest.mark.parametrize("kind", ["file", "image", "submit", "button", 'hidden" onclick="x'])
def test_fields_cannot_become_pickers_images_or_buttons(kind):
    form = PayForm(ACTION, "POST", (FormField(kind, "sid", None, "1"),))
    with pytest.raises(ValidationError, match="may not be of type"):
        render_pay_form(form, allowed_hosts=HOSTS)
