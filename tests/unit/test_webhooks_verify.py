"""Who sent it: Content-Signature over the raw bytes, and the shop's HTTP Basic credentials."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from console.config import Secret
from console.errors import ConfigError
from console.webhooks import (
    BasicCredentials,
    RejectionBudget,
    ShopCredentials,
    SignatureVerifier,
    parse_basic_auth,
)

BODY = b'{"transaction":{"uid":"1-a","status":"successful","amount":1999,"currency":"BYN"}}'


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(private_key) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def signature(private_key, body: bytes, hash_algorithm=None) -> str:
    raw = private_key.sign(body, padding.PKCS1v15(), hash_algorithm or hashes.SHA256())
    return base64.b64encode(raw).decode()


def test_a_signature_over_the_exact_body_verifies(key):
    assert SignatureVerifier(pem(key)).verify(BODY, signature(key, BODY))


def test_the_signature_header_may_carry_surrounding_whitespace(key):
    assert SignatureVerifier(pem(key)).verify(BODY, f" {signature(key, BODY)}\n")


@pytest.mark.parametrize(
    "forge",
    [
        lambda key: (BODY.replace(b"1999", b"9999"), signature(key, BODY)),
        lambda key: (BODY + b" ", signature(key, BODY)),  # even whitespace counts
        lambda key: (BODY, signature(rsa.generate_private_key(65537, 2048), BODY)),
        lambda key: (BODY, signature(key, BODY, hashes.SHA1())),  # noqa: S303 - a forgery
        lambda key: (BODY, None),
        lambda key: (BODY, ""),
        lambda key: (BODY, "not base64 at all!"),
        lambda key: (BODY, base64.b64encode(b"short").decode()),
        lambda key: (BODY, "A" * 5000),
    ],
    ids=[
        "changed body",
        "added whitespace",
        "other key",
        "other hash",
        "no header",
        "empty header",
        "not base64",
        "wrong length",
        "huge header",
    ],
)
def test_anything_but_the_shops_signature_of_these_bytes_fails(key, forge):
    body, header = forge(key)
    assert SignatureVerifier(pem(key)).verify(body, header) is False


@pytest.mark.parametrize(
    "text",
    ["", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"],
    ids=["empty", "text", "broken PEM"],
)
def test_an_unreadable_public_key_is_a_config_error_naming_the_setting(text):
    with pytest.raises(ConfigError, match=r"\[bepaid\] public_key"):
        SignatureVerifier(text)


def test_a_non_rsa_public_key_is_refused():
    with pytest.raises(ConfigError, match="RSA"):
        SignatureVerifier(pem(ec.generate_private_key(ec.SECP256R1())))


def test_the_fingerprint_is_the_sha256_of_the_der_key(key):
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert SignatureVerifier(pem(key)).fingerprint == hashlib.sha256(der).hexdigest()


def basic(user_password: bytes, scheme: str = "Basic") -> str:
    return f"{scheme} {base64.b64encode(user_password).decode()}"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (basic(b"shop:secret"), BasicCredentials(b"shop", b"secret")),
        (basic(b"shop:se:cr:et"), BasicCredentials(b"shop", b"se:cr:et")),
        (basic(b"shop:"), BasicCredentials(b"shop", b"")),
        (basic(b"shop:secret", "basic"), BasicCredentials(b"shop", b"secret")),
        (basic("магазин:пароль".encode()), BasicCredentials("магазин".encode(), "пароль".encode())),
        (None, None),
        ("", None),
        ("Basic", None),
        ("Basic ", None),
        (basic(b"shop:secret", "Bearer"), None),
        (basic(b"no-colon"), None),
        ("Basic %%%", None),
    ],
    ids=[
        "plain",
        "colon in password",
        "empty password",
        "lower-case scheme",
        "utf-8",
        "missing",
        "empty",
        "scheme only",
        "scheme and space",
        "other scheme",
        "no colon",
        "not base64",
    ],
)
def test_basic_auth_headers_are_parsed_strictly(header, expected):
    assert parse_basic_auth(header) == expected


@pytest.mark.parametrize(
    ("given", "accepted"),
    [
        (BasicCredentials(b"sandbox-shop", b"sandbox-secret"), True),
        (BasicCredentials(b"sandbox-shop", b"sandbox-secreT"), False),
        (BasicCredentials(b"sandbox-shop", b"sandbox-secret "), False),
        (BasicCredentials(b"sandbox-sho", b"sandbox-secret"), False),
        (BasicCredentials(b"", b""), False),
        (None, False),
    ],
    ids=["right", "one letter off", "trailing space", "other shop", "empty", "none"],
)
def test_only_the_shops_own_credentials_match(given, accepted):
    credentials = ShopCredentials("sandbox-shop", Secret("sandbox-secret"))
    assert credentials.match(given) is accepted


def test_shop_credentials_never_show_the_secret():
    credentials = ShopCredentials("sandbox-shop", Secret("sandbox-secret"))
    assert "sandbox-secret" not in repr(credentials)
    with pytest.raises(ConfigError, match="secret key"):
        ShopCredentials("sandbox-shop", Secret(""))


def test_the_rejection_budget_refills_at_its_rate():
    now = [0.0]
    budget = RejectionBudget(30, clock=lambda: now[0])

    assert [budget.take() for _ in range(31)] == [True] * 30 + [False]
    assert budget.pop_unrecorded() == 1
    now[0] = 2.0  # half a token a second
    assert [budget.take() for _ in range(2)] == [True, False]
    now[0] = 3600.0  # never more than a minute's worth
    assert sum(budget.take() for _ in range(100)) == 30
    assert budget.pop_unrecorded() == 70 + 1
    assert budget.pop_unrecorded() == 0
