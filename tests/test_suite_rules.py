"""The rules the test suite keeps about itself (tests/suitekit.py, applied by tests/conftest.py)."""

from __future__ import annotations

from suitekit import duplicate_node_ids


def test_a_node_id_shared_by_two_tests_is_found() -> None:
    assert duplicate_node_ids(["t.py::same", "t.py::other", "t.py::same", "t.py::b[1]"]) == ["t.py::same"]


def test_distinct_node_ids_are_fine() -> None:
    assert duplicate_node_ids(["t.py::a", "t.py::b[1]", "t.py::b[2]"]) == []
