"""One kernel call serves an estimate and its break-even volume (issue 18): the rows of the scenarios and
their rows at a month-1 volume of 0 and of SLOPE_STEP are costed together, then split. Every formula is
row by row, so each part must be, to the bit, what a call over those rows alone gives."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from app.engine.estimate import estimate_documents
from app.engine.inputs import build_inputs
from app.engine.kernel import compute
from app.engine.scenario import STRATEGIES
from app.engine.verdict import break_even_volume, decide, with_volume_pairs
from app.services import priced

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from snapshot import scenarios  # bench/snapshot.py: random scenarios over every preset


@pytest.fixture(scope="module")
def cases() -> tuple[list, list]:
    chosen = scenarios(120)
    return chosen, priced(chosen)


@pytest.mark.parametrize("size", [1, 120])
def test_the_shared_call_gives_each_part_what_its_own_call_gives(cases: tuple[list, list], size: int) -> None:
    chosen, sheets = cases
    groups = [([s], [p]) for s, p in zip(chosen[:12], sheets[:12], strict=True)] if size == 1 else [cases]
    for group, group_sheets in groups:
        x = build_inputs(group, group_sheets)
        n = len(group)
        together = compute(with_volume_pairs(x, n))
        alone = compute(x)
        shared = together.rows(0, n)
        for s in STRATEGIES:
            assert np.array_equal(shared.totals(s), alone.totals(s))  # bit for bit: array_equal, no tolerance
            assert np.array_equal(
                np.broadcast_to(shared.monthly_totals[s], alone.in_horizon.shape),
                np.broadcast_to(alone.monthly_totals[s], alone.in_horizon.shape),
            )
        mine, theirs = decide(x, shared), decide(x, alone)
        assert np.array_equal(mine.recommendation, theirs.recommendation)
        assert np.array_equal(mine.ratio, theirs.ratio)
        assert np.array_equal(mine.break_even_month, theirs.break_even_month)
        from_pairs = break_even_volume(x, pair=together.rows(n, 3 * n))
        own_call = break_even_volume(x)
        assert np.array_equal(from_pairs, own_call, equal_nan=True)


def test_a_batch_answers_each_scenario_as_it_is_answered_alone(cases: tuple[list, list]) -> None:
    chosen, sheets = cases
    batch = estimate_documents(chosen[:40], sheets[:40])
    for scenario, sheet, doc in zip(chosen[:40], sheets[:40], batch, strict=True):
        assert estimate_documents([scenario], [sheet])[0] == doc
