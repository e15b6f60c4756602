"""Each test gets its own database and an app from create_app(), wired to it by dependency override.

`db_engine` runs every test that uses the database twice: on SQLite (in memory) and on PostgreSQL
(TEST_POSTGRES_URL, set by scripts/with-postgres.sh, which `make test` runs pytest through), except in
the modules that tests/conftest.py's ONE_DATABASE names (their checks do not depend on the database:
SQLite only). Without TEST_POSTGRES_URL the PostgreSQL run is skipped, and the skip says why.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

import app.db.models  # noqa: F401  (registers the tables)
from app.auth import keys
from app.main import create_app
from app.settings import Settings

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
POSTGRES_SKIPPED = "PostgreSQL tests skipped: " + (
    os.environ.get("TEST_POSTGRES_SKIPPED")
    or "TEST_POSTGRES_URL is not set (`make test` sets it through scripts/with-postgres.sh)"
)
TEST_KEY = "a test key, not a secret: " + "x" * 32
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason=POSTGRES_SKIPPED))]


def _sqlite_memory() -> Engine:
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)

    @event.listens_for(engine, "connect")
    def _fk(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    return engine


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """One engine (and pool) for the whole run; each test drops and recreates the tables (~10 ms)."""
    engine = create_engine(POSTGRES_URL, pool_size=5, max_overflow=5)
    yield engine
    SQLModel.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A fresh schema, tables made by `create_all` (tests only: real databases are migrated by Alembic;
    tests/test_migrations.py checks that both give the same schema)."""
    if request.param == "postgresql":
        engine: Engine = request.getfixturevalue("postgres_engine")
        SQLModel.metadata.drop_all(engine)
        SQLModel.metadata.create_all(engine)
        yield engine
        return
    engine = _sqlite_memory()
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def settings() -> Settings:
    return Settings(
        database_url="sqlite://", max_body_bytes=200_000, max_batch=50, seed_presets=False, secret_key=TEST_KEY
    )


def wire(app: FastAPI, engine: Engine) -> None:
    """Point the app's sessions (its routes' and the guard's) at `engine`."""
    app.state.session_factory = lambda: Session(engine, expire_on_commit=False)


def local_csrf(settings: Settings) -> dict[str, str]:
    """The header a page's htmx requests carry in local mode (forms carry the same as `csrf_token`)."""
    return {"X-CSRF-Token": keys.csrf_token(keys.secret(settings.secret_key), "local")}


_IDLE_APPS: dict[str, list[FastAPI]] = {}
"""Apps made by create_app() that no test holds, by their settings (pooled_app)."""


def _untouched(app: FastAPI, routes: int, state: set[str]) -> bool:
    """The app is as create_app() made it: no route added, no override, no state but its own."""
    return len(app.router.routes) == routes and not app.dependency_overrides and set(vars(app.state)["_state"]) <= state


@contextmanager
def pooled_app(settings: Settings) -> Iterator[FastAPI]:
    """create_app(settings), made once per worker and per distinct settings, and lent to one test at a time.

    Making an app is ~0.2 s of CPU (FastAPI analyses every route), times a thousand tests. What an app keeps
    between requests is its settings, its session factory (every test wires its own database) and its
    engine pools' limiters (anyio's, dropped here so each test makes its own, as a new app would); a test
    that changed anything else (a route added, an override, state of its own) returns an app nobody reuses.
    Two apps held at once by one test are two distinct apps, as before."""
    key = settings.model_dump_json()
    idle = _IDLE_APPS.setdefault(key, [])
    app = idle.pop() if idle else create_app(settings)
    app.state.settings = settings  # the test's own object, as create_app(settings) would hold
    vars(app.state)["_state"].pop("limiters", None)
    routes, state = len(app.router.routes), set(vars(app.state)["_state"])
    try:
        yield app
    finally:
        if _untouched(app, routes, state | {"limiters"}):
            idle.append(app)


@pytest.fixture
def client_on(settings: Settings) -> Iterator[Callable[[Engine], TestClient]]:
    """Make a started TestClient of an app (pooled_app) on a given engine; each is closed at teardown."""
    with ExitStack() as stack:

        def make(engine: Engine) -> TestClient:
            app = stack.enter_context(pooled_app(settings))
            wire(app, engine)
            return stack.enter_context(TestClient(app, headers=local_csrf(settings)))

        yield make


@pytest.fixture
def client(client_on: Callable[[Engine], TestClient], db_engine: Engine) -> TestClient:
    return client_on(db_engine)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say it loudly at the end of the run when the PostgreSQL half did not run."""
    if not POSTGRES_URL:
        terminalreporter.write_sep("!", POSTGRES_SKIPPED, yellow=True, bold=True)
