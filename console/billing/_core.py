"""What every billing service shares: settings, ledger, clients, authority, audit, failures.

:class:`Core` is private plumbing: services hold one and call it; pages and the CLI
never see it. It is thread-safe, so one ``Billing`` serves every Streamlit session.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, TypeVar

from console.auth import Action, Actor, PermissionDenied, require
from console.billing._clients import Clients
from console.billing._drive import Tally, counted, run_plan
from console.billing._errors import ProviderFailed, ProviderRejectedInput, UnknownObject
from console.billing._failures import FieldMap, error_detail, provider_field_errors
from console.billing._observe import Observation, Snapshot, plan_for
from console.billing._record import object_type_of, record_observation
from console.billing._results import Change
from console.billing._schedule import NOTIFIED_WINDOW, after_error, next_check
from console.config import Settings
from console.ledger import Bill, Checked, Ledger, Subscription, search_terms
from console.providers import (
    NotFound,
    OutcomeUnknown,
    Product,
    ProviderError,
    ProviderValidationError,
    SandboxOnlyOperation,
)
from console.sessions import Authority
from console.status import BillStatus, SubscriptionStatus, is_final
from console.vocabulary import ObjectType, Provider

T = TypeVar("T")

_CATALOGUE_TTL = 300.0

#: How long a row may stay ``creating`` before a refresh may close it (see the package
#: docstring): longer than any create call can be in flight (connect + read timeouts,
#: with connect retries), so a refresh never closes a row whose creation still runs.
CREATING_GRACE = timedelta(minutes=10)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_tracking_id(kind: str) -> str:
    """``mc-<kind>-<26 chars>``: a ULID (48-bit milliseconds + 80 random bits, Crockford
    base 32), so tracking ids sort by creation time and never repeat."""
    value = ((time.time_ns() // 1_000_000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return f"mc-{kind}-{''.join(reversed(chars))}"


def utc_now() -> datetime:
    return datetime.now(UTC)


Record = Bill | Subscription


class Core:
    """Settings, ledger, clients, authority and the clock, shared by every service."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        clients: Clients,
        *,
        authority: Authority,
        clock: Callable[[], datetime],
        creating_grace: timedelta,
        return_url: str | None,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.clients = clients
        self.authority = authority
        self.clock = clock
        self.creating_grace = creating_grace
        self.return_url = return_url
        self._lock = threading.Lock()
        self._catalogue: tuple[float, tuple[Product, ...]] | None = None

    # -- settings --------------------------------------------------------------------

    @property
    def test_mode(self) -> bool:
        """True in sandbox mode: provider objects are created with ``test: true``."""
        return self.settings.is_sandbox

    @property
    def https_only(self) -> bool:
        """Live mode accepts https addresses only."""
        return not self.settings.is_sandbox

    def now(self) -> datetime:
        return self.clock()

    def notification_url(self, route: str) -> str | None:
        """Where the provider should notify (``<webhook_url>/notifications/<route>``)."""
        if not self.settings.webhook_url:
            return None
        return f"{self.settings.webhook_url}/notifications/{route}"

    # -- who may act -----------------------------------------------------------------

    def require(
        self,
        actor: Actor,
        action: Action,
        what: str,
        object_type: str | None = None,
        object_id: int | str | None = None,
    ) -> Actor:
        """The actor as they stand now (:meth:`Authority.current`: session still open,
        role unchanged), checked by ``console.auth.require``; a ``refused`` audit row
        when either says no. Returns the current actor."""
        try:
            current = self.authority.current(actor)
            require(current, action)
        except PermissionDenied as exc:
            self.audit(actor, what, object_type, object_id, "refused", exc.message)
            raise
        return current

    def audit(
        self,
        actor: Actor,
        action: str,
        object_type: str | None,
        object_id: int | str | None,
        outcome: str,
        detail: str | Mapping[str, Any] | None = None,
    ) -> None:
        self.ledger.audit(actor.name, action, object_type, object_id, outcome, actor.origin, detail)

    # -- ledger objects --------------------------------------------------------------

    def find(self, ref: str | int | Record, *, kind: ObjectType | None = None) -> Record:
        """The ledger object named by ``ref``: a Bill/Subscription, ``"B12"``/``"S3"``, or an
        int id of ``kind``. Always re-read from the ledger.

        Raises:
            UnknownObject: the ledger has no such object.
        """
        found: Record | None = None
        if isinstance(ref, Bill):
            found = self.ledger.get_bill(ref.id)
        elif isinstance(ref, Subscription):
            found = self.ledger.get_subscription(ref.id)
        elif isinstance(ref, int) and not isinstance(ref, bool):
            is_sub = kind == ObjectType.SUBSCRIPTION
            found = self.ledger.get_subscription(ref) if is_sub else self.ledger.get_bill(ref)
        elif isinstance(ref, str):
            written = ref.strip().lstrip("#")
            if kind is None and written.isascii() and written.isdigit():
                raise UnknownObject(f"{ref.strip()} is ambiguous: write B{written} or S{written}.")
            terms = search_terms(ref)
            one_bill = len(terms.bill_ids) == 1 and not terms.subscription_ids
            one_sub = len(terms.subscription_ids) == 1 and not terms.bill_ids
            if one_bill and kind != ObjectType.SUBSCRIPTION:
                found = self.ledger.get_bill(next(iter(terms.bill_ids)))
            elif one_sub and kind != ObjectType.BILL:
                found = self.ledger.get_subscription(next(iter(terms.subscription_ids)))
        if found is None:
            raise UnknownObject(f"The ledger has no object {ref!s:.40}.")
        return found

    def bill(self, ref: str | int | Bill) -> Bill:
        found = self.find(ref, kind=ObjectType.BILL)
        assert isinstance(found, Bill)
        return found

    def subscription(self, ref: str | int | Subscription) -> Subscription:
        found = self.find(ref, kind=ObjectType.SUBSCRIPTION)
        assert isinstance(found, Subscription)
        return found

    def find_for(self, actor: Actor, action: Action, what: str, ref: str | int | Record) -> Record:
        """Permission first (audited when refused, naming the object), then the object."""
        try:
            record: Record | None = self.find(ref)
        except UnknownObject as exc:
            missing: UnknownObject | None = exc
            record = None
        else:
            missing = None
        object_type = object_type_of(record) if record is not None else None
        self.require(actor, action, what, object_type, record.id if record else str(ref)[:60])
        if missing is not None:
            raise missing
        assert record is not None
        return record

    def catalogue(self) -> tuple[Product, ...]:
        """The Payture product catalogue (sandbox only; () live), cached for a few minutes."""
        cached = self._catalogue
        if cached is not None and time.monotonic() - cached[0] < _CATALOGUE_TTL:
            return cached[1]
        try:
            products = self.clients.payture.list_products()
        except SandboxOnlyOperation:
            products = ()
        except ProviderError as exc:
            raise ProviderFailed(
                f"{exc.user_message} (while reading the product catalogue; nothing was created)",
                ref=None,
                provider_error=exc,
            ) from exc
        self._catalogue = (time.monotonic(), products)
        return products

    # -- refreshing one object -------------------------------------------------------

    def snapshot(self, record: Record) -> Snapshot:
        known = frozenset(
            p.provider_txn_id for p in self.ledger.payments_of(object_type_of(record), record.id)
        )
        return Snapshot(record, known, self.now(), self.creating_grace)

    def observe(self, record: Record) -> Observation:
        """Ask the provider about ``record`` now (blocking). Raises ProviderError.

        A person's check is never held back by the polling budget; its requests are
        charged to it afterwards, and the object's next scheduled check moves on."""
        tally = Tally()
        checked = self.now()
        try:
            seen = run_plan(counted(plan_for(self.snapshot(record)), tally), self.clients)
        except ProviderError:
            self.ledger.polling.charge(record.provider, tally.asks, **self.budget(checked))
            raise
        self.ledger.polling.charge(record.provider, tally.asks, **self.budget(checked))
        return seen

    def reschedule(self, record: Record, checked_at: datetime, *, failed: bool = False) -> None:
        """Store when ``record`` was checked and when it is next due (nothing once final)."""
        if is_final(record.status):
            return
        since = checked_at - NOTIFIED_WINDOW
        notified = record.provider in self.ledger.polling.notified_since(since)
        when = after_error if failed else next_check
        due = when(record, checked_at, notified=notified)
        checked = None if failed else checked_at
        self.ledger.polling.record([Checked(object_type_of(record), record.id, checked, due)])

    def budget(self, now: datetime) -> dict[str, Any]:
        """The polling budget's arguments at ``now`` (rate, burst, now)."""
        return {"rate": self.settings.poll_rate, "burst": self.settings.poll_burst, "now": now}

    def record(
        self, record: Record, seen: Observation, actor: Actor, source: str = "poll"
    ) -> Change:
        return record_observation(self.ledger, record, seen, source=source, actor=actor)

    # -- creating at a provider ------------------------------------------------------

    def send(
        self,
        actor: Actor,
        action: str,
        record: Record,
        call: Callable[[], T],
        *,
        fields: FieldMap,
        hints: FieldMap | None = None,
    ) -> T | OutcomeUnknown:
        """Make the create ``call`` for the attempt ``record`` (already recorded).

        Returns the provider's answer, or the :class:`OutcomeUnknown` when the answer was
        lost (the caller confirms it, see :meth:`answer_lost`).

        Raises:
            ProviderRejectedInput, ProviderFailed: the provider said no; the attempt is
                kept as ``failed`` with the provider's detail and a ``failed`` audit row.
            Exception: our own code broke mid-call; the row stays ``creating`` (whether
                the request left is unknown, a refresh resolves it), audited.
        """
        try:
            return call()
        except OutcomeUnknown as exc:
            return exc
        except ProviderError as exc:
            self._creation_failed(actor, action, record, exc, fields, hints or {})
        except Exception as exc:
            self.audit(
                actor,
                action,
                object_type_of(record),
                record.id,
                "failed",
                {"error": type(exc).__name__, "outcome": "unknown; a refresh resolves it"},
            )
            raise

    def _creation_failed(
        self,
        actor: Actor,
        action: str,
        record: Record,
        error: ProviderError,
        fields: FieldMap,
        hints: FieldMap,
    ) -> NoReturn:
        detail = error_detail(error)
        with self.ledger.write():
            if isinstance(record, Bill):
                self.ledger.record_bill_status(
                    record.id, BillStatus.FAILED, None, "console", detail=detail
                )
            else:
                self.ledger.record_subscription_status(
                    record.id, SubscriptionStatus.FAILED, None, "console", detail=detail
                )
            self.audit(actor, action, object_type_of(record), record.id, "failed", detail)
        rejected = isinstance(error, ProviderValidationError) or (
            isinstance(error, NotFound) and record.provider == Provider.PAYTURE
        )
        if rejected:
            errors = provider_field_errors(error, fields, hints)
            raise ProviderRejectedInput(errors, ref=record.ref, provider_error=error) from error
        raise ProviderFailed(
            f"{error.user_message} The attempt is kept as {record.ref} (failed).",
            ref=record.ref,
            provider_error=error,
        ) from error

    def answer_lost(
        self, actor: Actor, action: str, record: Record, error: OutcomeUnknown
    ) -> tuple[Record, list[str]]:
        """The create may have happened: audit it, then try at once to confirm it.

        Returns the record as it is now and any warnings; it is still ``creating``
        when the provider could not confirm it yet.
        """
        self.audit(
            actor,
            action,
            object_type_of(record),
            record.id,
            "failed",
            {
                "outcome": "unknown: the answer was lost",
                "tracking_id": record.tracking_id,
                "error": error.message,
            },
        )
        warnings: list[str] = []
        try:
            change = self.record(record, self.observe(record), actor)
            warnings.extend(change.warnings)
        except ProviderError as exc:
            warnings.append(f"Could not confirm yet: {exc.user_message}")
        return self.find(record), warnings

    def reason_of(self, record: Record) -> str:
        """``": <detail>"`` of the object's latest status event when it has a text
        detail (why it failed or was closed), else ``""``."""
        events = self.ledger.history(object_type_of(record), record.id)
        detail = events[-1].detail if events else None
        if not detail or detail.startswith("{"):
            return ""
        return ": " + detail.rstrip(".")

    def still_creating_message(self, record: Record, what: str) -> str:
        deadline = record.created_at + self.creating_grace
        local = deadline.astimezone(self.settings.timezone).strftime("%H:%M")
        return (
            f"The provider did not answer in time, so the {what} is being confirmed "
            f"({record.ref}). If it cannot be confirmed by {local} it is marked canceled: "
            "its link never reached anyone, so nobody can pay it. You may create a new one."
        )
