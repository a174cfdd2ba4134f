"""A pay form only ever sends the payer to an expected payment host; QR codes only encode
web addresses."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from console.config import load_settings
from console.errors import ValidationError
from console.payform import (
    QR_BORDER,
    QR_SCALE,
    allowed_form_hosts,
    check_form_action,
    qr_code,
    qr_png,
    qr_svg,
    render_pay_form,
    sandbox_origin_of,
)
from console.providers import FormField, PayForm

HOSTS = ("bepaid.by", "begateway.com")
SANDBOX = "http://127.0.0.1:8600"


@pytest.mark.parametrize(
    "action",
    [
        "https://bepaid.by/pay",
        "https://pay.bepaid.by/apm?sid=1",
        "https://checkout.begateway.com:8443/x",
        "https://PAY.BEPAID.BY/upper",
        f"{SANDBOX}/external/apm/8759cf84",
        "http://127.0.0.1:8600",
    ],
)
def test_expected_payment_hosts_are_accepted(action):
    assert check_form_action(action, allowed_hosts=HOSTS, sandbox_origin=SANDBOX) == action


@pytest.mark.parametrize(
    ("action", "why"),
    [
        ("javascript:alert(1)", "http"),
        ("JaVaScRiPt:alert(document.cookie)", "http"),
        ("data:text/html,<form>", "http"),
        ("vbscript:msgbox", "http"),
        ("//evil.example/pay", "http"),
        ("/relative/path", "http"),
        ("", "missing"),
        ("http://pay.bepaid.by/apm", "https"),  # a provider host, but not over https
        ("https://evil.example/pay", "not an allowed payment host"),
        ("https://bepaid.by.evil.example/", "not an allowed payment host"),
        ("https://evilbepaid.by/", "not an allowed payment host"),
        ("https://evil.example\\@bepaid.by/", "backslashes"),
        ("https://user:pw@pay.bepaid.by/", "user name"),
        ("https://pay.bepaid.by/ x", "spaces"),
        ("https://pay.bepaid.by/\x00", "control"),
        ("http://127.0.0.1:8601/", "https"),  # loopback, but not the sandbox's port
        ("http://localhost:8600/", "https"),  # another spelling is another origin
        ("https://pay.bepaid.by:99999/", "not a valid"),
        ("https://pay.bepaid.by/" + "a" * 3000, "more than"),
    ],
)
def test_other_addresses_are_refused_with_a_reason(action, why):
    with pytest.raises(ValidationError, match=why):
        check_form_action(action, allowed_hosts=HOSTS, sandbox_origin=SANDBOX)


def test_without_a_sandbox_origin_loopback_http_is_refused():
    with pytest.raises(ValidationError, match="https"):
        check_form_action(f"{SANDBOX}/external/apm/1", allowed_hosts=HOSTS)


def test_rendering_refuses_a_form_to_an_arbitrary_host():
    form = PayForm("https://evil.example/steal", "POST", (FormField("hidden", "sid", None, "1"),))
    with pytest.raises(ValidationError, match=r"evil\.example"):
        render_pay_form(form, allowed_hosts=HOSTS, sandbox_origin=SANDBOX)


def test_sandbox_settings_allow_the_sandbox_origin_and_live_settings_do_not(tmp_path):
    missing = tmp_path / "none.toml"
    sandbox = load_settings({"MERCHANT_CONSOLE_SANDBOX_PORT": "8700"}, missing)
    assert sandbox_origin_of(sandbox) == "http://127.0.0.1:8700"
    assert {"bepaid.by", "begateway.com", "127.0.0.1"} <= set(allowed_form_hosts(sandbox))
    secrets = tmp_path / "live.toml"
    secrets.write_text('mode = "live"\n[bepaid]\nshop_id = "1"\nsecret_key = "k"\n')
    live = load_settings({}, secrets)
    assert sandbox_origin_of(live) is None
    assert {"api.bepaid.by", "checkout.bepaid.by", "gateway.bepaid.by"} <= set(
        allowed_form_hosts(live)
    )


# -- QR codes -------------------------------------------------------------------------

PAY_LINKS = [
    "https://checkout.bepaid.by/v2/checkout?token=" + "ab12" * 16,
    "http://127.0.0.1:8600/apim/Pay?SessionId=550e8400-e29b-41d4-a716-446655440001",
    "https://example.com/" + "x" * 2000,
]


@pytest.mark.parametrize("url", PAY_LINKS)
def test_a_pay_link_becomes_a_png_the_size_of_its_code(url):
    png = qr_png(url)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # IHDR
    modules = qr_code(url).symbol_size(scale=1, border=QR_BORDER)[0]
    assert width == height == modules * QR_SCALE


@pytest.mark.parametrize("url", PAY_LINKS[:2])
def test_a_pay_link_becomes_a_standalone_svg(url):
    root = ET.fromstring(qr_svg(url))  # noqa: S314 - our own output, parsed to check it
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.get("width")) == qr_code(url).symbol_size(scale=QR_SCALE)[0]


def test_the_same_link_always_gives_the_same_code():
    assert qr_png(PAY_LINKS[0]) == qr_png(PAY_LINKS[0])
    assert qr_png(PAY_LINKS[0]) != qr_png(PAY_LINKS[1])


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/plain,hello",
        "mailto:shop@example.com",
        "ftp://example.com/x",
        "example.com/pay",
        "",
        "https://example.com/ pay",
        "https://example.com/" + "x" * 3000,
        None,
        Path("/etc/passwd"),
    ],
)
def test_qr_codes_refuse_anything_but_a_web_address(url):
    with pytest.raises(ValidationError):
        qr_png(url)
    with pytest.raises(ValidationError):
        qr_svg(url)
