"""The calculator at `/`: the form on the left, the answer on the right, recomputed as the user types.

`GET /` answers the whole page, or, to htmx (`HX-Request`), the results fragment with each field's
message out of band; hence `Vary: HX-Request`. A form with a bad field keeps the last valid results
on screen (`HX-Reswap: none`) and shows the message beside the field. The address bar keeps a link
to the same inputs: only the fields that differ from the defaults (`HX-Replace-Url`), ranges included.

`GET /uncertainty` (the same query) is the uncertainty panel, fetched by the results once shown, so
the recompute never carries the draws; `GET /ranges/seeds` fills the seeds' ranges into the form.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape

from app import saved
from app.auth.roles import Permission
from app.catalog import load_catalog
from app.deps import FormDep, PrincipalDep, SessionDep
from app.engine import PriceSheet, Scenario
from app.engine.estimate import VolumeLines
from app.engine.scenario import EXTRA_COST_RANGEABLE
from app.presets import presets
from app.services import ScenarioError, estimate_one, price
from app.web import fields, forms, results, uncertainty_panel
from app.web.templating import table_html, templates

router = APIRouter(include_in_schema=False)

HintMap = dict[str, dict[str, Any]]


_PRICE_FIELDS = [f for f in fields.all_fields().values() if f.catalog_price is not None]
"""The override fields whose catalog price the form shows beside them."""


def hints_of(sheet: PriceSheet | None) -> HintMap:
    """The catalog price behind each override field: what an empty field means."""
    if sheet is None:
        return {}
    out: HintMap = {}
    for spec in _PRICE_FIELDS:
        assert spec.catalog_price is not None
        path, (key, attr) = spec.path, spec.catalog_price
        entry = getattr(sheet, key, None)
        value = getattr(entry, attr, None) if entry is not None else None
        if value is not None and entry is not None:
            shown = forms.display(value)
            dated = f"{shown} (catalog, {entry.as_of})" if entry.as_of else f"{shown} (catalog)"
            out[path] = {"value": shown, "placeholder": dated, "id": entry.id, "as_of": entry.as_of}
    return out


HINTS_PARAM = "_hints"
"""The form's hidden field that names the catalog hints it shows (`hints_key`): a recompute sends the
hints out of band only when they changed (a model or the catalog), not the twenty of them each time."""


def hints_key(hints: HintMap) -> str:
    """A short digest of the hints shown: the same hints, the same key."""
    text = "\n".join(f"{path}={hint['placeholder']}" for path, hint in sorted(hints.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


_SLOTS = [(g.error_id, g.id) for g in fields.groups()] + [(f.error_id, f.path) for f in fields.all_fields().values()]


def slots_of(values: dict[str, str]) -> list[tuple[str, str]]:
    """The error slots a form has: every field's, and those of the ranges it sent (a range the user
    never unfolded has no inputs, and no slot to fill: htmx would log a missing target)."""
    sent = [spec for spec in fields.range_specs().values() if spec.name("low") in values]
    rows = forms.extra_cost_rows(values)
    extra = [
        "extra_costs",
        *(f"extra_costs.{row}.{part}" for row in rows for part in (*forms.EXTRA_COST_TEXTS, "strategies")),
        *(
            f"ranges.extra_costs.{row}.{part}.{end}"
            for row in rows
            for part in EXTRA_COST_RANGEABLE
            for end in ("low", "high")
        ),
    ]
    extra.append(fields.CANDIDATES)  # the pick list's one error slot (_candidates.html)
    own_lines = [("err-" + path.replace(".", "__"), path) for path in extra]  # the ids the templates give
    return _SLOTS + [slot for spec in sent for slot in spec.slots()] + own_lines


def _error_groups(errors: dict[str, str]) -> set[str]:
    paths = [path.removeprefix("ranges.") for path in errors]
    groups = {path.split(".")[0] if "." in path else path for path in paths}
    return {"finance" if g == "extra_costs" else g for g in groups} | (
        {"horizon"} if "horizon_months" in paths else set()
    )


def compute(parsed: forms.Parsed) -> dict[str, Any]:
    """Estimate a parsed form: the template context of the results, the hints, and any errors."""
    ctx: dict[str, Any] = {"values": parsed.values, "errors": dict(parsed.errors), "results": None, "hints": {}}
    if parsed.scenario is None:
        return ctx
    try:
        sheet = price(parsed.scenario)
        kept: list[VolumeLines] = []  # the volume chart is read off the estimate's own kernel call
        doc = estimate_one(parsed.scenario, sheet, keep=kept)
    except ScenarioError as exc:
        ctx["errors"] = forms.refused(exc.errors)
        return ctx
    query = forms.query_of(parsed.scenario)
    panel = "/uncertainty?" + query
    ctx.update(
        results.context(doc, parsed.scenario, sheet, uncertainty_url=panel, lines=kept[0]), results=True, query=query
    )
    ctx["hints"] = hints_of(sheet)
    return ctx


def page_context(request: Request, parsed: forms.Parsed, *, fragment: bool = False, **extra: Any) -> dict[str, Any]:
    """The calculator's context; a fragment (htmx) needs no form values."""
    ctx = compute(parsed)
    valid = parsed.scenario is not None and not ctx["errors"]
    if valid and not fragment:
        assert parsed.scenario is not None
        ctx["values"] = forms.values_of(parsed.scenario)  # the page shows the inputs as read
    elif not valid and not ctx["hints"]:
        ctx["hints"] = hints_of(_default_sheet())  # a form in error still shows the catalog prices
    errors = ctx["errors"]
    ctx["hints_key"] = hints_key(ctx["hints"])
    return {
        "request": request,
        "nav": "calculator",
        "groups": fields.groups(),
        "about": fields.about_fields(),
        "open_groups": fields.OPEN_GROUPS,
        "error_groups": _error_groups(errors),
        "presets": presets(),
        "status": _status(errors),
        **ctx,
        **extra,
    }


def _default_sheet() -> PriceSheet | None:
    try:
        return price(Scenario())
    except ScenarioError:
        return None


def _status(errors: dict[str, str]) -> str:
    if not errors:
        return ""
    n = len(errors)
    return f"{n} field{'s need' if n > 1 else ' needs'} a fix; the results are those of the last valid inputs."


def fragment(request: Request, parsed: forms.Parsed) -> Response:
    ctx = page_context(request, parsed, fragment=True)
    ctx["price_fields"] = _PRICE_FIELDS
    ctx["slots"] = slots_of(parsed.values)
    ctx["fragment"] = True  # htmx is running: no <noscript> fallback
    ctx["hints_changed"] = (
        bool(ctx["hints"]) and ctx["results"] and request.query_params.get(HINTS_PARAM) != ctx["hints_key"]
    )
    known = fields.all_fields()
    ctx["rewritten"] = [(known[p], parsed.values[p]) for p in parsed.rewritten]  # back to the form
    headers = {"Vary": "HX-Request", "Cache-Control": "no-store"}
    if ctx["results"]:
        if "_editing" not in request.query_params:
            headers["HX-Replace-Url"] = "/?" + ctx["query"] if ctx["query"] else "/"
    else:
        headers["HX-Reswap"] = "none"  # keep the last valid results; the messages go out of band
    return templates.TemplateResponse(request, "_recompute.html", ctx, headers=headers)


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def calculator(request: Request) -> Response:
    query = request.query_params
    slug = query.get("preset")
    preset = presets().get(slug) if slug else None
    if preset is not None:
        parsed = forms.Parsed(forms.values_of(preset.scenario), preset.scenario)
    else:
        parsed = forms.parse(query)
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        return fragment(request, parsed)
    ctx = page_context(request, parsed, preset=slug if preset else None, guided=query.get("guided") == "1")
    if slug and preset is None:
        ctx["errors"][""] = f"No example called {slug!r}: the defaults are shown."
    status = 200 if not ctx["errors"] else 422
    return templates.TemplateResponse(
        request, "calculator.html", ctx, status_code=status, headers={"Vary": "HX-Request"}
    )


@router.get("/numbers/{chart_id}", response_class=HTMLResponse)
def numbers(request: Request, chart_id: str) -> Response:
    """The table of one chart of the calculator's inputs (the same query): a recompute's results carry
    none, and each <details> fetches its own when first opened. A plain `def`: it estimates again."""
    ctx = compute(forms.parse(request.query_params))
    if not ctx["results"]:
        return HTMLResponse('<p class="error">Fix the marked fields to see the numbers.</p>', status_code=422)
    chart = next((c for c in ctx["charts"] if c["id"] == chart_id), None)
    if chart is None:
        return HTMLResponse(f'<p class="error">No chart called {escape(chart_id)}.</p>', status_code=404)
    return HTMLResponse(table_html(chart["table"]), headers={"Cache-Control": "no-store"})


@router.get("/uncertainty", response_class=HTMLResponse)
def uncertainty(request: Request) -> Response:
    """The uncertainty panel of the calculator's inputs. A plain `def`: the draws run in the thread
    pool, so the event loop keeps answering recomputes meanwhile."""
    parsed = forms.parse(request.query_params)
    scenario = parsed.scenario
    query = forms.query_of(scenario) if scenario is not None else ""

    def estimate() -> dict[str, Any]:
        assert scenario is not None
        return estimate_one(scenario, uncertainty=True)

    return uncertainty_panel.respond(
        request,
        estimate,
        scenario,
        errors=parsed.errors,
        heading="Uncertainty of the calculator's inputs",
        back="/?" + query,
    )


@router.get("/ranges/seeds", response_class=HTMLResponse)
def seed_ranges(request: Request) -> Response:
    """Fill the seeds' ranges into the form where they apply. To htmx: the report, each filled range
    out of band, and `ranges-filled`, on which the form recomputes; otherwise the page, filled in.

    The button is `type="button"` with no `formaction`: htmx sends a form's later requests to the
    `formaction` of the button last clicked in it, so the recompute would come here instead of `/`."""
    fill = uncertainty_panel.fill_seed_ranges(forms.parse(request.query_params))
    if request.headers.get("HX-Request"):
        headers = {"Vary": "HX-Request", "Cache-Control": "no-store"}
        if fill.applied:
            headers["HX-Trigger-After-Settle"] = "ranges-filled"
        ctx = {"fill": fill, "errors": {}}
        return templates.TemplateResponse(request, "_seed_fill.html", ctx, headers=headers)
    parsed = forms.Parsed(fill.values, fill.scenario) if fill.scenario else forms.parse(request.query_params)
    ctx = page_context(request, parsed, fill=fill)
    ctx["values"] = fill.values  # as typed, the ranges filled in
    return templates.TemplateResponse(request, "calculator.html", ctx, headers={"Vary": "HX-Request"})


@router.get("/catalog/options/{path}", response_class=HTMLResponse)
def catalog_options(request: Request, path: str) -> Response:
    """`<option>`s of the catalog entries a model picker may hold, matching what is typed so far."""
    spec = fields.catalog_field(path)
    if spec is None:
        return HTMLResponse("", status_code=404)
    text = (request.query_params.get(path) or "").strip()
    entries = load_catalog().search(text or None, kind=spec.catalog_kind, limit=30)
    return templates.TemplateResponse(request, "_options.html", {"entries": entries})


NOT_SAVED = "Not saved: correct the marked fields. Everything you typed is kept below."


def save_refused(role: str) -> str:
    """Why a role that may not save sees its form again (what it typed kept) instead of an error page."""
    return (
        f"Not saved: a {role} may not create or edit scenarios; ask an admin for another role. "
        "Everything you typed is kept below: you can still recompute it."
    )


@router.post("/scenarios", response_class=HTMLResponse)
def save_new(request: Request, session: SessionDep, principal: PrincipalDep, form: FormDep) -> Response:
    """Save the calculator's inputs as a new scenario, then show it; a refused save (a role that may not
    save: 403; a bad form: 422) comes back as the calculator, as typed, with the reason above the form."""
    parsed = forms.parse(form)
    if not principal.can(Permission.EDIT):
        ctx = page_context(request, parsed)
        ctx["errors"][""] = save_refused(principal.role)
        return templates.TemplateResponse(request, "calculator.html", ctx, status_code=403)
    if parsed.scenario is not None:
        try:  # an unknown catalog id, or a range that misses the catalog's price: nothing is written
            row = saved.save(session, scenario=parsed.scenario, author=principal.username)
        except ScenarioError as exc:
            parsed = forms.Parsed(parsed.values, None, forms.refused(exc.errors))
        else:
            return RedirectResponse(f"/scenarios/{row.id}?saved=1", status_code=303)
    ctx = page_context(request, parsed)
    ctx["errors"][""] = ctx["errors"].get("") or NOT_SAVED
    return templates.TemplateResponse(request, "calculator.html", ctx, status_code=422)
