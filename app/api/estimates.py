"""Stateless estimates: one scenario, a batch, a sweep of one field; and validation alone."""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, SkipValidation, TypeAdapter, ValidationError, model_validator

from app import budget, offload
from app.api.body import OffLoopRoute
from app.api.errors import MAX_ERRORS, ErrorBody
from app.engine import Estimate, PriceSheet, Scenario
from app.engine.estimate import Detail, StrategyEstimate
from app.engine.scenario import Strategy
from app.services import (
    ScenarioError,
    chunk_bounds,
    estimate_all,
    estimate_one,
    preflight,
    price,
    priced,
    with_seed_ranges,
)

router = APIRouter(route_class=OffLoopRoute, tags=["estimates"])

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

BATCH_EXAMPLES = {
    "scenarios": {
        "summary": "Two scenarios",
        "value": {
            "scenarios": [EXAMPLE, {**EXAMPLE, "name": "Support tickets, 5x", "workload": {"requests_per_day": 100000}}]
        },
    },
    "sweep": {
        "summary": "One scenario at three volumes",
        "value": {"scenario": EXAMPLE, "sweep": {"field": "workload.requests_per_day", "values": [5000, 20000, 80000]}},
    },
}

UncertaintyQuery = Annotated[
    bool,
    Query(
        description="true adds `uncertainty`: P10, P50 and P90 of each strategy's TCO over the scenario's "
        "`ranges` (Monte Carlo: `uncertainty.draws` triangular draws seeded by `uncertainty.seed`, so the "
        "same inputs give the same figures), the probabilities that fine-tuning wins by 2x and that gate 5 "
        "passes, and the tornado. Without ranges every draw is the point estimate."
    ),
]


@router.post(
    "/estimate",
    operation_id="estimate",
    response_model=Estimate,
    summary="Estimate one scenario",
)
async def estimate(request: Request, scenario: ScenarioBody, uncertainty: UncertaintyQuery = False) -> Response:
    """Monthly TCO of each strategy over the horizon, and the verdict under the 2x rule, at today's catalog."""

    def serialised() -> bytes:  # in the engine's thread, like the estimate: not on the event loop
        return orjson.dumps(estimate_one(scenario, uncertainty=uncertainty))

    return Response(await offload.engine(request.app, serialised), media_type="application/json")


class Validated(BaseModel):
    valid: Literal[True] = True
    scenario: Scenario
    """The scenario with every default filled in."""


@router.post(
    "/validate",
    operation_id="validate",
    response_model=Validated,
    summary="Validate a scenario",
)
def validate(scenario: ScenarioBody) -> Validated:
    """Check a scenario's fields without pricing or estimating it: 422 names each bad field."""
    return Validated(scenario=scenario)


class SeededScenario(BaseModel):
    scenario: Scenario
    """The scenario with the seeds' ranges added where its value lies inside them; its own ranges kept."""
    skipped: dict[str, str]
    """Each seed range not added, by path, with why: its value lies outside, dedicated GPUs only, ..."""


@router.post(
    "/ranges/seeds",
    operation_id="seed_ranges",
    response_model=SeededScenario,
    summary="Add the seed articles' ranges to a scenario",
)
def seed_ranges(scenario: ScenarioBody) -> SeededScenario:
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

    scenarios: Annotated[list[Scenario], Field(min_length=1, max_length=100_000), SkipValidation] | None = None
    """Validated one by one off the event loop (`_validated`), each error named by its index."""
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
    npv_usd: float = Field(description=_same("npv_usd"))
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


def _swept(scenario: Scenario, sweep: Sweep) -> Iterator[Scenario]:
    """The scenario with the swept field at each value in turn (ScenarioError at the first bad one)."""
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
    for i, value in enumerate(sweep.values):
        node[path[-1]] = value
        try:
            yield Scenario.model_validate(base)
        except ValidationError as exc:
            msg = "; ".join(e["msg"] for e in exc.errors())
            raise ScenarioError([{"loc": f"sweep.values.{i}", "msg": msg}]) from exc


def _check_draws(total: int, limit: int, loc: str) -> None:
    if total > limit:
        msg = (
            f"uncertainty=true over this batch runs {total:,} Monte Carlo draws (uncertainty.draws of each "
            f"scenario with ranges); at most {limit:,} in one request (MAX_BATCH_DRAWS): "
            "lower uncertainty.draws or split the batch"
        )
        raise ScenarioError([{"loc": loc, "msg": msg}])


_SCENARIO = TypeAdapter(Scenario)


def _validated(raw: Any) -> Iterator[Scenario]:
    """The batch's scenarios, validated one by one here (in a thread) rather than by FastAPI on the
    event loop. Each raw document is dropped from the parsed body once read, so the body shrinks as the
    batch is read; after more than MAX_ERRORS errors the rest is not read. RequestValidationError at
    the end when any was bad."""
    if not isinstance(raw, list) or not raw:
        raise RequestValidationError([{"loc": ("body", "scenarios"), "msg": "give a list of 1 or more scenarios"}])
    errors: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        raw[i] = None
        try:
            yield _SCENARIO.validate_python(item)
        except ValidationError as exc:
            errors += [{**e, "loc": ("body", "scenarios", i, *e["loc"])} for e in exc.errors()]
            if len(errors) > MAX_ERRORS:
                break
    if errors:
        raise RequestValidationError(errors)


@dataclass(frozen=True)
class Plan:
    """A batch ready to run: its scenarios as their JSON (a quarter of the memory of the models: each
    chunk validates its own again), their prices, and the chunks they run in."""

    documents: list[bytes]
    sheets: list[PriceSheet]
    bounds: list[tuple[int, int]]
    values: list[float] | None
    prefix: str = "scenarios."
    """How errors name a scenario: `scenarios.<i>.`, or nothing in a sweep."""

    def scenarios(self, start: int, stop: int) -> list[Scenario]:
        return [Scenario.model_validate_json(d) for d in self.documents[start:stop]]

    def estimate(self, start: int, stop: int, *, detail: Detail, uncertainty: bool) -> list[bytes]:
        """The Estimate documents of scenarios [start, stop), serialised here (a thread), not on the loop."""
        scenarios, sheets = self.scenarios(start, stop), self.sheets[start:stop]
        documents = estimate_all(
            scenarios, sheets, prefix=self.prefix, first=start, detail=detail, uncertainty=uncertainty
        )
        return [orjson.dumps(d) for d in documents]


def _plan(request: Request, body: BatchRequest, *, uncertainty: bool) -> Plan:
    """Everything that can refuse a batch, before any of it runs: its fields, its size, its budget, its
    draws, its catalog ids and prices. A thread's work, a scenario (then a chunk) at a time, so that a
    10,000-scenario batch never holds all its models at once."""
    settings = request.app.state.settings
    limit = settings.max_batch
    sheet: PriceSheet | None = None
    if body.sweep is None:
        if isinstance(body.scenarios, list) and len(body.scenarios) > limit:
            raise ScenarioError([{"loc": "scenarios", "msg": f"at most {limit:,} scenarios in one batch"}])
        scenarios, loc, prefix = _validated(body.scenarios), "scenarios", "scenarios."
    else:
        assert body.scenario is not None
        if len(body.sweep.values) > limit:
            raise ScenarioError([{"loc": "sweep.values", "msg": f"at most {limit:,} values in one sweep"}])
        sheet = price(body.scenario, prefix="scenario.")  # a sweep of uncertainty.draws counts each value's
        scenarios, loc, prefix = _swept(body.scenario, body.sweep), "sweep.values", ""
    documents, costs, draws = [], [], 0
    for s in scenarios:
        documents.append(s.model_dump_json().encode())
        costs.append(budget.units(s, uncertainty=uncertainty))
        draws += s.uncertainty.draws if s.ranges else 0
    budget.check_units(costs, loc=loc)
    if uncertainty:
        _check_draws(draws, settings.max_batch_draws, loc)
    plan = Plan(documents, [], chunk_bounds(costs), body.sweep.values if body.sweep else None, prefix)
    errors: list[dict[str, Any]] = []
    for a, b in plan.bounds:
        chunk = plan.scenarios(a, b)
        try:
            sheets = [sheet] * len(chunk) if sheet is not None else priced(chunk, prefix=prefix, first=a)
            preflight(chunk, sheets, prefix=prefix, first=a)
        except ScenarioError as exc:
            errors += exc.errors
        else:
            plan.sheets.extend(sheets)
    if errors:
        raise ScenarioError(errors)
    return plan


NDJSON = "application/x-ndjson"


@router.post(
    "/estimate/batch",
    operation_id="estimate_batch",
    response_model=BatchResponse,
    responses={
        200: {
            "content": {NDJSON: {"schema": {"type": "string"}}},
            "description": "With `Accept: application/x-ndjson`: one Estimate per line, in order (see the docs).",
        },
        503: {"model": ErrorBody, "description": "The work ran past REQUEST_TIMEOUT_S and was stopped."},
    },
    summary="Estimate many scenarios",
)
async def estimate_batch(
    request: Request,
    body: Annotated[BatchRequest, Body(openapi_examples=BATCH_EXAMPLES)],
    detail: Annotated[Detail, Query(description="full adds the monthly series (and the fan chart's)")] = "summary",
    uncertainty: UncertaintyQuery = False,
) -> Response:
    """Up to MAX_BATCH scenarios, or one scenario swept over a field's values, within the request's budget
    of engine work (REQUEST_BUDGET). With uncertainty=true, at most MAX_BATCH_DRAWS Monte Carlo draws in all.

    The answer streams as it is computed, a chunk of scenarios at a time, so memory stays flat whatever
    its size: a JSON document (the same bytes as one built whole), or with `Accept: application/x-ndjson`
    one Estimate per line. Everything that can refuse the batch is checked before its first byte; work
    past REQUEST_TIMEOUT_S stops between chunks (a 503 before the first byte; after it, NDJSON ends with
    an `{"error": ...}` line and JSON is cut short), and so does a client that disconnects."""
    deadline = time.monotonic() + request.app.state.settings.request_timeout_s
    plan = await offload.engine(request.app, _plan, request, body, uncertainty=uncertainty)
    jobs = [functools.partial(plan.estimate, a, b, detail=detail, uncertainty=uncertainty) for a, b in plan.bounds]
    # a Request of its own for the stream: the endpoint's keeps the parsed body, freed once it returns
    chunks = offload.chunks(Request(request.scope, request.receive), jobs, deadline=deadline)
    first = await anext(chunks)  # a timeout here is still a 503 with its message
    if NDJSON in request.headers.get("accept", ""):
        return StreamingResponse(_ndjson(first, chunks), media_type=NDJSON)
    tail = b"]" + (b',"values":' + orjson.dumps(plan.values) if plan.values is not None else b"") + b"}"
    if len(jobs) == 1:
        return Response(b'{"estimates":[' + b",".join(first) + tail, media_type="application/json")
    return StreamingResponse(_json(first, chunks, tail), media_type="application/json")


async def _json(first: list[bytes], rest: AsyncIterator[list[bytes]], tail: bytes) -> AsyncIterator[bytes]:
    """`{"estimates": [...], "values": [...]}` a chunk at a time: the bytes of orjson.dumps of the whole."""
    yield b'{"estimates":[' + b",".join(first)
    try:
        async for docs in rest:
            yield b"," + b",".join(docs)
    except offload.Disconnected:
        return  # nobody is reading
    yield tail


async def _ndjson(first: list[bytes], rest: AsyncIterator[list[bytes]]) -> AsyncIterator[bytes]:
    """One Estimate per line; a timeout after the first line ends the stream with an `{"error": ...}` line."""
    yield b"".join(d + b"\n" for d in first)
    try:
        async for docs in rest:
            yield b"".join(d + b"\n" for d in docs)
    except offload.TimedOut as exc:
        yield orjson.dumps({"error": {"status": 503, "detail": exc.detail}}) + b"\n"
    except offload.Disconnected:
        return
