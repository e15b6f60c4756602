"""Right-sizing the API model: prompting and RAG priced on each of `prompting.candidates`, for the same
workload and horizon (docs/cost-model.md, section 25).

Advice, not a verdict: a candidate replaces the chosen model as the baseline of the 2x rule only when
the user marked it good enough (`prompting.acceptable`) and its simpler route costs less. The engine
stays pure: the candidates' prices come in the sheet (`PriceSheet.candidates`), frozen with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .headline import money
from .prices import PriceSheet, TokenPrices
from .scenario import STRATEGY_LABELS, PriceOverrides, Scenario, tuned_strategy

Summaries = Callable[[Sequence[Scenario], Sequence[PriceSheet]], list[dict[str, Any]]]
"""Summary documents of scenarios priced on their sheets (`estimate_documents`, detail="summary")."""


def on_model(scenario: Scenario, sheet: PriceSheet, prices: TokenPrices) -> tuple[Scenario, PriceSheet]:
    """The scenario with prompting and RAG on another API model, at its catalog prices: the scenario's
    negotiated rates are the chosen model's, not the candidate's. Everything else stays."""
    prompting = scenario.prompting.model_copy(update={"model": prices.id, "prices": PriceOverrides()})
    rag = scenario.rag.model_copy(update={"model": prices.id, "prices": PriceOverrides()})
    moved = scenario.model_copy(update={"prompting": prompting, "rag": rag})
    return moved, sheet.model_copy(
        update={"prompting": prices, "rag": prices if sheet.rag is not None else None, "candidates": []}
    )


def baseline_of(scenario: Scenario, sheet: PriceSheet, model: str) -> tuple[Scenario, PriceSheet]:
    """The scenario and sheet an estimate's strategies were priced on, given its baseline model
    (`model_comparison.baseline_model`): the chosen model's, or a candidate's."""
    if model == sheet.prompting.id:
        return scenario, sheet
    prices = next(c for c in sheet.candidates if c.id == model)
    return on_model(scenario, sheet, prices)


def compared(scenario: Scenario, sheet: PriceSheet) -> bool:
    """Whether the scenario names candidates its sheet prices (a sheet saved before them has none)."""
    return bool(scenario.prompting.candidates) and bool(sheet.candidates)


def compare(
    scenarios: Sequence[Scenario], sheets: Sequence[PriceSheet], summaries: Summaries
) -> tuple[list[Scenario], list[PriceSheet], dict[int, dict[str, Any]]]:
    """The scenarios and sheets to estimate, each on its baseline model, and the `model_comparison` of
    each scenario that has candidates, by index. One engine call prices every candidate of every
    scenario, with the chosen model beside them."""
    rows: list[tuple[int, bool, Scenario, PriceSheet]] = []  # (scenario index, is the chosen model, ...)
    for i, (scenario, sheet) in enumerate(zip(scenarios, sheets, strict=True)):
        if not compared(scenario, sheet):
            continue
        rows.append((i, True, scenario, sheet))
        own = sheet.prompting.id
        rows.extend((i, False, *on_model(scenario, sheet, c)) for c in sheet.candidates if c.id != own)
    out_scenarios, out_sheets = list(scenarios), list(sheets)
    if not rows:
        return out_scenarios, out_sheets, {}
    try:
        docs = summaries([r[2] for r in rows], [r[3] for r in rows])
    except ValueError as exc:  # AmountTooLarge, RangeError: name the scenario the row was made from
        if isinstance(getattr(exc, "index", None), int):
            exc.index = rows[exc.index][0]  # type: ignore[attr-defined]
        raise
    by_scenario: dict[int, list[tuple[bool, Scenario, PriceSheet, dict[str, Any]]]] = {}
    for (i, is_chosen, s, sh), doc in zip(rows, docs, strict=True):
        by_scenario.setdefault(i, []).append((is_chosen, s, sh, doc))
    comparisons: dict[int, dict[str, Any]] = {}
    for i, entries in by_scenario.items():
        scenario = scenarios[i]
        best = _baseline(scenario, entries)
        if best is not None:
            out_scenarios[i], out_sheets[i] = best[1], best[2]
        comparisons[i] = _document(scenario, entries, best)
    return out_scenarios, out_sheets, comparisons


def _route(doc: dict[str, Any]) -> str:
    return str(doc["verdict"]["simpler"])


def _weighed(doc: dict[str, Any]) -> float:
    """The simpler route's total on the verdict's basis: what the 2x rule weighs."""
    strategy = doc["strategies"][_route(doc)]
    return float(strategy["npv_usd"] if doc["verdict"]["basis"] == "npv" else strategy["total_usd"])


def _baseline(
    scenario: Scenario, entries: list[tuple[bool, Scenario, PriceSheet, dict[str, Any]]]
) -> tuple[bool, Scenario, PriceSheet, dict[str, Any]] | None:
    """The acceptable candidate whose simpler route costs least, if it costs less than the chosen model's
    (on a tie, the chosen model stays)."""
    acceptable = set(scenario.prompting.acceptable)
    chosen = next(e for e in entries if e[0])
    best = None
    for entry in entries:
        if entry[0] or entry[2].prompting.id not in acceptable:
            continue
        if _weighed(entry[3]) < _weighed((best or chosen)[3]):
            best = entry
    return best


def model_row(doc: dict[str, Any], *, chosen: bool, acceptable: bool, chosen_total: float) -> dict[str, Any]:
    """One model's row of `model_comparison.models`, from the summary document of an estimate priced on
    it (`prices_used.prompting` names it): its simpler route, both routes' totals, its own events."""
    route = _route(doc)
    strategies = doc["strategies"]
    total = strategies[route]["total_usd"]
    return {
        "model": doc["prices_used"]["prompting"]["id"],
        "chosen": chosen,
        "acceptable": acceptable,
        "route": route,
        "total_usd": total,
        "cost_per_1k_requests_usd": strategies[route]["cost_per_1k_requests_usd"],
        "saving_usd": round(chosen_total - total, 2),
        "prompting_total_usd": strategies["prompting"]["total_usd"],
        "rag_total_usd": strategies["rag"]["total_usd"] if "rag" in strategies else None,
        "events": [e for e in doc["lifecycle_events"] if e["strategy"] in ("prompting", "rag")],
    }


def _document(
    scenario: Scenario,
    entries: list[tuple[bool, Scenario, PriceSheet, dict[str, Any]]],
    best: tuple[bool, Scenario, PriceSheet, dict[str, Any]] | None,
) -> dict[str, Any]:
    chosen_sheet, chosen_doc = next((e[2], e[3]) for e in entries if e[0])
    acceptable = set(scenario.prompting.acceptable)
    chosen_total = chosen_doc["strategies"][_route(chosen_doc)]["total_usd"]
    models = [
        model_row(
            doc, chosen=is_chosen, acceptable=is_chosen or sh.prompting.id in acceptable, chosen_total=chosen_total
        )
        for is_chosen, _, sh, doc in entries
    ]
    baseline = (best or next(e for e in entries if e[0]))[2].prompting.id
    return {
        "chosen_model": chosen_sheet.prompting.id,
        "baseline_model": baseline,
        "summary": _summary(scenario, models, baseline, chosen_doc["currency"]),
        "models": models,
    }


def _summary(scenario: Scenario, models: list[dict[str, Any]], baseline: str, currency: str) -> str:
    """The comparison in words: which model the 2x rule weighs against, and why."""
    chosen = models[0]
    months = scenario.horizon_months
    cheapest = min(models[1:], key=lambda m: m["total_usd"], default=None)

    def priced(m: dict[str, Any]) -> str:
        return f"{STRATEGY_LABELS[m['route']]} on {m['model']} costs {money(m['total_usd'], currency)}"

    if baseline != chosen["model"]:
        m = next(m for m in models if m["model"] == baseline)
        return (
            f"{priced(m)} over {months} months against {money(chosen['total_usd'], currency)} on "
            f"{chosen['model']}: you marked it good enough for the task, so the 2x rule weighs "
            f"{'the hybrid' if tuned_strategy(scenario) == 'hybrid' else 'fine-tuning'} against it."
        )
    if cheapest is None or cheapest["saving_usd"] <= 0:
        return (
            f"None of the {len(models) - 1} candidates costs less than {chosen['model']} over {months} months: "
            "the chosen model stays the baseline."
        )
    return (
        f"{priced(cheapest)} over {months} months, {money(cheapest['saving_usd'], currency)} less than "
        f"{chosen['model']}. Advice only: mark it good enough for the task, if it is, and it becomes the "
        "baseline of the 2x rule."
    )
