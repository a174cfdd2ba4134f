"""A small team's day in the browser: users added and the console started from a folder of
their own, deep links, reloads and tabs that stay signed in, logout everywhere, a role
changed mid-form, and a finger that double-clicks."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from console.ledger import Ledger
from tests.e2e.conftest import running_console
from tests.e2e.journeys import WAIT_MS, fill_card

PASSWORDS = {"ann": "ann's long password", "op2": "op2's long password", "bob": "bob's password!"}
ROLES = {"ann": "operator", "op2": "operator", "bob": "admin"}


def user_add(folder, name: str, role: str, *, replace: bool = False) -> None:
    """`merchant-console user add NAME --role ROLE --password-stdin`, typed in ``folder``."""
    command = [sys.executable, "-m", "console.cli", "user", "add", name, "--role", role]
    command += ["--password-stdin", *(["--replace"] if replace else [])]
    done = subprocess.run(
        command, cwd=folder, input=PASSWORDS[name] + "\n", capture_output=True, text=True,
        env={k: v for k, v in os.environ.items() if k != "MERCHANT_CONSOLE_SECRETS"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """Users added, then `merchant-console run --ledger rel.db`, both from ``shop/``."""
    home = tmp_path_factory.mktemp("team")
    folder = home / "shop"
    folder.mkdir()
    for name, role in ROLES.items():
        user_add(folder, name, role)
    env = {"MERCHANT_CONSOLE_SECRETS": None}  # the default: ./.streamlit/secrets.toml
    with running_console(home, cwd=folder, ledger_arg="rel.db", env_extra=env) as console:
        console.folder = folder
        yield console


def sign_in(page: Page, name: str) -> None:
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Log in").click()
    page.get_by_text(f"Signed in as {name}").wait_for(timeout=WAIT_MS)


def bills(console) -> list:
    with Ledger(console.ledger_path) as ledger:
        return ledger.recent_bills(1000)


def checkouts(console) -> int:
    state = httpx.get(f"{console.sandbox_url}/__sandbox/state", timeout=10).json()
    return len(state["bepaid"]["checkouts"])


def notices_of(console, bill_id: int) -> list:
    with Ledger(console.ledger_path) as ledger:
        return ledger.notifications_of("bill", bill_id)


def until(check, seconds: float = WAIT_MS / 1000):
    """Poll ``check`` until it returns something truthy (a state, not a fixed sleep)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def fill_pay_link(page: Page, amount: str, description: str) -> None:
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("Description").fill(description)


def test_the_folder_is_where_everything_lives(team):
    log = until(lambda: "Console:" in team.log.read_text()) and team.log.read_text()
    assert f"Ledger:   {team.folder / 'rel.db'}" in log
    assert f"Secrets:  {team.folder / '.streamlit' / 'secrets.toml'}" in log
    assert "sign-in required" in log  # users were found: not local mode
    answer = httpx.get(team.url + "/", headers={"Accept": "text/html"}, timeout=10)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/session/login")


def test_a_deep_link_survives_sign_in_and_the_session_lasts(team, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{team.url}/lookup?q=B12")
    expect(page).to_have_url(f"{team.url}/session/login?next=%2Flookup%3Fq%3DB12")
    sign_in(page, "ann")
    expect(page).to_have_url(f"{team.url}/lookup?q=B12")
    page.get_by_role("heading", name="Lookup").wait_for()
    expect(page.get_by_role("textbox").first).to_have_value("B12")  # the query survived
    page.reload()  # F5
    page.get_by_text("Signed in as ann").wait_for(timeout=WAIT_MS)
    other = context.new_page()  # a ref link opened from Monitor opens a new tab
    other.goto(f"{team.url}/monitor")
    other.get_by_text("Signed in as ann").wait_for(timeout=WAIT_MS)
    assert "session/login" not in other.url
    context.close()


def test_log_out_ends_the_session_in_every_tab(team, browser):
    context = browser.new_context()
    first = context.new_page()
    first.goto(team.url)
    sign_in(first, "ann")
    second = context.new_page()
    second.goto(f"{team.url}/activity")
    second.get_by_text("Signed in as ann").wait_for(timeout=WAIT_MS)
    first.get_by_role("button", name="Log out").click()
    first.wait_for_url("**/session/login**", timeout=WAIT_MS)
    first.get_by_text("You have logged out.").wait_for()
    second.get_by_role("link", name="Monitor").click()  # its next step
    second.wait_for_url("**/session/login**", timeout=WAIT_MS)
    context.close()


def test_a_payment_made_from_the_folders_console_lands_in_its_ledger(team, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{team.url}/new_payment")
    sign_in(page, "ann")
    fill_pay_link(page, "7.25", "Folder order")
    page.get_by_role("button", name="Create pay link").click()
    page.get_by_role("button", name="Create another").wait_for(timeout=WAIT_MS)
    (made,) = [b for b in bills(team) if b.description == "Folder order"]
    payer = context.new_page()
    payer.goto(made.pay_url)
    fill_card(payer, "4200000000000000")
    payer.get_by_text("This order has been paid.").wait_for(timeout=WAIT_MS)
    # The sandbox notifies the receiver, which must write the folder's ledger too.
    verdicts = until(lambda: {n.verdict for n in notices_of(team, made.id)} or None)
    assert verdicts == {"applied"}
    with Ledger(team.ledger_path) as ledger:
        assert ledger.get_bill(made.id).status.value == "paid"
        everything = {n.verdict for n in ledger.recent_notifications(50)}
    assert "unknown_object" not in everything
    context.close()


def test_a_double_click_and_enter_three_times_make_one_pay_link_each(team, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{team.url}/new_payment")
    sign_in(page, "ann")
    before_bills, before_checkouts = len(bills(team)), checkouts(team)
    fill_pay_link(page, "3.10", "Double click")
    page.get_by_role("button", name="Create pay link").dblclick()
    page.get_by_role("button", name="Create another").wait_for(timeout=WAIT_MS)
    page.get_by_role("button", name="Create another").click()
    fill_pay_link(page, "3.20", "Enter thrice")
    page.get_by_label("Description").focus()
    for _ in range(3):  # as fast as a finger: the form's first submit has not rerun yet
        page.keyboard.press("Enter")
    page.get_by_role("button", name="Create another").wait_for(timeout=WAIT_MS)
    made = [b.description for b in bills(team)[: len(bills(team)) - before_bills]]  # newest
    assert sorted(made) == ["Double click", "Enter thrice"]
    assert checkouts(team) == before_checkouts + 2
    context.close()


def test_a_role_changed_between_filling_and_clicking_is_refused(team, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{team.url}/new_payment")
    sign_in(page, "op2")
    before_bills, before_checkouts = len(bills(team)), checkouts(team)
    fill_pay_link(page, "9.99", "Demoted")
    user_add(team.folder, "op2", "viewer", replace=True)  # an admin, meanwhile
    page.get_by_role("button", name="Create pay link").click()
    page.wait_for_url("**/session/login**", timeout=WAIT_MS)
    page.get_by_text("Your session has ended").wait_for()
    assert len(bills(team)) == before_bills and checkouts(team) == before_checkouts
    with Ledger(team.ledger_path) as ledger:
        audited = [(e.actor, e.action, e.outcome) for e in ledger.recent_audit(10)]
    assert ("op2", "create_pay_link", "refused") in audited
    context.close()
