"""The one-page report finance can file (issue 17): a saved revision's answer, or the calculator's
current inputs', on a page that prints on at most two A4 pages (static/css/app.css, `.report-page`).

It is computed as the pages compute it: a revision from its inputs and frozen prices
(`app.web.scenarios.results_of`), the calculator's inputs at today's catalog
(`app.web.calculator.compute`); the review status comes from `scenarios.review_context`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import ScenarioId, SessionDep
from app.exports import currency_of
from app.web import figures, forms, saved_views
from app.web.calculator import compute
from app.web.scenarios import RevisionQuery, found, results_of, review_context, revision_of
from app.web.templating import templates

router = APIRouter(include_in_schema=False)


def report_context(doc: dict[str, Any], shown: dict[str, Any]) -> dict[str, Any]:
    """What the report shows of an estimate: the results' context, and the one chart it draws."""
    return {
        **{k: shown[k] for k in ("doc", "usd_to_currency", "labels", "discount_rate")},
        "currency": currency_of(doc),
        "chart": {
            "id": "chart-cumulative",
            "title": "Cumulative TCO per strategy",
            "figure": figures.cumulative(doc),
            "table": figures.cumulative_table(doc),
        },
        "utc": saved_views.utc,
    }


@router.get("/scenarios/{scenario_id}/report", response_class=HTMLResponse)
def scenario_report(
    request: Request,
    scenario_id: ScenarioId,
    session: SessionDep,
    revision: RevisionQuery = None,
) -> Response:
    """The report of a saved revision (the latest by default), at its frozen prices."""
    row = found(session, scenario_id)
    rev = revision_of(session, row, revision)
    shown = results_of(row, rev)
    ctx = {
        **report_context(shown["doc"], shown),
        **review_context(session, row),
        "row": row,
        "rev": rev,
        "title": f"Report: {row.name}, revision {rev.number}",
        "back": f"/scenarios/{row.id}?revision={rev.number}",
    }
    return templates.TemplateResponse(request, "report.html", ctx)


@router.get("/report", response_class=HTMLResponse)
def calculator_report(request: Request) -> Response:
    """The report of the calculator's current inputs (its query string), at today's catalog; inputs
    in error are a 422 page that names them and links back to the calculator."""
    parsed = forms.parse(request.query_params)
    computed = compute(parsed)
    query = computed.get("query") or request.url.query
    back = "/?" + query if query else "/"
    if not computed["results"]:
        ctx = {"errors": computed["errors"], "title": "Report: inputs to fix", "back": back, "doc": None}
        return templates.TemplateResponse(request, "report.html", ctx, status_code=422)
    ctx = {
        **report_context(computed["doc"], computed),
        "row": None,
        "rev": None,
        "title": "Report: current inputs",
        "back": back,
    }
    return templates.TemplateResponse(request, "report.html", ctx)
