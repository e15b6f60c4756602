"""Scenarios and price sheets flattened into one array per input, keyed by field path.

The kernel reads nothing else. Keys are the scenario's own field paths
(`workload.input_tokens`, `prompting.prices.input`), so that Monte Carlo and
the tornado chart can replace any input by an array of draws, and a batch of
scenarios is the same arrays with one row per scenario. Prices under
`*.prices.*` and the other overridable numbers hold the effective value: the
scenario's override where given, else the price sheet's.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, get_args, get_origin

import numpy as np
from pydantic import BaseModel

from .prices import EmbeddingPrices, PriceSheet, TokenPrices, chain
from .scenario import CATEGORIES, STRATEGIES, Scenario, month_of

Inputs = dict[str, np.ndarray]

# Optional numbers whose "empty" means something the kernel can compute with.
_EMPTY_MEANS: Mapping[str, float] = {
    "workload.latency_budget_ms": math.inf,  # no hard requirement
    "fine_tuning.retrain_every_months": 0.0,  # never
    "fine_tuning.base_model_deprecation_months": 0.0,  # never
    "fine_tuning.cost_per_run_usd": math.nan,  # computed from training tokens
}


def _literal_choices(annotation: Any) -> tuple[Any, ...] | None:
    """The choices of a Literal field (kind, eval_harness, deployment), coded by their index."""
    for candidate in (annotation, *get_args(annotation)):
        if get_origin(candidate) is Literal:
            return get_args(candidate)
    return None


def _is_text(annotation: Any) -> bool:
    """A free-text field (a catalog id), which has no number whether given or empty."""
    if annotation is str:
        return True
    return get_origin(annotation) is not Literal and any(_is_text(a) for a in get_args(annotation))


Leaf = tuple[str, tuple[Any, ...] | None, bool, float]
"""An input's path, its Literal choices, whether it is text, and what it holds when empty."""


@functools.cache
def _leaves(cls: type[BaseModel]) -> tuple[Leaf, ...]:
    """Every leaf field of a model and its sections, in field order, worked out once (`_flattener`
    compiles them)."""
    out: list[Leaf] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        hints = typing.get_type_hints(model)
        for name in model.model_fields:
            hint, path = hints[name], f"{prefix}{name}"
            if isinstance(hint, type) and issubclass(hint, BaseModel):
                walk(hint, f"{path}.")
            else:
                empty = _EMPTY_MEANS.get(path, math.nan)
                out.append((path, _literal_choices(hint), _is_text(hint), empty))

    walk(cls, "")
    return tuple(out)


def _flatten(model: BaseModel, out: dict[str, float]) -> None:
    """A number per input: bools, ints and floats as floats, a choice by its index, an empty optional
    number as what it means (`_EMPTY_MEANS`, else NaN); text, lists and maps hold no number."""
    _flattener(type(model))(model, out)


@functools.cache
def _flattener(cls: type[BaseModel]) -> Callable[[BaseModel, dict[str, float]], None]:
    """`_leaves(cls)` compiled once into straight-line Python: each section read once, then each leaf
    by name, in field order. The rule per leaf is `_flatten`'s; a loop over the leaves took 60 us a
    scenario (tuple unpacking, dotted attrgetters), most of a batch's flattening."""
    lines = ["def flatten(m, out):"]
    names: dict[str, str] = {"": "m"}
    consts: dict[str, Any] = {"_float": float, "_int": int, "_bool": bool}
    for k, (path, choices, is_text, empty) in enumerate(_leaves(cls)):
        *sections, leaf = path.split(".")
        for depth in range(1, len(sections) + 1):
            prefix = ".".join(sections[:depth])
            if prefix not in names:
                names[prefix] = f"s{len(names)}"
                lines.append(f"    {names[prefix]} = {names['.'.join(sections[: depth - 1])]}.{sections[depth - 1]}")
        lines.append(f"    v = {names['.'.join(sections)]}.{leaf}")
        lines.append("    t = type(v)")
        lines.append(f"    if t is _float or t is _int or t is _bool: out[{path!r}] = _float(v)")
        if not is_text:
            consts[f"e{k}"] = empty
            lines.append(f"    elif v is None: out[{path!r}] = e{k}")
        if choices is not None:
            consts[f"c{k}"] = choices
            lines.append(f"    elif v is not None: out[{path!r}] = _float(c{k}.index(v))")
    namespace = dict(consts)
    exec(compile("\n".join(lines), f"<flatten {cls.__name__}>", "exec"), namespace)
    return namespace["flatten"]


def _with_prices(scenario: Scenario, sheet: PriceSheet, row: dict[str, float]) -> None:
    """Overlay the effective prices: the scenario's override, else the sheet's number."""

    def pick(path: str, catalog: float | None) -> None:
        if math.isnan(row.get(path, math.nan)):
            row[path] = math.nan if catalog is None else float(catalog)

    for section, prices in (
        ("prompting", sheet.prompting),
        ("rag", sheet.rag),
        ("fine_tuning", sheet.fine_tuning),
    ):
        for key in ("input", "cached_input", "output"):
            pick(f"{section}.prices.{key}", getattr(prices, key) if prices else None)
        pick(f"{section}.prices.batch_discount", prices.batch_discount if prices else 0.0)
    pick("fine_tuning.prices.training", sheet.fine_tuning.training)
    pick("rag.embedding_prices.input", sheet.embedding.input if sheet.embedding else None)
    pick("rag.vector_db_monthly_usd", sheet.vector_db.monthly_usd if sheet.vector_db else None)
    if scenario.rag.reranker:
        pick("rag.rerank_usd_per_1k_requests", sheet.reranker.usd_per_1k_requests if sheet.reranker else None)
    else:
        row["rag.rerank_usd_per_1k_requests"] = 0.0  # no reranker, no reranking (whatever the price)
    gpu = sheet.gpu
    pick("fine_tuning.gpu_hour_usd", gpu.gpu_hour_usd if gpu else None)
    pick("fine_tuning.tokens_per_second_per_replica", gpu.serving_tokens_per_second if gpu else None)
    pick("fine_tuning.training_tokens_per_second", gpu.training_tokens_per_second if gpu else None)
    generator = sheet.synthetic  # none while every label is a person's: nothing generated, nothing priced
    unpriced = 0.0 if scenario.fine_tuning.labels_source == "human" else math.nan  # `_check` refuses NaN
    row["fine_tuning.synthetic_prices.input"] = generator.input if generator else unpriced
    row["fine_tuning.synthetic_prices.output"] = generator.output if generator else unpriced
    row["workload.requests_per_month"] = scenario.workload.monthly_requests
    row["fine_tuning.latency_ms"] = scenario.fine_tuning.effective_latency_ms


class MissingPrice(ValueError):
    """A number the kernel needs is neither in the price sheet nor overridden."""


_RAG_PRICES = (
    "rag.prices.input",
    "rag.prices.cached_input",
    "rag.prices.output",
    "rag.embedding_prices.input",
    "rag.vector_db_monthly_usd",
    "rag.rerank_usd_per_1k_requests",
)


def _check(scenario: Scenario, row: dict[str, float]) -> None:
    rag = scenario.rag
    for path in _RAG_PRICES:
        if math.isnan(row[path]):
            if rag.enabled:
                raise MissingPrice(f"{path}: no price in the sheet for rag; give it or disable rag")
            row[path] = 0.0  # rag is not an option: its prices are never shown
    ft = scenario.fine_tuning
    if math.isnan(row["fine_tuning.synthetic_prices.input"]):
        raise MissingPrice(f"fine_tuning.synthetic_model: no generator in the sheet for {ft.labels_source} labels")
    if math.isnan(row["fine_tuning.cost_per_run_usd"]):
        if ft.deployment == "dedicated":
            needed = ["fine_tuning.gpu_hour_usd", "fine_tuning.training_tokens_per_second"]
        else:
            needed = ["fine_tuning.prices.training"]
        for path in needed:
            if math.isnan(row[path]):
                raise MissingPrice(f"{path}: no price for {ft.model}; give it or fine_tuning.cost_per_run_usd")
    if ft.deployment == "dedicated":
        for path in ("fine_tuning.gpu_hour_usd", "fine_tuning.tokens_per_second_per_replica"):
            if math.isnan(row[path]):
                raise MissingPrice(f"{path}: no price for {ft.gpu}")


LIFECYCLE_SLOTS = ("prompting", "rag", "embedding", "fine_tuning")
"""The models that can be retired inside the horizon: prompting's, RAG's generator and embedding
model, and the tune (docs/cost-model.md, Lifecycle)."""
_SUCCESSOR_PRICES: Mapping[str, tuple[str, ...]] = {
    "prompting": ("input", "cached_input", "output", "batch_discount"),
    "rag": ("input", "cached_input", "output", "batch_discount"),
    "embedding": ("input",),
    "fine_tuning": ("input", "cached_input", "output", "batch_discount", "training", "dedicated"),
}


def lifecycle_key(slot: str, k: int, name: str) -> str:
    """The kernel input of model `k` of a slot's chain (0: the scenario's own model)."""
    return f"lifecycle.{slot}.{k}.{name}"


def slot_chain(sheet: PriceSheet, slot: str) -> list[TokenPrices | EmbeddingPrices]:
    """The chain of models of a slot in a sheet: the scenario's own, then its successors."""
    item = {"prompting": sheet.prompting, "rag": sheet.rag, "embedding": sheet.embedding}.get(slot, sheet.fine_tuning)
    return chain(item)


def _lifecycle_row(scenario: Scenario, sheet: PriceSheet, prices: Mapping[str, float]) -> dict[str, float]:
    """The months in which each model of a chain shuts down or stops taking training jobs, counted
    from the scenario's start month, and the prices of each successor (`prices`: the scenario's row,
    for the effective prices of its own models). Empty when nothing is announced: the kernel's plain path."""
    start = scenario.start_month

    def month(day: dt.date | None) -> float:
        return math.inf if day is None else float(max(1, month_of(start, day)))

    row: dict[str, float] = {}
    for slot in LIFECYCLE_SLOTS:
        if slot in ("rag", "embedding") and not scenario.rag.enabled:
            continue
        models = slot_chain(sheet, slot)
        if not any(m.lifecycle for m in models):
            continue
        for k, model in enumerate(models):
            life = model.lifecycle
            row[lifecycle_key(slot, k, "shutdown_month")] = month(life.shutdown_on if life else None)
            if slot == "fine_tuning":
                row[lifecycle_key(slot, k, "training_end_month")] = month(life.training_ends_on if life else None)
            if k == 0:
                continue
            row[lifecycle_key(slot, k, "present")] = 1.0
            for name in _SUCCESSOR_PRICES[slot]:
                if name == "dedicated":
                    value: float | None = 1.0 if getattr(model, "deployment", None) == "dedicated" else 0.0
                else:
                    value = getattr(model, name)
                if name == "cached_input" and value is None:
                    value = model.input
                row[lifecycle_key(slot, k, name)] = 0.0 if value is None else float(value)
        last = len(models) - 1
        if slot != "fine_tuning" and row[lifecycle_key(slot, last, "shutdown_month")] <= scenario.horizon_months:
            # retired with no successor named: a replacement at the same prices, re-validated
            prefix = "rag.embedding_prices." if slot == "embedding" else f"{slot}.prices."
            row[lifecycle_key(slot, last + 1, "shutdown_month")] = math.inf
            row[lifecycle_key(slot, last + 1, "present")] = 1.0
            for name in _SUCCESSOR_PRICES[slot]:
                before = row[lifecycle_key(slot, last, name)] if last else prices[f"{prefix}{name}"]
                row[lifecycle_key(slot, last + 1, name)] = before
    return row


def scenario_row(scenario: Scenario, sheet: PriceSheet) -> dict[str, float]:
    """One scenario as a flat mapping of field path to number."""
    row: dict[str, float] = {}
    _flatten(scenario, row)
    _with_prices(scenario, sheet, row)
    _check(scenario, row)
    return row


def extra_cost_key(i: int, name: str) -> str:
    """The kernel input of line i of `extra_costs`: its scenario path (`extra_costs.0.monthly_usd`),
    `category` as an index into CATEGORIES, and `applies.<strategy>` as 1 or 0."""
    return f"extra_costs.{i}.{name}"


def _extra_costs_row(scenario: Scenario) -> dict[str, float]:
    row: dict[str, float] = {}
    for i, line in enumerate(scenario.extra_costs):
        row[extra_cost_key(i, "one_time_usd")] = line.one_time_usd
        row[extra_cost_key(i, "monthly_usd")] = line.monthly_usd
        row[extra_cost_key(i, "from_month")] = float(line.from_month)
        row[extra_cost_key(i, "category")] = float(CATEGORIES.index(line.category))
        for strategy in STRATEGIES:
            row[extra_cost_key(i, f"applies.{strategy}")] = 1.0 if strategy in line.strategies else 0.0
    return row


def _fill(key: str) -> float:
    """What a row without a lifecycle model k, or without an extra cost line i, holds: no shutdown, no
    training end, not present; no amount, booked to no strategy."""
    return math.inf if key.endswith("_month") and key.startswith("lifecycle.") else 0.0


def build_inputs(scenarios: Sequence[Scenario], sheets: Sequence[PriceSheet]) -> Inputs:
    """Arrays of shape (N,), one row per scenario.

    Rows share the scenario's keys; lifecycle and extra cost keys exist only where some row has one,
    and a row without one holds "never" or nothing there (`_fill`).
    """
    if len(scenarios) != len(sheets):
        raise ValueError("one price sheet per scenario")
    rows = [scenario_row(s, p) for s, p in zip(scenarios, sheets, strict=True)]
    extras = [
        _lifecycle_row(s, p, row) | _extra_costs_row(s) for s, p, row in zip(scenarios, sheets, rows, strict=True)
    ]
    keys = list(rows[0])
    table = np.array([[row[key] for key in keys] for row in rows], dtype=np.float64)  # one array, (N, inputs)
    out = {key: table[:, j] for j, key in enumerate(keys)}
    for key in dict.fromkeys(k for extra in extras for k in extra):
        fill = _fill(key)
        out[key] = np.array([extra.get(key, fill) for extra in extras], dtype=np.float64)
    return out


def row_count(x: Inputs) -> int:
    """How many rows inputs of shape (1,) or (N,) describe: one scan, reading each array's `size`
    (np.size, a Python function, cost 0.14 ms per estimate here); a plain number counts as one row."""
    return max(getattr(v, "size", 1) for v in x.values())


def repeat_inputs(inputs: Inputs, times: int) -> Inputs:
    """Each row repeated `times` times in a row (row 0, row 0, ..., row 1, ...)."""
    return {key: np.repeat(value, times) for key, value in inputs.items()}
