"""Password hashes: scrypt, self-describing strings, clear refusals of malformed ones."""

import base64

import pytest

from console.auth import (
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    MalformedPasswordHash,
    hash_password,
    parse_password_hash,
    verify_password,
)
from console.errors import ConfigError

FAST = {"n": 2**10, "r": 8, "p": 1}  # cheap parameters where the default cost adds nothing


def test_default_hash_round_trips_and_says_how_it_was_made():
    encoded = hash_password("correct horse battery")
    assert encoded.startswith(f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}$")
    assert SCRYPT_N >= 2**14 and SCRYPT_R >= 8 and SCRYPT_P >= 1
    parsed = parse_password_hash(encoded)
    assert (len(parsed.salt), len(parsed.key)) == (16, 64)
    assert verify_password("correct horse battery", encoded)
    assert "correct horse battery" not in encoded


@pytest.mark.parametrize(
    "attempt", ["correct horse batterY", "correct horse battery ", "", "correct horse"]
)
def test_wrong_password_does_not_verify(attempt):
    assert not verify_password(attempt, hash_password("correct horse battery", **FAST))


def test_same_password_gets_a_fresh_salt_each_time():
    first, second = (hash_password("correct horse battery", **FAST) for _ in range(2))
    assert first != second
    assert verify_password("correct horse battery", first)
    assert verify_password("correct horse battery", second)


def test_parameters_are_read_from_the_string_so_they_can_be_upgraded():
    old = hash_password("correct horse battery", n=2**11, r=4, p=2)
    parsed = parse_password_hash(old)
    assert (parsed.n, parsed.r, parsed.p) == (2**11, 4, 2)
    assert verify_password("correct horse battery", old)
    # The same salt and key under other parameters is a different hash: no match.
    tampered = old.replace("$2048$4$2$", "$2048$4$1$")
    assert not verify_password("correct horse battery", tampered)


def test_unicode_passwords_match_however_they_were_composed():
    composed, decomposed = "pässwört-long-enough", "pa\u0308sswo\u0308rt-long-enough"
    assert verify_password(decomposed, hash_password(composed, **FAST))


SALT = base64.b64encode(b"s" * 16).decode()
KEY = base64.b64encode(b"k" * 64).decode()


@pytest.mark.parametrize(
    ("encoded", "says"),
    [
        ("", "expected scrypt$N$r$p$"),
        ("hunter2", "expected scrypt$N$r$p$"),
        (f"bcrypt$16384$8$1${SALT}${KEY}", "expected scrypt$N$r$p$"),
        (f"scrypt$16384$8${SALT}${KEY}", "expected scrypt$N$r$p$"),
        (f"scrypt$16384$8$1${SALT}${KEY}$extra", "expected scrypt$N$r$p$"),
        (f"scrypt$sixteen$8$1${SALT}${KEY}", "N must be a whole number"),
        (f"scrypt$-16384$8$1${SALT}${KEY}", "N must be a whole number"),
        (f"scrypt$16384$8$1.5${SALT}${KEY}", "p must be a whole number"),
        (f"scrypt$10000$8$1${SALT}${KEY}", "N must be a power of two"),
        (f"scrypt$1$8$1${SALT}${KEY}", "N must be a power of two"),
        (f"scrypt$16384$0$1${SALT}${KEY}", "r and p must be from 1 to 64"),
        (f"scrypt$16384$8$65${SALT}${KEY}", "r and p must be from 1 to 64"),
        (f"scrypt$1048576$64$1${SALT}${KEY}", "more memory or work"),
        (f"scrypt$16384$8$1$not*base64${KEY}", "salt is not valid base64"),
        (f"scrypt$16384$8$1${SALT}$ä", "hash is not valid base64"),
        (f"scrypt$16384$8$1$c2FsdA==${KEY}", "salt must be 8 to 64 bytes"),
        (f"scrypt$16384$8$1${SALT}$a2V5", "hash must be 16 to 128 bytes"),
    ],
)
def test_malformed_hash_is_refused_with_a_reason(encoded, says):
    with pytest.raises(MalformedPasswordHash) as caught:
        verify_password("correct horse battery", encoded)
    assert says in caught.value.message
    assert isinstance(caught.value, ConfigError)  # shown like any configuration problem
