"""The cost model as array arithmetic: inputs of shape (N,) in, monthly costs by category out.

One code path serves a point estimate (N=1), Monte Carlo draws, the tornado
chart, volume sweeps and batches of scenarios. Every formula is the one of
`shared/design/cost-model.md`; `docs/cost-model.md` explains each to a finance
reader. Money stays float64 here; rounding to cents happens at the edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .inputs import Inputs
from .scenario import MONTH_HOURS, MONTH_WEEKS

CATEGORIES = (
    "engineering",
    "labeling",
    "evaluation",
    "training",
    "inference",
    "hosting",
    "retrieval",
    "maintenance",
)
ENGINEERING, LABELING, EVALUATION, TRAINING, INFERENCE, HOSTING, RETRIEVAL, MAINTENANCE = range(8)
COMPUTE_ONLY = (TRAINING, INFERENCE, HOSTING)
"""Fine-tuning's naive compute estimate: training runs, inference and hosting (002)."""
HOURS_PER_WEEK = 40.0
SECONDS_PER_MONTH = MONTH_HOURS * 3600.0
HOSTED, SERVERLESS, DEDICATED = 0.0, 1.0, 2.0
EXISTS = 0.0  # task.eval_harness


Series = tuple[np.ndarray | None, ...]
"""Eight categories in CATEGORIES order, each broadcastable to (N, months); None = nothing.

Kept apart rather than stacked into one (N, months, 8) array: constants stay
(N, 1), empty categories cost nothing, and 10,000 draws stay cheap.
"""


@dataclass(frozen=True)
class Costs:
    """Monthly cost of each strategy by category, for N rows."""

    requests: np.ndarray
    """(N, months): requests served in each month (0 past a row's horizon)."""
    in_horizon: np.ndarray
    """(N, months): True for months inside the row's horizon."""
    series: dict[str, Series]
    """strategy -> its categories. Values past a row's horizon are not masked: use the methods."""
    monthly_totals: dict[str, np.ndarray]
    """strategy -> total per month, 0 past the horizon; (1, months) when no input of the strategy
    varies across rows (Monte Carlo draws of fine-tuning inputs leave prompting at one row)."""
    rag_enabled: np.ndarray
    """(N,) bool."""
    per_request: dict[str, np.ndarray]
    """strategy -> (N,) USD per request on its own route (0 for dedicated GPUs)."""

    def totals(self, strategy: str) -> np.ndarray:
        """(N,) TCO over the horizon: the last cumulative month.

        A running sum rather than numpy's pairwise one: the months past a row's
        horizon (zeros in a batch of longer horizons) then change nothing, so a
        batch gives each row the very total it gets alone.
        """
        return np.broadcast_to(running_total(self.monthly_totals[strategy]), self.in_horizon.shape[:1])

    def categories(self, strategy: str, row: int, months: int) -> np.ndarray:
        """(months, 8) cost of one row by month and category."""
        out = np.zeros((months, len(CATEGORIES)))
        for k, category in enumerate(self.series[strategy]):
            if category is not None:
                out[:, k] = np.broadcast_to(category, self.in_horizon.shape)[row, :months]
        return out


def running_total(monthly: np.ndarray) -> np.ndarray:
    """(N,) the sum of each row of (N, months), month after month: what cumsum's last column holds.

    For many rows a loop over the months is four times faster than cumsum along a row (one long
    vector add per month, not one short accumulation per row); the order of additions, and so
    every bit of the result, is the same.
    """
    if monthly.shape[0] < 64:
        return np.cumsum(monthly, axis=1)[:, -1]
    total = monthly[:, 0].copy()
    for month in range(1, monthly.shape[1]):
        total += monthly[:, month]
    return total


def _col(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)[:, None]


def request_cost(
    *,
    variable_tokens: np.ndarray,
    prefix_tokens: np.ndarray,
    output_tokens: np.ndarray,
    price_in: np.ndarray,
    price_cached: np.ndarray,
    price_out: np.ndarray,
    cache_hit_rate: np.ndarray,
    batch_share: np.ndarray,
    batch_discount: np.ndarray,
) -> np.ndarray:
    """USD for one request (cost-model.md, Tokens and prices).

    Only the static prefix (system prompt + examples) can be a cache hit;
    variable tokens (user content, retrieved chunks) are always billed as input.
    """
    uncached = variable_tokens + prefix_tokens * (1.0 - cache_hit_rate)
    cached = prefix_tokens * cache_hit_rate
    usd = (uncached * price_in + cached * price_cached + output_tokens * price_out) / 1e6
    return usd * (1.0 - batch_share * batch_discount)


def _every(months: np.ndarray, period: np.ndarray) -> np.ndarray:
    """(N, months) 1.0 in months 1+k*period for k >= 1, else 0.0; period 0 means never.

    Periods are whole months (a drawn 3.4 counts as 3). An exact quotient test
    instead of np.mod, which is ten times slower on floats.
    """
    p = _col(np.rint(period))
    quotient = (months - 1) / np.where(p > 0, p, np.inf)
    return ((quotient >= 1) & (quotient == np.floor(quotient))).astype(np.float64)


def _pre_launch_share(months: np.ndarray, weeks_to_launch: np.ndarray) -> np.ndarray:
    """Share of each month before the strategy launches (served by prompting meanwhile)."""
    return np.clip((_col(weeks_to_launch) - (months - 1) * MONTH_WEEKS) / MONTH_WEEKS, 0.0, 1.0)


def _prompting_request(x: Inputs, section: str) -> np.ndarray:
    prefix = (
        x[f"{section}.system_prompt_tokens"] + x[f"{section}.few_shot_examples"] * x[f"{section}.tokens_per_example"]
    )
    extra = x["rag.retrieved_chunks"] * x["rag.chunk_tokens"] if section == "rag" else 0.0
    return request_cost(
        variable_tokens=x["workload.input_tokens"] + extra,
        prefix_tokens=prefix,
        output_tokens=x["workload.output_tokens"],
        price_in=x[f"{section}.prices.input"],
        price_cached=x[f"{section}.prices.cached_input"],
        price_out=x[f"{section}.prices.output"],
        cache_hit_rate=x[f"{section}.cache_hit_rate"],
        batch_share=x[f"{section}.batch_share"],
        batch_discount=x[f"{section}.prices.batch_discount"],
    )


def _monthly_total(categories: Series, in_horizon: np.ndarray) -> np.ndarray:
    """The sum of a strategy's categories, 0 past each row's horizon.

    Added in place into one array: for 10,000 draws each temporary would be megabytes of fresh
    memory. Masked only when horizons differ by row (a batch); one horizon needs no mask.
    """
    present = [c for c in categories if c is not None]
    shape = np.broadcast_shapes(in_horizon.shape, *(c.shape for c in present))
    total = np.zeros(shape)
    for c in present:
        total += c
    if not in_horizon.all():
        total[~np.broadcast_to(in_horizon, shape)] = 0.0
    return total


def compute(x: Inputs) -> Costs:
    """Monthly costs of prompting, RAG and fine-tuning for every row of `x`.

    Inputs of shape (1,) broadcast against (N,): a scenario with a few drawn
    inputs needs no copies of the others.
    """
    n = max(np.size(v) for v in x.values())
    horizon = x["horizon_months"]
    months = np.arange(1, int(horizon.max()) + 1, dtype=np.float64)[None, :]
    shape = (n, months.shape[1])
    in_horizon = months <= _col(horizon)  # (1, months) unless horizons differ by row
    first = (months == 1).astype(np.float64)
    later = 1.0 - first
    volume = np.where(
        in_horizon,
        _col(x["workload.requests_per_month"]) * _col(1.0 + x["workload.monthly_growth"]) ** (months - 1),
        0.0,
    )
    week = x["team.engineer_week_usd"]
    hour = _col(week) / HOURS_PER_WEEK

    def once(amount: np.ndarray) -> np.ndarray:
        return _col(amount) * first

    # Evaluation harness (002): golden set labels + build, once, in every strategy, unless it exists.
    eval_usd = np.where(
        x["task.eval_harness"] == EXISTS,
        0.0,
        x["team.golden_examples"] * x["team.label_cost_usd"] + x["team.eval_build_weeks"] * week,
    )
    evaluation = once(eval_usd)

    # --- prompting: the baseline, serving from month 1 ---
    prompt_request = _prompting_request(x, "prompting")
    prompting: Series = (
        once(x["prompting.prompt_weeks"] * week)
        + _every(months, x["prompting.model_upgrade_months"]) * _col(x["prompting.revalidation_weeks"] * week),
        None,
        evaluation,
        None,
        volume * _col(prompt_request),
        None,
        None,
        _col(x["prompting.maintenance_hours"]) * hour,
    )

    # --- rag: retrieval + frontier model; prompting serves until it launches ---
    rag_request = _prompting_request(x, "rag")
    rag_pre = _pre_launch_share(months, x["rag.weeks_to_launch"])
    rag_served = volume * (1.0 - rag_pre)
    embed_per_token = x["rag.embedding_prices.input"] / 1e6
    corpus_usd = x["rag.corpus_tokens"] * embed_per_token
    per_query = x["workload.input_tokens"] * embed_per_token + x["rag.rerank_usd_per_1k_requests"] / 1000.0
    rag: Series = (
        once(x["rag.build_weeks"] * week)
        + _every(months, x["rag.model_upgrade_months"]) * _col(x["rag.revalidation_weeks"] * week),
        None,
        evaluation,
        None,
        volume * rag_pre * _col(prompt_request) + rag_served * _col(rag_request),
        None,
        # corpus embedded in month 1, its churn re-embedded every later month, the plan fee, and per query
        once(corpus_usd)
        + _col(corpus_usd * x["rag.corpus_churn_share"]) * later
        + _col(x["rag.vector_db_monthly_usd"])
        + rag_served * _col(per_query),
        _col(x["rag.maintenance_hours"]) * hour,
    )

    # --- fine_tuning: training cycles, then the tuned model; prompting serves until it launches ---
    dedicated = x["fine_tuning.deployment"] == DEDICATED
    ft_prefix = x["fine_tuning.system_prompt_tokens"]
    ft_request = np.where(
        dedicated,
        0.0,
        request_cost(
            variable_tokens=x["workload.input_tokens"],
            prefix_tokens=ft_prefix,
            output_tokens=x["workload.output_tokens"],
            price_in=x["fine_tuning.prices.input"],
            price_cached=x["fine_tuning.prices.cached_input"],
            price_out=x["fine_tuning.prices.output"],
            cache_hit_rate=x["fine_tuning.cache_hit_rate"],
            batch_share=x["fine_tuning.batch_share"],
            batch_discount=x["fine_tuning.prices.batch_discount"],
        ),
    )
    ft_pre = _pre_launch_share(months, x["fine_tuning.weeks_to_launch"])

    # One training run: the provider's price per training token, or GPU-hours on your own GPUs
    # (dedicated), or the cost per run entered directly.
    tokens_per_request = ft_prefix + x["workload.input_tokens"] + x["workload.output_tokens"]
    train_tokens = x["fine_tuning.training_examples"] * tokens_per_request * x["fine_tuning.epochs"]
    gpu_hour = np.nan_to_num(x["fine_tuning.gpu_hour_usd"])
    gpu_hours_per_run = train_tokens / np.nan_to_num(x["fine_tuning.training_tokens_per_second"], nan=1.0) / 3600.0
    per_run = np.where(
        np.isnan(x["fine_tuning.cost_per_run_usd"]),
        np.where(
            dedicated,
            gpu_hours_per_run * gpu_hour,
            train_tokens * np.nan_to_num(x["fine_tuning.prices.training"]) / 1e6,
        ),
        x["fine_tuning.cost_per_run_usd"],
    )

    # The schedule of cycles: the first (full) in month 1, a full one again at each base-model
    # deprecation, a lighter retraining cycle every retrain_every_months otherwise.
    redo = _every(months, x["fine_tuning.base_model_deprecation_months"])
    retrain = _every(months, x["fine_tuning.retrain_every_months"]) * (1.0 - redo)
    full = first + redo
    new_share = x["fine_tuning.new_label_share"]
    new_labels = new_share * x["fine_tuning.training_examples"] * x["team.label_cost_usd"]
    bought = np.maximum(0.0, x["fine_tuning.training_examples"] - x["task.labeled_examples"]) * x["team.label_cost_usd"]
    curation = x["fine_tuning.curation_weeks"]

    # Dedicated GPUs: replicas for the peak rate, billed for the share of the month after launch.
    peak_tps = volume * _col(tokens_per_request * x["workload.peak_to_average"] / SECONDS_PER_MONTH)
    tps_per_replica = _col(np.nan_to_num(x["fine_tuning.tokens_per_second_per_replica"], nan=1.0))
    replicas = np.maximum(_col(x["fine_tuning.min_replicas"]), np.ceil(peak_tps / tps_per_replica - 1e-9))
    replica_month = np.where(dedicated, x["fine_tuning.gpus_per_replica"] * gpu_hour * MONTH_HOURS, 0.0)

    fine_tuning: Series = (
        full * _col((x["fine_tuning.weeks_per_cycle"] + curation) * week)
        + retrain * _col((x["fine_tuning.retrain_weeks"] + curation * new_share) * week),
        once(bought) + (redo + retrain) * _col(new_labels),
        evaluation,
        full * _col(x["fine_tuning.runs_per_cycle"] * per_run)
        + retrain * _col(x["fine_tuning.retrain_runs"] * per_run),
        volume * (ft_pre * _col(prompt_request) + (1.0 - ft_pre) * _col(ft_request)),
        replicas * (1.0 - ft_pre) * _col(replica_month),
        None,
        _col(x["fine_tuning.monitoring_usd_per_month"]) + _col(x["fine_tuning.maintenance_hours"]) * hour,
    )

    series = {"prompting": prompting, "rag": rag, "fine_tuning": fine_tuning}
    monthly_totals = {name: _monthly_total(cats, in_horizon) for name, cats in series.items()}

    def per_row(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, (n,))

    return Costs(
        requests=np.broadcast_to(volume, shape),
        in_horizon=np.broadcast_to(in_horizon, shape),
        series=series,
        monthly_totals=monthly_totals,
        rag_enabled=per_row(x["rag.enabled"] > 0),
        per_request={
            "prompting": per_row(prompt_request),
            "rag": per_row(rag_request),
            "fine_tuning": per_row(ft_request),
        },
    )
