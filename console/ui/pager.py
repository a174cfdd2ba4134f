"""Keyset paging on a page: *Newest*, *Newer* and *Older* under a long list.

The ledger hands a long list out a page at a time (:class:`console.ledger.ListPage`): the
next page starts where the last one ended (its ``older`` cursor), never at an ``OFFSET``.
This module keeps, per list, the cursors of the pages before the one shown — a stack in
session state — so *Newer* goes back exactly and *Newest* to the start. The list's
``scope`` (its search, its customer, its page size) is kept beside the stack: when the
scope changes, the list starts again at its newest page.

Widget keys are ``<key>_newest``, ``<key>_newer`` and ``<key>_older``.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import streamlit as st

from console.ledger import Cursor, ListPage

__all__ = ["before", "controls"]


def _state(key: str) -> dict[str, Any]:
    state: dict[str, Any] = st.session_state[f"{key}_pager"]
    return state


def before(key: str, scope: Hashable) -> Cursor | None:
    """The cursor to read the shown page of list ``key`` from (None: the newest page)."""
    state = st.session_state.get(f"{key}_pager")
    if state is None or state["scope"] != scope:
        st.session_state[f"{key}_pager"] = {"scope": scope, "stack": []}
        return None
    stack: list[Cursor] = state["stack"]
    return stack[-1] if stack else None


def controls(key: str, page: ListPage[Any], *, size: int, noun: str = "rows") -> None:
    """Where this page is in the list, and the buttons to move (call :func:`before` first)."""
    number = len(_state(key)["stack"]) + 1
    if number == 1 and page.older is None:
        return  # everything fits on one page
    first = (number - 1) * size + 1
    newest, newer, older, where = st.columns([1, 1, 1, 3], vertical_alignment="center")
    newest.button(
        "Newest",
        key=f"{key}_newest",
        on_click=_newest,
        args=(key,),
        disabled=number == 1,
        icon=":material/first_page:",
    )
    newer.button(
        "Newer",
        key=f"{key}_newer",
        on_click=_newer,
        args=(key,),
        disabled=number == 1,
        icon=":material/chevron_left:",
    )
    older.button(
        "Older",
        key=f"{key}_older",
        on_click=_older,
        args=(key, page.older),
        disabled=page.older is None,
        icon=":material/chevron_right:",
    )
    where.caption(f"Page {number}: {noun} {first:,}–{first + len(page.rows) - 1:,}, newest first.")


def _newest(key: str) -> None:
    _state(key)["stack"].clear()


def _newer(key: str) -> None:
    stack = _state(key)["stack"]
    if stack:
        stack.pop()


def _older(key: str, cursor: Cursor | None) -> None:
    if cursor is not None:
        _state(key)["stack"].append(cursor)
