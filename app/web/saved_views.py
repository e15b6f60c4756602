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
from app.engine.scenario import STRATEGIES, STRATEGY_LABELS, ExtraCost, Range
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
    range: str = ""
    """Its range in words ("5 to 20 USD / example"), empty when it has none."""
    source: str = ""
    catalog: str = ""
    """Where a price left to the catalog came from: "catalog openai:gpt-4o, as of 2026-11-23"."""


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


titles = fields.titles
"""Kept here too: the saved pages name inputs by it."""


def range_text(spec: fields.Field, r: Range) -> str:
    """A range as finance reads it: "5 to 20 USD / example"."""
    low, high = readable(spec, forms.display(r.low)), readable(spec, forms.display(r.high))
    return f"{low} to {high} {spec.unit}".rstrip()


def _catalog_value(spec: fields.Field, prices_used: dict[str, Any]) -> tuple[str, str]:
    """(the form's text of the catalog's number, where it came from) of a price left empty; ("", "")
    when the estimate did not use that price."""
    if spec.catalog_price is None:
        return "", ""
    item, key = spec.catalog_price
    used = prices_used.get(item)
    if not used or key not in used.get("values", {}):
        return "", ""
    as_of = f", as of {used['as_of']}" if used.get("as_of") else ""
    return forms.display(used["values"][key]), f"catalog {used['id']}{as_of}"


def input_groups(scenario: Scenario, prices_used: dict[str, Any] | None = None) -> list[InputGroup]:
    """The inputs of a scenario grouped like the calculator's form, each with its range if it has one,
    and marked when it is not the default (a range is never the default). With the estimate's
    `prices_used`, a price left to the catalog shows the number used and where it came from, not the
    words "catalog price"."""
    values, defaults = forms.values_of(scenario), default_values()
    out = []
    for group in fields.groups():
        members = [*group.fields, *(f for sub in group.subgroups for f in sub.fields)]
        lines = []
        for f in members:
            r = scenario.ranges.get(f.path)
            text = values.get(f.path, "")
            catalog = ""
            if text == "" and prices_used is not None:
                text, catalog = _catalog_value(f, prices_used)
            lines.append(
                InputLine(
                    path=f.path,
                    label=f.label,
                    value=readable(f, text),
                    unit=f.unit if text != "" and f.kind != "bool" else "",
                    changed=values.get(f.path, "") != defaults.get(f.path, "") or r is not None,
                    range=range_text(f, r) if r is not None else "",
                    source=r.source if r is not None else "",
                    catalog=catalog,
                )
            )
        if group.id == "finance":
            lines.extend(_extra_cost_lines(scenario))
        out.append(InputGroup(group.legend, tuple(lines)))
    return out


def extra_cost_text(line: ExtraCost) -> str:
    """An own cost line in words: "5,000 USD once in month 3 and 1,000 USD a month from it; evaluation;
    paid by RAG, Fine-tuning"."""
    amounts = []
    if line.one_time_usd:
        amounts.append(f"{line.one_time_usd:,.2f} USD once in month {line.from_month}")
    if line.monthly_usd:
        amounts.append(f"{line.monthly_usd:,.2f} USD a month from month {line.from_month}")
    paid = ", ".join(STRATEGY_LABELS[s] for s in line.strategies)
    return f"{' and '.join(amounts) or 'nothing'}; {line.category}; paid by {paid}"


def _extra_cost_lines(scenario: Scenario) -> list[InputLine]:
    out = []
    for i, line in enumerate(scenario.extra_costs):
        ranged = [(part, scenario.ranges.get(f"extra_costs.{i}.{part}")) for part in ("one_time_usd", "monthly_usd")]
        out.append(
            InputLine(
                path=f"extra_costs.{i}",
                label=f"Own cost line: {line.name}",
                value=extra_cost_text(line),
                unit="",
                changed=True,
                range="; ".join(f"{part}: {r.low:,.2f} to {r.high:,.2f} USD" for part, r in ranged if r is not None),
                source="; ".join(r.source for _, r in ranged if r is not None and r.source),
            )
        )
    return out


def range_texts(scenario: Scenario) -> dict[str, str]:
    """Each range of a scenario in words with its source, by path: a row of a diff or a comparison."""
    specs = fields.all_fields()
    return {
        path: range_text(specs[path], r) + (f" ({r.source})" if r.source else "")
        for path, r in scenario.ranges.items()
        if path in specs
    }


def shown(path: str, values: dict[str, str]) -> str:
    """One input's value with its unit, in one string (tables of several scenarios or revisions)."""
    spec = fields.all_fields()[path]
    text = values.get(path, "")
    value = readable(spec, text)
    return f"{value} {spec.unit}" if spec.unit and text != "" and spec.kind != "bool" else value


def changed_inputs(before: Scenario, after: Scenario) -> list[dict[str, str]]:
    """Every input whose value or range differs between two scenarios, in the order of the form."""
    a, b = forms.values_of(before), forms.values_of(after)
    ra, rb = range_texts(before), range_texts(after)
    out = []
    for path, title in titles().items():
        if a.get(path, "") != b.get(path, ""):
            out.append({"path": path, "title": title, "before": shown(path, a), "after": shown(path, b)})
        if ra.get(path) != rb.get(path):
            before_text, after_text = ra.get(path, NONE_TEXT), rb.get(path, NONE_TEXT)
            out.append(
                {"path": f"ranges.{path}", "title": f"{title} (range)", "before": before_text, "after": after_text}
            )
    lines_a = [extra_cost_text(x) for x in before.extra_costs]
    lines_b = [extra_cost_text(x) for x in after.extra_costs]
    for i in range(max(len(lines_a), len(lines_b))):
        was = f"{before.extra_costs[i].name}: {lines_a[i]}" if i < len(lines_a) else NONE_TEXT
        now = f"{after.extra_costs[i].name}: {lines_b[i]}" if i < len(lines_b) else NONE_TEXT
        if was != now:
            out.append(
                {"path": f"extra_costs.{i}", "title": f"Finance: own cost line {i + 1}", "before": was, "after": now}
            )
    return out


def totals_rows(revisions: list[RevisionRow]) -> list[dict[str, Any]]:
    """Total USD per strategy of each revision, one row per strategy any of them has (None: not an option)."""
    present = [s for s in STRATEGIES if any(s in r.totals for r in revisions)]
    return [
        {"strategy": s, "label": STRATEGY_LABELS[s], "values": [r.totals.get(s) for r in revisions]} for s in present
    ]


def _event_key(event: dict[str, Any]) -> tuple[str, str, str]:
    return event["strategy"], event["model"], event["event"]


def _event_facts(event: dict[str, Any]) -> tuple[Any, ...]:
    return event["month"], event["successor"], event["cost_usd"]


def lifecycle_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lifecycle events that one revision has and the other has not, or has in another month, with
    another successor or at another cost: what a re-price with today's lifecycle data changed.

    An event is the same event when its strategy, model and kind match (a shutdown moved by the
    vendor is one event that changed month, not one removed and one added).
    """
    a = {_event_key(e): e for e in before}
    b = {_event_key(e): e for e in after}
    keys = [*a, *(k for k in b if k not in a)]
    order = {s: n for n, s in enumerate(STRATEGIES)}
    rows = [
        {
            "strategy": k[0],
            "label": STRATEGY_LABELS[k[0]],
            "model": k[1],
            "event": k[2],
            "before": a.get(k),
            "after": b.get(k),
        }
        for k in keys
        if k not in a or k not in b or _event_facts(a[k]) != _event_facts(b[k])
    ]
    return sorted(rows, key=lambda r: ((r["before"] or r["after"])["month"], order[r["strategy"]]))


def revision_diff(
    a: RevisionRow, b: RevisionRow, events: tuple[list[dict[str, Any]], list[dict[str, Any]]]
) -> dict[str, Any]:
    """What changed from revision `a` to `b`: inputs, totals per strategy, the verdict, the catalog and
    the lifecycle events (`events`: each revision's, from its frozen prices)."""
    return {
        "a": a,
        "b": b,
        "inputs": changed_inputs(Scenario.model_validate(a.inputs), Scenario.model_validate(b.inputs)),
        "totals": totals_rows([a, b]),
        "catalog_changed": a.catalog_version != b.catalog_version,
        "events": lifecycle_changes(*events),
    }
