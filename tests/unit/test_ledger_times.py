"""Times: UTC epoch milliseconds on disk, aware datetimes in Python, naive ones refused."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from console.errors import ValidationError
from console.ledger import Ledger, NewBill, bucket_bounds, from_ms, to_ms


@pytest.mark.parametrize(
    ("moment", "ms"),
    [
        (datetime(1970, 1, 1, tzinfo=UTC), 0),
        (datetime(2026, 1, 1, 3, 0, tzinfo=timezone(timedelta(hours=3))), 1_767_225_600_000),
        (datetime(2026, 1, 1, 0, 0, 0, 999_999, tzinfo=UTC), 1_767_225_600_999),  # floored
    ],
)
def test_aware_datetimes_become_utc_milliseconds_and_back(moment, ms):
    assert to_ms(moment) == ms
    assert from_ms(ms) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert from_ms(ms).tzinfo is UTC


@pytest.mark.parametrize("value", [datetime(2026, 1, 1), date(2026, 1, 1), 1_767_225_600_000])
def test_naive_datetimes_and_other_types_are_refused(value):
    with pytest.raises(ValidationError, match=r"naive|datetime"):
        to_ms(value)


def test_the_ledger_stores_integers(tmp_path):
    with Ledger(tmp_path / "l.db") as ledger:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        ledger.create_bill(
            NewBill(
                provider="bepaid",
                kind="card_link",
                tracking_id="o",
                amount=1,
                currency="EUR",
                at=at,
            )
        )
        stored = ledger.connection().execute("SELECT created_at, typeof(created_at) FROM bills")
        assert tuple(stored.fetchone()) == (1_767_225_600_000, "integer")


@pytest.mark.parametrize(
    ("bucket", "start", "end", "labels"),
    [
        ("day", date(2026, 2, 27), date(2026, 3, 2), ["2026-02-27", "2026-02-28", "2026-03-01"]),
        ("week", date(2026, 1, 1), date(2026, 1, 13), ["2025-12-29", "2026-01-05", "2026-01-12"]),
        ("month", date(2025, 11, 15), date(2026, 2, 1), ["2025-11-01", "2025-12-01", "2026-01-01"]),
    ],
)
def test_buckets_cover_the_range_without_gaps(bucket, start, end, labels):
    bounds = bucket_bounds(bucket, "Europe/Minsk", start, end)
    assert [label for label, _, _ in bounds] == labels
    assert all(hi == next_lo for (_, _, hi), (_, next_lo, _) in itertools.pairwise(bounds))
    assert (
        bounds[0][1]
        == to_ms(datetime(start.year, start.month, start.day, tzinfo=UTC)) - 3 * 3600_000
    )
