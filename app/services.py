"""What every face does with a scenario: price it from the catalog and estimate it.

Routes and the command line call these and only present the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.catalog import CatalogError, load_catalog
from app.engine import MissingPrice, PriceSheet, Scenario, build_inputs
from app.engine.estimate import Detail, estimate_documents
from app.engine.uncertainty import RangeError, seed_ranges
from app.observability import count_estimates


class ScenarioError(ValueError):
    """A scenario that validates but cannot be priced: each problem with its field path."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{e['loc']}: {e['msg']}" for e in errors))
        self.errors = errors


def _dotted(loc: Sequence[object]) -> str:
    return ".".join(str(part) for part in loc)


def price(scenario: Scenario, *, prefix: str = "") -> PriceSheet:
    """The scenario's catalog prices; every unknown or unsuitable id at once."""
    try:
        return load_catalog().price_sheet(scenario)
    except CatalogError as exc:
        errors = [{"loc": prefix + _dotted(e["loc"]), "msg": e["msg"], "type": "catalog"} for e in exc.errors]
        raise ScenarioError(errors) from exc


def estimate_all(
    scenarios: Sequence[Scenario],
    sheets: Sequence[PriceSheet] | None = None,
    *,
    prefix: str = "",
    detail: Detail = "full",
    uncertainty: bool = False,
) -> list[dict[str, Any]]:
    """Estimate documents (plain dicts, cents) for many scenarios in one engine call.

    `sheets` are frozen prices (a saved revision's); without them, today's catalog.
    With a prefix such as `scenarios.`, errors name the scenario by index: `scenarios.3.prompting.model`.
    `detail="summary"` leaves out the monthly series (see `estimate_documents`); `uncertainty` adds
    Monte Carlo and the tornado.
    """
    if sheets is None:
        errors: list[dict[str, Any]] = []
        priced: list[PriceSheet] = []
        for i, scenario in enumerate(scenarios):
            try:
                priced.append(price(scenario, prefix=f"{prefix}{i}." if prefix else ""))
            except ScenarioError as exc:
                errors.extend(exc.errors)
        if errors:
            raise ScenarioError(errors)
        sheets = priced
    try:
        documents = estimate_documents(scenarios, sheets, detail=detail, uncertainty=uncertainty)
    except RangeError as exc:
        where = f"{prefix}{exc.index}." if prefix else ""
        raise ScenarioError([{"loc": f"{where}ranges.{exc.path}", "msg": exc.msg}]) from exc
    except MissingPrice as exc:
        path, _, msg = str(exc).partition(": ")
        raise ScenarioError([{"loc": path, "msg": msg}]) from exc
    count_estimates(len(documents), monte_carlo=uncertainty)
    return documents


def estimate_one(scenario: Scenario, sheet: PriceSheet | None = None, *, uncertainty: bool = False) -> dict[str, Any]:
    return estimate_all([scenario], None if sheet is None else [sheet], uncertainty=uncertainty)[0]


def with_seed_ranges(scenario: Scenario, sheet: PriceSheet | None = None) -> tuple[Scenario, dict[str, str]]:
    """The scenario with the seeds' ranges added where they apply, and why the others do not."""
    sheet = sheet or price(scenario)
    try:
        applied, skipped = seed_ranges(scenario, build_inputs([scenario], [sheet]))
    except MissingPrice as exc:
        path, _, msg = str(exc).partition(": ")
        raise ScenarioError([{"loc": path, "msg": msg}]) from exc
    document = scenario.model_dump()
    document["ranges"] = {**document["ranges"], **applied}
    return Scenario.model_validate(document), skipped
