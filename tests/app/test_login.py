"""The login gate: local mode passes through; with users, nothing renders until a login."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from console.auth import LOGIN_THROTTLE, Role
from console.ledger import Ledger
from console.ui.login import LOCAL_CAPTION
from console.users import add_user

APP = str(Path(__file__).with_name("login_app.py"))
PASSWORD = "correct horse battery"
PROTECTED = "Protected content"


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "secrets.toml"))
    monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(tmp_path / "ledger.db"))
    LOGIN_THROTTLE.reset()  # the throttle is per process, and AppTest runs in this one
    yield tmp_path
    LOGIN_THROTTLE.reset()


@pytest.fixture
def with_user(env):
    add_user("ann", Role.OPERATOR, PASSWORD, env / "secrets.toml")
    return env


def start():
    return AppTest.from_file(APP, default_timeout=30).run()


def shown(at):
    return " ".join(m.value for m in at.markdown)


def log_in(at, name, password):
    at.text_input(key="login.name").input(name)
    at.text_input(key="login.password").input(password)
    return at.button[0].click().run()  # the form's submit button


def test_local_mode_passes_through_with_a_caption(env):
    at = start()
    assert not at.exception
    assert LOCAL_CAPTION in [c.value for c in at.sidebar.caption]
    assert f"{PROTECTED} for local (admin)" in shown(at)
    assert not at.text_input


def test_with_users_only_the_form_shows(with_user):
    at = start()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    assert PROTECTED not in shown(at)


def test_wrong_password_shows_an_error_and_nothing_else(with_user):
    at = log_in(start(), "ann", "not the password")
    assert not at.exception
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    assert PROTECTED not in shown(at)
    assert not at.sidebar.button  # no logout: nobody is in
    with Ledger(with_user / "ledger.db") as ledger:
        (entry,) = ledger.recent_audit()
    assert (entry.actor, entry.action, entry.outcome) == ("ann", "login_failed", "refused")


def test_right_password_shows_the_content_and_logout_returns_to_the_form(with_user):
    at = log_in(start(), "ann", PASSWORD)
    assert not at.exception and not at.error
    assert f"{PROTECTED} for ann (operator)" in shown(at)
    assert not at.text_input  # the form is gone
    assert "Signed in as **ann** (operator)" in [c.value for c in at.sidebar.caption]
    at = at.run()  # stays logged in across reruns
    assert PROTECTED in shown(at)

    at = at.sidebar.button(key="login.logout").click().run()
    assert PROTECTED not in shown(at)
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    with Ledger(with_user / "ledger.db") as ledger:
        assert [e.action for e in ledger.recent_audit()] == ["logout", "login"]


def test_password_change_ends_the_session(with_user):
    at = log_in(start(), "ann", PASSWORD)
    assert PROTECTED in shown(at)
    add_user("ann", Role.OPERATOR, "a brand new password", with_user / "secrets.toml", replace=True)
    at = at.run()
    assert PROTECTED not in shown(at) and at.text_input


def test_lockout_is_explained_and_holds_against_the_right_password(with_user):
    at = start()
    for _ in range(5):
        at = log_in(at, "ann", "not the password")
    at = log_in(at, "ann", PASSWORD)
    assert "Too many failed attempts for this name. Try again in 5 min." in at.error[0].value
    assert PROTECTED not in shown(at)


def test_live_mode_without_users_shows_only_the_refusal(env, monkeypatch):
    monkeypatch.setenv("MERCHANT_CONSOLE_BEPAID_SHOP_ID", "361")
    monkeypatch.setenv("MERCHANT_CONSOLE_BEPAID_SECRET_KEY", "live-secret")
    at = start()
    assert not at.exception
    assert "Live mode refuses to start without users" in at.error[0].value
    assert PROTECTED not in shown(at) and not at.text_input
