"""The catalog's price-sheet cache (issue 18): a sheet is resolved once per combination of the fields
it depends on, and a cached sheet is always the one resolving would give.

- `_sheet_key` names every scenario field `Catalog._resolve` reads: read from `_resolve`'s source,
  so a field read there and left out of the key fails here, not in someone's estimate.
- On 400 random scenarios (bench/snapshot.py's, which vary models, deployments, horizons and start
  months), every cached sheet equals a fresh resolution, and scenarios on the same models share one.
- The cache is bounded: the oldest sheet leaves first.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from pathlib import Path

import pytest

from app import catalog as catalog_module
from app.catalog import Catalog, _sheet_key, load_catalog
from app.engine import Scenario
from app.presets import presets

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from snapshot import scenarios


def _reads(fn: object, aliases: dict[str, str]) -> set[str]:
    """Dotted scenario paths read in `fn`'s source, with local aliases (`ft` for `scenario.fine_tuning`)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))  # type: ignore[arg-type]
    out: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not isinstance(node.ctx, ast.Load):
            continue
        parts: list[str] = []
        inner: ast.expr = node
        while isinstance(inner, ast.Attribute):
            parts.append(inner.attr)
            inner = inner.value
        if isinstance(inner, ast.Name) and inner.id in aliases:
            out.add(".".join([aliases[inner.id], *reversed(parts)]).strip("."))
    # keep the longest paths only: `scenario.rag` is read on the way to `scenario.rag.model`
    return {p for p in out if not any(q != p and q.startswith(p + ".") for q in out)}


ALIASES = {"scenario": "", "ft": "fine_tuning", "rag": "rag"}


def test_the_key_names_every_field_the_resolution_reads() -> None:
    read = _reads(Catalog._resolve, {"scenario": "", "ft": "fine_tuning"})
    keyed = _reads(_sheet_key, ALIASES)
    assert read, "no field read: the source parse is broken"
    assert read <= keyed, f"read by Catalog._resolve but not in _sheet_key: {sorted(read - keyed)}"


def test_cached_sheets_are_the_sheets_resolving_gives_and_are_shared() -> None:
    catalog = Catalog()
    batch = scenarios(400)
    sheets = [catalog.price_sheet(s) for s in batch]
    for s, sheet in zip(batch, sheets, strict=True):
        assert sheet == catalog._resolve(s)
    assert len({id(sheet) for sheet in sheets}) == len({_sheet_key(s) for s in batch}) < len(batch)
    assert catalog.price_sheet(batch[0]) is sheets[0]


def test_a_scenario_differing_only_outside_the_key_gets_the_same_sheet() -> None:
    base = presets()["content-moderation"].scenario
    other = Scenario.model_validate(
        base.model_dump(mode="json") | {"workload": {**base.workload.model_dump(mode="json"), "input_tokens": 123}}
    )
    assert _sheet_key(other) == _sheet_key(base)
    assert load_catalog().price_sheet(other) is load_catalog().price_sheet(base)


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_module, "SHEETS_KEPT", 3)
    catalog = Catalog()
    distinct = {_sheet_key(s): s for s in scenarios(60)}  # one scenario per key, in order of first use
    assert len(distinct) > 3
    for s in distinct.values():
        catalog.price_sheet(s)
    assert list(catalog._sheets) == list(distinct)[-3:]  # the first in were the first out
