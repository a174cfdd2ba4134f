"""The Activity page through the real router: status changes, notifications and their
verdicts, the audit log, provider health against a real sandbox, and masked settings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from console.auth import LOCAL_ADMIN, Actor
from console.demo import generate_demo
from console.ledger import Ledger, NewBill
from console.status import BillStatus
from console.ui.context import ACTOR_KEY
from console.ui.registry import PAGES_DIR
from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from tests.support.servers import free_port, serve

PAGE = PAGES_DIR / "activity.py"
LATE_EVENING = datetime(2024, 5, 31, 22, 30, tzinfo=UTC)  # 01:30 on June 1 in Minsk


def open_activity(actor: Actor | None = LOCAL_ADMIN) -> AppTest:
    """Run the Activity page as the router does once the login gate has let ``actor`` in.

    The page file is run directly, so the page's own gate check is what is under
    test here (defence in depth beside the router's).
    """
    at = AppTest.from_file(PAGE, default_timeout=60)
    if actor is not None:
        at.session_state[ACTOR_KEY] = actor
    return at.run()


def table(at: AppTest, subheader: str):
    """The dataframe that follows ``subheader`` on the page, as a pandas DataFrame (or None)."""
    elements = list(at.main)
    flat = []
    while elements:
        element = elements.pop(0)
        children = getattr(element, "children", None)
        if children:
            elements[:0] = list(children.values())
        else:
            flat.append(element)
    start = next(i for i, e in enumerate(flat) if e.type == "subheader" and e.value == subheader)
    for element in flat[start + 1 :]:
        if element.type == "subheader":
            return None
        if element.type == "dataframe":
            return element.value
    return None


@pytest.fixture
def use_ledger(monkeypatch, tmp_path):
    def use(path: Path, *, sandbox_port: int | None = None, tz: str = "Europe/Minsk") -> None:
        monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(path))
        monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "no-secrets.toml"))
        monkeypatch.setenv("MERCHANT_CONSOLE_TIMEZONE", tz)
        # Nothing listens on a fresh free port unless a test starts a sandbox there.
        monkeypatch.setenv("MERCHANT_CONSOLE_SANDBOX_PORT", str(sandbox_port or free_port()))

    return use


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "ledger.db"
    generate_demo(path, bills=2000, seed=1)
    return path


@pytest.fixture
def sandbox(tmp_path):
    """A real sandbox on a free loopback port; yields (port, stop)."""
    port = free_port()
    app = create_app(
        SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(tmp_path / "sb.db"))
    )
    server = serve(app, port)
    server.__enter__()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            server.__exit__(None, None, None)

    yield port, stop
    stop()
    app.state.sandbox.store.close()


def busy_ledger(path: Path) -> None:
    """A paid bill (late evening UTC), two notifications about it and one rejected delivery."""
    with Ledger(path) as ledger:
        bill = ledger.create_bill(
            NewBill(
                provider="bepaid",
                kind="card_link",
                tracking_id="order-7",
                amount=1234,
                currency="EUR",
                status=BillStatus.PENDING,
                at=LATE_EVENING.replace(hour=21),
            )
        )
        ledger.record_bill_status(bill, BillStatus.PAID, "successful", "webhook", LATE_EVENING)
        for verdict in ("applied", "duplicate"):
            ledger.record_notification(
                provider="bepaid", verdict=verdict, kind="transaction", object_type="bill",
                object_id=bill, provider_object_id="uid-1", status_reported="successful",
                received_at=LATE_EVENING,
            )  # fmt: skip
        ledger.record_notification(provider="bepaid", verdict="rejected", received_at=LATE_EVENING)
        ledger.audit("anna", "create_bill", "bill", bill, "ok", "page:new_payment", at=LATE_EVENING)


def test_empty_ledger_renders_with_friendly_notes_and_masked_settings(use_ledger, tmp_path):
    use_ledger(tmp_path / "empty.db")
    at = open_activity()
    assert not at.exception
    infos = " ".join(info.value for info in at.info)
    assert "No status changes" in infos and "No provider notifications" in infos
    settings = at.table[0].value.to_string()
    assert "361" in settings and "sandbox-secret" not in settings


def test_demo_ledger_shows_latest_events_and_audit(use_ledger, demo_ledger):
    use_ledger(demo_ledger)
    at = open_activity()
    assert not at.exception
    events = table(at, "Status changes")
    assert len(events) == 50  # rows per table, default
    with Ledger(demo_ledger) as ledger:
        newest = ledger.recent_events(1)[0]
    assert events.iloc[0]["object"] == newest.ref
    assert list(events.columns[:3]) == ["when (Europe/Minsk)", "object", "change"]
    assert "demo_generate" in set(table(at, "Audit log")["action"])


def test_times_follow_the_chosen_zone(use_ledger, tmp_path):
    busy_ledger(tmp_path / "busy.db")
    use_ledger(tmp_path / "busy.db", tz="UTC")
    at = open_activity()
    paid = table(at, "Status changes").iloc[0]
    assert (paid["when (UTC)"], paid["change"]) == ("2024-05-31 22:30:00", "pending → paid")
    at.selectbox(key="activity_tz").set_value("Europe/Minsk").run()
    paid = table(at, "Status changes").iloc[0]
    assert paid["when (Europe/Minsk)"] == "2024-06-01 01:30:00"


def test_notifications_show_their_verdicts_and_filter_by_one(use_ledger, tmp_path):
    busy_ledger(tmp_path / "busy.db")
    use_ledger(tmp_path / "busy.db")
    at = open_activity()
    notes = table(at, "Notifications received")
    assert list(notes["verdict"]) == ["rejected", "duplicate", "applied"]  # newest first
    assert list(notes["object"].fillna("")) == ["", "lookup?q=B1", "lookup?q=B1"]  # links
    at.selectbox(key="activity_verdict").set_value("duplicate").run()
    assert list(table(at, "Notifications received")["verdict"]) == ["duplicate"]
    at.selectbox(key="activity_verdict").set_value("error").run()
    assert any("with verdict error" in info.value for info in at.info)


def test_provider_health_reports_a_running_sandbox_then_a_stopped_one(
    use_ledger, tmp_path, sandbox
):
    port, stop = sandbox
    use_ledger(tmp_path / "empty.db", sandbox_port=port)
    at = open_activity()
    [row] = table(at, "Provider health").to_dict("records")
    assert row["reachable"] == "yes" and row["answer"] == "HTTP 200"
    assert row["latency (ms)"] >= 0
    assert row["URL"] == f"http://127.0.0.1:{port}/__sandbox/health"

    stop()
    at.run()  # within the cache's 30 s: the last answer is still shown
    assert table(at, "Provider health").iloc[0]["reachable"] == "yes"
    at.button(key="activity_recheck").click().run()
    [row] = table(at, "Provider health").to_dict("records")
    assert (row["reachable"], row["answer"]) == ("no", "connection refused")
    assert any("Not reachable" in warning.value for warning in at.warning)


def test_without_the_login_gate_the_page_shows_nothing(use_ledger, demo_ledger):
    use_ledger(demo_ledger)
    at = open_activity(actor=None)
    assert not at.exception
    assert "Not signed in" in at.error[0].value
    assert not at.dataframe and not at.table  # no events, audit or configuration


def test_refunds_show_who_gave_back_how_much_and_why(use_ledger, tmp_path):
    """One refund made, one whose answer was lost (being confirmed), one refused."""
    path = tmp_path / "refunds.db"
    busy_ledger(path)
    with Ledger(path) as ledger:
        ledger.record_payment(
            provider="bepaid",
            provider_txn_id="txn-7",
            amount=1234,
            currency="EUR",
            at=LATE_EVENING,
            bill_id=1,
        )
        (charge,) = ledger.payments_of("bill", 1)
        charge_id = charge.id
        done = ledger.refunds.start(charge, 234, "Late delivery", actor="olga", at=LATE_EVENING)
        ledger.refunds.succeed(done, provider_uid="r-1", native_status="successful", at=None)
        ledger.refunds.start(charge, 500, "Broken lid", actor="olga", at=LATE_EVENING)
        refused = ledger.refunds.start(charge, 100, "Wrong size", actor="ivan", at=LATE_EVENING)
        ledger.refunds.fail(refused, detail="Refund amount exceeds the balance")
    use_ledger(path)
    at = open_activity()
    assert not at.exception
    rows = table(at, "Refunds")
    assert list(rows["refund"]) == ["R3", "R2", "R1"]
    assert list(rows["state"]) == ["🔴 not made", "🟠 being confirmed", "🟢 refunded"]
    assert list(rows["amount"]) == ["1.00 EUR", "5.00 EUR", "2.34 EUR"]
    assert list(rows["by"]) == ["ivan", "olga", "olga"]
    assert list(rows["of"]) == ["B1"] * 3 and set(rows["payment"]) == {f"P{charge_id}"}
    assert rows["detail"][0] == "Refund amount exceeds the balance"
    assert "01:30:00" in rows["when (Europe/Minsk)"][0]
