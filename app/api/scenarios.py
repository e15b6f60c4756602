"""Saved scenarios and their revisions: create, list, read, edit (409 on a stale revision), archive,
restore, re-price, and the estimate of any revision."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app import saved
from app.api.body import OffLoopRoute
from app.api.estimates import EXAMPLE, ScenarioBody, UncertaintyQuery, json_response
from app.db import queries
from app.db.models import RevisionRow, ScenarioRow
from app.deps import PrincipalDep, ScenarioId, SessionDep
from app.engine import Estimate, PriceSheet, Scenario

router = APIRouter(route_class=OffLoopRoute, prefix="/scenarios", tags=["scenarios"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such scenario or revision."}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The revision named is no longer the latest: reload; nothing was written."}
}


class RevisionSummary(BaseModel):
    number: int
    action: Literal["created", "edited", "repriced"]
    author: str
    created_at: dt.datetime
    catalog_version: str
    totals: dict[str, float]
    """Total USD per strategy over the horizon."""
    recommendation: str
    tco_ratio: float | None


class RevisionOut(RevisionSummary):
    inputs: Scenario
    prices: PriceSheet
    """The prices this revision was computed with, frozen."""


class ScenarioOut(BaseModel):
    id: int
    name: str
    description: str
    latest_revision: int
    created_at: dt.datetime
    updated_at: dt.datetime
    archived: bool
    archived_at: dt.datetime | None
    status: Literal["draft", "in_review", "approved", "changes_requested"]
    """The review status: a new revision makes a scenario a draft again."""
    approved_revision: int | None
    """The revision a reviewer approved last (it stays approved while later revisions are drafts)."""
    revision: RevisionSummary
    """The latest revision."""


class ScenarioDetail(ScenarioOut):
    revision: RevisionOut


class ScenarioPage(BaseModel):
    total: int
    """Scenarios matching the filters, before paging."""
    items: list[ScenarioOut]


class ScenarioEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int = Field(ge=1, le=1_000_000)
    """The revision this edit starts from; if it is no longer the latest, 409 and nothing is written."""
    scenario: Scenario


class Reprice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int = Field(ge=1, le=1_000_000)
    """The latest revision, as the caller knows it (409 otherwise)."""


EditBody = Annotated[
    ScenarioEdit,
    Body(
        openapi_examples={
            "edit": {
                "summary": "Revision 1, with the volume doubled",
                "value": {"revision": 1, "scenario": {**EXAMPLE, "workload": {"requests_per_day": 40000}}},
            }
        }
    ),
]
RepriceBody = Annotated[
    Reprice, Body(openapi_examples={"latest": {"summary": "Re-price the latest revision, 1", "value": {"revision": 1}}})
]


def _summary(rev: RevisionRow) -> dict[str, Any]:
    return {k: getattr(rev, k) for k in RevisionSummary.model_fields}


def _scenario_out(row: ScenarioRow, rev: RevisionRow, *, full: bool = False) -> dict[str, Any]:
    revision = _summary(rev) | ({"inputs": rev.inputs, "prices": rev.prices} if full else {})
    return {
        **{
            k: getattr(row, k)
            for k in ("id", "name", "description", "latest_revision", "created_at", "updated_at", "status")
        },
        "approved_revision": row.approved_revision,
        "archived": row.archived_at is not None,
        "archived_at": row.archived_at,
        "revision": revision,
    }


def _found(session: SessionDep, scenario_id: int) -> ScenarioRow:
    row = queries.get_scenario(session, scenario_id=scenario_id)
    if row is None:
        raise HTTPException(404, f"no scenario {scenario_id}")
    return row


def _revision(session: SessionDep, row: ScenarioRow, number: int | None) -> RevisionRow:
    assert row.id is not None
    rev = queries.get_revision(session, scenario_id=row.id, number=number or row.latest_revision)
    if rev is None:
        raise HTTPException(404, f"scenario {row.id} has no revision {number}; the latest is {row.latest_revision}")
    return rev


def _detail(session: SessionDep, row: ScenarioRow) -> dict[str, Any]:
    return _scenario_out(row, _revision(session, row, None), full=True)


def _conflict(exc: queries.StaleRevision) -> HTTPException:
    return HTTPException(409, str(exc))


@router.post(
    "", operation_id="create_scenario", summary="Save a new scenario", status_code=201, response_model=ScenarioDetail
)
def create(scenario: ScenarioBody, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """Save a scenario as revision 1, priced at today's catalog."""
    row = saved.save(session, scenario=scenario, author=principal.username)
    return _detail(session, row)


@router.get("", operation_id="list_scenarios", summary="List saved scenarios", response_model=ScenarioPage)
def list_(
    session: SessionDep,
    search: Annotated[str | None, Query(max_length=200, pattern="^[^\x00]*$", description="Text in the name.")] = None,
    archived: Annotated[queries.Archived, Query(description="false, true or all.")] = "false",
    sort: Annotated[queries.Sort, Query()] = "updated",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Scenarios with their latest totals and recommendation; newest first by default."""
    total, rows = queries.list_scenarios(
        session, search=search, archived=archived, sort=sort, limit=limit, offset=offset
    )
    return {"total": total, "items": [_scenario_out(s, r) for s, r in rows]}


@router.get(
    "/{scenario_id}",
    operation_id="get_scenario",
    summary="One saved scenario",
    response_model=ScenarioDetail,
    responses=NOT_FOUND,
)
def read(scenario_id: ScenarioId, session: SessionDep) -> dict[str, Any]:
    return _detail(session, _found(session, scenario_id))


@router.put(
    "/{scenario_id}",
    operation_id="edit_scenario",
    summary="Edit a scenario (a new revision)",
    response_model=ScenarioDetail,
    responses={**NOT_FOUND, **CONFLICT},
)
def edit(scenario_id: ScenarioId, body: EditBody, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """A new revision from the one named in `revision`. Prices of unchanged ids stay frozen."""
    row = _found(session, scenario_id)
    try:
        saved.edit(session, row=row, expected=body.revision, scenario=body.scenario, author=principal.username)
    except queries.StaleRevision as exc:
        raise _conflict(exc) from exc
    return _detail(session, row)


@router.delete(
    "/{scenario_id}",
    operation_id="archive_scenario",
    summary="Archive a scenario",
    response_model=ScenarioDetail,
    responses=NOT_FOUND,
)
def archive(scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """Archive: hidden from the default list, restorable, nothing lost."""
    row = queries.set_archived(session, scenario=_found(session, scenario_id), archived=True, actor=principal.username)
    return _detail(session, row)


@router.post(
    "/{scenario_id}/restore",
    operation_id="restore_scenario",
    summary="Restore an archived scenario",
    response_model=ScenarioDetail,
    responses=NOT_FOUND,
)
def restore(scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    row = queries.set_archived(session, scenario=_found(session, scenario_id), archived=False, actor=principal.username)
    return _detail(session, row)


@router.get(
    "/{scenario_id}/revisions",
    operation_id="list_revisions",
    summary="A scenario's revisions",
    response_model=list[RevisionSummary],
    responses=NOT_FOUND,
)
def revisions(scenario_id: ScenarioId, session: SessionDep) -> list[dict[str, Any]]:
    row = _found(session, scenario_id)
    assert row.id is not None
    return [_summary(r) for r in queries.list_revisions(session, scenario_id=row.id)]


@router.get(
    "/{scenario_id}/revisions/{number}",
    operation_id="get_revision",
    summary="One revision",
    response_model=RevisionOut,
    responses=NOT_FOUND,
)
def revision(
    scenario_id: ScenarioId, number: Annotated[int, Field(ge=1, le=1_000_000)], session: SessionDep
) -> dict[str, Any]:
    rev = _revision(session, _found(session, scenario_id), number)
    return _summary(rev) | {"inputs": rev.inputs, "prices": rev.prices}


@router.get(
    "/{scenario_id}/estimate",
    operation_id="estimate_scenario",
    summary="The estimate of a saved revision",
    response_model=Estimate,
    responses=NOT_FOUND,
)
def estimate(
    scenario_id: ScenarioId,
    session: SessionDep,
    revision: Annotated[int | None, Query(ge=1, le=1_000_000, description="Default: the latest.")] = None,
    uncertainty: UncertaintyQuery = False,
) -> Response:
    """The Estimate of a revision, from its inputs and its frozen prices; with uncertainty=true, its
    Monte Carlo too, from the ranges and the seed it was saved with: the same figures on every call."""
    rev = _revision(session, _found(session, scenario_id), revision)
    return json_response(saved.estimate_revision(rev, uncertainty=uncertainty))


@router.post(
    "/{scenario_id}/reprice",
    operation_id="reprice_scenario",
    summary="Re-price a scenario at today's catalog",
    response_model=ScenarioDetail,
    responses={**NOT_FOUND, **CONFLICT},
)
def reprice(scenario_id: ScenarioId, body: RepriceBody, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """A new revision with the same inputs at today's catalog; the old revision keeps its figures. When
    today's catalog gives the latest revision's prices again, nothing is added: the scenario as it is."""
    row = _found(session, scenario_id)
    try:
        saved.reprice(session, row=row, expected=body.revision, author=principal.username)
    except queries.StaleRevision as exc:
        raise _conflict(exc) from exc
    return _detail(session, row)
