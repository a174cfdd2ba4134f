"""The Payments page's rules, without Streamlit: what the address holds, how typed filters
become a :class:`~console.ledger.PaymentFilter`, and the rows the table shows.

The address carries every filter, so a filtered view can be shared and survives a
reload: ``/payments?from=2026-11-01&to=2026-11-07&tz=Europe/Minsk&status=failed&
currency=BYN&amount_min=100``. Keys: ``from``, ``to`` (local days, both included),
``tz``, ``status`` (comma-separated or repeated), ``provider``, ``kind``,
``currency``, ``amount_min``, ``amount_max`` (major units, as typed), ``email``,
``q`` (free text) and ``sort``. A value that is not valid is ignored, with a message
naming it; the other filters still apply.

Amounts are typed in major units and parsed by :func:`console.money.parse_amount`
against the chosen currency. With no currency chosen the ledger reads a bound in each
currency's own units (:mod:`console.ledger._explorer`); the text is then parsed
against the ledger's currency with the most decimals, so it may carry that many.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from console import validation
from console.errors import ConsoleError, InvalidAmount
from console.ledger import SORTS, CurrencyTotal, ExplorerRow, MajorAmount, PaymentFilter, Sort
from console.money import DEFAULT_MAXIMUM, exponent, format_money, normalize_currency, parse_amount
from console.status import BillStatus
from console.ui import links, lookup_view
from console.ui.status_view import local_time, status_label
from console.ui.text import plain
from console.vocabulary import BillKind, Provider

#: The address keys, in the order the address lists them.
URL_KEYS = (
    "from",
    "to",
    "tz",
    "status",
    "provider",
    "kind",
    "currency",
    "amount_min",
    "amount_max",
    "email",
    "q",
    "sort",
)
SORT_LABELS: dict[Sort, str] = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "amount_desc": "Largest amount first",
    "amount_asc": "Smallest amount first",
}
PERIOD_DAYS = 30
#: The days a period may start and end on (the date box offers the same).
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
MAX_TEXT = 200
CARD_REFUSED = (
    "That looks like a card number, so it was not searched for: card numbers are never "
    "looked up or stored here."
)


#: With an amount range or a common word, the count and sums are read from the bills
#: themselves; over more bills than this (the period's, known from the summaries at
#: once) they wait for the page's button, so the page never stalls for seconds on its own.
COUNT_AT_ONCE = 200_000


@dataclass(frozen=True)
class Form:
    """What the page's filter widgets hold (amounts, e-mail and text as typed)."""

    first: date
    last: date
    tz: str
    statuses: tuple[BillStatus, ...] = ()
    provider: Provider | None = None
    kind: BillKind | None = None
    currency: str | None = None
    amount_min: str = ""
    amount_max: str = ""
    email: str = ""
    text: str = ""
    sort: Sort = "newest"


def default_form(tz: str, *, now: datetime | None = None) -> Form:
    """The last :data:`PERIOD_DAYS` local days of ``tz`` (today included), newest first."""
    today = (now or datetime.now(ZoneInfo(tz))).astimezone(ZoneInfo(tz)).date()
    return Form(first=today - timedelta(days=PERIOD_DAYS - 1), last=today, tz=tz)


def form_from_url(
    params: Mapping[str, Sequence[str]],
    default: Form,
    *,
    currencies: Sequence[str] = (),
    maximum: int = DEFAULT_MAXIMUM,
) -> tuple[Form, list[str]]:
    """The form an address describes, and a sentence for every value it ignored.

    ``params`` maps a key to all its values (``st.query_params.get_all``); keys the page
    does not know are left alone. ``currencies`` and ``maximum`` are as for
    :func:`filter_of`. The sentences are plain text (quote the typed values): show them
    through :func:`~console.ui.text.plain`.
    """
    problems: list[str] = []
    form = default

    def one(key: str) -> str | None:
        values = [value for value in params.get(key, ()) if value.strip()]
        return values[-1].strip() if values else None

    tz = one("tz")
    if tz is not None:
        if tz in available_timezones():
            form = replace(form, tz=tz)
        else:
            problems.append(
                f"Time zone “{_shown(tz)}” is not an IANA zone name; {default.tz} is used."
            )
    first, last = one("from"), one("to")
    if first is not None or last is not None:
        period = _period(first, last)
        if isinstance(period, str):
            problems.append(period)
        else:
            form = replace(form, first=period[0], last=period[1])
    statuses: list[BillStatus] = []
    for value in _split(params.get("status", ())):
        try:
            statuses.append(BillStatus(value))
        except ValueError:
            problems.append(f"“{_shown(value)}” is not a bill status; ignored.")
    form = replace(form, statuses=tuple(dict.fromkeys(statuses)))
    provider, kind = one("provider"), one("kind")
    if provider is not None:
        if provider in set(Provider):
            form = replace(form, provider=Provider(provider))
        else:
            problems.append(f"“{_shown(provider)}” is not a provider here; ignored.")
    if kind is not None:
        if kind in set(BillKind):
            form = replace(form, kind=BillKind(kind))
        else:
            problems.append(f"“{_shown(kind)}” is not a kind of bill; ignored.")
    currency = one("currency")
    if currency is not None:
        try:
            form = replace(form, currency=normalize_currency(currency))
        except ConsoleError as exc:
            problems.append(f"Currency: {exc.message} Ignored.")
    sort = one("sort")
    if sort is not None:
        known = next((option for option in SORTS if option == sort), None)
        if known is not None:
            form = replace(form, sort=known)
        else:
            problems.append(f"“{_shown(sort)}” is not a sort order; newest first is used.")
    typed = {key: one(key) or "" for key in ("amount_min", "amount_max", "email", "q")}
    form = replace(
        form,
        amount_min=typed["amount_min"],
        amount_max=typed["amount_max"],
        email=typed["email"],
        text=typed["q"],
    )
    # The typed values are checked as the form checks them; a bad one is dropped.
    _, errors = filter_of(form, currencies, maximum=maximum)
    for field, message in errors.items():
        problems.append(f"{FIELD_LABELS[field]}: {message} Ignored.")
    return (
        replace(
            form,
            amount_min="" if "amount_min" in errors else form.amount_min,
            amount_max="" if "amount_max" in errors else form.amount_max,
            email="" if "email" in errors else form.email,
            text="" if "text" in errors else form.text,
        ),
        problems,
    )


def url_of(form: Form) -> dict[str, str]:
    """The address of a form: the period and zone always, other filters when set."""
    values: dict[str, str] = {
        "from": form.first.isoformat(),
        "to": form.last.isoformat(),
        "tz": form.tz,
        "status": ",".join(status.value for status in form.statuses),
        "provider": form.provider.value if form.provider else "",
        "kind": form.kind.value if form.kind else "",
        "currency": form.currency or "",
        "amount_min": form.amount_min.strip(),
        "amount_max": form.amount_max.strip(),
        "email": form.email.strip(),
        "q": form.text.strip(),
        "sort": "" if form.sort == "newest" else form.sort,
    }
    return {key: value for key, value in values.items() if value}


FIELD_LABELS = {
    "amount_min": "Amount from",
    "amount_max": "Amount to",
    "email": "Customer e-mail",
    "text": "Search",
}


def filter_of(
    form: Form, currencies: Sequence[str], *, maximum: int = DEFAULT_MAXIMUM
) -> tuple[PaymentFilter | None, dict[str, str]]:
    """The ledger filter of a form, or None and a message per field that is not valid
    (keys of :data:`FIELD_LABELS`). ``currencies`` are the ledger's (for an amount
    typed without a currency)."""
    errors: dict[str, str] = {}
    bounds: dict[str, MajorAmount | None] = {}
    for field in ("amount_min", "amount_max"):
        try:
            bounds[field] = major_amount(getattr(form, field), form.currency, currencies, maximum)
        except InvalidAmount as exc:
            errors[field] = exc.message
    low, high = bounds.get("amount_min"), bounds.get("amount_max")
    if (
        low is not None
        and high is not None
        and low.units * 10**high.places > (high.units * 10**low.places)
    ):
        errors["amount_max"] = "This is below “Amount from”."
    email = None
    try:
        email = validation.email(form.email)
    except ConsoleError as exc:
        errors["email"] = exc.message
    text = form.text.strip()
    if text:
        found = validation.find_invisible(text)
        if found is not None:
            errors["text"] = f"This contains {found}; remove it."
        elif len(text) > MAX_TEXT:
            errors["text"] = f"At most {MAX_TEXT} characters (this has {len(text)})."
        elif lookup_view.holds_card_number(text):
            errors["text"] = CARD_REFUSED
    if errors:
        return None, errors
    start, end = period_bounds(form.first, form.last, form.tz)
    return (
        PaymentFilter(
            start=start,
            end=end,
            statuses=form.statuses,
            provider=form.provider,
            kind=form.kind,
            currency=form.currency,
            amount_min=low,
            amount_max=high,
            email=email,
            text=text or None,
        ),
        {},
    )


def major_amount(
    typed: str, currency: str | None, currencies: Sequence[str], maximum: int
) -> MajorAmount | None:
    """A typed bound in major units (None when empty).

    Raises:
        InvalidAmount: the text is not an amount (the message says why).
    """
    if not typed.strip():
        return None
    if currency is not None:
        return MajorAmount(parse_amount(typed, currency, maximum=maximum), exponent(currency))
    reference = max(currencies or ("EUR",), key=exponent)
    try:
        minor = parse_amount(typed, reference, maximum=maximum)
    except InvalidAmount as exc:
        if "decimal place" in exc.message:
            places = exponent(reference)
            raise InvalidAmount(
                f"With no currency chosen an amount may have at most {places} decimals "
                f"(the most any currency here has); got {typed.strip()!r}.",
                field="amount",
            ) from None
        raise
    return MajorAmount(minor, exponent(reference))


def period_bounds(first: date, last: date, tz: str) -> tuple[datetime, datetime]:
    """The local days ``first`` to ``last`` (both included) as an aware [start, end)."""
    zone = ZoneInfo(tz)
    return (
        datetime.combine(first, time(0), tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone),
    )


def table_rows(
    rows: Iterable[ExplorerRow], tz: str, reasons: Mapping[int, str] | None = None
) -> list[dict[str, str]]:
    """One page for ``st.table`` (cells are Markdown: text from outside through
    :func:`plain`); the reference opens Lookup, the e-mail the Customer page.
    ``reasons`` are the provider's words for why a failed bill failed, by bill id."""
    why = reasons or {}
    return [
        {
            "bill": links.lookup_link(row.ref),
            f"created ({tz})": local_time(row.created_at, tz),
            "status": status_label(row.status),
            "why": plain(why.get(row.id, "")),
            "amount": format_money(row.amount, row.currency),
            "paid": format_money(row.paid, row.currency) if row.paid else "—",
            "refunded": format_money(row.refunded, row.currency) if row.refunded else "—",
            "provider": row.provider.label,
            "kind": row.kind.label,
            "customer": links.customer_link(row.customer_email),
            "description": plain(row.description),
            "tracking id": plain(row.tracking_id),
            "provider id": plain(row.provider_id),
        }
        for row in rows
    ]


def totals_words(totals: Sequence[CurrencyTotal]) -> str:
    """``1,234 bills in 2 currencies`` (a count may be added up; money never is)."""
    count = sum(total.count for total in totals)
    words = f"{count:,} bill" + ("" if count == 1 else "s")
    if len(totals) > 1:
        return f"{words} in {len(totals)} currencies"
    return f"{words} in {totals[0].currency}" if totals else words


def _shown(value: str | None, limit: int = 40) -> str:
    """A typed value quoted in a message: at most ``limit`` characters of it."""
    text = value or ""
    return text if len(text) <= limit else text[:limit] + "…"


def _split(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _period(first: str | None, last: str | None) -> tuple[date, date] | str:
    try:
        start = date.fromisoformat(first or "")
        end = date.fromisoformat(last or "")
    except ValueError:
        return (
            f"The period “{_shown(first)}” to “{_shown(last)}” is not two days "
            "written YYYY-MM-DD; the last 30 days are shown."
        )
    if end < start:
        return f"The period ends ({end}) before it starts ({start}); the last 30 days are shown."
    if start < EARLIEST or end > LATEST:
        return (
            f"The period {start} to {end} is outside {EARLIEST} to {LATEST}; "
            "the last 30 days are shown."
        )
    return start, end
