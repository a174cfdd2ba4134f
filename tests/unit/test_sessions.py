"""Sessions: a sign-in lasts until logout, idle time or an admin's change — checked at each use."""

from datetime import UTC, datetime, timedelta

import pytest

from console.auth import LOCAL_ADMIN, LOGIN_THROTTLE, Actor, Role
from console.config import load_settings
from console.ledger import Ledger
from console.sessions import Authority, Directory, SessionEnded, session_id
from console.users import add_user

PASSWORD = "correct horse battery"
SSO = """
[auth]
redirect_uri = "http://127.0.0.1:8501/oauth2callback"
cookie_secret = "a long random cookie secret"
client_id = "console"
client_secret = "client-secret"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"

[sso.roles]
"ann@example.com" = "operator"
"*@example.org" = "viewer"
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.delenv("MERCHANT_CONSOLE_SESSION_IDLE_MINUTES", raising=False)
    LOGIN_THROTTLE.reset()
    yield tmp_path
    LOGIN_THROTTLE.reset()


@pytest.fixture
def desk(home):
    secrets = home / "secrets.toml"
    add_user("ann", Role.OPERATOR, PASSWORD, secrets)
    clock = Clock()
    with Ledger(home / "ledger.db") as ledger:
        yield Authority(ledger, Directory(secrets), clock=clock), clock, secrets, ledger


def test_a_sign_in_resumes_from_its_token_and_stores_no_token(desk):
    authority, _clock, _secrets, ledger = desk
    signed_in = authority.sign_in_password("ann", PASSWORD, origin="console")
    assert signed_in is not None and len(signed_in.token) >= 43  # 256 random bits
    actor = authority.resume(signed_in.token, origin="console")
    assert (actor.name, actor.role) == ("ann", Role.OPERATOR)
    assert actor.session == signed_in.actor.session
    (row,) = ledger.sessions.open()
    assert row.id == session_id(signed_in.token) != signed_in.token
    stored = ledger.connection().execute("SELECT * FROM console_sessions").fetchone()
    dump = " ".join(str(value) for value in stored)
    assert signed_in.token not in dump


def test_a_wrong_password_makes_no_session(desk):
    authority, _clock, _secrets, ledger = desk
    assert authority.sign_in_password("ann", "not the password", origin="console") is None
    assert ledger.sessions.open() == []
    assert ledger.recent_audit(1)[0].action == "login_failed"


@pytest.mark.parametrize("token", ["", "made-up-token", "x" * 300])
def test_an_unknown_token_is_refused(desk, token):
    authority = desk[0]
    with pytest.raises(SessionEnded):
        authority.resume(token, origin="console")


def test_idle_for_the_timeout_ends_it_and_activity_keeps_it(desk):
    authority, clock, _secrets, ledger = desk
    token = authority.sign_in_password("ann", PASSWORD, origin="console").token
    for _ in range(10):  # active all day: a step every hour
        clock.now += timedelta(hours=1)
        authority.resume(token, origin="console")
    clock.now += timedelta(hours=8, seconds=1)
    with pytest.raises(SessionEnded) as ended:
        authority.resume(token, origin="console")
    assert ended.value.reason == "idle"
    assert ledger.sessions.open() == []
    assert ledger.recent_audit(1)[0].action == "session_ended"


def test_the_idle_timeout_is_a_setting(desk, monkeypatch):
    authority, clock, _secrets, _ledger = desk
    monkeypatch.setenv("MERCHANT_CONSOLE_SESSION_IDLE_MINUTES", "30")
    token = authority.sign_in_password("ann", PASSWORD, origin="console").token
    clock.now += timedelta(minutes=31)
    with pytest.raises(SessionEnded, match="without activity"):
        authority.resume(token, origin="console")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda s: add_user("ann", Role.VIEWER, PASSWORD, s, replace=True), "role_changed"),
        (lambda s: add_user("ann", Role.OPERATOR, "another password!", s, replace=True),
         "password_changed"),
        (lambda s: s.write_text(""), "removed"),
    ],
)  # fmt: skip
def test_an_admin_change_ends_every_session_of_the_person(desk, change, reason):
    authority, _clock, secrets, ledger = desk
    first = authority.sign_in_password("ann", PASSWORD, origin="console")
    second = authority.sign_in_password("ann", PASSWORD, origin="console")  # another browser
    change(secrets)
    for signed_in in (first, second):
        with pytest.raises(SessionEnded) as ended:
            authority.current(signed_in.actor)  # what billing asks before it acts
        assert ended.value.reason == reason
    assert ledger.sessions.open() == []


def test_the_role_billing_sees_is_the_current_one_not_the_one_in_hand(desk):
    authority, *_ = desk
    signed_in = authority.sign_in_password("ann", PASSWORD, origin="console")
    stale = Actor("ann", Role.ADMIN, "console", session=signed_in.actor.session)  # forged role
    assert authority.current(stale).role == Role.OPERATOR


def test_log_out_ends_it_once_and_says_so(desk):
    authority, _clock, _secrets, ledger = desk
    signed_in = authority.sign_in_password("ann", PASSWORD, origin="console")
    assert authority.sign_out(signed_in.actor) == "password"
    authority.sign_out(signed_in.actor)  # a second tab's click: nothing more
    with pytest.raises(SessionEnded) as ended:
        authority.resume(signed_in.token, origin="console")
    assert ended.value.reason == "logout"
    assert [e.action for e in ledger.recent_audit()] == ["logout", "login"]


def test_the_local_actor_is_refused_once_users_exist(home):
    with Ledger(home / "ledger.db") as ledger:
        authority = Authority(ledger, Directory(home / "secrets.toml"))
        assert authority.current(LOCAL_ADMIN) is LOCAL_ADMIN  # no users: local mode
        add_user("ann", Role.OPERATOR, PASSWORD, home / "secrets.toml")
        with pytest.raises(SessionEnded, match="Local mode has ended"):
            authority.current(LOCAL_ADMIN)


def test_process_actors_act_with_their_own_role(desk):
    authority = desk[0]
    sync = Actor("sync", Role.SUPPORT, "sync")
    assert authority.current(sync) is sync


def test_sso_identities_get_their_mapped_role_or_nothing(home):
    secrets = home / "secrets.toml"
    secrets.write_text(SSO)
    assert load_settings(env={}, secrets_path=secrets).is_local is False
    claims = {"iss": "idp", "sub": "1", "iat": 1, "nonce": "n", "email": "Ann@Example.com"}
    with Ledger(home / "ledger.db") as ledger:
        authority = Authority(ledger, Directory(secrets))
        ann = authority.sign_in_sso(claims, origin="console").actor
        assert (ann.name, ann.role) == ("ann@example.com", Role.OPERATOR)
        again = authority.sign_in_sso(claims, origin="console").actor  # next rerun, same sign-in
        assert again.session == ann.session and len(ledger.sessions.open()) == 1
        bob = authority.sign_in_sso({**claims, "sub": "2", "email": "bob@example.org"}, origin="c")
        assert bob.actor.role == Role.VIEWER  # by the domain rule
        with pytest.raises(Exception, match="has no access"):
            authority.sign_in_sso({**claims, "sub": "3", "email": "eve@evil.test"}, origin="c")
        assert ledger.recent_audit(1)[0].action == "login_failed"
        secrets.write_text(SSO.replace('"ann@example.com" = "operator"', ""))
        with pytest.raises(SessionEnded) as ended:
            authority.current(ann)
        assert ended.value.reason == "removed"
