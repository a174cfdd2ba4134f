"""The SANDBOX badge says how far the sandbox clock is ahead, or that it cannot tell."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.clock import SandboxClock
from console.ui.overview import clock_words


class FixedLead(SandboxClock):
    def __init__(self, lead: timedelta | None) -> None:
        super().__init__("http://127.0.0.1:9")
        self._fixed = lead

    def lead(self) -> timedelta | None:
        return self._fixed


@pytest.mark.parametrize(
    ("lead", "words"),
    [
        (timedelta(days=2, hours=3), "Sandbox clock: 2 d 3 h 0 min ahead of real time"),
        (timedelta(seconds=5), "Sandbox clock: real time."),
        (None, "Sandbox clock unreachable: dates use the real clock."),
    ],
)
def test_the_badge_names_the_sandbox_clocks_lead(lead, words):
    assert clock_words(FixedLead(lead)).startswith(words)


def test_live_mode_has_no_clock_words():
    assert clock_words(object()) == ""
