"""Form values <-> Scenario, and the short query string that reopens the same inputs.

A form field is named by its dotted path (`workload.requests_per_month`); the range of a numeric
field by `ranges.<path>.low`, `.high` and `.source`. Numbers are typed as text, so that "1,000,000"
is understood and "abc" gets a message beside its field instead of being silently dropped by the
browser. Nothing typed is ever lost: a bad form comes back with its text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from app.engine import Scenario
from app.engine.scenario import CATEGORIES, DEFAULT_TUNE, EXTRA_COST_RANGEABLE, STRATEGIES
from app.web.fields import ACCEPTABLE, CANDIDATE_ROW, CANDIDATES, RANGE_PARTS, all_fields, range_specs

_TRUE = {"true", "on", "1", "yes"}


@dataclass
class Parsed:
    """What a form said: the raw text of every field, the scenario when it is valid, errors by path."""

    values: dict[str, str]
    scenario: Scenario | None = None
    errors: dict[str, str] = field(default_factory=dict)
    rewritten: tuple[str, ...] = ()
    """Fields whose text the form changed (the tune's model, on a switch of deployment): a recompute
    sends them back to the form."""


def _last_values(form: Any) -> dict[str, str]:
    """The last value of each key: a checkbox's hidden "false" comes first, its "true" after it.
    One pass over the items (Starlette's getlist scans them all for every key)."""
    items = form.multi_items() if hasattr(form, "multi_items") else form.items()
    return {str(k): str(v) for k, v in items}


def _number(text: str, kind: str = "number") -> float | int:
    cleaned = text.replace(",", "").replace("_", "").replace(" ", "").replace("\u00a0", "")
    percent = cleaned.endswith("%")
    if percent:
        cleaned = cleaned[:-1]
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    if percent:
        value /= 100
    if kind == "integer":
        if value != int(value):
            raise ValueError("must be a whole number")
        return int(value)
    return value


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def parse(form: Any) -> Parsed:
    """Read a submitted form (or query string) into a Scenario, or into messages by field path.

    An empty required field keeps its default; an empty optional one is None ("the catalog's",
    "never", "none"). Fields the form does not know are ignored.
    """
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    tree: dict[str, Any] = {}
    given = _last_values(form)
    for path, spec in all_fields().items():
        raw = given.get(path)
        if raw is None:
            continue
        text = raw if spec.kind == "textarea" else raw.strip()
        values[path] = text
        if spec.kind == "bool":
            _set(tree, path, text.lower() in _TRUE)
        elif text == "":
            if spec.optional:
                _set(tree, path, None)
        elif spec.kind in ("number", "integer"):
            try:
                _set(tree, path, _number(text, spec.kind))
            except ValueError as exc:
                errors[path] = str(exc)
        else:
            _set(tree, path, text)
    rewritten = _model_for_deployment(tree, values)
    _candidates(given, values, tree)
    ranges = _ranges(given, values, errors)
    lines, rows = _extra_costs(given, values, errors, ranges)
    if lines:
        tree["extra_costs"] = lines
    if ranges:
        tree["ranges"] = ranges
    if errors:
        return Parsed(values, None, errors, rewritten)
    try:
        return Parsed(values, Scenario.model_validate(tree), rewritten=rewritten)
    except ValidationError as exc:
        return Parsed(values, None, pick_list_errors(validation_errors(exc, rows)), rewritten)


def candidate_rows(values: Mapping[str, str]) -> list[int]:
    """The row numbers of the pick list of API models a form sent, in order."""
    return sorted({int(m[1]) for key in values if (m := CANDIDATE_ROW.fullmatch(key))})


def _candidates(given: dict[str, str], values: dict[str, str], tree: dict[str, Any]) -> None:
    """The pick list's rows into `prompting.candidates` (each model typed, in row order; an empty row is
    unused) and `prompting.acceptable` (those whose box is ticked)."""
    rows = candidate_rows(given)
    if not rows:
        return
    candidates, acceptable = [], []
    for row in rows:
        model = given.get(f"{CANDIDATES}.{row}", "").strip()
        ticked = given.get(f"{ACCEPTABLE}.{row}", "").lower() in _TRUE
        values[f"{CANDIDATES}.{row}"], values[f"{ACCEPTABLE}.{row}"] = model, "true" if ticked else "false"
        if model:
            candidates.append(model)
            if ticked:
                acceptable.append(model)
    _set(tree, CANDIDATES, candidates)
    _set(tree, ACCEPTABLE, acceptable)


def refused(errors: list[dict[str, Any]]) -> dict[str, str]:
    """A ScenarioError's errors (catalog, prices, ranges) as the form shows them, by field path."""
    return pick_list_errors({e["loc"]: e["msg"] for e in errors})


def pick_list_errors(errors: dict[str, str]) -> dict[str, str]:
    """Errors on a candidate model (`prompting.candidates.3`, `prompting.acceptable`) shown once above the
    pick list, whose rows may have gaps: each message names the model it is about."""
    out: dict[str, str] = {}
    folded: list[str] = []
    for path, msg in errors.items():
        if path.startswith((CANDIDATES, ACCEPTABLE)):
            folded.append(msg)
        else:
            out[path] = msg
    if folded:
        out[CANDIDATES] = " ".join(m if m.endswith(".") else f"{m}." for m in folded)
    return out


TUNE_MODEL, TUNE_DEPLOYMENT = "fine_tuning.model", "fine_tuning.deployment"


def _model_for_deployment(tree: dict[str, Any], values: dict[str, str]) -> tuple[str, ...]:
    """Switching the tune's deployment switches its model, when that is still a default: an empty model,
    or the default model of another deployment (say the hosted one, after choosing dedicated), becomes
    the chosen deployment's default (DEFAULT_TUNE), and the form shows it. A model the user picked stays,
    and the catalog says beside it when it does not support the deployment."""
    if TUNE_DEPLOYMENT not in values:
        return ()
    chosen = values[TUNE_DEPLOYMENT]
    model = values.get(TUNE_MODEL, "")
    if chosen not in DEFAULT_TUNE or model == DEFAULT_TUNE[chosen]:
        return ()
    if model != "" and model not in DEFAULT_TUNE.values():
        return ()
    values[TUNE_MODEL] = DEFAULT_TUNE[chosen]
    _set(tree, TUNE_MODEL, DEFAULT_TUNE[chosen])
    return (TUNE_MODEL,)


def _ranges(given: dict[str, str], values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The ranges of a form: both ends or neither (a source alone is kept as typed, and unused).
    Ends are plain numbers, even under an integer field: draws are continuous."""
    out: dict[str, Any] = {}
    for path, spec in range_specs().items():
        texts = {}
        for part in RANGE_PARTS:
            raw = given.get(spec.name(part))
            if raw is not None:
                texts[part] = values[spec.name(part)] = raw.strip()
        low, high = texts.get("low", ""), texts.get("high", "")
        if not low and not high:
            continue
        ends: dict[str, float] = {}
        for part, text in (("low", low), ("high", high)):
            if not text:
                other = "high" if part == "low" else "low"
                errors[spec.name(part)] = f"give the {part} too, or clear the {other}"
                continue
            try:
                ends[part] = float(_number(text))
            except ValueError as exc:
                errors[spec.name(part)] = str(exc)
        if len(ends) == 2:
            out[path] = {**ends, "source": texts.get("source", "")}
    return out


EXTRA_COST_TEXTS = ("name", "category", "one_time_usd", "monthly_usd", "from_month")
"""The typed parts of an extra cost row, named `extra_costs.<row>.<part>`; its strategies are
checkboxes, `extra_costs.<row>.strategies.<strategy>`."""
_EXTRA_ROW = re.compile(r"extra_costs\.(\d{1,4})\.")
_EXTRA_LINE = re.compile(r"extra_costs\.(\d+)\.(\w+)")


def extra_cost_rows(values: Mapping[str, str]) -> list[int]:
    """The row numbers of the extra cost rows a form sent, in order (removing a row leaves a gap)."""
    return sorted({int(m[1]) for key in values if (m := _EXTRA_ROW.match(key))})


def _extra_costs(
    given: dict[str, str], values: dict[str, str], errors: dict[str, str], ranges: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[int]]:
    """The extra cost lines of a form, and the row each came from (errors point at the row's fields);
    the ranges of their amounts (`ranges.extra_costs.<row>.monthly_usd.low`) go into `ranges` under the
    line's number. A row with no name and no amount is an unused row, and is left out."""
    lines: list[dict[str, Any]] = []
    rows: list[int] = []
    for row in extra_cost_rows(given):
        key = f"extra_costs.{row}."
        texts = {part: given.get(key + part, "").strip() for part in EXTRA_COST_TEXTS}
        chosen = [s for s in STRATEGIES if given.get(f"{key}strategies.{s}", "").lower() in _TRUE]
        values.update({key + part: text for part, text in texts.items()})
        values.update({f"{key}strategies.{s}": "true" if s in chosen else "false" for s in STRATEGIES})
        if not (texts["name"] or texts["one_time_usd"] or texts["monthly_usd"]):
            continue
        line: dict[str, Any] = {
            "name": texts["name"],
            "strategies": chosen,
            "category": texts["category"] or CATEGORIES[0],
        }
        for part, kind in (("one_time_usd", "number"), ("monthly_usd", "number"), ("from_month", "integer")):
            if texts[part]:
                try:
                    line[part] = _number(texts[part], kind)
                except ValueError as exc:
                    errors[key + part] = str(exc)
        for part in EXTRA_COST_RANGEABLE:
            given_range = {end: given.get(f"ranges.{key}{part}.{end}", "").strip() for end in RANGE_PARTS}
            values.update({f"ranges.{key}{part}.{end}": text for end, text in given_range.items()})
            if given_range["low"] or given_range["high"]:
                ends = {}
                for end in ("low", "high"):
                    try:
                        ends[end] = float(_number(given_range[end]))
                    except ValueError as exc:
                        errors[f"ranges.{key}{part}.{end}"] = (
                            str(exc) if given_range[end] else "give both ends, or neither"
                        )
                if len(ends) == 2:
                    ranges[f"extra_costs.{len(lines)}.{part}"] = {**ends, "source": given_range["source"]}
        lines.append(line)
        rows.append(row)
    return lines, rows


def validation_errors(exc: ValidationError, extra_rows: list[int] | None = None) -> dict[str, str]:
    """Pydantic's errors by dotted path; a rule across fields (volume per month or per day) goes to
    its section, where the form shows it above the section's fields. An extra cost line's error goes
    to the form row it came from (`extra_rows`: the row of each line)."""
    out: dict[str, str] = {}
    for e in exc.errors():
        loc = list(e["loc"])
        if extra_rows and len(loc) > 1 and loc[0] == "extra_costs" and isinstance(loc[1], int):
            loc[1] = extra_rows[loc[1]]
        elif extra_rows and len(loc) > 1 and loc[0] == "ranges" and (m := _EXTRA_LINE.fullmatch(str(loc[1]))):
            loc[1] = f"extra_costs.{extra_rows[int(m[1])]}.{m[2]}" if int(m[1]) < len(extra_rows) else loc[1]
        path = ".".join(str(p) for p in loc)
        msg = str(e["msg"]).removeprefix("Value error, ")
        out.setdefault(path, msg)
    return out


def display(value: Any) -> str:
    """A value as the form shows it: 100000.0 -> "100000", None -> ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.12g}" if abs(value) < 1e15 else repr(value)
    return str(value)


def _flat(document: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in document.items():
        if isinstance(value, Mapping):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def values_of(scenario: Scenario) -> dict[str, str]:
    """Every form field's text for a scenario, its ranges and extra cost rows included."""
    known = all_fields()
    out = {path: display(v) for path, v in _flat(scenario.model_dump()) if path in known}
    for path, r in scenario.ranges.items():
        out.update({f"ranges.{path}.low": display(r.low), f"ranges.{path}.high": display(r.high)})
        out[f"ranges.{path}.source"] = r.source
    out.update(_extra_cost_texts(scenario))
    out.update(_candidate_texts(scenario))
    return out


def _candidate_texts(scenario: Scenario) -> dict[str, str]:
    prompting = scenario.prompting
    out: dict[str, str] = {}
    for row, model in enumerate(prompting.candidates):
        out[f"{CANDIDATES}.{row}"] = model
        out[f"{ACCEPTABLE}.{row}"] = "true" if model in prompting.acceptable else "false"
    return out


def _extra_cost_texts(scenario: Scenario) -> dict[str, str]:
    out: dict[str, str] = {}
    for row, line in enumerate(scenario.extra_costs):
        key = f"extra_costs.{row}."
        out.update({key + part: display(getattr(line, part)) for part in EXTRA_COST_TEXTS})
        out.update({f"{key}strategies.{s}": "true" if s in line.strategies else "false" for s in STRATEGIES})
    return out


@cache
def defaults() -> dict[str, Any]:
    return dict(_flat(Scenario().model_dump()))


LINK_LEAVES_OUT = frozenset({"description"})
"""Free text too long for an address bar (a preset's is a paragraph): saved scenarios keep it."""

LINK_KEEPS = frozenset({"start_month"})
"""Inputs a link always carries, even at their default: the default start month moves with the
calendar (the month after today), and a link must give the same months whenever it is opened."""


def query_of(scenario: Scenario) -> str:
    """The query string of the inputs that differ from the defaults, and the start month (LINK_KEEPS),
    ranges included (a source only when there is one): `/?` + this reopens them."""
    base, known = defaults(), all_fields()
    changed = [
        (p, display(v))
        for p, v in _flat(scenario.model_dump(exclude={"ranges"}))
        if p in known and p not in LINK_LEAVES_OUT and (base.get(p) != v or p in LINK_KEEPS)
    ]
    for path, r in scenario.ranges.items():
        changed += [(f"ranges.{path}.low", display(r.low)), (f"ranges.{path}.high", display(r.high))]
        if r.source:
            changed.append((f"ranges.{path}.source", r.source))
    changed += [(k, v) for k, v in _extra_cost_texts(scenario).items() if v != "false"]
    changed += [(k, v) for k, v in _candidate_texts(scenario).items() if v != "false"]
    return urlencode(changed)
