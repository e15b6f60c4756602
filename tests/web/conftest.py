"""The browser-page tests use the API tests' fixtures: each test its own database (SQLite in memory,
and PostgreSQL under `make test`) and an app from create_app() wired to it.

tests/ has no packages, so tests/api/conftest.py is loaded here by its path, under its own module
name, and its fixtures are re-exported; nothing is copied.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "api" / "conftest.py"
_spec = importlib.util.spec_from_file_location("tests_api_fixtures", _PATH)
assert _spec is not None and _spec.loader is not None
_api = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _api
_spec.loader.exec_module(_api)

client = _api.client
client_on = _api.client_on
db_engine = _api.db_engine
postgres_engine = _api.postgres_engine
settings = _api.settings
