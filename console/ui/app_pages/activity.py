"""Activity: provider health, recent status changes, the notification log (filtered,
paged, each notification opened with its masked payload, replayed by an admin,
exported as CSV), refunds (who gave back how much of what, and why), the audit log, and
the configuration in use (secrets masked).

UI only: reads come from the ledger's ``recent_*`` queries, ``ledger.notifications``
and :mod:`console.health`; rows are shaped by :mod:`console.ui.tables`; the
notification log is :mod:`console.ui.notification_panel`. Provider
health is cached here for :data:`HEALTH_TTL` seconds so that reruns (every click)
do not send a request to each provider; *Check again* clears it.

Decision — the page checks the login gate itself (``context.actor()`` and the
role's allowed pages) as well as the router, so it never renders for someone the
gate did not let in, however it is run. (Pages live in ``app_pages/``, not
``pages/``, because Streamlit's legacy multipage mode serves files of a ``pages/``
folder without the entry script.)
"""

from __future__ import annotations

import streamlit as st

from console.auth import allowed_pages
from console.config import Settings
from console.health import HealthTarget, ProviderHealth, check_targets, health_targets
from console.ledger import Ledger
from console.ui import context, notification_panel, tables
from console.ui.text import plain

HEALTH_TTL = 30
LIMITS = (50, 200, 1000)


@st.cache_data(ttl=HEALTH_TTL, show_spinner="Checking providers…")
def provider_health(targets: tuple[HealthTarget, ...]) -> list[ProviderHealth]:
    return check_targets(targets)


@st.fragment
def health_section(settings: Settings, tz: str) -> None:
    """A fragment: *Check again* reruns this panel only, not the page's ledger reads."""
    st.subheader("Provider health")
    targets = health_targets(settings)
    if st.button("Check again", icon=":material/refresh:", key="activity_recheck"):
        provider_health.clear()
    checks = provider_health(targets)
    st.dataframe(tables.health_table(checks, tz), hide_index=True, key="activity_health")
    down = [check.name for check in checks if not check.reachable]
    if down:
        st.warning(f"Not reachable: {plain(', '.join(down))}.", icon=":material/cloud_off:")
    st.caption(f"Cached for {HEALTH_TTL} s; one request per provider base URL, no credentials.")


def events_section(ledger: Ledger, tz: str, limit: int) -> None:
    st.subheader("Status changes")
    events = ledger.recent_events(limit)
    if not events:
        st.info("No status changes recorded yet.")
        return
    # st.dataframe cells are never Markdown: details, reasons and provider messages in
    # these tables show as they were written (no plain() here, or its escapes would show).
    st.dataframe(tables.events_table(events, tz), hide_index=True, key="activity_events")


def refunds_section(ledger: Ledger, tz: str, limit: int) -> None:
    st.subheader("Refunds")
    refunds = ledger.refunds.recent(limit)
    if not refunds:
        st.info("No refunds asked for or reported yet.")
        return
    st.dataframe(tables.refunds_table(refunds, tz), hide_index=True, key="activity_refunds")


def audit_section(ledger: Ledger, tz: str, limit: int) -> None:
    st.subheader("Audit log")
    entries = ledger.recent_audit(limit)
    if not entries:
        st.info("Nothing audited yet.")
        return
    st.dataframe(tables.audit_table(entries, tz), hide_index=True, key="activity_audit")


def configuration_section(settings: Settings) -> None:
    st.subheader("Configuration in use")
    shown = settings.masked()
    st.table({"setting": list(shown), "value": [plain(value) for value in shown.values()]})
    st.caption(f"Read from {plain(settings.source)}. Secrets are masked.")


def main() -> None:
    # Defence in depth: the page checks the login gate itself, whatever runs it.
    actor = context.actor()  # "Not signed in" and stop when the login gate did not run
    if "activity" not in allowed_pages(actor):
        st.error(f"{plain(actor.name)} ({actor.role}) may not open Activity.")
        return
    settings = context.settings()
    ledger = context.ledger()
    st.title("Activity")
    names = tables.time_zone_names()
    default_tz = settings.timezone.key
    if default_tz not in names:
        names.insert(0, default_tz)
    tz_col, limit_col = st.columns([3, 1])
    tz = tz_col.selectbox("Time zone", names, index=names.index(default_tz), key="activity_tz")
    limit = limit_col.selectbox("Rows per table", LIMITS, key="activity_limit")
    st.caption(f"Times are shown in **{tz}**, newest first.")
    health_section(settings, tz)
    events_section(ledger, tz, limit)
    notification_panel.section(ledger, tz, limit, actor)
    refunds_section(ledger, tz, limit)
    audit_section(ledger, tz, limit)
    configuration_section(settings)


main()
