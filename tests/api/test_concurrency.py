"""Concurrent edits of one revision, for real: threads, each request on its own connection, on a SQLite
file and on PostgreSQL. Exactly one edit wins; every other one is a 409 and writes nothing."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from suitekit import move_the_catalog

from app.db.migrate import upgrade
from app.db.session import get_engine

API = "/api/v1/scenarios"
EDITORS = 8


@pytest.fixture
def shared_engine(db_engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """PostgreSQL as conftest gives it; SQLite as a migrated file, since the in-memory one is a single
    connection shared by every thread (no concurrency to test)."""
    if db_engine.dialect.name != "sqlite":
        yield db_engine
        return
    url = f"sqlite:///{tmp_path / 'concurrency.sqlite3'}"
    upgrade(url)
    yield get_engine(url)
    get_engine(url).dispose()


@pytest.fixture
def shared_client(client_on: Callable[[Engine], TestClient], shared_engine: Engine) -> TestClient:
    return client_on(shared_engine)


@pytest.mark.parametrize("action", ["edit", "reprice"])
def test_concurrent_writers_of_one_revision_one_wins_the_rest_409(
    shared_client: TestClient, action: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    move_the_catalog(monkeypatch)  # each re-price finds new prices, so it adds a revision
    sid = shared_client.post(API, json={"name": "Contended"}).json()["id"]
    barrier = threading.Barrier(EDITORS)
    statuses: Counter[int] = Counter()

    def editor(i: int) -> None:
        barrier.wait()
        if action == "edit":
            response = shared_client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": f"Editor {i}"}})
        else:
            response = shared_client.post(f"{API}/{sid}/reprice", json={"revision": 1})
        statuses[response.status_code] += 1

    threads = [threading.Thread(target=editor, args=(i,)) for i in range(EDITORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == {200: 1, 409: EDITORS - 1}
    assert [r["number"] for r in shared_client.get(f"{API}/{sid}/revisions").json()] == [1, 2]
    assert shared_client.get(f"{API}/{sid}").json()["latest_revision"] == 2
