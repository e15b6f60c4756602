"""The verdict under the 2x rule, for N rows at once (cost-model.md, The verdict).

The tuned route (fine-tuning; the hybrid of RAG and a tune for a task of both
kinds) is recommended only when all six gates of 002 pass; otherwise the
recommendation is `simpler`, the cheaper feasible of prompting and RAG. A
route is infeasible when it cannot meet a hard latency budget, and prompting
alone is infeasible for a task that needs knowledge when RAG is an option
(gate 1: a knowledge task goes to RAG, full stop).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .inputs import Inputs, row_count
from .kernel import BOTH, DEDICATED, REPLICA_INPUTS, Costs, compute, monthly_volume, replicas_for, running_total
from .scenario import CATEGORIES, MIN_LABELED_EXAMPLES, STRATEGIES, TCO_RULE

PROMPTING, RAG, FINE_TUNING, HYBRID = range(4)
TUNED = (FINE_TUNING, HYBRID)
"""The tuned routes: a row weighs one of them against `simpler` (`tuned_route`)."""
HOSTING = CATEGORIES.index("hosting")
GATE_NAMES = (
    "Behaviour, not knowledge",
    "Prompting tried first",
    "Evaluation harness",
    "Narrow and stable task",
    "Wins by 2x on TCO, or a hard latency need",
    "1,000+ labeled examples",
)
KNOWLEDGE = 1.0  # task.kind
MISSING = 2.0  # task.eval_harness
NPV = 1.0  # finance.verdict_basis
MAX_VOLUME = 1e12
"""Break-even volume search ceiling, requests per month (cost-model.md)."""


@dataclass(frozen=True)
class Verdicts:
    """Verdict arrays, one entry per row."""

    totals: np.ndarray
    """(N, 4) TCO of prompting, rag, fine_tuning, hybrid as the verdict weighs them: nominal, or present
    values on the npv basis (rag is NaN where disabled, hybrid where it is not an option)."""
    simpler: np.ndarray
    """(N,) PROMPTING or RAG."""
    tuned: np.ndarray
    """(N,) the tuned route the 2x rule weighs: FINE_TUNING, or HYBRID for a task of both kinds."""
    ratio: np.ndarray
    """(N,) TCO(simpler) / TCO(tuned); inf where the tuned route costs nothing."""
    gates: np.ndarray
    """(N, 6) bool, gates 1..6, of the tuned route."""
    apis_ruled_out: np.ndarray
    """(N,) a latency budget that no API route meets."""
    tuned_latency_ms: np.ndarray
    """(N,) the tuned route's latency (`tuned_latency_ms`)."""
    tuned_meets_latency: np.ndarray
    """(N,) it meets the latency budget."""
    recommendation: np.ndarray
    """(N,) PROMPTING, RAG or the row's tuned route."""
    maintainable: np.ndarray
    """(N,) bool: the tune can be kept up over the whole horizon (a vendor's end does not stop it)."""
    break_even_month: np.ndarray | None
    """(N,) first month from which the tuned route's cumulative cost stays at or below simpler's; 0 = never.
    None when not asked for (Monte Carlo reports no crossing months)."""
    half_cost_month: np.ndarray | None
    """(N,) the same against half of simpler's cumulative cost; 0 = never."""


def discount_factors(rate: np.ndarray, months: int) -> np.ndarray:
    """(N, months) 1 / (1 + rate)^(m / 12): month m's cost in today's money, each month discounted from
    its end to the start month (docs/cost-model.md, Present value)."""
    m = np.arange(1, months + 1, dtype=np.float64)[None, :]
    return 1.0 / (1.0 + np.asarray(rate, dtype=np.float64)[:, None]) ** (m / 12.0)


def _basis_weights(x: Inputs, months: int) -> np.ndarray | None:
    """(N, months) what each month's cost weighs in the verdict: 1 on the nominal basis, the discount
    factor on the npv basis (`finance.verdict_basis`); None when every row is nominal."""
    npv = np.asarray(x["finance.verdict_basis"]) == NPV
    if not npv.any():
        return None
    return np.where(npv[:, None], discount_factors(x["finance.discount_rate"], months), 1.0)


def basis_totals(x: Inputs, costs: Costs, weights: np.ndarray | None = None) -> np.ndarray:
    """(N, 3) the totals the verdict weighs: each strategy's TCO, or its present value on the npv basis
    (`weights`: the `_basis_weights` the caller already has; worked out here otherwise)."""
    if weights is None:
        weights = _basis_weights(x, costs.in_horizon.shape[1])
    if weights is None:
        return np.stack([costs.totals(s) for s in STRATEGIES], axis=1)
    n = costs.in_horizon.shape[0]
    return np.stack(
        [np.broadcast_to(running_total(costs.monthly_totals[s] * weights), (n,)) for s in STRATEGIES], axis=1
    )


def tuned_route(x: Inputs) -> np.ndarray:
    """(N,) the tuned route of each row: HYBRID for a task that needs knowledge and behaviour (RAG is
    then on: the scenario refuses both without it), FINE_TUNING otherwise."""
    return np.where((x["task.kind"] == BOTH) & (x["rag.enabled"] > 0), HYBRID, FINE_TUNING)


def tuned_latency_ms(x: Inputs) -> np.ndarray:
    """(N,) the tuned route's latency: the tune's, plus on the hybrid the retrieval step, RAG's latency
    over prompting's (never negative) (docs/cost-model.md, section 26)."""
    retrieval = np.maximum(0.0, x["rag.latency_ms"] - x["prompting.latency_ms"])
    return x["fine_tuning.latency_ms"] + np.where(tuned_route(x) == HYBRID, retrieval, 0.0)


def _pick(totals: np.ndarray, column: np.ndarray) -> np.ndarray:
    """(N,) each row's value in its own column of (N, k)."""
    return np.take_along_axis(totals, np.broadcast_to(column, totals.shape[:1])[:, None], axis=1)[:, 0]


def _tco_ratio(simpler_total: np.ndarray, ft_total: np.ndarray) -> np.ndarray:
    safe = np.where(ft_total > 0, ft_total, 1.0)
    with np.errstate(over="ignore"):  # a fine-tuning TCO of a few denormal cents: the ratio is inf, rightly
        ratio = simpler_total / safe
    return np.where(ft_total > 0, ratio, np.where(simpler_total > 0, np.inf, 1.0))


def _stays_below(ft_cum: np.ndarray, other_cum: np.ndarray, in_horizon: np.ndarray) -> np.ndarray:
    """First month (1-based) from which ft_cum <= other_cum up to the horizon; 0 = never."""
    ok = (ft_cum <= other_cum * (1 + 1e-12) + 1e-9) | ~in_horizon
    months = ok.shape[1]
    # index of the last month that is not ok; everything after it is ok
    not_ok = ~ok
    last_bad = np.where(not_ok.any(axis=1), months - 1 - np.argmax(not_ok[:, ::-1], axis=1), -1)
    first_good = last_bad + 2  # 1-based month after the last bad one
    horizon = in_horizon.sum(axis=1)
    return np.where(first_good <= horizon, first_good, 0)


def _candidates(x: Inputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which of prompting and RAG compete for `simpler`, and whether no API route meets the latency budget.

    Feasible routes compete; when none meets a hard latency budget, all candidates
    do (so the ratio still means something) and the APIs are ruled out.
    """
    budget = x["workload.latency_budget_ms"]
    rag_on = x["rag.enabled"] > 0
    knowledge = (x["task.kind"] == KNOWLEDGE) | (x["task.kind"] == BOTH)
    candidate_p = ~(knowledge & rag_on)
    candidate_r = rag_on
    fast_p = candidate_p & (x["prompting.latency_ms"] <= budget)
    fast_r = candidate_r & (x["rag.latency_ms"] <= budget)
    any_fast = fast_p | fast_r
    return np.where(any_fast, fast_p, candidate_p), np.where(any_fast, fast_r, candidate_r), ~any_fast


def _simpler_and_feasibility(x: Inputs, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    use_p, use_r, none_fast = _candidates(x)
    cost_p = np.where(use_p, totals[:, PROMPTING], np.inf)
    cost_r = np.where(use_r, totals[:, RAG], np.inf)
    simpler = np.where(cost_r < cost_p, RAG, PROMPTING)
    return np.broadcast_to(simpler, totals.shape[:1]), none_fast


def decide(x: Inputs, costs: Costs, *, crossings: bool = True) -> Verdicts:
    """The verdict of every row; `crossings=False` skips the break-even and half-cost months, whose
    cumulative sums are most of the cost of deciding 10,000 draws."""
    n = costs.requests.shape[0]
    weights = _basis_weights(x, costs.in_horizon.shape[1])
    totals = basis_totals(x, costs, weights)
    totals[:, RAG] = np.where(costs.rag_enabled, totals[:, RAG], np.nan)
    totals[:, HYBRID] = np.where(costs.hybrid_enabled, totals[:, HYBRID], np.nan)
    simpler, apis_ruled_out = _simpler_and_feasibility(x, totals)
    tuned = np.broadcast_to(tuned_route(x), (n,))
    ratio = _tco_ratio(_pick(totals, simpler), _pick(totals, tuned))

    budget = x["workload.latency_budget_ms"]
    latency = np.broadcast_to(tuned_latency_ms(x), (n,))
    tuned_meets_latency = latency <= budget
    has_budget = np.isfinite(budget)
    gate5 = ((ratio >= TCO_RULE) | (has_budget & apis_ruled_out)) & (~has_budget | tuned_meets_latency)
    gates = np.stack(
        [
            np.broadcast_to(g, (n,))
            for g in (
                x["task.kind"] != KNOWLEDGE,
                x["task.prompting_tried"] > 0,
                x["task.eval_harness"] != MISSING,
                x["task.narrow_and_stable"] > 0,
                gate5,
                x["task.labeled_examples"] >= MIN_LABELED_EXAMPLES,
            )
        ],
        axis=1,
    )
    maintainable = np.ones(n, dtype=bool)
    if costs.not_maintainable_from is not None:  # a tune that dies inside the horizon is never recommended
        maintainable = np.broadcast_to(costs.not_maintainable_from > x["horizon_months"], (n,))
    recommendation = np.where(gates.all(axis=1) & maintainable, tuned, simpler)
    break_even_month = half_cost_month = None
    if crossings:
        weight = 1.0 if weights is None else weights
        tuned_monthly = costs.monthly_totals["fine_tuning"]
        if costs.hybrid_enabled.any():
            tuned_monthly = np.where(tuned[:, None] == HYBRID, costs.monthly_totals["hybrid"], tuned_monthly)
        ft_cum = np.cumsum(tuned_monthly * weight, axis=1)
        simpler_monthly = weight * np.where(
            simpler[:, None] == RAG, costs.monthly_totals["rag"], costs.monthly_totals["prompting"]
        )
        simpler_cum = np.cumsum(simpler_monthly, axis=1)
        break_even_month = _stays_below(ft_cum, simpler_cum, costs.in_horizon)
        half_cost_month = _stays_below(ft_cum, 0.5 * simpler_cum, costs.in_horizon)
    return Verdicts(
        totals=totals,
        simpler=simpler,
        tuned=tuned,
        ratio=ratio,
        gates=gates,
        apis_ruled_out=np.broadcast_to(apis_ruled_out & has_budget, (n,)),
        tuned_latency_ms=latency,
        tuned_meets_latency=np.broadcast_to(tuned_meets_latency, (n,)),
        recommendation=recommendation,
        maintainable=maintainable,
        break_even_month=break_even_month,
        half_cost_month=half_cost_month,
    )


def totals_at(x: Inputs, volumes: np.ndarray) -> np.ndarray:
    """(N, P, 4) TCO of each strategy for each row at each month-1 volume: one kernel call of N*P rows.

    The volume chart's reference: the chart itself is read off two volumes (`totals_on_lines`), and
    tested against this; rag's and hybrid's columns are NaN where they are not an option.
    """
    n, p = volumes.shape
    if n == 1:  # one row's inputs broadcast against the P volumes as they are
        swept = dict(x)
    else:
        swept = {k: np.repeat(np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)), p) for k, v in x.items()}
    swept["workload.requests_per_month"] = volumes.reshape(-1)
    costs = compute(swept)
    totals = np.stack([costs.totals(s) for s in STRATEGIES], axis=1)
    totals[:, RAG] = np.where(swept["rag.enabled"] > 0, totals[:, RAG], np.nan)
    totals[:, HYBRID] = np.where(costs.hybrid_enabled, totals[:, HYBRID], np.nan)
    return totals.reshape(*volumes.shape, len(STRATEGIES))


def break_even_volume(x: Inputs, *, pair: Costs | None = None, points: int = 33, rounds: int = 3) -> np.ndarray:
    """(N,) month-1 requests per month above which the tuned route (fine-tuning, or the hybrid for a task
    of both kinds) wins by at least 2x, up to 1e12.

    NaN = never below 1e12; 0 = at any volume. Every strategy's TCO is affine in the month-1 volume
    (inference, retrieval per query) except on dedicated GPUs (from the start, or from a successor on),
    whose replicas come in whole steps: affine rows are solved exactly, dedicated rows on a grid where
    each point's TCO is the affine part plus the replicas it needs (docs/cost-model.md, Break-even
    volume). Both read the costs at two volumes, `pair`: `with_volume_pairs(x)`'s last 2N rows, when
    the caller's kernel call already has them (else they are computed here).
    """
    n = row_count(x)
    if pair is None:
        pair = compute(with_volume_pairs(x, n, pairs_only=True))
    lines = _Lines(x, pair, n)
    stepped = {column: _stepped(x, lines, n, column) & (lines.tuned == column) for column in TUNED}
    result = np.where(stepped[FINE_TUNING] | stepped[HYBRID], np.nan, _affine_break_even(x, lines))
    for column, rows in stepped.items():
        if rows.any():
            result[rows] = _stepped_break_even(x, lines, rows, column, points=points, rounds=rounds)
    return result


SLOPE_STEP = 1e9
"""Requests a month between the two volumes that give each cost line's slope: a large step, so the
fixed costs (tens of thousands of USD) do not swamp the per-request difference in the subtraction."""


def with_volume_pairs(x: Inputs, n: int, *, pairs_only: bool = False) -> Inputs:
    """x's N rows, then the same rows at a month-1 volume of 0, then at SLOPE_STEP: 3N rows that one
    kernel call costs for the estimate and its break-even volume together (`pairs_only`: the last 2N)."""
    volumes = [0.0, SLOPE_STEP] if pairs_only else [None, 0.0, SLOPE_STEP]
    given = np.broadcast_to(np.asarray(x["workload.requests_per_month"], dtype=np.float64), (n,))
    requests = np.concatenate([given if v is None else np.full(n, v) for v in volumes])
    # one row: the other inputs broadcast against the volumes as they are
    out = dict(x) if n == 1 else {k: np.tile(np.broadcast_to(v, (n,)), len(volumes)) for k, v in x.items()}
    out["workload.requests_per_month"] = requests
    return out


class _Lines:
    """Each row's TCO(V) = a + bV per strategy on the verdict's basis, from its costs at V = 0 and at
    V = SLOPE_STEP; the tuned routes' lines leave out their dedicated GPUs (`hosting`, added per step).

    (Read off V = 0 and V = 1, the slope kept only the digits left after the fixed costs: about six
    fewer.)
    """

    def __init__(self, x: Inputs, pair: Costs, n: int) -> None:
        basis = {k: np.tile(np.broadcast_to(x[k], (n,)), 2) for k in ("finance.verdict_basis", "finance.discount_rate")}
        months = pair.in_horizon.shape[1]
        self.weights = _basis_weights(basis, months)
        totals = basis_totals(basis, pair, self.weights)
        self.hosting: dict[int, np.ndarray] = {}
        """tuned column -> (2N, months) its GPUs' cost on the lines' basis (absent: no hybrid is costed)."""
        for column in TUNED:
            series = pair.series[STRATEGIES[column]][HOSTING]
            if series is None:
                continue
            hosting = np.broadcast_to(series, (2 * n, months)) * pair.in_horizon
            self.hosting[column] = hosting if self.weights is None else hosting * self.weights
            totals[:, column] -= running_total(self.hosting[column])
        self.a, self.b = totals[:n], (totals[n:] - totals[:n]) / SLOPE_STEP
        self.tuned = np.broadcast_to(tuned_route(x), (n,))


def _affine_break_even(x: Inputs, lines: _Lines) -> np.ndarray:
    """Exact, where the tuned route rents no GPU: it wins by 2x at V when every competing route c has
    a_c + b_c V >= 2 (a_t + b_t V); the answer is the volume from which that holds for all c, up to 1e12."""
    a, b = lines.a, lines.b
    a_t, b_t = _pick(a, lines.tuned), _pick(b, lines.tuned)
    use_p, use_r, _ = _candidates(x)
    threshold = np.zeros(a.shape[0])
    for route, use in ((PROMPTING, use_p), (RAG, use_r)):
        slope = b[:, route] - TCO_RULE * b_t
        margin = a[:, route] - TCO_RULE * a_t
        safe = np.where(slope > 0, slope, 1.0)
        holds_at_max = margin + slope * MAX_VOLUME >= 0
        route_threshold = np.where(slope > 0, np.maximum(0.0, -margin / safe), np.where(holds_at_max, 0.0, np.inf))
        threshold = np.where(use, np.maximum(threshold, route_threshold), threshold)
    return np.where(threshold <= MAX_VOLUME, threshold, np.nan)


class _Replicas:
    """The dedicated GPUs of tuned route `column` for the rows `idx` at any month-1 volume, with no kernel
    call: month by month, the replicas that month's volume needs times what one replica costs that
    month (its hosting at V = SLOPE_STEP over its replicas there), by the kernel's own formulas
    (`monthly_volume`, `replicas_for`); on the lines' basis."""

    def __init__(self, x: Inputs, lines: _Lines, idx: np.ndarray, column: int) -> None:
        n = lines.a.shape[0]
        months = lines.hosting[column].shape[1]
        self.month_numbers = np.arange(1, months + 1, dtype=np.float64)[None, :]

        def per_row(key: str) -> np.ndarray:
            return np.broadcast_to(x[key], (n,))[idx]

        self.growth = {"workload.monthly_growth": per_row("workload.monthly_growth")}
        self.in_horizon = self.month_numbers <= per_row("horizon_months")[:, None]
        at_step = monthly_volume(np.full(idx.size, SLOPE_STEP), self.growth, self.month_numbers, self.in_horizon)
        self.inputs = {key: per_row(key) for key in REPLICA_INPUTS}
        self.hybrid = column == HYBRID
        replicas_at_step = replicas_for(self.inputs, at_step, self._retrieved(self.inputs))
        hosting_at_step = lines.hosting[column][n + idx]
        rented = replicas_at_step > 0
        self.per_replica = np.where(rented, hosting_at_step / np.where(rented, replicas_at_step, 1.0), 0.0)
        self._flat: dict[int, tuple[Inputs, Inputs, np.ndarray, np.ndarray]] = {}

    def _retrieved(self, inputs: Inputs) -> np.ndarray | float:
        """The tokens of chunks each request carries on this route (the hybrid's; none on fine-tuning)."""
        return inputs["rag.retrieved_chunks"] * inputs["rag.chunk_tokens"] if self.hybrid else 0.0

    def hosting(self, volumes: np.ndarray) -> np.ndarray:
        """(k, P) the GPUs' cost over the horizon at each of the rows' P month-1 volumes."""
        points = volumes.shape[1]
        if points not in self._flat:  # each row repeated P times: worked out once per P
            self._flat[points] = (
                {key: np.repeat(v, points) for key, v in self.inputs.items()},
                {key: np.repeat(v, points) for key, v in self.growth.items()},
                np.repeat(self.in_horizon, points, axis=0),
                np.repeat(self.per_replica, points, axis=0),
            )
        inputs, growth, in_horizon, per_replica = self._flat[points]
        volume = monthly_volume(volumes.reshape(-1), growth, self.month_numbers, in_horizon)
        steps = replicas_for(inputs, volume, self._retrieved(inputs))
        return running_total(steps * per_replica).reshape(volumes.shape)


def _stepped(x: Inputs, lines: _Lines, n: int, column: int) -> np.ndarray:
    """(N,) the rows whose tuned route `column` rents GPUs: on GPUs from the start, or from a successor
    on (a lifecycle move to a dedicated deployment). None of them when that route is not costed."""
    if column not in lines.hosting:
        return np.zeros(n, dtype=bool)
    return np.broadcast_to(x["fine_tuning.deployment"] == DEDICATED, (n,)) | (
        running_total(lines.hosting[column][n:]) > 0
    )


def totals_on_lines(x: Inputs, pair: Costs, volumes: np.ndarray) -> np.ndarray:
    """(N, P, 4) each strategy's nominal TCO for each row at each of P month-1 volumes, from the costs
    at two volumes (`pair`, `with_volume_pairs`' last 2N rows): a + bV, plus the dedicated GPUs'
    steps (`_Replicas`). What the volume chart draws, read off the estimate's own kernel call; rag's
    and hybrid's columns are NaN where they are not an option. Agrees with `totals_at` (a kernel call
    per point) to 1e-14 of the totals (tests/engine/test_volume_curve.py)."""
    n = volumes.shape[0]
    nominal = {**x, "finance.verdict_basis": np.zeros(n)}
    lines = _Lines(nominal, pair, n)
    totals = lines.a[:, None, :] + lines.b[:, None, :] * volumes[:, :, None]
    for column in TUNED:
        stepped = _stepped(x, lines, n, column)
        if stepped.any():
            idx = np.flatnonzero(stepped)
            totals[idx, :, column] += _Replicas(nominal, lines, idx, column).hosting(volumes[idx])
    rag = np.broadcast_to(x["rag.enabled"] > 0, (n,))
    totals[:, :, RAG] = np.where(rag[:, None], totals[:, :, RAG], np.nan)
    hybrid = pair.hybrid_enabled[:n]
    totals[:, :, HYBRID] = np.where(hybrid[:, None], totals[:, :, HYBRID], np.nan)
    return totals


def _stepped_break_even(
    x: Inputs, lines: _Lines, rows: np.ndarray, column: int, *, points: int, rounds: int
) -> np.ndarray:
    """The `rows` (a mask) whose tuned route `column` rents GPUs: a log grid from 1 to 1e12 requests a
    month, then `rounds - 1` finer grids between the last point below 2x and the next; the volume above
    which every point keeps the 2x rule. A point's tuned TCO is its line plus its GPUs (`_Replicas`)."""
    n = lines.a.shape[0]
    idx = np.flatnonzero(rows)
    k = idx.size
    replicas = _Replicas(x, lines, idx, column)
    a, b = lines.a[idx], lines.b[idx]
    use_p, use_r = (np.broadcast_to(use, (n,))[idx, None] for use in _candidates(x)[:2])

    def wins_at(volumes: np.ndarray) -> np.ndarray:
        """(k, points) whether the tuned route wins by 2x at each month-1 volume."""
        tuned = a[:, column, None] + b[:, column, None] * volumes + replicas.hosting(volumes)
        cost_p = np.where(use_p, a[:, PROMPTING, None] + b[:, PROMPTING, None] * volumes, np.inf)
        cost_r = np.where(use_r, a[:, RAG, None] + b[:, RAG, None] * volumes, np.inf)
        simpler = np.where(cost_r < cost_p, cost_r, cost_p)
        return _tco_ratio(simpler.reshape(-1), tuned.reshape(-1)).reshape(volumes.shape) >= TCO_RULE

    lo = np.zeros(k)
    hi = np.full(k, np.log10(MAX_VOLUME))
    result = np.full(k, np.nan)
    settled = np.zeros(k, dtype=bool)
    for round_ in range(rounds):
        grid = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, points)[None, :]
        wins = wins_at(10.0**grid)
        if round_ == 0:
            never = ~wins[:, -1]
            always = wins.all(axis=1)
            result = np.where(always, 0.0, result)
            settled = never | always
        losing = ~wins
        last_lose = points - 1 - np.argmax(losing[:, ::-1], axis=1)
        last_lose = np.minimum(last_lose, points - 2)
        at = np.arange(k)
        lo = np.where(settled, lo, grid[at, last_lose])
        hi = np.where(settled, hi, grid[at, last_lose + 1])
    return np.where(settled, result, 10.0**hi)
