"""The login gate in the script run: local mode passes through; with users, only a valid
session (the cookie the sign-in page sets) lets content render, and the person is checked
as they stand now on every run."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from console.auth import LOGIN_THROTTLE, Role
from console.config import load_settings
from console.ledger import Ledger
from console.sessions import Authority, Directory
from console.ui import login
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


def sign_in(home: Path, monkeypatch, name: str = "ann", password: str = PASSWORD) -> str:
    """What the sign-in page does, then the cookie the browser would send (AppTest cannot
    send cookies, so the gate's one cookie read is pointed at the token)."""
    settings = load_settings()
    with Ledger(settings.ledger_path) as ledger:
        signed_in = Authority(ledger, Directory(settings.secrets_path)).sign_in_password(
            name, password, origin="console"
        )
    assert signed_in is not None
    monkeypatch.setattr(login, "session_token", lambda: signed_in.token)
    return signed_in.token


def start(query: dict[str, str] | None = None):
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def shown(at):
    return " ".join(m.value for m in at.markdown)


def test_local_mode_passes_through_with_a_caption(env):
    at = start()
    assert not at.exception
    assert LOCAL_CAPTION in [c.value for c in at.sidebar.caption]
    assert f"{PROTECTED} for local (admin)" in shown(at)


def test_without_a_session_nothing_renders_and_sign_in_keeps_the_page_asked_for(with_user):
    at = start({"q": "B12"})
    assert not at.exception
    assert PROTECTED not in shown(at)
    assert at.info[0].value == "Please sign in to use the console."
    assert "[Sign in](/session/login?next=%2F%3Fq%3DB12)" in shown(at)


def test_a_valid_session_shows_the_content_on_every_run(with_user, monkeypatch):
    sign_in(with_user, monkeypatch)
    at = start()
    assert not at.exception and not at.error
    assert f"{PROTECTED} for ann (operator)" in shown(at)
    assert "Signed in as **ann** (operator)" in [c.value for c in at.sidebar.caption]
    assert PROTECTED in shown(at.run())  # a rerun, as a reload or a click does


def test_log_out_ends_the_session_for_every_tab(with_user, monkeypatch):
    sign_in(with_user, monkeypatch)
    tab, other_tab = start(), start()
    assert PROTECTED in shown(tab) and PROTECTED in shown(other_tab)
    tab = tab.sidebar.button(key="login_logout").click().run()
    assert PROTECTED not in shown(tab)
    assert "You have logged out" in tab.info[0].value
    other_tab = other_tab.run()  # its next step, with the same cookie
    assert PROTECTED not in shown(other_tab)
    with Ledger(with_user / "ledger.db") as ledger:
        assert [e.action for e in ledger.recent_audit()] == ["logout", "login"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("password", "Your password was changed"),
        ("role", "An admin changed your role"),
    ],
)
def test_an_admin_change_ends_the_session(with_user, monkeypatch, change, said):
    sign_in(with_user, monkeypatch)
    at = start()
    assert PROTECTED in shown(at)
    secrets = with_user / "secrets.toml"
    if change == "password":
        add_user("ann", Role.OPERATOR, "a brand new password", secrets, replace=True)
    else:
        add_user("ann", Role.VIEWER, PASSWORD, secrets, replace=True)
    at = at.run()
    assert PROTECTED not in shown(at)
    assert said in at.info[0].value


def test_live_mode_without_users_shows_only_the_refusal(env, monkeypatch):
    monkeypatch.setenv("MERCHANT_CONSOLE_BEPAID_SHOP_ID", "361")
    monkeypatch.setenv("MERCHANT_CONSOLE_BEPAID_SECRET_KEY", "live-secret")
    at = start()
    assert not at.exception
    assert "Live mode refuses to start without users" in at.error[0].value
    assert PROTECTED not in shown(at)


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.20", ""])  # noqa: S104
def test_local_mode_refuses_to_serve_on_a_network_address(env, address):
    from streamlit import config

    config.set_option("server.address", address)  # put back by the autouse fixture
    at = start()
    assert not at.exception
    assert "Local mode serves this computer only" in at.error[0].value
    assert PROTECTED not in shown(at)
