"""Pay links & forms: open bills newest first with QR codes and expiry countdowns, APM
forms with preview / source / download, and forms to unexpected hosts never shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from console.auth import Actor, Role
from console.billing import Billing, PayLinkDraft
from console.config import load_settings
from console.ledger import Ledger, NewBill
from console.status import BillStatus
from console.ui.forms import PAY_LINKS_LISTED as SCAN_LIMIT
from console.ui.forms import countdown, preview_form
from tests.app import sell_support as sell
from tests.app.sell_support import LOCAL_ADMIN, open_page
from tests.support.markdown import as_shown

sandbox = sell.sandbox
demo_ledger = sell.demo_ledger
console_env = sell.console_env

MINSK = ZoneInfo("Europe/Minsk")
NOW = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)  # 12:00 in Minsk


@pytest.mark.parametrize(
    ("expires_at", "expected"),
    [
        (NOW + timedelta(hours=3, minutes=12, seconds=9),
         "expires in 3 h 12 min (at 15:12, 1 Jun 2024)"),
        (NOW + timedelta(minutes=45), "expires in 45 min (at 12:45, 1 Jun 2024)"),
        (NOW + timedelta(hours=2), "expires in 2 h (at 14:00, 1 Jun 2024)"),
        (NOW + timedelta(days=2, hours=3), "expires in 2 d 3 h (at 15:00, 3 Jun 2024)"),
        (NOW + timedelta(seconds=20), "expires in less than a minute (at 12:00, 1 Jun 2024)"),
        (NOW - timedelta(minutes=5), "expired 5 min ago (at 11:55, 1 Jun 2024)"),
        (NOW + timedelta(hours=13), "expires in 13 h (at 01:00, 2 Jun 2024)"),  # local date
        (None, "no expiry recorded (the provider's default applies)"),
    ],
)  # fmt: skip
def test_countdown_reads_like_a_person_would_say_it(expires_at, expected):
    assert countdown(expires_at, NOW, MINSK) == expected


def open_bill(ledger: Ledger, n: int, *, kind="card_link", form=None, hours=24) -> int:
    provider = {"card_link": "bepaid", "apm": "begateway", "payture_bill": "payture"}[kind]
    bill = ledger.create_bill(
        NewBill(
            provider=provider,
            kind=kind,
            tracking_id=f"t-{n}",
            amount=100 * n,
            currency="BYN",
            description=f"Order {n}",
            status=BillStatus.PENDING,
            at=datetime.now(UTC) - timedelta(minutes=100 - n),
        )
    )
    ledger.attach_provider_ids(
        bill,
        pay_url=None if form else f"https://checkout.bepaid.by/v2/checkout?token=tok{n}",
        form=form,
        expires_at=datetime.now(UTC) + timedelta(hours=hours),
    )
    return bill


def cards(at) -> list[str]:
    """The first line of each pay link card, in page order."""
    return [m.value for m in at.markdown if m.value.startswith("**B")]


def test_an_empty_ledger_says_there_is_nothing_open(console_env, tmp_path):
    console_env(tmp_path / "empty.db")
    at = open_page("pay_links")
    assert not at.exception
    assert "No open pay links" in as_shown(at.info[0].value)


def test_the_demo_ledger_lists_its_open_links_newest_first(console_env, demo_ledger):
    console_env(demo_ledger)
    at = open_page("pay_links")
    assert not at.exception
    with Ledger(demo_ledger) as ledger:
        open_ids = sorted(
            (item.created_at, item.id) for k in ("card_link", "apm", "payture_bill")
            for item in ledger.open_items(kind=k, limit=5000)
        )  # fmt: skip
        newest = ledger.get_bill(open_ids[-1][1])
    assert open_ids, "the demo has open bills"
    assert at.caption[0].value == f"{len(open_ids)} open, newest first."
    assert cards(at)[0].startswith(f"**{newest.ref}**")
    assert len(cards(at)) == min(10, len(open_ids))


def test_links_and_forms_with_qr_codes_countdowns_and_downloads(console_env, tmp_path):
    path = console_env(tmp_path / "ledger.db")
    field = {"type": "hidden", "name": "sid", "id": "sid", "value": '"><b>x'}
    form = {"action": "https://pay.begateway.com/erip", "method": "POST", "fields": [field]}
    with Ledger(path) as ledger:
        open_bill(ledger, 1, hours=3)
        open_bill(ledger, 2, kind="apm", form=form)
        paid = open_bill(ledger, 3)
        ledger.record_bill_status(paid, BillStatus.PAID, "successful", "poll")
    at = open_page("pay_links")
    assert not at.exception
    assert cards(at) == ["**B2** · Alternative payment · **2.00 BYN** · pending",
                         "**B1** · Card pay link · **1.00 BYN** · pending"]  # fmt: skip
    assert any(c.value.startswith("expires in 2 h 59 min") for c in at.caption)
    assert at.code[0].value.startswith('<form action="https://pay.begateway.com/erip"')
    assert 'value="&quot;&gt;&lt;b&gt;x"' in at.code[0].value
    assert at.html[0].value == preview_form(at.code[0].value)  # opens a new tab
    assert at.code[1].value == "https://checkout.bepaid.by/v2/checkout?token=tok1"
    assert len(at.image) == 1  # the link's QR code; a form has none
    assert {b.label for b in at.download_button} == {
        "Download the form (.html)", "QR code (PNG)", "QR code (SVG)"
    }  # fmt: skip
    at.segmented_control(key="pl_kind").set_value("apm").run()
    assert cards(at) == ["**B2** · Alternative payment · **2.00 BYN** · pending"]


def test_a_form_to_an_unexpected_host_is_not_shown(console_env, tmp_path):
    path = console_env(tmp_path / "ledger.db")
    evil = {"action": "https://evil.example/steal", "method": "POST",
            "fields": [{"type": "hidden", "name": "sid", "value": "1"}]}  # fmt: skip
    with Ledger(path) as ledger:
        open_bill(ledger, 1, kind="apm", form=evil)
    at = open_page("pay_links")
    assert not at.exception
    warning = as_shown(at.warning[0].value)
    assert "not shown" in warning and "evil.example" in warning
    assert not at.html and not at.code and not at.download_button


@pytest.mark.parametrize(
    ("status", "demo", "said"),
    [
        (BillStatus.CREATING, False, "still being confirmed"),
        (BillStatus.PENDING, True, "Demo data"),
        (BillStatus.PENDING, False, "No pay link or form is recorded"),
    ],
    ids=["creating", "demo", "imported"],
)
def test_a_bill_without_link_or_form_says_why(console_env, tmp_path, status, demo, said):
    path = console_env(tmp_path / "ledger.db")
    with Ledger(path) as ledger:
        ledger.create_bill(
            NewBill(
                provider="begateway",
                kind="apm",
                tracking_id="t-1",
                amount=990,
                currency="BYN",
                status=status,
                demo=demo,
                extra={"method_type": "erip"},
            )
        )
    at = open_page("pay_links")
    assert not at.exception
    [info] = [as_shown(i.value) for i in at.info]
    assert said in info
    if status != BillStatus.CREATING:  # nothing is being confirmed for these
        assert "being confirmed" not in info


def test_pages_of_links(console_env, tmp_path):
    path = console_env(tmp_path / "ledger.db")
    with Ledger(path) as ledger:
        for n in range(1, 13):
            open_bill(ledger, n)
    at = open_page("pay_links")
    assert cards(at)[0].startswith("**B12**") and len(cards(at)) == 10
    at.main.get_by_key("pl_page").set_value(2).run()
    assert [c.split(" ")[0] for c in cards(at)] == ["**B2**", "**B1**"]


def test_more_open_links_than_are_read_still_shows_the_newest_first(console_env, tmp_path):
    path = console_env(tmp_path / "ledger.db")
    start = datetime.now(UTC) - timedelta(days=2)
    with Ledger(path) as ledger, ledger.bulk_load():
        for n in range(SCAN_LIMIT + 10):  # oldest first, one second apart
            ledger.create_bill(
                NewBill(
                    provider="bepaid",
                    kind="card_link",
                    tracking_id=f"bulk-{n}",
                    amount=100,
                    currency="BYN",
                    status=BillStatus.PENDING,
                    at=start + timedelta(seconds=n),
                )
            )
    with Ledger(path) as ledger:
        newest = open_bill(ledger, 99)  # created a minute ago: newer than every bulk bill
    at = open_page("pay_links")
    assert not at.exception
    assert cards(at)[0].startswith(f"**B{newest}**")
    assert at.caption[0].value.startswith(f"{SCAN_LIMIT + 11} open, newest first; the newest")


def test_check_status_records_a_payment_and_the_link_leaves_the_list(
    console_env, sandbox, tmp_path
):
    path = console_env(tmp_path / "ledger.db", sandbox)
    with Ledger(path) as ledger:
        made = Billing(load_settings(), ledger).pay_links.create(
            LOCAL_ADMIN, PayLinkDraft(amount="3.00", currency="BYN", description="Tea")
        )
    at = open_page("pay_links")
    assert cards(at) == [f"**{made.ref}** · Card pay link · **3.00 BYN** · pending"]
    sandbox.admin(f"checkouts/{made.bill.token}/pay", {"card": "4200000000000000"})
    at.button(key=f"pl_refresh_{made.bill.id}").click().run()
    assert not at.exception
    assert as_shown(at.success[0].value).startswith(f"{made.ref}:")
    assert "No open pay links" in as_shown(at.info[0].value)
    with Ledger(path) as ledger:
        assert ledger.get_bill(made.bill.id).status == BillStatus.PAID


@pytest.mark.parametrize(("role", "may_refresh"), [(Role.VIEWER, False), (Role.SUPPORT, True)])
def test_viewers_see_links_but_no_status_button(role, may_refresh, console_env, tmp_path):
    path = console_env(tmp_path / "ledger.db")
    with Ledger(path) as ledger:
        open_bill(ledger, 1)
    at = open_page("pay_links", Actor("vera", role))
    assert not at.exception
    assert len(cards(at)) == 1 and len(at.image) == 1
    assert any(b.key == "pl_refresh_1" for b in at.button) is may_refresh
