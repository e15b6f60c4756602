"""Shared fixtures of the engine tests: a price sheet written by hand, and scenario builders.

Nothing here reads the price catalog: every price an expectation depends on is
written below, so a catalog update can never move an engine test.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from app.engine import CATEGORIES, PriceSheet, Scenario, build_inputs, run
from app.engine.prices import EmbeddingPrices, GpuPrices, RerankPrices, TokenPrices, VectorDbPrices

AS_OF = dt.date(2025, 1, 1)

# The numbers of the hand-written sheet, named so that expectations can cite them.
GPT4O_IN, GPT4O_CACHED, GPT4O_OUT, GPT4O_BATCH = 2.5, 1.25, 10.0, 0.5
FT_IN, FT_CACHED, FT_OUT, FT_BATCH, FT_TRAIN = 0.3, 0.15, 1.2, 0.5, 3.0
EMBED = 0.02
VECTOR_DB = 50.0
RERANK_PER_1K = 2.0
GPU_HOUR, GPU_SERVE_TPS, GPU_TRAIN_TPS = 2.99, 10_000.0, 5_000.0


def make_sheet(*, rag: bool = True, gpu: bool = True, reranker: bool = True) -> PriceSheet:
    gpt4o = TokenPrices(
        id="openai:gpt-4o",
        source="test sheet",
        as_of=AS_OF,
        input=GPT4O_IN,
        cached_input=GPT4O_CACHED,
        output=GPT4O_OUT,
        batch_discount=GPT4O_BATCH,
    )
    return PriceSheet(
        catalog_version="test-1",
        prompting=gpt4o,
        rag=gpt4o if rag else None,
        embedding=EmbeddingPrices(id="openai:text-embedding-3-small", source="test sheet", input=EMBED)
        if rag
        else None,
        vector_db=VectorDbPrices(id="pinecone:standard", source="test sheet", monthly_usd=VECTOR_DB) if rag else None,
        reranker=RerankPrices(id="cohere:rerank-3.5", source="test sheet", usd_per_1k_requests=RERANK_PER_1K)
        if reranker
        else None,
        fine_tuning=TokenPrices(
            id="openai:ft:gpt-4o-mini",
            source="test sheet",
            as_of=AS_OF,
            input=FT_IN,
            cached_input=FT_CACHED,
            output=FT_OUT,
            batch_discount=FT_BATCH,
            training=FT_TRAIN,
        ),
        gpu=GpuPrices(
            id="lambda:h100-80gb",
            source="test sheet",
            gpu_hour_usd=GPU_HOUR,
            serving_tokens_per_second=GPU_SERVE_TPS,
            training_tokens_per_second=GPU_TRAIN_TPS,
        )
        if gpu
        else None,
    )


# Every prompt, overhead and one-time cost set to zero: a test switches on only what it checks.
QUIET: dict[str, Any] = {
    "workload": {"requests_per_month": 100_000, "input_tokens": 1_000, "output_tokens": 0},
    "task": {"eval_harness": "exists"},
    "team": {"golden_examples": 0},  # no golden set to score at re-validations and retrainings
    "prompting": {
        "system_prompt_tokens": 0,
        "few_shot_examples": 0,
        "prompt_weeks": 0,
        "maintenance_hours": 0,
        "revalidation_weeks": 0,
    },
    "rag": {
        "system_prompt_tokens": 0,
        "retrieved_chunks": 0,
        "build_weeks": 0,
        "weeks_to_launch": 0,
        "corpus_tokens": 0,
        "corpus_churn_share": 0,
        "vector_db_monthly_usd": 0,
        "maintenance_hours": 0,
        "revalidation_weeks": 0,
    },
    "fine_tuning": {
        "system_prompt_tokens": 0,
        "training_examples": 0,
        "runs_per_cycle": 0,
        "weeks_per_cycle": 0,
        "curation_weeks": 0,
        "retrain_every_months": None,
        "retrain_runs": 0,
        "retrain_weeks": 0,
        "base_model_deprecation_months": None,
        "weeks_to_launch": 0,
        "min_replicas": 0,
        "monitoring_usd_per_month": 0,
        "maintenance_hours": 0,
    },
}


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `base` with `over` merged in, section by section."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


Builder = Callable[..., Scenario]


@pytest.fixture(scope="session")
def sheet() -> PriceSheet:
    return make_sheet()


@pytest.fixture(scope="session")
def sheet_without() -> Callable[..., PriceSheet]:
    """sheet_without(rag=False, gpu=False, reranker=False): the sheet with those entries left out."""
    return lambda **left_out: make_sheet(**{k: not v for k, v in left_out.items()})


@pytest.fixture(scope="session")
def quiet() -> Builder:
    """quiet(workload={...}, ...): a scenario with every overhead zero, plus the given fields."""
    return lambda **over: Scenario.model_validate(merge(QUIET, over))


@pytest.fixture(scope="session")
def scenario() -> Builder:
    """scenario(workload={...}, ...): the engine's defaults, plus the given fields."""
    return lambda **over: Scenario.model_validate(merge({}, over))


Monthly = Callable[..., dict[str, np.ndarray]]


@pytest.fixture(scope="session")
def monthly(sheet: PriceSheet) -> Monthly:
    """monthly(scenario, strategy): unrounded USD by category, one array of `horizon` months each."""

    def f(s: Scenario, strategy: str, price_sheet: PriceSheet | None = None) -> dict[str, np.ndarray]:
        costs, _ = run(build_inputs([s], [price_sheet or sheet]))
        table = costs.categories(strategy, 0, s.horizon_months)
        return {name: table[:, k] for k, name in enumerate(CATEGORIES)}

    return f
