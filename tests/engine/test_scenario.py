"""The Scenario model: defaults, documentation of every field, and bounds."""

from __future__ import annotations

import math
import typing
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from app.engine import Scenario
from app.engine.scenario import DEFAULT_REQUESTS_PER_MONTH


def test_empty_document_is_a_valid_scenario():
    s = Scenario.model_validate({})
    assert s.horizon_months == 36
    assert s.workload.monthly_requests == DEFAULT_REQUESTS_PER_MONTH == 100_000
    assert s.team.engineer_week_usd == 4_000
    assert s.rag.enabled is True
    assert s.fine_tuning.deployment == "hosted"
    assert s.fine_tuning.system_prompt_tokens == 50
    assert (s.rag.weeks_to_launch, s.fine_tuning.weeks_to_launch) == (3.0, 8.0)
    assert s.task.eval_harness == "missing"
    assert s == Scenario()


def _properties(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = [("Scenario", name, prop) for name, prop in schema["properties"].items()]
    for section, definition in schema["$defs"].items():
        out += [(section, name, prop) for name, prop in definition.get("properties", {}).items()]
    return out


def _model_fields(model: type[BaseModel]) -> set[tuple[str, str]]:
    out = set()
    for name, field in model.model_fields.items():
        out.add((model.__name__, name))
        inner = field.annotation
        if typing.get_origin(inner) is dict:  # ranges: a map of Range
            inner = typing.get_args(inner)[1]
        if typing.get_origin(inner) is list:  # extra_costs: a list of ExtraCost
            inner = typing.get_args(inner)[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            out |= _model_fields(inner)
    return out


def test_every_field_has_a_description():
    schema = Scenario.model_json_schema()
    fields = _properties(schema)
    # the walk of the schema reaches every field of every section of the model
    assert {(section, name) for section, name, _ in fields} == _model_fields(Scenario)
    undocumented = [f"{section}.{name}" for section, name, prop in fields if not prop.get("description", "").strip()]
    assert undocumented == []
    sections = {section for section, _, _ in fields}
    assert {"Workload", "Task", "Team", "Prompting", "Rag", "FineTuning", "PriceOverrides"} <= sections


def test_field_descriptions_are_the_docstrings():
    schema = Scenario.model_json_schema()
    workload = schema["$defs"]["Workload"]["properties"]
    assert workload["input_tokens"]["description"].startswith("Variable input tokens per request")
    assert "002" in schema["$defs"]["FineTuning"]["properties"]["weeks_per_cycle"]["description"]


def loc_of(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(data)
    return [error["loc"] for error in info.value.errors()]


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"horizon_months": 0}, ("horizon_months",)),
        ({"horizon_months": 121}, ("horizon_months",)),
        ({"workload": {"monthly_growth": -1}}, ("workload", "monthly_growth")),
        ({"workload": {"monthly_growth": math.nan}}, ("workload", "monthly_growth")),
        ({"workload": {"requests_per_month": math.inf}}, ("workload", "requests_per_month")),
        ({"workload": {"requests_per_month": -1}}, ("workload", "requests_per_month")),
        ({"workload": {"requests_per_day": math.nan}}, ("workload", "requests_per_day")),
        ({"workload": {"input_tokens": -1}}, ("workload", "input_tokens")),
        ({"workload": {"output_tokens": -5}}, ("workload", "output_tokens")),
        ({"workload": {"input_tokens": math.inf}}, ("workload", "input_tokens")),
        ({"workload": {"output_tokens": math.nan}}, ("workload", "output_tokens")),
        ({"workload": {"peak_to_average": 0.5}}, ("workload", "peak_to_average")),
        ({"prompting": {"system_prompt_tokens": -1}}, ("prompting", "system_prompt_tokens")),
        ({"prompting": {"prices": {"input": -0.01}}}, ("prompting", "prices", "input")),
        ({"prompting": {"prices": {"output": math.inf}}}, ("prompting", "prices", "output")),
        ({"prompting": {"prices": {"cached_input": math.nan}}}, ("prompting", "prices", "cached_input")),
        ({"prompting": {"cache_hit_rate": 1.5}}, ("prompting", "cache_hit_rate")),
        ({"rag": {"prices": {"batch_discount": -0.1}}}, ("rag", "prices", "batch_discount")),
        ({"rag": {"embedding_prices": {"input": -1}}}, ("rag", "embedding_prices", "input")),
        ({"rag": {"vector_db_monthly_usd": math.nan}}, ("rag", "vector_db_monthly_usd")),
        ({"rag": {"corpus_tokens": math.inf}}, ("rag", "corpus_tokens")),
        ({"fine_tuning": {"prices": {"training": -3}}}, ("fine_tuning", "prices", "training")),
        ({"fine_tuning": {"cost_per_run_usd": math.inf}}, ("fine_tuning", "cost_per_run_usd")),
        ({"fine_tuning": {"gpu_hour_usd": -1}}, ("fine_tuning", "gpu_hour_usd")),
        ({"fine_tuning": {"tokens_per_second_per_replica": 0}}, ("fine_tuning", "tokens_per_second_per_replica")),
        ({"fine_tuning": {"epochs": 0}}, ("fine_tuning", "epochs")),
        ({"fine_tuning": {"retrain_every_months": 0}}, ("fine_tuning", "retrain_every_months")),
        ({"fine_tuning": {"deployment": "on-prem"}}, ("fine_tuning", "deployment")),
        ({"team": {"engineer_week_usd": math.nan}}, ("team", "engineer_week_usd")),
        ({"team": {"label_cost_usd": -1}}, ("team", "label_cost_usd")),
        ({"task": {"labeled_examples": -1}}, ("task", "labeled_examples")),
        ({"task": {"kind": "facts"}}, ("task", "kind")),
    ],
    ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else None,
)
def test_out_of_bounds_is_rejected_at_its_field(data, loc):
    assert loc_of(data) == [loc]


def test_both_volumes_are_rejected():
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate({"workload": {"requests_per_month": 1_000, "requests_per_day": 30}})
    errors = info.value.errors()
    assert [e["loc"] for e in errors] == [("workload",)]
    assert "not both" in errors[0]["msg"]
    # either one alone is fine
    assert Scenario.model_validate({"workload": {"requests_per_day": 30}}).workload.monthly_requests == 30 * 365 / 12
    assert Scenario.model_validate({"workload": {"requests_per_month": 1_000}}).workload.monthly_requests == 1_000


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"horizon": 12}, ("horizon",)),
        ({"workload": {"requests": 1}}, ("workload", "requests")),
        ({"prompting": {"prices": {"input_usd": 1}}}, ("prompting", "prices", "input_usd")),
        ({"fine_tuning": {"lora_rank": 8}}, ("fine_tuning", "lora_rank")),
    ],
)
def test_unknown_fields_are_rejected(data, loc):
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(data)
    errors = info.value.errors()
    assert [(e["loc"], e["type"]) for e in errors] == [(loc, "extra_forbidden")]


def test_bounds_accept_their_edges():
    s = Scenario.model_validate(
        {
            "horizon_months": 120,
            "workload": {"monthly_growth": -0.99, "input_tokens": 0, "requests_per_month": 1e12},
            "fine_tuning": {"retrain_every_months": 120},
        }
    )
    assert (s.horizon_months, s.workload.monthly_growth) == (120, -0.99)
    assert Scenario.model_validate({"horizon_months": 1}).horizon_months == 1


@pytest.mark.parametrize("field", ["name", "description"])
def test_free_text_rejects_nul_and_control_characters(field: str) -> None:
    """PostgreSQL cannot store NUL: such text is a 422 at the door, never a 500 at save."""
    for bad in ("a\x00b", "bell\x07"):
        with pytest.raises(ValidationError) as info:
            Scenario.model_validate({field: bad})
        assert info.value.errors()[0]["loc"] == (field,)
    assert getattr(Scenario.model_validate({field: "two\nlines\tand a tab"}), field) == "two\nlines\tand a tab"


@pytest.mark.parametrize(
    ("doc", "msg"),
    [
        # requests_per_day left empty stands for the default 100,000 a month: 100,000 x 12 / 365 a day
        (
            {"ranges": {"workload.requests_per_day": {"low": 10, "high": 100}}},
            "this field is empty, so it stands for the volume per month: 100,000 a month is 3,287.67 a day, "
            "outside its range 10 to 100",
        ),
        (
            {"workload": {"requests_per_day": 50}, "ranges": {"workload.requests_per_month": {"low": 10, "high": 100}}},
            "this field is empty, so it stands for the volume per day: 50 a day is 1,520.83 a month, "
            "outside its range 10 to 100",
        ),
        (
            {"ranges": {"fine_tuning.latency_ms": {"low": 1, "high": 2}}},
            "this field is empty, so its default 500 is used, outside its range 1 to 2",
        ),
        (
            {"team": {"label_cost_usd": 3}, "ranges": {"team.label_cost_usd": {"low": 5, "high": 20}}},
            "the value 3 lies outside its range 5 to 20",
        ),
    ],
    ids=["per day empty", "per month empty", "a default", "typed"],
)
def test_a_range_that_misses_the_value_names_where_the_value_comes_from(doc: dict[str, Any], msg: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Scenario.model_validate(doc)
    assert [e["msg"] for e in caught.value.errors()] == [msg]
