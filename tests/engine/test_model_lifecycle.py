"""Model lifecycles inside the horizon, against arithmetic written out by hand (docs/cost-model.md, 13).

Every scenario starts in 2027-01, so month m is the calendar month 2027-0m. Each model that retires
carries a hand-written lifecycle; prices are round numbers so that each expectation reads as a sum.
Quiet scenarios (conftest.py) switch off every overhead the test does not check.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from pricekit import life, llm

from app.engine import PriceSheet, build_inputs, estimate, estimate_many, run
from app.engine.prices import EmbeddingPrices, Lifecycle, TokenPrices
from app.engine.scenario import month_of, period

WEEK = 4_000.0
V = 100_000.0  # requests a month, 1,000 input tokens each, no output (quiet)
START = "2027-01"


OLD_IN, NEW_IN = 2.5, 1.0  # USD per 1M input tokens before and after the move
OLD_REQUEST, NEW_REQUEST = 1_000 * OLD_IN / 1e6, 1_000 * NEW_IN / 1e6  # 0.0025 and 0.001 USD a request


def retiring(shutdown: str) -> TokenPrices:
    """openai:old shuts down on `shutdown`; openai:new (no end announced) takes over."""
    return llm("openai:old", OLD_IN, life(shutdown, successor="openai:new"), llm("openai:new", NEW_IN))


def with_sheet(sheet: PriceSheet, **items: Any) -> PriceSheet:
    return sheet.model_copy(update=items)


def monthly_of(scenario: Any, sheet: PriceSheet, strategy: str) -> dict[str, np.ndarray]:
    costs, _ = run(build_inputs([scenario], [sheet]))
    table = costs.categories(strategy, 0, scenario.horizon_months)
    names = ("engineering", "labeling", "evaluation", "training", "inference", "hosting", "retrieval", "maintenance")
    return {name: table[:, k] for k, name in enumerate(names)}


def at(months: int, values: dict[int, float]) -> list[float]:
    return [values.get(m, 0.0) for m in range(1, months + 1)]


def test_calendar_months() -> None:
    assert [period("2026-11", m) for m in (1, 2, 3, 14)] == ["2026-11", "2026-12", "2027-01", "2027-12"]
    assert month_of("2026-12", dt.date(2027, 1, 14)) == 2  # gpt-4o's shutdown, for a start in 2026-12
    assert month_of("2027-01", dt.date(2026, 12, 31)) == 0  # before the start


# --- prompting and RAG's generator: successor prices from the month of the shutdown, plus a re-validation ---


@pytest.mark.parametrize(
    ("shutdown", "month"),
    [("2027-01-20", 1), ("2027-03-10", 3), ("2027-06-01", 6)],
    ids=["month 1", "mid-horizon", "last month"],
)
def test_prompting_moves_to_the_successor(quiet, sheet, shutdown, month):
    s = quiet(start_month=START, horizon_months=6, prompting={"revalidation_weeks": 1, "model_upgrade_months": 2})
    got = monthly_of(s, with_sheet(sheet, prompting=retiring(shutdown)), "prompting")
    # inference: 100,000 requests x 0.0025 USD (250.00) before the move, x 0.001 (100.00) from its month on
    assert list(got["inference"]) == pytest.approx(
        [V * (OLD_REQUEST if m < month else NEW_REQUEST) for m in range(1, 7)]
    )
    # engineering: 1 week (4,000) at the move, except in month 1 (the successor serves from the start);
    # the old model's announced end replaces the 2-month upgrade cadence, which resumes on the successor:
    # month + 2, month + 4, ...
    expected = {m: WEEK for m in range(month + 2, 7, 2)}
    if month > 1:
        expected[month] = WEEK
    assert list(got["engineering"]) == pytest.approx(at(6, expected))


def test_prompting_events_and_document(quiet, sheet):
    s = quiet(start_month=START, horizon_months=6, prompting={"revalidation_weeks": 1.5})
    doc = estimate(s, with_sheet(sheet, prompting=retiring("2027-03-10")))
    [event] = [e for e in doc.lifecycle_events if e.strategy == "prompting"]
    assert (event.month, event.period, event.model, event.successor, event.event) == (
        3,
        "2027-03",
        "openai:old",
        "openai:new",
        "migration",
    )
    assert event.cost_usd == 1.5 * WEEK == 6_000.00
    assert event.note == (
        "old shuts down on 2027-03-10 (month 3, 2027-03): costed as a move to new, 1.5 weeks of re-validation "
        "(6,000.00 USD)."
    )
    months = doc.strategies["prompting"].monthly
    assert [m.period for m in months] == ["2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"]
    # total: 2 x 250 + 4 x 100 inference + 6,000 re-validation = 6,900.00
    assert doc.strategies["prompting"].total_usd == 2 * 250 + 4 * 100 + 6_000 == 6_900.00
    # fine-tuning's and RAG's traffic before launch goes through prompting at its price of the month
    assert doc.start_month == START


def test_a_model_retired_without_a_successor_is_replaced_at_its_prices(quiet, sheet):
    old = llm("openai:old", OLD_IN, life("2027-03-10"))
    s = quiet(start_month=START, horizon_months=4, prompting={"revalidation_weeks": 1})
    doc = estimate(s, with_sheet(sheet, prompting=old))
    [event] = [e for e in doc.lifecycle_events if e.strategy == "prompting"]
    assert (event.month, event.successor, event.cost_usd) == (3, None, 4_000.00)
    assert "a replacement at the same prices" in event.note
    assert doc.strategies["prompting"].total_usd == 4 * 250 + 4_000 == 5_000.00


def test_a_shutdown_after_the_horizon_changes_nothing_but_the_cadence(quiet, sheet):
    old = llm("openai:old", OLD_IN, life("2030-01-01", successor="openai:new"))
    s = quiet(start_month=START, horizon_months=6, prompting={"revalidation_weeks": 1, "model_upgrade_months": 2})
    got = monthly_of(s, with_sheet(sheet, prompting=old), "prompting")
    assert list(got["inference"]) == pytest.approx([250.0] * 6)
    assert list(got["engineering"]) == [0.0] * 6  # the vendor's date (2030) replaces the 2-month cadence
    assert estimate(s, with_sheet(sheet, prompting=old)).lifecycle_events == []


@pytest.mark.parametrize(("shutdown", "month"), [("2027-01-02", 1), ("2027-04-30", 4), ("2027-06-15", 6)])
def test_rag_generator_and_embedding_model_move(quiet, sheet, shutdown, month):
    embed = EmbeddingPrices(
        id="openai:embed-old",
        source="test sheet",
        input=0.02,
        lifecycle=life(shutdown, successor="openai:embed-new"),
        successor=EmbeddingPrices(id="openai:embed-new", source="test sheet", input=0.13),
    )
    s = quiet(
        start_month=START,
        horizon_months=6,
        rag={"corpus_tokens": 1e9, "corpus_churn_share": 0.1, "revalidation_weeks": 1, "model_upgrade_months": 12},
    )
    got = monthly_of(s, with_sheet(sheet, rag=retiring(shutdown), embedding=embed, reranker=None), "rag")
    assert list(got["inference"]) == pytest.approx(
        [V * (OLD_REQUEST if m < month else NEW_REQUEST) for m in range(1, 7)]
    )
    assert list(got["engineering"]) == pytest.approx(at(6, {month: WEEK} if month > 1 else {}))

    def retrieval(m: int) -> float:
        price = 0.02 if m < month else 0.13  # USD per 1M embedded tokens
        corpus = 1e9 * price / 1e6  # 20.00 or 130.00
        queries = V * 1_000 * price / 1e6  # 2.00 or 13.00
        churn = 0.1 * corpus if m > 1 else corpus  # month 1 embeds the whole corpus
        moved = corpus if m == month and month > 1 else 0.0  # the whole corpus again at the move
        return churn + moved + queries  # (the quiet scenario's vector database costs 0)

    assert list(got["retrieval"]) == pytest.approx([retrieval(m) for m in range(1, 7)])
    doc = estimate(s, with_sheet(sheet, rag=retiring(shutdown), embedding=embed, reranker=None))
    moves = {(e.model, e.cost_usd) for e in doc.lifecycle_events if e.strategy == "rag"}
    assert moves == (
        {("openai:old", 4_000.0), ("openai:embed-old", 130.0)}
        if month > 1
        else {("openai:old", 0.0), ("openai:embed-old", 0.0)}
    )


# --- the tune: a full cycle on where it moves, or the month from which it cannot be kept up ---

TUNE: dict[str, Any] = {
    "training_examples": 1_000,
    "runs_per_cycle": 2,
    "weeks_per_cycle": 1,
    "retrain_every_months": 3,
    "retrain_runs": 1,
    "retrain_weeks": 0.5,
    "new_label_share": 0.1,
    "monitoring_usd_per_month": 100,
}
"""A cycle: 1 week (4,000) + 2 runs; a retraining: 0.5 week (2,000) + 1 run + 100 new labels (1,000)."""
TRAIN_TOKENS = 1_000 * 1_000 * 3  # examples x (1,000 input tokens + 0 output) x 3 epochs = 3M tokens


def tuned(id: str, price_in: float, training: float, lifecycle: Lifecycle | None = None, **more: Any) -> TokenPrices:
    """A tuned model at `price_in` USD per 1M input tokens, no output price, `training` per 1M trained."""
    return llm(id, price_in, lifecycle).model_copy(update={"output": 0.0, "training": training, **more})


def tune_scenario(quiet, deployment: str = "hosted", **fine_tuning: Any):
    return quiet(
        start_month=START,
        horizon_months=6,
        task={"labeled_examples": 1_000},
        fine_tuning={**TUNE, "deployment": deployment, **fine_tuning},
    )


def test_a_hosted_tune_without_a_successor_cannot_be_kept_up(quiet, sheet):
    # ft:old shuts down 2027-03-14 (month 3) and takes no job from 2027-02-06 (month 2): the next cycle,
    # the retraining of month 4, is after both; the shutdown in month 3 comes first.
    old = tuned("openai:ft:old", 0.3, 3.0, life("2027-03-14", training_ends="2027-02-06"))
    sheet = with_sheet(sheet, fine_tuning=old)
    s = tune_scenario(quiet)
    got = monthly_of(s, sheet, "fine_tuning")
    run_usd = TRAIN_TOKENS * 3.0 / 1e6  # 9.00 a run
    assert list(got["training"]) == pytest.approx(at(6, {1: 2 * run_usd}))
    assert list(got["engineering"]) == pytest.approx(at(6, {1: WEEK}))
    # inference: the tune (0.3 per 1M: 30.00) in months 1-2, then prompting's route (2.5 per 1M: 250.00)
    assert list(got["inference"]) == pytest.approx([30.0, 30.0, 250.0, 250.0, 250.0, 250.0])
    assert list(got["maintenance"]) == pytest.approx([100.0, 100.0, 0, 0, 0, 0])  # monitoring stops too
    doc = estimate(s, sheet)
    assert doc.strategies["fine_tuning"].not_maintainable_from_month == 3
    [event] = doc.lifecycle_events
    assert (event.event, event.month, event.period, event.model, event.successor) == (
        "not_maintainable",
        3,
        "2027-03",
        "openai:ft:old",
        None,
    )
    assert "fine-tuning cannot be kept up from month 3 (2027-03)" in event.note
    # total: 18 + 4,000 + 2 x 30 + 4 x 250 + 2 x 100 = 5,278.00
    assert doc.strategies["fine_tuning"].total_usd == 18 + 4_000 + 60 + 1_000 + 200 == 5_278.00


def test_a_tune_that_needs_retraining_after_training_ends_is_not_maintainable_from_then(quiet, sheet):
    # No job from 2027-02-06 (month 2); the next cycle is the retraining of month 4 (every 3 months).
    old = tuned("openai:ft:old", 0.3, 3.0, life("2027-12-01", training_ends="2027-02-06"))
    s = tune_scenario(quiet)
    doc = estimate(s, with_sheet(sheet, fine_tuning=old))
    assert doc.strategies["fine_tuning"].not_maintainable_from_month == 4  # the retraining of month 4
    assert "takes no new fine-tuning job from 2027-02-06, and a training cycle falls in month 4" in (
        doc.lifecycle_events[0].note
    )


def test_training_that_ends_during_month_1_blocks_the_first_cycle(quiet, sheet):
    old = tuned("openai:ft:old", 0.3, 3.0, life("2027-12-01", training_ends="2027-01-06"))
    doc = estimate(tune_scenario(quiet), with_sheet(sheet, fine_tuning=old))
    assert doc.strategies["fine_tuning"].not_maintainable_from_month == 1
    ft = doc.strategies["fine_tuning"]
    assert ft.total_usd == 6 * 250.00  # all traffic on prompting's route, nothing trained
    assert doc.verdict.recommendation != "fine_tuning"


@pytest.mark.parametrize(
    ("shutdown", "month"), [("2027-01-20", 1), ("2027-03-14", 3), ("2027-06-02", 6)], ids=["m1", "mid", "last"]
)
@pytest.mark.parametrize("deployment", ["hosted", "serverless"])
def test_a_tune_moves_with_a_full_cycle(quiet, sheet, shutdown, month, deployment):
    new = tuned("together:new-lora", 0.1, 0.5, deployment=deployment)
    old = tuned("openai:ft:old", 0.3, 3.0, life(shutdown, successor="together:new-lora"), successor=new)
    s = tune_scenario(quiet, deployment)
    got = monthly_of(s, with_sheet(sheet, fine_tuning=old), "fine_tuning")
    old_run, new_run = TRAIN_TOKENS * 3.0 / 1e6, TRAIN_TOKENS * 0.5 / 1e6  # 9.00 and 1.50 a run
    # cycles: the first in month 1 (on the successor when the move is in month 1), the move's full cycle,
    # and the retraining of month 4 unless the move falls in it
    training = {1: 2 * (old_run if month > 1 else new_run)}
    engineering = {1: WEEK}
    labeling = {}
    if month > 1:
        training[month] = 2 * new_run
        engineering[month] = WEEK
        labeling[month] = 100 * 10.0  # new_label_share x examples x label cost: 1,000.00
    if month != 4:
        training[4] = (old_run if month > 4 else new_run) * 1
        engineering[4] = 0.5 * WEEK
        labeling[4] = 1_000.0
    assert list(got["training"]) == pytest.approx(at(6, training))
    assert list(got["engineering"]) == pytest.approx(at(6, engineering))
    assert list(got["labeling"]) == pytest.approx(at(6, labeling))
    assert list(got["inference"]) == pytest.approx([V * 1_000 * (0.3 if m < month else 0.1) / 1e6 for m in range(1, 7)])
    doc = estimate(s, with_sheet(sheet, fine_tuning=old))
    [event] = doc.lifecycle_events
    assert (event.month, event.successor, event.event) == (month, "together:new-lora", "migration")
    assert event.cost_usd == (WEEK + 1_000.0 + 2 * new_run if month > 1 else 0.0)  # 5,003.00 after month 1
    assert doc.strategies["fine_tuning"].not_maintainable_from_month is None


@pytest.mark.parametrize(
    ("shutdown", "month"), [("2027-01-20", 1), ("2027-03-14", 3), ("2027-06-02", 6)], ids=["m1", "mid", "last"]
)
def test_a_tune_moves_to_dedicated_gpus(quiet, sheet, shutdown, month):
    """The move target serves only on your GPUs: hosting by the hour from the move, runs by GPU-hours."""
    new = tuned("meta:open", 0.0, 0.0, deployment="dedicated")
    old = tuned("openai:ft:old", 0.3, 3.0, life(shutdown, successor="meta:open"), successor=new)
    s = tune_scenario(quiet, min_replicas=1, retrain_every_months=None)
    got = monthly_of(s, with_sheet(sheet, fine_tuning=old), "fine_tuning")
    replica_month = 1 * 2.99 * 730  # 1 replica x 1 GPU x 2.99 USD an hour x 730 hours: 2,182.70
    assert list(got["hosting"]) == pytest.approx([replica_month if m >= month else 0 for m in range(1, 7)])
    gpu_run = TRAIN_TOKENS / 5_000 / 3600 * 2.99  # 3M tokens at 5,000 tokens/s on a 2.99 GPU: 0.50 a run
    # the first cycle (two runs) on the old tune's API, or on the GPUs when the move is in month 1
    training = {1: 2 * 9.0} if month > 1 else {1: 2 * gpu_run}
    if month > 1:
        training[month] = 2 * gpu_run  # the move's full cycle
    assert list(got["training"]) == pytest.approx(at(6, training))
    assert list(got["inference"]) == pytest.approx([30.0 if m < month else 0 for m in range(1, 7)])
    [event] = estimate(s, with_sheet(sheet, fine_tuning=old)).lifecycle_events
    assert (event.month, event.successor) == (month, "meta:open")
    # the move's cycle: a week of engineering, 100 new labels at 10.00 (1,000.00) and two GPU runs (2 x 0.50)
    assert event.cost_usd == pytest.approx(WEEK + 1_000.0 + 2 * gpu_run if month > 1 else 0.0, abs=0.005)


def test_a_tune_stops_training_before_it_shuts_down_and_moves_at_its_next_cycle(quiet, sheet):
    new = tuned("together:new-lora", 0.1, 0.5, deployment="hosted")
    old = tuned("openai:ft:old", 0.3, 3.0, life("2027-12-01", "2027-02-06", None), successor=new)
    doc = estimate(tune_scenario(quiet), with_sheet(sheet, fine_tuning=old))
    [event] = doc.lifecycle_events
    assert (event.month, event.successor) == (4, "together:new-lora")  # the retraining of month 4 moves it


def test_the_verdict_never_recommends_a_tune_that_cannot_be_kept_up(quiet, sheet):
    gates = {"kind": "behavior", "prompting_tried": True, "eval_harness": "exists", "narrow_and_stable": True}
    alive = quiet(start_month=START, horizon_months=6, task={**gates, "labeled_examples": 5_000})
    doc = estimate(alive, sheet)
    assert doc.verdict.recommendation == "fine_tuning"  # 0.3 against 2.5 per 1M: 8x cheaper
    # it shuts down in the last month: still 2x cheaper over the horizon, but it dies inside it
    dying = tuned("openai:ft:gpt-4o-mini", 0.3, 3.0, life("2027-06-14", "2027-06-06"))
    doc = estimate(alive, with_sheet(sheet, fine_tuning=dying))
    assert doc.strategies["fine_tuning"].not_maintainable_from_month == 6
    assert doc.verdict.recommendation == "prompting"
    assert all(g.passed for g in doc.verdict.gates)
    assert doc.verdict.summary.startswith("Keep prompting. Fine-tuning would cost ")
    assert doc.verdict.summary.endswith(
        "but the tune cannot be kept up from month 6 (2027-06): its provider stops serving or training it and "
        "no successor is named."
    )


def test_the_documented_example_gpt_4o_from_2026_12(scenario, sheet):
    """docs/cost-model.md, section 17: the defaults, prompting gpt-4o from 2026-12 for 36 months."""
    luna = llm("openai:gpt-6-luna", 0.10, None).model_copy(update={"cached_input": 0.01, "output": 0.50})
    gpt4o = sheet.prompting.model_copy(
        update={"lifecycle": life("2027-01-14", successor="openai:gpt-6-luna"), "successor": luna}
    )
    s = scenario(start_month="2026-12", rag={"enabled": False})
    doc = estimate(s, with_sheet(sheet, prompting=gpt4o))
    p = doc.strategies["prompting"]
    # one request: 1,000 input + 2,000 prompt tokens and 200 output tokens
    assert (3_000 * 2.50 + 200 * 10.00) / 1e6 == 0.0095  # gpt-4o
    assert (3_000 * 0.10 + 200 * 0.50) / 1e6 == 0.0004  # gpt-6-luna
    assert p.monthly[0].categories.inference == 950.00 and p.monthly[1].categories.inference == 40.00
    # engineering: 4 weeks of prompt work (month 1), the move (month 2), luna's upgrades (months 14, 26)
    assert {m.month: m.categories.engineering for m in p.monthly if m.categories.engineering} == {
        1: 16_000.0,
        2: 4_000.0,
        14: 4_000.0,
        26: 4_000.0,
    }
    # evaluation: the harness (month 1), then the 300 golden examples scored on luna at each
    # re-validation (months 2, 14, 26): 300 x 0.0004 = 0.12 each
    assert {m.month: m.categories.evaluation for m in p.monthly if m.categories.evaluation} == {
        1: 11_000.0,
        2: 0.12,
        14: 0.12,
        26: 0.12,
    }
    # 950 + 35 x 40 inference + 28,000 engineering + 11,000 harness + 3 x 0.12 scoring + 36 x 800 maintenance
    assert p.total_usd == round(950 + 35 * 40 + 28_000 + 11_000 + 3 * 0.12 + 36 * 800, 2) == 70_150.36
    [event] = [e for e in doc.lifecycle_events if e.strategy == "prompting"]
    assert event.note == (
        "gpt-4o shuts down on 2027-01-14 (month 2, 2027-01): costed as a move to gpt-6-luna, 1 week of "
        "re-validation and the golden set scored (4,000.12 USD)."
    )


def test_a_batch_of_tunes_with_chains_of_different_lengths_equals_each_alone(quiet, sheet):
    """One row moves (a chain of two tunes), the other cannot be kept up (a chain of one): the batch's
    arrays hold two models for both rows, and each row's events still name its own models."""
    new = tuned("together:new-lora", 0.1, 0.5, deployment="hosted")
    moving = tuned("openai:ft:old", 0.3, 3.0, life("2027-03-14", successor="together:new-lora"), successor=new)
    dying = tuned("openai:ft:old", 0.3, 3.0, life("2027-03-14"))
    s = tune_scenario(quiet)
    sheets = [with_sheet(sheet, fine_tuning=moving), with_sheet(sheet, fine_tuning=dying)]
    batch = estimate_many([s, s], sheets)
    assert batch == [estimate(s, one) for one in sheets]
    assert [e.event for e in batch[1].lifecycle_events] == ["not_maintainable"]
    assert batch[1].lifecycle_events[0].model == "openai:ft:old"
