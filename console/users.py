"""Console users in ``.streamlit/secrets.toml``: load and validate, add, and the CLI command.

Users are TOML tables in the (git-ignored) secrets file::

    [users.ann]
    role = "operator"
    password_hash = "scrypt$16384$8$5$<salt>$<hash>"

Loading checks every user: the name matches ``[a-z0-9._-]{1,64}``, the role is a
:class:`~console.auth.Role`, the hash is well formed, and no other key is present
(a typo such as ``pasword_hash`` is an error, not a silently ignored line). Problems
raise :class:`ConfigError` naming the user and the key.

Writing edits the file as text rather than re-serialising it, because the standard
library has no TOML writer and ``tomlkit`` is not a dependency: a new user is a
table appended at the end; replacing a user rewrites only its ``role`` and
``password_hash`` lines. Every other line, comments included, stays byte for byte.
Before anything is written, the new text is parsed again and must equal the old
content plus exactly this change; otherwise the file is left alone. The file is
replaced atomically and ends up with mode 0600 (owner read/write only).
"""

from __future__ import annotations

import copy
import getpass
import os
import re
import sys
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from console import paths
from console.auth import (
    USER_NAME,
    MalformedPasswordHash,
    Role,
    UserRecord,
    hash_password,
    parse_password_hash,
)
from console.errors import ConfigError, ConsoleError, ValidationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
USER_KEYS = frozenset({"role", "password_hash"})
ROLES_TEXT = ", ".join(role.value for role in Role)


# --- Loading -------------------------------------------------------------------------


def parse_users(data: Mapping[str, Any]) -> dict[str, UserRecord]:
    """Validate the ``users`` table of parsed secrets; ``{}`` when there is none.

    Raises:
        ConfigError: a user is malformed; the message names ``[users.NAME] key``.
    """
    table = data.get("users", {})
    if not isinstance(table, dict):
        raise ConfigError("[users] in the secrets file must be a table of [users.NAME] tables.")
    return {name: _user_record(name, entry) for name, entry in table.items()}


def read_users(secrets_path: Path) -> dict[str, UserRecord]:
    """Load and validate the users of a secrets file; ``{}`` when the file does not exist."""
    return parse_users(_parse(_read_text(secrets_path), secrets_path))


def _user_record(name: str, entry: Any) -> UserRecord:
    where = f"[users.{name}]"
    if not USER_NAME.fullmatch(name):
        raise ConfigError(
            f"{where}: a user name is 1 to 64 characters of a-z, 0-9, '.', '_' or '-'."
        )
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table with role and password_hash.")
    unknown = sorted(set(entry) - USER_KEYS)
    if unknown:
        raise ConfigError(
            f"{where} {unknown[0]}: unknown key; a user has only role and password_hash."
        )
    for key in sorted(USER_KEYS):
        if key not in entry:
            raise ConfigError(f"{where} {key} is missing.")
    role = entry["role"]
    if role not in set(Role):
        raise ConfigError(f"{where} role must be one of {ROLES_TEXT}, not {role!r}.")
    try:
        parse_password_hash(entry["password_hash"])
    except MalformedPasswordHash as exc:
        raise ConfigError(
            f"{where} password_hash is malformed: {exc.message} Set a new password with "
            f"merchant-console user add {name} --role {role} --replace."
        ) from None
    return UserRecord(name=name, role=Role(role), password_hash=entry["password_hash"])


# --- Adding --------------------------------------------------------------------------


def check_password_rules(name: str, password: str) -> None:
    """Refuse a password a person should not use here.

    Raises:
        ValidationError: too short (under 12 characters) or too long, one repeated
            character, or the user name itself.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.",
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            f"The password must be at most {MAX_PASSWORD_LENGTH} characters long.",
            field="password",
        )
    if len(set(password)) == 1:
        raise ValidationError("The password must not be one character repeated.", field="password")
    if password.strip().lower() == name.lower():
        raise ValidationError("The password must not be the user name.", field="password")


def add_user(
    name: str, role: Role, password: str, secrets_path: Path, *, replace: bool = False
) -> None:
    """Add (or with ``replace=True`` update) a user in the secrets file.

    Raises:
        ValidationError: bad name, role or password, or the user exists and
            ``replace`` is false.
        ConfigError: the secrets file is not valid TOML or cannot be edited safely.
    """
    if not USER_NAME.fullmatch(name):
        raise ValidationError(
            f"{name!r} is not a valid user name: use 1 to 64 characters of a-z, 0-9, "
            "'.', '_' or '-'.",
            field="name",
        )
    if role not in set(Role):
        raise ValidationError(f"Role must be one of {ROLES_TEXT}, not {role!r}.", field="role")
    role = Role(role)
    check_password_rules(name, password)

    text = _read_text(secrets_path)
    data = _parse(text, secrets_path)
    users = data.get("users", {})
    if not isinstance(users, dict):
        raise ConfigError(
            f"[users] in {secrets_path} must be a table of [users.NAME] tables; fix it by hand."
        )
    exists = name in users
    if exists and not replace:
        raise _already_exists(name)
    values = {"role": role.value, "password_hash": hash_password(password)}
    if exists:
        new_text = _replace_user(text, name, values, secrets_path)
    else:
        new_text = _append_user(text, name, values)

    expected = copy.deepcopy(data)
    expected.setdefault("users", {})[name] = {**users.get(name, {}), **values}
    if _parse(new_text, secrets_path) != expected:
        raise ConfigError(
            f"Could not update [users.{name}] in {secrets_path} safely; the file was left "
            "unchanged. Edit it by hand."
        )
    _write_private(secrets_path, new_text)


def _already_exists(name: str) -> ValidationError:
    return ValidationError(
        f"User {name} already exists; use --replace to set a new role and password.",
        field="name",
    )


def _append_user(text: str, name: str, values: Mapping[str, str]) -> str:
    newline = _newline_of(text)
    if text and not text.endswith(("\n", "\r")):
        text += newline
    head = (
        newline if text else f"# Console users: merchant-console user add NAME --role ROLE{newline}"
    )
    lines = [f"[users.{_toml_key(name)}]", *(f"{k} = {_toml_string(v)}" for k, v in values.items())]
    return text + head + newline.join(lines) + newline


def _replace_user(text: str, name: str, values: Mapping[str, str], path: Path) -> str:
    lines = text.splitlines(keepends=True)
    quoted = re.escape(name)
    header = re.compile(rf"\s*\[\s*users\s*\.\s*(?:{quoted}|\"{quoted}\"|'{quoted}')\s*\]\s*(#.*)?")
    start = next((i for i, line in enumerate(lines) if header.fullmatch(line.rstrip("\r\n"))), None)
    if start is None:
        raise ConfigError(
            f"[users.{name}] in {path} is not written as a [users.{name}] table, so it cannot "
            "be replaced safely; edit it by hand."
        )
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines)
    )
    newline = _newline_of(text)
    missing = dict(values)
    for i in range(start + 1, end):
        key = re.match(r"\s*([A-Za-z_]+)\s*=", lines[i])
        if key and key.group(1) in missing:
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            lines[i] = (
                f"{indent}{key.group(1)} = {_toml_string(missing.pop(key.group(1)))}{newline}"
            )
    added = [f"{key} = {_toml_string(value)}{newline}" for key, value in missing.items()]
    if not lines[start].endswith(("\n", "\r")):
        lines[start] += newline
    lines[start + 1 : start + 1] = added
    return "".join(lines)


def _toml_key(name: str) -> str:
    # A dot in a bare key would make a nested table: quote such names.
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'"{name}"'


def _toml_string(value: str) -> str:
    # Roles and hashes are ASCII letters, digits and "$+/=": a basic string needs no escapes.
    assert re.fullmatch(r"[A-Za-z0-9$+/=]*", value), "unexpected character in a user value"
    return f'"{value}"'


def _newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text.") from None


def _parse(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, readable and writable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "wb") as file:
            file.write(text.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- The command ---------------------------------------------------------------------


def run_user_add_command(
    name: str,
    role: str,
    secrets_path: Path | None,
    password_stdin: bool,
    *,
    replace: bool = False,
    stdin: TextIO | None = None,
) -> int:
    """``merchant-console user add NAME --role ROLE [--password-stdin] [--replace]``.

    Reads the password twice with getpass, or one line from standard input with
    ``password_stdin``; prints a one-line confirmation (never the password) and
    returns the exit status: 0 on success, 1 when refused.
    """
    path = paths.secrets_path(given=secrets_path)
    try:
        existed = name in _parse(_read_text(path), path).get("users", {})
        if existed and not replace:  # say so before asking for a password
            raise _already_exists(name)
        password = _password_from_stdin(stdin or sys.stdin) if password_stdin else _prompt()
        add_user(name, role, password, path, replace=replace)  # type: ignore[arg-type]
    except ConsoleError as exc:
        print(f"merchant-console user add: {exc.title}: {exc.message}", file=sys.stderr)
        return 1
    verb = "Updated" if existed else "Added"
    print(f"{verb} user {name} ({role}) in {path}; the console now asks for a login.")
    return 0


def _password_from_stdin(stream: TextIO) -> str:
    line = stream.readline()
    if not line:
        raise ValidationError("No password on standard input.", field="password")
    return line.removesuffix("\n").removesuffix("\r")


def _prompt() -> str:
    try:
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password again: ")
    except EOFError:
        raise ValidationError("No password given.", field="password") from None
    if first != second:
        raise ValidationError("The two passwords differ; nothing was changed.", field="password")
    return first
