"""The review trail through the API: submit, approve, request changes, comments, and the audit log
(JSON and CSV) of a saved scenario. Who may do what is the guard's (app/auth/policy.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app import audit, review
from app.api.body import OffLoopRoute
from app.api.scenarios import NOT_FOUND, ScenarioDetail, _conflict, _detail, _found
from app.db import queries
from app.deps import PrincipalDep, ScenarioId, SessionDep
from app.exports import CSV_MEDIA_TYPE, export_filename

router = APIRouter(route_class=OffLoopRoute, prefix="/scenarios", tags=["review"])
STEP_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The revision is no longer the latest, or the status does not allow this step."}
}


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int = Field(ge=1, le=1_000_000)
    """The latest revision, as the caller saw it: a step on figures nobody has seen is refused (409)."""
    comment: str = Field(default="", max_length=5000)
    """Optional, except when requesting changes: it is saved as a comment on the revision."""


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int = Field(ge=1, le=1_000_000)
    body: Annotated[str, Field(min_length=1, max_length=5000)]


class CommentOut(BaseModel):
    id: int
    revision: int
    author: str
    body: str
    created_at: dt.datetime


class AuditEntry(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    """One of created, edited, repriced, duplicated, archived, restored, submitted, approved,
    changes_requested, commented, share_created, share_revoked."""
    revision: int | None
    detail: str


StepBody = Annotated[
    Step,
    Body(openapi_examples={"step": {"summary": "Revision 1", "value": {"revision": 1, "comment": "Volumes from Q3."}}}),
]
CommentBody = Annotated[
    CommentIn,
    Body(
        openapi_examples={
            "question": {"summary": "A question on revision 1", "value": {"revision": 1, "body": "Why 10 USD a label?"}}
        }
    ),
]


def _step(action: Any, scenario_id: int, body: Step, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    row = _found(session, scenario_id)
    try:
        action(session, row=row, revision=body.revision, actor=principal.username, comment=body.comment)
    except queries.StaleRevision as exc:
        raise _conflict(exc) from exc
    except review.ReviewError as exc:
        if exc.field:
            raise HTTPException(422, [{"loc": exc.field, "msg": str(exc), "type": "value_error"}]) from exc
        raise HTTPException(409, str(exc)) from exc
    return _detail(session, row)


STEP_RESPONSES = {**NOT_FOUND, **STEP_CONFLICT}


@router.post(
    "/{scenario_id}/submit",
    operation_id="submit_scenario",
    summary="Submit a revision for review",
    response_model=ScenarioDetail,
    responses=STEP_RESPONSES,
)
def submit(scenario_id: ScenarioId, body: StepBody, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """Draft or changes requested → in review."""
    return _step(review.submit, scenario_id, body, session, principal)


@router.post(
    "/{scenario_id}/approve",
    operation_id="approve_scenario",
    summary="Approve a revision",
    response_model=ScenarioDetail,
    responses=STEP_RESPONSES,
)
def approve(scenario_id: ScenarioId, body: StepBody, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """In review → approved; `approved_revision` pins the revision."""
    return _step(review.approve, scenario_id, body, session, principal)


@router.post(
    "/{scenario_id}/request-changes",
    operation_id="request_changes",
    summary="Request changes to a revision",
    response_model=ScenarioDetail,
    responses=STEP_RESPONSES,
)
def request_changes(
    scenario_id: ScenarioId, body: StepBody, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """In review → changes requested; the comment (required) says what should change."""
    return _step(review.request_changes, scenario_id, body, session, principal)


@router.get(
    "/{scenario_id}/comments",
    operation_id="list_comments",
    summary="A scenario's comments",
    response_model=list[CommentOut],
    responses=NOT_FOUND,
)
def comments(scenario_id: ScenarioId, session: SessionDep) -> list[Any]:
    """Oldest first."""
    row = _found(session, scenario_id)
    assert row.id is not None
    return list(review.comments(session, scenario_id=row.id))


@router.post(
    "/{scenario_id}/comments",
    operation_id="add_comment",
    summary="Comment on a revision",
    status_code=201,
    response_model=CommentOut,
    responses=NOT_FOUND,
)
def add_comment(scenario_id: ScenarioId, body: CommentBody, session: SessionDep, principal: PrincipalDep) -> Any:
    row = _found(session, scenario_id)
    try:
        return review.add_comment(session, row=row, revision=body.revision, actor=principal.username, body=body.body)
    except review.ReviewError as exc:
        loc = "revision" if exc.field == "revision" else "body"  # review.py calls every comment text `comment`
        raise HTTPException(422, [{"loc": loc, "msg": str(exc), "type": "value_error"}]) from exc


@router.get(
    "/{scenario_id}/audit",
    operation_id="get_audit_log",
    summary="A scenario's audit log",
    response_model=list[AuditEntry],
    responses=NOT_FOUND,
)
def audit_log(scenario_id: ScenarioId, session: SessionDep) -> list[Any]:
    """Every action on the scenario, newest first (append-only)."""
    row = _found(session, scenario_id)
    return list(audit.entries(session, scenario_id=row.id))


@router.get(
    "/{scenario_id}/audit.csv",
    operation_id="export_audit_csv",
    response_class=Response,
    summary="Export a scenario's audit log as CSV",
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "at,actor,action,revision,detail",
        },
        **NOT_FOUND,
    },
)
def audit_log_csv(scenario_id: ScenarioId, session: SessionDep) -> Response:
    """The audit log as CSV: at, actor, action, revision, detail (text cells safe from formula injection)."""
    row = _found(session, scenario_id)
    name = export_filename(f"{row.name} audit", "csv")
    text = audit.csv_text(audit.entries(session, scenario_id=row.id), with_scenario=False)
    return Response(text, media_type=CSV_MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{name}"'})
