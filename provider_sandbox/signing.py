"""The sandbox's notification signing key: RSA 2048, PKCS#1 v1.5, SHA-256.

bePaid signs each notification body with its private key and sends the base64
signature in the ``Content-Signature`` header; the merchant verifies it with the
shop's public key. The sandbox does the same with its own key pair, which is
generated on first use and kept in the state DB (``kv`` table), so a restarted
sandbox keeps signing with the key the console was configured with. The public
key (PEM) is published at ``GET /__sandbox/public-key``.

Generation is lazy (first signature or public-key request) because most sandbox
instances in a test run never send a notification; ``server.run`` forces it at
start so the banner can print the key's fingerprint.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from provider_sandbox.core import Store

KEY_SIZE = 2048
PRIVATE_KEY_KV = "notification_private_key_pem"


class NotificationSigner:
    """Signs notification bodies with the sandbox's persistent RSA key."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._key: rsa.RSAPrivateKey | None = None
        self._lock = threading.Lock()

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The key pair, loaded from the store or generated (and stored) on first use."""
        with self._lock:
            if self._key is None:
                self._key = self._load_or_create()
            return self._key

    def sign(self, body: bytes) -> str:
        """Base64 of the RSA PKCS#1 v1.5 SHA-256 signature over exactly ``body``."""
        signature = self.private_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    @property
    def public_key_pem(self) -> str:
        """The public key as a PEM ``PUBLIC KEY`` block (SubjectPublicKeyInfo)."""
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER public key, hex: lets a person check which key is in use."""
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(der).hexdigest()

    def _load_or_create(self) -> rsa.RSAPrivateKey:
        pem = self._store.kv_get(PRIVATE_KEY_KV)
        if pem is not None:
            key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise TypeError("the sandbox state holds a non-RSA notification key")
            return key
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        self._store.kv_set(PRIVATE_KEY_KV, pem)
        return key


def hmac_signature(key: str, body: bytes) -> str:
    """base64 HMAC-SHA256 of ``body`` keyed with ``key`` (Payture notifications)."""
    digest = hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")
