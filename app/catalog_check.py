"""`llm-tco catalog --check`: what in the catalog is out of date, and who still uses it.

Pure functions over a `Catalog`, the presets and the saved scenarios' inputs; the command line
gathers those and prints `CheckReport.lines()`. Today is a parameter, so tests are deterministic.

- stale: a `pricing/*.yaml` entry whose `as_of` (or its lifecycle's `as_of`) is older than
  `STALE_DAYS` before today; the genai-prices pin once, when its reference date is that old;
- ended: a lifecycle whose `shutdown_on` (a fine-tune: or `training_ends_on`) is today or earlier;
- ending: the same date within the next `SOON_DAYS`;
- uses: each preset or saved scenario field that names an ended or ending model;
- stale uses: each preset or saved scenario field that names an entry with a stale date.

Only a use of an ended model fails the check (exit code 1): that is what an operator must act on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.catalog import GENAI_PRICES, Catalog, CatalogEntry
from app.engine.scenario import CATALOG_ID_KINDS

STALE_DAYS = 180
SOON_DAYS = 180

ID_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (section, name) for section, _, name in (path.partition(".") for path in CATALOG_ID_KINDS)
)
"""Every field of a scenario that names a catalog id."""


def model_fields(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """`(field path, catalog id)` of every id a scenario document uses: RAG's only when it is enabled
    (as `Catalog.price_sheet` resolves them), empty optional fields left out."""
    found = []
    for section, name in ID_FIELDS:
        part = inputs.get(section)
        if not isinstance(part, Mapping):
            continue
        if section == "rag" and not part.get("enabled", True):
            continue
        value = part.get(name)
        if isinstance(value, str) and value:
            found.append((f"{section}.{name}", value))
    return found


@dataclass(frozen=True)
class Stale:
    id: str
    what: str
    """`prices` or `lifecycle`."""
    as_of: dt.date
    origin: str


@dataclass(frozen=True)
class End:
    id: str
    event: str
    """`shutdown` or `training ends` (fine-tunes)."""
    on: dt.date
    successor: str | None
    past: bool
    """The date is today or earlier."""

    def words(self) -> str:
        verb = {"shutdown": ("shut down", "shuts down"), "training ends": ("stopped training", "stops training")}
        said = verb[self.event][0 if self.past else 1]
        return f"{said} {self.on}" + (f"; successor {self.successor}" if self.successor else "; no successor")


@dataclass(frozen=True)
class Use:
    where: str
    """`preset <slug>` or `scenario <id> "<name>"`."""
    field: str
    end: End


@dataclass(frozen=True)
class SavedScenario:
    """The latest revision of a saved scenario: its id, name and inputs."""

    id: int
    name: str
    inputs: Mapping[str, Any]


@dataclass
class CheckReport:
    today: dt.date
    pin: dt.date | None = None
    """The genai-prices reference date, when it is stale."""
    stale: list[Stale] = field(default_factory=list)
    ended: list[End] = field(default_factory=list)
    ending: list[End] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)
    stale_uses: list[tuple[str, str, Stale]] = field(default_factory=list)
    """`(where, field path, Stale)`: a preset or saved scenario priced from a date to check again."""

    @property
    def failing(self) -> list[Use]:
        """Uses of a model that has already ended: what an operator must act on."""
        return [u for u in self.uses if u.end.past]

    @property
    def exit_code(self) -> int:
        return 1 if self.failing else 0

    def lines(self) -> list[str]:
        """Plain, short lines, ending with a summary line."""
        cutoff = self.today - dt.timedelta(days=STALE_DAYS)
        out: list[str] = [f"Catalog check on {self.today} (stale: as_of before {cutoff}; soon: {SOON_DAYS} days)"]
        if self.pin is not None:
            out.append(f"STALE pin: genai-prices reference_date {self.pin} (pricing/genai-prices.yaml)")
        out += [f"STALE {s.id}: {s.what} as_of {s.as_of} ({s.origin})" for s in self.stale]
        out += [f"ENDED {e.id}: {e.words()}" for e in self.ended]
        out += [f"SOON {e.id}: {e.words()}" for e in self.ending]
        for u in self.uses:
            tag = "FAIL" if u.end.past else "WARN"
            out.append(f"{tag} {u.where}: {u.field} {u.end.id} {u.end.words()}")
        out += [f"WARN {where}: {path} {s.id} {s.what} as_of {s.as_of} (stale)" for where, path, s in self.stale_uses]
        warned = len(self.uses) - len(self.failing)
        stale = len(self.stale) + (self.pin is not None)
        out.append(
            f"{'FAILED' if self.exit_code else 'OK'}: {len(self.failing)} uses of ended models, "
            f"{warned} uses of models ending within {SOON_DAYS} days, {len(self.ended)} ended and "
            f"{len(self.ending)} ending models, {stale} stale dates ({len(self.stale_uses)} used)"
        )
        return out


def stale_entries(catalog: Catalog, today: dt.date) -> tuple[dt.date | None, list[Stale]]:
    """The pin's reference date if stale, and every `pricing/*.yaml` entry with a stale `as_of`.

    A genai-prices entry that `pricing/*.yaml` only extends keeps the pin's date for its prices:
    the pin stands for those, once.
    """
    cutoff = today - dt.timedelta(days=STALE_DAYS)
    pin = catalog.reference_date if catalog.reference_date < cutoff else None
    found = []
    for entry in catalog:
        if entry.origin == GENAI_PRICES:
            continue
        inherited = entry.origin.startswith(f"{GENAI_PRICES}+") and entry.as_of == catalog.reference_date
        if not inherited and entry.as_of < cutoff:
            found.append(Stale(entry.id, "prices", entry.as_of, entry.origin))
        if entry.lifecycle is not None and entry.lifecycle.as_of < cutoff:
            found.append(Stale(entry.id, "lifecycle", entry.lifecycle.as_of, entry.origin))
    return pin, found


def ends(entry: CatalogEntry, today: dt.date) -> list[End]:
    """The entry's shutdown (and a fine-tune's end of training) up to `SOON_DAYS` after today."""
    life = entry.lifecycle
    if life is None:
        return []
    soon = today + dt.timedelta(days=SOON_DAYS)
    dates = [("shutdown", life.shutdown_on)]
    if entry.kind == "fine_tune":
        dates.append(("training ends", life.training_ends_on))
    return [
        End(entry.id, event, on, life.successor, on <= today) for event, on in dates if on is not None and on <= soon
    ]


def check(
    catalog: Catalog,
    presets: Mapping[str, Mapping[str, Any]],
    saved: Iterable[SavedScenario] = (),
    today: dt.date | None = None,
) -> CheckReport:
    """Stale dates, ended and ending models, and the presets (`slug -> scenario document`) and saved
    scenarios that use an ended or ending model in any id field."""
    today = today or dt.date.today()
    report = CheckReport(today=today)
    report.pin, report.stale = stale_entries(catalog, today)
    by_id: dict[str, list[End]] = {}
    for entry in catalog:
        for end in ends(entry, today):
            (report.ended if end.past else report.ending).append(end)
            by_id.setdefault(entry.id, []).append(end)
    report.ended.sort(key=lambda e: (e.on, e.id))
    report.ending.sort(key=lambda e: (e.on, e.id))
    sources = [(f"preset {slug}", doc) for slug, doc in presets.items()]
    sources += [(f'scenario {s.id} "{s.name}"', s.inputs) for s in saved]
    for where, inputs in sources:
        for path, id in model_fields(inputs):
            report.uses += [Use(where, path, end) for end in by_id.get(id, ())]
            report.stale_uses += [(where, path, s) for s in report.stale if s.id == id]
    return report


def saved_scenarios(session: Any) -> list[SavedScenario]:
    """The latest revision of every scenario that is not archived, by id."""
    from sqlmodel import col, select

    from app.db.models import RevisionRow, ScenarioRow

    query = (
        select(ScenarioRow, RevisionRow)
        .join(
            RevisionRow,
            (col(RevisionRow.scenario_id) == ScenarioRow.id) & (col(RevisionRow.number) == ScenarioRow.latest_revision),
        )
        .where(col(ScenarioRow.archived_at).is_(None))
        .order_by(col(ScenarioRow.id))
    )
    return [SavedScenario(s.id or 0, s.name, r.inputs) for s, r in session.exec(query).all()]
