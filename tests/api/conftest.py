"""Each test gets its own database and an app from create_app(), wired to it by dependency override."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

import app.db.models  # noqa: F401  (registers the tables)
from app.api.deps import get_session
from app.main import create_app
from app.settings import Settings


def _sqlite_memory() -> Engine:
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)

    @event.listens_for(engine, "connect")
    def _fk(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    return engine


@pytest.fixture
def db_engine() -> Iterator[Engine]:
    engine = _sqlite_memory()
    SQLModel.metadata.create_all(engine)  # tests only: real databases are migrated by Alembic
    yield engine
    engine.dispose()


@pytest.fixture
def settings() -> Settings:
    return Settings(database_url="sqlite://", max_body_bytes=200_000, max_batch=50, seed_presets=False)


@pytest.fixture
def client(settings: Settings, db_engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings)

    def session() -> Iterator[Session]:
        with Session(db_engine, expire_on_commit=False) as s:
            yield s

    app.dependency_overrides[get_session] = session
    with TestClient(app) as c:
        yield c
