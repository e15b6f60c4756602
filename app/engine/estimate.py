"""The Estimate document (docs/api.md) and the functions that produce it.

`estimate` and `estimate_many` share one path: scenarios are flattened into
arrays, costed by the kernel in one call, decided in one call, and only then
turned into documents, rounded to cents.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from . import comparison
from .headline import GATE_WHY, TUNED_NAMES, Facts, headline, money, percent, readiness_line
from .inputs import Inputs, build_inputs, slot_chain
from .kernel import COMPUTE_ONLY, Costs, compute
from .prices import PriceSheet
from .scenario import (
    CATEGORIES,
    MIN_LABELED_EXAMPLES,
    STRATEGIES,
    STRATEGY_LABELS,
    TCO_RULE,
    Scenario,
    Strategy,
    month_of,
    period,
    periods_of,
    strategy_options,
    year_label,
)
from .uncertainty import RangeError, triangles, uncertainty_document
from .verdict import (
    GATE_NAMES,
    NPV,
    Verdicts,
    break_even_volume,
    decide,
    totals_on_lines,
    with_volume_pairs,
)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class CategoryCosts(_Out):
    """USD in one month, by cost category (the same names in charts, CSV and API)."""

    engineering: float
    labeling: float
    evaluation: float
    training: float
    inference: float
    hosting: float
    retrieval: float
    maintenance: float


class MonthCost(_Out):
    month: int
    """1 = the first month of production traffic."""
    period: str
    """Its calendar month, "YYYY-MM" (month 1 is the scenario's `start_month`)."""
    total_usd: float
    """The sum of its categories, to the cent (docs/cost-model.md, section 11: tie-out)."""
    categories: CategoryCosts


class YearCost(_Out):
    """One calendar or fiscal year of a strategy: the sum of its months inside the horizon."""

    year: int
    """The calendar year, or the calendar year a fiscal year ends in (FY2027: 2027)."""
    label: str
    """"2027", or "FY2027" with a fiscal year (`finance.fiscal_year_start_month` > 1): the year it ends in."""
    first_period: str
    """Its first month inside the horizon, "YYYY-MM"."""
    last_period: str
    """Its last month inside the horizon: a first or last year may be partial."""
    months: int
    total_usd: float
    """The sum of its months' `total_usd`, to the cent."""
    categories: CategoryCosts
    """The sum of its months' categories, to the cent."""


class StrategyEstimate(_Out):
    total_usd: float
    """TCO: the sum of the monthly series over the horizon, to the cent (each figure in cents ties out:
    docs/cost-model.md, section 11)."""
    monthly: list[MonthCost]
    cumulative_usd: list[float]
    """Cumulative cost at the end of each month: the running sum of the months' `total_usd`."""
    npv_usd: float
    """Present value of the months at `finance.discount_rate`, each discounted from its end to the
    start month: sum of month_m / (1 + rate)^(m / 12), to the cent (the TCO when the rate is 0)."""
    annual: list[YearCost]
    """The months by calendar year, or fiscal year (`finance.fiscal_year_start_month`); they add up to
    `total_usd`."""
    cost_per_1k_requests_usd: float | None
    """`total_usd` per 1,000 requests served over the horizon; empty when no request is served."""
    request_usd: float
    """Token cost of one request on this strategy's own route (0 on dedicated GPUs, paid by the hour)."""
    compute_only_usd: float | None = None
    """Fine-tuning and hybrid only: training runs, inference and hosting, the naive estimate (002: TCO is
    3-5x it)."""
    not_maintainable_from_month: int | None = None
    """Fine-tuning and hybrid only: the month from which the tune cannot be kept up (its provider stops
    serving it or takes no new training job, and nothing names where it moves); its traffic then goes
    back to prompting (the hybrid's to RAG). Empty: it can be kept up over the whole horizon."""


class LifecycleEvent(_Out):
    """A vendor's announced end of a model, inside the horizon, and what the estimate did about it."""

    month: int
    period: str
    """The calendar month of `month`, "YYYY-MM"."""
    strategy: Strategy
    model: str
    """The catalog id of the model that ends."""
    event: Literal["migration", "not_maintainable"]
    """migration: the successor serves from this month, and the move is costed; not_maintainable: the
    tune cannot be kept up from this month (no successor that can still be tuned)."""
    successor: str | None
    """The catalog id that takes over; empty when none is named (a replacement at the same prices)."""
    cost_usd: float
    """What the move costs in this month: a re-validation, a re-embedding of the corpus, or a full
    training cycle (0 in month 1: the successor serves from the start)."""
    note: str


class Gate(_Out):
    id: int = Field(ge=1, le=6)
    name: str
    passed: bool
    reason: str
    """What this scenario gives for the gate."""
    why: str
    """Why the gate exists, whatever the scenario (002)."""


class VerdictLine(_Out):
    passed: bool
    text: str


class OtherBasis(_Out):
    """What the 2x rule gives on the basis the verdict does not use (present with a discount rate)."""

    basis: Literal["nominal", "npv"]
    recommendation: Strategy
    simpler: Strategy
    tco_ratio: float | None
    """TCO(simpler) / TCO(tuned) on this basis, to 4 decimals; empty when the tuned route costs nothing."""


class Verdict(_Out):
    recommendation: Strategy
    simpler: Strategy
    """The cheaper feasible of prompting and RAG."""
    tuned: Literal["fine_tuning", "hybrid"] = "fine_tuning"
    """The tuned route the 2x rule weighs against `simpler`: fine_tuning, or hybrid (RAG's retrieval
    feeding a tune) when `task.kind` is both."""
    tco_ratio: float | None
    """TCO(simpler) / TCO(tuned) of the exact totals, before rounding (the verdict's), to 4 decimals;
    empty when the tuned route costs nothing."""
    gates: list[Gate]
    """The six gates of 002, applied to the tuned route."""
    break_even_month: int | None
    """First month from which the tuned route's cumulative cost stays at or below simpler's; empty = never."""
    half_cost_month: int | None
    """First month from which it stays at or below half of simpler's; empty = never."""
    break_even_requests_per_month: float | None
    """Month-1 volume above which the tuned route wins by 2x; empty = never below 1e12."""
    latency_rules_out_apis: bool
    """A hard latency budget that neither prompting nor RAG meets."""
    summary: str
    """The answer in plain words: what to do, the money and the reason (the page's headline)."""
    cost: VerdictLine
    """Gate 5 in one line: the ratio against the 2x rule (or a hard latency need)."""
    readiness: VerdictLine
    """Gates 1-4 and 6 in one line: ready, or what is missing. When it and `cost` disagree, `summary`
    says so ("2.07x cheaper, but the team is not ready yet: ...")."""
    basis: Literal["nominal", "npv"] = "nominal"
    """The totals the 2x rule weighed: nominal TCO, or present values (`finance.verdict_basis`)."""
    other_basis: OtherBasis | None = None
    """With a discount rate other than 0: the verdict on the other basis (the summary says when they
    disagree); empty otherwise."""


class PriceUsed(_Out):
    id: str
    values: dict[str, float]
    """The numbers the estimate used, overrides applied."""
    overridden: list[str]
    """Which of `values` came from the scenario rather than the catalog."""
    source: str
    as_of: str | None
    note: str | None = None
    """The catalog's caveat on these numbers, if any."""


class StrategyPercentiles(_Out):
    p10_usd: float
    """TCO over the horizon that 10% of draws fall below."""
    p50_usd: float
    """The median TCO of the draws."""
    p90_usd: float
    """TCO that 90% of draws fall below."""
    mean_usd: float
    cumulative_usd: dict[Literal["p10", "p50", "p90"], list[float]] | None = None
    """Cumulative cost per month at P10, P50 and P90 (the fan chart), from the first 10,000 draws;
    absent with detail=summary."""


class RangeUsed(_Out):
    path: str
    low: float
    mode: float
    """The value the point estimate uses: the peak of the triangle."""
    high: float
    source: str


class Histogram(_Out):
    edges: list[float]
    """Bin edges, one more than `counts`; the tails beyond P0.5 and P99.5 are counted in the end bins."""
    counts: list[int]


class RatioDistribution(_Out):
    p10: float | None
    p50: float | None
    p90: float | None
    histogram: Histogram


class TornadoInput(_Out):
    path: str
    """The input moved, by its scenario path."""
    low: float
    high: float
    from_range: bool
    """True: the scenario's range; false: its value +-30%, within the input's bounds."""
    tco_ratio_low: float | None
    """TCO ratio with this input at `low`, every other at its value."""
    tco_ratio_high: float | None
    recommendation_low: Strategy
    recommendation_high: Strategy


class Tornado(_Out):
    tco_ratio: float | None
    """The point estimate's ratio, where every bar starts."""
    inputs: list[TornadoInput]
    """The ten inputs that swing the TCO ratio most, largest swing first."""


class UncertaintyEstimate(_Out):
    """Monte Carlo over the ranged inputs and the tornado (cost-model.md, Uncertainty and sensitivity)."""

    draws: int
    seed: int
    ranges: list[RangeUsed]
    """The ranged inputs as drawn: triangles of (low, mode, high)."""
    strategies: dict[Strategy, StrategyPercentiles]
    tco_ratio: RatioDistribution
    """Distribution of TCO(simpler) / TCO(fine_tuning) over the draws."""
    win_probability: float
    """Share of draws in which fine-tuning wins by at least 2x on TCO."""
    gate5_probability: float
    """Share of draws in which gate 5 passes (2x on TCO, or a hard latency need)."""
    recommendation_shares: dict[Strategy, float]
    """Share of draws recommending each strategy (all gates applied)."""
    summary: str
    tornado: Tornado


class ModelPriced(_Out):
    model: str
    """Catalog id of the API model prompting and RAG are priced on."""
    chosen: bool
    """The scenario's own `prompting.model` (the first row)."""
    acceptable: bool
    """Marked good enough for the task (`prompting.acceptable`; the chosen model always is)."""
    route: Strategy
    """The simpler route on this model (prompting or rag): what the 2x rule would weigh."""
    total_usd: float
    """The route's TCO over the horizon, to the cent."""
    cost_per_1k_requests_usd: float
    saving_usd: float
    """The chosen model's simpler TCO less this one's: what moving to it saves (negative: costs more)."""
    prompting_total_usd: float
    rag_total_usd: float | None
    """None when rag is not an option."""
    events: list[LifecycleEvent]
    """This model's announced shutdowns inside the horizon, and the moves they cost."""


class ModelComparison(_Out):
    """Prompting and RAG priced on each of `prompting.candidates` (docs/cost-model.md, section 25)."""

    chosen_model: str
    baseline_model: str
    """The model the strategies above are priced on: the chosen one, or the cheapest candidate marked
    good enough when it costs less."""
    summary: str
    """The comparison in words: advice, and whether it moved the baseline of the 2x rule."""
    models: list[ModelPriced]
    """The chosen model first, then each candidate in the order given."""


class Estimate(_Out):
    scenario_name: str
    start_month: str
    """The calendar month of month 1, "YYYY-MM"."""
    horizon_months: int
    currency: str = "USD"
    """ISO 4217 code of every amount below (`finance.currency`): amounts are converted from USD at
    `finance.usd_to_currency` at the edge; the names keep their `_usd` suffix so that bindings hold."""
    monthly_requests: list[float]
    """Requests served in each month, whatever the strategy."""
    strategies: dict[Strategy, StrategyEstimate]
    """A strategy that is not an option is absent: rag when disabled, hybrid unless `task.kind` is both."""
    verdict: Verdict
    lifecycle_events: list[LifecycleEvent]
    """Announced shutdowns and ends of training inside the horizon, in month order."""
    prices_used: dict[str, PriceUsed]
    catalog_version: str
    uncertainty: UncertaintyEstimate | None = None
    """Present when asked for (`uncertainty=true`): percentiles over the ranged inputs, and the tornado."""
    model_comparison: ModelComparison | None = None
    """Present when the scenario names `prompting.candidates`: the same workload on each API model."""


def run(inputs: Inputs) -> tuple[Costs, Verdicts]:
    """Kernel and verdict over arrays: the shared path of every estimate."""
    costs = compute(inputs)
    return costs, decide(inputs, costs)


def estimate(scenario: Scenario, sheet: PriceSheet) -> Estimate:
    return estimate_many([scenario], [sheet])[0]


def estimate_many(scenarios: Sequence[Scenario], sheets: Sequence[PriceSheet]) -> list[Estimate]:
    """Many scenarios through one kernel call; equal to estimating each alone."""
    return [Estimate.model_validate(doc) for doc in estimate_documents(scenarios, sheets)]


Detail = Literal["full", "summary"]


def estimate_documents(
    scenarios: Sequence[Scenario],
    sheets: Sequence[PriceSheet],
    *,
    detail: Detail = "full",
    uncertainty: bool = False,
    keep: list[VolumeLines] | None = None,
) -> list[dict[str, Any]]:
    """The Estimate documents as plain dicts, for faces that serialise them directly.

    `keep`, for one scenario, receives its `VolumeLines`: the page's volume chart then needs no
    kernel call of its own.

    Their shape is `Estimate`'s (tests validate every one); skipping the model
    saves re-validating a thousand numbers per scenario on the API's hot path.
    `detail="summary"` leaves out each strategy's `monthly` and `cumulative_usd`
    and keeps month 1 of `monthly_requests`: a batch of thousands then never
    builds the per-month lists it would throw away. `uncertainty` adds Monte Carlo and the
    tornado to each document, one scenario at a time (each is thousands of kernel rows). Ranges
    are checked against the prices either way: `RangeError` names the scenario by its index.

    A scenario with `prompting.candidates` gets its `model_comparison`, and is estimated on its
    baseline model (`comparison.compare`).
    """
    comparisons: dict[int, dict[str, Any]] = {}
    if any(comparison.compared(s, sh) for s, sh in zip(scenarios, sheets, strict=True)):
        scenarios, sheets, comparisons = comparison.compare(scenarios, sheets, _summaries)
    docs = _documents(scenarios, sheets, detail=detail, uncertainty=uncertainty, keep=keep)
    for i, found in comparisons.items():
        docs[i]["model_comparison"] = found
        if found["baseline_model"] != found["chosen_model"]:
            docs[i]["verdict"]["summary"] += f" {found['summary']}"
    return docs


def _summaries(scenarios: Sequence[Scenario], sheets: Sequence[PriceSheet]) -> list[dict[str, Any]]:
    return _documents(scenarios, sheets, detail="summary", uncertainty=False, keep=None)


def _documents(
    scenarios: Sequence[Scenario],
    sheets: Sequence[PriceSheet],
    *,
    detail: Detail,
    uncertainty: bool,
    keep: list[VolumeLines] | None,
) -> list[dict[str, Any]]:
    """`estimate_documents` without the model comparison."""
    inputs = build_inputs(scenarios, sheets)
    n = len(scenarios)
    together = compute(with_volume_pairs(inputs, n))  # one kernel call: the rows and their break-even pairs
    costs, pair = together.rows(0, n), together.rows(n, 3 * n)
    if keep is not None and n == 1:
        keep.append((inputs, pair))
    verdicts = decide(inputs, costs)
    other = _other_basis(inputs, costs)
    volumes = break_even_volume(inputs, pair=pair)
    sums = _horizon_sums(costs, verdicts, inputs["finance.usd_to_currency"], [s.finance.currency for s in scenarios])
    memo: dict[tuple[Any, ...], Any] = {}
    docs = [
        _document(i, scenario, sheet, costs, verdicts, other, sums, volumes[i], full=detail == "full", memo=memo)
        for i, (scenario, sheet) in enumerate(zip(scenarios, sheets, strict=True))
    ]
    for i, (scenario, doc) in enumerate(zip(scenarios, docs, strict=True)):
        if not (uncertainty or scenario.ranges):
            continue
        row = {k: v[i : i + 1] for k, v in inputs.items()}
        try:
            if uncertainty:
                doc["uncertainty"] = uncertainty_document(
                    scenario, row, int(verdicts.recommendation[i]), full=detail == "full"
                )
            else:  # a range that misses a catalog price is an error whether or not it is drawn today
                triangles(scenario, row)
        except RangeError as exc:
            exc.index = i
            raise
    return docs


def _other_basis(inputs: Inputs, costs: Costs) -> Verdicts | None:
    """The verdicts on the basis each row does not use, when some row has a discount rate (else None)."""
    if not np.any(inputs["finance.discount_rate"]):
        return None
    flipped = dict(inputs)
    flipped["finance.verdict_basis"] = NPV - np.asarray(inputs["finance.verdict_basis"])
    return decide(flipped, costs, crossings=False)


VolumeLines = tuple[Inputs, Costs]
"""One scenario's inputs and its costs at two month-1 volumes (`with_volume_pairs`): all the volume
chart needs (`tco_by_volume`), kept from the estimate's own kernel call by `estimate_documents(keep=...)`."""


def tco_by_volume(
    scenario: Scenario, sheet: PriceSheet, volumes: Sequence[float], *, lines: VolumeLines | None = None
) -> dict[str, list[float | None]]:
    """TCO of each strategy over the horizon if month 1 served each of `volumes` requests (growth
    kept): the curve of the volume chart, in the scenario's currency, to the cent; None where rag is
    not an option. Read off the costs at two volumes (`totals_on_lines`): the estimate's (`lines`),
    or two kernel rows costed here."""
    if lines is None:
        inputs = build_inputs([scenario], [sheet])
        lines = inputs, compute(with_volume_pairs(inputs, 1, pairs_only=True))
    volume_rows = np.asarray(volumes, dtype=np.float64)[None, :]
    totals = totals_on_lines(*lines, volume_rows)[0] * scenario.finance.usd_to_currency
    return {
        s: [None if math.isnan(v) else round(v, 2) for v in totals[:, k].tolist()] for k, s in enumerate(STRATEGIES)
    }


# --- documents ---


def _cents(a: np.ndarray) -> list[float]:
    return [float(v) for v in np.round(a, 2)]


def tied_cents(monthly: np.ndarray) -> np.ndarray:
    """Integer cents of (N, months, 8) exact costs that tie out (docs/cost-model.md, Tie-out).

    Months first: the running sum of the exact monthly totals is rounded to the cent, and each month
    is the step between two rounded running sums, so the months add up to the total and the running
    total is within half a cent of the exact one. Then each month's cents are shared among its
    categories by largest remainder: each category gets its exact value rounded down, and the cents
    left go one each to the categories with the largest fractions. So a month's categories add up to
    the month, and no cell, month or total is a cent or more from its exact value. Costs are never
    negative: a rounding residue below zero counts as zero (no "-0.00" anywhere).
    """
    exact = np.maximum(monthly, 0.0) * 100.0
    running = np.rint(np.cumsum(exact.sum(axis=2), axis=1))
    month = np.diff(running, axis=1, prepend=0.0)
    floor = np.floor(exact)
    left = (month - floor.sum(axis=2)).astype(np.int64)  # 0 to 8 cents to hand out per month
    rank = np.argsort(np.argsort(floor - exact, axis=2, kind="stable"), axis=2, kind="stable")
    return (floor + (rank < left[..., None])).astype(np.int64)


@dataclass(frozen=True)
class _HorizonSums:
    """Per-row sums over each row's horizon, for all rows at once (summary and full documents alike)."""

    totals: dict[str, list[float]]
    """Exact: the verdict's (present values on the npv basis), in the row's currency."""
    cents: dict[str, np.ndarray]
    """(N, months, 8) tied-out cents of each strategy (`tied_cents`): every figure shown is made of these.
    The hybrid's only when some row has it (`Costs.hybrid_enabled`)."""
    total_cents: dict[str, list[int]]
    """Each row's sum of its cents (months past its horizon hold none), summed for all rows at once."""
    served: list[float]


MAX_SHOWN = 9e13
"""The largest total a document shows: 2^53 cents (9.007e13 units) is where float64 stops holding every
cent, and integer cents stop fitting the exports' numbers."""


class AmountTooLarge(ValueError):
    """A scenario whose costs are too large to show to the cent (`MAX_SHOWN`): row `index` of a batch."""

    def __init__(self, index: int, total: float, currency: str) -> None:
        super().__init__(
            f"the costs reach {total:,.3g} {currency} over the horizon, more than {MAX_SHOWN:,.0f}, which no "
            "figure can show to the cent: check the volume, the prices and the exchange rate"
        )
        self.index = index


def _horizon_sums(costs: Costs, v: Verdicts, usd_to_currency: np.ndarray, currencies: Sequence[str]) -> _HorizonSums:
    """The sums of every row, converted from USD to each row's currency before the cents are tied out;
    AmountTooLarge when a row's costs cannot be shown to the cent."""
    shape = costs.in_horizon.shape
    rate = np.broadcast_to(usd_to_currency, shape[:1])
    cents: dict[str, np.ndarray] = {}
    for s in STRATEGIES:
        shown = costs.in_horizon
        if s == "hybrid":  # only where it is an option: a batch costs it for every row when one row asks
            if not costs.hybrid_enabled.any():
                continue  # no document shows it: no cents to tie out
            shown = np.logical_and(shown, costs.hybrid_enabled[:, None])
        cells = np.zeros((*shape, len(CATEGORIES)))
        for k, c in enumerate(costs.series[s]):
            if c is not None:
                cells[:, :, k] = np.where(shown, c, 0.0)  # np.where broadcasts c itself
        cells *= rate[:, None, None]
        totals = np.abs(cells).sum(axis=(1, 2))
        if not (np.all(np.isfinite(totals)) and totals.max(initial=0.0) < MAX_SHOWN):
            i = int(np.argmax(np.where(np.isfinite(totals), totals, np.inf)))
            raise AmountTooLarge(i, float(totals[i]), currencies[i])
        cents[s] = tied_cents(cells)
    return _HorizonSums(
        totals={s: (v.totals[:, k] * rate).tolist() for k, s in enumerate(STRATEGIES)},
        cents=cents,
        total_cents={s: c.sum(axis=(1, 2)).tolist() for s, c in cents.items()},
        served=np.cumsum(costs.requests, axis=1)[:, -1].tolist(),  # a running sum, as Costs.totals
    )


def present_value(month_cents: np.ndarray, rate: float) -> float:
    """USD today of the months' cents, month m discounted by (1 + rate)^(m / 12) (end of month)."""
    months = np.arange(1, month_cents.shape[0] + 1)
    return round(float((month_cents / (1.0 + rate) ** (months / 12.0)).sum()) / 100, 2)


def _strategy_doc(
    cents: np.ndarray, total_cents: int, served: float, request_usd: float, rate: float
) -> dict[str, Any]:
    """Total and cost per 1,000 requests from a row's tied-out cents (months, 8) and their sum: the total
    is the sum of the cells shown, and the rate is computed from it."""
    total = total_cents / 100
    return {
        "total_usd": total,
        "npv_usd": total if rate == 0 else present_value(cents.sum(axis=1), rate),
        "cost_per_1k_requests_usd": round(total / served * 1000, 2) if served > 0 else None,
        "request_usd": round(request_usd, 8),
    }


@dataclass(frozen=True)
class _Calendar:
    """The calendar months of a document and its years, worked out once for all its strategies."""

    periods: list[str]
    """"YYYY-MM" of months 1 .. H."""
    years: list[tuple[str, int, int]]
    """(label, first month index, stop index) of each calendar or fiscal year, in order."""

    @classmethod
    def of(cls, scenario: Scenario) -> _Calendar:
        return _calendar(scenario.start_month, scenario.horizon_months, scenario.finance.fiscal_year_start_month)


@functools.lru_cache(maxsize=256)
def _calendar(start_month: str, horizon: int, fiscal_start: int) -> _Calendar:
    """A few calendars serve every estimate of a day (documents copy nothing out of it: strings, ints)."""
    periods = list(periods_of(start_month, horizon))
    labels = [year_label(p, fiscal_start) for p in periods]
    starts = [m for m, label in enumerate(labels) if m == 0 or label != labels[m - 1]]
    stops = [*starts[1:], len(labels)]
    return _Calendar(periods, [(labels[a], a, b) for a, b in zip(starts, stops, strict=True)])


def _annual(cents: np.ndarray, calendar: _Calendar) -> list[dict[str, Any]]:
    """The tied-out cents (months, 8) of a row summed by calendar or fiscal year, in order."""
    sums = np.add.reduceat(cents, [a for _, a, _ in calendar.years], axis=0)
    return [
        {
            "year": int(label.removeprefix("FY")),
            "label": label,
            "first_period": calendar.periods[a],
            "last_period": calendar.periods[b - 1],
            "months": b - a,
            "total_usd": total,
            "categories": dict(zip(CATEGORIES, c, strict=True)),
        }
        for (label, a, b), c, total in zip(calendar.years, _usd(sums), _usd(sums.sum(axis=1)), strict=True)
    ]


def _usd(cents: np.ndarray) -> Any:
    """Integer cents as dollars in Python floats, converted all at once: below 2^53 cents the float
    quotient is the correctly rounded one, bit for bit what `int(v) / 100` gives one by one."""
    return (cents / 100).tolist()


def _monthly(cents: np.ndarray, periods: list[str]) -> dict[str, Any]:
    """`monthly` and `cumulative_usd` of a row's tied-out cents (months, 8)."""
    month_cents = cents.sum(axis=1)
    return {
        "monthly": [
            {"month": m + 1, "period": p, "total_usd": t, "categories": dict(zip(CATEGORIES, row, strict=True))}
            for m, (p, t, row) in enumerate(zip(periods, _usd(month_cents), _usd(cents), strict=True))
        ],
        "cumulative_usd": _usd(np.cumsum(month_cents)),
    }


_SLOT_STRATEGY: dict[str, Strategy] = {
    "prompting": "prompting",
    "rag": "rag",
    "embedding": "rag",
    "fine_tuning": "fine_tuning",
    "hybrid": "hybrid",
}


def _at(a: np.ndarray, i: int) -> float:
    """Row i of an (N,) or (N, 1) array that may be a single broadcast row."""
    flat = np.asarray(a).reshape(-1)
    return float(flat[i if flat.size > 1 else 0])


def _short(id: str) -> str:
    """A catalog id without its provider, as people say it: openai:gpt-4o -> gpt-4o."""
    return id.partition(":")[2] or id


def _tune_stop_reason(model: Any, month: int, start_month: str) -> str:
    """Why a tune cannot go on in `month`: its shutdown, or a training cycle after training ends."""
    life = model.lifecycle
    if life is not None and life.shutdown_on is not None and max(1, month_of(start_month, life.shutdown_on)) == month:
        return f"{_short(model.id)} shuts down on {life.shutdown_on.isoformat()}"
    ends = life.training_ends_on.isoformat() if life is not None and life.training_ends_on else "?"
    return (
        f"{_short(model.id)} takes no new fine-tuning job from {ends}, and a training cycle falls "
        f"in month {month} ({period(start_month, month)})"
    )


def _events(i: int, scenario: Scenario, sheet: PriceSheet, costs: Costs) -> list[dict[str, Any]]:
    """The lifecycle events of row i inside its horizon, in month order (docs/cost-model.md, Lifecycle)."""
    start, horizon = scenario.start_month, scenario.horizon_months
    out: list[dict[str, Any]] = []
    for slot, segments in costs.lifecycle.items():
        strategy = _SLOT_STRATEGY[slot]
        if strategy not in strategy_options(scenario):
            continue
        models = slot_chain(sheet, slot)
        for k, first_month in enumerate(segments.starts[1:], 1):
            at = _at(first_month, i)
            if not at <= horizon:
                continue
            month = int(at)
            before = models[k - 1]
            after = models[k] if k < len(models) else None
            cost = round(_at(costs.migration_usd[slot][k - 1], i) * scenario.finance.usd_to_currency, 2)
            life = before.lifecycle
            if slot in ("fine_tuning", "hybrid"):
                reason = _tune_stop_reason(before, month, start)
                moved_by = (
                    "fine_tuning.move_to" if k == 1 and scenario.fine_tuning.move_to else "the catalog's successor"
                )
                how = f"{getattr(after, 'deployment', None)}, {moved_by}" if after is not None else moved_by
                what = f"the tune moves to {_short(after.id) if after else '?'} ({how}) with a full training cycle"
            else:
                when = life.shutdown_on.isoformat() if life and life.shutdown_on else "?"
                reason = f"{_short(before.id)} shuts down on {when}"
                target = _short(after.id) if after is not None else "a replacement at the same prices (none named)"
                if slot == "embedding":
                    tokens = f"{scenario.rag.corpus_tokens:,.0f} tokens"
                    what = f"costed as a move to {target}: the corpus re-embedded ({tokens})"
                else:
                    weeks = (scenario.prompting if slot == "prompting" else scenario.rag).revalidation_weeks
                    what = f"costed as a move to {target}, {weeks:g} week{'s' if weeks != 1 else ''} of re-validation"
                    if scenario.team.golden_examples:
                        what += " and the golden set scored"
            if month == 1:
                serves = _short(after.id) if after else "its replacement"
                note = (
                    f"{reason}, during month 1 ({period(start, 1)}): {serves} serves from the start, at no extra cost."
                )
            else:
                amount = f"{cost:,.2f} {scenario.finance.currency}"
                note = f"{reason} (month {month}, {period(start, month)}): {what} ({amount})."
            out.append(
                {
                    "month": month,
                    "period": period(start, month),
                    "strategy": strategy,
                    "model": before.id,
                    "event": "migration",
                    "successor": after.id if after is not None else None,
                    "cost_usd": cost,
                    "note": note,
                }
            )
    end = _not_maintainable_month(costs, i, horizon)
    if end is not None:
        starts = costs.lifecycle["fine_tuning"].starts
        last = [m for m, s in zip(slot_chain(sheet, "fine_tuning"), starts, strict=False) if _at(s, i) <= end][-1]
        for strategy, name, back_to in (("fine_tuning", "fine-tuning", "prompting"), ("hybrid", "the hybrid", "RAG")):
            if strategy not in strategy_options(scenario):
                continue
            out.append(
                {
                    "month": end,
                    "period": period(start, end),
                    "strategy": strategy,
                    "model": last.id,
                    "event": "not_maintainable",
                    "successor": None,
                    "cost_usd": 0.0,
                    "note": (
                        f"{_tune_stop_reason(last, end, start)}, and no base that can still be tuned is named: "
                        f"{name} cannot be kept up from month {end} ({period(start, end)}); its traffic goes "
                        f"back to {back_to}. Name where the tune moves (fine_tuning.move_to) to cost a move "
                        "instead."
                    ),
                }
            )
    return sorted(out, key=lambda e: (e["month"], STRATEGIES.index(e["strategy"])))


def _not_maintainable_month(costs: Costs, i: int, horizon: int) -> int | None:
    if costs.not_maintainable_from is None:
        return None
    end = _at(costs.not_maintainable_from, i)
    return int(end) if end <= horizon else None


def _plain(model: Any) -> dict[str, Any]:
    """A price-override model's fields as a dict: its `__dict__`, which is what `model_dump()` returns for
    these flat models of numbers, at a tenth of the cost (a batch builds this for every scenario)."""
    return dict(model.__dict__)


def _prices_used(scenario: Scenario, sheet: PriceSheet, memo: dict[tuple[Any, ...], Any]) -> dict[str, dict[str, Any]]:
    """Each priced item's values used, overrides and source. `memo` is one batch's: scenarios that use
    a catalog item with none of its prices overridden share its entry (read-only, like the whole
    document), which most of a batch of a thousand does. The values are the item's own attributes, so
    the item's identity is the key (the sheets keep every item alive for the batch)."""

    def entry(item: Any, values: dict[str, float | None], overrides: dict[str, Any]) -> dict[str, Any]:
        if any(v is not None for v in overrides.values()):
            return _entry(item, values, overrides)
        key = (id(item), *overrides)
        if key not in memo:
            memo[key] = _entry(item, values, overrides)
        return memo[key]

    def _entry(item: Any, values: dict[str, float | None], overrides: dict[str, Any]) -> dict[str, Any]:
        used = {k: (overrides.get(k) if overrides.get(k) is not None else v) for k, v in values.items()}
        return {
            "id": item.id,
            "values": {k: float(v) for k, v in used.items() if v is not None},
            "overridden": sorted(k for k, v in overrides.items() if v is not None and k in values),
            "source": item.source,
            "as_of": item.as_of.isoformat() if item.as_of else None,
            "note": item.note,
        }

    token_keys = ("input", "cached_input", "output", "batch_discount")
    out: dict[str, dict[str, Any]] = {}
    out["prompting"] = entry(
        sheet.prompting,
        {k: getattr(sheet.prompting, k) for k in token_keys},
        _plain(scenario.prompting.prices),
    )
    ft = scenario.fine_tuning
    out["fine_tuning"] = entry(
        sheet.fine_tuning,
        {k: getattr(sheet.fine_tuning, k) for k in (*token_keys, "training")},
        _plain(ft.prices),
    )
    if scenario.rag.enabled and sheet.rag is not None:
        out["rag"] = entry(sheet.rag, {k: getattr(sheet.rag, k) for k in token_keys}, _plain(scenario.rag.prices))
        if sheet.embedding is not None:
            out["embedding"] = entry(
                sheet.embedding, {"input": sheet.embedding.input}, _plain(scenario.rag.embedding_prices)
            )
        if sheet.vector_db is not None:
            out["vector_db"] = entry(
                sheet.vector_db,
                {"monthly_usd": sheet.vector_db.monthly_usd},
                {"monthly_usd": scenario.rag.vector_db_monthly_usd},
            )
        if sheet.reranker is not None and scenario.rag.reranker:
            out["reranker"] = entry(
                sheet.reranker,
                {"usd_per_1k_requests": sheet.reranker.usd_per_1k_requests},
                {"usd_per_1k_requests": scenario.rag.rerank_usd_per_1k_requests},
            )
    if sheet.synthetic is not None and ft.labels_source != "human":
        out["synthetic"] = entry(sheet.synthetic, {k: getattr(sheet.synthetic, k) for k in ("input", "output")}, {})
    if sheet.gpu is not None and ft.deployment == "dedicated":
        out["gpu"] = entry(
            sheet.gpu,
            {
                "gpu_hour_usd": sheet.gpu.gpu_hour_usd,
                "serving_tokens_per_second": sheet.gpu.serving_tokens_per_second,
                "training_tokens_per_second": sheet.gpu.training_tokens_per_second,
            },
            {
                "gpu_hour_usd": ft.gpu_hour_usd,
                "serving_tokens_per_second": ft.tokens_per_second_per_replica,
                "training_tokens_per_second": ft.training_tokens_per_second,
            },
        )
    return out


def _gate_reasons(
    scenario: Scenario, v: Verdicts, i: int, totals: dict[str, float], volume: float
) -> list[dict[str, Any]]:
    task, months = scenario.task, scenario.horizon_months
    simpler = STRATEGIES[int(v.simpler[i])]
    tuned = STRATEGIES[int(v.tuned[i])]
    ratio = float(v.ratio[i])
    reasons = [
        {
            "behavior": "A behaviour task (format, tone, classification): the kind fine-tuning can change (002).",
            "knowledge": "A knowledge task goes to RAG, full stop: tuning teaches patterns, not facts (002).",
            "both": "A task that needs both knowledge and behaviour: a tune alone would not know the facts (nor "
            "would prompting alone, so RAG is the simpler route), and the 2x rule weighs the hybrid, RAG's "
            "retrieval for the knowledge feeding a tune for the behaviour (002: they are not alternatives, they "
            "are layers). Gates 2-6 apply to the hybrid's tune.",
        }[task.kind],
        (
            "Prompting with few-shot examples was tried and its failures are known."
            if task.prompting_tried
            else "Prompting with few-shot examples has not been tried yet: fix the prompt first (002; 003: "
            "four weeks of iteration)."
        ),
        {
            "exists": "An evaluation harness with a baseline score exists.",
            "budgeted": "The evaluation harness is budgeted, and counted in every strategy.",
            "missing": "No evaluation harness: build a golden set with a baseline score before training (002).",
        }[task.eval_harness],
        (
            "The task is narrow, stable and well defined."
            if task.narrow_and_stable
            else "The task is evolving or broad: not a fine-tuning candidate until it is narrow and stable (002)."
        ),
        _gate5_reason(scenario, v, i, simpler, tuned, ratio, totals, months, volume),
        (
            f"{task.labeled_examples:,} high-quality labeled examples available (needs {MIN_LABELED_EXAMPLES:,})."
            if task.labeled_examples >= MIN_LABELED_EXAMPLES
            else f"Only {task.labeled_examples:,} high-quality labeled examples (needs {MIN_LABELED_EXAMPLES:,}): "
            "the data is the blocker, not the training (002)."
        ),
    ]
    return [
        {"id": k + 1, "name": GATE_NAMES[k], "passed": bool(v.gates[i, k]), "reason": reasons[k], "why": GATE_WHY[k]}
        for k in range(6)
    ]


def _synthetic_caveat(scenario: Scenario, sheet: PriceSheet) -> str:
    """002's caveat on synthetic labels, after gate 6's reason when the training set is (partly) generated."""
    ft = scenario.fine_tuning
    if ft.labels_source == "human" or sheet.synthetic is None:
        return ""
    share = "all" if ft.labels_source == "synthetic" else percent(ft.synthetic_share)
    return (
        f" Synthetic labels ({share} of the training set, from {sheet.synthetic.id}, "
        f"{percent(ft.synthetic_review_share)} "
        "checked by a person) do not count here. 002: validate that the generated outputs are correct, and "
        "check the generator's terms of service (OpenAI prohibits using its outputs to train competing models)."
    )


def _gate5_reason(
    scenario: Scenario,
    v: Verdicts,
    i: int,
    simpler: str,
    tuned: str,
    ratio: float,
    totals: dict[str, float],
    months: int,
    volume: float,
) -> str:
    label = STRATEGY_LABELS[simpler] if simpler == "rag" else simpler
    name = TUNED_NAMES[tuned]
    simpler_total, tuned_total = totals[simpler], totals[tuned]
    finance = scenario.finance
    cur = finance.currency
    over = f"over {months} months" + (
        f", in present value at {percent(finance.discount_rate)} a year," if finance.verdict_basis == "npv" else ""
    )
    if math.isinf(ratio):
        text = f"{name} costs nothing {over} against {money(simpler_total, cur)} for {label}."
    else:
        verb = "at least" if ratio >= TCO_RULE else "short of"
        text = (
            f"{over[0].upper()}{over[1:]} {name[0].lower()}{name[1:]} costs {money(tuned_total, cur)} against "
            f"{money(simpler_total, cur)} for {label}: a ratio of {ratio:.2f}x, {verb} {TCO_RULE:g}x."
        )
    if ratio < TCO_RULE:
        if math.isnan(volume):
            text += " It stays short of 2x at any volume up to 1e12 requests a month."
        elif volume > 0:
            text += f" {name} wins by 2x above {volume:,.0f} requests a month."
    budget = scenario.workload.latency_budget_ms
    if budget is not None:
        tuned_ms = float(v.tuned_latency_ms[i])  # the hybrid's adds the retrieval step (docs/cost-model.md, 26)
        route = "fine-tuning" if tuned == "fine_tuning" else "the hybrid"
        how = f"{route} ({scenario.fine_tuning.deployment}, {tuned_ms:g} ms)"
        if v.apis_ruled_out[i]:
            text += f" The {budget:g} ms latency budget rules out the API routes"
            text += f"; {how} meets it." if v.tuned_meets_latency[i] else f", and {how} misses it too."
        elif not v.tuned_meets_latency[i]:
            text += f" {how[0].upper()}{how[1:]} misses the {budget:g} ms budget that {label} meets."
    return text


def _basis_sentence(scenario: Scenario, v: Verdicts, other: Verdicts | None, i: int) -> str:
    """With a discount rate, what the other basis gives: the same answer, or a different one."""
    finance = scenario.finance
    if other is None or finance.discount_rate == 0:
        return ""
    rate = percent(finance.discount_rate)
    other_name = "nominal TCO" if finance.verdict_basis == "npv" else f"present value at {rate} a year"
    ratio = float(other.ratio[i])
    shown = "" if math.isinf(ratio) else f", a ratio of {ratio:.2f}x"
    if other.recommendation[i] == v.recommendation[i]:
        return f" On {other_name} the answer is the same{shown}."
    answer = STRATEGY_LABELS[STRATEGIES[int(other.recommendation[i])]]
    return f" On {other_name} the answer differs: {answer}{shown}."


def _verdict_words(
    scenario: Scenario, v: Verdicts, i: int, totals: dict[str, float], volume: float, stop: int | None
) -> tuple[str, tuple[bool, str]]:
    """The headline and the readiness line of row i (app/engine/headline.py)."""
    simpler = STRATEGIES[int(v.simpler[i])]
    tuned = STRATEGIES[int(v.tuned[i])]
    facts = Facts(
        recommendation=STRATEGIES[int(v.recommendation[i])],
        simpler=simpler,
        tuned=tuned,
        ratio=float(v.ratio[i]),
        simpler_total=totals[simpler],
        tuned_total=totals[tuned],
        gates=tuple(bool(g) for g in v.gates[i]),
        volume=float(volume),
        apis_ruled_out=bool(v.apis_ruled_out[i]),
        tuned_meets_latency=bool(v.tuned_meets_latency[i]),
        stop=stop,
    )
    return headline(scenario, facts), readiness_line(scenario, facts)


def _document(
    i: int,
    scenario: Scenario,
    sheet: PriceSheet,
    costs: Costs,
    v: Verdicts,
    other: Verdicts | None,
    sums: _HorizonSums,
    volume: float,
    *,
    full: bool,
    memo: dict[tuple[Any, ...], Any],
) -> dict[str, Any]:
    months = scenario.horizon_months
    stop = _not_maintainable_month(costs, i, months)
    requests = costs.requests[i, :months] if full else costs.requests[i, :1]
    strategies: dict[str, dict[str, Any]] = {}
    calendar = _Calendar.of(scenario) if full else None
    for s in strategy_options(scenario):
        cents = sums.cents[s][i, :months]
        request = float(costs.per_request[s][i]) * scenario.finance.usd_to_currency
        doc = _strategy_doc(cents, sums.total_cents[s][i], sums.served[i], request, scenario.finance.discount_rate)
        if calendar is not None:  # full detail
            doc |= _monthly(cents, calendar.periods)
            doc["annual"] = _annual(cents, calendar)
        if s in ("fine_tuning", "hybrid"):
            doc["compute_only_usd"] = int(cents[:, list(COMPUTE_ONLY)].sum()) / 100
            doc["not_maintainable_from_month"] = stop
        strategies[s] = doc
    totals: dict[str, float] = {s: sums.totals[s][i] for s in STRATEGIES}
    gates = _gate_reasons(scenario, v, i, totals, volume)
    gates[5]["reason"] += _synthetic_caveat(scenario, sheet)
    words, (ready, readiness) = _verdict_words(scenario, v, i, totals, volume, stop)
    ratio = float(v.ratio[i])
    other_basis = None
    if other is not None and scenario.finance.discount_rate != 0:
        other_ratio = float(other.ratio[i])
        other_basis = {
            "basis": "nominal" if scenario.finance.verdict_basis == "npv" else "npv",
            "recommendation": STRATEGIES[int(other.recommendation[i])],
            "simpler": STRATEGIES[int(other.simpler[i])],
            "tco_ratio": None
            if math.isinf(other_ratio) or other.totals[i, int(other.tuned[i])] == 0
            else round(other_ratio, 4),
        }
    return {
        "scenario_name": scenario.name,
        "start_month": scenario.start_month,
        "horizon_months": months,
        "currency": scenario.finance.currency,
        "monthly_requests": _cents(requests),
        "strategies": strategies,
        "verdict": {
            "recommendation": STRATEGIES[int(v.recommendation[i])],
            "simpler": STRATEGIES[int(v.simpler[i])],
            "tuned": STRATEGIES[int(v.tuned[i])],
            "tco_ratio": None if math.isinf(ratio) or totals[STRATEGIES[int(v.tuned[i])]] == 0 else round(ratio, 4),
            "gates": gates,
            "break_even_month": int(v.break_even_month[i]) or None,  # type: ignore[index]
            "half_cost_month": int(v.half_cost_month[i]) or None,  # type: ignore[index]
            "break_even_requests_per_month": None if math.isnan(volume) else round(float(volume), 0),
            "latency_rules_out_apis": bool(v.apis_ruled_out[i]),
            "summary": words + _basis_sentence(scenario, v, other, i),
            "cost": {"passed": bool(v.gates[i, 4]), "text": gates[4]["reason"]},
            "readiness": {"passed": ready, "text": readiness},
            "basis": scenario.finance.verdict_basis,
            "other_basis": other_basis,
        },
        "lifecycle_events": _events(i, scenario, sheet, costs),
        "prices_used": _prices_used(scenario, sheet, memo),
        "catalog_version": sheet.catalog_version,
    }
