"""What the saved-scenario pages show, as plain values: read-only inputs, a revision diff, times.

Shared by the scenario page, its diff and the comparison page, so an input reads the same on all
three (its label and unit come from `fields`, its text from `forms.values_of`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from app.db.models import RevisionRow
from app.engine import Scenario
from app.engine.scenario import STRATEGIES, STRATEGY_LABELS
from app.web import fields, forms

NONE_TEXT = "\u2013"
"""An input left empty: "the catalog's price", "never" or "none", depending on the field."""


@dataclass(frozen=True)
class InputLine:
    """One input as finance reads it: label, value in words with its unit, and whether it is not the default."""

    path: str
    label: str
    value: str
    unit: str
    changed: bool


@dataclass(frozen=True)
class InputGroup:
    legend: str
    lines: tuple[InputLine, ...]


def utc(moment: dt.datetime | None) -> str:
    """Times on pages are UTC, said so, to the minute: the database stores UTC."""
    if moment is None:
        return NONE_TEXT
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def readable(spec: fields.Field, text: str) -> str:
    """The form's text of a value for reading: yes/no, thousands separators, a dash for empty."""
    if text == "":
        return "catalog price" if spec.catalog_price else NONE_TEXT
    if spec.kind == "bool":
        return "yes" if text == "true" else "no"
    if spec.kind in ("number", "integer"):
        try:
            value = float(text)
        except ValueError:
            return text
        return f"{int(value):,}" if value.is_integer() and abs(value) < 1e15 else f"{value:,.10g}"
    return text


@cache
def default_values() -> dict[str, str]:
    """The form's text of every default: what "changed" is measured against."""
    return forms.values_of(Scenario())


@cache
def titles() -> dict[str, str]:
    """Each field's name outside its form group ("Workload: Requests per month"): for diffs and
    the comparison, where rows of every group share one table."""
    out = {f.path: f.label for f in fields.about_fields()}
    for group in fields.groups():
        members = [*group.fields, *(f for sub in group.subgroups for f in sub.fields)]
        out.update({f.path: f"{group.legend}: {f.label}" for f in members})
    return out


def input_groups(scenario: Scenario) -> list[InputGroup]:
    """The inputs of a scenario grouped like the calculator's form, each marked when not the default."""
    values, defaults = forms.values_of(scenario), default_values()
    out = []
    for group in fields.groups():
        members = [*group.fields, *(f for sub in group.subgroups for f in sub.fields)]
        lines = tuple(
            InputLine(
                path=f.path,
                label=f.label,
                value=readable(f, values.get(f.path, "")),
                unit=f.unit if values.get(f.path, "") != "" and f.kind != "bool" else "",
                changed=values.get(f.path, "") != defaults.get(f.path, ""),
            )
            for f in members
        )
        out.append(InputGroup(group.legend, lines))
    return out


def shown(path: str, values: dict[str, str]) -> str:
    """One input's value with its unit, in one string (tables of several scenarios or revisions)."""
    spec = fields.all_fields()[path]
    text = values.get(path, "")
    value = readable(spec, text)
    return f"{value} {spec.unit}" if spec.unit and text != "" and spec.kind != "bool" else value


def changed_inputs(before: Scenario, after: Scenario) -> list[dict[str, str]]:
    """Every input whose value differs between two scenarios, in the order of the form."""
    a, b = forms.values_of(before), forms.values_of(after)
    return [
        {"path": path, "title": title, "before": shown(path, a), "after": shown(path, b)}
        for path, title in titles().items()
        if a.get(path, "") != b.get(path, "")
    ]


def totals_rows(revisions: list[RevisionRow]) -> list[dict[str, Any]]:
    """Total USD per strategy of each revision, one row per strategy any of them has (None: not an option)."""
    present = [s for s in STRATEGIES if any(s in r.totals for r in revisions)]
    return [
        {"strategy": s, "label": STRATEGY_LABELS[s], "values": [r.totals.get(s) for r in revisions]} for s in present
    ]


def revision_diff(a: RevisionRow, b: RevisionRow) -> dict[str, Any]:
    """What changed from revision `a` to `b`: inputs, totals per strategy, the verdict and the catalog."""
    return {
        "a": a,
        "b": b,
        "inputs": changed_inputs(Scenario.model_validate(a.inputs), Scenario.model_validate(b.inputs)),
        "totals": totals_rows([a, b]),
        "catalog_changed": a.catalog_version != b.catalog_version,
    }
