"""`GET /catalog`: every price the calculator may use, with its source and date, searchable by name
and filtered by kind. The same entries as `GET /api/v1/catalog` and `llm-tco catalog`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.catalog import KINDS, CatalogEntry, load_catalog
from app.web.templating import templates

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50

KIND_LABELS = {
    "llm": "API model",
    "embedding": "Embedding model",
    "fine_tune": "Fine-tunable model",
    "gpu": "GPU",
    "vector_db": "Vector database",
    "reranker": "Reranker",
}
"""How the page names each kind of entry (the API's `kind` values are the keys)."""

PRICE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("input", "Input", "USD / 1M tokens"),
    ("cached_input", "Cached input", "USD / 1M tokens"),
    ("output", "Output", "USD / 1M tokens"),
    ("training", "Training", "USD / 1M tokens"),
    ("batch_discount", "Batch discount", "share off"),
    ("gpu_hour_usd", "GPU hour", "USD"),
    ("serving_tokens_per_second", "Serving", "tokens / s per GPU"),
    ("training_tokens_per_second", "Training", "tokens / s per GPU"),
    ("monthly_usd", "Plan", "USD / month"),
    ("usd_per_1k_requests", "Reranking", "USD / 1k requests"),
)
"""Each price of a `CatalogEntry`: field, label, unit. An entry has only those of its kind (others are None)."""


def prices_of(entry: CatalogEntry) -> list[dict[str, Any]]:
    """The prices an entry has, in a fixed order: those of its kind, since the rest are None."""
    out = [
        {"label": label, "value": getattr(entry, name), "unit": unit}
        for name, label, unit in PRICE_FIELDS
        if getattr(entry, name) is not None
    ]
    if entry.deployments:
        out.append({"label": "Deployments", "value": ", ".join(entry.deployments), "unit": ""})
    return out


def lifecycle_of(entry: CatalogEntry) -> dict[str, Any] | None:
    """The entry's announced end in plain words ("shuts down 2027-01-14; successor gpt-6-luna"), with
    the vendor page and the day it was read; None when nothing is announced."""
    life = entry.lifecycle
    if life is None:
        return None
    text = life.sentence(lambda id: id.partition(":")[2])
    return {"text": text, "source": life.source, "as_of": life.as_of, "note": life.note}


def _page(text: str | None) -> int:
    return int(text) if text and text.isdigit() and 0 < int(text) < 100_000 else 1


@router.get("/catalog", response_class=HTMLResponse)
def catalog(request: Request) -> Response:
    params = request.query_params
    q = (params.get("q") or "").strip()[:200]
    kind = params.get("kind") or ""
    message = ""
    if kind and kind not in KINDS:
        message, kind = f"No kind {kind!r}: every kind is shown.", ""
    entries = load_catalog().search(q or None, kind or None)
    page = _page(params.get("page"))
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    shown = entries[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ctx = {
        "nav": "catalog",
        "q": q,
        "kind": kind,
        "kinds": KIND_LABELS,
        "message": message,
        "total": len(entries),
        "page": page,
        "pages": pages,
        "rows": [(e, prices_of(e), lifecycle_of(e)) for e in shown],
        "version": load_catalog().version,
    }
    return templates.TemplateResponse(request, "catalog.html", ctx)
