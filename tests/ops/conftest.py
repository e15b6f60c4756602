"""Operations tests: real `llm-tco serve` processes (1 or 2 workers) on a database of their own.

`database_url` runs a test on a new SQLite file and on a new PostgreSQL database made for it on the
server of TEST_POSTGRES_URL (scripts/with-postgres.sh starts one in `make test`), dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from opskit import BACKENDS, drop_postgres_database, new_postgres_database

from app.db.session import get_engine


@pytest.fixture
def fresh_database_url() -> Iterator[object]:
    """A factory: fresh_database_url(backend, tmp_path) -> URL of a new, empty database; all dropped at teardown."""
    made: list[str] = []

    def make(backend: str, folder: Path) -> str:
        if backend == "sqlite":
            url = f"sqlite:///{folder / f'ops-{uuid.uuid4().hex[:8]}.sqlite3'}"
        else:
            url = new_postgres_database("llm_tco_ops")
        made.append(url)
        return url

    yield make
    for url in made:
        if url.startswith("sqlite"):
            get_engine(url).dispose()
        else:
            drop_postgres_database(url)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, fresh_database_url, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """The URL of a new, empty database: a SQLite file, then a PostgreSQL database."""
    return fresh_database_url(request.param, tmp_path)  # type: ignore[no-any-return]
