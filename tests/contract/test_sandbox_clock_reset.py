"""Fast-forwarding is a tool, not a trap: the clock resets, and the console follows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from console.billing import Billing, PayLinkDraft
from console.clock import SandboxClock
from provider_sandbox import server
from provider_sandbox.core import SandboxConfig
from tests.contract.bepaid_support import SHOP, advance, checkout_request
from tests.contract.billing_support import OPERATOR, open_desk

TWO_DAYS = 2 * 86400


def _lead(client: httpx.Client) -> float:
    return client.get("/__sandbox/clock").json()["lead_seconds"]


def test_reset_brings_a_fast_forwarded_clock_back_to_real_time(bepaid):
    advance(bepaid, TWO_DAYS)

    reset = bepaid.post("/__sandbox/clock/reset")

    assert reset.status_code == 200
    assert abs(reset.json()["reset_seconds"] - TWO_DAYS) < 5
    assert abs(_lead(bepaid)) < 1
    clock_now = datetime.fromisoformat(reset.json()["now"].replace("Z", "+00:00"))
    assert abs((clock_now - datetime.now(UTC)).total_seconds()) < 5


def test_a_reset_survives_a_restart(start_sandbox):
    with start_sandbox() as (url, _app), httpx.Client(base_url=url) as admin:
        advance(admin, TWO_DAYS)
        admin.post("/__sandbox/clock/reset")
    with start_sandbox() as (url, _app), httpx.Client(base_url=url) as admin:
        assert abs(_lead(admin)) < 1


def test_after_a_reset_a_default_24_hour_link_is_accepted_again(bepaid):
    advance(bepaid, TWO_DAYS)
    in_a_day = (datetime.now(UTC) + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = checkout_request(expired_at=in_a_day)
    headers = {"X-API-Version": "2"}

    refused = bepaid.post("/ctp/api/checkouts", json=body, headers=headers)
    bepaid.post("/__sandbox/clock/reset")
    accepted = bepaid.post("/ctp/api/checkouts", json=body, headers=headers)

    assert refused.status_code == 422
    assert accepted.status_code == 200


def test_the_start_banner_says_how_far_ahead_the_clock_is():
    config = SandboxConfig()

    ahead = server.banner(config, "ab12", lead=TWO_DAYS + 3 * 3600)
    level = server.banner(config, "ab12", lead=0.2)

    assert "Clock lead          +2 d 03:00:00 ahead of real time" in ahead
    assert "/__sandbox/clock/reset" in ahead
    assert "none: sandbox time is real time" in level
    assert "Shop id             361" in level


def test_the_console_clock_follows_the_sandbox_after_a_fast_forward(sandbox_url, bepaid):
    clock = SandboxClock(sandbox_url, refresh_every=0)
    advance(bepaid, TWO_DAYS)

    lead = clock.lead()

    assert clock.reachable
    assert lead is not None and abs(lead.total_seconds() - TWO_DAYS) < 5
    assert abs((clock() - datetime.now(UTC)).total_seconds() - TWO_DAYS) < 5


def test_an_unreachable_sandbox_leaves_the_console_on_the_real_clock():
    clock = SandboxClock("http://127.0.0.1:9", refresh_every=0, timeout=0.5)

    now = clock()

    assert not clock.reachable
    assert clock.lead() is None
    assert abs((now - datetime.now(UTC)).total_seconds()) < 5


def test_a_pay_link_expiring_in_24_sandbox_hours_is_accepted_two_days_ahead(sandbox_url, tmp_path):
    """The New payment page computes "in 24 hours" from the billing clock."""
    with open_desk(sandbox_url, tmp_path) as desk, httpx.Client(base_url=sandbox_url) as admin:
        sandbox_now = SandboxClock(sandbox_url, refresh_every=0)
        billing = Billing(
            desk.settings,
            desk.ledger,
            bepaid=desk.bepaid,
            beyag=desk.beyag,
            payture=desk.payture,
            clock=sandbox_now,
        )
        advance(admin, TWO_DAYS)

        created = billing.pay_links.create(
            OPERATOR,
            PayLinkDraft(
                amount="5",
                currency="BYN",
                description="After a fast-forward",
                expires_at=sandbox_now() + timedelta(hours=24),
            ),
        )

    assert created.pay_url
    assert SHOP[0] == "361"
