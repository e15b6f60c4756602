"""Schemathesis over every operation of the app's OpenAPI, in process.

Each operation gets its explicit examples, schemathesis's coverage cases (boundaries, and invalid
values of each field) and MAX_EXAMPLES fuzzed cases, valid and invalid (SCHEMATHESIS_MAX_EXAMPLES=300
for a deeper run by hand). The exports of a posted scenario and the batch run a fixed sample of the
valid coverage cases, which POST /estimate runs in full, and so do the saved scenarios' operations
(`_sampled_out`; SCHEMATHESIS_SAMPLE_ONE_IN=1 runs them all). Their invalid coverage cases, which
meet the same validation first, run one in NEGATIVE_ONE_IN (4); POST /estimate runs every one.
A stateless operation's valid coverage case that, once given real ids, is a request it already
answered is not sent again (`_repeated`): it answers the same request the same way. No answer may be a
500, and each must be one the OpenAPI declares: status code, content type and body schema.

Operations on saved scenarios run on a fresh database per operation, SQLite and PostgreSQL (when
TEST_POSTGRES_URL is set: see conftest.py), with the presets saved; the stateless ones (estimates,
exports of posted scenarios, catalog, presets) touch no database and run once.

Each operation's Hypothesis test (its examples and coverage cases) is built when the test first runs on a
worker, not at collection by every worker (`built_when_run`, tests/api/schemathesiskit.py).
"""

from __future__ import annotations

import functools
import json
import os
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesiskit import build_now, built_when_run  # noqa: F401  (build_now: an autouse fixture)
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import saved
from app.main import create_app
from app.settings import Settings

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

app = create_app(Settings(database_url="sqlite://", max_body_bytes=200_000, max_batch=50, seed_presets=False))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
NO_DATABASE = app.state.session_factory

SAVED = "^/api/v1/scenarios"

# Generated catalog ids are almost never real ones, so nearly every generated scenario would stop at
# the 422 of an unknown id and never reach the engine. Half the generated bodies get real ids (the
# presets' ones, the fine-tuned model fitting the deployment), so the engine meets every declared
# bound: that is where overflows to inf and NaN hide.
CATALOG_IDS: dict[str, dict[str, Any]] = {
    "prompting": {"model": "openai:gpt-4o"},
    "rag": {
        "model": "openai:gpt-4o",
        "embedding_model": "openai:text-embedding-3-small",
        "vector_db": "pinecone:standard",
    },
    "fine_tuning": {"gpu": "lambda:h100-80gb"},
}
FINE_TUNED = {
    "hosted": "openai:ft:gpt-4o-mini",
    "serverless": "together:meta-llama-3.1-8b-instruct-lora",
    "dedicated": "meta:llama-3.1-8b-instruct",
}


MAX_DRAWS = 200
"""The Monte Carlo draws of a priced body: the example's ranges made every coverage case run 10,000 (half
of this file's time). The draws' count changes no code path and no bound of a number the engine meets."""


def _priceable(scenario: Any) -> Any:
    if not isinstance(scenario, dict):
        return scenario
    out = dict(scenario)
    for section, ids in CATALOG_IDS.items():
        if isinstance(out.get(section), dict):
            out[section] = {k: v for k, v in out[section].items() if k != "reranker"} | ids
    if isinstance(out.get("fine_tuning"), dict):
        deployment = out["fine_tuning"].get("deployment")
        out["fine_tuning"]["model"] = FINE_TUNED.get(deployment, FINE_TUNED["hosted"])  # type: ignore[arg-type]
    draws = out.get("uncertainty", {}).get("draws") if isinstance(out.get("uncertainty"), dict) else None
    if isinstance(draws, int) and not isinstance(draws, bool) and draws > MAX_DRAWS:
        out["uncertainty"] = out["uncertainty"] | {"draws": MAX_DRAWS}
    return out


def _with_real_ids(body: Any) -> Any:
    """A scenario body, a batch ({scenarios} or {scenario, sweep}) or an edit ({revision, scenario})."""
    if not isinstance(body, dict):
        return body
    if "scenarios" in body or "scenario" in body:
        out = dict(body)
        if isinstance(out.get("scenarios"), list):
            out["scenarios"] = [_priceable(s) for s in out["scenarios"]]
        if "scenario" in out:
            out["scenario"] = _priceable(out["scenario"])
        return out
    return _priceable(body)


SAME_BODY_AS_ESTIMATE = {
    "POST /api/v1/export.json",
    "POST /api/v1/export.csv",
    "POST /api/v1/export.xlsx",
    "POST /api/v1/estimate/batch",
    "POST /api/v1/ranges/seeds",
    "POST /api/v1/validate",
}
"""Operations that take POST /api/v1/estimate's body (a scenario, or a batch of them) and answer it
through the same engine (the seeds' ranges and validate: through the same validation and inputs)."""
SAMPLE_ONE_IN = int(os.environ.get("SCHEMATHESIS_SAMPLE_ONE_IN", "16"))
_BACKEND = {"name": "none"}
"""The database of the running test_saved case (`database` sets it; "none" for the stateless ones)."""


NEGATIVE_ONE_IN = int(os.environ.get("SCHEMATHESIS_NEGATIVE_ONE_IN", "4"))
"""The coverage phase's invalid cases (each field made invalid in turn) of the same operations: POST
/estimate sends every one; the others, whose body goes through the same validation before anything of
their own runs, a fixed one in NEGATIVE_ONE_IN (a quarter of this file's time was these 422s)."""


def _sampled_out(case: schemathesis.Case, one_in: int = SAMPLE_ONE_IN) -> bool:
    """The coverage phase's valid cases (each bound of each field in turn, ~530 of them) are the costly
    ones: each is a whole estimate, and an XLSX costs 90 ms. POST /estimate runs every one of them; the
    operations that answer the same body through the same engine (the exports, the batch, the seeds'
    ranges and validate: 18 and 21 s of a CI run before) and the saved
    scenarios' operations (which store it, then estimate it) run a fixed one in SAMPLE_ONE_IN (16) of
    them (by a hash of operation, path, query and body, so the same sample each run, a different one per
    operation),
    beside their own examples, their fuzzed cases and every
    invalid coverage case. SCHEMATHESIS_SAMPLE_ONE_IN=1 runs them all."""
    sampled = case.operation.label in SAME_BODY_AS_ESTIMATE or _BACKEND["name"] != "none"
    if one_in <= 1 or not sampled:
        return False
    # What a request is made of; "no body" (schemathesis's NOT_SET) by its type's name, never by its repr,
    # whose memory address changed every run: an operation without a body kept or dropped all its cases.
    parts = [case.path_parameters, case.query, case.body]
    key = case.operation.label + json.dumps(parts, sort_keys=True, default=lambda o: type(o).__name__)
    return zlib.crc32(key.encode()) % one_in != 0


_SENT: set[str] = set()
"""The valid coverage requests a stateless test sent (`_repeated`); emptied as each test starts."""


def _repeated(case: schemathesis.Case) -> bool:
    """Whether a stateless operation already answered the same request (path, query and body, real ids
    given): coverage cases that differ only in a catalog id's bound are one request once the real ids
    replace it, and an operation without a database answers one request one way. Operations on saved
    scenarios send every case: a repeated POST or DELETE meets another database state."""
    if app.state.session_factory is not NO_DATABASE:
        return False
    request = [case.operation.label, case.path_parameters, case.query, case.headers, case.cookies, case.body]
    key = json.dumps(request, sort_keys=True, default=str)
    if key in _SENT:
        return True
    _SENT.add(key)
    return False


def call(case: schemathesis.Case) -> None:
    """Send the case and run the checks. The coverage phase's valid cases (each bound of each field in
    turn) are given real ids (hooks do not reach that phase), so every bound is priced and estimated."""
    meta = case.meta
    if meta is not None and meta.phase.name == "coverage" and meta.generation.mode == GenerationMode.POSITIVE:
        if _sampled_out(case):
            return
        case.body = _with_real_ids(case.body)
        if _repeated(case):
            return
    elif meta is not None and meta.phase.name == "coverage" and _sampled_out(case, NEGATIVE_ONE_IN):
        return
    case.call_and_validate(checks=CHECKS)


@schema.hook
def before_generate_body(context: schemathesis.HookContext, strategy: st.SearchStrategy[Any]) -> Any:
    return st.one_of(strategy, strategy.map(_with_real_ids))


@pytest.fixture
def database(db_engine: Engine) -> Iterator[None]:
    """The app on this test's database, with the presets saved: scenarios 1..5 exist, so generated
    ids reach real rows (revisions, edits, re-prices, exports) and not only 404s."""
    with Session(db_engine, expire_on_commit=False) as session:
        saved.seed_presets(session, author="schemathesis")

    app.state.session_factory = lambda: Session(db_engine, expire_on_commit=False)
    _BACKEND["name"] = db_engine.dialect.name
    yield
    app.state.session_factory = NO_DATABASE
    _BACKEND["name"] = "none"


@pytest.fixture(params=["no-db"])
def no_database() -> None:
    """Stateless operations: no database, so one run (the param only names the test after its operation)."""
    app.state.session_factory = NO_DATABASE
    _SENT.clear()


@built_when_run
@schema.exclude(path_regex=SAVED).parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_stateless(case: schemathesis.Case, no_database: None) -> None:
    call(case)


@built_when_run
@schema.include(path_regex=SAVED).parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_saved(case: schemathesis.Case, database: None) -> None:
    call(case)


@pytest.mark.parametrize("search", ["a\x00b", "\x00", "100%", "l_t", "\\", "ß" * 200])
def test_any_search_text_is_answered_without_a_500(client: TestClient, search: str) -> None:
    """PostgreSQL refuses NUL in text: a search holding one is a 422 (it was a 500), on every database."""
    response = client.get("/api/v1/scenarios", params={"search": search})
    assert response.status_code == (422 if "\x00" in search else 200), response.text


# --- the same API in team mode (AUTH_REQUIRED=true), every case carrying a token ---
#
# Two runs on one team deployment (its own in-memory database, the presets saved): every operation
# with an admin's write token, and every GET with an admin's read token (what spreadsheets do). The
# checks are the ones above (no 500, every answer declared, 401 and 403 included), and the token must
# be honoured: a 401, or a 403 to a token its rules allow, fails the case. The coverage phase (every
# bound of every field) already ran in local mode above; these runs take the explicit examples and
# TEAM_EXAMPLES fuzzed cases per operation (SCHEMATHESIS_TEAM_EXAMPLES to change it).


def _team_app() -> tuple[Any, Engine]:
    """An app with sign-in required on its own in-memory database (its tables made, nothing in them)."""
    from sqlalchemy.pool import StaticPool
    from sqlmodel import SQLModel, create_engine

    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    team_app = create_app(
        Settings(
            database_url="sqlite://",
            max_body_bytes=200_000,
            max_batch=50,
            seed_presets=False,
            auth_required=True,
            secret_key="schemathesis key, not a secret" * 2,
        )
    )
    team_app.state.session_factory = lambda: Session(engine, expire_on_commit=False)
    return team_app, engine


team_app, TEAM_ENGINE = _team_app()


@functools.cache
def team_tokens() -> dict[str, str]:
    """The team deployment's presets saved, and an admin's write and read tokens. Made by the first test
    that needs them on a worker (`team`), not at collection by every worker: pricing the presets and hashing
    the password take ~2 s, which a worker that runs no team-mode test no longer spends."""
    from app.auth import accounts

    with Session(TEAM_ENGINE, expire_on_commit=False) as session:
        saved.seed_presets(session, author="schemathesis")
        admin = accounts.create_user(session, username="admin", role="admin", password="x" * 12, actor="setup")
        return {
            scope: accounts.create_token(session, user=admin, name=f"schemathesis {scope}", scope=scope, days=1)[1]
            for scope in ("write", "read")
        }


team_schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    team_app,
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
)
team_schema.hook(before_generate_body)
TEAM_EXAMPLES = int(os.environ.get("SCHEMATHESIS_TEAM_EXAMPLES", "5"))


@pytest.fixture(params=["team"])
def team() -> None:
    """The team deployment, its presets saved and its tokens made (`team_tokens`). The param names each
    team-mode test after its operation, as `no_database` does: without a parametrized fixture every case of
    one test function has the same node id, and pytest-xdist runs only one."""
    team_tokens()


def call_with(case: schemathesis.Case, scope: str) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {team_tokens()[scope]}"}
    response = case.call()
    case.validate_response(response, checks=CHECKS)
    assert response.status_code not in (401, 403), f"the {scope} token was refused: {response.text[:300]}"


@built_when_run
@team_schema.parametrize()
@settings(max_examples=TEAM_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_team_mode_with_a_write_token(case: schemathesis.Case, team: None) -> None:
    """Every operation, with an admin's write token: answered as declared, never a 500, never refused."""
    call_with(case, "write")


@built_when_run
@team_schema.include(method="GET").parametrize()
@settings(max_examples=TEAM_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_team_mode_with_a_read_token(case: schemathesis.Case, team: None) -> None:
    """What spreadsheets call (every GET), with a read token: answered as declared, never refused."""
    call_with(case, "read")


def test_team_mode_without_a_token_is_a_declared_401() -> None:
    """Each /api/v1 operation declares the 401 the guard answers, and the 403 where its route needs more
    than reading (status_code_conformance relies on it); without a token the answer is that 401."""
    team_tokens()  # the deployment as the other team-mode tests meet it: presets saved, an admin
    client = TestClient(team_app)
    paths = client.get("/openapi.json").json()["paths"]  # the description needs no token
    assert paths
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert "401" in operation["responses"], (method, path)
            assert ("403" in operation["responses"]) == (method != "get"), (method, path)
    refused = client.get("/api/v1/scenarios")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
