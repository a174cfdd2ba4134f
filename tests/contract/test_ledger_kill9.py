"""A ledger writer killed with SIGKILL at random points loses no acknowledged write."""

import pytest

from tests.support.kill9 import run_rounds

# Real processes killed mid-write: seconds, not milliseconds; a "not slow" run skips it.
pytestmark = pytest.mark.slow


def test_sigkill_at_random_points_keeps_every_acknowledged_write(tmp_path):
    result = run_rounds(tmp_path / "ledger.db", rounds=12, seed=7)
    assert result.integrity == "ok"
    assert result.acknowledged > 0
    assert result.lost == []
    assert result.orphans == 0  # no bill without its payment: no half transaction survived
