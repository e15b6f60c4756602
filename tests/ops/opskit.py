"""Databases for the operations tests: a new PostgreSQL database per test on TEST_POSTGRES_URL's server."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db.session import get_engine

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
POSTGRES_SKIPPED = "PostgreSQL tests skipped: " + (
    os.environ.get("TEST_POSTGRES_SKIPPED")
    or "TEST_POSTGRES_URL is not set (`make test` sets it through scripts/with-postgres.sh)"
)
TEST_KEY = "a test key, not a secret: " + "x" * 32
"""SECRET_KEY of the apps these tests make (tests/api/conftest.py's, from another folder)."""
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason=POSTGRES_SKIPPED))]


def new_postgres_database(prefix: str) -> str:
    """CREATE DATABASE <prefix>_<random> on TEST_POSTGRES_URL's server; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    get_engine(url).dispose()
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()
