"""Saved scenarios: what saving, editing and re-pricing mean, above the queries and below the routes.

A revision freezes the prices it was computed with. Editing keeps them for every
catalog id that did not change (only a newly chosen model, GPU or plan is priced
from today's catalog); re-pricing is the explicit move of every price to today's.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app import audit
from app.db import queries
from app.db.models import RevisionRow, ScenarioRow
from app.engine import PriceSheet, Scenario
from app.engine.prices import chain
from app.presets import presets
from app.services import estimate_all, price

_ITEMS = ("prompting", "rag", "embedding", "vector_db", "reranker", "fine_tuning", "gpu")


def _revision(scenario: Scenario, sheet: PriceSheet, *, action: str, author: str) -> dict[str, Any]:
    [doc] = estimate_all([scenario], [sheet])
    return {
        "action": action,
        "author": author,
        "inputs": scenario.model_dump(mode="json"),
        "prices": sheet.model_dump(mode="json"),
        "catalog_version": sheet.catalog_version,
        "totals": {name: s["total_usd"] for name, s in doc["strategies"].items()},
        "recommendation": doc["verdict"]["recommendation"],
        "tco_ratio": doc["verdict"]["tco_ratio"],
    }


def keep_frozen(old: PriceSheet, new: PriceSheet) -> PriceSheet:
    """`new`'s items, except those with the same id as in `old` (and, for models, the same successors
    inside the horizon), which keep their frozen numbers and lifecycle dates."""
    kept: dict[str, Any] = {}
    changed = False
    for item in _ITEMS:
        before, after = getattr(old, item), getattr(new, item)
        if before is not None and after is not None and _ids(before) == _ids(after):
            kept[item] = before
        else:
            kept[item] = after
            changed = changed or after is not None
    version = old.catalog_version
    if changed and new.catalog_version != old.catalog_version:
        version = f"{old.catalog_version}; new ids at {new.catalog_version}"
    return PriceSheet(catalog_version=version, **kept)


def _ids(item: Any) -> list[str]:
    """An item's id and its successors' ids: a tune moved elsewhere, or a longer horizon that reaches
    a shutdown, is a new chain to price."""
    return [i.id for i in chain(item)] if hasattr(item, "successor") else [item.id]


def save(session: Session, *, scenario: Scenario, author: str) -> ScenarioRow:
    revision = _revision(scenario, price(scenario), action="created", author=author)
    return queries.create_scenario(session, name=scenario.name, description=scenario.description, revision=revision)


MAX_NAME = 200
"""The longest scenario name (ScenarioRow.name)."""


def copy_name(session: Session, name: str) -> str:
    """The name of a new copy of `name`: "Copy of X", then "Copy of X (2)", "(3)", ..., the first that
    no scenario has (archived ones too), cut so that the number always fits in MAX_NAME."""
    base = f"Copy of {name}"
    similar = select(ScenarioRow.name).where(col(ScenarioRow.name).startswith(base[:100], autoescape=True))
    taken = set(session.exec(similar).all())
    n = 1
    while True:
        suffix = f" ({n})" if n > 1 else ""
        candidate = base[: MAX_NAME - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def duplicate(session: Session, *, revision: RevisionRow, name: str, author: str) -> ScenarioRow:
    """A new scenario from a revision's inputs and frozen prices, so the copy starts with the same
    figures as the revision it copies (re-pricing it is a separate, explicit step)."""
    scenario = Scenario.model_validate(revision.inputs).model_copy(update={"name": name})
    new = _revision(scenario, PriceSheet.model_validate(revision.prices), action="created", author=author)
    origin = f"a copy of scenario {revision.scenario_id}, revision {revision.number}"
    audit.record(
        session, actor=author, action="duplicated", scenario_id=revision.scenario_id, revision=revision.number
    )  # committed with the copy
    return queries.create_scenario(session, name=name, description=scenario.description, revision=new, detail=origin)


def edit(session: Session, *, row: ScenarioRow, expected: int, scenario: Scenario, author: str) -> RevisionRow:
    """A new revision of `row` from the revision `expected` (StaleRevision if it is not the latest)."""
    previous = queries.get_revision(session, scenario_id=_id(row), number=row.latest_revision)
    assert previous is not None
    sheet = keep_frozen(PriceSheet.model_validate(previous.prices), price(scenario))
    revision = _revision(scenario, sheet, action="edited", author=author)
    return queries.add_revision(
        session,
        scenario=row,
        expected=expected,
        name=scenario.name,
        description=scenario.description,
        revision=revision,
    )


def same_prices(frozen: dict[str, Any], sheet: PriceSheet) -> bool:
    """Whether `sheet` is the frozen sheet again: every item priced the same (numbers, sources, dates,
    lifecycles) at the same catalog version."""
    return sheet.model_dump(mode="json") == PriceSheet.model_validate(frozen).model_dump(mode="json")


def reprice(session: Session, *, row: ScenarioRow, expected: int, author: str) -> RevisionRow | None:
    """The same inputs at today's catalog, as a new revision; the old one keeps its figures. None, and
    nothing written, when today's catalog gives the prices revision `expected` (the latest) froze."""
    previous = queries.get_revision(session, scenario_id=_id(row), number=expected)
    if previous is None or expected != row.latest_revision:
        raise queries.StaleRevision(expected, row.latest_revision)
    scenario = Scenario.model_validate(previous.inputs)
    sheet = price(scenario)
    if same_prices(previous.prices, sheet):
        return None
    revision = _revision(scenario, sheet, action="repriced", author=author)
    return queries.add_revision(
        session, scenario=row, expected=expected, name=row.name, description=row.description, revision=revision
    )


def estimate_revision(revision: RevisionRow, *, uncertainty: bool = False) -> dict[str, Any]:
    """The Estimate of a saved revision, from its own inputs and frozen prices: the same every time
    (Monte Carlo too: the seed is one of the inputs)."""
    scenario = Scenario.model_validate(revision.inputs)
    return estimate_all([scenario], [PriceSheet.model_validate(revision.prices)], uncertainty=uncertainty)[0]


def lifecycle_events(revision: RevisionRow) -> list[dict[str, Any]]:
    """The lifecycle events of a saved revision (a point estimate: a few milliseconds), for its diff."""
    return list(estimate_revision(revision)["lifecycle_events"])


def seed_presets(session: Session, *, author: str) -> int:
    """Save every bundled preset when the database holds no scenario yet; how many were saved."""
    if queries.count_scenarios(session):
        return 0
    for preset in presets().values():
        save(session, scenario=preset.scenario, author=author)
    return len(presets())


def _id(row: ScenarioRow) -> int:
    assert row.id is not None
    return row.id
