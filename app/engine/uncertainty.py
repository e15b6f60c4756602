"""Uncertainty and sensitivity (cost-model.md): Monte Carlo over the ranged inputs, and a tornado.

Both run through the same kernel as the point estimate, with some inputs replaced
by arrays: N draws for Monte Carlo, two rows per input for the tornado. An input
shared by several strategies (the volume, an engineer-week) is one array, so every
strategy sees the same draw. Each input draws from its own stream, seeded by the
scenario's seed and the input's path: adding a range to one input leaves the
draws of the others as they were, so two scenarios compare draw for draw.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from .headline import TUNED_NAMES
from .inputs import Inputs
from .kernel import compute
from .scenario import (
    MONTH_DAYS,
    MONTH_HOURS,
    STRATEGIES,
    STRATEGY_LABELS,
    TCO_RULE,
    VOLUME_PATHS,
    Scenario,
    rangeable,
    strategy_options,
    tuned_strategy,
)
from .verdict import Verdicts, decide

SPREAD = 0.3
"""The tornado moves an input without a range by this share either way (cost-model.md: +-30%)."""
TORNADO_TOP = 10
"""Inputs the tornado shows: the ten that swing the TCO ratio most."""
CHUNK = 2_000
"""Draws per kernel call. Each (draws, months) array of a chunk then fits in the processor's cache:
10,000 draws run twice as fast in chunks of 2,000 as in one call, and 100,000 need no more memory."""
FAN_DRAWS = 10_000
"""The fan chart's percentiles per month come from the first 10,000 draws (all of them by default),
so that 100,000 draws do not keep 100,000 monthly series."""
HISTOGRAM_BINS = 30


class RangeError(ValueError):
    """A range that does not hold the value the estimate uses (a catalog price outside it)."""

    def __init__(self, path: str, msg: str) -> None:
        super().__init__(f"ranges.{path}: {msg}")
        self.path = path
        self.msg = msg
        self.index = 0
        """The scenario's position in a batch."""


@dataclass(frozen=True)
class Triangle:
    """One ranged input as drawn: in the unit of its path, and scaled to its kernel input."""

    path: str
    key: str
    """The kernel input it replaces (requests per day are drawn as requests per month)."""
    low: float
    mode: float
    high: float
    source: str
    scale: float = 1.0
    """Kernel unit per path unit (MONTH_DAYS for requests per day, else 1)."""


def input_key(path: str) -> tuple[str, float]:
    """The kernel input behind a scenario path, and the factor from the path's unit to the input's."""
    if path == VOLUME_PATHS[1]:
        return VOLUME_PATHS[0], MONTH_DAYS
    return path, 1.0


def triangles(scenario: Scenario, base: Inputs) -> list[Triangle]:
    """The scenario's ranges around the values the estimate uses, in path order.

    The scenario checked every value it knows; a catalog price is known only now, so a range
    that misses the catalog's number is reported here, by its path.
    """
    out = []
    for path in sorted(scenario.ranges):
        r = scenario.ranges[path]
        key, scale = input_key(path)
        mode = float(base[key][0]) / scale
        tolerance = 1e-9 * max(1.0, abs(mode))
        if not (r.low - tolerance <= mode <= r.high + tolerance):
            raise RangeError(
                path,
                f"the value used, {mode:,.6g} (the catalog's), lies outside its range {r.low:,.6g} to {r.high:,.6g}",
            )
        out.append(Triangle(path, key, r.low, min(max(mode, r.low), r.high), r.high, r.source, scale))
    return out


def draw(base: Inputs, ranged: list[Triangle], draws: int, seed: int) -> Inputs:
    """The inputs with each ranged one replaced by `draws` triangular draws; the others stay (1,)."""
    x = dict(base)
    for t in ranged:
        if t.low == t.high:
            x[t.key] = np.full(draws, t.mode * t.scale)
            continue
        rng = np.random.default_rng([seed, zlib.crc32(t.path.encode())])
        x[t.key] = rng.triangular(t.low, t.mode, t.high, draws) * t.scale
    return x


@dataclass(frozen=True)
class Simulation:
    """What Monte Carlo keeps of the draws."""

    draws: int
    totals: np.ndarray
    """(N, 4) TCO per strategy, nominal whatever the verdict's basis (rag and hybrid NaN where they are
    not an option); N = 1 when nothing is ranged."""
    ratio: np.ndarray
    gate5: np.ndarray
    win: np.ndarray
    """(N,) the tuned route (fine-tuning, or the hybrid) wins by 2x on TCO."""
    recommendation: np.ndarray
    cumulative: dict[str, np.ndarray]
    """strategy -> (min(N, FAN_DRAWS), months) cumulative cost of the first draws, for the fan chart."""


def simulate(scenario: Scenario, base: Inputs, ranged: list[Triangle]) -> Simulation:
    """Run the draws through the kernel, a chunk at a time, and keep what the document reports."""
    n, seed = scenario.uncertainty.draws, scenario.uncertainty.seed
    drawn = draw(base, ranged, n, seed)
    keys = {t.key for t in ranged}
    parts: list[Verdicts] = []
    nominal: list[np.ndarray] = []
    fan: dict[str, list[np.ndarray]] = {s: [] for s in STRATEGIES}
    months = scenario.horizon_months
    for start in range(0, n if ranged else 1, CHUNK):
        chunk = {k: (v[start : start + CHUNK] if k in keys else v) for k, v in drawn.items()}
        costs = compute(chunk)
        verdicts = decide(chunk, costs, crossings=False)
        if start < FAN_DRAWS:
            for s in STRATEGIES:
                fan[s].append(np.cumsum(costs.monthly_totals[s][:, :months], axis=1))
        parts.append(verdicts)
        nominal.append(np.stack([costs.totals(s) for s in STRATEGIES], axis=1))
    return Simulation(
        draws=n,
        totals=np.where(np.isnan(np.concatenate([v.totals for v in parts])), np.nan, np.concatenate(nominal)),
        ratio=np.concatenate([v.ratio for v in parts]),
        gate5=np.concatenate([v.gates[:, 4] for v in parts]),
        win=np.concatenate([v.ratio >= TCO_RULE for v in parts]),
        recommendation=np.concatenate([v.recommendation for v in parts]),
        cumulative={s: np.concatenate(bands) for s, bands in fan.items()},
    )


@dataclass(frozen=True)
class Swing:
    """One input of the tornado: the TCO ratio with the input at its low and at its high."""

    path: str
    low: float
    high: float
    from_range: bool
    """True: the scenario's range; False: the value +-30%, kept inside the input's bounds."""
    ratio_low: float
    ratio_high: float
    recommendation_low: int
    recommendation_high: int

    @property
    def swing(self) -> float:
        if math.isinf(self.ratio_low) or math.isinf(self.ratio_high):
            return 0.0 if self.ratio_low == self.ratio_high else math.inf
        return abs(self.ratio_high - self.ratio_low)


def _tornado_candidates(scenario: Scenario, base: Inputs, ranged: list[Triangle]) -> list[Triangle]:
    """Every numeric input with a finite value: its range, or its value +-30% within its bounds."""
    by_path = {t.path: t for t in ranged}
    volume_path = next((p for p in VOLUME_PATHS if p in by_path), None)
    if volume_path is None:
        volume_path = VOLUME_PATHS[1] if scenario.workload.requests_per_day is not None else VOLUME_PATHS[0]
    out = []
    known = rangeable()
    for path, (low_bound, high_bound, exclusive) in known.items():
        if path in VOLUME_PATHS and path != volume_path:
            continue
        if path in by_path:
            out.append(by_path[path])
            continue
        key, scale = input_key(path)
        value = float(base[key][0]) / scale
        if not math.isfinite(value) or (low_bound is not None and value < low_bound):
            continue  # empty with a meaning ("never" is 0 months, "none" infinite): no number to move
        low, high = sorted((value * (1 - SPREAD), value * (1 + SPREAD)))  # a negative value: -30% is higher
        if low_bound is not None and (low < low_bound or (exclusive and low == low_bound)):
            low = (low_bound + value) / 2 if exclusive else low_bound  # inside an open bound, short of it
        if high_bound is not None:
            high = min(high, high_bound)
        out.append(Triangle(path, key, low, value, high, "", scale))
    return out + [t for t in ranged if t.path not in known]  # ranges on extra cost lines


def tornado(scenario: Scenario, base: Inputs, ranged: list[Triangle]) -> tuple[float, list[Swing]]:
    """The point TCO ratio, and every candidate input ranked by its swing of the ratio (largest first).

    One kernel call of 2 rows per input: row 2i has input i at its low, row 2i+1 at its high,
    every other input at its value.
    """
    candidates = _tornado_candidates(scenario, base, ranged)
    rows = 2 * len(candidates) + 1  # the last row is the point estimate
    x = dict(base)
    for i, t in enumerate(candidates):
        column = np.full(rows, float(base[t.key][0]))
        column[2 * i] = t.low * t.scale
        column[2 * i + 1] = t.high * t.scale
        x[t.key] = column
    verdicts = decide(x, compute(x), crossings=False)
    ratio, recommendation = verdicts.ratio, verdicts.recommendation
    swings = [
        Swing(
            t.path,
            t.low,
            t.high,
            t.path in scenario.ranges,
            float(ratio[2 * i]),
            float(ratio[2 * i + 1]),
            int(recommendation[2 * i]),
            int(recommendation[2 * i + 1]),
        )
        for i, t in enumerate(candidates)
    ]
    swings.sort(key=lambda s: -s.swing)  # stable: equal swings keep the scenario's field order
    return float(ratio[-1]), swings


@dataclass(frozen=True)
class SeedRange:
    path: str
    low: float
    high: float
    source: str
    dedicated_only: bool = False


SEED_RANGES = (
    SeedRange("team.label_cost_usd", 5, 20, "002: 5-20 USD per example for skilled annotators"),
    SeedRange("team.golden_examples", 200, 500, "002: freeze 200-500 real production examples"),
    SeedRange("prompting.few_shot_examples", 2, 10, "001: include 2-10 examples in the prompt"),
    SeedRange("fine_tuning.training_examples", 500, 5_000, "002, 003: 500-5,000 examples for LoRA on a narrow task"),
    SeedRange("fine_tuning.runs_per_cycle", 5, 15, "003: budget 5 to 15 training runs"),
    SeedRange("fine_tuning.cost_per_run_usd", 50, 2_000, "003: 50 to 2,000 USD per training run"),
    SeedRange("fine_tuning.weeks_per_cycle", 4, 8, "002: 4-8 weeks of senior engineer time per cycle"),
    SeedRange(
        "fine_tuning.gpu_hour_usd",
        round(500 / MONTH_HOURS, 4),
        round(5_000 / MONTH_HOURS, 4),
        "002: GPU hosting 500-5,000 USD a month, read as one GPU always on (730 hours)",
        dedicated_only=True,
    ),
)
"""The ranges the seed articles give, each with its source (issue 5 lists them)."""


def seed_ranges(scenario: Scenario, base: Inputs) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The seeds' ranges that apply to this scenario, and why each other one does not.

    A seed range applies where the input has a value inside it: a range is drawn around the
    value, and a value outside says the seed describes another situation. A range the scenario
    already has is kept.
    """
    applied: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for seed in SEED_RANGES:
        value = float(base[seed.path][0])
        if seed.path in scenario.ranges:
            skipped[seed.path] = "has a range already; kept"
        elif seed.dedicated_only and scenario.fine_tuning.deployment != "dedicated":
            skipped[seed.path] = "applies to dedicated GPUs only"
        elif not math.isfinite(value):
            skipped[seed.path] = "empty: give it a value to draw around"
        elif not seed.low <= value <= seed.high:
            skipped[seed.path] = f"its value {value:,.6g} lies outside the seed's {seed.low:,.6g} to {seed.high:,.6g}"
        else:
            applied[seed.path] = {"low": seed.low, "high": seed.high, "source": seed.source}
    return applied, skipped


# --- the document ---


def _share(p: float) -> str:
    """A probability in words: 34%, never a misleading 0% or 100% for a rare outcome."""
    if 0 < p < 0.005:
        return "under 1%"
    if 0.995 < p < 1:
        return "over 99%"
    return f"{p:.0%}"


def _ratio(x: float) -> float | None:
    return None if not math.isfinite(x) else round(x, 4)


def _percentiles(values: np.ndarray) -> dict[str, float]:
    p10, p50, p90 = np.percentile(values, [10, 50, 90], axis=0)
    return {"p10_usd": round(float(p10), 2), "p50_usd": round(float(p50), 2), "p90_usd": round(float(p90), 2)}


def _histogram(ratio: np.ndarray) -> dict[str, list[float]]:
    """Counts of the TCO ratio in equal bins between its 0.5th and 99.5th percentiles (the tails
    are counted in the end bins); fine-tuning costing nothing (an infinite ratio) in the last."""
    finite = ratio[np.isfinite(ratio)]
    if finite.size == 0:
        return {"edges": [], "counts": []}
    lo, hi = (float(v) for v in np.percentile(finite, [0.5, 99.5]))
    if hi - lo <= 1e-9 * max(1.0, abs(lo)):  # one value (up to float noise): one bin
        return {"edges": [round(lo, 4), round(hi, 4)], "counts": [int(ratio.size)]}
    counts, edges = np.histogram(np.clip(ratio, lo, hi), bins=HISTOGRAM_BINS, range=(lo, hi))
    return {"edges": [round(float(e), 4) for e in edges], "counts": [int(c) for c in counts]}


def _summary(scenario: Scenario, sim: Simulation, point_recommendation: int) -> str:
    if not scenario.ranges:
        return (
            "No input carries a range, so every draw is the point estimate; "
            "the tornado moves each input 30% either way."
        )
    win, gate5 = float(sim.win.mean()), float(sim.gate5.mean())
    text = f"Over {sim.draws:,} draws of {len(scenario.ranges)} ranged input{'s' if len(scenario.ranges) > 1 else ''}, "
    name = TUNED_NAMES[tuned_strategy(scenario)]
    text += f"{name[0].lower()}{name[1:]} wins by 2x on TCO in {_share(win)} of draws"
    if gate5 != win:
        text += f" and gate 5 passes in {_share(gate5)} (the latency budget counts too)"
    shares = {k: float((sim.recommendation == k).mean()) for k in range(len(STRATEGIES))}
    label = STRATEGY_LABELS[STRATEGIES[point_recommendation]]
    if shares[point_recommendation] == 1.0:
        return text + f". The recommendation, {label}, holds in every draw."
    others = [
        f"{STRATEGY_LABELS[STRATEGIES[k]]} in {_share(p)}"
        for k, p in shares.items()
        if k != point_recommendation and p > 0
    ]
    return (
        text + f". The verdict flips inside these ranges: {label} in {_share(shares[point_recommendation])} "
        f"of draws, {', '.join(others)}."
    )


def uncertainty_document(
    scenario: Scenario, base: Inputs, point_recommendation: int, *, full: bool = True
) -> dict[str, Any]:
    """The `uncertainty` part of an Estimate for one scenario (its inputs as one row).

    `full` adds the fan chart's cumulative percentiles per month; a summary keeps the rest.
    """
    ranged = triangles(scenario, base)
    sim = simulate(scenario, base, ranged)
    base_ratio, swings = tornado(scenario, base, ranged)
    strategies: dict[str, Any] = {}
    rate = scenario.finance.usd_to_currency  # money in the scenario's currency, at the edge
    for k, s in enumerate(STRATEGIES):
        if s not in strategy_options(scenario):
            continue
        totals = sim.totals[:, k] * rate
        doc: dict[str, Any] = _percentiles(totals) | {"mean_usd": round(float(totals.mean()), 2)}
        if full:
            bands = np.percentile(sim.cumulative[s] * rate, [10, 50, 90], axis=0)
            doc["cumulative_usd"] = {
                name: [round(float(v), 2) for v in band]
                for name, band in zip(("p10", "p50", "p90"), bands, strict=True)
            }
        strategies[s] = doc
    finite = sim.ratio[np.isfinite(sim.ratio)]
    ratio_doc: dict[str, Any] = (
        {f"p{q}": round(float(v), 4) for q, v in zip((10, 50, 90), np.percentile(finite, [10, 50, 90]), strict=True)}
        if finite.size
        else {"p10": None, "p50": None, "p90": None}
    )
    ratio_doc["histogram"] = _histogram(sim.ratio)
    return {
        "draws": sim.draws,
        "seed": scenario.uncertainty.seed,
        "ranges": [
            {"path": t.path, "low": t.low, "mode": round(t.mode, 10), "high": t.high, "source": t.source}
            for t in ranged
        ],
        "strategies": strategies,
        "tco_ratio": ratio_doc,
        "win_probability": round(float(sim.win.mean()), 4),
        "gate5_probability": round(float(sim.gate5.mean()), 4),
        "recommendation_shares": {
            s: round(float((sim.recommendation == k).mean()), 4)
            for k, s in enumerate(STRATEGIES)
            if s in strategy_options(scenario)
        },
        "summary": _summary(scenario, sim, point_recommendation),
        "tornado": {
            "tco_ratio": _ratio(base_ratio),
            "inputs": [
                {
                    "path": s.path,
                    "low": round(s.low, 10),
                    "high": round(s.high, 10),
                    "from_range": s.from_range,
                    "tco_ratio_low": _ratio(s.ratio_low),
                    "tco_ratio_high": _ratio(s.ratio_high),
                    "recommendation_low": STRATEGIES[s.recommendation_low],
                    "recommendation_high": STRATEGIES[s.recommendation_high],
                }
                for s in swings[:TORNADO_TOP]
            ],
        },
    }
