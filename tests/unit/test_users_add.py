"""Adding users: the rest of the secrets file survives, weak passwords and duplicates do not."""

import re
import stat

import pytest

from console.auth import Role, verify_password
from console.errors import ConfigError, ValidationError
from console.users import add_user, read_users

PASSWORD = "correct horse battery"
EXISTING = """\
# Merchant Console secrets — keep this comment
mode = "sandbox"   # trailing comment
timezone = "Europe/Minsk"

[bepaid]
# shop_id = "361"
shop_id = "361"
secret_key = "s3cr3t"

[users.old]   # the first user
# who: the owner
role = "admin"
password_hash = "{hash}"

# Payture comes last
[payture]
access_token = "tok"
"""


@pytest.fixture
def secrets(tmp_path):
    path = tmp_path / ".streamlit" / "secrets.toml"
    path.parent.mkdir()
    add_user("old", Role.ADMIN, "the old admin password", path)
    old_hash = read_users(path)["old"].password_hash
    path.write_text(EXISTING.format(hash=old_hash))
    return path


def test_new_user_is_appended_and_everything_else_stays_byte_for_byte(secrets):
    before = secrets.read_text()
    add_user("ann", Role.OPERATOR, PASSWORD, secrets)
    after = secrets.read_text()
    assert after.startswith(before)  # comments, other sections, the other user
    users = read_users(secrets)
    assert users["ann"].role == Role.OPERATOR
    assert verify_password(PASSWORD, users["ann"].password_hash)
    assert PASSWORD not in after


def test_replace_rewrites_only_that_users_values(secrets):
    before = secrets.read_text().splitlines()
    add_user("old", Role.VIEWER, "a brand new password", secrets, replace=True)
    after = secrets.read_text().splitlines()
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert [a.split(" = ")[0] for _, a in changed] == ["role", "password_hash"]
    user = read_users(secrets)["old"]
    assert user.role == Role.VIEWER and verify_password("a brand new password", user.password_hash)


def test_existing_name_is_refused_without_replace(secrets):
    before = secrets.read_bytes()
    with pytest.raises(ValidationError, match="User old already exists; use --replace"):
        add_user("old", Role.VIEWER, PASSWORD, secrets)
    assert secrets.read_bytes() == before


def test_file_is_created_owner_only_and_stays_so(tmp_path, secrets):
    fresh = tmp_path / "new-dir" / "secrets.toml"
    add_user("ann", Role.ADMIN, PASSWORD, fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    secrets.chmod(0o644)
    add_user("ann", Role.ADMIN, PASSWORD, secrets)
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert list(secrets.parent.iterdir()) == [secrets]  # no temporary file left behind


def test_names_with_dots_are_quoted_not_nested(tmp_path):
    path = tmp_path / "secrets.toml"
    add_user("ann.lee", Role.SUPPORT, PASSWORD, path)
    assert '[users."ann.lee"]' in path.read_text()
    assert read_users(path)["ann.lee"].role == Role.SUPPORT
    add_user("ann.lee", Role.VIEWER, PASSWORD, path, replace=True)
    assert read_users(path)["ann.lee"].role == Role.VIEWER


def test_windows_line_endings_are_kept(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_bytes(b'# crlf file\r\nmode = "sandbox"\r\n')
    add_user("ann", Role.ADMIN, PASSWORD, path)
    raw = path.read_bytes()
    assert raw.startswith(b'# crlf file\r\nmode = "sandbox"\r\n')
    assert b"\n" not in raw.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    ("name", "password", "says"),
    [
        ("ann", "short-pass", "at least 12 characters"),
        ("ann", "a" * 20, "one character repeated"),
        ("ann.lee.smith", "Ann.Lee.Smith", "must not be the user name"),
        ("ann", "x" * 1025 + "y", "at most 1024 characters"),
        ("Ann", PASSWORD, "'Ann' is not a valid user name"),
        ("ann lee", PASSWORD, "not a valid user name"),
        ("", PASSWORD, "not a valid user name"),
    ],
)
def test_weak_password_or_bad_name_is_refused_and_nothing_written(tmp_path, name, password, says):
    path = tmp_path / "secrets.toml"
    with pytest.raises(ValidationError) as caught:
        add_user(name, Role.ADMIN, password, path)
    assert says in caught.value.message
    assert not path.exists()


def test_unknown_role_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="Role must be one of admin, operator"):
        add_user("ann", "boss", PASSWORD, tmp_path / "secrets.toml")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("this is = = not toml", "is not valid TOML"),
        ('users = "nobody"\n', "must be a table of [users.NAME] tables"),
    ],
)
def test_unreadable_file_is_left_alone(tmp_path, text, says):
    path = tmp_path / "secrets.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(says)):
        add_user("ann", Role.ADMIN, PASSWORD, path)
    assert path.read_text() == text


def test_user_written_inline_is_not_rewritten_blindly(tmp_path):
    path = tmp_path / "secrets.toml"
    text = '[users]\nann = { role = "admin", password_hash = "x" }\n'
    path.write_text(text)
    with pytest.raises(ConfigError, match="cannot be replaced safely"):
        add_user("ann", Role.ADMIN, PASSWORD, path, replace=True)
    assert path.read_text() == text
