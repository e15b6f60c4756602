"""The calculator at `/`: the form on the left, the answer on the right, recomputed as the user types.

`GET /` answers the whole page, or, to htmx (`HX-Request`), the results fragment with each field's
message out of band; hence `Vary: HX-Request`. A form with a bad field keeps the last valid results
on screen (`HX-Reswap: none`) and shows the message beside the field. The address bar keeps a link
to the same inputs: only the fields that differ from the defaults (`HX-Replace-Url`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import saved
from app.api.deps import SessionDep, SettingsDep
from app.catalog import load_catalog
from app.engine import PriceSheet, Scenario
from app.presets import presets
from app.services import ScenarioError, estimate_one, price
from app.web import fields, forms, results
from app.web.templating import templates

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


_SLOTS = [(g.error_id, g.id) for g in fields.groups()] + [(f.error_id, f.path) for f in fields.all_fields().values()]


def _error_groups(errors: dict[str, str]) -> set[str]:
    return {path.split(".")[0] if "." in path else path for path in errors} | (
        {"horizon"} if "horizon_months" in errors else set()
    )


def compute(parsed: forms.Parsed) -> dict[str, Any]:
    """Estimate a parsed form: the template context of the results, the hints, and any errors."""
    ctx: dict[str, Any] = {"values": parsed.values, "errors": dict(parsed.errors), "results": None, "hints": {}}
    if parsed.scenario is None:
        return ctx
    try:
        sheet = price(parsed.scenario)
        doc = estimate_one(parsed.scenario, sheet)
    except ScenarioError as exc:
        ctx["errors"] = {e["loc"]: e["msg"] for e in exc.errors}
        return ctx
    ctx.update(results.context(doc, parsed.scenario, sheet), results=True, hints=hints_of(sheet))
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
    ctx["slots"] = _SLOTS
    ctx["hints_changed"] = bool(ctx["hints"]) and ctx["results"]
    headers = {"Vary": "HX-Request", "Cache-Control": "no-store"}
    if ctx["results"]:
        if "_editing" not in request.query_params:
            assert parsed.scenario is not None
            query = forms.query_of(parsed.scenario)
            headers["HX-Replace-Url"] = "/?" + query if query else "/"
    else:
        headers["HX-Reswap"] = "none"  # keep the last valid results; the messages go out of band
    return templates.TemplateResponse(request, "_recompute.html", ctx, headers=headers)


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def calculator(request: Request) -> Response:
    query = request.query_params
    slug = query.get("preset")
    preset = presets().get(slug) if slug else None
    if preset is not None:
        parsed = forms.Parsed(forms.values_of(preset.scenario), preset.scenario)
    else:
        parsed = forms.parse(query)
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        return fragment(request, parsed)
    ctx = page_context(request, parsed, preset=slug if preset else None)
    if slug and preset is None:
        ctx["errors"][""] = f"No example called {slug!r}: the defaults are shown."
    status = 200 if not ctx["errors"] else 422
    return templates.TemplateResponse(
        request, "calculator.html", ctx, status_code=status, headers={"Vary": "HX-Request"}
    )


@router.get("/catalog/options/{path}", response_class=HTMLResponse)
async def catalog_options(request: Request, path: str) -> Response:
    """`<option>`s of the catalog entries a model picker may hold, matching what is typed so far."""
    spec = fields.all_fields().get(path)
    if spec is None or spec.catalog_kind is None:
        return HTMLResponse("", status_code=404)
    text = (request.query_params.get(path) or "").strip()
    entries = load_catalog().search(text or None, kind=spec.catalog_kind, limit=30)
    return templates.TemplateResponse(request, "_options.html", {"entries": entries})


@router.post("/scenarios", response_class=HTMLResponse)
async def save_new(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Save the calculator's inputs as a new scenario, then show it; a bad form comes back as typed."""
    form = await request.form()
    parsed = forms.parse(form)
    if parsed.scenario is not None:
        try:
            price(parsed.scenario)
        except ScenarioError as exc:
            parsed = forms.Parsed(parsed.values, None, {e["loc"]: e["msg"] for e in exc.errors})
    if parsed.scenario is None:
        ctx = page_context(request, parsed)
        return templates.TemplateResponse(request, "calculator.html", ctx, status_code=422)
    row = saved.save(session, scenario=parsed.scenario, author=settings.local_author)
    return RedirectResponse(f"/scenarios/{row.id}?saved=1", status_code=303)
