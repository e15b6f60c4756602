"""Schemathesis tests whose Hypothesis test is built when it runs, not when pytest collects it.

`@schema.parametrize()` builds each operation's Hypothesis test while pytest collects: its explicit
examples and every coverage case (each bound of each field, valid and invalid) are generated then and
attached as `@example`s. That is ~25 s of CPU for this app's 77 operations, and every pytest-xdist worker
collects every test, so each worker paid it although one worker runs each test. `built_when_run` marks a
parametrized test whose operations' tests are built by schemathesis's own builder
(`build_operation_test`, the same arguments, so the same examples, coverage cases, fuzzing, seed and
settings) the first time one of its items runs on a worker, once per operation and worker; the
`build_now` fixture (autouse in the test module) puts the built test in the item before pytest and
Hypothesis's hooks look at it. A definition schemathesis cannot build fails its test at setup instead of
at collection.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from schemathesis.pytest import _test_builder

_BUILT_WHEN_RUN = "_llm_tco_built_when_run"
_schemathesis_build = _test_builder.build_operation_test


def built_when_run(test: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a `@schema.parametrize()` test (apply it above that decorator)."""
    setattr(test, _BUILT_WHEN_RUN, True)
    return test


class _Deferred:
    """One operation's Hypothesis test, built on first use with the arguments collection gave."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs
        self.test: Callable[..., Any] | None = None

    def build(self) -> Callable[..., Any]:
        if self.test is None:
            self.test = _schemathesis_build(**self.kwargs)
        return self.test


def _build_operation_test(*, test_func: Callable[..., Any], **kwargs: Any) -> Callable[..., Any]:
    if not getattr(test_func, _BUILT_WHEN_RUN, False):
        return _schemathesis_build(test_func=test_func, **kwargs)
    deferred = _Deferred({"test_func": test_func, **kwargs})

    @functools.wraps(test_func)
    def run(*args: Any, **fixtures: Any) -> Any:  # what runs if no `build_now` swapped it: the same test
        return deferred.build()(*args, **fixtures)

    # The signature Hypothesis's @given gives the built test (pytest reads its fixtures from it): the test's
    # own, without the arguments Hypothesis draws.
    drawn = {"case", *kwargs.get("given_kwargs", {})}
    signature = inspect.signature(test_func)
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for p in signature.parameters.values() if p.name not in drawn]
    )
    run._llm_tco_deferred = deferred  # type: ignore[attr-defined]
    run.is_hypothesis_test = True  # type: ignore[attr-defined]  # Hypothesis marks the item `hypothesis`, as before
    return run


_test_builder.build_operation_test = _build_operation_test  # read by schemathesis's collector at each use


@pytest.fixture(autouse=True)
def build_now(request: pytest.FixtureRequest) -> None:
    """Put the built Hypothesis test in a `built_when_run` item (autouse: before its other fixtures)."""
    node = request.node
    deferred: _Deferred | None = getattr(node.obj, "_llm_tco_deferred", None)
    if deferred is None:
        return
    built = deferred.build()
    assert _arguments(built) == _arguments(node.obj), "the built test takes other fixtures than were collected"
    node.obj = built


def _arguments(test: Callable[..., Any]) -> list[tuple[str, Any]]:
    """What pytest reads of a test's signature: its arguments' names and kinds (not their annotations)."""
    return [(p.name, p.kind) for p in inspect.signature(test).parameters.values()]
