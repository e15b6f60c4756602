"""Form values <-> Scenario, and the short query string that reopens the same inputs.

A form field is named by its dotted path (`workload.requests_per_month`). Numbers are typed as text,
so that "1,000,000" is understood and "abc" gets a message beside its field instead of being
silently dropped by the browser. Nothing typed is ever lost: a bad form comes back with its text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from app.engine import Scenario
from app.web.fields import Field, all_fields

_TRUE = {"true", "on", "1", "yes"}


@dataclass
class Parsed:
    """What a form said: the raw text of every field, the scenario when it is valid, errors by path."""

    values: dict[str, str]
    scenario: Scenario | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _last_values(form: Any) -> dict[str, str]:
    """The last value of each key: a checkbox's hidden "false" comes first, its "true" after it.
    One pass over the items (Starlette's getlist scans them all for every key)."""
    items = form.multi_items() if hasattr(form, "multi_items") else form.items()
    return {str(k): str(v) for k, v in items}


def _number(text: str, spec: Field) -> float | int:
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
    if spec.kind == "integer":
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
                _set(tree, path, _number(text, spec))
            except ValueError as exc:
                errors[path] = str(exc)
        else:
            _set(tree, path, text)
    if errors:
        return Parsed(values, None, errors)
    try:
        return Parsed(values, Scenario.model_validate(tree))
    except ValidationError as exc:
        return Parsed(values, None, validation_errors(exc))


def validation_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors by dotted path; a rule across fields (volume per month or per day) goes to
    its section, where the form shows it above the section's fields."""
    out: dict[str, str] = {}
    for e in exc.errors():
        path = ".".join(str(p) for p in e["loc"])
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
    """Every form field's text for a scenario."""
    known = all_fields()
    return {path: display(v) for path, v in _flat(scenario.model_dump()) if path in known}


@cache
def defaults() -> dict[str, Any]:
    return dict(_flat(Scenario().model_dump()))


LINK_LEAVES_OUT = frozenset({"description"})
"""Free text too long for an address bar (a preset's is a paragraph): saved scenarios keep it."""


def query_of(scenario: Scenario) -> str:
    """The query string of the inputs that differ from the defaults: `/?` + this reopens them."""
    base = defaults()
    changed = [
        (p, display(v))
        for p, v in _flat(scenario.model_dump())
        if p in all_fields() and p not in LINK_LEAVES_OUT and base.get(p) != v
    ]
    return urlencode(changed)
