"""The calculator's form, derived from the `Scenario` model: one field per input, by its dotted path.

Labels, units, bounds, defaults and help texts come from the model (its docstrings cite the seeds),
so the form, the API and the engine can never disagree on a name, a bound or a default. Only the
grouping, the units and the catalog price each override stands for are stated here.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from app.engine import Scenario
from app.engine.scenario import CATALOG_ID_KINDS, VOLUME_PATHS, field_bounds, rangeable
from app.engine.uncertainty import SEED_RANGES

Kind = Literal["number", "integer", "choice", "bool", "catalog", "text", "textarea"]

GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("workload", "Workload", ("workload",)),
    ("task", "Your task", ("task",)),
    ("team", "Team and data", ("team",)),
    ("prompting", "Prompting", ("prompting",)),
    ("rag", "RAG", ("rag",)),
    ("fine_tuning", "Fine-tuning", ("fine_tuning",)),
    ("horizon", "Horizon", ("start_month", "horizon_months")),
    ("finance", "Finance", ("finance",)),
    ("uncertainty", "Monte Carlo", ("uncertainty",)),
)
"""(id, legend, the top-level fields it holds), in the order of the form. `ranges` has no group: each
range sits under the field it belongs to (`RangeSpec`)."""

MONTH_FIELDS = frozenset({"start_month"})
"""Text fields holding a calendar month "YYYY-MM": the form shows the format and the default month.
A text input, not `type="month"`: browsers without a month picker show text anyway, and those with
one empty a value they cannot read, where "2026-13" must stay as typed beside its message."""

OPEN_GROUPS = frozenset({"workload", "task", "horizon"})
"""Groups shown unfolded on first load: the inputs every scenario needs."""

CATALOG_KINDS = CATALOG_ID_KINDS
"""Fields holding a catalog id, and the kind of entry each needs (the model picker searches it)."""

_TOKEN_PRICES = {
    "input": "input",
    "cached_input": "cached_input",
    "output": "output",
    "batch_discount": "batch_discount",
}
CATALOG_PRICES: dict[str, tuple[str, str]] = {
    **{f"prompting.prices.{k}": ("prompting", v) for k, v in _TOKEN_PRICES.items()},
    **{f"rag.prices.{k}": ("rag", v) for k, v in _TOKEN_PRICES.items()},
    **{f"fine_tuning.prices.{k}": ("fine_tuning", v) for k, v in _TOKEN_PRICES.items()},
    "fine_tuning.prices.training": ("fine_tuning", "training"),
    "rag.embedding_prices.input": ("embedding", "input"),
    "rag.vector_db_monthly_usd": ("vector_db", "monthly_usd"),
    "rag.rerank_usd_per_1k_requests": ("reranker", "usd_per_1k_requests"),
    "fine_tuning.gpu_hour_usd": ("gpu", "gpu_hour_usd"),
    "fine_tuning.tokens_per_second_per_replica": ("gpu", "serving_tokens_per_second"),
    "fine_tuning.training_tokens_per_second": ("gpu", "training_tokens_per_second"),
}
"""Override fields whose empty value means "the catalog's": path -> (prices_used key, value key).
The form shows the catalog value and its date beside them, and marks a value typed over it."""

_UNITS_BY_PATH = {
    "workload.requests_per_month": "requests / month",
    "workload.requests_per_day": "requests / day",
    "workload.monthly_growth": "fraction / month",
    "workload.peak_to_average": "x",
    "task.labeled_examples": "examples",
    "team.golden_examples": "examples",
    "team.label_cost_usd": "USD / example",
    "rag.retrieved_chunks": "chunks",
    "rag.rerank_usd_per_1k_requests": "USD / 1k requests",
    "fine_tuning.training_examples": "examples",
    "fine_tuning.epochs": "epochs",
    "fine_tuning.runs_per_cycle": "runs",
    "fine_tuning.retrain_runs": "runs",
    "fine_tuning.gpu_hour_usd": "USD / GPU-hour",
    "fine_tuning.gpus_per_replica": "GPUs",
    "fine_tuning.min_replicas": "replicas",
    "fine_tuning.tokens_per_second_per_replica": "tokens / s",
    "fine_tuning.training_tokens_per_second": "tokens / s",
    "fine_tuning.monitoring_usd_per_month": "USD / month",
    "fine_tuning.cost_per_run_usd": "USD / run",
    "rag.vector_db_monthly_usd": "USD / month",
    "rag.corpus_churn_share": "fraction / month",
    "horizon_months": "months",
    "finance.fiscal_year_start_month": "month, 1 to 12",
    "finance.discount_rate": "fraction / year",
    "finance.api_price_change_per_year": "fraction / year",
    "finance.gpu_price_change_per_year": "fraction / year",
    "finance.usd_to_currency": "units per USD",
    "uncertainty.draws": "draws",
    "uncertainty.seed": "whole number",
}

_LABELS = {
    "requests_per_month": "Requests per month",
    "requests_per_day": "Requests per day",
    "latency_budget_ms": "Latency budget",
    "latency_ms": "Latency",
    "kind": "Kind of task",
    "prompting_tried": "Prompting with examples was tried",
    "eval_harness": "Evaluation harness",
    "narrow_and_stable": "The task is narrow and stable",
    "engineer_week_usd": "Engineer-week",
    "label_cost_usd": "Cost of a label",
    "llm": "Model",
    "cost_per_run_usd": "Cost per training run",
    "gpu_hour_usd": "GPU hour",
    "gpu": "GPU",
    "vector_db": "Vector database",
    "vector_db_monthly_usd": "Vector database fee",
    "rerank_usd_per_1k_requests": "Reranking price",
    "tokens_per_second_per_replica": "Serving throughput per replica",
    "training_tokens_per_second": "Training throughput per GPU",
    "monitoring_usd_per_month": "Monitoring",
    "base_model_deprecation_months": "Base model deprecated every",
    "retrain_every_months": "Retrain every",
    "model_upgrade_months": "Model upgrade every",
    "horizon_months": "Horizon",
    "start_month": "First month",
    "move_to": "Where the tune moves",
    "input": "Input price",
    "cached_input": "Cached input price",
    "output": "Output price",
    "batch_discount": "Batch discount",
    "training": "Training price",
    "api_price_change_per_year": "API prices change per year",
    "gpu_price_change_per_year": "GPU prices change per year",
    "usd_to_currency": "Exchange rate",
    "verdict_basis": "Verdict basis",
    "labels_source": "Where the labels come from",
    "synthetic_share": "Share generated (mixed)",
    "synthetic_model": "Generator model",
    "synthetic_prompt_tokens": "Generator prompt per example",
    "synthetic_review_share": "Share of generated examples checked",
}


@dataclass(frozen=True)
class Field:
    path: str
    label: str
    kind: Kind
    help: str
    unit: str = ""
    default: Any = None
    optional: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    catalog_kind: str | None = None
    catalog_price: tuple[str, str] | None = None

    @property
    def id(self) -> str:
        """An HTML id without dots (htmx finds out-of-band targets by id selectors)."""
        return "f-" + self.path.replace(".", "__")

    @property
    def error_id(self) -> str:
        return "err-" + self.path.replace(".", "__")

    @property
    def hint_id(self) -> str:
        return "hint-" + self.path.replace(".", "__")


@dataclass(frozen=True)
class Subgroup:
    legend: str
    help: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Group:
    id: str
    legend: str
    help: str
    fields: tuple[Field, ...]
    subgroups: tuple[Subgroup, ...]

    @property
    def error_id(self) -> str:
        return f"err-{self.id}"


def _unit(path: str, name: str, kind: Kind) -> str:
    if path in _UNITS_BY_PATH:
        return _UNITS_BY_PATH[path]
    if ".prices." in path or path.endswith("embedding_prices.input"):
        return "fraction" if name == "batch_discount" else "USD / 1M tokens"
    if name.endswith("_usd"):
        return "USD"
    if name.endswith("_ms"):
        return "ms"
    if name.endswith("tokens") or name.endswith("_tokens_per_example") or name == "tokens_per_example":
        return "tokens"
    if name == "weeks_to_launch":
        return "weeks"
    if name.endswith("weeks") or name.startswith("weeks_"):
        return "engineer-weeks"
    if name.endswith("_hours"):
        return "hours / month"
    if name.endswith("_months"):
        return "months"
    if name.endswith("_rate") or name.endswith("_share"):
        return "fraction"
    if name.endswith("examples"):
        return "examples"
    return ""


def _label(name: str) -> str:
    return _LABELS.get(name) or name.replace("_", " ").capitalize()


def _base(annotation: Any) -> tuple[Any, bool]:
    """The type without Optional/Annotated, and whether None is allowed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            annotation = args[0]
        else:
            return annotation, optional


def _field(path: str, name: str, info: FieldInfo) -> Field:
    base, optional = _base(info.annotation)
    kind: Kind
    choices: tuple[str, ...] = ()
    if typing.get_origin(base) is Literal:
        kind, choices = "choice", tuple(str(c) for c in typing.get_args(base))
    elif base is bool:
        kind = "bool"
    elif base is int:
        kind = "integer"
    elif base is float:
        kind = "number"
    elif path in CATALOG_KINDS:
        kind = "catalog"
    else:
        kind = "textarea" if name == "description" else "text"
    low, high, _ = field_bounds(info)
    return Field(
        path=path,
        label=_label(name),
        kind=kind,
        help=" ".join((info.description or "").replace("`", "").split()),
        unit="" if kind in ("choice", "bool", "catalog", "text", "textarea") else _unit(path, name, kind),
        default=None if info.default_factory is not None else info.default,
        optional=optional,
        choices=choices,
        minimum=low,
        maximum=high,
        catalog_kind=CATALOG_KINDS.get(path),
        catalog_price=CATALOG_PRICES.get(path),
    )


def _fields(model: type[BaseModel], prefix: str) -> tuple[list[Field], list[Subgroup]]:
    fields: list[Field] = []
    subgroups: list[Subgroup] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        base, _ = _base(info.annotation)
        if typing.get_origin(base) is list:
            continue  # a list of rows (prompting.candidates): its own rows in the form (_candidates.html)
        if isinstance(base, type) and issubclass(base, BaseModel):
            inner, _ = _fields(base, path + ".")
            legend = "Embedding price" if name == "embedding_prices" else "Negotiated prices"
            subgroups.append(Subgroup(legend, " ".join((info.description or "").split()), tuple(inner)))
        else:
            fields.append(_field(path, name, info))
    return fields, subgroups


@cache
def groups() -> tuple[Group, ...]:
    out = []
    for group_id, legend, members in GROUPS:
        fields: list[Field] = []
        subgroups: list[Subgroup] = []
        help_text = ""
        for member in members:
            info = Scenario.model_fields[member]
            base, _ = _base(info.annotation)
            if isinstance(base, type) and issubclass(base, BaseModel):
                inner, subs = _fields(base, member + ".")
                fields.extend(inner)
                subgroups.extend(subs)
                help_text = " ".join((info.description or "").split())
            else:
                fields.append(_field(member, member, info))
        out.append(Group(group_id, legend, help_text, tuple(fields), tuple(subgroups)))
    return tuple(out)


CANDIDATES, ACCEPTABLE = "prompting.candidates", "prompting.acceptable"
"""The pick list of API models to compare (`prompting.candidates`), one row each: a model picker
`prompting.candidates.<row>` and a checkbox `prompting.acceptable.<row>` (templates/_candidates.html)."""
CANDIDATE_ROW = re.compile(r"prompting\.candidates\.(\d{1,2})")


def catalog_field(path: str) -> Field | None:
    """The form field that picks a catalog id at `path`: a scenario field, or a row of the pick list."""
    if CANDIDATE_ROW.fullmatch(path):
        return Field(path=path, label="API model", kind="catalog", help="", catalog_kind="llm")
    spec = all_fields().get(path)
    return spec if spec is not None and spec.catalog_kind is not None else None


@cache
def about_fields() -> tuple[Field, ...]:
    """Name and description: asked for when saving."""
    return tuple(_field(name, name, Scenario.model_fields[name]) for name in ("name", "description"))


@cache
def all_fields() -> dict[str, Field]:
    out = {f.path: f for f in about_fields()}
    for group in groups():
        out.update({f.path: f for f in group.fields})
        out.update({f.path: f for sub in group.subgroups for f in sub.fields})
    return out


@cache
def titles() -> dict[str, str]:
    """Each field's name outside its form group ("Workload: Requests per month"): for diffs, the
    comparison and the tornado, where inputs of every group share one table or axis."""
    out = {f.path: f.label for f in about_fields()}
    for group in groups():
        members = [*group.fields, *(f for sub in group.subgroups for f in sub.fields)]
        out.update({f.path: f"{group.legend}: {f.label}" for f in members})
    return out


# --- ranges: an optional low and high under each numeric field ---

RANGE_PARTS = ("low", "high", "source")

OPEN_RANGES = frozenset(
    {
        *(seed.path for seed in SEED_RANGES),
        *VOLUME_PATHS,
        "team.engineer_week_usd",
        "prompting.prices.input",
        "prompting.prices.output",
        "rag.prices.input",
        "rag.prices.output",
        "fine_tuning.prices.input",
        "fine_tuning.prices.output",
    }
)
"""Ranges the form shows unfolded: the seeds' ranges, the volume and the main prices. The others
unfold from their "Range" summary (rendered by app.js then, to keep the page light)."""


@dataclass(frozen=True)
class RangeSpec:
    """The low, high and source inputs of one field's range; form names `ranges.<path>.<part>`."""

    field: Field
    open: bool

    @property
    def path(self) -> str:
        return self.field.path

    @property
    def key(self) -> str:
        return self.path.replace(".", "__")

    @property
    def id(self) -> str:
        return f"range-{self.key}"

    def name(self, part: str) -> str:
        return f"ranges.{self.path}.{part}"

    def input_id(self, part: str) -> str:
        return f"f-ranges__{self.key}__{part}"

    def error_id(self, part: str = "") -> str:
        """The slot of `ranges.<path>.<part>`; without a part, of the range as a whole."""
        return f"err-ranges__{self.key}" + (f"__{part}" if part else "")

    def slots(self) -> list[tuple[str, str]]:
        """(html id, error path) of its three error slots."""
        loc = f"ranges.{self.path}"
        return [(self.error_id("low"), f"{loc}.low"), (self.error_id("high"), f"{loc}.high"), (self.error_id(), loc)]


@cache
def range_specs() -> dict[str, RangeSpec]:
    """Every field that may carry a range (`rangeable()`), in the order of the form."""
    known = rangeable()
    return {p: RangeSpec(f, p in OPEN_RANGES) for p, f in all_fields().items() if p in known}


TEMPLATE_RANGE = RangeSpec(Field(path="@P@", label="@L@", kind="number", help=""), open=True)
"""The range inputs with tokens for the page's #range-template: app.js puts a field's path (`@P@`,
dotted in names and with `__` in ids) and label (`@L@`) in them when its range is unfolded."""
