"""The Monitor page: open items with counts per status, filters, changes toasted and
highlighted, pause, and a provider check through a real sandbox."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from console.auth import LOCAL_ADMIN, Actor, Role
from console.billing import Billing, PayLinkDraft
from console.config import load_settings
from console.demo import generate_demo
from console.ledger import Ledger
from console.status import BillStatus, SubscriptionStatus
from console.ui.context import ACTOR_KEY
from console.ui.registry import PAGES_DIR
from provider_sandbox.app import create_app
from provider_sandbox.core import SandboxConfig
from tests.support.servers import free_port, serve

PAGE = PAGES_DIR / "monitor.py"
VIEWER = Actor("vic", Role.VIEWER, "console")
APPROVED_CARD = "4200000000000000"


def open_monitor(actor: Actor = LOCAL_ADMIN) -> AppTest:
    """Run the Monitor page as the router does once the login gate has let ``actor`` in."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[ACTOR_KEY] = actor
    return at.run()


@pytest.fixture
def use_ledger(monkeypatch, tmp_path):
    def use(path: Path, *, sandbox_port: int | None = None) -> None:
        monkeypatch.setenv("MERCHANT_CONSOLE_LEDGER", str(path))
        monkeypatch.setenv("MERCHANT_CONSOLE_SECRETS", str(tmp_path / "no-secrets.toml"))
        monkeypatch.setenv("MERCHANT_CONSOLE_TIMEZONE", "Europe/Minsk")
        # Nothing listens on these fresh ports unless a test starts a sandbox there.
        monkeypatch.setenv("MERCHANT_CONSOLE_SANDBOX_PORT", str(sandbox_port or free_port()))
        monkeypatch.setenv("MERCHANT_CONSOLE_WEBHOOKS_PORT", str(free_port()))

    return use


@pytest.fixture(scope="module")
def demo_master(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "ledger.db"
    generate_demo(path, bills=1000, seed=1)
    return path


@pytest.fixture
def demo_ledger(demo_master, tmp_path) -> Path:
    """A private copy of the demo ledger: tests change statuses in it."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_master, path)
    return path


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def open_rows(at: AppTest):
    frame = at.dataframe[0].value  # the page draws one dataframe: the open list
    frame["ref"] = frame["ref"].str.removeprefix("lookup?q=")
    return frame


def finished_rows(at: AppTest):
    """The "Recently finished" table, refs without their Markdown link to Lookup."""
    frame = at.table[0].value
    frame["ref"] = frame["ref"].str.extract(r"^\[(\w+)\]", expand=False)
    return frame


def expected_counts(path: Path, **filters) -> dict[str, str]:
    with Ledger(path) as ledger:
        items = ledger.open_items(**filters, limit=100_000)
    counts = Counter((item.object_type, item.status.value) for item in items)
    label = {"bill": "bills", "subscription": "subscriptions"}
    return {
        f"{status.replace('_', ' ')} {label[kind]}": f"{n:,}"
        for (kind, status), n in counts.items()
    }


def test_empty_ledger_shows_a_friendly_start(use_ledger, tmp_path):
    use_ledger(tmp_path / "empty.db")
    at = open_monitor()
    assert not at.exception
    assert "Nothing to watch yet" in at.info[0].value
    assert not at.dataframe and not at.metric


def test_counts_per_status_match_the_ledger_and_every_open_item_is_listed(use_ledger, demo_ledger):
    use_ledger(demo_ledger)
    at = open_monitor()
    assert not at.exception
    assert metrics(at) == expected_counts(demo_ledger)
    with Ledger(demo_ledger) as ledger:
        open_refs = {item.ref for item in ledger.open_items(limit=100_000)}
    rows = open_rows(at)
    assert set(rows["ref"]) == open_refs
    assert list(rows["created (Europe/Minsk)"]) == sorted(rows["created (Europe/Minsk)"])[::-1]
    finished = finished_rows(at)
    assert len(finished) == 10
    assert all(
        change.split(" → ")[1][2:]
        in {"paid", "failed", "expired", "canceled", "mismatch", "refunded", "error"}
        for change in finished["change"]
    )


@pytest.mark.parametrize(
    ("widget", "value", "filters"),
    [
        ("mon_provider", "payture", {"provider": "payture"}),
        ("mon_kind", "subscription", {"kind": "subscription"}),
        ("mon_provider", "begateway", {"provider": "begateway"}),
    ],
)
def test_filters_narrow_the_list_and_the_counts(use_ledger, demo_ledger, widget, value, filters):
    use_ledger(demo_ledger)
    at = open_monitor()
    at.selectbox(key=widget).set_value(value).run()
    assert metrics(at) == (expected_counts(demo_ledger, **filters) or {"open items": "0"})
    if "provider" in filters and value != "begateway":
        assert set(open_rows(at)["provider"]) == {value}
    if "kind" in filters:
        assert set(open_rows(at)["kind"]) == {value}
    if value == "begateway":  # the demo has no open APM payment, only finished ones
        assert not at.dataframe
        assert any(caption.value.startswith("Nothing open") for caption in at.caption)
        assert set(finished_rows(at)["kind"]) == {"apm"}


def test_a_status_changed_in_the_ledger_is_toasted_and_highlighted(use_ledger, demo_ledger):
    use_ledger(demo_ledger)
    at = open_monitor()
    assert not at.toast  # nothing to compare with on the first look
    pending_before = metrics(at)["pending bills"]
    with Ledger(demo_ledger) as ledger:
        bill = ledger.open_items("payture", "payture_bill", limit=1)[0]
        sub = ledger.open_items(kind="subscription", limit=1)[0]
        ledger.record_bill_status(bill.id, BillStatus.PAID, "PAID", "webhook")
        ledger.record_subscription_status(
            sub.id, SubscriptionStatus.PAST_DUE, "failed_attempt", "poll"
        )
    at.run()
    toasts = [toast.value for toast in at.toast]
    assert f"{bill.ref}: pending → 🟢 paid" in toasts
    assert f"{sub.ref}: active → 🟠 past_due" in toasts
    rows = open_rows(at).set_index("ref")
    assert bill.ref not in rows.index  # finished: it left the open list...
    finished = finished_rows(at).iloc[0]
    assert (finished["ref"], finished["new"]) == (bill.ref, "● new")  # ...and heads this one
    assert rows.loc[sub.ref, "changed"] == "active → past_due"
    assert rows["changed"].astype(bool).sum() == 1
    assert int(metrics(at)["pending bills"]) == int(pending_before) - 1
    delta = next(m for m in at.metric if m.label == "pending bills").proto.delta
    assert delta == "-1"

    at.run()  # the next look: announced once, still highlighted for a while
    assert not at.toast
    assert open_rows(at).set_index("ref").loc[sub.ref, "changed"] == "active → past_due"


def test_pause_freezes_the_list_until_resumed(use_ledger, demo_ledger):
    use_ledger(demo_ledger)
    at = open_monitor()
    at.toggle(key="mon_paused").set_value(True).run()
    assert any("Paused" in caption.value for caption in at.caption)
    with Ledger(demo_ledger) as ledger:
        bill = ledger.open_items("payture", limit=1)[0]
        ledger.record_bill_status(bill.id, BillStatus.PAID, "PAID", "webhook")
    at.run()
    assert not at.toast
    assert bill.ref in set(open_rows(at)["ref"])  # still shown as it was
    assert not any(caption.value.startswith("Providers:") for caption in at.caption)

    at.toggle(key="mon_paused").set_value(False).run()
    assert [toast.value for toast in at.toast] == [f"{bill.ref}: pending → 🟢 paid"]
    assert bill.ref not in set(open_rows(at)["ref"])


def test_a_viewer_watches_the_ledger_without_asking_providers(use_ledger, demo_ledger):
    use_ledger(demo_ledger)
    at = open_monitor(VIEWER)
    assert not at.exception
    assert not at.button  # no "Refresh now"
    assert any("Your role sees what the ledger knows" in c.value for c in at.caption)
    assert metrics(at) == expected_counts(demo_ledger)


@pytest.fixture
def sandbox(tmp_path):
    """A real sandbox on a free loopback port; yields its port."""
    port = free_port()
    app = create_app(
        SandboxConfig(public_url=f"http://127.0.0.1:{port}", state_path=str(tmp_path / "sb.db"))
    )
    with serve(app, port):
        yield port
    app.state.sandbox.store.close()


def test_refresh_now_asks_the_provider_and_announces_the_payment(use_ledger, tmp_path, sandbox):
    use_ledger(tmp_path / "ledger.db", sandbox_port=sandbox)
    with Ledger(tmp_path / "ledger.db") as ledger:
        made = Billing(load_settings(), ledger).pay_links.create(
            LOCAL_ADMIN,
            PayLinkDraft(
                amount="12.50",
                currency="BYN",
                description="Coffee beans",
                customer_email="anna@example.com",
            ),
        )
    at = open_monitor()
    row = open_rows(at).set_index("ref").loc[made.ref]
    assert row["status"] == "🔵 pending"
    assert any(c.value.startswith("Providers: 1 due checked") for c in at.caption)
    # Checked this moment; a link a minute old is next due within the Monitor's 5 s.
    assert row["checked"].endswith(" s ago")
    assert re.fullmatch(r"in [1-5] s|due now", row["next check"])  # however slow the machine

    paid = httpx.post(
        f"http://127.0.0.1:{sandbox}/__sandbox/checkouts/{made.bill.token}/pay",
        json={"card": APPROVED_CARD},
        timeout=10,
    )
    assert paid.status_code == 200, paid.text
    at.button(key="mon_refresh_now").click().run()
    assert [toast.value for toast in at.toast] == [f"{made.ref}: pending → 🟢 paid"]
    assert finished_rows(at).iloc[0]["ref"] == made.ref
    assert not at.dataframe  # nothing open any more
    assert "Nothing open" in " ".join(caption.value for caption in at.caption)


def test_refunds_are_watched_those_being_confirmed_first(use_ledger, demo_ledger):
    use_ledger(demo_ledger)
    with Ledger(demo_ledger) as ledger:
        paid = [
            bill
            for bill in ledger.recent_bills(500)
            if bill.status == BillStatus.PAID and bill.kind == "card_link"
        ]
        first = ledger.payments_of("bill", paid[0].id)[0]
        second = ledger.payments_of("bill", paid[1].id)[0]
        lost = ledger.refunds.start(first, 100, "Answer lost", actor="olga")
        made = ledger.refunds.start(second, 100, "Damaged", actor="olga")
        ledger.refunds.succeed(made, provider_uid="r-9", native_status="successful", at=None)
    at = open_monitor()
    assert not at.exception
    refunds = next(frame.value for frame in at.dataframe if "refund" in frame.value.columns)
    assert list(refunds["refund"]) == [f"R{lost}", f"R{made}"]  # the one being confirmed first
    assert list(refunds["state"]) == ["🟠 being confirmed", "🟢 refunded"]
    assert any("1 refund(s) being confirmed" in warning.value for warning in at.warning)

    at.selectbox(key="mon_kind").set_value("subscription").run()  # none of a subscription
    assert not [frame for frame in at.dataframe if "refund" in frame.value.columns]


def test_a_failed_item_says_why_under_recently_finished(use_ledger, demo_ledger):
    from dataclasses import replace

    from console.ledger import Attempt

    use_ledger(demo_ledger)
    with Ledger(demo_ledger) as ledger:
        bill = next(item for item in ledger.open_items(limit=50) if item.object_type == "bill")
        ledger.record_bill_status(bill.id, BillStatus.FAILED, "failed", "webhook")
        tried = Attempt("bill", bill.id, bill.provider, "uid-x", "failed", bill.created_at)
        ledger.attempts.record([replace(tried, code="F.0002")])
    at = open_monitor()
    finished = finished_rows(at).set_index("ref")
    assert finished.loc[bill.ref, "why"] == "F.0002"
