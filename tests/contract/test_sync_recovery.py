"""A 5xx or 429 burst loses nothing: once the provider recovers, sync records what happened."""

from __future__ import annotations

import pytest

from console.billing import PayLinkDraft
from console.status import BillStatus
from tests.contract.billing_support import NO_WAIT, OPERATOR, open_desk


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


@pytest.mark.parametrize(
    "burst",
    [
        {"kind": "error", "status": 503},
        {"kind": "error", "status": 500},
        {"kind": "rate_limit", "retry_after": 1},
    ],
    ids=["503", "500", "429"],
)
def test_payment_made_during_a_burst_is_recorded_after_it(desk, burst):
    desk.clock.freeze()  # "not due yet" below must not depend on the machine's speed
    links = [
        desk.billing.pay_links.create(
            OPERATOR, PayLinkDraft(amount=f"{n}", currency="EUR", description="x")
        )
        for n in (1, 2, 3)
    ]
    for created in links:
        desk.pay_checkout(created.bill.token)  # the payers pay while the API misbehaves
    desk.fault(method="GET", path="^/ctp/api/checkouts/", count=1000, **burst)

    during = desk.billing.sync.refresh_open(retry=NO_WAIT, concurrency=1)
    failed = {error.ref for error in during.errors}
    if burst["kind"] == "rate_limit":  # told to wait: the rest of the provider's links wait
        assert len(failed) == 1 and during.deferred == 2
    else:
        assert failed == {created.ref for created in links}
    assert all(m.message for m in during.errors)  # each says what went wrong
    assert {desk.ledger.get_bill(c.bill.id).status for c in links} == {BillStatus.PENDING}

    desk.admin.delete("/__sandbox/faults").raise_for_status()  # the provider recovers
    nothing_due = desk.billing.sync.refresh_open(retry=NO_WAIT)
    assert nothing_due.checked == 0  # asked a moment ago: not due yet
    desk.clock.advance(seconds=5)  # the next Monitor refresh: a failed check is due again
    after = desk.billing.sync.refresh_open(retry=NO_WAIT)

    assert after.ok and {change.ref for change in after.changes} == {c.ref for c in links}
    for created in links:
        assert desk.ledger.get_bill(created.bill.id).status == BillStatus.PAID
        assert len(desk.ledger.payments_of("bill", created.bill.id)) == 1
