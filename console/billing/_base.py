"""What every use case shares: settings, ledger, clients, permission checks, audit, failures."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, Self

from console.auth import Action, Actor, PermissionDenied, require
from console.billing._drive import asker, run_plan
from console.billing._errors import ProviderFailed, ProviderRejectedInput, UnknownObject
from console.billing._observe import Observation, Snapshot, plan_for
from console.billing._record import record_observation
from console.billing._results import Change
from console.config import Settings, load_settings
from console.errors import ConfigError
from console.ledger import Bill, Ledger, Subscription, search_terms
from console.providers import (
    BepaidClient,
    BeyagClient,
    NotFound,
    OutcomeUnknown,
    PaytureClient,
    Product,
    ProviderError,
    ProviderValidationError,
    SandboxOnlyOperation,
)
from console.sessions import Authority, Directory
from console.status import BillStatus, SubscriptionStatus
from console.validation import FORM

_CATALOGUE_TTL = 300.0

#: How long a row may stay ``creating`` before a refresh may close it (see the package
#: docstring): longer than any create call can be in flight (connect + read timeouts,
#: with connect retries), so a refresh never closes a row whose creation still runs.
CREATING_GRACE = timedelta(minutes=10)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

FieldMap = Mapping[str, str]


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


class BillingBase:
    """Settings, ledger and lazily built provider clients, shared by every use case.

    Thread-safe: one instance can serve every Streamlit session (``st.cache_resource``).
    """

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        *,
        bepaid: BepaidClient | None = None,
        beyag: BeyagClient | None = None,
        payture: PaytureClient | None = None,
        clock: Callable[[], datetime] = utc_now,
        creating_grace: timedelta = CREATING_GRACE,
        return_url: str | None = None,
        authority: Authority | None = None,
    ) -> None:
        """Build the use cases over ``settings`` and ``ledger``.

        Args:
            bepaid, beyag, payture: clients to use; by default each is built from
                ``settings`` on first use (``ConfigError`` when that provider is not
                configured).
            clock: the current time (expiry checks, the creating grace period).
            creating_grace: see :data:`CREATING_GRACE`.
            return_url: where APM payers come back to when the form leaves it empty
                (your shop's thank-you page); see the package docstring.
            authority: who a person is *now* (session, current role); by default the
                people of ``settings.secrets_path`` and the sessions in ``ledger``.
        """
        self.settings = settings
        self.ledger = ledger
        self.clock = clock
        self.creating_grace = creating_grace
        self.return_url = return_url
        self.authority = authority or Authority(ledger, Directory(settings.secrets_path))
        self._clients: dict[str, Any] = {"bepaid": bepaid, "beyag": beyag, "payture": payture}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings | None = None, *, ledger_path: Path | None = None) -> Self:
        """Billing over the configured ledger (``load_settings()`` when not given)."""
        settings = settings or load_settings()
        return cls(settings, Ledger(ledger_path or settings.ledger_path))

    # -- plumbing -------------------------------------------------------------------

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

    def client(self, name: str) -> Any:
        """The blocking client ``bepaid``, ``beyag`` or ``payture`` (built on first use).

        Raises:
            ConfigError: that provider is not configured.
        """
        with self._lock:
            client = self._clients.get(name)
            if client is None:
                factory = {"bepaid": BepaidClient, "beyag": BeyagClient, "payture": PaytureClient}
                if name not in factory:
                    raise ConfigError(f"Unknown provider client {name!r}.")
                client = self._clients[name] = factory[name].from_settings(self.settings)
            return client

    def notification_url(self, provider: str) -> str | None:
        """Where the provider should notify (``<webhook_url>/notifications/<provider>``)."""
        if not self.settings.webhook_url:
            return None
        return f"{self.settings.webhook_url}/notifications/{provider}"

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

    def find(self, ref: str | int | Bill | Subscription, *, kind: str | None = None) -> Any:
        """The ledger object named by ``ref``: a Bill/Subscription, ``"B12"``/``"S3"``, or an
        int id of ``kind`` ("bill" or "subscription"). Always re-read from the ledger.

        Raises:
            UnknownObject: the ledger has no such object.
        """
        found: Bill | Subscription | None = None
        if isinstance(ref, Bill):
            found = self.ledger.get_bill(ref.id)
        elif isinstance(ref, Subscription):
            found = self.ledger.get_subscription(ref.id)
        elif isinstance(ref, int) and not isinstance(ref, bool):
            getter = (
                self.ledger.get_subscription if kind == "subscription" else self.ledger.get_bill
            )
            found = getter(ref)
        elif isinstance(ref, str):
            if kind is None and ref.strip().lstrip("#").isdigit():
                raise UnknownObject(
                    f"{ref.strip()} is ambiguous: write B{ref.strip()} or S{ref.strip()}."
                )
            terms = search_terms(ref)
            if len(terms.bill_ids) == 1 and not terms.subscription_ids and kind != "subscription":
                found = self.ledger.get_bill(next(iter(terms.bill_ids)))
            elif len(terms.subscription_ids) == 1 and not terms.bill_ids and kind != "bill":
                found = self.ledger.get_subscription(next(iter(terms.subscription_ids)))
        if found is None:
            raise UnknownObject(f"The ledger has no object {ref!s:.40}.")
        return found

    def catalogue(self) -> tuple[Product, ...]:
        """The Payture product catalogue (sandbox only; () live), cached for a few minutes."""
        cached = getattr(self, "_catalogue_cache", None)
        if cached is not None and time.monotonic() - cached[0] < _CATALOGUE_TTL:
            return cached[1]
        try:
            products = self.client("payture").list_products()
        except SandboxOnlyOperation:
            products = ()
        except ProviderError as exc:
            raise ProviderFailed(
                f"{exc.user_message} (while reading the product catalogue; nothing was created)",
                ref=None,
                provider_error=exc,
            ) from exc
        self._catalogue_cache = (time.monotonic(), products)
        return products

    # -- refreshing one object ------------------------------------------------------

    def snapshot(self, record: Bill | Subscription) -> Snapshot:
        object_type = "bill" if isinstance(record, Bill) else "subscription"
        known = frozenset(
            p.provider_txn_id for p in self.ledger.payments_of(object_type, record.id)
        )
        return Snapshot(record, known, self.now(), self.creating_grace)

    def observe(self, record: Bill | Subscription) -> Observation:
        """Ask the provider about ``record`` now (blocking). Raises ProviderError."""
        return run_plan(plan_for(self.snapshot(record)), asker(self.client))

    def record(
        self, record: Bill | Subscription, seen: Observation, actor: Actor, source: str = "poll"
    ) -> Change:
        return record_observation(self.ledger, record, seen, source=source, actor=actor)

    # -- when a create call fails ---------------------------------------------------

    def creation_failed(
        self,
        actor: Actor,
        action: str,
        record: Bill | Subscription,
        error: ProviderError,
        fields: FieldMap,
        hints: FieldMap | None = None,
    ) -> NoReturn:
        """Keep the attempt as ``failed`` with the provider's detail, audit it, and raise.

        Raises:
            ProviderRejectedInput: the provider refused the content (422/400, or a
                Payture product it does not know), mapped back to form fields.
            ProviderFailed: anything else (unavailable, rate limited, credentials).
        """
        is_bill = isinstance(record, Bill)
        object_type = "bill" if is_bill else "subscription"
        detail = error_detail(error)
        with self.ledger.write():
            if is_bill:
                self.ledger.record_bill_status(
                    record.id, BillStatus.FAILED, None, "console", detail=detail
                )
            else:
                self.ledger.record_subscription_status(
                    record.id, SubscriptionStatus.FAILED, None, "console", detail=detail
                )
            self.audit(actor, action, object_type, record.id, "failed", detail)
        rejected = isinstance(error, ProviderValidationError) or (
            isinstance(error, NotFound) and record.provider == "payture"
        )
        if rejected:
            errors = provider_field_errors(error, fields, hints or {})
            raise ProviderRejectedInput(errors, ref=record.ref, provider_error=error) from error
        raise ProviderFailed(
            f"{error.user_message} The attempt is kept as {record.ref} (failed).",
            ref=record.ref,
            provider_error=error,
        ) from error

    def unexpected(
        self, actor: Actor, action: str, record: Bill | Subscription, error: Exception
    ) -> None:
        """Something other than the provider broke mid-call: whether the request left is
        unknown, so the row stays ``creating`` (a refresh resolves it) and this is audited."""
        object_type = "bill" if isinstance(record, Bill) else "subscription"
        self.audit(
            actor, action, object_type, record.id, "failed",
            {"error": type(error).__name__, "outcome": "unknown; a refresh resolves it"},
        )  # fmt: skip

    def answer_lost(
        self, actor: Actor, action: str, record: Bill | Subscription, error: OutcomeUnknown
    ) -> tuple[Bill | Subscription, list[str]]:
        """The create may have happened: audit it, then try at once to confirm it.

        Returns the record as it is now and any warnings; it is still ``creating``
        when the provider could not confirm it yet.
        """
        object_type = "bill" if isinstance(record, Bill) else "subscription"
        self.audit(
            actor,
            action,
            object_type,
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

    def reason_of(self, object_type: str, object_id: int) -> str:
        """``": <detail>"`` of the object's latest status event when it has a text
        detail (why it failed or was closed), else ``""``."""
        events = self.ledger.history(object_type, object_id)
        detail = events[-1].detail if events else None
        if not detail or detail.startswith("{"):
            return ""
        return ": " + detail.rstrip(".")

    def still_creating_message(self, record: Bill | Subscription, what: str) -> str:
        deadline = record.created_at + self.creating_grace
        local = deadline.astimezone(self.settings.timezone).strftime("%H:%M")
        return (
            f"The provider did not answer in time, so the {what} is being confirmed "
            f"({record.ref}). If it cannot be confirmed by {local} it is marked canceled: "
            "its link never reached anyone, so nobody can pay it. You may create a new one."
        )


def error_detail(error: ProviderError) -> dict[str, Any]:
    """What the ledger keeps about a provider failure (never credentials or bodies)."""
    detail: dict[str, Any] = {
        "error": type(error).__name__,
        "message": error.user_message,
        "http_status": error.http_status,
    }
    if error.field_errors:
        detail["field_errors"] = list(error.field_errors)
    if error.request_id:
        detail["request_id"] = error.request_id
    return detail


def provider_field_errors(
    error: ProviderError, fields: FieldMap, hints: FieldMap
) -> dict[str, str]:
    """The provider's errors as ``{form field: message}``.

    ``fields`` maps the provider's field paths (``plan.amount``, or a last segment
    such as ``amount``) to form fields; the longest matching suffix wins. ``hints``
    maps words of a bare provider message (behind-api has no field errors) to form
    fields. Anything unmatched is reported under ``form``.
    """
    found: dict[str, list[str]] = {}

    def put(field: str, message: str) -> None:
        message = message.strip()
        if not message:
            return
        first_word = message.split()[0]
        if not any(ch.isupper() for ch in first_word[1:]):  # leave "bePaid ..." alone
            message = message[0].upper() + message[1:]
        found.setdefault(field, []).append(message)

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, path if key == "base" else (*path, str(key)))
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item, path)
        elif node is not None:
            message = str(node)
            if message.strip().rstrip(".").lower() == "system error" and error.provider_message:
                message = error.provider_message
            field = _field_for(path, fields)
            shown = message if field != FORM or not path else f"{'.'.join(path)}: {message}"
            put(field, shown)

    walk(error.errors, ())
    if not found:
        message = error.provider_message or error.user_message
        lowered = message.lower()
        field = next((f for word, f in hints.items() if word in lowered), FORM)
        put(field, message)
    return {field: " ".join(_sentence(m) for m in messages) for field, messages in found.items()}


def _field_for(path: tuple[str, ...], fields: FieldMap) -> str:
    for start in range(len(path)):
        key = ".".join(path[start:])
        if key in fields:
            return fields[key]
    return FORM


def _sentence(message: str) -> str:
    return message if message.endswith((".", "!", "?")) else message + "."
