"""The browser-page tests use the API tests' fixtures: each test its own database (SQLite in memory,
and PostgreSQL under `make test`) and an app from create_app() wired to it.

tests/ has no packages, so tests/api/conftest.py is loaded here by its path, under its own module
name, and its fixtures are re-exported; nothing is copied.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from suitekit import TESTS, load

from app.main import create_app
from app.settings import Settings

_api = load("tests_api_fixtures", TESTS / "api" / "conftest.py")

client = _api.client
client_on = _api.client_on
db_engine = _api.db_engine
postgres_engine = _api.postgres_engine
settings = _api.settings


@pytest.fixture(scope="module")
def calculator() -> Iterator[TestClient]:
    """The calculator and the stateless API alone, on an empty in-memory database: one app per module,
    for tests that save nothing."""
    with TestClient(create_app(Settings(database_url="sqlite://", seed_presets=False))) as c:
        yield c
