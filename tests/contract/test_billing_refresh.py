"""Refreshing one object: ask the provider now, record what changed (source poll)."""

from __future__ import annotations

import pytest

from console.billing import PayLinkDraft, ProviderFailed, UnknownObject
from console.ledger import now_ms
from console.status import BillStatus
from tests.contract.billing_support import OPERATOR, SUPPORT, open_desk


@pytest.fixture
def desk(sandbox_url, tmp_path):
    with open_desk(sandbox_url, tmp_path) as desk:
        yield desk


def test_support_refreshes_by_reference_and_sees_what_changed(desk):
    created = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount="7", currency="EUR", description="x")
    )
    desk.pay_checkout(created.bill.token)
    refreshed = desk.billing.objects.refresh(SUPPORT, created.ref.lower())
    assert refreshed.message == f"{created.ref}: pending → paid, 1 new payment(s) recorded."
    assert refreshed.change.changed and not refreshed.confirming


def test_unchanged_object_says_so_and_appends_nothing(desk):
    created = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount="7", currency="EUR", description="x")
    )
    before = desk.ledger_rows()
    refreshed = desk.billing.objects.refresh(SUPPORT, created.bill)
    assert refreshed.message == f"{created.ref} is unchanged (pending)."
    assert desk.ledger_rows() == before


def test_expired_pay_link_is_recorded_expired(desk):
    created = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount="7", currency="EUR", description="x")
    )
    desk.advance_sandbox(hours=25)
    assert desk.billing.objects.refresh(SUPPORT, created.ref).record.status == BillStatus.EXPIRED


def test_unknown_reference_is_refused(desk):
    with pytest.raises(UnknownObject):
        desk.billing.objects.refresh(SUPPORT, "B999")


def test_provider_failure_during_refresh_writes_nothing(desk):
    created = desk.billing.pay_links.create(
        OPERATOR, PayLinkDraft(amount="7", currency="EUR", description="x")
    )
    desk.fault(method="GET", path=f"/ctp/api/checkouts/{created.bill.token}", kind="error",
               status=503, count=3)  # fmt: skip
    before = desk.ledger_rows()
    with pytest.raises(ProviderFailed) as caught:
        desk.billing.objects.refresh(SUPPORT, created.ref)
    assert caught.value.ref == created.ref and "not answering" in caught.value.message
    assert desk.ledger_rows() == before


def test_demo_rows_are_not_sent_to_any_provider(desk):
    desk.ledger.bulk_insert(
        "bills",
        [{"id": 50, "provider": "bepaid", "kind": "card_link", "tracking_id": "demo-50",
          "amount": 100, "currency": "EUR", "status": "pending", "demo": 1,
          "created_at": now_ms(), "updated_at": now_ms()}],
    )  # fmt: skip
    refreshed = desk.billing.objects.refresh(SUPPORT, "B50")
    assert not refreshed.change.changed and "Demo" in refreshed.message
