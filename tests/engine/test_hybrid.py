"""The hybrid strategy (issue 20; docs/cost-model.md, section 26), checked by hand.

The test sheet (conftest.py): gpt-4o at 2.50 per 1M input tokens, the tune at 0.30 input and 3.00 per
1M training tokens, embeddings at 0.02 per 1M, a vector database at 50 a month.
"""

from __future__ import annotations

import numpy as np
import pytest
from pricekit import llm
from pydantic import ValidationError

from app.engine import Scenario, estimate, estimate_many
from app.engine.inputs import build_inputs
from app.engine.kernel import compute
from app.engine.scenario import MONTH_WEEKS
from app.engine.uncertainty import uncertainty_document
from app.engine.verdict import HYBRID, break_even_volume, decide, totals_at

READY = {"kind": "both", "prompting_tried": True, "narrow_and_stable": True, "labeled_examples": 1_000}
"""A task of both kinds whose every readiness gate passes."""


def layered(quiet, **over):
    """Section 26's example: 100,000 requests a month of 1,000 input tokens and no output, 12 months,
    5 chunks of 200 tokens, a vector database at 50 a month, no corpus, both layers live from week 0."""
    base = {
        "horizon_months": 12,
        "task": READY,
        "rag": {"retrieved_chunks": 5, "chunk_tokens": 200, "vector_db_monthly_usd": 50},
    }
    for key, value in over.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return quiet(**base)


def test_the_worked_example_by_hand(quiet, sheet):
    """RAG:    (1,000 + 5 x 200) x 2.50 / 1e6 = 0.0050 a request -> 500.00 a month
    hybrid: (0 + 1,000 + 1,000) x 0.30 / 1e6 = 0.0006 a request -> 60.00 a month
    both:   vector DB 50.00 + queries 100,000 x 1,000 x 0.02 / 1e6 = 2.00 a month
    RAG 12 x (500 + 50 + 2) = 6,624.00; hybrid 12 x (60 + 50 + 2) = 1,344.00; 6,624 / 1,344 = 4.9286x."""
    est = estimate(layered(quiet), sheet)
    rag, hybrid = est.strategies["rag"], est.strategies["hybrid"]
    assert rag.total_usd == 6_624.00 and hybrid.total_usd == 1_344.00
    assert [m.categories.inference for m in hybrid.monthly] == [60.00] * 12
    assert [m.categories.retrieval for m in hybrid.monthly] == [52.00] * 12
    assert hybrid.request_usd == 0.0006 and rag.request_usd == 0.005
    v = est.verdict
    assert (v.tuned, v.simpler, v.recommendation) == ("hybrid", "rag", "hybrid")
    assert v.tco_ratio == round(6_624 / 1_344, 4) == 4.9286
    assert all(g.passed for g in v.gates)
    assert "weighs the hybrid" in v.gates[0].reason
    assert v.summary.startswith(
        "Build the hybrid: RAG feeding a tune. The hybrid would cost 1,344 USD over 12 months against 6,624 USD for RAG"
    )
    assert v.gates[4].reason == (
        "Over 12 months the hybrid (RAG feeding a tune) costs 1,344 USD against 6,624 USD for RAG: a ratio of "
        "4.93x, at least 2x."
    )


def test_fine_tuning_alone_is_still_shown_but_the_hybrid_is_weighed(quiet, sheet):
    """Fine-tuning alone on a task of both kinds: 1,000 x 0.30 / 1e6 x 100,000 = 30.00 a month, 360.00;
    cheaper than the hybrid, but gate 1 rules it out: the ratio is RAG's over the hybrid's."""
    est = estimate(layered(quiet), sheet)
    assert est.strategies["fine_tuning"].total_usd == 360.00
    assert est.verdict.tuned == "hybrid" and est.verdict.recommendation != "fine_tuning"


def test_a_behaviour_or_knowledge_task_has_no_hybrid(quiet, sheet):
    for kind in ("behavior", "knowledge"):
        est = estimate(layered(quiet, task={"kind": kind}), sheet)
        assert "hybrid" not in est.strategies and est.verdict.tuned == "fine_tuning"
        assert all(e.strategy != "hybrid" for e in est.lifecycle_events)


def test_a_hybrid_without_rag_is_refused_at_the_task_kind(quiet):
    with pytest.raises(ValidationError) as err:
        layered(quiet, rag={"enabled": False})
    [error] = err.value.errors()
    assert error["loc"] == ("task", "kind") and "turn RAG on" in error["msg"]


def test_the_hybrid_launches_when_both_layers_are_ready(quiet, sheet):
    """RAG ready at week 0, the tune at one month (52/12 weeks): month 1 is served by prompting,
    100,000 x 1,000 x 2.50 / 1e6 = 250.00, and retrieval then costs only the vector DB (no query served
    through it): 50.00. From month 2: 60.00 + 52.00."""
    est = estimate(layered(quiet, fine_tuning={"weeks_to_launch": MONTH_WEEKS}), sheet)
    months = est.strategies["hybrid"].monthly
    assert (months[0].categories.inference, months[0].categories.retrieval) == (250.00, 50.00)
    assert (months[1].categories.inference, months[1].categories.retrieval) == (60.00, 52.00)
    assert est.strategies["rag"].monthly[0].categories.inference == 500.00  # RAG itself is live at week 0


def test_training_counts_the_chunks_in_each_example_and_both_maintenances(quiet, sheet):
    """1,000 examples, 3 epochs, one run at 3.00 per 1M training tokens:
    fine-tuning 1,000 x (0 + 1,000 + 0) x 3 x 3.00 / 1e6 = 9.00; hybrid 1,000 x 2,000 x 3 x 3.00 / 1e6 = 18.00.
    Engineering: RAG's build, 2 weeks x 4,000 = 8,000 in month 1, plus the tune's cycle, 1 week x 4,000.
    Maintenance: (10 RAG + 20 tune hours) x 4,000 / 40 + 100 monitoring = 3,100 a month."""
    s = layered(
        quiet,
        team={"engineer_week_usd": 4_000},
        rag={"build_weeks": 2, "maintenance_hours": 10},
        fine_tuning={
            "training_examples": 1_000,
            "epochs": 3,
            "runs_per_cycle": 1,
            "weeks_per_cycle": 1,
            "maintenance_hours": 20,
            "monitoring_usd_per_month": 100,
        },
        task={"labeled_examples": 1_000},
    )
    est = estimate(s, sheet)
    ft, hybrid = est.strategies["fine_tuning"].monthly, est.strategies["hybrid"].monthly
    assert ft[0].categories.training == 9.00 and hybrid[0].categories.training == 18.00
    assert hybrid[0].categories.engineering == 8_000 + 4_000 and ft[0].categories.engineering == 4_000
    assert [m.categories.maintenance for m in hybrid] == [3_100.00] * 12
    assert [m.categories.maintenance for m in ft] == [2_100.00] * 12


def test_the_hybrid_latency_adds_the_retrieval_step(quiet, sheet):
    """Tune 300 ms, RAG 1,200 ms, prompting 800 ms: the hybrid takes 300 + (1,200 - 800) = 700 ms.
    A 750 ms budget rules out both APIs and the hybrid meets it; at 650 ms it misses it too."""
    latencies = {"prompting": {"latency_ms": 800}, "rag": {"latency_ms": 1_200}, "fine_tuning": {"latency_ms": 300}}
    meets = estimate(layered(quiet, workload={"latency_budget_ms": 750}, **latencies), sheet).verdict
    assert meets.latency_rules_out_apis and meets.gates[4].passed
    assert "rules out the API routes; the hybrid (hosted, 700 ms) meets it." in meets.gates[4].reason
    misses = estimate(layered(quiet, workload={"latency_budget_ms": 650}, **latencies), sheet).verdict
    assert not misses.gates[4].passed and "misses it too" in misses.gates[4].reason


def test_break_even_volume_of_the_hybrid_by_hand(quiet, sheet):
    """A hybrid with 1,200 a month of fixed upkeep (30 hours at 40 USD) against RAG: per request RAG
    0.0050 + 0.00002 of embedding, the hybrid 0.0006 + 0.00002; both pay the vector DB's 50.
    2x: 0.00502 V + 50 >= 2 (0.00062 V + 50 + 1,200) -> 0.00378 V >= 2,450 -> V >= 648,148.148..."""
    s = layered(quiet, team={"engineer_week_usd": 1_600}, fine_tuning={"maintenance_hours": 30})
    est = estimate(s, sheet)
    assert est.verdict.break_even_requests_per_month == round(2_450 / 0.00378)
    x = build_inputs([s], [sheet])
    volume = float(break_even_volume(x)[0])
    below, above = totals_at(x, np.array([[volume * 0.999, volume * 1.001]]))[0]
    assert below[1] / below[HYBRID] < 2 <= above[1] / above[HYBRID]


def test_on_dedicated_gpus_the_hybrid_rents_replicas_for_its_longer_requests(quiet, sheet):
    """1,000 tokens a replica a second, peak-to-average 1, 2,628,000 s a month: 10,000,000 requests of
    2,000 tokens (with the chunks) need 7,610.4 tokens/s -> 8 replicas, fine-tuning's 1,000 tokens -> 4.
    A replica of 1 GPU at 2.99 USD/h for 730 h: 2,182.70 a month."""
    s = layered(
        quiet,
        workload={"requests_per_month": 10_000_000, "peak_to_average": 1},
        fine_tuning={"deployment": "dedicated", "tokens_per_second_per_replica": 1_000, "gpus_per_replica": 1},
    )
    est = estimate(s, sheet)
    assert est.strategies["hybrid"].monthly[0].categories.hosting == pytest.approx(8 * 2.99 * 730, abs=0.005)
    assert est.strategies["fine_tuning"].monthly[0].categories.hosting == pytest.approx(4 * 2.99 * 730, abs=0.005)


def test_a_batch_of_mixed_kinds_answers_each_as_alone(quiet, sheet):
    """The kernel costs the hybrid for every row of a batch where one asks; the others never show it."""
    rows = [layered(quiet), layered(quiet, task={"kind": "behavior"}), layered(quiet, task={"kind": "knowledge"})]
    x = build_inputs(rows, [sheet] * 3)
    costs = compute(x)
    assert costs.hybrid_enabled.tolist() == [True, False, False]
    assert np.isnan(decide(x, costs).totals[1:, HYBRID]).all()
    alone = [estimate(r, sheet) for r in rows]
    assert estimate_many(rows, [sheet] * 3) == alone


def test_own_cost_lines_can_be_booked_to_the_hybrid(quiet, sheet):
    s = layered(quiet, extra_costs=[{"name": "audit", "strategies": ["hybrid"], "one_time_usd": 1_000}])
    est = estimate(s, sheet)
    assert est.strategies["hybrid"].total_usd == 1_344.00 + 1_000
    assert est.strategies["fine_tuning"].total_usd == 360.00


def test_monte_carlo_and_the_tornado_weigh_the_hybrid(quiet, sheet):
    """The vector DB's fee drawn from 0 to 5,000 a month: both RAG and the hybrid pay it, so the ratio
    (6,624 + 12 f) / (1,344 + 12 f) falls from 4.93 (f = 0) to 1.10 (f = 5,000)."""
    s = layered(
        quiet,
        ranges={"rag.vector_db_monthly_usd": {"low": 0, "high": 5_000}},
        uncertainty={"draws": 2_000, "seed": 7},
        rag={"vector_db_monthly_usd": 50},
    )
    assert isinstance(s, Scenario)
    x = build_inputs([s], [sheet])
    doc = uncertainty_document(s, x, HYBRID)
    assert set(doc["strategies"]) == {"prompting", "rag", "fine_tuning", "hybrid"}
    assert set(doc["recommendation_shares"]) == {"prompting", "rag", "fine_tuning", "hybrid"}
    assert 0 < doc["recommendation_shares"]["hybrid"] < 1 and doc["recommendation_shares"]["fine_tuning"] == 0
    assert doc["summary"].startswith("Over 2,000 draws of 1 ranged input, the hybrid (RAG feeding a tune) wins")
    assert doc["tornado"]["tco_ratio"] == round(6_624 / 1_344, 4)
    [bar] = [b for b in doc["tornado"]["inputs"] if b["path"] == "rag.vector_db_monthly_usd"]
    assert bar["tco_ratio_high"] == round((6_624 + 12 * 4_950) / (1_344 + 12 * 4_950), 4)


def test_a_good_enough_cheaper_model_is_the_baseline_the_hybrid_is_weighed_against(quiet, sheet):
    """openai:mid at 1.00 per 1M input, marked good enough: RAG on it costs (1,000 + 1,000) x 1.00 / 1e6 x
    100,000 = 200.00 a month, + 52.00 retrieval: 12 x 252 = 3,024.00 against the hybrid's 1,344.00:
    3,024 / 1,344 = 2.25x (on gpt-4o it was 4.93x)."""
    comparing = sheet.model_copy(update={"candidates": [llm("openai:mid", 1.0)]})
    s = layered(quiet, prompting={"candidates": ["openai:mid"], "acceptable": ["openai:mid"]})
    est = estimate(s, comparing)
    assert est.model_comparison is not None and est.model_comparison.baseline_model == "openai:mid"
    assert est.strategies["rag"].total_usd == 3_024.00 and est.strategies["hybrid"].total_usd == 1_344.00
    assert est.verdict.tco_ratio == 2.25 and est.verdict.recommendation == "hybrid"
    assert "so the 2x rule weighs the hybrid against it" in est.model_comparison.summary
