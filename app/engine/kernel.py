"""The cost model as array arithmetic: inputs of shape (N,) in, monthly costs by category out.

One code path serves a point estimate (N=1), Monte Carlo draws, the tornado
chart, volume sweeps and batches of scenarios. Every formula is the one of
`shared/design/cost-model.md`; `docs/cost-model.md` explains each to a finance
reader. Money stays float64 here; rounding to cents happens at the edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .inputs import Inputs, extra_cost_key, lifecycle_key, row_count
from .scenario import CATEGORIES, MONTH_HOURS, MONTH_WEEKS, STRATEGIES

ENGINEERING, LABELING, EVALUATION, TRAINING, INFERENCE, HOSTING, RETRIEVAL, MAINTENANCE = range(8)
COMPUTE_ONLY = (TRAINING, INFERENCE, HOSTING)
"""Fine-tuning's naive compute estimate: training runs, inference and hosting (002)."""
HOURS_PER_WEEK = 40.0
SECONDS_PER_MONTH = MONTH_HOURS * 3600.0
HOSTED, SERVERLESS, DEDICATED = 0.0, 1.0, 2.0
EXISTS = 0.0  # task.eval_harness
BOTH = 2.0  # task.kind: knowledge and behaviour, the hybrid's task


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
    hybrid_enabled: np.ndarray
    """(N,) bool: a task of both kinds with RAG on, the only rows whose hybrid is an option (the others'
    hybrid series are empty, or meaningless where a batch costs it for some rows)."""
    per_request: dict[str, np.ndarray]
    """strategy -> (N,) USD per request on its own route in month 1 (0 for dedicated GPUs)."""
    lifecycle: dict[str, Segments] = field(default_factory=dict)
    """slot (prompting, rag, embedding, fine_tuning, and hybrid: the tune's) -> which model serves when,
    for slots whose models have an announced end; absent: one model for the whole horizon."""
    migration_usd: dict[str, list[np.ndarray]] = field(default_factory=dict)
    """slot -> (N,) cost of the move into model k, for k = 1, 2, ... (0 when the move is in month 1)."""
    not_maintainable_from: np.ndarray | None = None
    """(N,) first month from which the tune cannot be kept up (its provider stops serving it or takes
    no new training job, and nothing names where it moves); inf = never. None: nothing announced."""

    def totals(self, strategy: str) -> np.ndarray:
        """(N,) TCO over the horizon: the last cumulative month.

        A running sum rather than numpy's pairwise one: the months past a row's
        horizon (zeros in a batch of longer horizons) then change nothing, so a
        batch gives each row the very total it gets alone.
        """
        return np.broadcast_to(running_total(self.monthly_totals[strategy]), self.in_horizon.shape[:1])

    def rows(self, start: int, stop: int) -> Costs:
        """Rows start..stop of these costs, as one kernel call over those rows alone gives them (every
        formula is row by row): so one call can serve a scenario and the volumes its verdict needs."""
        n = self.in_horizon.shape[0]

        def take(a: Any) -> Any:
            if isinstance(a, np.ndarray) and a.ndim and a.shape[0] == n and n > 1:
                return a[start:stop]
            return a

        return Costs(
            requests=take(self.requests),
            in_horizon=take(self.in_horizon),
            series={s: tuple(take(c) for c in cats) for s, cats in self.series.items()},
            monthly_totals={s: take(t) for s, t in self.monthly_totals.items()},
            rag_enabled=take(self.rag_enabled),
            hybrid_enabled=take(self.hybrid_enabled),
            per_request={s: take(r) for s, r in self.per_request.items()},
            lifecycle={
                slot: Segments([take(a) for a in seg.starts], [take(a) for a in seg.known])
                for slot, seg in self.lifecycle.items()
            },
            migration_usd={slot: [take(a) for a in moves] for slot, moves in self.migration_usd.items()},
            not_maintainable_from=take(self.not_maintainable_from),
        )

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


def _series(x: np.ndarray) -> np.ndarray:
    """(N,) as a column; an (N, months) series as it is."""
    return x if np.ndim(x) == 2 else _col(x)


def price_trend(change_per_year: np.ndarray, months: np.ndarray) -> np.ndarray | float:
    """(N, months) factor on a price in each month: (1 + change)^((m - 1) / 12), compounded monthly
    from today's price in month 1 (docs/cost-model.md, Prices move); 1.0 when nothing changes."""
    if not np.any(change_per_year):
        return 1.0
    return _col(1.0 + change_per_year) ** ((months - 1.0) / 12.0)


def _trend_at(trend: np.ndarray | float, start: np.ndarray) -> np.ndarray | float:
    """(N,) the trend factor in month `start` (N, 1) (month 1's where the month is never reached)."""
    if isinstance(trend, float):
        return trend
    n = max(start.shape[0], trend.shape[0])
    month = np.broadcast_to(np.where(np.isfinite(start[:, 0]), start[:, 0], 1.0), (n,)).astype(np.int64)
    full = np.broadcast_to(trend, (n, trend.shape[1]))
    return full[np.arange(n), np.clip(month, 1, trend.shape[1]) - 1]


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


def _every(months: np.ndarray, period: np.ndarray, origin: np.ndarray | float = 1.0) -> np.ndarray:
    """(N, months) 1.0 in months origin+k*period for k >= 1, else 0.0; period 0 means never.

    Periods are whole months (a drawn 3.4 counts as 3). An exact quotient test
    instead of np.mod, which is ten times slower on floats.
    """
    p = _col(np.rint(period))
    with np.errstate(invalid="ignore"):  # an origin of inf (a model never reached) is never a month
        quotient = (months - origin) / np.where(p > 0, p, np.inf)
    return ((quotient >= 1) & (quotient == np.floor(quotient))).astype(np.float64)


def _next_on_cadence(t: np.ndarray, origin: np.ndarray | float, period: np.ndarray) -> np.ndarray:
    """(N,) the first month origin+k*period (k >= 1) at or after month t; inf for period 0 or t inf."""
    p = np.rint(period)
    safe = np.where(p > 0, p, 1.0)
    with np.errstate(invalid="ignore"):
        k = np.maximum(1.0, np.ceil((t - origin) / safe))
        month = origin + k * safe
    return np.where((p > 0) & np.isfinite(t) & np.isfinite(month), month, np.inf)


@dataclass(frozen=True)
class Segments:
    """Which model of a slot serves when: model k from month `starts[k]` (model 0 from month 1) until
    the next one starts, or the tune's end. Months are floats, inf = never reached."""

    starts: list[np.ndarray]
    """(N, 1) first month of each model."""
    known: list[np.ndarray]
    """(N, 1) bool: the model's vendor has announced its shutdown (its generic cadence is off)."""

    def pick(self, months: np.ndarray, values: list[np.ndarray]) -> np.ndarray:
        """(N, months) the value of whichever model serves each month: values (N,) per model, or
        (N, months) series."""
        out = _series(values[0])
        for start, value in zip(self.starts[1:], values[1:], strict=True):
            out = np.where(months >= start, _series(value), out)
        return out

    def cadence(self, months: np.ndarray, period: np.ndarray) -> np.ndarray:
        """(N, months) 1.0 where a generic cadence (a model upgrade, a base-model deprecation) falls:
        counted from each model's first month, only while a model with no announced end serves."""
        out = np.zeros((1, months.shape[1]))
        ends = [*self.starts[1:], np.inf]
        for start, end, known in zip(self.starts, ends, self.known, strict=True):
            serving = (months >= start) & (months < end) & ~known
            out = out + _every(months, period, start) * serving
        return out

    def moves(self, months: np.ndarray) -> list[np.ndarray]:
        """(N, months) 1.0 in the month model k (k >= 1) takes over, when that is after month 1: a
        model retired during month 1 is replaced from the start, at no extra cost."""
        return [((months == start) & (start > 1)).astype(np.float64) for start in self.starts[1:]]


def _model_count(x: Inputs, slot: str) -> int:
    """How many models the slot's chain has in this batch (0: nothing announced for any row)."""
    k = 0
    while lifecycle_key(slot, k, "shutdown_month") in x:
        k += 1
    return k


def _retired(x: Inputs, slot: str) -> Segments | None:
    """The segments of prompting's or RAG's model or of the embedding model: each successor takes
    over in the month that contains its predecessor's shutdown."""
    count = _model_count(x, slot)
    if count == 0:
        return None
    starts = [np.ones((1, 1))]
    known = []
    for k in range(count):
        shutdown = x[lifecycle_key(slot, k, "shutdown_month")]
        known.append(np.isfinite(shutdown)[:, None])
        if k + 1 < count:
            present = x[lifecycle_key(slot, k + 1, "present")] > 0
            starts.append(_col(np.where(present, np.maximum(shutdown, starts[-1][:, 0]), np.inf)))
    return Segments(starts=starts, known=known)


def _chain_prices(x: Inputs, slot: str, count: int, prefix: str, names: tuple[str, ...]) -> list[dict[str, np.ndarray]]:
    """Per model of a chain, its prices by name: model 0's are the scenario's effective ones (under
    `prefix`), each successor's the frozen catalog's (a negotiated rate is for the model it names)."""
    out = [{name: x[f"{prefix}{name}"] for name in names}]
    out.extend({name: x[lifecycle_key(slot, k, name)] for name in names} for k in range(1, count))
    return out


def _tune_segments(x: Inputs, n: int) -> tuple[Segments, np.ndarray] | None:
    """The tune's segments and the month from which it cannot be kept up (inf = never).

    Model k stops at the month containing its shutdown, or at its first training cycle (the cycle
    that opens it, a retraining every `retrain_every_months` counted from month 1, a full redo every
    `base_model_deprecation_months` while its end is not announced) that falls in or after the month
    in which its provider stops taking training jobs. The next model of the chain (the scenario's
    `move_to` or the catalog's successor) then takes over with a full cycle; where there is none, the
    tune cannot be kept up from that month.
    """
    count = _model_count(x, "fine_tuning")
    if count == 0:
        return None
    horizon = x["horizon_months"]
    start = np.ones(n)
    end = np.full(n, np.inf)
    starts, known = [_col(start)], []
    for k in range(count):
        shutdown = x[lifecycle_key("fine_tuning", k, "shutdown_month")]
        training_end = x[lifecycle_key("fine_tuning", k, "training_end_month")]
        unannounced = ~np.isfinite(shutdown)
        known.append(~unannounced[:, None])
        retrain = _next_on_cadence(training_end, 1.0, x["fine_tuning.retrain_every_months"])
        redo = np.where(
            unannounced, _next_on_cadence(training_end, start, x["fine_tuning.base_model_deprecation_months"]), np.inf
        )
        blocked = np.where(training_end <= start, start, np.minimum(retrain, redo))
        stop = np.maximum(np.minimum(shutdown, blocked), start)
        reached = np.isfinite(start) & (stop <= horizon)
        nxt = x[lifecycle_key("fine_tuning", k + 1, "present")] > 0 if k + 1 < count else np.zeros(n, dtype=bool)
        end = np.where(reached & ~nxt & np.isinf(end), stop, end)
        start = np.where(reached & nxt, stop, np.inf)
        if k + 1 < count:
            starts.append(_col(start))
    return Segments(starts=starts, known=known), np.broadcast_to(end, (n,))


def _pre_launch_share(months: np.ndarray, weeks_to_launch: np.ndarray) -> np.ndarray:
    """Share of each month before the strategy launches (served by prompting meanwhile)."""
    return np.clip((_col(weeks_to_launch) - (months - 1) * MONTH_WEEKS) / MONTH_WEEKS, 0.0, 1.0)


_TOKEN_NAMES = ("input", "cached_input", "output", "batch_discount")


def _prompting_request(x: Inputs, section: str, prices: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """(N,) USD of one request on prompting's or RAG's route, at the given model's prices (default:
    the scenario's own model)."""
    p = prices or {name: x[f"{section}.prices.{name}"] for name in _TOKEN_NAMES}
    prefix = (
        x[f"{section}.system_prompt_tokens"] + x[f"{section}.few_shot_examples"] * x[f"{section}.tokens_per_example"]
    )
    extra = x["rag.retrieved_chunks"] * x["rag.chunk_tokens"] if section == "rag" else 0.0
    return request_cost(
        variable_tokens=x["workload.input_tokens"] + extra,
        prefix_tokens=prefix,
        output_tokens=x["workload.output_tokens"],
        price_in=p["input"],
        price_cached=p["cached_input"],
        price_out=p["output"],
        cache_hit_rate=x[f"{section}.cache_hit_rate"],
        batch_share=x[f"{section}.batch_share"],
        batch_discount=p["batch_discount"],
    )


def _api_route(
    x: Inputs, section: str, segments: Segments | None, months: np.ndarray, trend: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Prompting's or RAG's route: (N,) USD per request in month 1, (N, 1 or months) USD per request
    in each month with the API price trend applied, and (N,) per request on each model of the chain at
    today's prices."""
    if segments is None:
        request = _prompting_request(x, section)
        return request, _col(request) * trend, [request]
    chain = _chain_prices(x, section, len(segments.starts), f"{section}.prices.", _TOKEN_NAMES)
    requests = [_prompting_request(x, section, prices) for prices in chain]
    by_month = segments.pick(months, requests)
    return by_month[:, 0], by_month * trend, requests


def _revalidations(x: Inputs, section: str, segments: Segments | None, months: np.ndarray) -> np.ndarray:
    """(N, months) count of re-validations of prompting's or RAG's model: at the generic model-upgrade
    cadence, and at each migration to a successor (the vendor's dates replace the cadence)."""
    period = x[f"{section}.model_upgrade_months"]
    if segments is None:
        return _every(months, period)
    return segments.cadence(months, period) + sum(segments.moves(months), np.zeros((1, 1)))


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


def monthly_volume(requests: np.ndarray, x: Inputs, months: np.ndarray, in_horizon: np.ndarray) -> np.ndarray:
    """(N, months) requests served in each month from `requests` in month 1 (monthly growth, 0 past the
    horizon): the kernel's volumes, and the break-even sweep's at any month-1 volume, to the bit."""
    return np.where(in_horizon, _col(requests) * _col(1.0 + x["workload.monthly_growth"]) ** (months - 1), 0.0)


REPLICA_INPUTS = (
    "fine_tuning.system_prompt_tokens",
    "rag.retrieved_chunks",
    "rag.chunk_tokens",
    "workload.input_tokens",
    "workload.output_tokens",
    "workload.peak_to_average",
    "fine_tuning.tokens_per_second_per_replica",
    "fine_tuning.min_replicas",
)
"""What `replicas_for` reads of the inputs: all a caller copies to re-count replicas at other volumes."""


def _label_costs(x: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """(N,) USD per training label, in two parts (docs/cost-model.md, Synthetic labels): what people
    are paid, at `label_cost_usd` for each label they write or check, and the generator's tokens (which
    follow the API's price trend). A share s of the examples is generated (0 human, 1 synthetic,
    `synthetic_share` mixed), and `synthetic_review_share` of those is checked by a person:

        people = label_cost_usd x ((1 - s) + s x review share)
        tokens = s x (synthetic_prompt_tokens x generator input + (input + output tokens) x generator output) / 1e6
    """
    source = x["fine_tuning.labels_source"]  # the choice's index: human, synthetic, mixed
    s = np.where(source == 1, 1.0, np.where(source == 2, x["fine_tuning.synthetic_share"], 0.0))
    people = x["team.label_cost_usd"] * ((1.0 - s) + s * x["fine_tuning.synthetic_review_share"])
    written = x["workload.input_tokens"] + x["workload.output_tokens"]
    per_example = (
        x["fine_tuning.synthetic_prompt_tokens"] * x["fine_tuning.synthetic_prices.input"]
        + written * x["fine_tuning.synthetic_prices.output"]
    ) / 1e6
    return people, s * per_example


def replicas_for(x: Inputs, volume: np.ndarray, retrieved: np.ndarray | float = 0.0) -> np.ndarray:
    """(N, months) dedicated serving replicas for each month's requests: the peak rate's, at least min_replicas.

    The ceil is of the replicas needed less a relative 1e-12, so that a float error above a whole
    number (4.0000000000001) is not a fifth replica, while any traffic at all needs one (0.0001
    requests a month: ceil(~1e-12) = 1); no traffic and min_replicas 0: no GPU rented
    (docs/cost-model.md, section 7). The one formula of the kernel and of the break-even volume's steps.
    `retrieved`: the tokens of chunks each request also carries (the hybrid's; 0 for fine-tuning).
    """
    prefix = x["fine_tuning.system_prompt_tokens"]
    tokens_per_request = prefix + (x["workload.input_tokens"] + retrieved) + x["workload.output_tokens"]
    peak_tps = volume * _col(tokens_per_request * x["workload.peak_to_average"] / SECONDS_PER_MONTH)
    tps_per_replica = _col(np.nan_to_num(x["fine_tuning.tokens_per_second_per_replica"], nan=1.0))
    return np.maximum(_col(x["fine_tuning.min_replicas"]), np.ceil(peak_tps / tps_per_replica * (1 - 1e-12)))


def compute(x: Inputs) -> Costs:
    """Monthly costs of prompting, RAG, fine-tuning and the hybrid for every row of `x` (the hybrid's only
    when some row is a task of both kinds with RAG on: `Costs.hybrid_enabled`).

    Inputs of shape (1,) broadcast against (N,): a scenario with a few drawn
    inputs needs no copies of the others. Where a model's vendor has announced its end inside the
    horizon (the `lifecycle.*` inputs), each strategy moves to the successor on the vendor's date
    and pays for the move (docs/cost-model.md, Lifecycle); without them, one model serves throughout.
    """
    n = row_count(x)
    horizon = x["horizon_months"]
    months = np.arange(1, int(horizon.max()) + 1, dtype=np.float64)[None, :]
    shape = (n, months.shape[1])
    in_horizon = months <= _col(horizon)  # (1, months) unless horizons differ by row
    first = (months == 1).astype(np.float64)
    later = 1.0 - first
    volume = monthly_volume(x["workload.requests_per_month"], x, months, in_horizon)
    week = x["team.engineer_week_usd"]
    hour = _col(week) / HOURS_PER_WEEK
    api = price_trend(x["finance.api_price_change_per_year"], months)
    gpu = price_trend(x["finance.gpu_price_change_per_year"], months)
    golden = x["team.golden_examples"]
    lifecycle = {
        slot: seg
        for slot, seg in (
            ("prompting", _retired(x, "prompting")),
            ("rag", _retired(x, "rag")),
            ("embedding", _retired(x, "embedding")),
        )
        if seg is not None
    }
    migration_usd: dict[str, list[np.ndarray]] = {}

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
    # Each re-validation re-runs the golden set through the model, at its token price (correction 6).
    prompting_segments = lifecycle.get("prompting")
    prompt_request, prompt_by_month, prompt_models = _api_route(x, "prompting", prompting_segments, months, api)
    prompt_revalidation = x["prompting.revalidation_weeks"] * week
    if prompting_segments is not None:
        migration_usd["prompting"] = [
            _moved(start, prompt_revalidation + golden * request * _trend_at(api, start))
            for start, request in zip(prompting_segments.starts[1:], prompt_models[1:], strict=True)
        ]
    prompt_revalidations = _revalidations(x, "prompting", prompting_segments, months)
    prompting: Series = (
        once(x["prompting.prompt_weeks"] * (1.0 - x["prompting.prompt_weeks_sunk"]) * week)
        + prompt_revalidations * _col(prompt_revalidation),
        None,
        evaluation + prompt_revalidations * _col(golden) * prompt_by_month,
        None,
        volume * prompt_by_month,
        None,
        None,
        _col(x["prompting.maintenance_hours"]) * hour,
    )

    # --- rag: retrieval + frontier model; prompting serves until it launches ---
    rag_segments = lifecycle.get("rag")
    rag_request, rag_by_month, rag_models = _api_route(x, "rag", rag_segments, months, api)
    rag_revalidation = x["rag.revalidation_weeks"] * week
    if rag_segments is not None:
        migration_usd["rag"] = [
            _moved(start, rag_revalidation + golden * request * _trend_at(api, start))
            for start, request in zip(rag_segments.starts[1:], rag_models[1:], strict=True)
        ]
    rag_pre = _pre_launch_share(months, x["rag.weeks_to_launch"])
    rag_served = volume * (1.0 - rag_pre)
    # Retrieval = what the index costs whatever the traffic + each query served through it (RAG's and
    # the hybrid's own traffic).
    embedding_segments = lifecycle.get("embedding")
    rerank = _col(x["rag.rerank_usd_per_1k_requests"] / 1000.0)
    if embedding_segments is None:
        embed_per_token = x["rag.embedding_prices.input"] / 1e6
        corpus_usd = x["rag.corpus_tokens"] * embed_per_token
        # corpus embedded in month 1, its churn re-embedded every later month, the plan fee, and per query
        index_usd = (
            once(corpus_usd)
            + _col(corpus_usd * x["rag.corpus_churn_share"]) * later * api
            + _col(x["rag.vector_db_monthly_usd"])
        )
        per_query = _col(x["workload.input_tokens"] * embed_per_token) * api + rerank
    else:
        # each embedding model's price while it serves; the whole corpus again at each move
        embed_prices = [
            p["input"] / 1e6
            for p in _chain_prices(x, "embedding", len(embedding_segments.starts), "rag.embedding_prices.", ("input",))
        ]
        corpus = [x["rag.corpus_tokens"] * price for price in embed_prices]
        migration_usd["embedding"] = [
            _moved(start, c * _trend_at(api, start))
            for start, c in zip(embedding_segments.starts[1:], corpus[1:], strict=True)
        ]
        corpus_by_month = embedding_segments.pick(months, corpus) * api
        per_token_by_month = embedding_segments.pick(months, embed_prices) * api
        moves = embedding_segments.moves(months)
        index_usd = (
            corpus_by_month * first
            + corpus_by_month * _col(x["rag.corpus_churn_share"]) * later
            + sum((move * _col(c) for move, c in zip(moves, corpus[1:], strict=True)), np.zeros((1, 1))) * api
            + _col(x["rag.vector_db_monthly_usd"])
        )
        per_query = _col(x["workload.input_tokens"]) * per_token_by_month + rerank
    retrieval = index_usd + rag_served * per_query
    rag_revalidations = _revalidations(x, "rag", rag_segments, months)
    rag: Series = (
        once(x["rag.build_weeks"] * week) + rag_revalidations * _col(rag_revalidation),
        None,
        evaluation + rag_revalidations * _col(golden) * rag_by_month,
        None,
        volume * rag_pre * prompt_by_month + rag_served * rag_by_month,
        None,
        retrieval,
        _col(x["rag.maintenance_hours"]) * hour,
    )

    # --- fine_tuning: training cycles, then the tuned model; prompting serves until it launches ---
    gpu_hour = np.nan_to_num(x["fine_tuning.gpu_hour_usd"])
    dedicated = x["fine_tuning.deployment"] == DEDICATED
    replica_month_of = x["fine_tuning.gpus_per_replica"] * gpu_hour * MONTH_HOURS
    ft_prices = {name: x[f"fine_tuning.prices.{name}"] for name in (*_TOKEN_NAMES, "training")}
    new_share = x["fine_tuning.new_label_share"]
    label_people, label_tokens = _label_costs(x)
    missing_labels = np.maximum(0.0, x["fine_tuning.training_examples"] - x["task.labeled_examples"])
    new_labels = new_share * x["fine_tuning.training_examples"] * label_people
    bought = missing_labels * label_people
    new_generated: np.ndarray | None = None  # the API tokens of synthetic labels, which follow the API's prices
    if np.any(label_tokens):
        new_generated = new_share * x["fine_tuning.training_examples"] * label_tokens
        bought = bought + missing_labels * label_tokens
    curation = x["fine_tuning.curation_weeks"]
    full_cycle_people = (x["fine_tuning.weeks_per_cycle"] + curation) * week
    relabel_usd = _col(new_labels) if new_generated is None else _col(new_labels) + _col(new_generated) * api
    tune = _tune_segments(x, n)
    not_maintainable_from = None
    if tune is not None:
        lifecycle["fine_tuning"] = tune[0]
        not_maintainable_from = tune[1]

    def tuned_route(retrieved: np.ndarray | float, weeks_to_launch: np.ndarray, fallback: np.ndarray) -> _Tuned:
        """A tuned model's route: fine-tuning's (`retrieved` 0), or the hybrid's, whose requests and
        training examples also carry `retrieved` tokens of chunks (docs/cost-model.md, sections 6 and
        26). Prompting serves until `weeks_to_launch`; `fallback` (N, 1 or months) serves the months
        after the tune cannot be kept up."""
        variable = x["workload.input_tokens"] + retrieved
        ft_prefix = x["fine_tuning.system_prompt_tokens"]
        tokens_per_request = ft_prefix + variable + x["workload.output_tokens"]
        train_tokens = x["fine_tuning.training_examples"] * tokens_per_request * x["fine_tuning.epochs"]
        gpu_hours_per_run = train_tokens / np.nan_to_num(x["fine_tuning.training_tokens_per_second"], nan=1.0) / 3600.0

        def tune_request(prices: dict[str, np.ndarray], dedicated: np.ndarray) -> np.ndarray:
            """(N,) USD per request on a tuned model (0 on dedicated GPUs, paid by the hour)."""
            return np.where(
                dedicated,
                0.0,
                request_cost(
                    variable_tokens=variable,
                    prefix_tokens=ft_prefix,
                    output_tokens=x["workload.output_tokens"],
                    price_in=prices["input"],
                    price_cached=prices["cached_input"],
                    price_out=prices["output"],
                    cache_hit_rate=x["fine_tuning.cache_hit_rate"],
                    batch_share=x["fine_tuning.batch_share"],
                    batch_discount=prices["batch_discount"],
                ),
            )

        def run_cost(training: np.ndarray, dedicated: np.ndarray) -> np.ndarray:
            """(N,) one training run: the provider's price per training token, or GPU-hours on your own
            GPUs (dedicated), or the cost per run entered directly."""
            return np.where(
                np.isnan(x["fine_tuning.cost_per_run_usd"]),
                np.where(dedicated, gpu_hours_per_run * gpu_hour, train_tokens * np.nan_to_num(training) / 1e6),
                x["fine_tuning.cost_per_run_usd"],
            )

        def run_trend(dedicated: np.ndarray) -> np.ndarray:
            """(N, 1 or months) the price trend of a run: GPU hours on dedicated GPUs, the API's per-token
            training price otherwise; none on a cost per run entered directly."""
            own = _col(np.isnan(x["fine_tuning.cost_per_run_usd"]))
            return np.where(own, np.where(_col(dedicated), gpu, api), 1.0)

        request = tune_request(ft_prices, dedicated)
        pre = _pre_launch_share(months, weeks_to_launch)
        # Dedicated GPUs: replicas for the peak rate, billed for the share of the month after launch.
        replicas = replicas_for(x, volume, retrieved)
        moves_usd: list[np.ndarray] = []
        if tune is None:
            # The schedule of cycles: the first (full) in month 1, a full one again at each base-model
            # deprecation, a lighter retraining cycle every retrain_every_months otherwise.
            per_run = _col(run_cost(ft_prices["training"], dedicated)) * run_trend(dedicated)
            redo = _every(months, x["fine_tuning.base_model_deprecation_months"])
            full = first + redo
            relabel = redo
            alive: np.ndarray | float = 1.0
            by_month = _col(request) * api
            replica_month = _col(np.where(dedicated, replica_month_of, 0.0)) * gpu
        else:
            segments, end = tune
            count = len(segments.starts)
            chain = _chain_prices(x, "fine_tuning", count, "fine_tuning.prices.", (*_TOKEN_NAMES, "training"))
            deployed = [dedicated] + [x[lifecycle_key("fine_tuning", k, "dedicated")] > 0 for k in range(1, count)]
            runs = [run_cost(p["training"], d) for p, d in zip(chain, deployed, strict=True)]
            run_trends = [run_trend(d) for d in deployed]
            tune_requests = [tune_request(p, d) for p, d in zip(chain, deployed, strict=True)]
            live = months < _col(end)
            alive = live.astype(np.float64)
            moves = [move * alive for move in segments.moves(months)]
            moves_usd = [
                _moved(
                    start,
                    full_cycle_people
                    + new_labels
                    + (0.0 if new_generated is None else new_generated * _trend_at(api, start))
                    + x["fine_tuning.runs_per_cycle"] * run * _trend_at(trend, start)
                    + golden * request * _trend_at(api, start),
                )
                * (start < end)
                for start, run, trend, request in zip(
                    segments.starts[1:], runs[1:], run_trends[1:], tune_requests[1:], strict=True
                )
            ]
            per_run = segments.pick(months, [_col(run) * trend for run, trend in zip(runs, run_trends, strict=True)])
            redo = segments.cadence(months, x["fine_tuning.base_model_deprecation_months"]) * alive
            moved = sum(moves, np.zeros((1, 1)))
            full = first * alive + redo + moved
            relabel = redo + moved
            by_month = np.where(live, segments.pick(months, tune_requests) * api, fallback)
            replica_month = segments.pick(months, [np.where(d, replica_month_of, 0.0) for d in deployed]) * alive * gpu
            request = by_month[:, 0]  # month 1: the trend's factor is 1
        retrain = _every(months, x["fine_tuning.retrain_every_months"]) * (1.0 - full) * alive
        reruns = full - first * alive + retrain
        """Evaluations after the first: each retraining, each full redo, each move to a successor."""
        series: Series = (
            full * _col(full_cycle_people)
            + retrain * _col((x["fine_tuning.retrain_weeks"] + curation * new_share) * week),
            once(bought) + (relabel + retrain) * relabel_usd,
            evaluation + reruns * _col(golden) * by_month,
            full * _col(x["fine_tuning.runs_per_cycle"]) * per_run
            + retrain * _col(x["fine_tuning.retrain_runs"]) * per_run,
            volume * (pre * prompt_by_month + (1.0 - pre) * by_month),
            replicas * (1.0 - pre) * replica_month,
            None,
            (_col(x["fine_tuning.monitoring_usd_per_month"]) + _col(x["fine_tuning.maintenance_hours"]) * hour) * alive,
        )
        return _Tuned(series, request, pre, moves_usd)

    fine_tuning = tuned_route(0.0, x["fine_tuning.weeks_to_launch"], prompt_by_month)
    if tune is not None:
        migration_usd["fine_tuning"] = fine_tuning.moves_usd
    strategies = {"prompting": prompting, "rag": rag, "fine_tuning": fine_tuning.series}
    hybrid_enabled = (x["task.kind"] == BOTH) & (x["rag.enabled"] > 0)
    hybrid_request: np.ndarray = np.zeros(1)
    if np.any(hybrid_enabled):
        # --- hybrid: RAG's retrieval feeding the tune (docs/cost-model.md, section 26) ---
        hybrid = tuned_route(
            x["rag.retrieved_chunks"] * x["rag.chunk_tokens"],
            np.maximum(x["rag.weeks_to_launch"], x["fine_tuning.weeks_to_launch"]),
            rag_by_month,
        )
        if tune is not None:
            lifecycle["hybrid"] = lifecycle["fine_tuning"]
            migration_usd["hybrid"] = hybrid.moves_usd
        engineering, labeling, evaluated, training, inference, hosting, _, maintenance = hybrid.series
        assert engineering is not None and maintenance is not None  # a tuned route always has them
        strategies["hybrid"] = (
            engineering + once(x["rag.build_weeks"] * week),
            labeling,
            evaluated,
            training,
            inference,
            hosting,
            index_usd + volume * (1.0 - hybrid.pre) * per_query,
            maintenance + _col(x["rag.maintenance_hours"]) * hour,
        )
        hybrid_request = hybrid.request
    else:  # no row asks for it: nothing to cost (its totals are left out, like a disabled RAG's)
        strategies["hybrid"] = (None,) * len(CATEGORIES)

    series = _with_extra_costs(x, months, strategies)
    monthly_totals = {name: _monthly_total(cats, in_horizon) for name, cats in series.items()}

    def per_row(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, (n,))

    return Costs(
        requests=np.broadcast_to(volume, shape),
        in_horizon=np.broadcast_to(in_horizon, shape),
        series=series,
        monthly_totals=monthly_totals,
        rag_enabled=per_row(x["rag.enabled"] > 0),
        hybrid_enabled=per_row(hybrid_enabled),
        per_request={
            "prompting": per_row(prompt_request),
            "rag": per_row(rag_request),
            "fine_tuning": per_row(fine_tuning.request),
            "hybrid": per_row(hybrid_request),
        },
        lifecycle=lifecycle,
        migration_usd=migration_usd,
        not_maintainable_from=not_maintainable_from,
    )


@dataclass(frozen=True)
class _Tuned:
    """What `compute` keeps of a tuned route (fine-tuning's or the hybrid's)."""

    series: Series
    request: np.ndarray
    """(N,) USD per request in month 1."""
    pre: np.ndarray
    """(N, months) share of each month before it launches."""
    moves_usd: list[np.ndarray]
    """(N,) cost of the move into tune k, for k = 1, 2, ... (empty: nothing announced)."""


def _with_extra_costs(x: Inputs, months: np.ndarray, series: dict[str, Series]) -> dict[str, Series]:
    """The strategies' categories plus the scenario's own cost lines (`extra_costs`): line i adds its
    one-time amount in month `from_month` and its monthly amount in every month from it on, to the
    category it names, in each strategy it names (docs/cost-model.md, Own cost lines)."""
    lines = 0
    while extra_cost_key(lines, "one_time_usd") in x:
        lines += 1
    if lines == 0:
        return series
    out = {name: list(cats) for name, cats in series.items()}
    for i in range(lines):
        start = _col(x[extra_cost_key(i, "from_month")])
        one_time = _col(x[extra_cost_key(i, "one_time_usd")]) * (months == start)
        amount = one_time + _col(x[extra_cost_key(i, "monthly_usd")]) * (months >= start)
        category = np.asarray(x[extra_cost_key(i, "category")])
        for name in STRATEGIES:
            applies = _col(x[extra_cost_key(i, f"applies.{name}")])
            if not applies.any():
                continue
            for k in np.unique(category).astype(int):
                share = amount * applies * _col(category == k)
                before = out[name][k]
                out[name][k] = share if before is None else before + share
    return {name: tuple(cats) for name, cats in out.items()}


def _moved(start: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """(N,) the cost of a move that starts in month `start`: nothing in month 1 (the successor serves
    from the start) or when the move never happens."""
    return np.where((start[:, 0] > 1) & np.isfinite(start[:, 0]), cost, 0.0)
