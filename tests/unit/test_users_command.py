"""`merchant-console user add`: the function the CLI calls, run as its own process."""

import os
import subprocess
import sys

import pytest

from console.auth import Role, verify_password
from console.users import read_users, run_user_add_command

PASSWORD = "correct horse battery"
SCRIPT = (
    "import sys; from pathlib import Path; from console.users import run_user_add_command; "
    "path = Path(sys.argv[3]) if len(sys.argv) > 3 else None; "
    "sys.exit(run_user_add_command(sys.argv[1], sys.argv[2], path, True, "
    "replace='--replace' in sys.argv))"
)


def user_add(*args, stdin, env=None):
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_password_from_stdin_adds_the_user_and_never_prints_it(tmp_path):
    path = tmp_path / "secrets.toml"
    done = user_add("ann", "admin", str(path), stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines() == [
        f"Added user ann (admin) in {path}; the console now asks for a login."
    ]
    assert PASSWORD not in done.stdout + done.stderr
    user = read_users(path)["ann"]
    assert user.role == Role.ADMIN and verify_password(PASSWORD, user.password_hash)


def test_replace_updates_and_says_so(tmp_path):
    path = tmp_path / "secrets.toml"
    assert user_add("ann", "admin", str(path), stdin=PASSWORD).returncode == 0
    done = user_add("ann", "viewer", str(path), "--replace", stdin="another long password\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Updated user ann (viewer)")
    assert read_users(path)["ann"].role == Role.VIEWER


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (("ann", "admin"), "short\n", "at least 12 characters"),
        (("ann", "admin"), "", "No password on standard input"),
        (("ann", "boss"), PASSWORD + "\n", "Role must be one of admin, operator, support, viewer"),
        (("Ann!", "admin"), PASSWORD + "\n", "not a valid user name"),
    ],
)
def test_refusal_exits_1_with_a_message_and_writes_nothing(tmp_path, args, stdin, says):
    path = tmp_path / "secrets.toml"
    done = user_add(*args, str(path), stdin=stdin)
    assert done.returncode == 1
    assert says in done.stderr and done.stderr.startswith("merchant-console user add: ")
    assert not path.exists()


def test_existing_user_is_refused_before_asking_for_a_password(tmp_path):
    path = tmp_path / "secrets.toml"
    assert user_add("ann", "admin", str(path), stdin=PASSWORD).returncode == 0
    before = path.read_bytes()
    done = user_add("ann", "viewer", str(path), stdin="")  # no password needed to be told
    assert done.returncode == 1 and "already exists; use --replace" in done.stderr
    assert path.read_bytes() == before


def test_secrets_path_defaults_to_the_environment_setting(tmp_path):
    path = tmp_path / "elsewhere.toml"
    done = user_add("ann", "support", stdin=PASSWORD, env={"MERCHANT_CONSOLE_SECRETS": str(path)})
    assert done.returncode == 0, done.stderr
    assert read_users(path)["ann"].role == Role.SUPPORT


@pytest.mark.parametrize(
    ("typed", "status"), [((PASSWORD, PASSWORD), 0), ((PASSWORD, PASSWORD + "x"), 1)]
)
def test_interactive_password_must_be_typed_twice_alike(
    tmp_path, monkeypatch, capsys, typed, status
):
    answers = iter(typed)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    path = tmp_path / "secrets.toml"
    assert run_user_add_command("ann", "operator", path, False) == status
    assert path.exists() == (status == 0)
    if status:
        assert "The two passwords differ" in capsys.readouterr().err
