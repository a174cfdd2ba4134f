"""Installs like real software: the wheel, in a fresh virtualenv, started from another folder.

Builds the wheel from this checkout, installs it (and its dependencies, from the package
index) into a new virtualenv that cannot see the checkout, then runs that virtualenv's
``merchant-console run`` from an unrelated folder and opens the console in chromium: the
entry script, every page and the sandbox must come from the installed package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from console.ui.registry import PAGES
from tests.e2e.conftest import running_console
from tests.e2e.journeys import WAIT_MS

CHECKOUT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # builds a wheel and installs it with its dependencies


def _run(command: list[str], **options) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **options)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The ``bin`` folder of a fresh virtualenv with the console's wheel installed."""
    home = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(home), str(CHECKOUT)])
    (wheel,) = home.glob("merchant_console-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "console/ui/entry.py" in names
    assert {f"console/ui/app_pages/{page.file}" for page in PAGES} <= set(names)
    assert "provider_sandbox/__main__.py" in names
    assert not any(name.startswith(("tests/", "app_pages/")) for name in names)
    env_dir = home / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # Without PYTHONPATH: a checkout on it holds merchant_console.egg-info (written by the
    # wheel build above), and pip would take the package as installed and skip the wheel.
    without_path = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)]
    _run(install, env=without_path)
    return env_dir / "bin"


def test_the_installed_wheel_runs_from_another_folder(installed, tmp_path, page):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    clean = {"PYTHONPATH": None, "VIRTUAL_ENV": str(installed.parent)}
    show = "import console, provider_sandbox; print(console.__file__)"
    where = _run(
        [str(installed / "python"), "-c", show],
        cwd=elsewhere,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert str(installed.parent) in where.stdout and str(CHECKOUT) not in where.stdout
    command = [str(installed / "merchant-console")]
    with running_console(
        tmp_path, cwd=elsewhere, ledger_arg="shop.db", env_extra=clean, command=command
    ) as console:
        page.goto(console.url)
        page.get_by_text("SANDBOX").first.wait_for(timeout=WAIT_MS)
        nav = page.get_by_test_id("stSidebarNav")
        for spec in PAGES:
            expect(nav.get_by_role("link", name=spec.title, exact=True)).to_be_visible()
        nav.get_by_role("link", name="Lookup", exact=True).click()
        page.get_by_role("heading", name="Lookup").wait_for(timeout=WAIT_MS)
        assert (elsewhere / "shop.db").exists()  # the ledger is where the person typed it
