"""Issue 15: what bounds a request. A JSON body's shape (keys per object, depth) before validation; error
lists capped; the engine-work budget refused up front; a batch computed in chunks and streamed (JSON
with the same bytes as one built whole, or NDJSON), stopped by REQUEST_TIMEOUT_S between chunks; the
Host allow-list; a chunked body over MAX_BODY_BYTES; and which routes may run on the event loop."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import orjson
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app import budget, offload, services
from app.api import body as api_body
from app.api.body import OffLoopRoute
from app.api.errors import MAX_ERRORS
from app.engine import Scenario
from app.main import create_app
from app.presets import presets
from app.settings import Settings

TEST_KEY = "a test key, not a secret: " + "x" * 32


def scenario(**changes: Any) -> dict[str, Any]:
    return presets()["support-ticket-categorisation"].scenario.model_dump(mode="json") | changes


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    """A client of a new app with some settings changed (SQLite in memory, local mode)."""
    with ExitStack() as stack:

        def make(**changes: Any) -> TestClient:
            base: dict[str, Any] = {"database_url": "sqlite://", "seed_presets": False, "secret_key": TEST_KEY}
            return stack.enter_context(TestClient(create_app(Settings(**(base | changes)))))

        yield make


# --- a JSON body's shape, before validation ---


def test_an_object_of_a_million_keys_is_refused_before_validation(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    """10^6 keys: 422 naming the limit, one error (pydantic would have listed a million "extra" errors)."""
    huge = b"{" + b",".join(b'"k%d":0' % i for i in range(1_000_000)) + b"}"
    response = client.post("/api/v1/validate", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": "(body)",
            "msg": "an object with 1,000,000 keys: at most 1,000 in one object",
            "type": "body_too_complex",
        }
    ]


def test_nesting_deeper_than_the_limit_is_refused(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    deep = "[" * 33 + "]" * 33  # 33 levels: one past MAX_DEPTH
    response = client.post("/api/v1/validate", content=deep, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "the body nests deeper than 32 levels"
    hostile = "[" * 100_000 + "]" * 100_000  # past the json module's recursion: still a 422, never a 500
    assert (
        client.post("/api/v1/validate", content=hostile, headers={"content-type": "application/json"}).status_code
        == 422
    )
    ok = {"scenarios": [scenario()]}  # a real batch is 5 deep with ranges: well inside
    assert api_body.bounded(ok) is ok


def _routes() -> list[Any]:
    """Every route of the app, included routers flattened (as the guard reads them)."""
    return list(iter_route_contexts(create_app(Settings(database_url="sqlite://", seed_presets=False)).router.routes))


def test_every_api_route_reads_its_body_off_the_event_loop() -> None:
    api = [c for c in _routes() if str(c.path).startswith("/api/")]
    assert len(api) > 20 and all(isinstance(c.route, OffLoopRoute) for c in api), [
        c.path for c in api if not isinstance(c.route, OffLoopRoute)
    ]


ASYNC_ALLOWED = {
    "/healthz": "answers from memory",
    "/openapi.json": "FastAPI's own: built once, then served from memory",
    "/readyz": "awaits the probes' own threads",
    "/docs": "a template, no data",
    "/static/{path:path}": "static files from memory",
    "/api/v1/estimate": "awaits the engine pool",
    "/api/v1/estimate/batch": "awaits the engine pool, a chunk at a time",
}
"""The only routes whose endpoint runs on the event loop: each does no CPU work and no database call
there. Every other route is a plain `def`, run in the thread pool."""


def test_only_listed_routes_run_on_the_event_loop() -> None:
    routes = _routes()
    on_loop = {str(c.path) for c in routes if inspect.iscoroutinefunction(c.endpoint)}
    assert len(routes) > 60 and on_loop <= set(ASYNC_ALLOWED), sorted(on_loop - set(ASYNC_ALLOWED))


# --- error lists are capped ---


def test_a_batch_of_many_bad_scenarios_lists_the_first_hundred_errors_and_counts_the_rest(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(max_batch=1_000)
    bad = [scenario(horizon_months=0) for _ in range(150)]  # one error each
    response = client.post("/api/v1/estimate/batch", json={"scenarios": bad})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) == MAX_ERRORS + 1
    assert detail[0]["loc"] == "scenarios.0.horizon_months" and detail[99]["loc"] == "scenarios.99.horizon_months"
    # validation stops once more than MAX_ERRORS were found: 101 errors, so "1 more" is counted
    assert detail[-1] == {
        "loc": "(body)",
        "msg": "and 1 more errors, not listed: fix these first",
        "type": "too_many_errors",
    }


# --- the budget ---


def test_units_are_months_times_one_plus_draws_plus_tornado_rows() -> None:
    plain = Scenario.model_validate(scenario(horizon_months=120))
    assert budget.units(plain, uncertainty=False) == 120
    # two rows per rangeable input (82, of which 3 of synthetic labels), and the point: 165
    assert budget.tornado_rows(plain) == 2 * 82 + 1 == 165
    assert budget.units(plain, uncertainty=True) == 120 * (1 + 0 + 165)  # no ranges: no draws run
    ranged = Scenario.model_validate(
        scenario(
            horizon_months=120,
            ranges={"team.label_cost_usd": {"low": 5, "high": 20, "source": "002"}},
            uncertainty={"draws": 100, "seed": 1},
        )
    )
    assert budget.units(ranged, uncertainty=True) == 120 * (1 + 100 + 165)  # 31,920
    # a ranged amount of an extra cost line moves in the tornado too: two more rows
    extra = Scenario.model_validate(
        scenario(
            horizon_months=120,
            extra_costs=[{"name": "audit", "strategies": ["fine_tuning"], "monthly_usd": 500}],
            ranges={"extra_costs.0.monthly_usd": {"low": 300, "high": 900}},
            uncertainty={"draws": 100, "seed": 1},
        )
    )
    assert budget.tornado_rows(extra) == 2 * (82 + 1) + 1 == 167
    assert budget.units(extra, uncertainty=True) == 120 * (1 + 100 + 167)


def test_a_batch_over_the_budget_is_refused_up_front_with_how_to_split_it(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(request_budget=100_000, max_batch=10_000)
    months = 36
    fits = 100_000 // months  # 2,777 scenarios of 36 months fit in 100,000 units
    batch = {"scenarios": [scenario(horizon_months=months)] * (fits + 1)}  # 100,008 units
    response = client.post("/api/v1/estimate/batch", json=batch)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == "scenarios" and error["type"] == "over_budget"
    assert error["msg"].startswith(f"this asks for {(fits + 1) * months:,} units of engine work")
    assert "at most 100,000 in one request, set by REQUEST_BUDGET" in error["msg"]
    assert error["msg"].endswith(f"split it into requests of at most {fits:,} such scenarios")


def test_one_scenario_over_the_budget_alone_says_to_lower_draws(make_client: Callable[..., TestClient]) -> None:
    client = make_client(request_budget=100_000)
    doc = scenario(
        horizon_months=120,
        ranges={"team.label_cost_usd": {"low": 5, "high": 20, "source": "002"}},
        uncertainty={"draws": 10_000, "seed": 1},
    )
    response = client.post("/api/v1/estimate?uncertainty=true", json=doc)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == "uncertainty.draws"
    assert error["msg"].endswith("lower uncertainty.draws or horizon_months: one such scenario is over it alone")
    assert client.post("/api/v1/estimate", json=doc).status_code == 200  # without uncertainty: 120 units


# --- chunks, streaming and the timeout ---


def test_chunk_bounds_cut_by_units_and_by_count(monkeypatch: pytest.MonkeyPatch) -> None:
    assert services.chunk_bounds([]) == []
    assert services.chunk_bounds([10] * 120) == [(0, 50), (50, 100), (100, 120)]  # CHUNK_SCENARIOS
    big = services.CHUNK_UNITS // 2 + 1  # two of them pass CHUNK_UNITS
    assert services.chunk_bounds([big, big, big]) == [(0, 1), (1, 2), (2, 3)]
    assert services.chunk_bounds([3 * services.CHUNK_UNITS]) == [(0, 1)]  # one scenario is a chunk whatever it costs


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "CHUNK_SCENARIOS", 2)


def _sweep(n: int) -> dict[str, Any]:
    return {
        "scenario": scenario(),
        "sweep": {"field": "workload.input_tokens", "values": [100.0 * (i + 1) for i in range(n)]},
    }


@pytest.mark.usefixtures("small_chunks")
def test_a_streamed_batch_is_the_same_document_as_one_built_whole(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    """5 scenarios in chunks of 2: three chunks, streamed; the bytes are those of orjson.dumps of the whole."""
    batch = {"scenarios": [scenario(name=f"s{i}", horizon_months=12 + i) for i in range(5)]}
    streamed = client.post("/api/v1/estimate/batch?detail=full", json=batch)
    assert streamed.status_code == 200 and "content-length" not in streamed.headers  # chunked transfer
    whole = {"estimates": [client.post("/api/v1/estimate", json=s).json() for s in batch["scenarios"]]}
    assert streamed.content == orjson.dumps(whole)
    swept = client.post("/api/v1/estimate/batch", json=_sweep(5)).json()
    assert swept["values"] == [100.0, 200.0, 300.0, 400.0, 500.0] and len(swept["estimates"]) == 5


@pytest.mark.usefixtures("small_chunks")
def test_ndjson_is_one_estimate_per_line(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    batch = {"scenarios": [scenario(name=f"s{i}") for i in range(5)]}
    response = client.post("/api/v1/estimate/batch?detail=full", json=batch, headers={"accept": "application/x-ndjson"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-ndjson"
    lines = response.content.split(b"\n")
    assert lines[-1] == b"" and len(lines) == 6  # five lines, each ended by \n
    assert [json.loads(line)["scenario_name"] for line in lines[:-1]] == ["s0", "s1", "s2", "s3", "s4"]
    whole = client.post("/api/v1/estimate/batch?detail=full", json=batch).json()["estimates"]
    assert [json.loads(line) for line in lines[:-1]] == whole


def test_a_bad_scenario_anywhere_fails_the_batch_before_its_first_byte(
    make_client: Callable[..., TestClient], small_chunks: None
) -> None:
    """The fifth scenario's range on the GPU's hourly price misses the catalog's price (the field is left
    empty, so the catalog's 2.99 USD is used): the engine would find it in the third chunk; the batch is
    refused before any chunk runs, and nothing is streamed."""
    client = make_client()
    ranges = {"fine_tuning.gpu_hour_usd": {"low": 100, "high": 200}}
    bad = scenario(ranges=ranges)
    response = client.post("/api/v1/estimate/batch", json={"scenarios": [scenario()] * 4 + [bad]})
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == "scenarios.4.ranges.fine_tuning.gpu_hour_usd"
    assert "lies outside its range 100 to 200" in error["msg"]


def test_work_past_the_timeout_is_a_503_that_says_so(make_client: Callable[..., TestClient]) -> None:
    client = make_client(request_timeout_s=1e-9)  # past before the first chunk starts
    response = client.post("/api/v1/estimate/batch", json={"scenarios": [scenario()]})
    assert response.status_code == 503
    assert response.json()["detail"].startswith("stopped after 1e-09 s (REQUEST_TIMEOUT_S) with 0 of 1 chunks done")


class _Clock:
    """time.monotonic for app.offload: inside the deadline for the first chunk, past it afterwards."""

    def __init__(self) -> None:
        self.calls = 0

    def monotonic(self) -> float:
        self.calls += 1
        return 0.0 if self.calls == 1 else 1e18


@pytest.mark.usefixtures("small_chunks")
def test_ndjson_that_times_out_after_its_first_chunk_ends_with_an_error_line(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client()
    monkeypatch.setattr(offload, "time", _Clock())
    batch = {"scenarios": [scenario(name=f"s{i}") for i in range(5)]}
    response = client.post("/api/v1/estimate/batch", json=batch, headers={"accept": "application/x-ndjson"})
    lines = [json.loads(line) for line in response.content.splitlines()]
    assert [line.get("scenario_name") for line in lines[:2]] == ["s0", "s1"]  # the first chunk
    assert lines[2]["error"]["status"] == 503
    assert "with 1 of 3 chunks done" in lines[2]["error"]["detail"] and len(lines) == 3


class _Request:
    """What offload.chunks reads of a request: its app's settings and whether the client is gone."""

    def __init__(self, gone_after: int) -> None:
        self.asked = 0
        self.gone_after = gone_after
        self.app = type("App", (), {"state": type("State", (), {"settings": Settings(database_url="sqlite://")})()})()

    async def is_disconnected(self) -> bool:
        self.asked += 1
        return self.asked >= self.gone_after


def test_a_client_that_disconnects_stops_the_remaining_chunks() -> None:
    import anyio

    ran: list[int] = []

    def job(n: int) -> Callable[[], int]:
        return lambda: ran.append(n) or n

    async def consume() -> list[int]:
        got = []
        with pytest.raises(offload.Disconnected):
            async for n in offload.chunks(_Request(gone_after=2), [job(n) for n in range(5)], deadline=1e18):  # type: ignore[arg-type]
                got.append(n)
        return got

    assert anyio.run(consume) == [0, 1]  # checked before each chunk after the first: gone at the third
    assert ran == [0, 1]


# --- the Host allow-list ---


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_unknown_host_is_400_in_local_mode_before_anything_runs(client: TestClient, method: str) -> None:
    headers = {"host": "evil.example", "origin": "http://evil.example"}
    response = client.request(method, "/api/v1/scenarios", json=scenario(), headers=headers)
    assert response.status_code == 400
    assert "does not answer to the host name 'evil.example'" in response.json()["detail"]
    assert client.get("/api/v1/scenarios").json()["total"] == 0  # nothing was made


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"])
def test_the_loopback_names_are_always_served(make_client: Callable[..., TestClient], host: str) -> None:
    assert make_client(allowed_hosts=[]).get("/healthz", headers={"host": host}).status_code == 200


def test_allowed_hosts_adds_names_and_wildcards(make_client: Callable[..., TestClient]) -> None:
    client = make_client(allowed_hosts=["tco.example.com", "*.tco.example.org"])
    assert client.get("/healthz", headers={"host": "tco.example.com"}).status_code == 200
    assert client.get("/healthz", headers={"host": "eu.tco.example.org:443"}).status_code == 200
    assert client.get("/healthz", headers={"host": "tco.example.org"}).status_code == 400  # the wildcard needs a label
    assert client.get("/healthz", headers={"host": "eviltco.example.com"}).status_code == 400


def test_allowed_hosts_refuses_a_url_or_a_port() -> None:
    with pytest.raises(ValueError, match="is not a host name"):
        Settings(allowed_hosts=["https://tco.example.com"])
    with pytest.raises(ValueError, match="is not a host name"):
        Settings(allowed_hosts=["tco.example.com:8000"])
    assert Settings(allowed_hosts=["[::1]", "TCO.example.com"]).allowed_hosts == ["::1", "tco.example.com"]


# --- a chunked body over the limit ---


def test_a_chunked_body_over_the_limit_is_413(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=10_000)

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "' + b"x" * 6_000
        yield b"x" * 6_000 + b'"}'

    response = client.post("/api/v1/validate", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers  # sent chunked: no size declared
    assert response.status_code == 413
    assert response.json()["detail"] == "request body larger than 10,000 bytes"


def test_every_engine_call_of_a_request_spends_its_budget() -> None:
    """A request's budget is spent across its engine calls (a comparison estimates up to four
    revisions): 120 + 60 units fit in 200; another 120 do not, and are refused before they run."""
    token = budget._CURRENT.set(budget.Budget(200, "a test"))
    try:
        services.estimate_all([Scenario.model_validate(scenario(horizon_months=120))])
        services.estimate_all([Scenario.model_validate(scenario(horizon_months=60))])
        assert budget.current() == budget.Budget(200, "a test", used=180)
        with pytest.raises(services.ScenarioError, match="at most 200 in one request, set by a test"):
            services.estimate_all([Scenario.model_validate(scenario(horizon_months=120))])
    finally:
        budget._CURRENT.reset(token)
    assert budget.current() is None  # outside a request (the command line): no budget
