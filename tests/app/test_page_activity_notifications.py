"""The notification log on Activity, through AppTest: filters and keyset pages, one
notification opened with its masked payload and what it repeats, an admin's replay (not
offered to support or viewers, refused when the role changed), and the CSV export."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from console.auth import LOCAL_ADMIN, Actor, Role
from console.ledger import Ledger, NewBill
from console.notices import Delivery, apply_notice, load_json_object, masked_payload, notice_of
from console.status import BillStatus
from console.ui.context import ACTOR_KEY
from console.ui.registry import PAGES_DIR
from tests.support.markdown import as_shown
from tests.support.servers import free_port

PAGE = PAGES_DIR / "activity.py"
EVENING = datetime(2024, 5, 31, 22, 30, tzinfo=UTC)  # 01:30 on June 1 in Minsk
SUPPORT = Actor("sam", Role.SUPPORT, "page:activity")
VIEWER = Actor("vic", Role.VIEWER, "page:activity")


def body(tracking_id: str = "order-7", uid: str = "uid-7", **changes) -> dict:
    transaction = {
        "uid": uid, "status": "successful", "amount": 1234, "currency": "EUR",
        "type": "payment", "tracking_id": tracking_id, "test": True,
        "description": "Order 7 (card 4200 0000 0000 0000)",
        "paid_at": "2024-05-31T22:29:00Z",
        "credit_card": {"brand": "visa", "last_4": "0000", "bin": "420000",
                        "holder": "Jane Payer", "token": "tok-secret-1"},
        **changes,
    }  # fmt: skip
    return {"transaction": transaction}


def deliver(ledger: Ledger, data: dict, at: datetime = EVENING) -> int:
    """What the receiver does with a verified body: keep it masked, apply it, record it."""
    raw = json.dumps(data).encode()
    parsed = load_json_object(raw)
    delivery = Delivery(received_at=at, body_sha256="0" * 64, payload=masked_payload(parsed))
    verdict = apply_notice(ledger, notice_of("bepaid", parsed), delivery)
    return verdict.notification_id


def paid_bill_ledger(path: Path) -> None:
    """B1 paid by notification #1, repeated by #2; #3 about no bill of ours."""
    with Ledger(path) as ledger:
        ledger.create_bill(
            NewBill(provider="bepaid", kind="card_link", tracking_id="order-7", amount=1234,
                    currency="EUR", test=True, status=BillStatus.PENDING,
                    at=EVENING - timedelta(hours=1))
        )  # fmt: skip
        assert deliver(ledger, body()) == 1
        assert deliver(ledger, body(), EVENING + timedelta(minutes=1)) == 2
        assert deliver(ledger, body("elsewhere", "uid-9"), EVENING + timedelta(minutes=2)) == 3


@pytest.fixture
def use_ledger(monkeypatch, tmp_path):
    def use(path: Path, tz: str = "Europe/Minsk") -> None:
        monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(path))
        monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "no-secrets.toml"))
        monkeypatch.setenv("MERCHANT_CONSOLE_TIMEZONE", tz)
        monkeypatch.setenv("MERCHANT_CONSOLE_SANDBOX_PORT", str(free_port()))

    return use


@pytest.fixture
def ledger_path(tmp_path, use_ledger) -> Path:
    path = tmp_path / "ledger.db"
    paid_bill_ledger(path)
    use_ledger(path)
    return path


def open_activity(actor: Actor = LOCAL_ADMIN, notification: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[ACTOR_KEY] = actor
    if notification:
        at.query_params["notification"] = notification
    return at.run()


def log(at: AppTest):
    [table] = [d for d in at.dataframe if "verdict" in d.value.columns and "#" in d.value.columns]
    return table.value


def shown(at: AppTest) -> str:
    return "\n".join(as_shown(m.value) for m in at.markdown)


def open_one(at: AppTest, notification_id: int) -> AppTest:
    return at.selectbox(key="activity_pick").set_value(notification_id).run()


def test_the_log_lists_newest_first_with_links_to_lookup(ledger_path):
    at = open_activity()
    assert not at.exception
    rows = log(at)
    assert list(rows["#"]) == [3, 2, 1]
    assert list(rows["verdict"]) == ["unknown_object", "duplicate", "applied"]
    assert list(rows["object"].fillna("")) == ["", "lookup?q=B1", "lookup?q=B1"]
    assert list(rows["received (Europe/Minsk)"])[-1] == "2024-06-01 01:30:00"


def test_opening_a_notification_shows_its_masked_payload_verdict_object_and_key(ledger_path):
    at = open_one(open_activity(), 1)
    text = shown(at)
    assert "Notification #1" in text
    assert "**Verdict:** applied" in text
    assert "[B1](lookup?q=B1)" in text  # the object, linked to Lookup
    [payload] = at.json
    kept = json.loads(payload.value)["transaction"]
    assert kept["credit_card"] == {"brand": "visa", "last_4": "0000"}
    assert kept["description"] == "Order 7 (card ****0000)"
    assert "tok-secret-1" not in payload.value and "420000" not in payload.value
    assert [c.value for c in at.code] == ["bepaid:transaction:uid-7:successful"]
    assert at.query_params["notification"] == "1"  # the address names what is open


def test_a_duplicate_names_the_notification_it_repeats_and_opens_it(ledger_path):
    at = open_one(open_activity(), 2)
    assert "**Repeats** #1 · 2024-06-01 01:30 · bepaid · B1 · applied" in shown(at)
    at.button(key="activity_open_earlier").click().run()
    assert "Notification #1" in shown(at)


def test_a_link_with_a_notification_number_opens_it(ledger_path):
    at = open_activity(notification="3")
    assert "Notification #3" in shown(at) and "**Object:** none matched" in shown(at)


def test_an_admin_replays_a_notification_and_gets_a_new_duplicate_row(ledger_path):
    at = open_one(open_activity(), 1)
    at.button(key="activity_replay").click().run()
    assert not at.exception
    [done] = at.success
    assert as_shown(done.value) == "#1 replayed as #4: duplicate (repeats notification #1)."
    rows = log(at)
    assert (rows["#"][0], rows["verdict"][0], rows["source"][0]) == (4, "duplicate", "replay")
    text = shown(at)
    assert "Notification #4" in text and "replay of #1 by local" in text
    assert "The payload of #1, which this replay re-ran." in [c.value for c in at.caption]
    with Ledger(ledger_path) as ledger:
        assert ledger.get_bill(1).status is BillStatus.PAID
        assert len(ledger.payments_of("bill", 1)) == 1
        audit = ledger.recent_audit(1)[0]
        assert (audit.actor, audit.action, audit.outcome) == ("local", "replay_notification", "ok")


def test_a_notification_about_a_bill_made_later_is_applied_when_replayed(ledger_path):
    with Ledger(ledger_path) as ledger:
        ledger.create_bill(
            NewBill(provider="bepaid", kind="card_link", tracking_id="elsewhere", amount=1234,
                    currency="EUR", test=True, status=BillStatus.PENDING)
        )  # fmt: skip
    at = open_one(open_activity(), 3)
    at.button(key="activity_replay").click().run()
    assert "replayed as #4: applied" in as_shown(at.success[0].value)
    with Ledger(ledger_path) as ledger:
        assert ledger.get_bill(2).status is BillStatus.PAID


@pytest.mark.parametrize("actor", [SUPPORT, VIEWER], ids=["support", "viewer"])
def test_support_and_viewers_see_the_payload_but_are_not_offered_a_replay(ledger_path, actor):
    at = open_one(open_activity(actor), 1)
    assert not at.exception
    assert len(at.json) == 1
    assert not [b for b in at.button if b.key == "activity_replay"]


def test_a_replay_is_refused_when_the_role_changed_since_the_page_was_drawn(ledger_path):
    at = open_one(open_activity(), 1)
    at.session_state[ACTOR_KEY] = SUPPORT  # demoted between drawing and clicking
    at.button(key="activity_replay").click().run()
    assert "Not allowed" in at.error[0].value
    with Ledger(ledger_path) as ledger:
        assert len(ledger.recent_notifications()) == 3
        assert ledger.recent_audit(1)[0].outcome == "refused"


def test_a_rejected_row_shows_it_keeps_no_payload_and_offers_no_replay(ledger_path):
    with Ledger(ledger_path) as ledger:
        ledger.record_notification(provider="bepaid", verdict="rejected", detail="no signature")
    at = open_one(open_activity(), 4)
    assert "keeps no body" in at.info[0].value
    assert not at.json and not [b for b in at.button if b.key == "activity_replay"]


@pytest.mark.parametrize(
    ("widget", "value", "expected"),
    [
        ("activity_verdict", "duplicate", [2]),
        ("activity_provider", "payture", []),
        ("activity_object", "b1", [2, 1]),
        ("activity_object", "uid-9", [3]),
    ],
)
def test_filters_narrow_the_log(ledger_path, widget, value, expected):
    at = open_activity()
    element = at.selectbox(key=widget) if widget != "activity_object" else at.text_input(key=widget)
    element.set_value(value).run()
    if expected:
        assert list(log(at)["#"]) == expected
    else:
        assert "No provider notifications match these filters." in at.info[0].value


def test_days_are_whole_days_of_the_chosen_zone(ledger_path):
    at = open_activity()  # Minsk: the three arrived on June 1 after 01:30
    at.date_input(key="activity_first_day").set_value(date(2024, 6, 1)).run()
    assert list(log(at)["#"]) == [3, 2, 1]
    at.date_input(key="activity_last_day").set_value(date(2024, 6, 1)).run()
    assert list(log(at)["#"]) == [3, 2, 1]
    at.selectbox(key="activity_tz").set_value("UTC").run()  # May 31 in UTC
    assert "No provider notifications match" in at.info[0].value


def test_a_card_number_typed_as_a_filter_is_wiped_and_refused(ledger_path):
    at = open_activity()
    at.text_input(key="activity_object").input("4200 0000 0000 0000").run()
    assert "looks like a card number" in at.error[0].value
    assert at.text_input(key="activity_object").value == ""
    assert list(log(at)["#"]) == [3, 2, 1]


def test_pages_of_fifty_go_older_and_back_newer(tmp_path, use_ledger):
    path = tmp_path / "many.db"
    with Ledger(path) as ledger:
        for n in range(60):
            ledger.record_notification(
                provider="bepaid", verdict="unknown_object", kind="transaction",
                provider_object_id=f"uid-{n}", received_at=EVENING + timedelta(seconds=n),
            )  # fmt: skip
    use_ledger(path)
    at = open_activity()
    assert list(log(at)["#"]) == list(range(60, 10, -1))
    assert at.button(key="activity_newer").disabled
    at.button(key="activity_older").click().run()
    assert list(log(at)["#"]) == list(range(10, 0, -1))
    assert at.button(key="activity_older").disabled
    at.button(key="activity_newer").click().run()
    assert list(log(at)["#"]) == list(range(60, 10, -1))


@pytest.fixture
def deferred(monkeypatch) -> dict:
    """The callables download buttons hand the server to run on click, by file id."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    kept: dict = {}

    class KeepingManager(MediaFileManager):
        def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
            file_id = super().add_deferred(data_callable, mimetype, coordinates, file_name, **kw)
            kept[file_id] = (data_callable, file_name)
            return file_id

    monkeypatch.setattr("streamlit.testing.v1.app_test.MediaFileManager", KeepingManager)
    return kept


def downloaded(at: AppTest, kept: dict) -> tuple[list[dict], str, bytes]:
    [button] = [b for b in at.get("download_button") if b.key == "activity_notifications_csv"]
    make, file_name = kept[button.proto.deferred_file_id]
    content = make()
    return list(csv.DictReader(io.StringIO(content.decode()))), file_name, content


def test_the_csv_lists_the_filtered_log_in_the_chosen_zone_without_payloads(ledger_path, deferred):
    with Ledger(ledger_path) as ledger:
        ledger.record_notification(
            provider="bepaid", verdict="error", kind="transaction",
            provider_object_id="=HYPERLINK(\"https://evil.example\")",
            detail="-2+3 unreadable: @SUM(A1)", received_at=EVENING + timedelta(minutes=3),
        )  # fmt: skip
    at = open_activity()
    rows, file_name, content = downloaded(at, deferred)
    assert [r["notification"] for r in rows] == ["4", "3", "2", "1"]
    assert list(rows[0]) == [
        "notification", "received_at", "provider", "kind", "verdict", "object",
        "provider_object_id", "status_reported", "detail", "replay_of", "replayed_by",
    ]  # fmt: skip
    first = rows[-1]
    assert first["received_at"] == "2024-06-01T01:30:00+03:00"
    assert (first["provider"], first["kind"], first["verdict"], first["object"]) == (
        "bepaid", "transaction", "applied", "B1",
    )  # fmt: skip
    assert (first["provider_object_id"], first["status_reported"]) == ("uid-7", "successful")
    assert rows[2]["detail"] == "repeats notification #1"
    # Cells a spreadsheet would run as formulas are written as text.
    assert rows[0]["provider_object_id"] == '\'=HYPERLINK("https://evil.example")'
    assert rows[0]["detail"] == "'-2+3 unreadable: @SUM(A1)"
    assert b"credit_card" not in content and b"****0000" not in content  # no payloads
    assert file_name == "notifications_start_now_Europe-Minsk.csv"

    at.selectbox(key="activity_verdict").set_value("duplicate").run()
    at.selectbox(key="activity_tz").set_value("UTC").run()
    rows, _, _ = downloaded(at, deferred)
    assert [(r["notification"], r["received_at"]) for r in rows] == [
        ("2", "2024-05-31T22:31:00+00:00")
    ]
