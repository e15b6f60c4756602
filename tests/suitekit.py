"""Rules the test suite keeps about itself, so that it can run in parallel (used by tests/conftest.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any


def duplicate_node_ids(nodeids: Iterable[str]) -> list[str]:
    """Node ids that name more than one collected test. pytest-xdist schedules tests by node id: of two
    tests sharing one, it runs one and says nothing (schemathesis cases of an unparametrized test all
    had one id, and 44 tests vanished from the parallel run that way)."""
    return sorted(nodeid for nodeid, n in Counter(nodeids).items() if n > 1)


def ungrouped(items: Iterable[Any]) -> list[str]:
    """Node ids of tests marked `xdist_group` that pytest-xdist's `--dist loadgroup` did not name
    `<id>@<group>`: it schedules them one by one then, on any worker."""
    return [item.nodeid for item in items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
