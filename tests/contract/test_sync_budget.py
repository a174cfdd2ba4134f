"""The polling budget against the sandbox: a pass sends no more requests than the shared
bucket allows, what it cannot check waits for a later pass, a provider's Retry-After
holds every process back, and a person's "check now" is never held back."""

from __future__ import annotations

import pytest

from console.billing import Billing, PayLinkDraft
from console.ledger import Ledger
from tests.contract.billing_support import NO_WAIT, OPERATOR, open_desk

SLOW = {"MERCHANT_CONSOLE_POLLING_REQUESTS_PER_SECOND": "1", "MERCHANT_CONSOLE_POLLING_BURST": "4"}


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path, env=SLOW) as desk:
        desk.clock.freeze()  # the bucket refills only when the test moves time on
        yield desk


def links(desk, count):
    return [
        desk.billing.pay_links.create(
            OPERATOR, PayLinkDraft(amount=f"{n + 1}", currency="BYN", description="x")
        )
        for n in range(count)
    ]


def test_a_pass_checks_only_what_the_bucket_allows_and_the_rest_waits(desk):
    made = links(desk, 10)
    first = desk.billing.sync.refresh_open(retry=NO_WAIT)
    # 4 tokens, one per bill: four links checked (one request each: unpaid), six wait.
    assert (first.checked, first.deferred, first.requests) == (4, 6, {"bepaid": 4})
    # Every fourth the longest waiting (never checked, made first), the rest the newest.
    checked = set(desk.ledger.polling.times("bill", [c.bill.id for c in made]))
    assert checked == {made[0].bill.id, *(c.bill.id for c in made[-3:])}
    second = desk.billing.sync.refresh_open(retry=NO_WAIT)
    assert (second.checked, second.deferred, second.requests) == (0, 6, {})  # bucket empty
    desk.clock.advance(seconds=60)  # a minute refills the bucket (to its 4)
    third = desk.billing.sync.refresh_open(retry=NO_WAIT)
    assert third.checked == 4 and sum(third.requests.values()) == 4


def test_a_link_found_paid_is_charged_its_second_read(desk):
    (link,) = links(desk, 1)
    desk.pay_checkout(link.bill.token)
    report = desk.billing.sync.refresh_open(retry=NO_WAIT)
    assert report.requests == {"bepaid": 2}  # the checkout, then its transaction
    budget = {"rate": 1.0, "burst": 4, "now": desk.clock()}
    assert desk.ledger.polling.take("bepaid", 4, **budget) == 2  # 4 - 1 taken - 1 charged


def test_a_retry_after_holds_back_every_process_sharing_the_ledger(desk, tmp_path):
    links(desk, 2)
    desk.fault(
        method="GET", path="^/ctp/api/checkouts/", kind="rate_limit", retry_after=20, count=100
    )
    limited = desk.billing.sync.refresh_open(retry=NO_WAIT, concurrency=1)
    # The first answer is a 429: the other link is not asked in this pass.
    assert [error.error for error in limited.errors] == ["RateLimited"]
    assert limited.deferred == 1
    desk.admin.delete("/__sandbox/faults")
    # Another process on the same ledger file: it takes no tokens before the pause ends.
    with Ledger(desk.ledger.path) as other_ledger:
        other = Billing(desk.settings, other_ledger, clock=desk.clock)
        desk.clock.advance(seconds=10)
        held = other.sync.refresh_open(retry=NO_WAIT)
        assert (held.checked, held.requests) == (0, {})
        desk.clock.advance(seconds=15)
        after = other.sync.refresh_open(retry=NO_WAIT)
        assert after.checked > 0 and after.ok


def test_check_now_is_never_held_back_and_is_charged_to_the_bucket(desk):
    (link,) = links(desk, 1)
    budget = {"rate": 1.0, "burst": 4, "now": desk.clock()}
    assert desk.ledger.polling.take("bepaid", 4, **budget) == 4  # someone emptied it
    desk.pay_checkout(link.bill.token)
    refreshed = desk.billing.objects.refresh(OPERATOR, link.ref)
    assert refreshed.record.status.value == "paid"  # asked at once
    # Its two requests left the bucket in debt: the next seconds' tokens are spent.
    assert desk.ledger.polling.take("bepaid", 1, **{**budget, "now": desk.clock()}) == 0
