"""Stateless estimates: one scenario, a batch, a sweep of one field; and validation alone."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.api.errors import ERROR_RESPONSES
from app.engine import Estimate, Scenario
from app.engine.estimate import Detail
from app.engine.scenario import Strategy
from app.services import ScenarioError, estimate_all, estimate_one, price

router = APIRouter(tags=["estimates"])

EXAMPLE = {
    "name": "Support tickets",
    "workload": {"requests_per_day": 20000, "input_tokens": 400, "output_tokens": 10},
    "task": {"kind": "behavior", "prompting_tried": True, "eval_harness": "exists", "narrow_and_stable": True},
    "fine_tuning": {"deployment": "hosted", "model": "openai:ft:gpt-4o-mini"},
}


def json_response(content: Any, status_code: int = 200) -> Response:
    """Serialise plain documents once, with orjson (several times faster than json on a thousand
    numbers); the engine already rounded every amount to cents."""
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


ScenarioBody = Annotated[Scenario, Body(openapi_examples={"tickets": {"summary": "Support tickets", "value": EXAMPLE}})]


@router.post("/estimate", response_model=Estimate, responses=ERROR_RESPONSES, summary="Estimate one scenario")
async def estimate(scenario: ScenarioBody) -> Response:
    """Monthly TCO of each strategy over the horizon, and the verdict under the 2x rule, at today's catalog."""
    return json_response(estimate_one(scenario))


class Validated(BaseModel):
    valid: Literal[True] = True
    scenario: Scenario
    """The scenario with every default filled in."""


@router.post("/validate", response_model=Validated, responses=ERROR_RESPONSES, summary="Validate a scenario")
async def validate(scenario: ScenarioBody) -> Validated:
    """Check a scenario's fields without pricing or estimating it: 422 names each bad field."""
    return Validated(scenario=scenario)


class Sweep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=200, examples=["workload.requests_per_month"])
    """Dotted path of one numeric scenario field."""
    values: list[float] = Field(min_length=1, max_length=100_000, examples=[[10000, 100000, 1000000]])


class BatchRequest(BaseModel):
    """Either `scenarios`, or one `scenario` with a `sweep` of one field over a list of values."""

    model_config = ConfigDict(extra="forbid")

    scenarios: list[Scenario] | None = Field(default=None, min_length=1, max_length=100_000)
    scenario: Scenario | None = None
    sweep: Sweep | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> BatchRequest:
        if (self.scenarios is None) == (self.scenario is None):
            raise ValueError("give either `scenarios`, or `scenario` with `sweep`")
        if (self.scenario is None) != (self.sweep is None):
            raise ValueError("a `sweep` goes with one `scenario`")
        return self


class StrategySummary(BaseModel):
    """A strategy of an Estimate without its monthly series (detail=summary); the fields mean the same."""

    model_config = ConfigDict(extra="forbid")

    total_usd: float
    cost_per_1k_requests_usd: float | None
    request_usd: float
    compute_only_usd: float | None = None


class EstimateSummary(Estimate):
    """An Estimate with detail=summary: strategies without `monthly` and `cumulative_usd`, and
    `monthly_requests` holding month 1 only."""

    strategies: dict[Strategy, StrategySummary]  # type: ignore[assignment]


class BatchResponse(BaseModel):
    estimates: list[Estimate] | list[EstimateSummary]
    """One per scenario (or sweep value), in order. With detail=summary, no `monthly` and `cumulative_usd`."""
    values: list[float] | None = None
    """The swept values, when the request was a sweep."""


def _swept(scenario: Scenario, sweep: Sweep) -> list[Scenario]:
    base = scenario.model_dump()
    path = sweep.field.split(".")
    node: Any = base
    for part in path[:-1]:
        if not isinstance(node, dict) or part not in node:
            raise ScenarioError([{"loc": "sweep.field", "msg": f"no field {sweep.field!r} in a scenario"}])
        node = node[part]
    if not isinstance(node, dict) or path[-1] not in node or isinstance(node[path[-1]], dict | str | bool):
        raise ScenarioError([{"loc": "sweep.field", "msg": f"{sweep.field!r} is not a numeric scenario field"}])
    if path == ["workload", "requests_per_month"]:
        base["workload"]["requests_per_day"] = None
    out = []
    for i, value in enumerate(sweep.values):
        node[path[-1]] = value
        try:
            out.append(Scenario.model_validate(base))
        except ValidationError as exc:
            msg = "; ".join(e["msg"] for e in exc.errors())
            raise ScenarioError([{"loc": f"sweep.values.{i}", "msg": msg}]) from exc
    return out


@router.post(
    "/estimate/batch", response_model=BatchResponse, responses=ERROR_RESPONSES, summary="Estimate many scenarios"
)
async def estimate_batch(
    request: Request,
    body: BatchRequest,
    detail: Annotated[Detail, Query(description="full adds the monthly series")] = "summary",
) -> Response:
    """Up to MAX_BATCH scenarios through one engine call, or one scenario swept over a field's values."""
    limit = request.app.state.settings.max_batch
    if body.scenarios is not None:
        if len(body.scenarios) > limit:
            raise ScenarioError([{"loc": "scenarios", "msg": f"at most {limit:,} scenarios in one batch"}])
        docs = estimate_all(body.scenarios, prefix="scenarios.", detail=detail)
    else:
        assert body.scenario is not None and body.sweep is not None
        if len(body.sweep.values) > limit:
            raise ScenarioError([{"loc": "sweep.values", "msg": f"at most {limit:,} values in one sweep"}])
        sheet = price(body.scenario, prefix="scenario.")
        swept = _swept(body.scenario, body.sweep)
        docs = estimate_all(swept, [sheet] * len(swept), detail=detail)
    out: dict[str, Any] = {"estimates": docs}
    if body.sweep is not None:
        out["values"] = body.sweep.values
    return json_response(out)
