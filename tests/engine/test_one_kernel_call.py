"""One kernel call serves an estimate and its break-even volume (issue 18): the rows of the scenarios and
their rows at a month-1 volume of 0 and of SLOPE_STEP are costed together, then split. Every formula is
row by row, so each part must be, to the bit, what a call over those rows alone gives."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from app.engine.estimate import estimate_documents
from app.engine.inputs import build_inputs, row_count
from app.engine.kernel import REPLICA_INPUTS, compute, replicas_for
from app.engine.scenario import STRATEGIES
from app.engine.verdict import break_even_volume, decide, with_volume_pairs
from app.services import priced

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from snapshot import scenarios  # bench/snapshot.py: random scenarios over every preset


@pytest.fixture(scope="module")
def cases() -> tuple[list, list]:
    chosen = scenarios(120, kinds=("behavior", "knowledge", "both"))  # a third weighs the hybrid
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


def _ratios_by_kernel(x: dict, volumes: np.ndarray) -> np.ndarray:
    """(N, P) the TCO ratio at each month-1 volume from a real kernel call of N*P rows: the oracle."""
    n, p = volumes.shape
    swept = {k: np.repeat(np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)), p) for k, v in x.items()}
    swept["workload.requests_per_month"] = volumes.reshape(-1)
    return decide(swept, compute(swept), crossings=False).ratio.reshape(n, p)


def _swept_by_kernel(x: dict, points: int = 33, rounds: int = 3) -> np.ndarray:
    """The break-even grid search, each point priced by the kernel (what break_even_volume did before)."""
    n = row_count(x)
    lo, hi = np.zeros(n), np.full(n, 12.0)
    result, settled = np.full(n, np.nan), np.zeros(n, dtype=bool)
    for round_ in range(rounds):
        grid = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, points)[None, :]
        wins = _ratios_by_kernel(x, 10.0**grid) >= 2.0
        if round_ == 0:
            result = np.where(wins.all(axis=1), 0.0, result)
            settled = ~wins[:, -1] | wins.all(axis=1)
        last_lose = np.minimum(points - 1 - np.argmax(~wins[:, ::-1], axis=1), points - 2)
        lo = np.where(settled, lo, grid[np.arange(n), last_lose])
        hi = np.where(settled, hi, grid[np.arange(n), last_lose + 1])
    return np.where(settled, result, 10.0**hi)


def test_dedicated_break_even_from_replica_steps_is_the_kernel_sweep(cases: tuple[list, list]) -> None:
    """Dedicated GPUs: each grid point's TCO is the affine line plus the replicas each month needs (no
    kernel call per point); a sweep that prices every point with the kernel finds the same volumes."""
    chosen, sheets = cases
    on_gpus = [(s, p) for s, p in zip(chosen, sheets, strict=True) if s.fine_tuning.deployment == "dedicated"]
    assert len(on_gpus) >= 20  # the random scenarios cover dedicated rows
    x = build_inputs([s for s, _ in on_gpus], [p for _, p in on_gpus])
    found = break_even_volume(x)
    assert np.isfinite(found).sum() >= 5 and np.isnan(found).sum() >= 1  # both outcomes are exercised
    assert np.array_equal(found, _swept_by_kernel(x), equal_nan=True)


def test_replica_steps_by_hand() -> None:
    """docs/cost-model.md, Break-even volume: 1,000-token requests, peak-to-average 2, 1,000 tokens/s a
    replica, a month of 730 h = 2,628,000 s. At 10^9 requests: 10^9 x 1,000 x 2 / 2,628,000 = 761,035.0
    tokens/s -> 762 replicas; at 5,000,000: 3,805.2 tokens/s -> 4; at none, min_replicas (here 1)."""
    x = {
        "fine_tuning.system_prompt_tokens": np.array([0.0]),
        "rag.retrieved_chunks": np.array([2.0]),
        "rag.chunk_tokens": np.array([500.0]),
        "workload.input_tokens": np.array([800.0]),
        "workload.output_tokens": np.array([200.0]),
        "workload.peak_to_average": np.array([2.0]),
        "fine_tuning.tokens_per_second_per_replica": np.array([1000.0]),
        "fine_tuning.min_replicas": np.array([1.0]),
    }
    assert set(x) == set(REPLICA_INPUTS)  # all the formula reads
    volumes = np.array([[1e9, 5e6, 0.0]])
    assert replicas_for(x, volumes).tolist() == [[762.0, 4.0, 1.0]]
    # The hybrid's requests also carry 2 chunks x 500 tokens: 2,000 tokens. At 10^9 requests:
    # 10^9 x 2,000 x 2 / 2,628,000 = 1,522,070.0 tokens/s -> 1,523 replicas; at 5,000,000: 7,610.4 -> 8.
    assert replicas_for(x, volumes, x["rag.retrieved_chunks"] * x["rag.chunk_tokens"]).tolist() == [[1523.0, 8.0, 1.0]]
    assert 762 * 2.00 * 730 == 1_112_520  # the hosting of that month at 2.00 USD/h: 1,460 USD a replica
