"""A pytest plugin that hands the memory a test module freed back to the system before the next one.

Process tests parse connector runs of hundreds of megabytes. Python frees those objects when a module's
fixtures end, but glibc keeps most of the freed heap, so a worker's resident memory would stay at the
high-water mark of every module it ran before; the suite's peak would be the sum of the largest, not
the largest. A collection and `malloc_trim` after each module's teardown return it.

Loaded for every test by the repository's conftest.py (`pytest_plugins`).
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable

import pytest


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


MALLOC_TRIM = _malloc_trim()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if nextitem is not None and nextitem.module is item.module:
        return
    gc.collect()
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)
