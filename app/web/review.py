"""The review trail on the pages: submit, approve, request changes, comment, share links, and what a
share link opens (/shared/<secret>: one revision, read-only, for someone without an account).

Each action answers 303 back to the scenario page (a reload never repeats it), a refused one too: its
redirect carries the message (signed) that the page shows beside the form that caused it, with what
was typed still in it. Only a refused share link comes back as the page itself. A form sent from an older
revision's page also posts `shown`, that revision, so the answer shows it again. A new share link
is shown on the response itself, once: its secret never sits in an address or the browser's history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app import exports, review, saved
from app.auth.policy import ROUTE_CHECKS, SCENARIO
from app.db import queries
from app.db.models import RevisionRow, ScenarioRow, ShareLinkRow
from app.deps import FormDep, PrincipalDep, ScenarioId, SessionDep, SettingsDep
from app.engine import Scenario
from app.web import saved_views
from app.web.scenarios import _revision_field, found, refusal_query, results_of, scenario_page
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
ShareId = ScenarioId  # an INTEGER column too: bounded, so a huge number is a 404 page, not a database error
SHARED_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
"""On everything /shared answers: the secret in its address is never sent on as a referrer, and no
cache keeps a copy once the link is revoked."""


def _texts(form: FormData) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _shown(row: ScenarioRow, values: dict[str, str]) -> int | None:
    """The older revision the page was showing when the form was sent (None: the latest). The submit
    and decision forms send it only from an older revision's page: a reviewer whose approval was refused
    because a newer revision arrived sees that newer one."""
    number = _revision_field(values.get("shown"))
    return number if number is not None and number < row.latest_revision else None


def _back(row: ScenarioRow, values: dict[str, str], flag: str) -> RedirectResponse:
    shown = _shown(row, values)
    query = f"{flag}=1" if shown is None else f"revision={shown}&{flag}=1"
    return RedirectResponse(f"/scenarios/{row.id}?{query}", status_code=303)


def _refused_back(
    request: Request,
    row: ScenarioRow,
    values: dict[str, str],
    field: str,
    message: str,
    stale: tuple[int, int] | None = None,
) -> RedirectResponse:
    """303 back to the scenario page, at the revision it was showing, with the message beside the form
    `field` and the text typed there kept: a reload of the page never sends the step again."""
    typed = values.get("body" if field == "comment" else "comment", "")
    shown = _shown(row, values)
    query = {"revision": str(shown)} if shown is not None else {}
    query |= refusal_query(request, field=field, message=message, typed=typed, stale=stale)
    return RedirectResponse(f"/scenarios/{row.id}?{urlencode(query)}#review", status_code=303)


def _refused(
    request: Request, session: Session, row: ScenarioRow, values: dict[str, str], status: int, **extra: Any
) -> Response:
    """The page again, at the revision it was showing, with the message beside its form and the text kept
    (a refused share link: its form holds no text worth a redirect's trip)."""
    return scenario_page(request, session, row, _shown(row, values), status=status, review_values=values, **extra)


def _step(
    request: Request,
    row: ScenarioRow,
    values: dict[str, str],
    act: Callable[[int], Any],
    done: str,
    field: str,
) -> Response:
    """Run one review action on the revision the form names; a refusal (the revision is no longer the
    latest, the status moved on, a bad comment) goes back to the page, its message beside the form."""
    number = _revision_field(values.get("revision"))
    try:
        if number is None:
            raise review.ReviewError("the form lost the revision it acts on: reload the page", field=field)
        act(number)
    except queries.StaleRevision as exc:
        message = (
            f"Not done: you acted on revision {number}, but revision {exc.latest} is now the latest. "
            "Look at what changed first."
        )
        stale = (number, exc.latest) if number is not None else None
        return _refused_back(request, row, values, field, message, stale=stale)
    except review.ReviewError as exc:
        message = _sentence(exc) if exc.field else f"Not done: {str(exc).rstrip('.')}."
        return _refused_back(request, row, values, field, message)
    return _back(row, values, done)


def _step_route(path: str, step: Callable[..., Any], done: str, field: str, what: str, text: str = "comment") -> None:
    """POST /scenarios/{id}/<path>: one review step on the revision the form names, its text (`text`
    field) passed on as `comment` or `body` (whichever `step` takes). The guard lets any reader reach it;
    the permission it needs is checked here (policy.ROUTE_CHECKS), so that a role without it comes back
    to the page with the reason and its text kept, not to a bare 403 page."""
    needs = ROUTE_CHECKS[("POST", f"{SCENARIO}/{path}")]

    def handler(
        request: Request, scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep, form: FormDep
    ) -> Response:
        row, values = found(session, scenario_id), _texts(form)
        if not principal.can(needs):
            message = f"Not done: a {principal.role} may not {what}; ask an admin for a role that may."
            return _refused_back(request, row, values, field, message)
        given = {text: values.get(text, "")}

        def act(n: int) -> Any:
            return step(session, row=row, revision=n, actor=principal.username, **given)

        return _step(request, row, values, act, done, field)

    handler.__name__ = path.replace("-", "_")
    router.post(f"/scenarios/{{scenario_id}}/{path}", response_class=HTMLResponse)(handler)


_step_route("submit", review.submit, "submitted", "submit", "submit a scenario for review")
_step_route("approve", review.approve, "approved", "decision", "approve a scenario")
_step_route("request-changes", review.request_changes, "changes_requested", "decision", "request changes")
_step_route("comments", review.add_comment, "commented", "comment", "comment", text="body")


def _days(text: str, default: int) -> int:
    """The form's days, 0 (refused by review.create_share) when it is not a whole number."""
    text = text.strip() or str(default)
    return int(text) if text.isdigit() and len(text) < 5 else 0


@router.post("/scenarios/{scenario_id}/shares", response_class=HTMLResponse)
def create_share(
    request: Request,
    scenario_id: ScenarioId,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """A new link to the revision the page shows; the page comes back with the link on it, once."""
    row, values = found(session, scenario_id), _texts(form)
    number = _revision_field(values.get("revision")) or row.latest_revision
    days = _days(values.get("days", ""), settings.share_link_days)
    try:
        link, secret = review.create_share(session, row=row, revision=number, actor=principal.username, days=days)
    except review.ReviewError as exc:
        return _refused(request, session, row, values, 422, review_errors={"share": _sentence(exc)})
    url = str(request.base_url).rstrip("/") + f"/shared/{secret}"
    shown = number if number < row.latest_revision else None
    response = scenario_page(request, session, row, shown, status=201, share_secret=url, new_share=link)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/scenarios/{scenario_id}/shares/{share_id}/revoke")
def revoke_share(
    scenario_id: ScenarioId, share_id: ShareId, session: SessionDep, principal: PrincipalDep, form: FormDep
) -> Response:
    row, values = found(session, scenario_id), _texts(form)
    link = session.get(ShareLinkRow, share_id)
    if link is None or link.scenario_id != scenario_id:
        raise HTTPException(404, f"Scenario {scenario_id} has no share link {share_id}.")
    review.revoke_share(session, link=link, actor=principal.username)
    return _back(row, values, "share_revoked")


# --- what a share link opens: no navigation, no control, nothing that needs an account ---


def _shared(session: Session, token: str) -> tuple[ScenarioRow, RevisionRow] | str:
    return review.shared(session, secret=token[:200])


def _gone(request: Request, reason: str) -> Response:
    """Why a link does not open (not valid, revoked, expired), on a page that needs no account."""
    return templates.TemplateResponse(
        request, "shared.html", {"reason": reason}, status_code=404, headers=SHARED_HEADERS
    )


@router.get("/shared/{token}", response_class=HTMLResponse)
def shared(request: Request, token: str, session: SessionDep) -> Response:
    found_ = _shared(session, token)
    if isinstance(found_, str):
        return _gone(request, found_)
    row, rev = found_
    scenario = Scenario.model_validate(rev.inputs)
    shown = results_of(row, rev)
    ctx: dict[str, Any] = {
        "reason": "",
        "name": scenario.name,  # the revision's own name and description, not a later edit's
        "description": scenario.description,
        "rev": rev,
        "token": token,
        "status": shared_status(row, rev),
        "approved": row.approved_revision == rev.number,
        "groups": saved_views.input_groups(scenario, shown["doc"]["prices_used"]),
        "utc": saved_views.utc,
        **shown,
        "uncertainty_url": None,  # its panel route needs an account; the figures here are the point estimate
    }
    return templates.TemplateResponse(request, "shared.html", ctx, headers=SHARED_HEADERS)


def shared_status(row: ScenarioRow, rev: RevisionRow) -> tuple[str, str]:
    """The review status of the revision a link opens, as someone outside the team should read it, and
    its badge: approved, or the scenario's status when it is the latest, or "not approved"."""
    if row.approved_revision == rev.number:
        return "approved", review.STATUS_LABELS["approved"]
    if rev.number == row.latest_revision:
        return row.status, review.STATUS_LABELS.get(row.status, row.status)
    return "draft", "Not approved"


def _attachment(body: bytes | str, media_type: str, name: str) -> Response:
    headers = {**SHARED_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media_type, headers=headers)


@router.get("/shared/{token}/export.csv")
def shared_csv(request: Request, token: str, session: SessionDep, shape: exports.Shape = "long") -> Response:
    """The revision's CSV in any shape, the same bytes as GET /api/v1/scenarios/{id}/export.csv?revision=N:
    the URL a spreadsheet's IMPORTDATA or linked sheet can reach in a team deployment (no token)."""
    found_ = _shared(session, token)
    if isinstance(found_, str):
        return _gone(request, found_)
    _, rev = found_
    doc = saved.estimate_revision(rev, uncertainty=shape == "percentiles")
    name = exports.export_filename(doc["scenario_name"], "csv", revision=rev.number, shape=shape)
    return _attachment(exports.csv_export(doc, shape=shape, revision=rev.number), exports.CSV_MEDIA_TYPE, name)


@router.get("/shared/{token}/export.xlsx")
def shared_xlsx(request: Request, token: str, session: SessionDep) -> Response:
    """The revision's workbook, as GET /api/v1/scenarios/{id}/export.xlsx?revision=N makes it."""
    found_ = _shared(session, token)
    if isinstance(found_, str):
        return _gone(request, found_)
    _, rev = found_
    doc = saved.estimate_revision(rev)
    data = exports.xlsx_export(doc, rev.inputs, revision=rev.number, created=rev.created_at)
    name = exports.export_filename(doc["scenario_name"], "xlsx", revision=rev.number)
    return _attachment(data, exports.XLSX_MEDIA_TYPE, name)
