"""Users in the secrets file: valid ones load, each malformed one is named with its key."""

import pytest

from console.auth import Role, hash_password
from console.errors import ConfigError
from console.users import read_users

HASH = hash_password("correct horse battery", n=2**10, r=8, p=1)


def test_users_load_with_their_roles(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'[users.ann]\nrole = "admin"\npassword_hash = "{HASH}"\n\n'
        f'[users."sam.k"]\nrole = "support"\npassword_hash = "{HASH}"\n'
    )
    users = read_users(secrets)
    assert {name: user.role for name, user in users.items()} == {
        "ann": Role.ADMIN,
        "sam.k": Role.SUPPORT,
    }
    assert HASH not in repr(users)  # hashes stay out of logs and tracebacks


def test_no_file_or_no_users_means_no_users(tmp_path):
    assert read_users(tmp_path / "missing.toml") == {}
    (tmp_path / "secrets.toml").write_text('[bepaid]\nshop_id = "1"\n')
    assert read_users(tmp_path / "secrets.toml") == {}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('users = "ann"\n', "[users] in the secrets file must be a table"),
        ('[users]\nann = "admin"\n', "[users.ann] must be a table"),
        (f'[users.Ann]\nrole = "admin"\npassword_hash = "{HASH}"\n', "[users.Ann]: a user name"),
        (f'[users."a b"]\nrole = "admin"\npassword_hash = "{HASH}"\n', "[users.a b]: a user name"),
        (f'[users.{"x" * 65}]\nrole = "admin"\npassword_hash = "{HASH}"\n', "1 to 64 characters"),
        (f'[users.ann]\npassword_hash = "{HASH}"\n', "[users.ann] role is missing"),
        ('[users.ann]\nrole = "admin"\n', "[users.ann] password_hash is missing"),
        (
            f'[users.ann]\nrole = "boss"\npassword_hash = "{HASH}"\n',
            "[users.ann] role must be one of",
        ),
        (f'[users.ann]\nrole = 1\npassword_hash = "{HASH}"\n', "[users.ann] role must be one of"),
        (
            '[users.ann]\nrole = "admin"\npassword_hash = "hunter2"\n',
            "[users.ann] password_hash is malformed",
        ),
        (
            '[users.ann]\nrole = "admin"\npassword_hash = 7\n',
            "[users.ann] password_hash is malformed",
        ),
        (
            f'[users.ann]\nrole = "admin"\npasword_hash = "{HASH}"\n',
            "[users.ann] pasword_hash: unknown key",
        ),
    ],
)
def test_malformed_user_is_refused_naming_user_and_key(tmp_path, text, named):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(text)
    with pytest.raises(ConfigError) as caught:
        read_users(secrets)
    assert named in caught.value.message


def test_malformed_hash_message_says_how_to_fix_it(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[users.ann]\nrole = "operator"\npassword_hash = "scrypt$1$2$3$4$5"\n')
    with pytest.raises(ConfigError) as caught:
        read_users(secrets)
    assert "merchant-console user add ann --role operator --replace" in caught.value.message
