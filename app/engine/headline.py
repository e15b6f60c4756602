"""The answer in plain words (issue 17): a headline with the money and the reason, and two verdict
lines, cost (gate 5) and readiness (gates 1-4 and 6). One source for the pages, the API and the CLI.

Pure: the verdict's arrays and the scenario in, sentences out (docs/cost-model.md, section 9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .scenario import MIN_LABELED_EXAMPLES, STRATEGY_LABELS, TCO_RULE, Scenario, period

GATE_WHY = (
    "Fine-tuning changes how a model answers (format, tone, labels), not what it knows: facts belong in "
    "retrieval, where they can be updated the day they change.",
    "Most failures yield to a better prompt and a few examples, at a fraction of a tune's cost; until "
    "prompting has been tried, nobody knows what a tune would have to fix.",
    "Without a frozen golden set and a baseline score nobody can tell whether a tune is better, or see it "
    "drift after a retraining.",
    "A tune freezes a behaviour: a task that keeps changing would need a new training cycle at every change.",
    "A tune's compute is only a third to a fifth of its full cost (people, data, evaluation and upkeep make "
    "it 3-5x): winning by 2x on the full TCO absorbs that gap and the estimate's errors. A hard latency need "
    "that only a tune meets also passes.",
    "The data is the blocker, not the training: below about 1,000 good labeled examples a tune learns noise.",
)
"""Why each gate exists, in the order of the gates (002): shown beside each gate."""

OPENING = {
    "fine_tuning": "Fine-tune.",
    "prompting": "Keep prompting.",
    "rag": "Build RAG.",
    "hybrid": "Build the hybrid: RAG feeding a tune.",
}
TUNED_NAMES = {"fine_tuning": "Fine-tuning", "hybrid": "The hybrid (RAG feeding a tune)"}
"""How a sentence names the tuned route the 2x rule weighs, at its start."""


def money(x: float, currency: str) -> str:
    """An amount as sentences say it: "1,234 EUR". (float(): a NumPy float formats ten times slower.)"""
    return f"{float(x):,.0f} {currency}"


def percent(rate: float) -> str:
    """A yearly rate as sentences say it: 0.08 -> "8%", 0.075 -> "7.5%"."""
    return f"{rate * 100:.4g}%"


def compact(n: float) -> str:
    """A volume as sentences say it: 2,740,000 -> "2.74M", 15,300 -> "15.3k", 950 -> "950"."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return f"{n:,.0f}"


@dataclass(frozen=True)
class Facts:
    """What the sentences need of one row of a verdict."""

    recommendation: str
    simpler: str
    tuned: str
    """The tuned route weighed: fine_tuning, or hybrid for a task of both kinds."""
    ratio: float
    """TCO(simpler) / TCO(tuned) on the verdict's basis; inf when the tuned route costs nothing."""
    simpler_total: float
    tuned_total: float
    gates: tuple[bool, ...]
    """Gates 1-6 passed."""
    volume: float
    """Break-even requests a month; NaN: never below 1e12."""
    apis_ruled_out: bool
    tuned_meets_latency: bool
    stop: int | None
    """The month from which the tune cannot be kept up, if any."""


def _not_ready(scenario: Scenario, gates: tuple[bool, ...]) -> list[str]:
    """Short reasons for the readiness gates that fail (1-4 and 6), in gate order."""
    task = scenario.task
    reasons = {
        0: "it is a knowledge task (RAG's job, not a tune's)",
        1: "prompting with examples has not been tried",
        2: "no evaluation harness",
        3: "the task is not narrow and stable yet",
        5: "no labeled examples"
        if task.labeled_examples == 0
        else f"only {task.labeled_examples:,} labeled examples ({MIN_LABELED_EXAMPLES:,} needed)",
    }
    return [text for k, text in reasons.items() if not gates[k]]


def _over(scenario: Scenario) -> str:
    finance = scenario.finance
    npv = f" in present value at {percent(finance.discount_rate)} a year" if finance.verdict_basis == "npv" else ""
    return f"over {scenario.horizon_months} months{npv}"


def cost_clause(scenario: Scenario, f: Facts) -> str:
    """The tuned route's cost against the simpler route's, how many times cheaper or dearer, and from
    which volume it would win by 2x."""
    cur = scenario.finance.currency
    against = f"{money(f.simpler_total, cur)} for {STRATEGY_LABELS[f.simpler] if f.simpler == 'rag' else 'prompting'}"
    name = "The hybrid" if f.tuned == "hybrid" else "Fine-tuning"  # the opening has said what the hybrid is
    if math.isinf(f.ratio):
        return f"{name} would cost nothing {_over(scenario)} against {against}"
    text = f"{name} would cost {money(f.tuned_total, cur)} {_over(scenario)} against {against}"
    if f.ratio >= TCO_RULE:
        return f"{text}: {f.ratio:.2f}x cheaper, past the 2x rule"
    if f.ratio >= 1:
        text += f": {f.ratio:.2f}x cheaper, short of the 2x rule"
    elif f.ratio > 0:
        text += f" ({1 / f.ratio:.1f}x more)"
    else:  # the simpler route costs nothing (no traffic, no people): the tune can only cost more
        text += ", which costs nothing"
    if math.isnan(f.volume):
        return f"{text}; it stays short of 2x at any volume up to 1e12 requests a month"
    if f.volume > 0:
        return f"{text}; it would win by 2x only above {compact(f.volume)} requests a month"
    return text


def headline(scenario: Scenario, f: Facts) -> str:
    """One or two sentences: what to do, the money, and the reason."""
    opening = OPENING[f.recommendation]
    cost = cost_clause(scenario, f)
    latency = scenario.workload.latency_budget_ms
    if f.apis_ruled_out and f.tuned_meets_latency and latency is not None:
        cost += f", and only a tune meets the {latency:g} ms latency budget"
    elif latency is not None and not f.tuned_meets_latency and not f.gates[4] and f.ratio >= TCO_RULE:
        cost += f", but a tune misses the {latency:g} ms latency budget"
    missing = _not_ready(scenario, f.gates)
    if missing:
        joiner = ", but" if f.gates[4] else ", and"
        text = f"{cost}{joiner} the team is not ready yet: {', '.join(missing)}."
    elif f.stop is not None:
        when = f"month {f.stop} ({period(scenario.start_month, f.stop)})"
        text = (
            f"{cost}, but the tune cannot be kept up from {when}: its provider stops serving or training it "
            "and no successor is named."
        )
    elif f.recommendation == f.tuned:
        text = f"{cost}, and the team is ready: every gate passes."
    else:
        text = f"{cost}; the team is ready, so the cost decides."
    return f"{opening} {text}"


def readiness_line(scenario: Scenario, f: Facts) -> tuple[bool, str]:
    """Gates 1-4 and 6 in one line: ready, or what is missing."""
    missing = _not_ready(scenario, f.gates)
    if missing:
        return False, "Not ready yet: " + "; ".join(missing) + "."
    examples = f"{scenario.task.labeled_examples:,} labeled examples"
    kind = (
        "a behaviour task" if f.tuned == "fine_tuning" else "retrieval for the knowledge and a tune for the behaviour"
    )
    return True, f"Ready: {kind}, prompting tried, an evaluation harness, a narrow and stable task, {examples}."
