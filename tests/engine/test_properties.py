"""Properties over random valid scenarios (Hypothesis), against the hand-written price sheet."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine import (
    CATEGORIES,
    STRATEGIES,
    Estimate,
    PriceSheet,
    Scenario,
    build_inputs,
    estimate,
    estimate_many,
    run,
)
from app.engine.estimate import AmountTooLarge
from app.engine.inputs import repeat_inputs

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


def price_overrides(training: bool = False) -> st.SearchStrategy[dict]:
    fields = {
        "input": optional(floats(0, 20)),
        "cached_input": optional(floats(0, 20)),
        "output": optional(floats(0, 80)),
        "batch_discount": optional(floats(0, 1)),
    }
    if training:
        fields["training"] = optional(floats(0, 30))
    return st.fixed_dictionaries(fields)


def scenario_dicts(*, budget: bool = True) -> st.SearchStrategy[dict]:
    share = floats(0, 1)
    weeks = floats(0, 12)
    return st.fixed_dictionaries(
        {
            "horizon_months": st.integers(1, 60),
            "workload": st.fixed_dictionaries(
                {
                    "requests_per_month": floats(0, 1e9),
                    "monthly_growth": floats(-0.5, 0.3),
                    "input_tokens": st.integers(0, 20_000),
                    "output_tokens": st.integers(0, 4_000),
                    "peak_to_average": floats(1, 10),
                    "latency_budget_ms": optional(floats(10, 3_000)) if budget else st.none(),
                }
            ),
            "task": st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(["behavior", "knowledge"]),
                    "prompting_tried": st.booleans(),
                    "eval_harness": st.sampled_from(["exists", "budgeted", "missing"]),
                    "narrow_and_stable": st.booleans(),
                    "labeled_examples": st.integers(0, 10_000),
                }
            ),
            "team": st.fixed_dictionaries(
                {
                    "engineer_week_usd": floats(0, 20_000),
                    "label_cost_usd": floats(0, 50),
                    "golden_examples": st.integers(0, 1_000),
                    "eval_build_weeks": weeks,
                }
            ),
            "prompting": st.fixed_dictionaries(
                {
                    "prices": price_overrides(),
                    "system_prompt_tokens": st.integers(0, 5_000),
                    "few_shot_examples": st.integers(0, 20),
                    "tokens_per_example": st.integers(0, 1_000),
                    "cache_hit_rate": share,
                    "batch_share": share,
                    "prompt_weeks": weeks,
                    "maintenance_hours": floats(0, 100),
                    "model_upgrade_months": st.integers(1, 24),
                    "revalidation_weeks": weeks,
                }
            ),
            "rag": st.fixed_dictionaries(
                {
                    "enabled": st.booleans(),
                    "prices": price_overrides(),
                    "system_prompt_tokens": st.integers(0, 2_000),
                    "few_shot_examples": st.integers(0, 5),
                    "retrieved_chunks": st.integers(0, 20),
                    "chunk_tokens": st.integers(0, 2_000),
                    "cache_hit_rate": share,
                    "batch_share": share,
                    "build_weeks": weeks,
                    "weeks_to_launch": floats(0, 30),
                    "embedding_prices": st.fixed_dictionaries({"input": optional(floats(0, 1))}),
                    "corpus_tokens": floats(0, 1e10),
                    "corpus_churn_share": share,
                    "vector_db_monthly_usd": optional(floats(0, 5_000)),
                    "reranker": optional(st.just("cohere:rerank-3.5")),
                    "rerank_usd_per_1k_requests": optional(floats(0, 10)),
                    "maintenance_hours": floats(0, 100),
                    "model_upgrade_months": st.integers(1, 24),
                }
            ),
            "fine_tuning": st.fixed_dictionaries(
                {
                    "deployment": st.sampled_from(["hosted", "serverless", "dedicated"]),
                    "prices": price_overrides(training=True),
                    "system_prompt_tokens": st.integers(0, 500),
                    "cache_hit_rate": share,
                    "batch_share": share,
                    "training_examples": st.integers(0, 20_000),
                    "epochs": st.integers(1, 5),
                    "runs_per_cycle": st.integers(0, 20),
                    "cost_per_run_usd": optional(floats(0, 5_000)),
                    "weeks_per_cycle": weeks,
                    "curation_weeks": weeks,
                    "retrain_every_months": optional(st.integers(1, 12)),
                    "retrain_runs": st.integers(0, 10),
                    "retrain_weeks": weeks,
                    "new_label_share": share,
                    "base_model_deprecation_months": optional(st.integers(1, 36)),
                    "weeks_to_launch": floats(0, 30),
                    "gpu_hour_usd": optional(floats(0, 10)),
                    "gpus_per_replica": st.integers(1, 8),
                    "min_replicas": st.integers(0, 4),
                    "tokens_per_second_per_replica": optional(floats(100, 1e6)),
                    "training_tokens_per_second": optional(floats(100, 1e5)),
                    "monitoring_usd_per_month": floats(0, 2_000),
                    "maintenance_hours": floats(0, 100),
                    "latency_ms": optional(floats(10, 3_000)),
                }
            ),
        }
    )


def scenarios(**kw: bool) -> st.SearchStrategy[Scenario]:
    return scenario_dicts(**kw).map(Scenario.model_validate)


def shown(batch: list[Scenario], sheets: list[PriceSheet]) -> list[Estimate]:
    """The documents of a batch; none when one of them costs too much to show to the cent (its own test
    checks that refusal: tests/engine/test_finance.py)."""
    try:
        return estimate_many(batch, sheets)
    except AmountTooLarge:
        return []


def table(costs, strategy: str, row: int, months: int) -> np.ndarray:
    return costs.categories(strategy, row, months)


@FAST
@given(batch=st.lists(scenarios(), min_size=1, max_size=3))
def test_no_negative_cost(sheet, batch):
    costs, verdicts = run(build_inputs(batch, [sheet] * len(batch)))
    for i, s in enumerate(batch):
        for strategy in STRATEGIES:
            t = table(costs, strategy, i, s.horizon_months)
            assert np.isfinite(t).all()
            assert (t >= 0).all(), (strategy, CATEGORIES, t.min(axis=0))
    assert (verdicts.ratio >= 0).all()
    for est in shown(batch, [sheet] * len(batch)):
        for doc in est.strategies.values():
            assert doc.total_usd >= 0
            assert all(v >= 0 for m in doc.monthly for v in m.categories.model_dump().values())
            assert doc.compute_only_usd is None or 0 <= doc.compute_only_usd <= doc.total_usd + 0.01


@FAST
@given(
    s=scenarios(),
    more_volume=floats(0, 1e9),
    more_input=st.integers(0, 5_000),
    more_output=st.integers(0, 5_000),
)
def test_inference_never_falls_when_volume_or_tokens_rise(sheet, s, more_volume, more_input, more_output):
    w = s.workload
    assert w.requests_per_month is not None
    bigger = s.model_copy(
        update={
            "workload": w.model_copy(
                update={
                    "requests_per_month": w.requests_per_month + more_volume,
                    "input_tokens": w.input_tokens + more_input,
                    "output_tokens": w.output_tokens + more_output,
                }
            )
        }
    )
    costs, _ = run(build_inputs([s, bigger], [sheet, sheet]))
    for strategy in STRATEGIES:
        small, big = (table(costs, strategy, i, s.horizon_months) for i in (0, 1))
        for category in ("inference", "hosting"):
            k = CATEGORIES.index(category)
            assert (big[:, k] >= small[:, k]).all(), (strategy, category)


@FAST
@given(s=scenarios(), n=st.integers(2, 6))
def test_identical_draws_give_identical_rows(sheet, s, n):
    single_costs, single = run(build_inputs([s], [sheet]))
    for inputs in (repeat_inputs(build_inputs([s], [sheet]), n), build_inputs([s] * n, [sheet] * n)):
        assert all(v.shape == (n,) for v in inputs.values())
        costs, verdicts = run(inputs)
        for strategy in STRATEGIES:
            expected = table(single_costs, strategy, 0, s.horizon_months)
            for i in range(n):
                np.testing.assert_array_equal(table(costs, strategy, i, s.horizon_months), expected)
        for name in ("totals", "ratio", "gates", "recommendation", "break_even_month", "half_cost_month"):
            got, want = getattr(verdicts, name), getattr(single, name)
            np.testing.assert_array_equal(got, np.repeat(want, n, axis=0), err_msg=name)


@FAST
@given(batch=st.lists(scenarios(), min_size=1, max_size=4))
def test_many_at_once_equal_one_at_a_time(sheet, batch):
    sheets = [sheet] * len(batch)
    alone: list[Estimate | AmountTooLarge] = []
    for s in batch:
        try:
            alone.append(estimate(s, sheet))
        except AmountTooLarge as exc:  # 30% growth a month for 60 months: past 9e13 USD
            alone.append(exc)
    if any(isinstance(a, AmountTooLarge) for a in alone):
        with pytest.raises(AmountTooLarge) as caught:  # the batch refuses too, naming such a scenario
            estimate_many(batch, sheets)
        assert isinstance(alone[caught.value.index], AmountTooLarge)
        return
    together = estimate_many(batch, sheets)
    assert len(together) == len(batch)
    for doc, one in zip(together, alone, strict=True):
        assert isinstance(one, Estimate) and doc.model_dump() == one.model_dump()
    # the unrounded verdict too: rows of longer horizons in the batch change nothing
    _, many = run(build_inputs(batch, sheets))
    for i, s in enumerate(batch):
        _, one = run(build_inputs([s], [sheet]))
        np.testing.assert_array_equal(many.totals[i], one.totals[0])
        assert many.ratio[i] == one.ratio[0]
        assert many.break_even_month[i] == one.break_even_month[0]


@FAST
@given(batch=st.lists(scenarios(budget=False), min_size=1, max_size=4))
def test_gate_5_is_the_2x_rule_without_a_latency_budget(sheet, batch):
    _, verdicts = run(build_inputs(batch, [sheet] * len(batch)))
    np.testing.assert_array_equal(verdicts.gates[:, 4], verdicts.ratio >= 2)
    assert not verdicts.apis_ruled_out.any()


@FAST
@given(s=scenarios())
def test_gate_5_fails_when_fine_tuning_misses_the_budget(sheet, s):
    _, verdicts = run(build_inputs([s], [sheet]))
    budget = s.workload.latency_budget_ms
    if budget is not None and s.fine_tuning.effective_latency_ms > budget:
        assert not verdicts.gates[0, 4]
    if budget is None or s.fine_tuning.effective_latency_ms <= budget:
        assert verdicts.gates[0, 4] == (verdicts.ratio[0] >= 2 or bool(verdicts.apis_ruled_out[0]))
