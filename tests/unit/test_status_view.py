"""A status is never told by colour alone: every coloured mark has its word beside it."""

from __future__ import annotations

import pytest

from console.status import BillStatus, SubscriptionStatus
from console.ui.status_view import COLOUR_MARK, status_badge, status_label

EVERY_STATUS = sorted({*BillStatus, *SubscriptionStatus})


@pytest.mark.parametrize("status", EVERY_STATUS)
def test_every_status_mark_has_its_word_beside_it(status):
    mark, word = status_label(status).split(" ", 1)
    assert mark in COLOUR_MARK.values() and word == status.value
    assert status.value.replace("_", " ") in status_badge(status)
