"""The entry script: mode badge on every page, the role's pages only, errors as messages."""

from streamlit.testing.v1 import AppTest

from console.ui.registry import ENTRY_SCRIPT
from tests.support.markdown import as_shown

APP = str(ENTRY_SCRIPT)


def _app(monkeypatch, tmp_path) -> AppTest:
    monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "none.toml"))
    monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(tmp_path / "ledger.db"))
    return AppTest.from_file(APP, default_timeout=60)


def test_sandbox_badge_on_the_start_page(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path).run()
    assert not at.exception
    assert any("SANDBOX" in w.value for w in at.warning)


def test_every_page_of_the_local_admin_opens_with_the_badge(monkeypatch, tmp_path):
    from console.auth import LOCAL_ADMIN
    from console.ui.registry import pages_for

    at = _app(monkeypatch, tmp_path).run()
    for spec in pages_for(LOCAL_ADMIN):
        at.switch_page(f"app_pages/{spec.file}").run()  # relative to the entry script
        assert not at.exception, spec.key
        assert any("SANDBOX" in w.value for w in at.warning), spec.key
        assert at.title and at.title[0].value, spec.key


def test_bad_setting_is_a_message_not_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "none.toml"))
    monkeypatch.setenv("MERCHANT_CONSOLE_TIMEZONE", "Mars/Olympus")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "MERCHANT_CONSOLE_TIMEZONE" in as_shown(at.error[0].value)
