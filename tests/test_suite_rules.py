"""The rules the test suite keeps about itself (tests/suitekit.py, applied by tests/conftest.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from suitekit import duplicate_node_ids, ungrouped


def test_a_node_id_shared_by_two_tests_is_found() -> None:
    assert duplicate_node_ids(["t.py::same", "t.py::other", "t.py::same", "t.py::b[1]"]) == ["t.py::same"]


def test_distinct_node_ids_are_fine() -> None:
    assert duplicate_node_ids(["t.py::a", "t.py::b[1]", "t.py::b[2]"]) == []


def _item(nodeid: str, group: str | None) -> Any:
    marks = {"xdist_group": SimpleNamespace(args=(group,))} if group else {}
    return SimpleNamespace(nodeid=nodeid, get_closest_marker=marks.get)


def test_a_marked_test_xdist_did_not_group_is_found() -> None:
    items = [_item("b.py::t@browser", "browser"), _item("b.py::u", "browser"), _item("a.py::v", None)]
    assert ungrouped(items) == ["b.py::u"]
