"""Who sent this? HTTP Basic shop credentials and the ``Content-Signature`` header.

bePaid authenticates a notification twice: HTTP Basic with the shop's id and
secret key, and ``Content-Signature``: base64 of an RSA PKCS#1 v1.5 SHA-256
signature over the raw body, made with bePaid's private key and checked with
the shop's public key. The receiver requires both.

Payture bills (behind-api) define no scheme: the doc's webhook example leaves
``verifyWebhookSignature`` to the merchant. The console and its sandbox agree on
``Content-Signature`` = base64 HMAC-SHA256 over the raw body, keyed with the
behind-api access token (:class:`HmacVerifier`) — and, whatever the body says, the
receiver believes only billStatus (see ``billing.notifications``).

Both credential parts are compared with :func:`hmac.compare_digest`, each one
always (``&``, not ``and``), so the time taken says nothing about how much of a
guess was right. The signature is checked over the bytes exactly as received —
parsing and re-serialising the JSON first would change them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from console.config import Secret
from console.errors import ConfigError

#: An RSA signature is as long as the key; 1 KiB of base64 covers RSA-4096 with room.
MAX_SIGNATURE_CHARS = 1024


@dataclass(frozen=True, slots=True)
class BasicCredentials:
    """User and password from an ``Authorization: Basic`` header, as bytes."""

    user: bytes
    password: bytes


def parse_basic_auth(header: str | None) -> BasicCredentials | None:
    """The credentials in an ``Authorization`` header, or None when it is not valid Basic.

    The scheme is case-insensitive (RFC 7617); the password may contain ``:``,
    the user id may not.
    """
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, colon, password = decoded.partition(b":")
    if not colon:
        return None
    return BasicCredentials(user, password)


class ShopCredentials:
    """The shop id and secret key a notification must carry."""

    __slots__ = ("_password", "_user")

    def __init__(self, shop_id: str, secret_key: Secret) -> None:
        if not shop_id or not secret_key:
            raise ConfigError(
                "The notification receiver needs the bePaid shop id and secret key "
                "([bepaid] shop_id / secret_key) to check who is calling."
            )
        self._user = shop_id.encode("utf-8")
        self._password = secret_key.reveal().encode("utf-8")

    def match(self, credentials: BasicCredentials | None) -> bool:
        """True when ``credentials`` are the shop's, compared in constant time."""
        if credentials is None:
            return False
        same_user = hmac.compare_digest(credentials.user, self._user)
        same_password = hmac.compare_digest(credentials.password, self._password)
        return same_user & same_password

    def __repr__(self) -> str:
        return "ShopCredentials(********)"


class SignatureVerifier:
    """Checks ``Content-Signature`` headers with one RSA public key, parsed once."""

    __slots__ = ("_key",)

    def __init__(self, public_key_pem: str) -> None:
        """Load the PEM public key.

        Raises:
            ConfigError: the text is not a PEM RSA public key.
        """
        try:
            key = serialization.load_pem_public_key(public_key_pem.strip().encode("ascii"))
        except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm):
            raise ConfigError(
                "[bepaid] public_key is not a readable PEM public key "
                "(-----BEGIN PUBLIC KEY----- ... as shown in the bePaid back office)."
            ) from None
        if not isinstance(key, rsa.RSAPublicKey):
            raise ConfigError("[bepaid] public_key must be an RSA key: bePaid signs with RSA.")
        self._key = key

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER public key, hex (the sandbox's banner prints the same value)."""
        der = self._key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(der).hexdigest()

    def verify(self, body: bytes, signature_header: str | None) -> bool:
        """True when ``signature_header`` is a valid signature of exactly ``body``."""
        if not signature_header or len(signature_header) > MAX_SIGNATURE_CHARS:
            return False
        try:
            signature = base64.b64decode(signature_header.strip(), validate=True)
            self._key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True


class HmacVerifier:
    """Checks a base64 HMAC-SHA256 ``Content-Signature`` (Payture notifications)."""

    __slots__ = ("_key",)

    def __init__(self, key: Secret) -> None:
        if not key:
            raise ConfigError(
                "Payture notifications need the behind-api access token ([payture] "
                "access_token) to check who is calling."
            )
        self._key = key.reveal().encode("utf-8")

    def verify(self, body: bytes, signature_header: str | None) -> bool:
        """True when ``signature_header`` is the HMAC of exactly ``body`` (constant time)."""
        if not signature_header or len(signature_header) > MAX_SIGNATURE_CHARS:
            return False
        try:
            given = base64.b64decode(signature_header.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        expected = hmac.new(self._key, body, hashlib.sha256).digest()
        return hmac.compare_digest(given, expected)

    def __repr__(self) -> str:
        return "HmacVerifier(********)"
