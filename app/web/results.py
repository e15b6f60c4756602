"""What the results panel shows for one estimate: verdict in words, totals, charts and their tables.

Shared by the calculator and the saved-scenario pages, so a figure reads the same everywhere.
"""

from __future__ import annotations

from typing import Any

from app.engine import PriceSheet, Scenario
from app.engine.comparison import baseline_of
from app.engine.estimate import VolumeLines, tco_by_volume
from app.engine.scenario import STRATEGY_LABELS
from app.exports import tuned_of
from app.web import figures
from app.web.figures import compact, currency
from app.web.uncertainty_panel import running_text


def changes(doc: dict[str, Any]) -> list[str]:
    """What would change the answer, in plain words."""
    v = doc["verdict"]
    simpler = STRATEGY_LABELS[v["simpler"]]
    tuned = STRATEGY_LABELS[tuned_of(doc)]
    now = doc["monthly_requests"][0] if doc["monthly_requests"] else 0.0
    out = []
    volume = v["break_even_requests_per_month"]
    if volume is None:
        out.append(f"{tuned} never wins by 2x at any volume up to 1T requests a month.")
    elif volume == 0:
        out.append(f"{tuned} wins by 2x on TCO at any volume.")
    elif volume > now:
        out.append(
            f"{tuned} wins by 2x above {compact(volume)} requests a month "
            f"({volume / max(now, 1):.3g}x this scenario's {compact(now)})."
        )
    else:
        out.append(f"{tuned} wins by 2x above {compact(volume)} requests a month; this scenario has {compact(now)}.")
    month = v["break_even_month"]
    if month:
        out.append(f"{tuned}'s cumulative cost falls below {simpler}'s from month {month} on.")
    else:
        out.append(
            f"Within {doc['horizon_months']} months, {tuned.lower()}'s cumulative cost never falls below {simpler}'s."
        )
    failed = [g for g in v["gates"] if not g["passed"] and g["id"] != 5]
    if failed:
        which = ", ".join(str(g["id"]) for g in failed)
        out.append(
            f"Whatever the costs, {tuned.lower()} waits on gate{'s' if len(failed) > 1 else ''} {which} (below)."
        )
    if v["latency_rules_out_apis"]:
        out.append("The latency budget rules out the API routes: only the tuned model meets it.")
    return out


def context(
    doc: dict[str, Any],
    scenario: Scenario,
    sheet: PriceSheet,
    *,
    uncertainty_url: str,
    lines: VolumeLines | None = None,
) -> dict[str, Any]:
    """The template context of `_results.html`; `uncertainty_url` serves its uncertainty panel, which
    the page fetches once the results are on screen (app.web.uncertainty_panel). `lines`: the
    estimate's own costs at two volumes, which the volume chart is read off (else costed again)."""
    if found := doc.get("model_comparison"):  # the strategies are priced on the baseline model
        scenario, sheet = baseline_of(scenario, sheet, found["baseline_model"])
    now = doc["monthly_requests"][0] if doc["monthly_requests"] else 0.0
    volumes = figures.volume_grid(now, doc["verdict"]["break_even_requests_per_month"])
    curve = tco_by_volume(scenario, sheet, volumes, lines=lines)
    return {
        "doc": doc,
        "currency": currency(doc),
        "usd_to_currency": scenario.finance.usd_to_currency,
        "labels": STRATEGY_LABELS,
        "changes": changes(doc),
        "charts": [
            {
                "id": "chart-cumulative",
                "title": "Cumulative TCO per strategy",
                "figure": figures.cumulative(doc),
                "table": figures.cumulative_table(doc),
            },
            {
                "id": "chart-savings",
                "title": f"What {STRATEGY_LABELS[doc['verdict']['recommendation']]} saves, month by month",
                "figure": figures.savings(doc),
                "table": figures.savings_table(doc),
            },
            {
                "id": "chart-monthly",
                "title": "Monthly cost by category",
                "figure": figures.monthly(doc),
                "table": figures.monthly_table(doc),
            },
            {
                "id": "chart-volume",
                "title": "TCO against volume",
                "figure": figures.volume(doc, volumes, curve),
                "table": figures.volume_table(doc, volumes, curve),
            },
            *(
                [
                    {
                        "id": "chart-models",
                        "title": "The same workload on other API models",
                        "figure": figures.models(doc),
                        "table": figures.models_table(doc),
                    }
                ]
                if doc.get("model_comparison")
                else []
            ),
        ],
        "uncertainty_url": uncertainty_url,
        "running": running_text(scenario),
        "discount_rate": scenario.finance.discount_rate,
    }
