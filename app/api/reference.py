"""Read-only reference data: the price catalog and the bundled presets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from app.api.body import OffLoopRoute
from app.catalog import KINDS, CatalogEntry, UnknownCatalogId, load_catalog
from app.engine import Scenario
from app.presets import presets

router = APIRouter(route_class=OffLoopRoute)


class CatalogPage(BaseModel):
    catalog_version: str
    total: int
    """Entries matching the search, before paging."""
    entries: list[CatalogEntry]


@router.get(
    "/catalog",
    operation_id="search_catalog",
    response_model=CatalogPage,
    tags=["catalog"],
    summary="Search the price catalog",
)
def catalog(
    search: Annotated[str | None, Query(max_length=200, description="Text in the id or name.")] = None,
    kind: Annotated[str | None, Query(description=f"One of {', '.join(KINDS)}.")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Every price with its source and its as-of date; deprecated models last."""
    if kind is not None and kind not in KINDS:
        raise HTTPException(422, [{"loc": "kind", "msg": f"kind must be one of {', '.join(KINDS)}", "type": "enum"}])
    current = load_catalog()
    found = current.search(search, kind=kind)
    return {"catalog_version": current.version, "total": len(found), "entries": found[offset : offset + limit]}


@router.get(
    "/catalog/{entry_id:path}",
    operation_id="get_catalog_entry",
    response_model=CatalogEntry,
    tags=["catalog"],
    summary="One catalog entry",
    responses={404: {"description": "Unknown id; the message lists the closest ids."}},
)
def catalog_entry(entry_id: str) -> CatalogEntry:
    try:
        return load_catalog().get(entry_id)
    except UnknownCatalogId as exc:
        raise HTTPException(404, str(exc)) from exc


class PresetOut(BaseModel):
    slug: str
    seed: str
    """The seed article the numbers come from."""
    scenario: Scenario


@router.get(
    "/presets",
    operation_id="list_presets",
    response_model=list[PresetOut],
    tags=["presets"],
    summary="The example scenarios",
)
def list_presets() -> list[Any]:
    return list(presets().values())


@router.get(
    "/presets/{slug}",
    operation_id="get_preset",
    response_model=PresetOut,
    tags=["presets"],
    summary="One example scenario",
    responses={404: {"description": "Unknown slug; the message lists the presets."}},
)
def get_preset(slug: str) -> Any:
    try:
        return presets()[slug]
    except KeyError:
        raise HTTPException(404, f"no preset {slug!r}; presets: {', '.join(presets())}") from None
