"""The verdict: the six gates of 002, the simpler strategy, break-even month and volume."""

from __future__ import annotations

import math
import re

import pytest

from app.engine import build_inputs, estimate, run

GOOD_TASK = {
    "kind": "behavior",
    "prompting_tried": True,
    "eval_harness": "exists",
    "narrow_and_stable": True,
    "labeled_examples": 1_000,
}
# 1e7 requests of 1,000 input tokens: prompting 2.5 / 1M = 25,000 USD a month, the tuned model
# 0.3 / 1M = 3,000 a month; RAG pays 200 a month of query embeddings on top of prompting's price.
WINNING = {"workload": {"requests_per_month": 1e7}, "task": GOOD_TASK}


def gates(est):
    return {g.id: g for g in est.verdict.gates}


def summary_of(est) -> tuple[str, str]:
    """(the recommended route, what the headline says is missing) read back from the summary."""
    match = re.fullmatch(
        r"(Keep prompting|Build RAG|Fine-tune)\. .*(?:but|and) the team is not ready yet: (.*)\.", est.verdict.summary
    )
    assert match, est.verdict.summary
    label = {"Keep prompting": "prompting", "Build RAG": "rag", "Fine-tune": "fine_tuning"}[match[1]]
    return label, match[2]


@pytest.fixture
def winning(quiet, sheet):
    def f(**over):
        sections = {k: {**WINNING.get(k, {}), **over.get(k, {})} for k in WINNING.keys() | over.keys()}
        return estimate(quiet(**sections), sheet)

    return f


def test_all_gates_pass(winning):
    est = winning()
    g = gates(est)
    assert [g[i].passed for i in range(1, 7)] == [True] * 6
    assert est.verdict.recommendation == "fine_tuning"
    assert est.verdict.simpler == "prompting"
    assert est.verdict.tco_ratio == round(25_000 / 3_000, 4)
    # 36 months x 3,000 = 108,000 against 36 x 25,000 = 900,000
    assert est.verdict.summary == (
        "Fine-tune. Fine-tuning would cost 108,000 USD over 36 months against 900,000 USD for prompting: 8.33x "
        "cheaper, past the 2x rule, and the team is ready: every gate passes."
    )
    assert est.verdict.cost.passed and est.verdict.readiness.passed
    assert est.verdict.readiness.text.startswith("Ready: a behaviour task, prompting tried")
    assert "behaviour task" in g[1].reason
    assert "was tried" in g[2].reason
    assert "exists" in g[3].reason
    assert "narrow, stable" in g[4].reason
    assert "8.33x, at least 2x" in g[5].reason
    assert "1,000 high-quality labeled examples available" in g[6].reason


@pytest.mark.parametrize(
    ("task", "gate", "cause", "missing"),
    [
        ({"kind": "knowledge"}, 1, "A knowledge task goes to RAG", "it is a knowledge task (RAG's job, not a tune's)"),
        ({"prompting_tried": False}, 2, "has not been tried", "prompting with examples has not been tried"),
        ({"eval_harness": "missing"}, 3, "No evaluation harness", "no evaluation harness"),
        ({"narrow_and_stable": False}, 4, "evolving or broad", "the task is not narrow and stable yet"),
        (
            {"labeled_examples": 999},
            6,
            "Only 999 high-quality labeled examples",
            "only 999 labeled examples (1,000 needed)",
        ),
    ],
)
def test_each_user_gate_fails_on_its_input(winning, task, gate, cause, missing):
    est = winning(task=task)
    g = gates(est)
    assert [i for i in g if not g[i].passed] == [gate]
    assert cause in g[gate].reason
    assert est.verdict.recommendation == est.verdict.simpler
    assert est.verdict.recommendation != "fine_tuning"
    # fine-tuning is cheaper by 2x, the team is not ready: the headline says both ("... but ...")
    assert summary_of(est) == (est.verdict.simpler, missing)
    assert "x cheaper, past the 2x rule, but the team is not ready yet" in est.verdict.summary
    assert est.verdict.cost.passed and not est.verdict.readiness.passed
    assert est.verdict.readiness.text == f"Not ready yet: {missing}."


def test_budgeted_harness_passes_gate_3(winning):
    g = gates(winning(task={"eval_harness": "budgeted"}))
    assert g[3].passed
    assert "budgeted" in g[3].reason


def test_gate_5_fails_short_of_2x(winning):
    # tuned model at 2.0 / 1M: 25,000 / 20,000 = 1.25x
    est = winning(fine_tuning={"prices": {"input": 2.0}})
    g = gates(est)
    assert not g[5].passed
    assert "1.25x, short of 2x" in g[5].reason
    assert "900,000 USD" in g[5].reason  # 36 months x 25,000 for prompting
    assert est.verdict.tco_ratio == 1.25
    assert est.verdict.recommendation == "prompting"
    # 36 x 20,000 = 720,000 against 36 x 25,000 = 900,000: 1.25x, and the two cost lines are parallel
    # enough that no volume brings 2x
    assert est.verdict.summary == (
        "Keep prompting. Fine-tuning would cost 720,000 USD over 36 months against 900,000 USD for prompting: "
        "1.25x cheaper, short of the 2x rule; it stays short of 2x at any volume up to 1e12 requests a month; "
        "the team is ready, so the cost decides."
    )
    assert not est.verdict.cost.passed and est.verdict.readiness.passed


def test_several_failed_gates_are_listed(winning):
    est = winning(task={"prompting_tried": False, "labeled_examples": 0}, fine_tuning={"prices": {"input": 2.0}})
    assert summary_of(est) == ("prompting", "prompting with examples has not been tried, no labeled examples")
    assert ", and the team is not ready yet" in est.verdict.summary  # cost fails too: "and", not "but"


def test_knowledge_task_goes_to_rag(quiet, sheet):
    # RAG costs more than prompting here (query embeddings), but a knowledge task goes to RAG
    knowledge = {"workload": WINNING["workload"], "task": {**GOOD_TASK, "kind": "knowledge"}}
    est = estimate(quiet(**knowledge), sheet)
    assert est.strategies["rag"].total_usd > est.strategies["prompting"].total_usd
    assert est.verdict.simpler == "rag"
    assert est.verdict.recommendation == "rag"
    # without RAG as an option, prompting is the simpler route
    est = estimate(quiet(**knowledge, rag={"enabled": False}), sheet)
    assert est.verdict.recommendation == "prompting"


def test_simpler_is_the_cheaper_feasible(quiet, sheet):
    # a 5,000-token system prompt on prompting makes RAG (no system prompt here) the cheaper route
    s = {"prompting": {"system_prompt_tokens": 5_000}}
    est = estimate(quiet(**s), sheet)
    assert est.strategies["rag"].total_usd < est.strategies["prompting"].total_usd
    assert est.verdict.simpler == "rag"
    # a 1,000 ms budget: prompting (800 ms) meets it, RAG (1,200 ms) does not
    est = estimate(quiet(**s, workload={"latency_budget_ms": 1_000}), sheet)
    assert est.verdict.simpler == "prompting"
    assert not est.verdict.latency_rules_out_apis


def test_gate_5_through_latency_with_dedicated_gpus(quiet, sheet):
    # 100,000 requests: prompting 250 a month against a dedicated replica at 2.99 x 730 a month
    s = quiet(task=GOOD_TASK, workload={"latency_budget_ms": 100}, fine_tuning={"deployment": "dedicated"})
    est = estimate(s, sheet)
    g = gates(est)
    assert est.verdict.tco_ratio == pytest.approx(250 / (2.99 * 730), abs=1e-4)
    assert est.verdict.latency_rules_out_apis
    assert g[5].passed
    assert "100 ms latency budget rules out the API routes" in g[5].reason
    assert "dedicated, 80 ms) meets it" in g[5].reason
    assert est.verdict.recommendation == "fine_tuning"
    # without the budget, the same scenario fails the 2x rule
    est = estimate(quiet(task=GOOD_TASK, fine_tuning={"deployment": "dedicated"}), sheet)
    assert not gates(est)[5].passed
    assert not est.verdict.latency_rules_out_apis
    assert est.verdict.recommendation == "prompting"


def test_gate_5_latency_budget_that_everything_misses(quiet, sheet):
    s = quiet(task=GOOD_TASK, workload={"latency_budget_ms": 50}, fine_tuning={"deployment": "dedicated"})
    est = estimate(s, sheet)
    g = gates(est)
    assert est.verdict.latency_rules_out_apis
    assert not g[5].passed
    assert "dedicated, 80 ms) misses it too" in g[5].reason


def test_gate_5_fails_when_fine_tuning_misses_the_budget(winning):
    # 8.33x on cost, but the tuned model (1,500 ms) misses a 1,000 ms budget that prompting meets
    est = winning(workload={"latency_budget_ms": 1_000}, fine_tuning={"latency_ms": 1_500})
    g = gates(est)
    assert est.verdict.tco_ratio == round(25_000 / 3_000, 4)
    assert not est.verdict.latency_rules_out_apis
    assert not g[5].passed
    assert "(hosted, 1500 ms) misses the 1000 ms budget that prompting meets" in g[5].reason
    assert est.verdict.recommendation == "prompting"


@pytest.mark.parametrize(("deployment", "passed"), [("hosted", False), ("serverless", True), ("dedicated", True)])
def test_default_latency_by_deployment(winning, deployment, passed):
    # 400 ms rules out the APIs (800, 1,200); the defaults are 500 hosted, 300 serverless, 80 dedicated
    est = winning(workload={"latency_budget_ms": 400}, fine_tuning={"deployment": deployment})
    assert est.verdict.latency_rules_out_apis
    assert gates(est)[5].passed is passed


# --- break-even month and half-cost month ---


def stays_below(ft: list[float], other: list[float], factor: float = 1.0) -> int | None:
    """The definition: the first month from which cumulative ft stays at or below factor x other."""
    for m in range(1, len(ft) + 1):
        if all(f <= factor * o for f, o in zip(ft[m - 1 :], other[m - 1 :], strict=True)):
            return m
    return None


def break_even_case(quiet, horizon, **ft):
    # prompting 400,000 x 1,000 x 2.5 / 1M = 1,000 a month; the tune 120 a month + one week (4,000) per cycle
    return quiet(
        horizon_months=horizon,
        workload={"requests_per_month": 400_000},
        rag={"enabled": False},
        fine_tuning={"weeks_per_cycle": 1, **ft},
    )


def test_break_even_and_half_cost_month(quiet, sheet):
    est = estimate(break_even_case(quiet, 24), sheet)
    ft, p = est.strategies["fine_tuning"].cumulative_usd, est.strategies["prompting"].cumulative_usd
    assert ft[:6] == pytest.approx([4_000 + 120 * m for m in range(1, 7)])
    assert p[:6] == pytest.approx([1_000 * m for m in range(1, 7)])
    # 4,000 + 120 m <= 1,000 m from m = 4.55; <= 500 m from m = 10.5
    assert est.verdict.break_even_month == 5 == stays_below(ft, p)
    assert est.verdict.half_cost_month == 11 == stays_below(ft, p, 0.5)


def test_break_even_month_is_where_it_stays_below(quiet, sheet):
    # a full cycle (4,000) again every 6 months: below in month 5, above again in 7-9 and 13
    est = estimate(break_even_case(quiet, 18, base_model_deprecation_months=6), sheet)
    ft, p = est.strategies["fine_tuning"].cumulative_usd, est.strategies["prompting"].cumulative_usd
    assert ft[4] < p[4] and ft[12] > p[12]
    assert est.verdict.break_even_month == 14 == stays_below(ft, p)
    assert est.verdict.half_cost_month is None
    assert stays_below(ft, p, 0.5) is None


def test_break_even_never(quiet, sheet):
    est = estimate(break_even_case(quiet, 24, prices={"input": 3.0}), sheet)
    assert est.verdict.break_even_month is None
    assert est.verdict.half_cost_month is None


# --- break-even volume and the TCO ratio ---


def ratio_at(quiet, sheet, volume: float, **over) -> float:
    s = quiet(**over)
    s = s.model_copy(update={"workload": s.workload.model_copy(update={"requests_per_month": volume})})
    _, verdicts = run(build_inputs([s], [sheet]))
    return float(verdicts.ratio[0])


def test_break_even_volume(quiet, sheet):
    # 12 months: 12 x 0.0025 V against 40,000 + 12 x 0.0003 V; 2x at V = 80,000 / 0.0228
    over = {"horizon_months": 12, "rag": {"enabled": False}, "fine_tuning": {"weeks_per_cycle": 10}}
    est = estimate(quiet(**over), sheet)
    volume = est.verdict.break_even_requests_per_month
    assert volume == pytest.approx(80_000 / 0.0228, rel=1e-3)
    assert ratio_at(quiet, sheet, volume * 1.001, **over) >= 2
    assert ratio_at(quiet, sheet, volume * 0.999, **over) < 2
    assert f"Fine-tuning wins by 2x above {volume:,.0f} requests a month" in gates(est)[5].reason


def test_break_even_volume_never(quiet, sheet):
    # the tuned model at 3.0 / 1M, above prompting's 2.5: never 2x at any volume
    over = {"rag": {"enabled": False}, "fine_tuning": {"prices": {"input": 3.0}}}
    est = estimate(quiet(**over), sheet)
    assert est.verdict.break_even_requests_per_month is None
    assert ratio_at(quiet, sheet, 1e12, **over) == pytest.approx(2.5 / 3.0)
    assert "short of 2x at any volume up to 1e12" in gates(est)[5].reason


def test_break_even_volume_zero_when_always(quiet, sheet):
    # no fixed cost anywhere: 2.5 / 0.3 at any volume
    est = estimate(quiet(rag={"enabled": False}), sheet)
    assert est.verdict.break_even_requests_per_month == 0
    assert ratio_at(quiet, sheet, 1.0, rag={"enabled": False}) == pytest.approx(2.5 / 0.3)


def test_tco_ratio_is_simpler_over_fine_tuning(scenario, sheet):
    for s in (scenario(), scenario(rag={"enabled": False}), scenario(prompting={"system_prompt_tokens": 20_000})):
        costs, verdicts = run(build_inputs([s], [sheet]))
        est = estimate(s, sheet)
        simpler = est.verdict.simpler
        assert verdicts.ratio[0] == costs.totals(simpler)[0] / costs.totals("fine_tuning")[0]
        total = est.strategies[simpler].total_usd / est.strategies["fine_tuning"].total_usd
        assert est.verdict.tco_ratio == pytest.approx(total, abs=1e-4)
    assert est.verdict.simpler == "rag"  # the long system prompt makes prompting the dearer route


def test_tco_ratio_empty_when_fine_tuning_costs_nothing(quiet, sheet):
    est = estimate(quiet(task=GOOD_TASK, fine_tuning={"prices": {"input": 0.0}}), sheet)
    assert est.strategies["fine_tuning"].total_usd == 0
    assert est.verdict.tco_ratio is None
    assert gates(est)[5].passed
    assert "Fine-tuning costs nothing" in gates(est)[5].reason
    _, verdicts = run(build_inputs([quiet(fine_tuning={"prices": {"input": 0.0}})], [sheet]))
    assert math.isinf(verdicts.ratio[0])


def test_the_headline_when_the_simpler_route_costs_nothing(quiet, sheet):
    """No traffic and no people: prompting costs 0 and the tune's one run costs 100, a ratio of 0 (no "x
    more" to compute): the headline says prompting costs nothing."""
    est = estimate(
        quiet(workload={"requests_per_month": 0}, fine_tuning={"cost_per_run_usd": 100, "runs_per_cycle": 1}), sheet
    )
    assert est.verdict.tco_ratio == 0.0
    assert est.verdict.summary.startswith(
        "Keep prompting. Fine-tuning would cost 100 USD over 36 months against 0 USD for prompting, which costs nothing"
    )
