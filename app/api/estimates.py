"""Stateless estimates: one scenario, a batch, a sweep of one field; and validation alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.concurrency import run_in_threadpool

from app.api.errors import ERROR_RESPONSES
from app.engine import Estimate, Scenario
from app.engine.estimate import Detail, StrategyEstimate
from app.engine.scenario import Strategy
from app.services import ScenarioError, estimate_all, estimate_one, price, with_seed_ranges

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


EXAMPLE_RANGES = {
    **EXAMPLE,
    "team": {"label_cost_usd": 10},
    "ranges": {
        "team.label_cost_usd": {"low": 5, "high": 20, "source": "002: 5-20 USD per example"},
        "workload.requests_per_day": {"low": 10000, "high": 40000, "source": "our traffic forecast"},
    },
    "uncertainty": {"draws": 10000, "seed": 1},
}

ScenarioBody = Annotated[
    Scenario,
    Body(
        openapi_examples={
            "tickets": {"summary": "Support tickets", "value": EXAMPLE},
            "ranges": {"summary": "Support tickets, with ranges for uncertainty=true", "value": EXAMPLE_RANGES},
        }
    ),
]

UncertaintyQuery = Annotated[
    bool,
    Query(
        description="true adds `uncertainty`: P10, P50 and P90 of each strategy's TCO over the scenario's "
        "`ranges` (Monte Carlo: `uncertainty.draws` triangular draws seeded by `uncertainty.seed`, so the "
        "same inputs give the same figures), the probabilities that fine-tuning wins by 2x and that gate 5 "
        "passes, and the tornado. Without ranges every draw is the point estimate."
    ),
]


@router.post("/estimate", response_model=Estimate, responses=ERROR_RESPONSES, summary="Estimate one scenario")
async def estimate(scenario: ScenarioBody, uncertainty: UncertaintyQuery = False) -> Response:
    """Monthly TCO of each strategy over the horizon, and the verdict under the 2x rule, at today's catalog."""
    if uncertainty:  # thousands of kernel rows: off the event loop
        return json_response(await run_in_threadpool(estimate_one, scenario, uncertainty=True))
    return json_response(estimate_one(scenario))


class Validated(BaseModel):
    valid: Literal[True] = True
    scenario: Scenario
    """The scenario with every default filled in."""


@router.post("/validate", response_model=Validated, responses=ERROR_RESPONSES, summary="Validate a scenario")
async def validate(scenario: ScenarioBody) -> Validated:
    """Check a scenario's fields without pricing or estimating it: 422 names each bad field."""
    return Validated(scenario=scenario)


class SeededScenario(BaseModel):
    scenario: Scenario
    """The scenario with the seeds' ranges added where its value lies inside them; its own ranges kept."""
    skipped: dict[str, str]
    """Each seed range not added, by path, with why: its value lies outside, dedicated GPUs only, ..."""


@router.post(
    "/ranges/seeds",
    response_model=SeededScenario,
    responses=ERROR_RESPONSES,
    summary="Add the seed articles' ranges to a scenario",
)
async def seed_ranges(scenario: ScenarioBody) -> SeededScenario:
    """The ranges the seed articles give (a label 5-20 USD, 5-15 training runs, ...), each with its
    source, added where they fit this scenario: post the answer's `scenario` to
    `/estimate?uncertainty=true`, or save it."""
    seeded, skipped = with_seed_ranges(scenario)
    return SeededScenario(scenario=seeded, skipped=skipped)


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


def _same(name: str) -> str | None:
    """The description of a field of the full Estimate's strategy, so both shapes document it alike."""
    return StrategyEstimate.model_fields[name].description


class StrategySummary(BaseModel):
    """A strategy of an Estimate without its monthly series (detail=summary); the fields mean the same."""

    model_config = ConfigDict(extra="forbid")

    total_usd: float = Field(description=_same("total_usd"))
    cost_per_1k_requests_usd: float | None = Field(description=_same("cost_per_1k_requests_usd"))
    request_usd: float = Field(description=_same("request_usd"))
    compute_only_usd: float | None = Field(None, description=_same("compute_only_usd"))
    not_maintainable_from_month: int | None = Field(None, description=_same("not_maintainable_from_month"))


class EstimateSummary(Estimate):
    """An Estimate with detail=summary: strategies without `monthly` and `cumulative_usd`, and
    `monthly_requests` holding month 1 only."""

    strategies: dict[Strategy, StrategySummary]  # type: ignore[assignment]


class BatchResponse(BaseModel):
    estimates: list[Estimate] | list[EstimateSummary]
    """One per scenario (or sweep value), in order. With detail=summary, no `monthly` and `cumulative_usd`
    (nor the fan chart's `uncertainty.strategies.<strategy>.cumulative_usd`)."""
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


def monte_carlo_draws(scenarios: Sequence[Scenario]) -> int:
    """Draws that uncertainty=true runs for these scenarios: a scenario without ranges draws nothing
    (every draw would be its point estimate)."""
    return sum(s.uncertainty.draws for s in scenarios if s.ranges)


def _check_draws(total: int, limit: int, loc: str) -> None:
    if total > limit:
        msg = (
            f"uncertainty=true over this batch runs {total:,} Monte Carlo draws (uncertainty.draws of each "
            f"scenario with ranges); at most {limit:,} in one request (MAX_BATCH_DRAWS): "
            "lower uncertainty.draws or split the batch"
        )
        raise ScenarioError([{"loc": loc, "msg": msg}])


@router.post(
    "/estimate/batch", response_model=BatchResponse, responses=ERROR_RESPONSES, summary="Estimate many scenarios"
)
async def estimate_batch(
    request: Request,
    body: BatchRequest,
    detail: Annotated[Detail, Query(description="full adds the monthly series (and the fan chart's)")] = "summary",
    uncertainty: UncertaintyQuery = False,
) -> Response:
    """Up to MAX_BATCH scenarios through one engine call, or one scenario swept over a field's values.
    With uncertainty=true, at most MAX_BATCH_DRAWS Monte Carlo draws in all."""
    settings = request.app.state.settings
    limit = settings.max_batch
    if body.scenarios is not None:
        if len(body.scenarios) > limit:
            raise ScenarioError([{"loc": "scenarios", "msg": f"at most {limit:,} scenarios in one batch"}])
        scenarios, sheets, prefix, loc = body.scenarios, None, "scenarios.", "scenarios"
    else:
        assert body.scenario is not None and body.sweep is not None
        if len(body.sweep.values) > limit:
            raise ScenarioError([{"loc": "sweep.values", "msg": f"at most {limit:,} values in one sweep"}])
        sheet = price(body.scenario, prefix="scenario.")
        scenarios = _swept(body.scenario, body.sweep)  # a sweep of uncertainty.draws counts each value's
        sheets, prefix, loc = [sheet] * len(scenarios), "", "sweep.values"
    if uncertainty:
        _check_draws(monte_carlo_draws(scenarios), settings.max_batch_draws, loc)
        docs = await run_in_threadpool(estimate_all, scenarios, sheets, prefix=prefix, detail=detail, uncertainty=True)
    else:
        docs = estimate_all(scenarios, sheets, prefix=prefix, detail=detail)
    out: dict[str, Any] = {"estimates": docs}
    if body.sweep is not None:
        out["values"] = body.sweep.values
    return json_response(out)
