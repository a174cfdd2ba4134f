"""Importing objects made elsewhere: found at a provider, missing from the ledger.

Support pastes whatever they have — a checkout token, a bePaid transaction
uid, a beyag uid, a subscription id, a Payture bill id, a tracking id, or a whole
pay link. The lookups are tried in the order the value's shape suggests (``sbs_...``
is a subscription, 64 hex digits a checkout token, a UUID a beyag payment or a
Payture bill, ``digits-hex`` a card transaction), then the rest, then the tracking-id
searches; a 404 (or a provider refusing the id's format) means "not this one".
The first match is recorded with source ``poll`` (status and payments through the
same plans as a refresh) and an ``import`` audit row. An object the ledger already
holds is refreshed instead of recorded twice; a row still ``creating`` with the same
tracking id (its creation answer was lost) is given the object's ids and refreshed.
A card transaction whose tracking id belongs to a ledger object is that object's
charge: the object is refreshed.

behind-api does not say a bill's currency: give ``currency``, or (sandbox) it is
taken from the catalogue when exactly one currency has a product at that price.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.auth import Action, Actor
from console.billing._core import Core, Record, new_tracking_id
from console.billing._errors import NotFoundAtProvider, ProviderFailed
from console.billing._objects import Objects
from console.billing._observe import Observation
from console.billing._results import Imported
from console.billing._results import form_data as form_json
from console.errors import ConfigError, ValidationError
from console.ledger import Bill, NewBill, NewSubscription, Subscription, url_candidates
from console.providers import (
    NotFound,
    PayForm,
    Plan,
    Product,
    ProviderError,
    ProviderValidationError,
)
from console.status import BillStatus, SubscriptionStatus
from console.validation import Fields, text
from console.validation import currency as currency_rule
from console.vocabulary import BillKind, Provider

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TOKEN = re.compile(r"[0-9a-fA-F]{64}")
_TRANSACTION_UID = re.compile(r"\d+-[0-9a-fA-F]+")


@dataclass
class Found:
    """An object a provider knows, described enough to record it."""

    provider: str  # ledger provider: bepaid, begateway, payture
    kind: str  # card_link, apm, payture_bill or subscription
    amount: int | None
    currency: str | None
    provider_id: str | None = None
    token: str | None = None
    pay_url: str | None = None
    description: str | None = None
    tracking_id: str | None = None
    email: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    form: PayForm | None = None
    plan: Plan | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Imports:
    """Objects made elsewhere, found at a provider and recorded (``billing.imports``)."""

    def __init__(self, core: Core, objects: Objects) -> None:
        self._core = core
        self._objects = objects

    def create(self, actor: Actor, reference: str, *, currency: str | None = None) -> Imported:
        """Find ``reference`` at the providers and record it (see the module docstring).

        Form fields in errors: reference, currency.

        Raises:
            PermissionDenied, InvalidInput, NotFoundAtProvider, ProviderFailed.
        """
        core = self._core
        core.require(actor, Action.IMPORT, "import", None, str(reference)[:60])
        fields = Fields()
        pasted = fields.check("reference", text, reference, required=True, max_length=2048)
        code = fields.check("currency", currency_rule, currency) if currency else None
        fields.raise_if_any()
        assert pasted is not None
        found, problems = self._discover(pasted)
        if found is None:
            return self._not_found(actor, pasted, problems)
        if found.kind == "payture_bill" and found.currency is None:
            found.currency = code or self._guess_currency(found.amount)
            if found.currency is None:
                fields.add("currency", "Payture does not say this bill's currency; choose it.")
                fields.raise_if_any()
        existing = self._already_recorded(found) or self._claim_unconfirmed(found)
        if existing is not None:
            refreshed = self._objects.refresh(actor, existing)
            already = {"already_recorded": existing.ref}
            core.audit(actor, "import", refreshed.change.object_type, existing.id, "ok", already)
            return Imported(
                refreshed.record,
                False,
                found.provider,
                f"Already in the ledger as {existing.ref}; refreshed it. {refreshed.message}",
                refreshed.change.warnings,
            )
        record = self._record_found(found)
        try:
            seen = core.observe(record)
        except ProviderError as exc:
            seen = Observation(warnings=[f"Recorded, but the status is not known yet: {exc}"])
        change = core.record(record, seen, actor)
        fresh = core.find(record)
        detail = {
            "provider": found.provider,
            "kind": found.kind,
            "provider_id": found.provider_id or found.token,
        }
        core.audit(actor, "import", change.object_type, record.id, "ok", detail)
        return Imported(
            fresh,
            True,
            found.provider,
            f"Imported as {fresh.ref} ({found.kind.replace('_', ' ')}, {fresh.status.value}).",
            change.warnings,
        )

    # -- helpers --------------------------------------------------------------------

    def _discover(self, pasted: str) -> tuple[Found | None, list[str]]:
        values = [pasted]
        if "://" in pasted or "?" in pasted:
            values = [*url_candidates(pasted), pasted]
        problems: list[str] = []
        for value in values:
            for lookup in self._lookups_for(value):
                try:
                    found = lookup(value)
                except (NotFound, ProviderValidationError, ValidationError, ConfigError):
                    continue
                except ProviderError as exc:
                    problems.append(exc.user_message)
                    continue
                if found is not None:
                    return found, problems
        return None, problems

    def _lookups_for(self, value: str) -> list[Callable[[str], Found | None]]:
        by_id = {
            "subscription": self._subscription,
            "checkout": self._checkout,
            "transaction": self._transaction,
            "beyag": self._beyag,
            "payture": self._payture,
        }
        if value.startswith("sbs_"):
            first = ["subscription"]
        elif _TOKEN.fullmatch(value):
            first = ["checkout"]
        elif _UUID.fullmatch(value):
            first = ["beyag", "payture"]
        elif _TRANSACTION_UID.fullmatch(value):
            first = ["transaction"]
        else:
            first = []
        rest = [name for name in by_id if name not in first]
        if not _UUID.fullmatch(value):
            rest.remove("payture")  # behind-api bill ids are UUIDs
        return [by_id[name] for name in first + rest] + [
            self._beyag_by_tracking,
            self._transaction_by_tracking,
        ]

    def _checkout(self, token: str) -> Found:
        checkout = self._core.clients.bepaid.get_checkout(token)
        return Found(
            "bepaid",
            "card_link",
            checkout.amount,
            checkout.currency,
            token=checkout.token,
            pay_url=checkout.raw.get("redirect_url"),
            description=checkout.description,
            tracking_id=checkout.tracking_id,
            expires_at=checkout.expires_at,
        )

    def _transaction(self, uid: str) -> Found:
        tx = self._core.clients.bepaid.get_transaction(uid)
        return Found(
            "bepaid",
            "card_link",
            tx.amount,
            tx.currency,
            provider_id=tx.uid,
            description=tx.description,
            tracking_id=tx.tracking_id,
            created_at=tx.created_at,
            extra={"transaction_only": True},
        )

    def _transaction_by_tracking(self, tracking_id: str) -> Found | None:
        found = self._core.clients.bepaid.find_transactions(tracking_id)
        charges = [t for t in found if t.is_charge]
        return self._transaction(charges[0].uid) if charges else None

    def _beyag(self, uid: str) -> Found:
        payment = self._core.clients.beyag.get_payment(uid)
        return Found(
            "begateway",
            "apm",
            payment.amount,
            payment.currency,
            provider_id=payment.uid,
            description=payment.description,
            tracking_id=payment.tracking_id,
            created_at=payment.created_at,
            expires_at=payment.expired_at,
            form=payment.form,
            extra={"method_type": payment.method_type} if payment.method_type else {},
        )

    def _beyag_by_tracking(self, tracking_id: str) -> Found | None:
        found = self._core.clients.beyag.find_payments(tracking_id)
        payments = [p for p in found if p.is_charge]
        return self._beyag(payments[0].uid) if payments else None

    def _payture(self, bill_id: str) -> Found:
        answer = self._core.clients.payture.bill_status(bill_id)
        return Found(
            "payture", "payture_bill", answer.amount, answer.currency, provider_id=answer.bill_id
        )

    def _subscription(self, subscription_id: str) -> Found:
        client = self._core.clients.bepaid
        sub = client.get_subscription(subscription_id)
        plan = sub.plan or (client.get_plan(sub.plan_id) if sub.plan_id else None)
        return Found(
            "bepaid",
            "subscription",
            plan.amount if plan else None,
            plan.currency if plan else None,
            provider_id=sub.id,
            token=sub.raw.get("token"),
            pay_url=sub.redirect_url,
            tracking_id=sub.tracking_id,
            created_at=sub.created_at,
            plan=plan,
        )

    def _guess_currency(self, amount: int | None) -> str | None:
        catalogue: tuple[Product, ...] = self._core.catalogue()
        currencies = {p.currency for p in catalogue if p.amount == amount}
        return currencies.pop() if len(currencies) == 1 else None

    def _already_recorded(self, found: Found) -> Bill | Subscription | None:
        ledger = self._core.ledger
        if found.kind == "subscription":
            return ledger.find_subscription("bepaid", provider_id=found.provider_id)
        if found.extra.get("transaction_only") and found.tracking_id:
            owner: Bill | Subscription | None
            owner = ledger.find_bill("bepaid", tracking_id=found.tracking_id)
            owner = owner or ledger.find_subscription("bepaid", tracking_id=found.tracking_id)
            if owner is not None:
                return owner
        if found.token:
            return ledger.find_bill(found.provider, token=found.token)
        return ledger.find_bill(found.provider, provider_id=found.provider_id)

    def _claim_unconfirmed(self, found: Found) -> Bill | Subscription | None:
        """A row still ``creating`` with the same tracking id is this object whose creation
        answer was lost: give it the provider's ids instead of recording a second row."""
        if not found.tracking_id or found.extra.get("transaction_only"):
            return None
        if found.kind == "subscription":
            owner: Bill | Subscription | None = self._core.ledger.find_subscription(
                found.provider, tracking_id=found.tracking_id
            )
        else:
            owner = self._core.ledger.find_bill(found.provider, tracking_id=found.tracking_id)
        if owner is None or owner.status.value != "creating" or owner.provider_id or owner.token:
            return None
        if isinstance(owner, Subscription):
            self._core.ledger.attach_subscription_ids(
                owner.id, provider_id=found.provider_id, token=found.token, pay_url=found.pay_url
            )
        else:
            self._core.ledger.attach_provider_ids(
                owner.id,
                provider_id=found.provider_id,
                token=found.token,
                pay_url=found.pay_url,
                form=form_json(found.form),
            )
        return self._core.find(owner)

    def _record_found(self, found: Found) -> Record:
        """The ledger row for ``found`` (status pending, source poll), with its ids."""
        if found.amount is None or found.currency is None or found.amount <= 0:
            raise NotFoundAtProvider(
                "The provider's record has no amount or currency, so it cannot be imported."
            )
        extra: dict[str, Any] = {"imported": True, **found.extra}
        tracking = found.tracking_id
        taken = tracking is None or (
            self._core.ledger.find_subscription(found.provider, tracking_id=tracking)
            if found.kind == "subscription"
            else self._core.ledger.find_bill(found.provider, tracking_id=tracking)
        )
        if taken:
            extra["provider_tracking_id"] = tracking
            tracking = new_tracking_id("import")
        assert tracking is not None
        if found.kind == "subscription":
            plan = found.plan
            assert plan is not None
            sub_id = self._core.ledger.create_subscription(
                NewSubscription(
                    tracking_id=tracking,
                    amount=found.amount,
                    currency=found.currency,
                    interval=plan.period.interval,
                    interval_unit=plan.period.interval_unit,
                    plan_id=plan.id,
                    plan_title=plan.title,
                    trial_interval=plan.trial.interval if plan.trial else None,
                    trial_unit=plan.trial.interval_unit if plan.trial else None,
                    status=SubscriptionStatus.PENDING,
                    test=plan.test,
                    source="poll",
                    at=found.created_at,
                    extra=extra,
                )
            )
            self._core.ledger.attach_subscription_ids(
                sub_id, provider_id=found.provider_id, token=found.token, pay_url=found.pay_url
            )
            return self._core.subscription(sub_id)
        bill_id = self._core.ledger.create_bill(
            NewBill(
                provider=Provider(found.provider),
                kind=BillKind(found.kind),
                tracking_id=tracking,
                amount=found.amount,
                currency=found.currency,
                description=found.description,
                customer_email=found.email,
                status=BillStatus.PENDING,
                source="poll",
                at=found.created_at,
                expires_at=found.expires_at,
                extra=extra,
            )
        )
        self._core.ledger.attach_provider_ids(
            bill_id,
            provider_id=found.provider_id,
            token=found.token,
            pay_url=found.pay_url,
            form=form_json(found.form),
        )
        return self._core.bill(bill_id)

    def _not_found(self, actor: Actor, pasted: str, problems: list[str]) -> Imported:
        detail = {"reference": pasted[:200], "problems": problems}
        self._core.audit(actor, "import", None, pasted[:60], "failed", detail)
        if problems:
            raise ProviderFailed(
                "Not found where we could look, and some providers did not answer: "
                + " ".join(problems),
                ref=None,
                provider_error=ProviderError(
                    "lookup incomplete", provider="providers", operation="find the object"
                ),
            )
        hint = ""
        if "sessionid=" in pasted.lower():
            hint = " A Payture pay link names a session, not a bill: paste the bill id."
        raise NotFoundAtProvider(f"No provider knows {pasted[:80]!r}.{hint}")
