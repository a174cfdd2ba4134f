"""The entry page tells the user which mode they are in and shows settings with secrets masked."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


def test_sandbox_badge_and_masked_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "none.toml"))
    monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(tmp_path / "ledger.db"))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert any("SANDBOX" in w.value for w in at.warning)
    shown = at.table[0].value.to_string()
    assert "sandbox-shop" in shown
    assert "sandbox-secret" not in shown  # the key is masked even for the sandbox


def test_bad_setting_is_a_message_not_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "none.toml"))
    monkeypatch.setenv("MERCHANT_CONSOLE_TIMEZONE", "Mars/Olympus")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "MERCHANT_CONSOLE_TIMEZONE" in at.error[0].value
