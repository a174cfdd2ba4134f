"""The Payments page through AppTest: filters narrow the table and the totals per currency, the
address holds the filters and restores them, bad values in the address or the boxes give a
message and change nothing else, keyset pages, and the CSV that the export writes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from console.auth import LOCAL_ADMIN, Actor, Role
from console.ledger import Ledger, NewBill, PaymentFilter
from console.status import BillStatus
from console.ui.context import ACTOR_KEY
from console.ui.registry import PAGES_DIR
from console.web import DOWNLOADS
from tests.support.markdown import as_shown

PAGE = PAGES_DIR / "payments.py"
ZONE = ZoneInfo("Europe/Minsk")
NOW = datetime.now(UTC)
FORMULAS = ('=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)")


def shop(path: Path) -> dict[int, dict]:
    """120 bills over the last 20 days: BYN, EUR and JPY, paid, failed and pending, some
    typed descriptions that a spreadsheet would run, one refund."""
    made: dict[int, dict] = {}
    with Ledger(path) as ledger:
        for number in range(120):
            currency = ("BYN", "EUR", "JPY")[number % 3]
            amount = (2500, 12550, 990, 30000)[number % 4] if currency != "JPY" else 1500
            description = FORMULAS[number % 4] if number < 4 else f"Order #{number} Кофе"
            at = NOW - timedelta(hours=4 * number + 1)
            bill = ledger.create_bill(
                NewBill(provider="bepaid", kind="card_link", tracking_id=f"order-{number}",
                        amount=amount, currency=currency, description=description,
                        customer_email=f"buyer{number % 9}@example.com",
                        status=BillStatus.PENDING, at=at)
            )  # fmt: skip
            status = (BillStatus.PAID, BillStatus.FAILED, BillStatus.PENDING)[(number // 3) % 3]
            if status is BillStatus.PAID:
                ledger.record_payment(
                    provider="bepaid", provider_txn_id=f"t{number}", amount=amount,
                    currency=currency, at=at, bill_id=bill,
                )  # fmt: skip
            if status is not BillStatus.PENDING:
                ledger.record_bill_status(bill, status, None, "poll", at=at)
            made[bill] = {"amount": amount, "currency": currency, "status": status, "at": at}
    return made


@pytest.fixture(scope="module")
def shop_ledger(tmp_path_factory) -> tuple[Path, dict[int, dict]]:
    path = tmp_path_factory.mktemp("shop") / "ledger.db"
    return path, shop(path)


@pytest.fixture
def use_ledger(monkeypatch, tmp_path):
    def use(path: Path) -> None:
        monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(path))
        monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "no-secrets.toml"))
        monkeypatch.setenv("MERCHANT_CONSOLE_TIMEZONE", "Europe/Minsk")

    return use


def open_payments(
    query: dict[str, str] | None = None, actor: Actor | None = LOCAL_ADMIN
) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    if actor is not None:
        at.session_state[ACTOR_KEY] = actor
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def shown_refs(at: AppTest) -> list[int]:
    assert not at.exception, at.exception
    if not at.table:
        return []
    return [int(cell.split("]", 1)[0].removeprefix("[B")) for cell in at.table[0].value["bill"]]


def totals(at: AppTest) -> dict[str, tuple[int, str]]:
    """Currency -> (bills, amount shown) from the metrics above the table."""
    found = {}
    for metric in at.metric:
        currency, count = metric.label.split(" · ")
        found[currency] = (int(count.split()[0].replace(",", "")), metric.value)
    return found


def address(at: AppTest) -> dict[str, str]:
    found = {}
    for key in at.query_params:
        value = at.query_params[key]
        found[key] = value if isinstance(value, str) else value[-1]
    return found


def test_the_default_view_is_the_last_30_days_newest_first(use_ledger, shop_ledger):
    path, made = shop_ledger
    use_ledger(path)
    at = open_payments()
    newest_first = sorted(made, key=lambda b: made[b]["at"], reverse=True)
    assert shown_refs(at) == newest_first[:50]
    today = datetime.now(ZONE).date()
    assert at.date_input(key="pm_period").value == (today - timedelta(days=29), today)
    per_currency = {
        c: sum(1 for b in made.values() if b["currency"] == c) for c in ("BYN", "EUR", "JPY")
    }
    assert {c: n for c, (n, _) in totals(at).items()} == per_currency
    byn = sum(b["amount"] for b in made.values() if b["currency"] == "BYN")
    assert totals(at)["BYN"][1] == f"{byn // 100:,}".replace(",", " ") + f".{byn % 100:02d} BYN"
    assert address(at) == {
        "from": str(today - timedelta(days=29)),
        "to": str(today),
        "tz": "Europe/Minsk",
    }
    first_row = at.table[0].value.iloc[0]
    assert first_row["bill"] == f"[B{newest_first[0]}](lookup?q=B{newest_first[0]})"
    assert first_row["customer"].endswith(
        f"(customer?email=buyer{(newest_first[0] - 1) % 9}%40example.com)"
    )


def test_filters_narrow_the_table_and_the_totals_and_go_into_the_address(use_ledger, shop_ledger):
    path, made = shop_ledger
    use_ledger(path)
    at = open_payments()
    at.multiselect(key="pm_status").set_value([BillStatus.FAILED])
    at.selectbox(key="pm_currency").set_value("EUR")
    at.text_input(key="pm_amount_min").input("100").run()
    wanted = [b for b in made if made[b]["status"] is BillStatus.FAILED
              and made[b]["currency"] == "EUR" and made[b]["amount"] >= 10000]  # fmt: skip
    assert sorted(shown_refs(at)) == sorted(wanted) and wanted
    assert totals(at) == {"EUR": (len(wanted), totals(at)["EUR"][1])}
    assert address(at)["status"] == "failed"
    assert address(at)["currency"] == "EUR" and address(at)["amount_min"] == "100"


def test_an_address_restores_the_filtered_view(use_ledger, shop_ledger):
    path, _ = shop_ledger
    use_ledger(path)
    query = {"status": "paid,failed", "currency": "BYN", "sort": "amount_desc",
             "email": "BUYER3@example.com"}  # fmt: skip
    at = open_payments(query)
    assert at.multiselect(key="pm_status").value == [BillStatus.PAID, BillStatus.FAILED]
    assert at.selectbox(key="pm_currency").value == "BYN"
    assert at.selectbox(key="pm_sort").value == "amount_desc"
    assert at.text_input(key="pm_email").value == "BUYER3@example.com"
    with Ledger(path) as ledger:
        where = PaymentFilter(statuses=(BillStatus.PAID, BillStatus.FAILED), currency="BYN",
                              email="buyer3@example.com")  # fmt: skip
        expected = [row.id for row in ledger.explorer.page(where, "amount_desc").rows]
    assert shown_refs(at) == expected and expected
    assert not at.warning


def test_bad_values_in_the_address_are_named_and_ignored(use_ledger, shop_ledger):
    path, made = shop_ledger
    use_ledger(path)
    at = open_payments(
        {"status": "lost", "currency": "XYZ", "amount_min": "12,345", "sort": "cheapest",
         "from": "2026-13-01", "to": "2026-01-01", "email": "nobody", "tz": "Mars/Base",
         "q": "4200 0000 0000 0000", "provider": "paypal"}
    )  # fmt: skip
    assert not at.exception
    said = " ".join(as_shown(w.value) for w in at.warning)
    for fragment in ("lost", "XYZ", "12,345", "cheapest", "2026-13-01", "Mars/Base",
                     "e-mail", "card number", "paypal"):  # fmt: skip
        assert fragment in said, fragment
    assert "4200" not in said  # a card number is never repeated
    assert len(shown_refs(at)) == 50  # every filter ignored: the default view
    assert sum(n for n, _ in totals(at).values()) == len(made)
    assert "q" not in address(at) and "status" not in address(at)


def test_a_malformed_amount_gets_a_message_and_changes_nothing(use_ledger, shop_ledger):
    path, _ = shop_ledger
    use_ledger(path)
    at = open_payments({"currency": "BYN"})
    before = (shown_refs(at), totals(at), address(at))
    at.text_input(key="pm_amount_min").input("12,345").run()
    assert "ambiguous" in " ".join(as_shown(e.value) for e in at.error)
    assert (shown_refs(at), totals(at), address(at)) == before
    at.text_input(key="pm_amount_min").input("12.5").run()  # fixed: applies
    assert not at.error and address(at)["amount_min"] == "12.5"


def test_next_and_previous_pages_never_repeat_or_skip_a_bill(use_ledger, shop_ledger):
    path, _ = shop_ledger
    use_ledger(path)
    at = open_payments({"sort": "amount_asc"})
    first = shown_refs(at)
    at.button(key="pm_next").click().run()
    second = shown_refs(at)
    at.button(key="pm_next").click().run()
    third = shown_refs(at)
    with Ledger(path) as ledger:
        every = [r.id for r in ledger.explorer.rows(PaymentFilter(), "amount_asc")]
    assert first + second + third == every  # 120 bills: 50 + 50 + 20
    assert at.button(key="pm_next").disabled
    at.button(key="pm_previous").click().run()
    assert shown_refs(at) == second
    at.button(key="pm_previous").click().run()
    assert shown_refs(at) == first and at.button(key="pm_previous").disabled
    at.selectbox(key="pm_sort").set_value("newest").run()  # a new sort starts at page 1
    assert any("Page 1 ·" in c.value for c in at.caption)


def test_the_csv_holds_every_filtered_bill_in_major_units_and_local_times(use_ledger, shop_ledger):
    path, made = shop_ledger
    use_ledger(path)
    at = open_payments({"sort": "oldest"})
    at.button(key="pm_export_prepare").click().run()
    assert not at.exception
    ready = at.session_state["pm_export"]
    prepared = DOWNLOADS.get(ready["url"].rsplit("/", 1)[1])
    assert prepared is not None
    today = datetime.now(ZONE).date()
    assert prepared.file_name == (f"payments-{today - timedelta(days=29)}_{today}-Europe_Minsk.csv")
    raw = prepared.path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a byte-order mark for spreadsheet programs
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [int(r["bill"][1:]) for r in rows] == sorted(made, key=lambda b: made[b]["at"])
    by_ref = {int(r["bill"][1:]): r for r in rows}
    for bill, facts in made.items():
        row = by_ref[bill]
        minor = facts["amount"]
        expected = str(minor) if facts["currency"] == "JPY" else f"{minor // 100}.{minor % 100:02d}"
        assert (row["amount"], row["currency"]) == (expected, facts["currency"])
        assert row["paid"] == (
            expected
            if facts["status"] is BillStatus.PAID
            else "0"
            if facts["currency"] == "JPY"
            else "0.00"
        )
        stamp = datetime.fromisoformat(row["created (Europe/Minsk)"])
        assert stamp.utcoffset() == timedelta(hours=3)
        assert abs(stamp - facts["at"]) < timedelta(seconds=1)
    typed = [by_ref[bill]["description"] for bill in sorted(made)[:4]]
    assert typed == ["'" + formula for formula in FORMULAS]  # shown, never run
    assert "Кофе" in by_ref[sorted(made)[10]]["description"]
    [link] = at.get("html")
    assert ready["url"] in link.proto.body and "download=" in link.proto.body


def test_every_role_may_read_it_and_nobody_unsigned(use_ledger, shop_ledger):
    path, _ = shop_ledger
    use_ledger(path)
    assert len(shown_refs(open_payments(actor=Actor("vic", Role.VIEWER)))) == 50
    at = open_payments(actor=None)
    assert "Not signed in" in at.error[0].value and not at.table


def test_an_empty_ledger_gets_a_welcome(use_ledger, tmp_path):
    use_ledger(tmp_path / "empty.db")
    at = open_payments()
    assert "No bills yet" in at.info[0].value and not at.table


def test_a_period_without_bills_says_so(use_ledger, shop_ledger):
    path, _ = shop_ledger
    use_ledger(path)
    at = open_payments({"from": "2020-01-01", "to": "2020-01-31"})
    assert at.date_input(key="pm_period").value == (date(2020, 1, 1), date(2020, 1, 31))
    assert "No bill matches" in at.info[0].value
    assert at.button(key="pm_export_prepare").disabled


def test_coming_back_through_the_menu_finds_the_filters_as_they_were(use_ledger, shop_ledger):
    path, _ = shop_ledger
    use_ledger(path)
    at = open_payments({"kind": "card_link", "sort": "amount_desc"})
    at.button(key="pm_next").click().run()
    shown = shown_refs(at)
    for key in list(at.query_params):  # the menu's link to /payments carries no filters
        del at.query_params[key]
    at.run()
    assert at.selectbox(key="pm_kind").value == "card_link"
    assert shown_refs(at) == shown  # the same page too
    assert address(at)["kind"] == "card_link"


def test_the_default_period_follows_the_zone_and_a_chosen_one_stays(use_ledger, shop_ledger):
    from console.ui.payments_view import default_form

    path, _ = shop_ledger
    use_ledger(path)
    at = open_payments()
    at.selectbox(key="pm_tz").set_value("Pacific/Kiritimati").run()
    kiritimati = default_form("Pacific/Kiritimati")
    assert at.date_input(key="pm_period").value == (kiritimati.first, kiritimati.last)
    chosen = open_payments({"from": "2026-01-01", "to": "2026-01-31"})
    chosen.selectbox(key="pm_tz").set_value("Etc/GMT+12").run()
    assert chosen.date_input(key="pm_period").value == (date(2026, 1, 1), date(2026, 1, 31))
    assert address(chosen)["tz"] == "Etc/GMT+12" and address(chosen)["from"] == "2026-01-01"


def test_a_failed_bill_says_why_in_the_providers_words(use_ledger, tmp_path):
    from console.ledger import Attempt

    path = tmp_path / "ledger.db"
    with Ledger(path) as ledger:
        made = [
            ledger.create_bill(
                NewBill(
                    provider="bepaid",
                    kind="card_link",
                    tracking_id=f"o-{n}",
                    amount=900,
                    currency="BYN",
                    status=BillStatus.PENDING,
                    at=NOW - timedelta(hours=n),
                )
            )
            for n in (1, 2)
        ]
        for bill_id in made:
            ledger.record_bill_status(bill_id, BillStatus.FAILED, "failed", "poll")
        declined = Attempt("bill", made[0], "bepaid", "uid-1", "failed", NOW,
                           message="Payment declined", code="F.0002")  # fmt: skip
        ledger.attempts.record([declined])
    use_ledger(path)
    table = open_payments().table[0].value.set_index("bill")
    why = {ref: as_shown(text) for ref, text in table["why"].items()}
    assert why[f"[B{made[0]}](lookup?q=B{made[0]})"] == "Payment declined (F.0002)"
    assert why[f"[B{made[1]}](lookup?q=B{made[1]})"] == ""  # nothing was said


def test_a_count_over_many_bills_waits_for_its_button(use_ledger, shop_ledger, monkeypatch):
    """An amount range is counted from the bills: over more of them than the page counts
    at once, the table comes first and the count and sums when asked for."""
    from console.ui import payments_view

    monkeypatch.setattr(payments_view, "COUNT_AT_ONCE", 10)
    path, made = shop_ledger
    use_ledger(path)
    at = open_payments({"amount_min": "100"})
    assert not at.metric and shown_refs(at)  # the page, without its count
    assert "More than 10 bills" in at.markdown[0].value
    assert not at.button(key="pm_export_prepare").disabled
    at.button(key="pm_count").click().run()
    from_100 = [
        b for b in made.values() if b["amount"] >= 100 * (1 if b["currency"] == "JPY" else 100)
    ]
    assert {c: n for c, (n, _) in totals(at).items()} == {
        c: sum(1 for b in from_100 if b["currency"] == c)
        for c in ("BYN", "EUR", "JPY")
        if any(b["currency"] == c for b in from_100)
    }


def test_a_period_alone_is_counted_at_once_however_low_the_limit(
    use_ledger, shop_ledger, monkeypatch
):
    from console.ui import payments_view

    monkeypatch.setattr(payments_view, "COUNT_AT_ONCE", 10)
    path, made = shop_ledger
    use_ledger(path)
    at = open_payments({"status": "paid"})
    paid = [b for b in made.values() if b["status"] is BillStatus.PAID]
    assert sum(n for n, _ in totals(at).values()) == len(paid)
    assert not [b for b in at.button if b.key == "pm_count"]
