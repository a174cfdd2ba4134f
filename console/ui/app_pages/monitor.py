"""Monitor: every open bill and subscription — status, age, time to expiry — kept current.

UI only. A fragment re-runs on its own every 5, 15 or 60 seconds (``st.fragment(
run_every=...)``): it asks the providers about the open items through
``billing.sync.refresh_open`` (behind :class:`~console.ui.monitor_view.SyncGate`, so
many open tabs share one pass), then re-reads the ledger. What changed since the
previous look is announced with a toast (``B12: pending → paid``) and highlighted;
finished items leave the open list and appear under "Recently finished"; the newest
refunds follow, those still being confirmed first.

Decisions:

* Pausing freezes the view: no provider pass and no re-read, the list stays as it
  was so it can be read; changing a filter while paused still re-reads the ledger
  (without asking providers). *Refresh now* always does both.
* A role without ``refresh`` (viewer) is not offered *Refresh now* and its
  auto-refresh only re-reads the ledger (webhooks and ``merchant-console sync``
  keep it current); providers are asked on behalf of the person watching, never of
  a system actor.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from console.auth import Action, Actor, allowed_pages, can
from console.config import Settings
from console.errors import ConsoleError
from console.ledger import Ledger
from console.ui import context, monitor_view, status_view, tables
from console.ui.monitor_view import Look, StatusChange, SyncGate, SyncOutcome
from console.ui.text import plain, titled

INTERVALS = {"5 s": 5, "15 s": 15, "60 s": 60}
ALL = "all"
PROVIDERS = (ALL, "bepaid", "begateway", "payture")
KINDS = (ALL, "card_link", "apm", "payture_bill", "subscription")
KIND_LABEL = {
    ALL: "all kinds",
    "card_link": "card pay links",
    "apm": "APM payments",
    "payture_bill": "Payture bills",
    "subscription": "subscriptions",
}
PROVIDER_LABEL = {ALL: "all providers", "bepaid": "bePaid", "begateway": "beGateway"}
EMPTY_LEDGER = (
    "Nothing to watch yet. Bills and subscriptions appear here while they wait for the "
    "payer; create one on **New payment**."
)
SEEN_KEY = "mon_seen"  # the last look: filters, statuses and counts
LOOK_KEY = "mon_look"  # the last Look itself, shown again while paused
CHANGES_KEY = "mon_changes"  # changes still highlighted


@st.cache_resource(show_spinner=False)
def sync_gate(ledger_path: str) -> SyncGate:
    """One gate per ledger file for the whole process (every session shares it)."""
    return SyncGate()


def controls() -> tuple[str | None, str | None, int, bool]:
    provider_col, kind_col, interval_col, pause_col = st.columns(
        [2, 2, 2, 1], vertical_alignment="bottom"
    )
    provider = provider_col.selectbox(
        "Provider", PROVIDERS, format_func=lambda p: PROVIDER_LABEL.get(p, p), key="mon_provider"
    )
    kind = kind_col.selectbox("Kind", KINDS, format_func=KIND_LABEL.__getitem__, key="mon_kind")
    interval = interval_col.segmented_control(
        "Refresh every", tuple(INTERVALS), default="5 s", required=True, key="mon_interval"
    )
    paused = pause_col.toggle("Pause", key="mon_paused")
    return (
        None if provider == ALL else provider,
        None if kind == ALL else kind,
        INTERVALS[interval],
        paused,
    )


def live_panel(
    settings: Settings,
    ledger: Ledger,
    actor: Actor,
    provider: str | None,
    kind: str | None,
    interval: int,
    paused: bool,
) -> None:
    """The part that re-runs on its own: sync, look, announce, draw."""
    tz = settings.timezone.key
    may_refresh = can(actor, Action.REFRESH)
    forced = may_refresh and st.button(
        "Refresh now", icon=":material/refresh:", key="mon_refresh_now"
    )
    last: Look | None = st.session_state.get(LOOK_KEY)
    frozen = paused and not forced and last is not None and last.filters == (provider, kind)
    outcome: SyncOutcome | None = None
    if not frozen and may_refresh and (forced or not paused):
        try:
            refresh_open = context.billing().sync.refresh_open
            outcome = sync_gate(str(settings.ledger_path)).run(
                lambda who: refresh_open(who, everything=forced), actor, force=forced
            )
        except ConsoleError as exc:
            st.error(titled(exc.title, exc.message))
    look = last if frozen else fresh_look(ledger, provider, kind)
    assert look is not None
    status_line(look, tz, interval, paused, frozen, outcome, may_refresh)
    if look.empty:
        st.info(
            "Nothing open and nothing finished recently"
            + ("" if (provider, kind) == (None, None) else " for these filters")
            + ".",
            icon=":material/done_all:",
        )
        return
    marked = {change.ref for change in highlighted(look)}
    counts_row(look)
    open_section(look, tz, marked)
    finished_section(look, tz, marked)
    refunds_section(look, tz)


def fresh_look(ledger: Ledger, provider: str | None, kind: str | None) -> Look:
    """Read the ledger, diff against the previous look (same filters), toast the changes."""
    seen: dict[str, Any] = st.session_state.get(SEEN_KEY) or {}
    same_filters = seen.get("filters") == (provider, kind)
    look = monitor_view.take_look(
        ledger,
        provider=provider,
        kind=kind,
        previous=seen["statuses"] if same_filters else None,
    )
    for change in look.changes[:5]:
        st.toast(toast_text(change), icon=":material/notifications:")
    if len(look.changes) > 5:
        st.toast(f"…and {len(look.changes) - 5} more changes", icon=":material/notifications:")
    st.session_state[SEEN_KEY] = {
        "filters": (provider, kind),
        "statuses": look.statuses,
        "counts": look.counts,
        "before": seen["counts"] if same_filters else None,
    }
    st.session_state[CHANGES_KEY] = [*st.session_state.get(CHANGES_KEY, []), *look.changes]
    st.session_state[LOOK_KEY] = look
    return look


def toast_text(change: StatusChange) -> str:
    """``B12: pending → 🟢 paid``."""
    if change.before is None:
        return f"{change.ref}: new, {status_view.status_label(change.after)}"
    return f"{change.ref}: {change.before} → {status_view.status_label(change.after)}"


def highlighted(look: Look) -> list[StatusChange]:
    kept = monitor_view.still_highlighted(st.session_state.get(CHANGES_KEY, []), look.taken_at)
    st.session_state[CHANGES_KEY] = kept
    return kept


def status_line(
    look: Look,
    tz: str,
    interval: int,
    paused: bool,
    frozen: bool,
    outcome: SyncOutcome | None,
    may_refresh: bool,
) -> None:
    when = status_view.local_time(look.taken_at, tz)
    if paused:
        state = f":material/pause: Paused — showing the list as of {when} ({tz})."
        if not frozen:
            state = f":material/pause: Paused — read from the ledger at {when} ({tz})."
    else:
        state = f":material/autorenew: Refreshing every {interval} s — last look {when} ({tz})."
    if not may_refresh:
        state += (
            " Your role sees what the ledger knows; notifications and background sync keep it "
            "current."
        )
    st.caption(state)
    if outcome is None or outcome.report is None:
        return
    report = outcome.report
    sent = sum(report.requests.values())
    detail = (
        f"Providers: {report.checked} due checked in {report.duration:.1f} s "
        f"({sent} requests), {len(report.status_changes)} status changes, "
        f"{report.new_payments} new payments"
    )
    if report.deferred:
        detail += f", {report.deferred} due left for the next passes (polling budget)"
    if not outcome.ran:
        detail += f" ({outcome.note})"
    st.caption(detail + ".")
    if report.errors:
        shown = "; ".join(f"{error.ref}: {error.message}" for error in report.errors[:3])
        more = f" (and {len(report.errors) - 3} more)" if len(report.errors) > 3 else ""
        st.warning(
            f"Could not check {len(report.errors)} item(s): {plain(shown)}{more}",
            icon=":material/warning:",
        )


def counts_row(look: Look) -> None:
    seen = st.session_state.get(SEEN_KEY) or {}
    deltas = monitor_view.count_deltas(look.counts, seen.get("before"))
    keys = sorted(
        {key for key, value in look.counts.items() if value}
        | {key for key, delta in deltas.items() if delta}
    )
    if not keys:
        st.metric("open items", 0)
        return
    for column, key in zip(st.columns(len(keys)), keys, strict=True):
        delta = deltas.get(key)
        column.metric(
            monitor_view.count_label(*key),
            f"{look.counts.get(key, 0):,}",
            delta=delta or None,
            delta_color="off",
        )


def open_section(look: Look, tz: str, marked: set[str]) -> None:
    st.subheader(f"Open ({look.total:,})")
    if look.truncated:
        st.caption(
            f"Showing and watching the newest {len(look.items):,}; older items that finish "
            "still appear under Recently finished."
        )
    if not look.items:
        st.caption("Nothing open: every item has reached a final status.")
        return
    changes = {change.ref: change for change in highlighted_changes(marked)}
    checks = {
        item.ref: monitor_view.checked_words(look.checks.get(item.ref), look.taken_at)
        for item in look.items
    }
    rows = [
        {
            "ref": f"lookup?q={item.ref}",
            "changed": changed_words(changes.get(item.ref), item.status.value),
            "status": status_view.status_label(item.status),
            "kind": item.kind,
            "provider": item.provider,
            "amount": status_view.money(item.amount, item.currency),
            "age": status_view.age_words(item.age),
            "expires": status_view.expiry_words(item.expires_in),
            "checked": checks[item.ref][0],
            "next check": checks[item.ref][1],
            "customer": item.customer_email or "",
            "tracking id": item.tracking_id,
            f"created ({tz})": status_view.local_time(item.created_at, tz),
        }
        for item in look.items
    ]
    styled = status_view.highlight_rows(rows, {f"lookup?q={ref}" for ref in marked}, key="ref")
    st.dataframe(  # cells are never Markdown: e-mails and tracking ids show as they are
        styled,
        hide_index=True,
        key="mon_open",
        column_config={
            "ref": st.column_config.LinkColumn(
                "ref", display_text=r"lookup\?q=(.*)", help="Open in Lookup"
            )
        },
    )
    if look.total > len(look.items):
        st.caption(f"Showing the newest {len(look.items):,} of {look.total:,} open items.")


def changed_words(change: StatusChange | None, status: str) -> str:
    """``active → past_due`` for a highlighted row, ``new`` for one that just appeared."""
    if change is None:
        return ""
    return "new" if change.before is None else status_view.change_words(change.before, status)


def highlighted_changes(marked: set[str]) -> list[StatusChange]:
    return [c for c in st.session_state.get(CHANGES_KEY, []) if c.ref in marked]


def finished_section(look: Look, tz: str, marked: set[str]) -> None:
    st.subheader("Recently finished")
    if not look.finished:
        st.caption("No item has reached a final status yet.")
        return
    rows = [
        {
            "ref": f"[{item.ref}](lookup?q={item.ref})",
            "new": "● new" if item.ref in marked else "",
            "change": status_view.change_words(item.before, status_view.status_label(item.status)),
            "kind": item.kind,
            "amount": status_view.money(item.amount, item.currency),
            "provider status": plain(item.native_status),
            "why": plain(item.why),
            f"when ({tz})": status_view.local_time(item.at, tz),
        }
        for item in look.finished
    ]
    links = {f"[{ref}](lookup?q={ref})" for ref in marked}
    st.table(status_view.highlight_rows(rows, links, key="ref"), hide_index=True)
    st.caption("The newest items that reached a final status (paid, failed, expired, …).")


def refunds_section(look: Look, tz: str) -> None:
    """The newest refunds, those still being confirmed first (they need watching)."""
    if not look.refunds:
        return
    st.subheader("Refunds")
    waiting = sum(1 for refund in look.refunds if refund.status == "creating")
    st.dataframe(tables.refunds_table(look.refunds, tz), hide_index=True, key="mon_refunds")
    if waiting:
        st.warning(
            f"{waiting} refund(s) being confirmed: the provider's answer was lost. Each is "
            "checked on every pass; nothing is sent again.",
            icon=":material/schedule:",
        )
    else:
        st.caption("The newest refunds; open one with Lookup (its bill or subscription).")


def main() -> None:
    # Defence in depth: the page checks the login gate itself, whatever runs it.
    actor = context.actor()  # "Not signed in" and stop when the login gate did not run
    if "monitor" not in allowed_pages(actor):
        st.error(f"{plain(actor.name)} ({actor.role}) may not open Monitor.")
        return
    settings = context.settings()
    ledger = context.ledger()
    st.title("Monitor")
    if tables.ledger_is_empty(ledger):
        st.info(EMPTY_LEDGER, icon=":material/monitor_heart:")
        return
    provider, kind, interval, paused = controls()
    panel = st.fragment(live_panel, run_every=None if paused else interval)
    panel(settings, ledger, actor, provider, kind, interval, paused)


main()
