"""Settings: sandbox by default, live with credentials, and a message naming any bad setting."""

from pathlib import Path

import pytest

from console.auth import Role, hash_password
from console.config import Secret, check_users_for_console, load_settings
from console.errors import ConfigError

NO_FILE = "/nonexistent/secrets.toml"


def test_defaults_to_sandbox_with_documented_credentials():
    settings = load_settings(env={}, secrets_path=NO_FILE)
    assert settings.mode == "sandbox" and settings.is_sandbox
    assert settings.ledger_path == Path.cwd() / "data/ledger.db"  # absolute, from here
    assert settings.timezone.key == "UTC"
    assert settings.bepaid.shop_id == "361"
    assert settings.bepaid.secret_key.reveal() == "sandbox-secret"
    assert settings.payture.access_token.reveal() == "sandbox-token"
    assert settings.bepaid.api_url == "http://127.0.0.1:8600"


def test_environment_selects_ledger_and_time_zone():
    env = {"MERCHANT_CONSOLE_LEDGER": "/tmp/x.db", "MERCHANT_CONSOLE_TIMEZONE": "Europe/Minsk"}
    settings = load_settings(env=env, secrets_path=NO_FILE)
    assert settings.ledger_path == Path("/tmp/x.db")
    assert settings.timezone.key == "Europe/Minsk"


def test_credentials_in_the_file_switch_to_live(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[bepaid]\nshop_id = "361"\nsecret_key = "s3cr3t-value"\n')
    settings = load_settings(env={}, secrets_path=secrets)
    assert settings.mode == "live"
    assert settings.bepaid.api_url == "https://api.bepaid.by"
    assert settings.payture is None
    assert "s3cr3t-value" not in repr(settings)
    assert "s3cr3t-value" not in str(settings.masked())


def test_environment_wins_over_the_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('timezone = "Europe/Berlin"\n')
    settings = load_settings(env={"MERCHANT_CONSOLE_TIMEZONE": "Asia/Tokyo"}, secrets_path=secrets)
    assert settings.timezone.key == "Asia/Tokyo"


def test_secret_never_shows_itself():
    secret = Secret("hunter2-very-secret")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret}"


@pytest.mark.parametrize(
    ("env", "file_text", "named"),
    [
        ({"MERCHANT_CONSOLE_MODE": "prod"}, "", "MERCHANT_CONSOLE_MODE"),
        ({"MERCHANT_CONSOLE_MODE": "live"}, "", "Live mode needs provider credentials"),
        ({"MERCHANT_CONSOLE_TIMEZONE": "Mars/Olympus"}, "", "MERCHANT_CONSOLE_TIMEZONE"),
        ({"MERCHANT_CONSOLE_SANDBOX_PORT": "eighty"}, "", "[sandbox] port"),
        ({"MERCHANT_CONSOLE_SANDBOX_PORT": "70000"}, "", "MERCHANT_CONSOLE_SANDBOX_PORT"),
        ({"MERCHANT_CONSOLE_HTTP_READ_TIMEOUT": "nan"}, "", "[http] read_timeout"),
        ({"MERCHANT_CONSOLE_MAX_AMOUNT_MINOR": "0"}, "", "max_amount_minor"),
        ({}, '[bepaid]\nshop_id = "361"\n', "[bepaid] secret_key"),
        (
            {},
            '[bepaid]\nshop_id = "1"\nsecret_key = "k"\napi_url = "http://api.bepaid.by"\n',
            "must use https in live mode",
        ),
        (
            {},
            '[bepaid]\nshop_id = "1"\nsecret_key = "k"\napi_url = "javascript:alert(1)"\n',
            "[bepaid] api_url",
        ),
        (
            {},
            '[bepaid]\nshop_id = "1"\nsecret_key = "k"\napi_url = "https://u:p@api.bepaid.by"\n',
            "must not carry credentials",
        ),
        ({}, '[bepaid]\nshop_id = "1"\nsecret_key = "k"\npublic_key = "abc"\n', "PEM"),
        ({}, '[payture]\naccess_token = "t"\n', "[payture] base_url"),
        ({}, "this is = = not toml", "is not valid TOML"),
        ({}, 'bepaid = "oops"\n', "[bepaid] in the secrets file must be a table"),
    ],
)
def test_bad_setting_fails_at_start_naming_it(tmp_path, env, file_text, named):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(file_text)
    with pytest.raises(ConfigError) as caught:
        load_settings(env=env, secrets_path=secrets)
    assert named in caught.value.message


def test_notification_url_defaults_to_the_local_receiver_in_sandbox_mode():
    settings = load_settings(env={}, secrets_path=NO_FILE)
    assert settings.webhook_url == "http://127.0.0.1:8601"


def test_live_notification_url_must_be_https(tmp_path):
    secrets = tmp_path / "secrets.toml"
    base = '[bepaid]\nshop_id = "1"\nsecret_key = "k"\n'
    secrets.write_text(base)
    assert load_settings(env={}, secrets_path=secrets).webhook_url is None  # polling only
    secrets.write_text(base + '[webhooks]\nurl = "http://console.example/n"\n')
    with pytest.raises(ConfigError, match=r"\[webhooks\] url"):
        load_settings(env={}, secrets_path=secrets)


# --- Users (console.users) ---------------------------------------------------------------


def _users_file(tmp_path, body=""):
    secrets = tmp_path / "secrets.toml"
    cheap = hash_password("correct horse battery", n=2**10, r=8, p=1)
    secrets.write_text(body + f'[users.ann]\nrole = "admin"\npassword_hash = "{cheap}"\n')
    return secrets


def test_users_are_loaded_from_the_secrets_file(tmp_path):
    settings = load_settings(env={}, secrets_path=_users_file(tmp_path))
    assert settings.mode == "sandbox" and not settings.is_local
    assert settings.users["ann"].role == Role.ADMIN
    assert "scrypt$" not in repr(settings) and "scrypt$" not in str(settings.masked())
    assert settings.masked()["users"] == "1 configured"


def test_sandbox_without_users_is_local_mode():
    settings = load_settings(env={}, secrets_path=NO_FILE)
    assert settings.is_local and settings.users == {}
    check_users_for_console(settings)  # allowed: no login, loopback only


def test_live_mode_refuses_to_start_the_console_without_users(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[bepaid]\nshop_id = "1"\nsecret_key = "k"\n')
    live = load_settings(env={}, secrets_path=secrets)
    with pytest.raises(ConfigError) as caught:
        check_users_for_console(live)
    assert caught.value.message == (
        "Live mode refuses to start without users: add one with "
        "merchant-console user add NAME --role admin (or configure single sign-on)."
    )
    with_users = _users_file(tmp_path, '[bepaid]\nshop_id = "1"\nsecret_key = "k"\n')
    check_users_for_console(load_settings(env={}, secrets_path=with_users))


def test_malformed_user_fails_at_start_naming_it(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[users.ann]\nrole = "boss"\npassword_hash = "x"\n')
    with pytest.raises(ConfigError, match=r"\[users\.ann\] role must be one of"):
        load_settings(env={}, secrets_path=secrets)
