"""What a payer does on a bePaid hosted page, as one code path for the page and the admin.

A payment token (``?token=`` on ``/v2/checkout``) belongs to a *pay session*: a hosted
checkout or a subscription waiting for its first payment. Each kind registers a loader
(:func:`register_session_kind`); this module runs the payer's steps against whichever
session the token names:

* :func:`pay` — the card form was submitted: a transaction is recorded. A 3-D Secure
  card stops at the challenge (transaction ``incomplete``); otherwise the session
  decides what the final status means (:meth:`PaySession.conclude`).
* :func:`confirm_3ds` — the challenge code was submitted (``12345`` passes).
* :func:`cancel_location` — the payer pressed Cancel.

While a challenge is pending the session is locked to it: paying again returns the
same challenge, so an abandoned 3-D Secure step cannot leave stray transactions.
Notifications are collected while the state transaction is open and queued after it
commits (the notifier may write to the store itself).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from provider_sandbox.bepaid.cards import (
    THREE_DS_CODE,
    Card,
    direct_outcome,
    load_card,
    store_card,
)
from provider_sandbox.bepaid.records import Source
from provider_sandbox.bepaid.transactions import (
    Charge,
    create_transaction,
    finish_transaction,
    load_transaction,
)
from provider_sandbox.core import Sandbox

Notices = list[tuple[str | None, dict[str, Any]]]


@dataclass
class PayResult:
    """The outcome of a payer's step.

    ``outcome`` is one of ``redirect`` (go to ``location``: the merchant's URL, or the
    hosted page's result view), ``challenge`` (go to the 3-D Secure page at
    ``location``), ``retry`` (declined, attempts remain: show ``message`` and the form
    again), ``closed`` (nothing can be paid any more: ``message`` says why) or
    ``missing`` (unknown token).
    """

    outcome: str
    location: str | None = None
    transaction: dict[str, Any] | None = None
    message: str = ""


@dataclass(frozen=True)
class PageInfo:
    """What the hosted page shows about a session."""

    amount: int
    currency: str
    description: str
    open: bool
    headline: str  # what the page says when it is not open (or a declined note)
    notes: list[str] = field(default_factory=list)


class PaySession(Protocol):
    """A payable thing behind a payment token."""

    token: str
    pending_uid: str | None

    def page(self, now: datetime) -> PageInfo: ...

    def is_open(self, now: datetime) -> bool: ...

    def closed_message(self, now: datetime) -> str: ...

    def charge(self) -> Charge: ...

    def hold_for_challenge(self, conn: sqlite3.Connection, transaction: dict[str, Any]) -> None:
        """Remember the incomplete transaction that waits for its 3-D Secure step."""

    def conclude(
        self,
        conn: sqlite3.Connection,
        transaction: dict[str, Any],
        now: datetime,
        notices: Notices,
    ) -> PayResult:
        """Apply a final transaction status to the session and say where the payer goes."""

    def cancel_location(self) -> str: ...


SessionLoader = Callable[[Sandbox, Source, str], "PaySession | None"]
_LOADERS: list[SessionLoader] = []


def register_session_kind(loader: SessionLoader) -> None:
    if loader not in _LOADERS:
        _LOADERS.append(loader)


def load_session(sandbox: Sandbox, source: Source, token: str) -> PaySession | None:
    for loader in _LOADERS:
        session = loader(sandbox, source, token)
        if session is not None:
            return session
    return None


def page_url(sandbox: Sandbox, token: str) -> str:
    """The hosted page of ``token`` (``redirect_url`` in API answers)."""
    return f"{sandbox.config.public_url}/v2/checkout?{urlencode({'token': token})}"


def challenge_url(sandbox: Sandbox, token: str) -> str:
    return f"{sandbox.config.public_url}/v2/checkout/3ds?{urlencode({'token': token})}"


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` appended, keeping the merchant's own query parameters."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def flush(sandbox: Sandbox, notices: Notices) -> None:
    for url, payload in notices:
        sandbox.notify(url, payload)


def pay(sandbox: Sandbox, token: str, card: Card, *, card_token: str | None = None) -> PayResult:
    """The payer submits ``card`` for the session behind ``token``.

    ``card_token`` names a card already in the vault (a request's ``card.token``);
    otherwise the card is vaulted under a new token.
    """
    now = sandbox.now()
    notices: Notices = []
    with sandbox.store.tx() as conn:
        session = load_session(sandbox, conn, token)
        if session is None:
            return PayResult("missing", message="This payment link is not known.")
        if not session.is_open(now):
            return PayResult("closed", message=session.closed_message(now))
        if session.pending_uid:
            return PayResult(
                "challenge",
                location=challenge_url(sandbox, token),
                transaction=load_transaction(conn, session.pending_uid),
            )
        card_token = card_token or store_card(conn, card)
        charge = session.charge()
        if card.well_formed and card.behaviour.challenge:
            location = challenge_url(sandbox, token)
            transaction = create_transaction(
                conn,
                charge,
                card,
                card_token,
                status="incomplete",
                at=now,
                three_d_secure=_verification("pending", location),
                redirect_url=location,
            )
            session.hold_for_challenge(conn, transaction)
            result = PayResult("challenge", location=location, transaction=transaction)
        else:
            status, message = direct_outcome(card)
            transaction = create_transaction(
                conn, charge, card, card_token, status=status, at=now, message=message
            )
            result = session.conclude(conn, transaction, now, notices)
    flush(sandbox, notices)
    return result


def confirm_3ds(sandbox: Sandbox, token: str, code: str) -> PayResult:
    """The payer submits the 3-D Secure ``code`` for the pending challenge."""
    now = sandbox.now()
    notices: Notices = []
    with sandbox.store.tx() as conn:
        session = load_session(sandbox, conn, token)
        if session is None:
            return PayResult("missing", message="This payment link is not known.")
        if not session.is_open(now) or not session.pending_uid:
            return PayResult("closed", message=session.closed_message(now))
        pending = load_transaction(conn, session.pending_uid)
        assert pending is not None
        card = load_card(conn, pending["credit_card"]["token"])
        assert card is not None
        passed = card.behaviour.passes_3ds and code.strip() == THREE_DS_CODE
        approved = passed and card.behaviour.approves
        acs_url = challenge_url(sandbox, token)
        transaction = finish_transaction(
            conn,
            pending["uid"],
            status="successful" if approved else "failed",
            at=now,
            message=None if passed else "3-D Secure authentication failed",
            three_d_secure=_verification("successful" if passed else "failed", acs_url),
        )
        result = session.conclude(conn, transaction, now, notices)
    flush(sandbox, notices)
    return result


def cancel_location(sandbox: Sandbox, token: str) -> str | None:
    """Where the Cancel link takes the payer (the session itself is left as it is)."""
    session = load_session(sandbox, sandbox.store, token)
    return None if session is None else session.cancel_location()


def _verification(status: str, acs_url: str) -> dict[str, Any]:
    """The ``three_d_secure_verification`` section of a 3-D Secure transaction."""
    pa_status = {"pending": None, "successful": "Y", "failed": "N"}[status]
    messages = {
        "pending": "Waiting for the cardholder's authentication",
        "successful": "Authentication successful",
        "failed": "Authentication failed",
    }
    return {
        "status": status,
        "message": messages[status],
        "ve_status": "Y",
        "pa_status": pa_status,
        "eci": {"pending": None, "successful": "05", "failed": "07"}[status],
        "acs_url": acs_url,
    }
