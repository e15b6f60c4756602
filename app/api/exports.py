"""Exports for spreadsheets: CSV (long, wide or percentiles), XLSX and JSON of a saved revision or of a
posted scenario.

A saved revision's export is computed from its inputs and frozen prices (and its Monte Carlo from
its ranges and seed), so `?revision=N` always gives the same figures; without it, the latest revision.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app import exports, saved
from app.api.body import OffLoopRoute
from app.api.estimates import ScenarioBody, UncertaintyQuery, json_response
from app.api.scenarios import NOT_FOUND, _found, _revision
from app.db.models import RevisionRow
from app.deps import ScenarioId, SessionDep
from app.engine import Estimate, Scenario
from app.services import estimate_one

router = APIRouter(route_class=OffLoopRoute, tags=["exports"])

RevisionQuery = Annotated[
    int | None, Query(ge=1, le=1_000_000, description="Revision number; default: the latest. Its figures never change.")
]
ShapeQuery = Annotated[
    exports.Shape,
    Query(
        description="long: one row per strategy, month and category. wide: one row per month. "
        "percentiles: one row per month with each strategy's cumulative cost at the point estimate and "
        "at P10, P50 and P90 of the Monte Carlo draws over the scenario's ranges (the fan chart). "
        "annual: one row per calendar year, or fiscal year (finance.fiscal_year_start_month). "
        "models: one row per API model of prompting.candidates, the chosen one first (model_comparison)."
    ),
]

_STRING = {"schema": {"type": "string"}}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_DISPOSITION = {
    "Content-Disposition": {
        "description": 'attachment; filename="<slug of the name>-r<revision>.<ext>" (no -r part when posted); '
        "a CSV of another shape than long ends in -<shape> (`-r3-wide.csv`, `-r3-percentiles.csv`, `-r3-annual.csv`, "
        "`-r3-models.csv`)",
        "schema": {"type": "string"},
    }
}
CSV_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "CSV, UTF-8, a header row then one row per record.",
        "content": {"text/csv": _STRING},
        "headers": _DISPOSITION,
    }
}
XLSX_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An XLSX workbook: Summary, Monthly, Inputs and Prices sheets; with uncertainty=true "
        "a Percentiles sheet too.",
        # octet-stream beside the workbook's own type: generated clients (openapi-python-client) know
        # that one and hand the bytes over as a File; they drop an answer of a type they do not know
        "content": {exports.XLSX_MEDIA_TYPE: _BINARY, "application/octet-stream": _BINARY},
        "headers": _DISPOSITION,
    }
}
JSON_OK: dict[int | str, dict[str, Any]] = {200: {"description": "The Estimate as a file.", "headers": _DISPOSITION}}


class SavedEstimate(Estimate):
    """The Estimate of a saved revision, with the revision's number and inputs."""

    revision: int
    scenario: Scenario


def _attachment(response: Response, filename: str) -> Response:
    """A download: browsers save it under `filename`, spreadsheets read it as is."""
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _saved(
    session: SessionDep, scenario_id: int, revision: int | None, *, uncertainty: bool = False
) -> tuple[RevisionRow, dict[str, Any]]:
    rev = _revision(session, _found(session, scenario_id), revision)
    return rev, saved.estimate_revision(rev, uncertainty=uncertainty)


# --- a saved scenario ---


@router.get(
    "/scenarios/{scenario_id}/export.csv",
    operation_id="export_scenario_csv",
    response_class=Response,
    responses={**CSV_OK, **NOT_FOUND},
    summary="Export a saved revision as CSV",
)
def saved_csv(
    scenario_id: ScenarioId, session: SessionDep, revision: RevisionQuery = None, shape: ShapeQuery = "long"
) -> Response:
    """`shape=wide` gives one row per month, for a spreadsheet's IMPORTDATA or Power Query;
    `shape=percentiles` the fan chart, from the revision's ranges and seed."""
    rev, doc = _saved(session, scenario_id, revision, uncertainty=shape == "percentiles")
    text = exports.csv_export(doc, shape=shape, revision=rev.number)
    name = exports.export_filename(doc["scenario_name"], "csv", revision=rev.number, shape=shape)
    return _attachment(Response(text, media_type=exports.CSV_MEDIA_TYPE), name)


@router.get(
    "/scenarios/{scenario_id}/export.xlsx",
    operation_id="export_scenario_xlsx",
    response_class=Response,
    responses={**XLSX_OK, **NOT_FOUND},
    summary="Export a saved revision as an XLSX workbook",
)
def saved_xlsx(
    scenario_id: ScenarioId, session: SessionDep, revision: RevisionQuery = None, uncertainty: UncertaintyQuery = False
) -> Response:
    """The same revision gives the same file, byte for byte (dated by the revision; the draws seeded)."""
    rev, doc = _saved(session, scenario_id, revision, uncertainty=uncertainty)
    data = exports.xlsx_export(doc, rev.inputs, revision=rev.number, created=rev.created_at)
    name = exports.export_filename(doc["scenario_name"], "xlsx", revision=rev.number)
    return _attachment(Response(data, media_type=exports.XLSX_MEDIA_TYPE), name)


@router.get(
    "/scenarios/{scenario_id}/export.json",
    operation_id="export_scenario_json",
    response_model=SavedEstimate,
    responses={**JSON_OK, **NOT_FOUND},
    summary="Export a saved revision as JSON",
)
def saved_json(
    scenario_id: ScenarioId, session: SessionDep, revision: RevisionQuery = None, uncertainty: UncertaintyQuery = False
) -> Response:
    """The Estimate document with the revision's `revision` number and `scenario` inputs."""
    rev, doc = _saved(session, scenario_id, revision, uncertainty=uncertainty)
    name = exports.export_filename(doc["scenario_name"], "json", revision=rev.number)
    return _attachment(json_response(exports.json_export(doc, scenario=rev.inputs, revision=rev.number)), name)


# --- a posted scenario, at today's catalog ---


@router.post(
    "/export.csv",
    operation_id="export_csv",
    response_class=Response,
    responses=CSV_OK,
    summary="Export a posted scenario as CSV",
)
def posted_csv(scenario: ScenarioBody, shape: ShapeQuery = "long") -> Response:
    """The scenario estimated at today's catalog, as with POST /estimate."""
    doc = estimate_one(scenario, uncertainty=shape == "percentiles")
    text = exports.csv_export(doc, shape=shape)
    name = exports.export_filename(scenario.name, "csv", shape=shape)
    return _attachment(Response(text, media_type=exports.CSV_MEDIA_TYPE), name)


@router.post(
    "/export.xlsx",
    operation_id="export_xlsx",
    response_class=Response,
    responses=XLSX_OK,
    summary="Export a posted scenario as an XLSX workbook",
)
def posted_xlsx(scenario: ScenarioBody, uncertainty: UncertaintyQuery = False) -> Response:
    doc = estimate_one(scenario, uncertainty=uncertainty)
    data = exports.xlsx_export(doc, scenario)
    return _attachment(
        Response(data, media_type=exports.XLSX_MEDIA_TYPE), exports.export_filename(scenario.name, "xlsx")
    )


@router.post(
    "/export.json",
    operation_id="export_json",
    response_model=Estimate,
    responses=JSON_OK,
    summary="Export a posted scenario as JSON",
)
def posted_json(scenario: ScenarioBody, uncertainty: UncertaintyQuery = False) -> Response:
    """The Estimate document, as POST /estimate returns it, as a file."""
    doc = estimate_one(scenario, uncertainty=uncertainty)
    return _attachment(json_response(exports.json_export(doc)), exports.export_filename(scenario.name, "json"))
