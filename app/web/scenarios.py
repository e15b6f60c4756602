"""The saved-scenario pages for finance: the list, one scenario read-only, its history and diffs,
editing through the calculator's form, and the actions (duplicate, archive, restore, re-price).

Routes only parse, call `app.saved` / `app.db.queries` and render; what a page shows is built by the
small functions below and by `app.web.saved_views`. Every action is a POST that answers 303 back to
the scenario page, so a reload never repeats it; a refused action re-renders the page with its reason.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app import audit, exports, review, saved
from app.auth import keys
from app.auth.roles import Permission
from app.db import queries
from app.db.models import RevisionRow, ScenarioRow, utcnow
from app.deps import FormDep, PrincipalDep, ScenarioId, SessionDep
from app.engine import PriceSheet, Scenario
from app.engine.scenario import STRATEGY_LABELS
from app.services import ScenarioError
from app.web import forms, results, saved_views, uncertainty_panel
from app.web.calculator import NOT_SAVED, page_context, save_refused
from app.web.templating import templates

RevisionQuery = Annotated[int | None, Query(ge=1, le=1_000_000)]
"""A revision number in the query string (`?revision=3`); empty: the latest."""

router = APIRouter(include_in_schema=False)

API = "/api/v1"
"""Where the exports are served (app.main.API_PREFIX; not imported: app.main imports this module)."""
PAGE_SIZE = 25
ALL_FOR_SORTING = 10_000
"""Most scenarios sorted by TCO at once: totals are JSON, so this sort happens here, not in SQL."""

PageSort = Literal["updated", "name", "tco", "ratio", "verdict"]
SORTS: dict[str, str] = {
    "updated": "Last updated",
    "name": "Name",
    "tco": "TCO of the recommendation",
    "ratio": "TCO ratio",
    "verdict": "Recommendation",
}
"""The list's orders, as the sort menu names them."""
_QUERY_SORT: dict[str, queries.Sort] = {
    "updated": "updated",
    "name": "name",
    "ratio": "tco",
    "verdict": "recommendation",
}

NOTICES = {
    "saved": "Saved.",
    "repriced": "Re-priced at today's catalog: the figures below are the new revision's.",
    "archived": "Archived: hidden from the list unless you tick \u201cshow archived\u201d. Nothing is lost.",
    "restored": "Restored: back in the list.",
    "copied": "This is a copy, with the inputs and frozen prices of the scenario it was copied from.",
    "submitted": "Submitted for review.",
    "approved": "Approved.",
    "changes_requested": "Changes requested: the editor sees your comment.",
    "commented": "Comment added.",
    "share_revoked": "Share link revoked: it no longer opens.",
}
"""One-line confirmations after an action, by the query flag its redirect carries (`?saved=1`)."""
UNCHANGED = "Prices unchanged: the catalog gives the same prices as revision {n}; nothing was saved."
"""The notice of a re-price that found today's prices equal to the latest revision's (`?unchanged=N`)."""
REFUSAL_FIELDS = frozenset({"submit", "decision", "comment"})
"""The review forms a refused step's message goes beside (app/web/review.py redirects here with it)."""
MAX_CARRIED = 2000
"""The longest typed comment (URL-encoded) a refusal's redirect carries back into its form."""

EXPORTS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("CSV, long", "export.csv", {"shape": "long"}),
    ("CSV, wide", "export.csv", {"shape": "wide"}),
    ("CSV, percentiles", "export.csv", {"shape": "percentiles"}),
    ("CSV, annual", "export.csv", {"shape": "annual"}),
    ("XLSX", "export.xlsx", {"uncertainty": "true"}),
    ("JSON", "export.json", {"uncertainty": "true"}),
)
"""The download links of a revision: label, file, query (app/api/exports.py serves them). Finance
gets the Monte Carlo part too (a Percentiles sheet, `uncertainty` in the JSON): it is reproducible."""


@dataclass(frozen=True)
class Editing:
    """The scenario the calculator form edits, and the revision the edit starts from."""

    id: int
    latest_revision: int


# --- lookups: a missing scenario or revision is a 404 page ---


def found(session: Session, scenario_id: int) -> ScenarioRow:
    row = queries.get_scenario(session, scenario_id=scenario_id)
    if row is None:
        raise HTTPException(404, f"No scenario {scenario_id}.")
    return row


def revision_of(session: Session, row: ScenarioRow, number: int | None) -> RevisionRow:
    """Revision `number` of `row`, or its latest."""
    assert row.id is not None
    rev = queries.get_revision(session, scenario_id=row.id, number=number or row.latest_revision)
    if rev is None:
        raise HTTPException(404, f"Scenario {row.id} has no revision {number}; the latest is {row.latest_revision}.")
    return rev


def _revision_field(text: object) -> int | None:
    """The hidden `revision` of a form: the revision the user saw; None when missing or not a number."""
    try:
        number = int(str(text))
    except ValueError:
        return None
    return number if 1 <= number <= 1_000_000 else None


# --- the list ---


def _list_query(request: Request) -> dict[str, Any]:
    """The list's filters from the address, forgiving: an unknown sort or page falls back to the default
    (a bookmark must not turn into an error page)."""
    params = request.query_params
    sort = params.get("sort", "updated")
    page = params.get("page", "1")
    return {
        "q": (params.get("q") or "").replace("\x00", "").strip()[:200],
        "sort": sort if sort in SORTS else "updated",
        "archived": params.get("archived") in ("on", "true", "1"),
        "page": int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
    }


def recommended_tco(rev: RevisionRow) -> float:
    """TCO of the strategy a revision recommends: what the organisation would actually spend."""
    return float(rev.totals.get(rev.recommendation) or 0.0)


def list_page(
    session: Session, *, q: str, sort: str, archived: bool, page: int
) -> tuple[int, list[tuple[ScenarioRow, RevisionRow]]]:
    """One page of scenarios and the count before paging; sorting by TCO reads every match."""
    which: queries.Archived = "all" if archived else "false"
    offset = (page - 1) * PAGE_SIZE
    if sort != "tco":
        return queries.list_scenarios(
            session, search=q or None, archived=which, sort=_QUERY_SORT[sort], limit=PAGE_SIZE, offset=offset
        )
    total, rows = queries.list_scenarios(
        session, search=q or None, archived=which, sort="updated", limit=ALL_FOR_SORTING, offset=0
    )
    rows.sort(key=lambda pair: recommended_tco(pair[1]), reverse=True)
    return total, rows[offset : offset + PAGE_SIZE]


@router.get("/scenarios", response_class=HTMLResponse)
def scenario_list(request: Request, session: SessionDep) -> Response:
    query = _list_query(request)
    total, rows = list_page(session, **query)
    pages = max(1, -(-total // PAGE_SIZE))
    ctx = {
        "nav": "scenarios",
        "rows": rows,
        "total": total,
        "pages": pages,
        "sorts": SORTS,
        "labels": STRATEGY_LABELS,
        "statuses": review.STATUS_LABELS,
        "utc": saved_views.utc,
        **query,
    }
    return templates.TemplateResponse(request, "scenarios.html", ctx)


# --- one scenario ---


def exports_of(row: ScenarioRow, rev: RevisionRow) -> list[tuple[str, str, str]]:
    """Download links of the revision shown, with the file name each one saves under (the server's
    Content-Disposition names it the same): its figures never change, so each link names it."""
    out = []
    name = str(rev.inputs.get("name") or row.name)
    for label, file, query in EXPORTS:
        params = "&".join(f"{k}={v}" for k, v in {**query, "revision": rev.number}.items())
        extension = file.rsplit(".", 1)[1]
        filename = exports.export_filename(name, extension, revision=rev.number, shape=query.get("shape"))
        out.append((label, f"{API}/scenarios/{row.id}/{file}?{params}", filename))
    return out


def notices_of(request: Request) -> list[str]:
    """The confirmations the address asks for (`?saved=1`, `?unchanged=3`), in a fixed order."""
    params = request.query_params
    notices = [text for flag, text in NOTICES.items() if params.get(flag)]
    unchanged = _revision_field(params.get("unchanged"))
    if unchanged is not None:
        notices.append(UNCHANGED.format(n=unchanged))
    return notices


# --- a refused review step, carried by its 303 back here ---


def _refusal_mac(request: Request, parts: list[str]) -> str:
    key = keys.secret(request.app.state.settings.secret_key)
    return hmac.new(key, ("refusal|" + json.dumps(parts)).encode(), hashlib.sha256).hexdigest()[:32]


def refusal_query(
    request: Request, *, field: str, message: str, typed: str = "", stale: tuple[int, int] | None = None
) -> dict[str, str]:
    """The query that shows a refused review step's message beside its form (`field`), with what was
    typed kept (when short enough to carry) and the stale revisions' diff link. Signed with the app's
    key, so no link from elsewhere can put its own words on the page."""
    if len(quote(typed)) > MAX_CARRIED:
        message += " What you typed was too long to keep here: type it again."
        typed = ""
    parts = [field, message, typed, f"{stale[0]}-{stale[1]}" if stale else ""]
    query = dict(zip(("refused", "message", "typed", "stale"), parts, strict=True))
    return {k: v for k, v in query.items() if v} | {"sig": _refusal_mac(request, parts)}


def refusal_of(request: Request) -> dict[str, Any]:
    """The review panel's errors, typed values and stale pair from a signed `refusal_query`; nothing
    when there is none or its signature does not match."""
    params = request.query_params
    parts = [params.get(k, "") for k in ("refused", "message", "typed", "stale")]
    field, message, typed, stale = parts
    if field not in REFUSAL_FIELDS or not message:
        return {}
    if not hmac.compare_digest(params.get("sig", ""), _refusal_mac(request, parts)):
        return {}
    a, _, b = stale.partition("-")
    pair = (int(a), int(b)) if a.isdigit() and b.isdigit() else None
    text_field = "body" if field == "comment" else "comment"
    return {"review_errors": {field: message}, "review_values": {text_field: typed}, "stale": pair}


def results_of(row: ScenarioRow, rev: RevisionRow) -> dict[str, Any]:
    """The results panel of a revision, computed from its inputs and frozen prices (as it was saved);
    its uncertainty panel comes after, from `scenario_uncertainty`."""
    doc = saved.estimate_revision(rev)
    scenario = Scenario.model_validate(rev.inputs)
    panel = f"/scenarios/{row.id}/uncertainty?revision={rev.number}"
    return results.context(doc, scenario, PriceSheet.model_validate(rev.prices), uncertainty_url=panel)


def diff_pair(shown: int, latest: int) -> tuple[int, int]:
    """The revisions the diff form starts with: the one shown against the one before it (or the next)."""
    return (shown - 1, shown) if shown > 1 else (1, min(2, latest))


def scenario_context(request: Request, session: Session, row: ScenarioRow, rev: RevisionRow) -> dict[str, Any]:
    assert row.id is not None
    history = list(queries.list_revisions(session, scenario_id=row.id))
    shown = results_of(row, rev)
    return {
        "nav": "scenarios",
        "row": row,
        "rev": rev,
        "history": history,
        "groups": saved_views.input_groups(Scenario.model_validate(rev.inputs), shown["doc"]["prices_used"]),
        "exports": exports_of(row, rev),
        "diff_pair": diff_pair(rev.number, row.latest_revision),
        "notices": notices_of(request),
        "problem": "",
        "utc": saved_views.utc,
        **review_context(session, row),
        **refusal_of(request),
        **shown,
    }


STATUS_PHRASES = {
    "draft": "is a draft",
    "in_review": "is in review",
    "approved": "is approved",
    "changes_requested": "has changes requested",
}
"""How the review panel says what the latest revision's status is: "revision 3 (the latest) is a draft"."""


def review_context(session: Session, row: ScenarioRow) -> dict[str, Any]:
    """The review panel: status, who approved what, comments by revision, the audit log, share links."""
    assert row.id is not None
    entries = list(audit.entries(session, scenario_id=row.id))
    approval = next((e for e in entries if e.action == "approved" and e.revision == row.approved_revision), None)
    by_revision: dict[int, list[Any]] = {}
    for c in review.comments(session, scenario_id=row.id):
        by_revision.setdefault(c.revision, []).append(c)
    return {
        "status_label": review.STATUS_LABELS.get(row.status, row.status),
        "status_phrase": STATUS_PHRASES.get(row.status, row.status),
        "approval": approval,
        "comments": sorted(by_revision.items(), reverse=True),
        "entries": entries,
        "actions": audit.ACTIONS,
        "scenario_audit": True,
        "shares": review.shares(session, scenario_id=row.id),
        "now": utcnow(),
        "max_share_days": review.MAX_SHARE_DAYS,
        "max_comment": review.MAX_COMMENT,
        "share_secret": "",
        "new_share": None,
        "review_errors": {},
        "review_values": {},
        "stale": None,
    }


def scenario_page(
    request: Request,
    session: Session,
    row: ScenarioRow,
    number: int | None,
    *,
    status: int = 200,
    problem: str = "",
    **extra: Any,
) -> Response:
    """The page; `extra` overrides context (the review forms' errors and values, a new share link)."""
    ctx = scenario_context(request, session, row, revision_of(session, row, number))
    ctx["problem"] = problem
    ctx.update(extra)
    return templates.TemplateResponse(request, "scenario.html", ctx, status_code=status)


@router.get("/scenarios/{scenario_id}", response_class=HTMLResponse)
def scenario(
    request: Request,
    scenario_id: ScenarioId,
    session: SessionDep,
    revision: RevisionQuery = None,
) -> Response:
    return scenario_page(request, session, found(session, scenario_id), revision)


@router.get("/scenarios/{scenario_id}/uncertainty", response_class=HTMLResponse)
def scenario_uncertainty(
    request: Request,
    scenario_id: ScenarioId,
    session: SessionDep,
    revision: RevisionQuery = None,
) -> Response:
    """The uncertainty panel of a revision, at its frozen prices and stored seed: it never changes."""
    row = found(session, scenario_id)
    rev = revision_of(session, row, revision)
    return uncertainty_panel.respond(
        request,
        lambda: saved.estimate_revision(rev, uncertainty=True),
        Scenario.model_validate(rev.inputs),
        heading=f"Uncertainty of {row.name}, revision {rev.number}",
        back=f"/scenarios/{row.id}?revision={rev.number}",
    )


@router.get("/scenarios/{scenario_id}/diff", response_class=HTMLResponse)
def diff(
    request: Request,
    scenario_id: ScenarioId,
    session: SessionDep,
    a: RevisionQuery = None,
    b: RevisionQuery = None,
) -> Response:
    """Two revisions side by side; without a and b, the previous revision against the latest."""
    row = found(session, scenario_id)
    before = revision_of(session, row, a or max(1, row.latest_revision - 1))
    after = revision_of(session, row, b or row.latest_revision)
    assert row.id is not None
    ctx = {
        "nav": "scenarios",
        "row": row,
        "history": list(queries.list_revisions(session, scenario_id=row.id)),
        "diff": saved_views.revision_diff(
            before, after, (saved.lifecycle_events(before), saved.lifecycle_events(after))
        ),
        "labels": STRATEGY_LABELS,
        "utc": saved_views.utc,
    }
    return templates.TemplateResponse(request, "scenario_diff.html", ctx)


# --- editing, through the calculator's form ---


def edit_page(
    request: Request, row: ScenarioRow, parsed: forms.Parsed, editing: Editing, *, status: int = 200, problem: str = ""
) -> Response:
    """The calculator prefilled, saving as the next revision of `row`; `problem` goes above the form."""
    ctx = page_context(request, parsed, editing=editing, heading=f"Edit {row.name}", title=f"Edit {row.name}")
    ctx["nav"] = "scenarios"
    if problem:
        ctx["errors"][""] = problem
    elif status == 422 and not ctx["errors"].get(""):
        ctx["errors"][""] = NOT_SAVED
    return templates.TemplateResponse(request, "calculator.html", ctx, status_code=status)


def _stale_message(exc: queries.StaleRevision, expected: int) -> str:
    return (
        f"Someone saved revision {exc.latest} while you were editing revision {expected}: nothing was saved. "
        f"Your values are kept below; saving again makes them revision {exc.latest + 1}, on top of theirs "
        "(open the scenario in another tab to see what they changed)."
    )


@router.get("/scenarios/{scenario_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, scenario_id: ScenarioId, session: SessionDep) -> Response:
    row = found(session, scenario_id)
    rev = revision_of(session, row, None)
    scenario_ = Scenario.model_validate(rev.inputs)
    assert row.id is not None
    return edit_page(request, row, forms.Parsed(forms.values_of(scenario_), scenario_), Editing(row.id, rev.number))


@router.post("/scenarios/{scenario_id}/edit", response_class=HTMLResponse)
def save_edit(
    request: Request, scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep, form: FormDep
) -> Response:
    """A new revision from the form; 422 with each message beside its field, 409 if someone saved meanwhile,
    403 for a role that may not save: each the form again, as typed, with the reason above it."""
    row = found(session, scenario_id)
    assert row.id is not None
    parsed = forms.parse(form)
    expected = _revision_field(form.get("revision"))
    if not principal.can(Permission.EDIT):
        editing = Editing(row.id, expected or row.latest_revision)
        return edit_page(request, row, parsed, editing, status=403, problem=save_refused(principal.role))
    if expected is None:
        editing = Editing(row.id, row.latest_revision)
        return edit_page(request, row, parsed, editing, status=422, problem="The form lost the revision it edits.")
    editing = Editing(row.id, expected)
    if parsed.scenario is None:
        return edit_page(request, row, parsed, editing, status=422)
    try:
        saved.edit(session, row=row, expected=expected, scenario=parsed.scenario, author=principal.username)
    except ScenarioError as exc:  # an unknown catalog id: nothing was written
        refused = forms.Parsed(parsed.values, None, forms.refused(exc.errors))
        return edit_page(request, row, refused, editing, status=422)
    except queries.StaleRevision as exc:
        problem = _stale_message(exc, expected)
        return edit_page(request, row, parsed, Editing(row.id, exc.latest), status=409, problem=problem)
    return RedirectResponse(f"/scenarios/{row.id}?saved=1", status_code=303)


# --- actions ---


@router.post("/scenarios/{scenario_id}/duplicate")
def duplicate_scenario(
    scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep, form: FormDep
) -> Response:
    row = found(session, scenario_id)
    rev = revision_of(session, row, _revision_field(form.get("revision")))
    name = saved.copy_name(session, row.name)
    copy = saved.duplicate(session, revision=rev, name=name, author=principal.username)
    return RedirectResponse(f"/scenarios/{copy.id}?copied=1", status_code=303)


@router.post("/scenarios/{scenario_id}/archive")
def archive(scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep) -> Response:
    queries.set_archived(session, scenario=found(session, scenario_id), archived=True, actor=principal.username)
    return RedirectResponse(f"/scenarios/{scenario_id}?archived=1", status_code=303)


@router.post("/scenarios/{scenario_id}/restore")
def restore(scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep) -> Response:
    queries.set_archived(session, scenario=found(session, scenario_id), archived=False, actor=principal.username)
    return RedirectResponse(f"/scenarios/{scenario_id}?restored=1", status_code=303)


@router.post("/scenarios/{scenario_id}/reprice", response_class=HTMLResponse)
def reprice(
    request: Request, scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep, form: FormDep
) -> Response:
    """A new revision at today's catalog; refused (409) when the page was not showing the latest revision."""
    row = found(session, scenario_id)
    expected = _revision_field(form.get("revision")) or 0
    try:
        added = saved.reprice(session, row=row, expected=expected, author=principal.username)
    except queries.StaleRevision as exc:
        problem = (
            f"Not re-priced: revision {expected or '?'} is not the latest (the latest is {exc.latest}). "
            "The latest is shown below; re-price it if you still want to."
        )
        return scenario_page(request, session, row, None, status=409, problem=problem)
    except ScenarioError as exc:  # an id the catalog no longer has
        problem = "Not re-priced: today's catalog cannot price this scenario. " + str(exc)
        return scenario_page(request, session, row, None, status=422, problem=problem)
    if added is None:  # today's prices are the latest revision's: nothing was written
        return RedirectResponse(f"/scenarios/{scenario_id}?unchanged={expected}", status_code=303)
    return RedirectResponse(f"/scenarios/{scenario_id}?repriced=1", status_code=303)
