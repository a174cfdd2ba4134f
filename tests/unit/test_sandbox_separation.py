"""The sandbox is a program of its own: neither package needs the other.

Each direction runs in a fresh interpreter with an import blocker for the other
package, as if it were not installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

BLOCKER = """
import sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name == {blocked!r} or name.startswith({blocked!r} + "."):
            raise ImportError(f"{{name}} is blocked by the separation test")
        return None

sys.meta_path.insert(0, Blocker())
"""


def _run(blocked: str, body: str) -> dict:
    script = BLOCKER.format(blocked=blocked) + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_console_imports_and_runs_its_commands_without_the_sandbox_package():
    seen = _run(
        "provider_sandbox",
        """
        import json, sys
        import console.config, console.billing, console.cli, console.webhooks
        import console.providers, console.ledger, console.health
        settings = console.config.load_settings(env={}, secrets_path="/nonexistent.toml")
        parser = console.cli.build_parser()
        args = parser.parse_args(["sandbox", "--port", "8650"])
        print(json.dumps({
            "mode": settings.mode,
            "shop_id": settings.bepaid.shop_id,
            "sandbox_loaded": any(n.startswith("provider_sandbox") for n in sys.modules),
            "command": args.command,
        }))
        """,
    )
    assert seen == {
        "mode": "sandbox",
        "shop_id": seen["shop_id"],
        "sandbox_loaded": False,
        "command": "sandbox",
    }
    assert seen["shop_id"]


def test_the_sandbox_builds_and_answers_without_the_console_package():
    seen = _run(
        "console",
        """
        import asyncio, json, sys
        import httpx
        import provider_sandbox.__main__
        from provider_sandbox.app import create_app

        async def ask():
            app = create_app()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
                return (await http.get("/__sandbox/health")).status_code

        print(json.dumps({
            "health": asyncio.run(ask()),
            "console_loaded": any(n == "console" or n.startswith("console.") for n in sys.modules),
        }))
        """,
    )
    assert seen == {"health": 200, "console_loaded": False}


def test_console_config_loads_neither_starlette_nor_the_sandbox():
    seen = _run(
        "nothing-is-blocked",
        """
        import json, sys
        import console.config
        print(json.dumps(sorted(
            n for n in sys.modules if n.split(".")[0] in {"starlette", "provider_sandbox"}
        )))
        """,
    )
    assert seen == []


def test_the_console_default_credentials_are_the_sandbox_defaults():
    from console import config
    from provider_sandbox import core

    assert (config.DEFAULT_SHOP_ID, config.DEFAULT_SECRET_KEY, config.DEFAULT_ACCESS_TOKEN) == (
        core.DEFAULT_SHOP_ID,
        core.DEFAULT_SECRET_KEY,
        core.DEFAULT_ACCESS_TOKEN,
    )


@pytest.mark.parametrize(
    ("currency", "exponent"),
    # ISO 4217 examples named in the providers' facts: JPY 0, KWD/BHD 3, CLF 4, most 2.
    [("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("CLF", 4), ("BYN", 2), ("RUB", 2)],
)
def test_the_sandbox_keeps_its_own_iso_4217_exponents(currency, exponent):
    from provider_sandbox.money import EXPONENTS

    assert EXPONENTS[currency] == exponent


def test_the_console_and_sandbox_currency_tables_agree():
    """Two independent tables: a disagreement is a bug in one of them."""
    from console.money import EXPONENTS as console_table
    from provider_sandbox.money import EXPONENTS as sandbox_table

    assert console_table == sandbox_table
