"""The review trail on the pages: submit, approve, request changes, comment, share links, and what a
share link opens (/shared/<secret>: one revision, read-only, for someone without an account).

Each action answers 303 back to the scenario page (a reload never repeats it), or the page again with
the message beside the form that caused it. A new share link is shown on the response itself, once:
its secret never sits in an address or the browser's history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import exports, review, saved
from app.api.deps import PrincipalDep, SessionDep, SettingsDep
from app.api.scenarios import ScenarioId
from app.db import queries
from app.db.models import ScenarioRow, ShareLinkRow
from app.engine import Scenario
from app.web import saved_views
from app.web.scenarios import _revision_field, found, results_of, scenario_page
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
SHARED_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


def _step(
    request: Request,
    session: SessionDep,
    row: ScenarioRow,
    values: dict[str, str],
    act: Callable[[int], Any],
    done: str,
    field: str,
) -> Response:
    """Run one review action on the revision the form names; refusals come back beside the form."""
    number = _revision_field(values.get("revision"))
    try:
        if number is None:
            raise review.ReviewError("the form lost the revision it acts on: reload the page", field=field)
        act(number)
    except queries.StaleRevision as exc:
        problem = f"Not done: revision {number} is no longer the latest ({exc.latest}). Look at it first."
        return scenario_page(request, session, row, None, status=409, problem=problem, review_values=values)
    except review.ReviewError as exc:
        errors = {field: str(exc)[0].upper() + str(exc)[1:] + "."}
        status = 422 if exc.field else 409
        return scenario_page(request, session, row, None, status=status, review_errors=errors, review_values=values)
    return RedirectResponse(f"/scenarios/{row.id}?{done}=1", status_code=303)


def _step_route(path: str, step: Callable[..., Any], done: str, field: str, text: str = "comment") -> None:
    """POST /scenarios/{id}/<path>: one review step on the revision the form names, its text (`text`
    field) passed on as `comment` or `body` (whichever `step` takes)."""

    async def handler(
        request: Request, scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep
    ) -> Response:
        row, values = found(session, scenario_id), await _form(request)
        given = {text: values.get(text, "")}

        def act(n: int) -> Any:
            return step(session, row=row, revision=n, actor=principal.username, **given)

        return _step(request, session, row, values, act, done, field)

    handler.__name__ = path.replace("-", "_")
    router.post(f"/scenarios/{{scenario_id}}/{path}", response_class=HTMLResponse)(handler)


_step_route("submit", review.submit, "submitted", "submit")
_step_route("approve", review.approve, "approved", "decision")
_step_route("request-changes", review.request_changes, "changes_requested", "decision")
_step_route("comments", review.add_comment, "commented", "comment", text="body")


@router.post("/scenarios/{scenario_id}/shares", response_class=HTMLResponse)
async def create_share(
    request: Request, scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> Response:
    row, values = found(session, scenario_id), await _form(request)
    number = _revision_field(values.get("revision")) or row.latest_revision
    text = values.get("days", "").strip() or str(settings.share_link_days)
    days = int(text) if text.isdigit() and len(text) < 5 else 0
    try:
        _, secret = review.create_share(session, row=row, revision=number, actor=principal.username, days=days)
    except review.ReviewError as exc:
        errors = {"share": str(exc)[0].upper() + str(exc)[1:] + "."}
        return scenario_page(request, session, row, None, status=422, review_errors=errors, review_values=values)
    url = str(request.base_url).rstrip("/") + f"/shared/{secret}"
    response = scenario_page(request, session, row, None, status=201, share_secret=url)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/scenarios/{scenario_id}/shares/{share_id}/revoke")
def revoke_share(scenario_id: ScenarioId, share_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    link = session.get(ShareLinkRow, share_id)
    if link is None or link.scenario_id != scenario_id:
        raise HTTPException(404, f"Scenario {scenario_id} has no share link {share_id}.")
    review.revoke_share(session, link=link, actor=principal.username)
    return RedirectResponse(f"/scenarios/{scenario_id}?share_revoked=1", status_code=303)


# --- what a share link opens ---


def _shared(session: SessionDep, token: str) -> tuple[ScenarioRow, Any]:
    found_ = review.shared(session, secret=token[:200])
    if isinstance(found_, str):
        raise HTTPException(404, found_, headers=SHARED_HEADERS)
    return found_


@router.get("/shared/{token}", response_class=HTMLResponse)
def shared(request: Request, token: str, session: SessionDep) -> Response:
    row, rev = _shared(session, token)
    ctx: dict[str, Any] = {
        "row": row,
        "rev": rev,
        "token": token,
        "status_label": review.STATUS_LABELS.get(row.status, row.status),
        "approved": row.approved_revision == rev.number,
        "groups": saved_views.input_groups(Scenario.model_validate(rev.inputs)),
        "utc": saved_views.utc,
        **results_of(row, rev),
        "uncertainty_url": None,  # its panel route needs an account; the figures here are the point estimate
    }
    return templates.TemplateResponse(request, "shared.html", ctx, headers=SHARED_HEADERS)


def _attachment(body: bytes | str, media_type: str, name: str) -> Response:
    headers = {**SHARED_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media_type, headers=headers)


@router.get("/shared/{token}/export.csv")
def shared_csv(token: str, session: SessionDep) -> Response:
    row, rev = _shared(session, token)
    doc = saved.estimate_revision(rev)
    name = exports.export_filename(row.name, "csv", revision=rev.number)
    return _attachment(exports.csv_export(doc, shape="long", revision=rev.number), exports.CSV_MEDIA_TYPE, name)


@router.get("/shared/{token}/export.xlsx")
def shared_xlsx(token: str, session: SessionDep) -> Response:
    row, rev = _shared(session, token)
    doc = saved.estimate_revision(rev)
    data = exports.xlsx_export(doc, rev.inputs, revision=rev.number, created=rev.created_at)
    return _attachment(data, exports.XLSX_MEDIA_TYPE, exports.export_filename(row.name, "xlsx", revision=rev.number))
