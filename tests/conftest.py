"""Suite-wide ordering: browser tests run last, after the fast suites have spoken."""

from __future__ import annotations

import os


def pytest_collection_modifyitems(items):
    def is_e2e(item) -> bool:
        return f"{os.sep}e2e{os.sep}" in str(item.fspath)

    items.sort(key=is_e2e)  # stable: keeps the order within each group
