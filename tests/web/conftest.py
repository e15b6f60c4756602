"""The browser-page tests use the API tests' fixtures: each test its own database (SQLite in memory,
and PostgreSQL under `make test`) and an app from create_app() wired to it.

tests/ has no packages, so tests/api/conftest.py is loaded here by its path, under its own module
name, and its fixtures are re-exported; nothing is copied.
"""

from __future__ import annotations

from suitekit import TESTS, load

_api = load("tests_api_fixtures", TESTS / "api" / "conftest.py")

client = _api.client
client_on = _api.client_on
db_engine = _api.db_engine
postgres_engine = _api.postgres_engine
settings = _api.settings
