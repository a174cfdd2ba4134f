"""The notification log on the Activity page: filters, a keyset page of notifications
(newest first), one opened with its masked payload, an admin's replay, the CSV export.

UI only: the rows come from ``ledger.notifications``, the replay from
``billing.notifications.replay`` (which checks the role again and audits), the words
and the CSV from :mod:`console.ui.notification_view`. Provider text reaches Markdown
through :func:`~console.ui.text.plain` only; the table (``st.dataframe``), the dedupe
key (``st.code``) and the payload (``st.json``) are never Markdown.

``/activity?notification=12`` opens notification #12 (the address follows what is
open, so it can be sent to a colleague). Changing a filter goes back to the newest
page; *Replay* opens the row it wrote.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from console.auth import Action, Actor, can
from console.errors import ConsoleError
from console.ledger import PROVIDERS, VERDICTS, Ledger, Notification, NotificationFilter
from console.ui import context, notification_view
from console.ui.notification_view import EXPORT_MAX_ROWS, FilterProblem, Typed
from console.ui.text import plain, titled

ALL_VERDICTS = "all verdicts"
ALL_PROVIDERS = "all providers"
VERDICT_KEY = "activity_verdict"
PROVIDER_KEY = "activity_provider"
OBJECT_KEY = "activity_object"
FIRST_DAY_KEY = "activity_first_day"
LAST_DAY_KEY = "activity_last_day"
CURSOR_KEY = "activity_cursor"
FILTER_SEEN_KEY = "activity_filter_seen"
PICK_KEY = "activity_pick"
OPEN_KEY = "activity_open"
URL_SEEN_KEY = "activity_url_seen"
FLASH_KEY = "activity_flash"
TABLE_KEY = "activity_notifications"
CSV_KEY = "activity_notifications_csv"
REPLAY_KEY = "activity_replay"
MASKED_NOTE = (
    "As kept: the body as received once its signature was checked, with secrets (keys, "
    "passwords, tokens) and card data (all but brand and last 4 digits, any card number "
    "in text) masked."
)


def section(ledger: Ledger, tz: str, limit: int, actor: Actor) -> None:
    """The whole panel: filters, the page of rows, the export, and the one opened."""
    st.subheader("Notifications received")
    show_flash()
    typed = filters()
    try:
        where = notification_view.log_filter(typed, tz)
    except FilterProblem as exc:
        st.error(plain(str(exc)), icon=":material/block:")
        return
    page = ledger.notifications.page(where, limit=limit, **cursor_for(where))
    if not page.rows:
        st.info(nothing_found(typed))
        if page.has_newer:
            st.button("Back to the newest", key="activity_newest", on_click=go_to, args=({},))
    else:
        rows_and_pager(page.rows, page.has_newer, page.has_older, tz)
        export_button(ledger, where, tz, typed)
    opened = opened_id()
    if opened is not None:
        show_notification(ledger, opened, tz, actor)


# -- filters and pages ------------------------------------------------------------------


def filters() -> Typed:
    verdict_col, provider_col, object_col, first_col, last_col = st.columns([2, 2, 3, 2, 2])
    verdict = verdict_col.selectbox("Verdict", (ALL_VERDICTS, *VERDICTS), key=VERDICT_KEY)
    provider = provider_col.selectbox("Provider", (ALL_PROVIDERS, *PROVIDERS), key=PROVIDER_KEY)
    text = object_col.text_input(
        "Object or provider id",
        key=OBJECT_KEY,
        placeholder="B12, S3 or a transaction uid",
        on_change=refuse_card_number,
    )
    first = first_col.date_input("Received from", value=None, key=FIRST_DAY_KEY)
    last = last_col.date_input("to (inclusive)", value=None, key=LAST_DAY_KEY)
    return Typed(
        verdict=None if verdict == ALL_VERDICTS else verdict,
        provider=None if provider == ALL_PROVIDERS else provider,
        object_text=text,
        first_day=first if not isinstance(first, tuple) else None,
        last_day=last if not isinstance(last, tuple) else None,
    )


def refuse_card_number() -> None:
    """The object box's ``on_change``: a card number is wiped before the script sees it."""
    text = st.session_state.get(OBJECT_KEY) or ""
    try:
        notification_view.log_filter(Typed(object_text=text), "UTC")
    except FilterProblem as exc:
        st.session_state[OBJECT_KEY] = ""
        st.session_state[FLASH_KEY] = ("error", plain(str(exc)))


def cursor_for(where: NotificationFilter) -> dict[str, int]:
    """Where the page starts (``before=`` / ``after=`` an id); the newest page again when
    the filters changed since the last run."""
    seen = repr(where)
    if st.session_state.get(FILTER_SEEN_KEY) != seen:
        st.session_state[FILTER_SEEN_KEY] = seen
        st.session_state[CURSOR_KEY] = {}
    cursor: dict[str, int] = st.session_state.get(CURSOR_KEY) or {}
    return cursor


def go_to(cursor: dict[str, int]) -> None:
    st.session_state[CURSOR_KEY] = cursor


def nothing_found(typed: Typed) -> str:
    if typed == Typed(verdict=typed.verdict):
        verdict = "" if typed.verdict is None else f" with verdict {typed.verdict}"
        return f"No provider notifications received{verdict}."
    return "No provider notifications match these filters."


def rows_and_pager(rows: list[Notification], has_newer: bool, has_older: bool, tz: str) -> None:
    # st.dataframe cells are never Markdown: details and ids show as the provider sent them.
    st.dataframe(
        notification_view.log_table(rows, tz),
        hide_index=True,
        key=TABLE_KEY,
        column_config={
            "object": st.column_config.LinkColumn(
                "object", display_text=r"lookup\?q=(.*)", help="Open in Lookup"
            )
        },
    )
    newer_col, older_col, caption_col = st.columns([1, 1, 4])
    newer_col.button(
        "← Newer",
        key="activity_newer",
        disabled=not has_newer,
        on_click=go_to,
        args=({"after": rows[0].id},),
    )
    older_col.button(
        "Older →",
        key="activity_older",
        disabled=not has_older,
        on_click=go_to,
        args=({"before": rows[-1].id},),
    )
    caption_col.caption(f"#{rows[0].id} to #{rows[-1].id}, newest first.")
    labels = {note.id: notification_view.option_label(note, tz) for note in rows}
    if st.session_state.get(PICK_KEY) not in labels:
        st.session_state.pop(PICK_KEY, None)
    st.selectbox(
        "Open a notification",
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        placeholder="Choose one to see its payload, its verdict and what it repeats",
        key=PICK_KEY,
        on_change=picked,
    )


def picked() -> None:
    st.session_state[OPEN_KEY] = st.session_state.get(PICK_KEY)


def export_button(ledger: Ledger, where: NotificationFilter, tz: str, typed: Typed) -> None:
    def csv_file() -> bytes:
        # Runs when the button is clicked, in a server thread: no Streamlit calls here.
        rows = ledger.notifications.rows(where, limit=EXPORT_MAX_ROWS)
        return notification_view.notifications_csv(rows, tz)

    st.download_button(
        "Download these notifications (CSV)",
        data=csv_file,
        file_name=notification_view.csv_file_name(tz, typed),
        mime="text/csv",
        key=CSV_KEY,
        on_click="ignore",
        icon=":material/download:",
    )
    st.caption(
        f"Everything these filters match, newest first, at most {EXPORT_MAX_ROWS:,} rows, "
        f"times in {plain(tz)}. Payloads stay here: a file leaves the sign-in and the audit "
        "behind, and they carry customer details."
    )


# -- one notification -------------------------------------------------------------------


def opened_id() -> int | None:
    """The notification to show: the one picked, or ``?notification=`` when it is new."""
    wanted = st.query_params.get("notification", "")
    if wanted and wanted != st.session_state.get(URL_SEEN_KEY):
        st.session_state[URL_SEEN_KEY] = wanted
        if wanted.isascii() and wanted.isdigit():
            st.session_state[OPEN_KEY] = int(wanted)
    opened = st.session_state.get(OPEN_KEY)
    if isinstance(opened, int):
        st.query_params["notification"] = str(opened)
        st.session_state[URL_SEEN_KEY] = str(opened)
        return opened
    if "notification" in st.query_params:
        del st.query_params["notification"]
    return None


def open_row(notification_id: int) -> None:
    st.session_state[OPEN_KEY] = notification_id
    st.session_state[PICK_KEY] = notification_id  # dropped at render when not on the page


def show_notification(ledger: Ledger, notification_id: int, tz: str, actor: Actor) -> None:
    note = ledger.notifications.get(notification_id)
    if note is None:
        st.warning(f"The ledger has no notification #{notification_id}.")
        return
    log = ledger.notifications
    original = log.get(note.replay_of) if note.replay_of is not None else note
    with st.container(border=True, key="activity_detail"):
        st.markdown(f"#### Notification #{note.id}")
        st.markdown(facts(note, tz))
        relations(ledger, note, tz)
        if note.dedupe_key:
            st.caption("Dedupe key (the object and the state it reports)")
            st.code(note.dedupe_key, language=None, wrap_lines=True)
        payload = original.payload if original is not None else None
        if payload is not None:
            if note.replay_of is not None:
                st.caption(f"The payload of #{note.replay_of}, which this replay re-ran.")
            st.caption(MASKED_NOTE)
            st.json(notification_view.payload_json(payload), expanded=True)
        else:
            st.info(no_payload_words(original or note))
        if payload is not None and can(actor, Action.REPLAY):
            target = original.id if original is not None else note.id
            st.button(
                f"Replay #{target}",
                key=REPLAY_KEY,
                icon=":material/replay:",
                on_click=replay,
                args=(target,),
                help="Re-run the stored payload through the receiver's checks and apply it "
                "again. What the ledger already holds is a duplicate and changes nothing.",
            )


def facts(note: Notification, tz: str) -> str:
    """The row as Markdown lines; everything a provider sent goes through plain()."""
    when = note.received_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")
    matched = f"[{note.ref}](lookup?q={note.ref})" if note.ref else "none matched"
    lines = [
        f"**Verdict:** {note.verdict}" + (f" — {plain(note.detail)}" if note.detail else ""),
        f"**Received:** {when} ({plain(tz)}), {plain(notification_view.source_words(note))}",
        f"**Provider:** {note.provider}, {note.kind or 'not read'}"
        + (f", reported {plain(note.status_reported)}" if note.status_reported else ""),
        f"**Provider id:** {plain(note.provider_object_id or 'none')}",
        f"**Object:** {matched}",
    ]
    return "  \n".join(lines)


def relations(ledger: Ledger, note: Notification, tz: str) -> None:
    """The earlier row this one repeats, the row a replay re-ran, and its replays."""
    log = ledger.notifications
    earlier = log.earlier_with(note.dedupe_key, note.id) if note.dedupe_key else None
    replays = log.replays_of(note.id)
    if earlier is not None:
        when = notification_view.option_label(earlier, tz)
        st.markdown(f"**Repeats** {plain(when)}")
        st.button(f"Open #{earlier.id}", key="activity_open_earlier",
                  on_click=open_row, args=(earlier.id,))  # fmt: skip
    if note.replay_of is not None:
        st.button(f"Open #{note.replay_of}", key="activity_open_original",
                  on_click=open_row, args=(note.replay_of,))  # fmt: skip
    if replays:
        words = ", ".join(f"#{r.id} ({r.verdict}, by {r.actor})" for r in replays)
        st.markdown(f"**Replayed as** {plain(words)}")


def no_payload_words(note: Notification) -> str:
    if note.verdict == "rejected":
        return "No payload: a request that failed authentication keeps no body."
    return (
        "No payload kept: the body was not a JSON object or was over 64 KiB masked, or it "
        "arrived before payloads were kept. It cannot be replayed."
    )


def replay(notification_id: int) -> None:
    """The *Replay* button's ``on_click``: billing checks the role again and audits."""
    try:
        replayed = context.billing().notifications.replay(context.actor(), notification_id)
    except ConsoleError as exc:
        st.session_state[FLASH_KEY] = ("error", titled(exc.title, exc.message))
        return
    st.session_state[FLASH_KEY] = ("success", plain(replayed.message))
    st.session_state[OPEN_KEY] = replayed.row.id
    st.session_state[PICK_KEY] = replayed.row.id
    st.session_state[CURSOR_KEY] = {}  # the newest page, where the new row is


def show_flash() -> None:
    """What a callback left for this run; its text is Markdown made with plain()."""
    flash: Any = st.session_state.pop(FLASH_KEY, None)
    if flash:
        tone, text = flash
        {"success": st.success, "error": st.error}[tone](text)
