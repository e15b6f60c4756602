"""The uncertainty panel of one estimate, and the seeds' ranges filled into the form.

The panel (Monte Carlo percentiles, probabilities, the fan chart, the TCO-ratio histogram and the
tornado) is a fragment of its own, fetched by htmx once the results are on screen: the draws take
tens of milliseconds, ten times a recompute, and typing must never wait for them. The calculator,
a saved scenario and the comparison each serve it from their own address (`respond`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from app.engine import Scenario
from app.engine.scenario import STRATEGIES, STRATEGY_LABELS, TCO_RULE
from app.exports import tuned_of
from app.services import ScenarioError, with_seed_ranges
from app.web import fields, figures, forms
from app.web.templating import share, templates


def running_text(scenario: Scenario) -> str:
    """What the panel says while it loads."""
    n = len(scenario.ranges)
    if not n:
        return "No input has a range: computing the tornado (each input moved 30% either way)\u2026"
    return f"Running {scenario.uncertainty.draws:,} draws of {n} ranged input{'s' if n > 1 else ''}\u2026"


def verdict_line(doc: dict[str, Any]) -> str:
    """The panel in one line, shown beside the verdict: "fine-tuning wins by 2x in 34% of draws"."""
    unc = doc["uncertainty"]
    if not unc["ranges"]:
        return "No input has a range, so there is no spread to draw: the tornado shows what moves the ratio most."
    point = doc["verdict"]["recommendation"]
    held = unc["recommendation_shares"].get(point, 0.0)
    return (
        f"Over {unc['draws']:,} draws of the ranges, fine-tuning wins by {TCO_RULE:g}x "
        f"in {share(unc['win_probability'])} of draws; {STRATEGY_LABELS[point]} stays the recommendation "
        f"in {share(held)}."
    )


def _units() -> dict[str, str]:
    return {p: f.unit for p, f in fields.all_fields().items()}


def context(doc: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
    """The template context of `_uncertainty.html` for an Estimate document with its uncertainty."""
    unc = doc["uncertainty"]
    titles, units = fields.titles(), _units()
    ranged = bool(unc["ranges"])
    charts: list[dict[str, Any]] = []
    if ranged:
        charts.append(
            {
                "id": "chart-fan",
                "title": "Cumulative TCO across the draws (P10 to P90 band, P50 line)",
                "figure": figures.fan(doc),
                "table": figures.fan_table(doc),
            }
        )
        if unc["tco_ratio"]["histogram"]["counts"]:
            charts.append(
                {
                    "id": "chart-ratio",
                    "title": f"TCO ratio over the draws, with the {TCO_RULE:g}x line",
                    "figure": figures.ratio_histogram(doc),
                    "table": figures.ratio_histogram_table(doc),
                }
            )
    charts.append(
        {
            "id": "chart-tornado",
            "title": "What moves the TCO ratio most (tornado)",
            "figure": figures.tornado(doc, titles),
            "table": figures.tornado_table(doc, titles, units),
            "tall": True,
        }
    )
    percentiles = [
        {
            "strategy": s,
            "label": STRATEGY_LABELS[s],
            "point": doc["strategies"][s]["total_usd"],
            **unc["strategies"][s],
        }
        for s in STRATEGIES
        if s in unc["strategies"]
    ]
    return {
        "u": {
            "doc": doc,
            "unc": unc,
            "ranged": ranged,
            "summary": unc["summary"],
            "verdict_line": verdict_line(doc),
            "tuned_label": STRATEGY_LABELS[tuned_of(doc)],
            "percentiles": percentiles,
            "shares": [(STRATEGY_LABELS[s], p) for s, p in unc["recommendation_shares"].items()],
            "ranges": [
                {**r, "title": titles.get(r["path"], r["path"]), "unit": units.get(r["path"], "")}
                for r in unc["ranges"]
            ],
            "charts": charts,
            "problem": "",
            "slot_errors": {},
        },
    }


def problem_context(errors: list[dict[str, Any]] | dict[str, str]) -> dict[str, Any]:
    """The panel when Monte Carlo cannot run: each message, and those of a range beside its field."""
    pairs = list(errors.items()) if isinstance(errors, dict) else [(e["loc"], e["msg"]) for e in errors]
    titles = fields.titles()

    def where(loc: str) -> str:
        path = loc.removeprefix("ranges.")
        for part in ("low", "high", "source"):
            path = path.removesuffix("." + part)
        what = titles.get(path, path)
        return f"the range of {what}" if loc.startswith("ranges.") else what

    text = "; ".join(f"{where(loc)}: {msg}" for loc, msg in pairs)
    return {
        "u": {
            "problem": f"Monte Carlo cannot run: {text}.",
            "verdict_line": "Monte Carlo cannot run with these ranges: see the uncertainty panel below.",
            "slot_errors": {"err-" + loc.replace(".", "__"): msg for loc, msg in pairs if loc.startswith("ranges.")},
            "charts": [],
        }
    }


def respond(
    request: Request,
    estimate: Callable[[], dict[str, Any]],
    scenario: Scenario | None,
    *,
    errors: dict[str, str] | None = None,
    heading: str,
    back: str,
) -> Response:
    """The panel: to htmx the fragment; to a browser without script, a page of its own.

    A scenario that cannot be estimated still answers 200 to htmx (the panel says why, and names
    the field), so the panel never stays on "Running..."; a page answers 422.
    """
    status = 200
    if scenario is None:
        ctx, status = problem_context(errors or {}), 422
    else:
        try:
            ctx = context(estimate(), scenario)
        except ScenarioError as exc:
            ctx, status = problem_context(exc.errors), 422
    headers = {"Vary": "HX-Request"}
    if request.headers.get("HX-Request"):
        return templates.TemplateResponse(request, "_uncertainty.html", ctx, headers=headers)
    ctx.update(heading=heading, back=back)
    return templates.TemplateResponse(request, "uncertainty_page.html", ctx, status_code=status, headers=headers)


# --- the seeds' ranges, filled into the form ---


@dataclass
class SeedFill:
    """What "Fill the seeds' ranges" did: the form's text with the ranges added, and a report."""

    values: dict[str, str]
    applied: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    problem: str = ""
    scenario: Scenario | None = None


def fill_seed_ranges(parsed: forms.Parsed) -> SeedFill:
    """The seeds' ranges added to a form where they apply (`services.with_seed_ranges`), each with its
    source; a range already there, and everything else typed, stays as it is."""
    values = dict(parsed.values)
    if parsed.scenario is None:
        n = len(parsed.errors)
        return SeedFill(
            values,
            problem=f"Fix the {n} marked field{'s' if n > 1 else ''} first: a range is drawn around your value.",
        )
    try:
        with_seeds, skipped = with_seed_ranges(parsed.scenario)
    except ScenarioError as exc:
        return SeedFill(values, problem="Fix the marked fields first: " + str(exc))
    titles, specs = fields.titles(), fields.range_specs()
    applied = []
    for path, r in with_seeds.ranges.items():
        if path in parsed.scenario.ranges:
            continue
        spec = specs[path]
        values[spec.name("low")], values[spec.name("high")] = forms.display(r.low), forms.display(r.high)
        if not values.get(spec.name("source")):  # a source typed beforehand stays
            values[spec.name("source")] = r.source
        applied.append({"spec": spec, "title": titles[path], "low": r.low, "high": r.high, "source": r.source})
    return SeedFill(
        values,
        applied=applied,
        skipped=[(titles.get(p, p), why) for p, why in skipped.items()],
        scenario=forms.parse(values).scenario,
    )
