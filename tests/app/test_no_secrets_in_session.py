"""Session state never holds a password, a password hash or a provider credential."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from console.auth import LOGIN_THROTTLE, Role
from console.users import add_user

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
PASSWORD = "correct horse battery"
SECRETS = ("sandbox-secret", "sandbox-token", PASSWORD, "scrypt$")


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
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login.name").input("ann")
    at.text_input(key="login.password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert any("SANDBOX" in w.value for w in at.warning)  # logged in: a page rendered
    at.switch_page("app_pages/activity.py").run()  # shows the (masked) configuration
    assert not at.exception
    state = dump(at)
    assert "ann" in state  # the dump is real: it holds the signed-in user
    for secret in SECRETS:
        assert secret not in state, f"{secret!r} is in session state"
    LOGIN_THROTTLE.reset()
