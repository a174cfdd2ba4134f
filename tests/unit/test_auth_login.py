"""Logging in: right, wrong and unknown users, lockout, and an audit row for every attempt."""

import hashlib

import pytest

from console.auth import (
    Actor,
    LoginThrottle,
    Role,
    UserRecord,
    authenticate,
    hash_password,
    login_name,
)
from console.ledger import Ledger

PASSWORD = "correct horse battery"
WRONG = "Tr0ub4dor&3-wrong"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def users():
    cheap = hash_password(PASSWORD, n=2**10, r=8, p=1)  # logic tests need no real cost
    return {
        "ann": UserRecord("ann", Role.OPERATOR, cheap),
        "vic": UserRecord("vic", Role.VIEWER, cheap),
    }


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        yield ledger


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def throttle(clock):
    return LoginThrottle(clock=clock)


def login(users, name, password, ledger=None, throttle=None):
    return authenticate(users, name, password, ledger=ledger, origin="test", throttle=throttle)


def test_right_password_gives_the_user_with_their_role(users, ledger, throttle):
    actor = login(users, "ann", PASSWORD, ledger, throttle)
    assert actor == Actor("ann", Role.OPERATOR, "test")
    (entry,) = ledger.recent_audit()
    assert (entry.actor, entry.action, entry.outcome, entry.origin) == (
        "ann",
        "login",
        "ok",
        "test",
    )


@pytest.mark.parametrize(
    ("name", "password", "audited_as", "reason"),
    [
        ("ann", WRONG, "ann", "wrong password"),
        ("ann", "", "ann", "wrong password"),
        ("nobody", PASSWORD, "nobody", "unknown user"),
        ("", PASSWORD, "(blank)", "unknown user"),
        # A password typed into the name field must not land in the audit log.
        ("Hunter2 Secret!", PASSWORD, "(malformed name)", "unknown user"),
    ],
)
def test_failed_login_is_refused_and_audited(
    users, ledger, throttle, name, password, audited_as, reason
):
    assert login(users, name, password, ledger, throttle) is None
    (entry,) = ledger.recent_audit()
    assert (entry.actor, entry.action, entry.outcome) == (audited_as, "login_failed", "refused")
    assert reason in entry.detail


def test_names_are_matched_without_case_or_surrounding_spaces(users, throttle):
    assert login(users, "  Ann ", PASSWORD, throttle=throttle).name == "ann"
    assert login_name("  Ann ") == "ann"


def test_password_never_reaches_the_ledger_file(tmp_path, users, throttle):
    path = tmp_path / "ledger.db"
    with Ledger(path) as ledger:
        login(users, "ann", PASSWORD, ledger, throttle)
        login(users, "ann", WRONG, ledger, throttle)
        login(users, "ghost", WRONG, ledger, throttle)
        assert len(ledger.recent_audit()) == 3
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("ledger.db"))
    assert b"ghost" in stored  # the rows are there ...
    assert PASSWORD.encode() not in stored and WRONG.encode() not in stored  # ... the secrets not


def test_five_failures_lock_the_name_for_five_minutes(users, ledger, clock, throttle):
    for _ in range(5):
        assert login(users, "ann", WRONG, ledger, throttle) is None
        clock.now += 30
    assert throttle.seconds_locked("ann") > 0
    # Locked: even the right password is refused, and the refusal says why.
    assert login(users, "ann", PASSWORD, ledger, throttle) is None
    assert "locked out" in ledger.recent_audit(1)[0].detail
    # Other names are not affected.
    assert login(users, "vic", PASSWORD, ledger, throttle) is not None
    clock.now += 300
    assert login(users, "ann", PASSWORD, ledger, throttle) is not None


def test_failures_spread_beyond_the_window_do_not_lock(users, clock, throttle):
    for _ in range(8):
        login(users, "ann", WRONG, throttle=throttle)
        clock.now += 76  # at most 4 failures in any 5 minutes
    assert login(users, "ann", PASSWORD, throttle=throttle) is not None


def test_success_clears_the_failure_count(users, throttle):
    for _ in range(4):
        login(users, "ann", WRONG, throttle=throttle)
    assert login(users, "ann", PASSWORD, throttle=throttle) is not None
    for _ in range(4):
        login(users, "ann", WRONG, throttle=throttle)
    assert login(users, "ann", PASSWORD, throttle=throttle) is not None


def test_unknown_names_lock_too_so_a_lockout_reveals_nothing(users, throttle):
    for _ in range(5):
        login(users, "mallory", WRONG, throttle=throttle)
    assert throttle.seconds_locked("mallory") > 0


def test_throttle_memory_is_bounded(clock):
    throttle = LoginThrottle(max_names=3, clock=clock)
    for name in ["a", "b", "c", "d", "e"]:
        throttle.failed(name)
    assert len(throttle._failures) == 3


def test_unknown_name_costs_one_scrypt_like_a_known_one(users, monkeypatch, throttle):
    # Timing must not reveal which names exist: both paths run exactly one scrypt.
    login(users, "nobody", WRONG, throttle=throttle)  # builds the cached dummy hash
    calls = []
    real = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    login(users, "ann", WRONG, throttle=throttle)
    login(users, "nobody", WRONG, throttle=throttle)
    assert len(calls) == 2
