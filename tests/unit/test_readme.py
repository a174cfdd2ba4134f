"""The README is tested: its commands are the ones CI runs, and nothing is undocumented."""

import re
from pathlib import Path

from console.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_first_command_installs_and_runs_the_console():
    assert _bash_blocks()[0].strip() == "python3 -m pip install -e . && merchant-console run"


def test_ci_runs_exactly_the_second_command():
    second = _bash_blocks()[1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert second in ci.splitlines()


def test_every_subcommand_is_documented():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # argparse keeps them here
    for name in commands:
        assert f"`merchant-console {name}" in README, f"{name} is not in the README"


def test_every_setting_is_documented():
    example = (ROOT / ".streamlit" / "secrets.example.toml").read_text()
    keys = set(re.findall(r"^#?\s*([a-z_]+)\s*=", example, flags=re.M))
    for key in keys:
        assert f"`{key}`" in README or f" {key}`" in README or f"`{key}" in README, key


def test_every_dependency_has_a_reason():
    pyproject = (ROOT / "pyproject.toml").read_text()
    runtime = re.search(r"dependencies = \[(.*?)\]", pyproject, flags=re.S).group(1)
    for name in re.findall(r'"([a-z0-9-]+)', runtime):
        assert name in README, f"{name} has no reason in the README"
