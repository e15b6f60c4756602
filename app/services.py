"""What every face does with a scenario: price it from the catalog and estimate it.

Routes and the command line call these and only present the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app import budget
from app.catalog import CatalogError, load_catalog
from app.engine import MissingPrice, PriceSheet, Scenario, build_inputs
from app.engine.estimate import AmountTooLarge, Detail, VolumeLines, estimate_documents
from app.engine.uncertainty import RangeError, seed_ranges, triangles
from app.observability import count_estimates


class ScenarioError(ValueError):
    """A scenario that validates but cannot be priced: each problem with its field path."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{e['loc']}: {e['msg']}" for e in errors))
        self.errors = errors


def _dotted(loc: Sequence[object]) -> str:
    return ".".join(str(part) for part in loc)


def _missing_price(exc: MissingPrice) -> ScenarioError:
    """The engine's "path: message" for a price a strategy needs and the sheet lacks, at its field."""
    path, _, msg = str(exc).partition(": ")
    return ScenarioError([{"loc": path, "msg": msg}])


def _range_error(exc: RangeError, index: int, prefix: str) -> dict[str, str]:
    """A range that misses a catalog price, at `ranges.<path>` of its scenario (by index under a prefix)."""
    where = f"{prefix}{index}." if prefix else ""
    return {"loc": f"{where}ranges.{exc.path}", "msg": exc.msg}


def price(scenario: Scenario, *, prefix: str = "") -> PriceSheet:
    """The scenario's catalog prices; every unknown or unsuitable id at once."""
    try:
        return load_catalog().price_sheet(scenario)
    except CatalogError as exc:
        errors = [{"loc": prefix + _dotted(e["loc"]), "msg": e["msg"], "type": "catalog"} for e in exc.errors]
        raise ScenarioError(errors) from exc


def priced(scenarios: Sequence[Scenario], *, prefix: str = "", first: int = 0) -> list[PriceSheet]:
    """Today's catalog prices of each scenario; every problem of every scenario at once (with a prefix
    such as `scenarios.`, named by index, counted from `first`: `scenarios.3.prompting.model`)."""
    errors: list[dict[str, Any]] = []
    sheets: list[PriceSheet] = []  # scenarios on the same models share one sheet (the catalog's cache)
    for i, scenario in enumerate(scenarios):
        try:
            sheets.append(price(scenario, prefix=f"{prefix}{first + i}." if prefix else ""))
        except ScenarioError as exc:
            errors.extend(exc.errors)
    if errors:
        raise ScenarioError(errors)
    return sheets


def estimate_all(
    scenarios: Sequence[Scenario],
    sheets: Sequence[PriceSheet] | None = None,
    *,
    prefix: str = "",
    first: int = 0,
    detail: Detail = "full",
    uncertainty: bool = False,
    keep: list[VolumeLines] | None = None,
) -> list[dict[str, Any]]:
    """Estimate documents (plain dicts, cents) for many scenarios in one engine call.

    `sheets` are frozen prices (a saved revision's); without them, today's catalog.
    With a prefix such as `scenarios.`, errors name the scenario by index, counted from `first` (a chunk of
    a batch): `scenarios.3.prompting.model`.
    `detail="summary"` leaves out the monthly series (see `estimate_documents`); `uncertainty` adds
    Monte Carlo and the tornado.
    """
    budget.charge(scenarios, uncertainty=uncertainty, loc=prefix.rstrip(".") or "uncertainty.draws")
    if sheets is None:
        sheets = priced(scenarios, prefix=prefix)
    try:
        documents = estimate_documents(scenarios, sheets, detail=detail, uncertainty=uncertainty, keep=keep)
    except RangeError as exc:
        raise ScenarioError([_range_error(exc, exc.index, prefix)]) from exc
    except MissingPrice as exc:
        raise _missing_price(exc) from exc
    except AmountTooLarge as exc:
        raise ScenarioError([{"loc": f"{prefix}{first + exc.index}" if prefix else "", "msg": str(exc)}]) from exc
    count_estimates(len(documents), monte_carlo=uncertainty)
    return documents


def preflight(scenarios: Sequence[Scenario], sheets: Sequence[PriceSheet], *, prefix: str = "", first: int = 0) -> None:
    """Raise now the ScenarioError that estimating would raise, for every scenario at once: a price a
    strategy needs and the sheet lacks, a range on a price the catalog does not have. A batch answered
    in chunks (and streamed) then fails before its first byte, never half-way."""
    try:
        inputs = build_inputs(scenarios, sheets)
    except MissingPrice as exc:
        raise _missing_price(exc) from exc
    errors = []
    for i, scenario in enumerate(scenarios):
        if scenario.ranges:
            try:
                triangles(scenario, {k: v[i : i + 1] for k, v in inputs.items()})
            except RangeError as exc:
                errors.append(_range_error(exc, first + i, prefix))
    if errors:
        raise ScenarioError(errors)


CHUNK_UNITS = 1_000_000
"""Engine units per chunk of a batch (app/budget.py): about a second of work on this machine."""
CHUNK_SCENARIOS = 50
"""Scenarios per chunk at most: 50 full-detail estimates of 120 months are about 3 MB of JSON and some
20 MB of Python objects on the way (a 10,000-scenario batch streams in under 400 MB)."""


def chunk_bounds(units: Sequence[int]) -> list[tuple[int, int]]:
    """[start, stop) of consecutive chunks of a batch whose scenarios cost `units` each: each chunk at most
    CHUNK_UNITS (but at least one scenario) and CHUNK_SCENARIOS, so a deadline or a disconnect is seen
    within about a second, and memory holds one chunk's documents."""
    bounds, start, used = [], 0, 0
    for i, u in enumerate(units):
        if i > start and (used + u > CHUNK_UNITS or i - start >= CHUNK_SCENARIOS):
            bounds.append((start, i))
            start, used = i, 0
        used += u
    if start < len(units):
        bounds.append((start, len(units)))
    return bounds


def estimate_one(
    scenario: Scenario,
    sheet: PriceSheet | None = None,
    *,
    uncertainty: bool = False,
    keep: list[VolumeLines] | None = None,
) -> dict[str, Any]:
    """One scenario's document; `keep` receives what its volume chart needs (`estimate_documents`)."""
    return estimate_all([scenario], None if sheet is None else [sheet], uncertainty=uncertainty, keep=keep)[0]


def with_seed_ranges(scenario: Scenario, sheet: PriceSheet | None = None) -> tuple[Scenario, dict[str, str]]:
    """The scenario with the seeds' ranges added where they apply, and why the others do not."""
    sheet = sheet or price(scenario)
    try:
        applied, skipped = seed_ranges(scenario, build_inputs([scenario], [sheet]))
    except MissingPrice as exc:
        raise _missing_price(exc) from exc
    document = scenario.model_dump()
    document["ranges"] = {**document["ranges"], **applied}
    return Scenario.model_validate(document), skipped
