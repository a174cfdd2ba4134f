"""Session state never holds a password, a password hash or a provider credential."""

from streamlit.testing.v1 import AppTest

from console.auth import LOGIN_THROTTLE, Role
from console.config import load_settings
from console.ledger import Ledger
from console.sessions import Authority, Directory
from console.ui import login
from console.ui.registry import ENTRY_SCRIPT
from console.users import add_user

APP = str(ENTRY_SCRIPT)
PASSWORD = "correct horse battery"
SECRETS = ("sandbox-secret", "sandbox-token", PASSWORD, "scrypt$")  # + the session token


def dump(at: AppTest) -> str:
    """Every user-visible key and value in the session, as a debugging dump would show it."""
    inner = object.__getattribute__(at.session_state, "_state")  # AppTest's wrapper hides it
    return " ".join(f"{key}={value!r}" for key, value in inner.filtered_state.items())


def test_after_login_and_a_page_the_session_holds_no_secret(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(secrets))
    monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(tmp_path / "ledger.db"))
    add_user("ann", Role.OPERATOR, PASSWORD, secrets)
    LOGIN_THROTTLE.reset()
    settings = load_settings()
    with Ledger(settings.ledger_path) as ledger:  # what the sign-in page does
        signed_in = Authority(ledger, Directory(secrets)).sign_in_password(
            "ann", PASSWORD, origin="console"
        )
    assert signed_in is not None
    monkeypatch.setattr(login, "session_token", lambda: signed_in.token)  # the cookie
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("SANDBOX" in w.value for w in at.warning)  # logged in: a page rendered
    at.switch_page("app_pages/activity.py").run()  # shows the (masked) configuration
    assert not at.exception
    state = dump(at)
    assert "ann" in state  # the dump is real: it holds the signed-in user
    for secret in (*SECRETS, signed_in.token):
        assert secret not in state, f"{secret!r} is in session state"
    LOGIN_THROTTLE.reset()
