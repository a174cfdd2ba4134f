"""Time in the ledger: UTC epoch milliseconds on disk, aware datetimes in Python.

Every time column holds an INTEGER count of milliseconds since 1970-01-01 UTC.
Integers sort and range-compare in an index without parsing, cannot carry a
wrong offset, and survive every SQLite tool. The Python API takes and returns
*aware* datetimes; a naive datetime is rejected, because guessing its zone is how
a payment at 23:30 ends up on the wrong day.

Local-time bucketing (revenue per day, week or month) is computed here, in
Python with ``zoneinfo``: the bucket boundaries of a range become a short list of
UTC millisecond pairs that the SQL then range-joins on an index. That keeps the
time-zone rules (DST, historical offsets) out of SQL, where SQLite has none.
"""

from __future__ import annotations

import time as _time
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.errors import ValidationError

Bucket = Literal["day", "week", "month"]
BUCKETS: tuple[Bucket, ...] = ("day", "week", "month")

#: A report may span at most this many buckets (ten years of days).
MAX_BUCKETS = 3700

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def bucket_of(value: object) -> Bucket:
    """``value`` as a report bucket (``day``, ``week`` or ``month``).

    Raises:
        ValidationError: anything else.
    """
    for bucket in BUCKETS:
        if value == bucket:
            return bucket
    raise ValidationError(f"Bucket must be one of {', '.join(BUCKETS)}.", field="bucket")


def to_ms(moment: datetime, *, field: str = "at") -> int:
    """Convert an aware datetime to UTC epoch milliseconds (floored).

    Raises:
        ValidationError: ``moment`` is not a datetime or has no time zone.
    """
    if not isinstance(moment, datetime):
        raise ValidationError(
            f"{field} must be a datetime, not {type(moment).__name__}.", field=field
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(
            f"{field} is a naive datetime; pass an aware one (for example with tzinfo=UTC).",
            field=field,
        )
    return (moment - _EPOCH) // _MILLISECOND


@overload
def from_ms(ms: int) -> datetime: ...
@overload
def from_ms(ms: None) -> None: ...
@overload
def from_ms(ms: int | None) -> datetime | None: ...
def from_ms(ms: int | None) -> datetime | None:
    """Convert UTC epoch milliseconds back to an aware UTC datetime (None stays None)."""
    if ms is None:
        return None
    return _EPOCH + timedelta(milliseconds=ms)


def now_ms() -> int:
    """The current time as UTC epoch milliseconds."""
    return _time.time_ns() // 1_000_000


def optional_ms(moment: datetime | None, *, field: str) -> int | None:
    """:func:`to_ms` that lets None through."""
    return None if moment is None else to_ms(moment, field=field)


def ms_or_now(moment: datetime | None, *, field: str = "at") -> int:
    """:func:`to_ms` of ``moment``, or the current time when it is None."""
    return now_ms() if moment is None else to_ms(moment, field=field)


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name`` or raise :class:`ValidationError`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(f"{name!r} is not an IANA time zone name.", field="tz") from None


def bucket_floor(day: date, bucket: Bucket) -> date:
    """First local day of the bucket holding ``day`` (weeks start on Monday, ISO 8601)."""
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(start: date, bucket: Bucket) -> date:
    """First local day of the bucket after the one starting on ``start``."""
    if bucket == "day":
        return start + timedelta(days=1)
    if bucket == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def local_midnight_ms(day: date, tz: ZoneInfo) -> int:
    """UTC milliseconds of the first instant of ``day`` in ``tz``.

    Where a DST jump skips midnight (clocks go 00:00 -> 01:00), ``fold=0`` makes
    zoneinfo use the offset before the jump, which lands on the first instant that
    exists on that day.
    """
    return to_ms(datetime.combine(day, time(0), tzinfo=tz))


def range_ms(start: date | datetime, end: date | datetime, tz: ZoneInfo) -> tuple[int, int]:
    """Half-open range [start, end) in UTC ms; a date means local midnight in ``tz``."""
    lo = _bound_ms(start, tz, "start")
    hi = _bound_ms(end, tz, "end")
    if hi <= lo:
        raise ValidationError("The end of the range must be after its start.", field="end")
    return lo, hi


def bucket_bounds(
    bucket: Bucket, tz_name: str, start: date | datetime, end: date | datetime
) -> list[tuple[str, int, int]]:
    """Local buckets covering [start, end) as ``(iso_start_date, lo_ms, hi_ms)``.

    The first and last bucket are clipped to the range, so a range that starts
    mid-week still labels its first rows with that week's Monday.

    Raises:
        ValidationError: unknown bucket or zone, empty range, or too many buckets.
    """
    if bucket not in BUCKETS:
        raise ValidationError(f"Bucket must be one of {', '.join(BUCKETS)}.", field="bucket")
    tz = zone(tz_name)
    lo, hi = range_ms(start, end, tz)
    first_local = start.astimezone(tz).date() if isinstance(start, datetime) else _day(start)
    day = bucket_floor(first_local, bucket)
    bounds: list[tuple[str, int, int]] = []
    bucket_lo = local_midnight_ms(day, tz)
    while True:
        following = next_bucket(day, bucket)
        bucket_hi = local_midnight_ms(following, tz)
        if max(lo, bucket_lo) < min(hi, bucket_hi):
            bounds.append((day.isoformat(), max(lo, bucket_lo), min(hi, bucket_hi)))
        if bucket_hi >= hi:
            return bounds
        if len(bounds) >= MAX_BUCKETS:
            raise ValidationError(
                f"The range holds more than {MAX_BUCKETS} {bucket}s; choose a larger bucket.",
                field="bucket",
            )
        day, bucket_lo = following, bucket_hi


def _day(value: object) -> date:
    # datetime is a subclass of date: only a plain date means "local calendar day".
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError("Range bounds must be dates or aware datetimes.", field="start")
    return value


def _bound_ms(value: date | datetime, tz: ZoneInfo, field: str) -> int:
    """A range bound in UTC ms: a datetime as it is, a date as its local midnight."""
    if isinstance(value, datetime):
        return to_ms(value, field=field)
    return local_midnight_ms(_day(value), tz)
