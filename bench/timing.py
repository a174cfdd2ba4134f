"""The one way the benchmarks time a read: the median of ``repeat`` runs, in ms.

Imported by the bench scripts as ``from timing import median_ms``: each is run as
``python bench/<name>.py``, which puts this folder first on ``sys.path``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_ms(run: Callable[[], object], repeat: int = 5) -> float:
    """Milliseconds of the median run of ``run`` over ``repeat`` runs."""
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)
