"""Single sign-on end to end: Streamlit's st.login against a local OpenID Connect provider
(oidc-provider-mock, started by the test), the console's role mapping, deep links kept
across the identity provider's round trip, and no access for an unmapped identity."""

from __future__ import annotations

import secrets

import pytest
from oidc_provider_mock import run_server_in_thread
from playwright.sync_api import Page, expect

from console.ledger import Ledger
from tests.e2e.conftest import running_console
from tests.e2e.journeys import WAIT_MS
from tests.support.servers import free_port


@pytest.fixture(scope="module")
def sso_console(tmp_path_factory):
    home = tmp_path_factory.mktemp("sso")
    with run_server_in_thread(port=free_port()) as provider:
        issuer = f"http://localhost:{provider.server_port}"
        port = free_port()
        secrets_file = home / "secrets.toml"
        secrets_file.write_text(
            f"""
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{secrets.token_urlsafe(32)}"
client_id = "merchant-console"
client_secret = "{secrets.token_urlsafe(16)}"
server_metadata_url = "{issuer}/.well-known/openid-configuration"

[sso]
label = "Test IdP"

[sso.roles]
"ann@example.com" = "operator"
"*@support.example" = "support"
"""
        )
        env = {"MERCHANT_CONSOLE_SECRETS": str(secrets_file)}
        with running_console(home, env_extra=env, port=port) as console:
            yield console


def sso_sign_in(page: Page, identity: str) -> None:
    """From the console's sign-in page through the identity provider and back."""
    page.get_by_role("link", name="Sign in with Test IdP").click()
    page.locator("input[name=sub]").last.wait_for(timeout=WAIT_MS)  # the provider's page
    page.locator("input[name=sub]").last.fill(identity)
    page.get_by_role("button", name="Authorize").click()


def test_a_mapped_identity_lands_on_the_deep_link_with_its_role(sso_console, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{sso_console.url}/lookup?q=B7")
    expect(page).to_have_url(f"{sso_console.url}/session/login?next=%2Flookup%3Fq%3DB7")
    expect(page.get_by_label("Password")).to_have_count(0)  # no password users here
    sso_sign_in(page, "ann@example.com")
    page.get_by_text("Signed in as ann@example.com").wait_for(timeout=WAIT_MS)
    expect(page).to_have_url(f"{sso_console.url}/lookup?q=B7")
    page.get_by_text("(operator)").first.wait_for()
    page.reload()  # the identity cookie keeps the session
    page.get_by_text("Signed in as ann@example.com").wait_for(timeout=WAIT_MS)
    with Ledger(sso_console.ledger_path) as ledger:
        (session,) = ledger.sessions.open("ann@example.com")
    assert session.method == "sso" and session.role == "operator"
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="End session").click()  # the provider's own logout
    page.wait_for_url("**/session/login**", timeout=WAIT_MS)
    with Ledger(sso_console.ledger_path) as ledger:
        assert ledger.sessions.open("ann@example.com") == []
        actions = [e.action for e in ledger.recent_audit(10) if e.actor == "ann@example.com"]
    assert actions[:2] == ["logout", "login"]
    context.close()


def test_a_domain_rule_gives_its_role(sso_console, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(sso_console.url)
    sso_sign_in(page, "sam@support.example")
    page.get_by_text("Signed in as sam@support.example").wait_for(timeout=WAIT_MS)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Lookup", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="New payment", exact=True)).to_have_count(0)
    context.close()


def test_an_unmapped_identity_gets_no_access(sso_console, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{sso_console.url}/monitor")
    sso_sign_in(page, "eve@elsewhere.example")
    page.get_by_text("has no access to this console").wait_for(timeout=WAIT_MS)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # no pages at all
    with Ledger(sso_console.ledger_path) as ledger:
        entry = ledger.recent_audit(1)[0]
    assert (entry.actor, entry.action, entry.outcome) == (
        "eve@elsewhere.example",
        "login_failed",
        "refused",
    )
    context.close()
