"""Tracking ids: unique, time-ordered, within bePaid's 255 characters, safe in a URL path."""

from __future__ import annotations

import re

from console.billing import new_tracking_id


def test_tracking_ids_are_unique_sortable_and_short():
    ids = [new_tracking_id("link") for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"mc-link-[0-9A-HJKMNP-TV-Z]{26}", value) for value in ids)
    # The first ten characters of the ULID are the millisecond: never decreasing.
    stamps = [value[8:18] for value in ids]
    assert stamps == sorted(stamps)
    assert max(len(value) for value in ids) <= 255


def test_the_kind_is_part_of_the_id():
    assert new_tracking_id("sub").startswith("mc-sub-")
