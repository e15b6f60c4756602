"""`GET /compare?ids=1&ids=2`: two to four saved scenarios side by side.

Each scenario is shown as of its latest revision, computed from its frozen prices. The one chart
draws, for each scenario, the cumulative cost of the strategy it recommends: what the organisation
would actually spend under each scenario, month by month. P10/P50/P90 and the win probability of
each come after, from `GET /compare/uncertainty` (Monte Carlo is ten times a point estimate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app import saved
from app.db import queries
from app.db.models import RevisionRow, ScenarioRow
from app.deps import SessionDep
from app.engine import Scenario
from app.engine.scenario import STRATEGIES, STRATEGY_LABELS
from app.services import ScenarioError
from app.web import figures, forms, saved_views
from app.web.templating import templates

router = APIRouter(include_in_schema=False)

FEWEST, MOST = 2, 4
PICKABLE = 200
"""Scenarios offered in the picking form (the most recently updated, archived ones left out)."""
LINE_COLORS = ("#1f3a5f", "#d62728", "#2ca02c", "#9467bd")
"""One color per compared scenario: the lines are scenarios, not strategies (figures.COLORS)."""
LINE_DASHES = ("solid", "dash", "dot", "dashdot")
"""And one dash each, so the lines stay apart in grey print and for color-blind readers."""


@dataclass(frozen=True)
class Compared:
    """One scenario of the comparison: its row, latest revision and that revision's Estimate."""

    row: ScenarioRow
    rev: RevisionRow
    doc: dict[str, Any]


def parse_ids(values: list[str]) -> tuple[list[int], str]:
    """The scenario ids asked for, in order and without repeats, or why they cannot be compared."""
    ids: list[int] = []
    for text in values:
        if not text.strip().isdigit() or not 0 < int(text) < 2**31:
            return [], f"{text!r} is not a scenario number."
        if int(text) not in ids:
            ids.append(int(text))
    if not ids:
        return [], ""
    if len(ids) < FEWEST:
        return [], f"Pick at least {FEWEST} scenarios to compare (you picked {len(ids)})."
    if len(ids) > MOST:
        return [], f"Pick at most {MOST} scenarios to compare (you picked {len(ids)}): the table must stay readable."
    return ids, ""


def load(session: Session, ids: list[int], *, uncertainty: bool = False) -> tuple[list[Compared], str]:
    """The scenarios of `ids` at their latest revision, or the message naming those that do not exist."""
    out, missing = [], []
    for scenario_id in ids:
        row = queries.get_scenario(session, scenario_id=scenario_id)
        rev = queries.get_revision(session, scenario_id=scenario_id, number=row.latest_revision) if row else None
        if row is None or rev is None:
            missing.append(str(scenario_id))
        else:
            out.append(Compared(row, rev, saved.estimate_revision(rev, uncertainty=uncertainty)))
    if missing:
        return [], f"No scenario {', '.join(missing)}: pick from the list."
    return out, ""


def input_rows(items: list[Compared]) -> list[dict[str, Any]]:
    """Every input with each scenario's value, and its range where any has one; `changed` when they
    are not all the same."""
    scenarios = [Scenario.model_validate(c.rev.inputs) for c in items]
    values = [forms.values_of(s) for s in scenarios]
    ranges = [saved_views.range_texts(s) for s in scenarios]
    rows = []
    for path, title in saved_views.titles().items():
        texts = [v.get(path, "") for v in values]
        rows.append(
            {
                "path": path,
                "title": title,
                "values": [saved_views.shown(path, v) for v in values],
                "changed": len(set(texts)) > 1,
            }
        )
        if any(path in r for r in ranges):
            shown = [r.get(path, saved_views.NONE_TEXT) for r in ranges]
            rows.append(
                {"path": f"ranges.{path}", "title": f"{title} (range)", "values": shown, "changed": len(set(shown)) > 1}
            )
    return rows


def uncertainty_rows(items: list[Compared]) -> list[dict[str, Any]]:
    """P10/P50/P90 TCO of each strategy per scenario (None: not an option there), from Monte Carlo."""
    rows = []
    for s in STRATEGIES:
        if not any(s in c.doc["uncertainty"]["strategies"] for c in items):
            continue
        for q in ("p10", "p50", "p90"):
            values = [c.doc["uncertainty"]["strategies"].get(s, {}).get(f"{q}_usd") for c in items]
            rows.append({"strategy": s, "q": q, "title": f"{STRATEGY_LABELS[s]} TCO, {q.upper()}", "values": values})
    return rows


def _name(c: Compared) -> str:
    """A trace name: plotly.js reads a few HTML tags in names, so the user's text is made inert first."""
    return figures.plotly_text(f"{c.row.name}: {STRATEGY_LABELS[c.rev.recommendation]}")


def cumulative(items: list[Compared]) -> dict[str, Any]:
    """Each scenario's recommended strategy, cumulative cost by month: one line per scenario."""
    data = []
    for k, c in enumerate(items):
        strategy = c.doc["strategies"][c.rev.recommendation]
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": _name(c),
                "x": list(range(1, c.doc["horizon_months"] + 1)),
                "y": strategy["cumulative_usd"],
                "line": {"color": LINE_COLORS[k % len(LINE_COLORS)], "dash": LINE_DASHES[k % len(LINE_DASHES)]},
                "hovertemplate": "%{y:,.0f} USD",
            }
        )
    layout = figures.base_layout(  # the calculator's chart style
        xaxis=figures.axis_style("Month"),
        yaxis=figures.axis_style("Cumulative TCO (USD)", tickformat=",.0f", rangemode="tozero"),
    )
    return {"data": data, "layout": layout}


def cumulative_table(items: list[Compared]) -> dict[str, Any]:
    """The chart's numbers: a month per row, a scenario per column (blank past a shorter horizon)."""
    months = max(c.doc["horizon_months"] for c in items)
    series = [c.doc["strategies"][c.rev.recommendation]["cumulative_usd"] for c in items]
    rows = [[m + 1, *(s[m] if m < len(s) else None for s in series)] for m in range(months)]
    columns = ["Month", *(f"{c.row.name}: {STRATEGY_LABELS[c.rev.recommendation]}" for c in items)]
    return {"columns": columns, "rows": rows, "money": set(range(1, len(items) + 1))}


def pickable(session: Session, chosen: list[int]) -> list[ScenarioRow]:
    """The scenarios the form offers: recent ones, plus any chosen one that is archived or older."""
    _, rows = queries.list_scenarios(session, search=None, archived="false", sort="updated", limit=PICKABLE, offset=0)
    offered = [s for s, _ in rows]
    known = {s.id for s in offered}
    for scenario_id in chosen:
        row = queries.get_scenario(session, scenario_id=scenario_id)
        if row is not None and row.id not in known:
            offered.append(row)
    return offered


@router.get("/compare", response_class=HTMLResponse)
def compare(request: Request, session: SessionDep) -> Response:
    ids, message = parse_ids(request.query_params.getlist("ids"))
    items: list[Compared] = []
    if ids:
        items, message = load(session, ids)
    ctx: dict[str, Any] = {
        "nav": "compare",
        "message": message,
        "items": items,
        "chosen": [c.row.id for c in items] or ids,
        "offered": pickable(session, ids),
        "fewest": FEWEST,
        "most": MOST,
        "labels": STRATEGY_LABELS,
        "utc": saved_views.utc,
    }
    if items:
        rows = input_rows(items)
        revisions = [c.rev for c in items]
        ctx.update(
            changed=[r for r in rows if r["changed"]],
            inputs=rows,
            totals=saved_views.totals_rows(revisions),
            figure=cumulative(items),
            table=cumulative_table(items),
            uncertainty_url="/compare/uncertainty?" + urlencode([("ids", c.row.id) for c in items]),
        )
    return templates.TemplateResponse(request, "compare.html", ctx)


@router.get("/compare/uncertainty", response_class=HTMLResponse)
def compare_uncertainty(request: Request, session: SessionDep) -> Response:
    """P10/P50/P90 and the win probability of each compared scenario (frozen prices, stored seeds), as
    the fragment the comparison fetches once shown, or a page of its own. A plain `def`: the draws run
    in the thread pool."""
    ids, message = parse_ids(request.query_params.getlist("ids"))
    items: list[Compared] = []
    if ids:
        try:
            items, message = load(session, ids, uncertainty=True)
        except ScenarioError as exc:
            message = "Monte Carlo cannot run: " + str(exc)
    ctx: dict[str, Any] = {
        "message": message or ("" if items else "Pick scenarios to compare first."),
        "items": items,
        "rows": uncertainty_rows(items) if items else [],
        "labels": STRATEGY_LABELS,
        "nav": "compare",
    }
    if request.headers.get("HX-Request"):
        return templates.TemplateResponse(request, "_compare_uncertainty.html", ctx, headers={"Vary": "HX-Request"})
    ctx["back"] = "/compare?" + urlencode([("ids", i) for i in ids])
    status = 200 if items else 422
    return templates.TemplateResponse(request, "compare_uncertainty.html", ctx, status_code=status)
