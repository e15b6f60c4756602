"""Every category of every strategy, against arithmetic written out by hand.

Each expectation is the rule of shared/design/cost-model.md spelled as an
expression over the hand-written price sheet of conftest.py (gpt-4o at 2.5 /
1.25 / 10 USD per 1M, the tuned model at 0.3 / 0.15 / 1.2, training 3.0,
embeddings 0.02, vector DB 50 a month, reranking 2.0 per 1k, GPU 2.99 an
hour serving 10,000 and training 5,000 tokens a second).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.engine import CATEGORIES, STRATEGIES, MissingPrice, build_inputs, estimate, run

WEEK = 4_000.0  # team.engineer_week_usd default
HOUR = WEEK / 40  # maintenance hours are priced at a week / 40
MONTH_WEEKS = 52 / 12
MONTH_DAYS = 365 / 12
EVAL = 300 * 10.0 + 2 * WEEK  # golden_examples x label_cost + eval_build_weeks x week (defaults)
GOLDEN = 300  # team.golden_examples: each later evaluation scores them at the model's price per request
V = 100_000.0


def pre_launch(weeks: float, month: int) -> float:
    """cost-model.md: clamp((weeks_to_launch - (m-1)*52/12) / (52/12), 0, 1)."""
    return min(1.0, max(0.0, (weeks - (month - 1) * MONTH_WEEKS) / MONTH_WEEKS))


def expect(got: dict[str, np.ndarray], want: dict[str, list[float] | float]) -> None:
    """Every category: the given ones equal `want` (a list per month, or one number for every month), the rest 0."""
    months = len(got["inference"])
    for name in CATEGORIES:
        value = want.get(name, 0.0)
        expected = np.full(months, value) if isinstance(value, float | int) else np.asarray(value, dtype=float)
        np.testing.assert_allclose(got[name], expected, rtol=1e-12, atol=1e-9, err_msg=name)


def at(months: int, values: dict[int, float]) -> list[float]:
    """A monthly list: `values` in the given months (1-based), 0 elsewhere."""
    return [values.get(m, 0.0) for m in range(1, months + 1)]


# --- prompting ---

PROMPT_REQUEST = ((1_000 + 1_000 + 5 * 200) * 2.5 + 200 * 10.0) / 1e6
"""Defaults: input 1,000 + system prompt 1,000 + 5 examples x 200 at 2.5, 200 output tokens at 10."""


def test_prompting_every_category(scenario, monthly):
    got = monthly(scenario(workload={"requests_per_month": V}), "prompting")
    expect(
        got,
        {
            # one-time prompt_weeks x week in month 1; revalidation_weeks x week every 12 months (13, 25)
            "engineering": at(36, {1: 4 * WEEK, 13: 1 * WEEK, 25: 1 * WEEK}),
            # the harness, once, in month 1 (eval_harness "missing"); each re-validation (13, 25) scores
            # the 300 golden examples at 0.0095 a request: 2.85
            "evaluation": at(36, {1: EVAL, 13: GOLDEN * PROMPT_REQUEST, 25: GOLDEN * PROMPT_REQUEST}),
            "inference": V * PROMPT_REQUEST,  # V_m x cost of one request
            "maintenance": 8 * WEEK / 40,  # maintenance_hours x week / 40
        },
    )
    assert pytest.approx(0.0095) == PROMPT_REQUEST


def test_prompting_revalidation_every_model_upgrade(quiet, monthly):
    s = quiet(horizon_months=16, prompting={"model_upgrade_months": 5, "revalidation_weeks": 1.5, "prompt_weeks": 2})
    # month 1: prompt_weeks; months 1 + k*5 (6, 11, 16): revalidation_weeks
    assert list(monthly(s, "prompting")["engineering"]) == pytest.approx(
        at(16, {1: 2 * WEEK, 6: 1.5 * WEEK, 11: 1.5 * WEEK, 16: 1.5 * WEEK})
    )


# --- rag ---

RAG_REQUEST = ((1_000 + 5 * 400 + 300) * 2.5 + 200 * 10.0) / 1e6
"""Defaults: input 1,000 + 5 chunks x 400 + system prompt 300 at 2.5, 200 output tokens at 10."""


def test_rag_every_category(scenario, monthly):
    s = scenario(workload={"requests_per_month": V}, rag={"reranker": "cohere:rerank-3.5"})
    got = monthly(s, "rag")
    pre = pre_launch(3, 1)  # weeks_to_launch 3: 3 / (52/12) of month 1 still on prompting
    assert pre == pytest.approx(3 / MONTH_WEEKS)
    corpus = 5_000_000 * 0.02 / 1e6  # corpus_tokens x embedding price
    per_query = 1_000 * 0.02 / 1e6 + 2.0 / 1000  # query embedding of the input + reranking per request
    expect(
        got,
        {
            "engineering": at(36, {1: 3 * WEEK, 13: 1 * WEEK, 25: 1 * WEEK}),  # build_weeks; revalidation
            # the harness; the golden set scored on RAG's route at each re-validation
            "evaluation": at(36, {1: EVAL, 13: GOLDEN * RAG_REQUEST, 25: GOLDEN * RAG_REQUEST}),
            # before launch: prompting's per-request price; after: RAG's
            "inference": [V * (pre * PROMPT_REQUEST + (1 - pre) * RAG_REQUEST)] + [V * RAG_REQUEST] * 35,
            # corpus in month 1, 10% churn re-embedded after; vector DB fee; per query on RAG-served traffic
            "retrieval": [corpus + 50 + V * (1 - pre) * per_query] + [corpus * 0.1 + 50 + V * per_query] * 35,
            "maintenance": 16 * WEEK / 40,
        },
    )


def test_rag_launch_delay_spans_months(quiet, monthly):
    # weeks_to_launch 10: months 1 and 2 wholly on prompting, (10 - 2*52/12)/(52/12) of month 3, none after
    s = quiet(
        horizon_months=5,
        rag={"weeks_to_launch": 10, "retrieved_chunks": 2, "chunk_tokens": 500, "reranker": "cohere:rerank-3.5"},
    )
    got = monthly(s, "rag")
    shares = [pre_launch(10, m) for m in range(1, 6)]
    assert shares == pytest.approx([1, 1, (10 - 2 * 52 / 12) / (52 / 12), 0, 0])
    prompt, rag = 1_000 * 2.5 / 1e6, (1_000 + 2 * 500) * 2.5 / 1e6
    assert list(got["inference"]) == pytest.approx([100_000 * (p * prompt + (1 - p) * rag) for p in shares])
    # query embeddings and reranking only on the traffic RAG serves
    per_query = 1_000 * 0.02 / 1e6 + 2.0 / 1000
    assert list(got["retrieval"]) == pytest.approx([100_000 * (1 - p) * per_query for p in shares])


def test_rag_corpus_churn_and_vector_db(quiet, monthly):
    s = quiet(
        horizon_months=4,
        workload={"requests_per_month": 0},
        rag={"corpus_tokens": 2e9, "corpus_churn_share": 0.25, "vector_db_monthly_usd": None},
    )
    corpus = 2e9 * 0.02 / 1e6  # 40 USD to embed the corpus once
    # month 1: the corpus + the plan fee (sheet: 50); later: 25% churn re-embedded + the fee
    assert list(monthly(s, "rag")["retrieval"]) == pytest.approx([corpus + 50, corpus * 0.25 + 50, 60.0, 60.0])
    # an overridden fee and embedding price replace the sheet's
    s2 = quiet(
        horizon_months=2,
        workload={"requests_per_month": 0},
        rag={"corpus_tokens": 2e9, "vector_db_monthly_usd": 70, "embedding_prices": {"input": 0.13}},
    )
    assert list(monthly(s2, "rag")["retrieval"]) == pytest.approx([2e9 * 0.13 / 1e6 + 70, 70.0])


def test_rag_no_reranker_means_no_reranking(quiet, monthly):
    # rag.reranker empty = no reranking (scenario docstring), even with a price per 1k entered
    s = quiet(horizon_months=2, rag={"reranker": None, "rerank_usd_per_1k_requests": 5.0})
    assert list(monthly(s, "rag")["retrieval"]) == pytest.approx([100_000 * 1_000 * 0.02 / 1e6] * 2)
    # with a reranker, the entered price replaces the sheet's 2.0
    s = quiet(horizon_months=2, rag={"reranker": "cohere:rerank-3.5", "rerank_usd_per_1k_requests": 5.0})
    assert list(monthly(s, "rag")["retrieval"]) == pytest.approx([100_000 * (1_000 * 0.02 / 1e6 + 5.0 / 1000)] * 2)


def test_missing_rag_prices_are_reported_not_zero(scenario, sheet_without):
    # a missing price is reported as missing, never silently 0 (MissingPrice's docstring)
    no_rag = sheet_without(rag=True, reranker=True)
    with pytest.raises(MissingPrice, match=r"rag\.prices\.input"):
        build_inputs([scenario()], [no_rag])
    with pytest.raises(MissingPrice, match=r"rag\.rerank_usd_per_1k_requests"):
        build_inputs([scenario(rag={"reranker": "cohere:rerank-3.5"})], [sheet_without(reranker=True)])
    # every RAG price given in the scenario: no sheet entry needed
    given = scenario(
        rag={
            "prices": {"input": 2.0, "cached_input": 1.0, "output": 8.0},
            "embedding_prices": {"input": 0.1},
            "vector_db_monthly_usd": 10,
        }
    )
    assert estimate(given, no_rag).strategies["rag"].request_usd == pytest.approx(
        ((1_000 + 5 * 400 + 300) * 2.0 + 200 * 8.0) / 1e6
    )
    # rag disabled: its prices are not needed, and it is absent
    assert "rag" not in estimate(scenario(rag={"enabled": False}), no_rag).strategies


# --- fine-tuning ---

FT_TOKENS = 50 + 1_000 + 200  # ft system prompt + input + output, per training example
HOSTED_RUN = 2_000 * FT_TOKENS * 3 * 3.0 / 1e6  # examples x tokens x epochs x training price / 1e6
FT_REQUEST = ((1_000 + 50) * 0.3 + 200 * 1.2) / 1e6  # tuned model: input + short system prompt, output
FULL = {1, 13, 25}  # the first cycle, then a full cycle at each base-model deprecation (12 months)
RETRAIN = {4, 7, 10, 16, 19, 22, 28, 31, 34}  # every 3 months, except where a full cycle falls


def schedule(full: float, retrain: float, first: float | None = None, months: int = 36) -> list[float]:
    out = []
    for m in range(1, months + 1):
        if m == 1:
            out.append(full if first is None else first)
        elif m in FULL:
            out.append(full)
        elif m in RETRAIN:
            out.append(retrain)
        else:
            out.append(0.0)
    return out


def test_fine_tuning_hosted_every_category(scenario, monthly):
    got = monthly(scenario(workload={"requests_per_month": V}), "fine_tuning")
    assert pytest.approx(22.5) == HOSTED_RUN
    pre = [pre_launch(8, m) for m in range(1, 37)]  # weeks_to_launch 8: month 1 whole, month 2 in part
    assert pre[:3] == pytest.approx([1.0, (8 - 52 / 12) / (52 / 12), 0.0])
    expect(
        got,
        {
            # full cycle: weeks_per_cycle + curation_weeks; retraining: retrain_weeks + curation x new_label_share
            "engineering": schedule((6 + 6) * WEEK, (2 + 6 * 0.2) * WEEK),
            # month 1: max(0, 2,000 - 0) labels bought; later cycles: new_label_share x training_examples
            "labeling": schedule(0.2 * 2_000 * 10, 0.2 * 2_000 * 10, first=max(0, 2_000 - 0) * 10.0),
            # the harness in month 1; every later cycle (full or retraining) scores the golden set on the
            # tuned model: 300 x 0.000555 = 0.1665
            "evaluation": schedule(GOLDEN * FT_REQUEST, GOLDEN * FT_REQUEST, first=EVAL),
            "training": schedule(10 * HOSTED_RUN, 3 * HOSTED_RUN),  # runs_per_cycle / retrain_runs x cost per run
            "inference": [V * (p * PROMPT_REQUEST + (1 - p) * FT_REQUEST) for p in pre],
            "maintenance": 200 + 16 * WEEK / 40,  # monitoring + maintenance_hours x week / 40
        },
    )


def test_fine_tuning_serverless_every_category(scenario, monthly):
    s = scenario(
        workload={"requests_per_month": V},
        task={"labeled_examples": 500},
        fine_tuning={
            "deployment": "serverless",
            "model": "together:llama-3.1-8b-lora",
            "prices": {"input": 0.2, "cached_input": 0.2, "output": 0.2},
            "cost_per_run_usd": 150,
            "weeks_to_launch": 0,
        },
    )
    got = monthly(s, "fine_tuning")
    request = ((1_000 + 50) * 0.2 + 200 * 0.2) / 1e6  # per token at the overridden host price
    expect(
        got,
        {
            "engineering": schedule((6 + 6) * WEEK, (2 + 6 * 0.2) * WEEK),
            # 500 labeled already: only max(0, 2,000 - 500) bought in month 1
            "labeling": schedule(0.2 * 2_000 * 10, 0.2 * 2_000 * 10, first=(2_000 - 500) * 10.0),
            "evaluation": schedule(GOLDEN * request, GOLDEN * request, first=EVAL),
            "training": schedule(10 * 150.0, 3 * 150.0),  # cost_per_run_usd entered directly
            "inference": V * request,  # launched at once: no prompting fallback
            "maintenance": 200 + 16 * WEEK / 40,
        },
    )


def test_fine_tuning_dedicated_every_category(scenario, monthly):
    volume = 1e8
    s = scenario(
        workload={"requests_per_month": volume},
        task={"labeled_examples": 5_000},
        fine_tuning={"deployment": "dedicated", "gpus_per_replica": 2},
    )
    got = monthly(s, "fine_tuning")
    # GPU-hours from training tokens at 5,000 tok/s, at 2.99 an hour
    gpu_run = 2_000 * FT_TOKENS * 3 / 5_000 / 3_600 * 2.99
    # peak = average tokens/s x peak_to_average 3; replicas = max(1, ceil(peak / 10,000))
    peak = volume * FT_TOKENS * 3 / (730 * 3_600)
    replicas = max(1, math.ceil(peak / 10_000))
    assert replicas == 15
    pre = [pre_launch(8, m) for m in range(1, 37)]
    expect(
        got,
        {
            "engineering": schedule((6 + 6) * WEEK, (2 + 6 * 0.2) * WEEK),
            "labeling": schedule(0.2 * 2_000 * 10, 0.2 * 2_000 * 10, first=0.0),  # 5,000 labeled >= 2,000
            "evaluation": at(36, {1: EVAL}),  # the golden set runs on the rented GPUs: no token price
            "training": schedule(10 * gpu_run, 3 * gpu_run),
            # only the prompting fallback before launch: the GPUs are paid by the hour
            "inference": [volume * p * PROMPT_REQUEST for p in pre],
            # replicas x gpus_per_replica x gpu_hour x 730, for the share of the month after launch
            "hosting": [replicas * 2 * 2.99 * 730 * (1 - p) for p in pre],
            "maintenance": 200 + 16 * WEEK / 40,
        },
    )


def test_dedicated_min_replicas_and_overrides(quiet, monthly, sheet):
    s = quiet(
        horizon_months=2,
        fine_tuning={
            "deployment": "dedicated",
            "min_replicas": 3,
            "gpu_hour_usd": 1.5,
            "training_tokens_per_second": 1_000,
            "tokens_per_second_per_replica": 100_000,
            "training_examples": 3_000,
            "runs_per_cycle": 2,
        },
    )
    got = monthly(s, "fine_tuning")
    # 100,000 x 1,000 tokens x 3 / 2,628,000 s = 114 tok/s at peak: one replica would do, min_replicas is 3
    assert list(got["hosting"]) == pytest.approx([3 * 1 * 1.5 * 730] * 2)
    # 2 runs x 3,000 examples x 1,000 tokens x 3 epochs / 1,000 tok/s / 3,600 x 1.5 an hour
    assert list(got["training"]) == pytest.approx([2 * 3_000 * 1_000 * 3 / 1_000 / 3_600 * 1.5, 0.0])
    assert list(got["inference"]) == [0.0, 0.0]
    # compute only = training + inference + hosting: here the two runs and two months of GPUs
    est = estimate(s, sheet)
    assert est.strategies["fine_tuning"].compute_only_usd == pytest.approx(
        2 * 3_000 * 1_000 * 3 / 1_000 / 3_600 * 1.5 + 2 * 3 * 1.5 * 730, abs=0.01
    )


def test_dedicated_replicas_step_with_peak(quiet, monthly):
    # 10,000 tok/s per replica; peak = V x 1,000 tokens x peak_to_average 2 / (730 x 3,600 s)
    def hosting(volume: float) -> float:
        s = quiet(
            horizon_months=1,
            workload={"requests_per_month": volume, "peak_to_average": 2},
            fine_tuning={"deployment": "dedicated", "min_replicas": 1},
        )
        return float(monthly(s, "fine_tuning")["hosting"][0])

    exactly_two = 2 * 10_000 * 730 * 3_600 / (1_000 * 2)  # the volume whose peak is two replicas' worth
    assert hosting(exactly_two) == pytest.approx(2 * 2.99 * 730)
    assert hosting(exactly_two * 1.001) == pytest.approx(3 * 2.99 * 730)
    assert hosting(0) == pytest.approx(1 * 2.99 * 730)


def test_dedicated_hosting_from_launch(quiet, monthly):
    s = quiet(horizon_months=3, fine_tuning={"deployment": "dedicated", "min_replicas": 1, "weeks_to_launch": 6})
    pre = [pre_launch(6, m) for m in (1, 2, 3)]
    assert pre == pytest.approx([1.0, (6 - 52 / 12) / (52 / 12), 0.0])
    got = monthly(s, "fine_tuning")
    assert list(got["hosting"]) == pytest.approx([2.99 * 730 * (1 - p) for p in pre])
    assert list(got["inference"]) == pytest.approx([100_000 * 1_000 * 2.5 / 1e6 * p for p in pre])


def test_cost_per_run_by_deployment(quiet, monthly):
    base = {"training_examples": 1_000, "runs_per_cycle": 1, "system_prompt_tokens": 100, "epochs": 2}
    tokens = 1_000 * (100 + 1_000 + 300) * 2  # examples x (ft system prompt + input + output) x epochs

    def run_cost(**ft: object) -> float:
        s = quiet(horizon_months=1, workload={"output_tokens": 300}, fine_tuning={**base, **ft})
        return float(monthly(s, "fine_tuning")["training"][0])

    assert run_cost(deployment="hosted") == pytest.approx(tokens * 3.0 / 1e6)
    assert run_cost(deployment="serverless", prices={"training": 0.5}) == pytest.approx(tokens * 0.5 / 1e6)
    assert run_cost(deployment="dedicated") == pytest.approx(tokens / 5_000 / 3_600 * 2.99)
    for deployment in ("hosted", "serverless", "dedicated"):
        assert run_cost(deployment=deployment, cost_per_run_usd=777) == 777.0


def test_retraining_and_deprecation_schedule(quiet, monthly):
    s = quiet(
        horizon_months=12,
        task={"labeled_examples": 100},
        fine_tuning={
            "training_examples": 1_000,
            "runs_per_cycle": 4,
            "cost_per_run_usd": 100,
            "weeks_per_cycle": 5,
            "curation_weeks": 2,
            "retrain_every_months": 2,
            "retrain_runs": 1,
            "retrain_weeks": 1,
            "new_label_share": 0.5,
            "base_model_deprecation_months": 5,
        },
    )
    got = monthly(s, "fine_tuning")
    # full cycles in 1, 6, 11 (deprecation every 5); retraining in 3, 5, 7, 9 (11 is a full cycle)
    full, retrain = {1, 6, 11}, {3, 5, 7, 9}
    assert list(got["engineering"]) == pytest.approx(
        [(5 + 2) * WEEK if m in full else (1 + 2 * 0.5) * WEEK if m in retrain else 0.0 for m in range(1, 13)]
    )
    assert list(got["training"]) == pytest.approx(
        [4 * 100.0 if m in full else 1 * 100.0 if m in retrain else 0.0 for m in range(1, 13)]
    )
    # month 1 buys what is missing; the later full cycles and the retrainings buy fresh labels only
    fresh = 0.5 * 1_000 * 10
    assert list(got["labeling"]) == pytest.approx(
        [(1_000 - 100) * 10.0 if m == 1 else fresh if m in full | retrain else 0.0 for m in range(1, 13)]
    )


def test_never_retrain_nor_redo(quiet, monthly):
    s = quiet(
        horizon_months=30,
        fine_tuning={"training_examples": 10, "runs_per_cycle": 1, "cost_per_run_usd": 9, "weeks_per_cycle": 1},
    )
    got = monthly(s, "fine_tuning")
    assert list(got["training"]) == [9.0] + [0.0] * 29
    assert list(got["engineering"]) == [WEEK] + [0.0] * 29
    assert list(got["labeling"]) == [100.0] + [0.0] * 29


def test_fine_tuning_monitoring_and_maintenance(quiet, monthly):
    s = quiet(
        horizon_months=3,
        team={"engineer_week_usd": 5_000},
        fine_tuning={"monitoring_usd_per_month": 321, "maintenance_hours": 12},
    )
    assert list(monthly(s, "fine_tuning")["maintenance"]) == pytest.approx([321 + 12 * 5_000 / 40] * 3)


# --- shared rules ---


@pytest.mark.parametrize(("harness", "counted"), [("missing", True), ("budgeted", True), ("exists", False)], ids=str)
def test_evaluation_harness_in_every_strategy(quiet, monthly, harness, counted):
    s = quiet(  # a task of both kinds: the hybrid is costed too
        horizon_months=3,
        task={"eval_harness": harness, "kind": "both"},
        team={"golden_examples": 400, "label_cost_usd": 15},
    )
    cost = 400 * 15 + 2 * WEEK  # golden_examples x label_cost + eval_build_weeks x week, once
    for strategy in STRATEGIES:
        assert list(monthly(s, strategy)["evaluation"]) == pytest.approx([cost if counted else 0.0, 0.0, 0.0])


def test_caching_only_the_static_prefix(quiet, sheet):
    s = quiet(
        workload={"output_tokens": 100},
        prompting={
            "system_prompt_tokens": 800,
            "few_shot_examples": 4,
            "tokens_per_example": 50,
            "cache_hit_rate": 0.6,
        },
        rag={
            "system_prompt_tokens": 300,
            "retrieved_chunks": 3,
            "chunk_tokens": 400,
            "cache_hit_rate": 0.5,
            "prices": {"cached_input": 0.5},
        },
        fine_tuning={"system_prompt_tokens": 50, "cache_hit_rate": 1.0},
    )
    costs, _ = run(build_inputs([s], [sheet]))
    prefix = 800 + 4 * 50
    # prompting: user input always uncached; the prefix's cached share at cached_input
    prompting = ((1_000 + prefix * (1 - 0.6)) * 2.5 + prefix * 0.6 * 1.25 + 100 * 10) / 1e6
    # rag: retrieved chunks are never cached; an overridden cached price (0.5) replaces the sheet's
    rag = ((1_000 + 3 * 400 + 300 * (1 - 0.5)) * 2.5 + 300 * 0.5 * 0.5 + 100 * 10) / 1e6
    fine_tuning = (1_000 * 0.3 + 50 * 0.15 + 100 * 1.2) / 1e6
    assert costs.per_request["prompting"][0] == pytest.approx(prompting, rel=1e-12)
    assert costs.per_request["rag"][0] == pytest.approx(rag, rel=1e-12)
    assert costs.per_request["fine_tuning"][0] == pytest.approx(fine_tuning, rel=1e-12)


def test_batch_share_and_discount(quiet, sheet):
    s = quiet(
        workload={"output_tokens": 100},
        prompting={"batch_share": 0.4},
        rag={"batch_share": 1.0, "prices": {"batch_discount": 0.3}},
        fine_tuning={"batch_share": 0.5},
    )
    costs, _ = run(build_inputs([s], [sheet]))
    assert costs.per_request["prompting"][0] == pytest.approx((1_000 * 2.5 + 100 * 10) / 1e6 * (1 - 0.4 * 0.5))
    assert costs.per_request["rag"][0] == pytest.approx((1_000 * 2.5 + 100 * 10) / 1e6 * (1 - 1.0 * 0.3))
    assert costs.per_request["fine_tuning"][0] == pytest.approx((1_000 * 0.3 + 100 * 1.2) / 1e6 * (1 - 0.5 * 0.5))
    est = estimate(s, sheet)
    assert est.strategies["prompting"].monthly[0].categories.inference == pytest.approx(
        round(100_000 * (1_000 * 2.5 + 100 * 10) / 1e6 * 0.8, 2)
    )


def test_dedicated_request_price_is_zero(quiet, sheet):
    s = quiet(fine_tuning={"deployment": "dedicated", "prices": {"input": 9.0}})
    est = estimate(s, sheet)
    assert est.strategies["fine_tuning"].request_usd == 0.0
    assert est.strategies["prompting"].request_usd == pytest.approx(1_000 * 2.5 / 1e6)


@pytest.mark.parametrize("growth", [0.05, -0.1])
def test_volume_growth(quiet, sheet, growth):
    s = quiet(horizon_months=24, workload={"requests_per_month": 1_000, "monthly_growth": growth})
    est = estimate(s, sheet)
    volumes = [1_000 * (1 + growth) ** (m - 1) for m in range(1, 25)]  # V_m = V_1 (1 + g)^(m-1)
    assert est.monthly_requests == pytest.approx([round(v, 2) for v in volumes], abs=0.006)
    inference = [m.categories.inference for m in est.strategies["prompting"].monthly]
    # tied out (docs/cost-model.md, Tie-out): each cell within a cent of its exact value
    assert inference == pytest.approx([v * 1_000 * 2.5 / 1e6 for v in volumes], abs=0.01)


def test_requests_per_day_are_365_12_a_month(quiet, sheet):
    s = quiet(horizon_months=1, workload={"requests_per_month": None, "requests_per_day": 1_000})
    est = estimate(s, sheet)
    assert est.monthly_requests == [round(1_000 * 365 / 12, 2)]
    assert est.strategies["prompting"].total_usd == round(1_000 * 365 / 12 * 1_000 * 2.5 / 1e6, 2)


def test_default_volume_is_100k_a_month(quiet, sheet):
    s = quiet(horizon_months=1, workload={"requests_per_month": None})
    assert estimate(s, sheet).monthly_requests == [100_000.0]


def test_compute_only_and_cost_per_1k(scenario, sheet):
    est = estimate(scenario(workload={"requests_per_month": V}), sheet)
    for strategy, doc in est.strategies.items():
        months = doc.monthly
        assert doc.total_usd == pytest.approx(sum(m.total_usd for m in months), abs=0.01 * len(months))
        assert doc.cumulative_usd[-1] == pytest.approx(doc.total_usd, abs=0.01)
        # cost per 1k requests = TCO / requests served x 1,000
        assert doc.cost_per_1k_requests_usd == pytest.approx(doc.total_usd / (36 * V) * 1_000, abs=0.006)
        assert (doc.compute_only_usd is not None) == (strategy == "fine_tuning")
    ft = est.strategies["fine_tuning"]
    # compute only = training + inference + hosting (002's naive estimate)
    naive = sum(m.categories.training + m.categories.inference + m.categories.hosting for m in ft.monthly)
    assert ft.compute_only_usd == pytest.approx(naive, abs=0.01 * 36)
    assert ft.compute_only_usd == pytest.approx(
        (3 * 10 + 9 * 3) * HOSTED_RUN
        + V * PROMPT_REQUEST * (1 + pre_launch(8, 2))
        + V * FT_REQUEST * ((1 - pre_launch(8, 2)) + 34),
        abs=0.01,
    )
    assert ft.total_usd > 3 * ft.compute_only_usd


def test_cost_per_1k_empty_without_requests(quiet, sheet):
    est = estimate(quiet(workload={"requests_per_month": 0}, prompting={"prompt_weeks": 1}), sheet)
    assert est.strategies["prompting"].cost_per_1k_requests_usd is None
    assert est.strategies["prompting"].total_usd == WEEK


def test_rag_disabled_is_absent(scenario, sheet):
    est = estimate(scenario(rag={"enabled": False}), sheet)
    assert set(est.strategies) == {"prompting", "fine_tuning"}
    assert est.verdict.simpler == "prompting"
    assert "rag" not in est.prices_used
    assert set(estimate(scenario(), sheet).strategies) == {"prompting", "rag", "fine_tuning"}
    assert set(estimate(scenario(task={"kind": "both"}), sheet).strategies) == set(STRATEGIES)


def test_horizon_differences(scenario, sheet):
    both = {"kind": "both"}  # every strategy, the hybrid too
    short = estimate(scenario(horizon_months=12, workload={"requests_per_month": V}, task=both), sheet)
    long = estimate(scenario(horizon_months=36, workload={"requests_per_month": V}, task=both), sheet)
    assert short.horizon_months == 12 and len(short.monthly_requests) == 12
    for strategy in STRATEGIES:
        a, b = short.strategies[strategy], long.strategies[strategy]
        assert len(a.monthly) == len(a.cumulative_usd) == 12
        assert len(b.monthly) == len(b.cumulative_usd) == 36
        # the first 12 months are the same; the longer horizon adds months 13-36
        assert [m.model_dump() for m in a.monthly] == [m.model_dump() for m in b.monthly[:12]]
        assert a.cumulative_usd == b.cumulative_usd[:12]
        assert b.total_usd == pytest.approx(a.total_usd + sum(m.total_usd for m in b.monthly[12:]), abs=0.3)
    # prompting over 36 months: the one-time costs once, revalidations in 13 and 25 (a week each, and the
    # golden set scored), 36 months of running
    assert long.strategies["prompting"].total_usd == pytest.approx(
        4 * WEEK + EVAL + 2 * (WEEK + GOLDEN * PROMPT_REQUEST) + 36 * (V * PROMPT_REQUEST + 8 * WEEK / 40), abs=0.01
    )
    assert short.strategies["prompting"].total_usd == pytest.approx(
        4 * WEEK + EVAL + 12 * (V * PROMPT_REQUEST + 8 * WEEK / 40), abs=0.01
    )
