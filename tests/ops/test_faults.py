"""Faults against real servers (`llm-tco serve`) on SQLite and on PostgreSQL.

A server start is most of each test's time (2 workers import the app in parallel with the master), so a
test starts only the servers its check needs: the kill -9 and its restart, and the SQLite lock, which
another process holds, run 1 worker; the two editors on SQLite and the metrics
share one 2-worker server (`sqlite_server`, on one pytest-xdist worker through their xdist_group), and
the two editors on PostgreSQL and the database going away a 1-worker one (`postgresql_server`).

1. kill -9 of the server (on SQLite) in the middle of a burst of saves: after a restart,
   every save that was answered 2xx is there, intact, and nothing is half-written.
2. The database going away: 503 with a clear message (never a 500 or a hang), and the same server
   serves again by itself when the database returns.
3. Two editors saving the same revision at once, through different connections (on SQLite, usually
   different workers too): exactly one wins, the other gets 409 and writes nothing.
4. /metrics sums the counts of every worker.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from opskit import POSTGRES_SKIPPED, POSTGRES_URL, drop_postgres_database, new_postgres_database
from serverkit import Proxy, Server
from sqlalchemy.engine import make_url

API = "/api/v1/scenarios"
CLIENTS = 8


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Every server a test starts is stopped at its end, whatever happened."""
    made: list[Server] = []
    yield made
    for server in made:
        server.stop()


def _scenario(client: int, n: int) -> dict[str, Any]:
    """A distinct scenario per save, so a mixed-up or torn row cannot pass for the right one."""
    return {
        "name": f"Burst {client}-{n}",
        "description": f"client {client}, save {n}",
        "workload": {"requests_per_month": 10_000 + 1_000 * client + n, "input_tokens": 500 + n},
    }


def test_kill_9_mid_burst_loses_no_answered_save(tmp_path: Path, servers: list[Server]) -> None:
    """On SQLite, whose file the killed process itself writes (WAL, synchronous=FULL): what must
    survive is every save answered 2xx. (PostgreSQL is not killed with the server, so there the same
    check would only repeat that a save answers after its commit, which the two backends share.)
    One worker: what is on disk when the process dies is the database's and the save's transaction's
    doing, not the number of processes; a second worker would double the start for nothing."""
    database_url = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    server = Server(database_url, tmp_path, workers=1)
    servers.append(server)
    server.start()
    answered: list[dict[str, Any]] = []  # the 201 bodies
    unanswered = 0
    enough = threading.Event()
    lock = threading.Lock()

    def saver(c: int) -> None:
        nonlocal unanswered
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for n in range(10_000):
                try:
                    response = http.post(API, json=_scenario(c, n))
                except httpx.HTTPError:
                    with lock:
                        unanswered += 1
                    return  # the server is gone
                assert response.status_code == 201, response.text
                with lock:
                    answered.append(response.json())
                    if len(answered) >= 40:
                        enough.set()

    threads = [threading.Thread(target=saver, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    assert enough.wait(timeout=120), f"only {len(answered)} saves answered:\n{server.tail()}"
    server.kill9()
    for t in threads:
        t.join(timeout=60)
    assert unanswered >= 1, "the kill came between requests, not in the middle of the burst"

    server.start()  # same database, same port
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for saved in answered:
            now = http.get(f"{API}/{saved['id']}")
            assert now.status_code == 200, f"an answered save is missing: {saved['id']} {saved['name']}"
            assert now.json() == saved
            audit = http.get(f"{API}/{saved['id']}/audit").json()
            assert [e["action"] for e in audit] == ["created"]  # written in the save's own transaction
        listing = http.get(API, params={"limit": 500}).json()
        assert listing["total"] >= len(answered)
        for item in listing["items"]:  # saves cut off unanswered either exist whole or not at all
            assert http.get(f"{API}/{item['id']}/revisions/1").status_code == 200
        assert http.post(API, json={"name": "After the restart"}).status_code == 201
    with sqlite3.connect(str(make_url(database_url).database)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _outage_checks(http: httpx.Client) -> None:
    """What a client sees while the database is away."""
    down = http.post(API, json={"name": "During the outage"})
    assert down.status_code == 503, down.text
    assert "database is unavailable" in down.json()["detail"]
    assert down.headers["retry-after"].isdigit()
    assert down.headers["x-request-id"]


def _recovers(http: httpx.Client, timeout_s: float = 30.0) -> float:
    started = time.monotonic()
    while True:
        response = http.post(API, json={"name": "After the outage"})
        if response.status_code == 201:
            return time.monotonic() - started
        assert response.status_code == 503, response.text
        assert time.monotonic() - started < timeout_s, "the app did not recover by itself"
        time.sleep(0.25)


SHARED_POSTGRESQL = pytest.mark.xdist_group("faults-postgresql-server")
"""The tests on `postgresql_server`: on one pytest-xdist worker, so that they start it once."""


@dataclass
class Behind:
    """A server whose PostgreSQL database is reached through a proxy that can cut it off."""

    server: Server
    proxy: Proxy


@pytest.fixture(scope="module")
def postgresql_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Behind]:
    """One `serve` on a new PostgreSQL database, through a proxy: the two editors race on it,
    and the outage test cuts the proxy, then puts it back and waits for the server to recover."""
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIPPED)
    folder = tmp_path_factory.mktemp("postgresql-server")
    direct = new_postgres_database("llm_tco_faults")
    target = make_url(direct)
    proxy = Proxy(target.host or "127.0.0.1", target.port or 5432)
    through = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    # one worker: its threads race the two editors through two pooled connections as well as two
    # workers would, and a second worker would double the start, most of these tests' time
    server = Server(through, folder, workers=1, DB_POOL_TIMEOUT_S="3")
    try:
        server.start()
        yield Behind(server, proxy)
    finally:
        server.stop()
        proxy.down()
        drop_postgres_database(direct)


def test_sqlite_locked_by_another_process_is_503_then_recovers(tmp_path: Path, servers: list[Server]) -> None:
    """SQLite's outage: another process holds the write lock (a backup, a hand-run transaction) past the
    busy timeout. Writes answer 503; reads go on (WAL); when the lock is released writes work again."""
    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    # another process holds the lock, so one worker shows it as well as two
    server = Server(url, tmp_path, workers=1, SQLITE_BUSY_TIMEOUT_MS="500")
    servers.append(server)
    server.start()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        before = http.post(API, json={"name": "Before the lock"}).json()
        holder = sqlite3.connect(str(make_url(url).database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            _outage_checks(http)
            assert http.get(f"{API}/{before['id']}").json() == before  # readers do not wait for the writer
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        _recovers(http)
        assert server.alive()


def _race(editors: list[httpx.Client], url: str, revision: int) -> dict[int, int]:
    """Both editors PUT an edit of `revision` at the same instant; their statuses by editor."""
    barrier = threading.Barrier(len(editors))
    statuses: dict[int, int] = {}

    def edit(i: int) -> None:
        body = {"revision": revision, "scenario": {"name": f"Editor {i}, from revision {revision}"}}
        barrier.wait()
        statuses[i] = editors[i].put(url, json=body).status_code

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(len(editors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return statuses


SHARED_SQLITE = pytest.mark.xdist_group("faults-sqlite-server")
"""The tests on `sqlite_server`: on one pytest-xdist worker, so that they start it once."""


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `serve --workers 2` on a SQLite file, for the tests that only add rows of their own to it (the
    two editors' scenario, the metrics' GETs of the presets, which nothing else here asks for)."""
    folder = tmp_path_factory.mktemp("sqlite-server")
    server = Server(f"sqlite:///{folder / 'shared.sqlite3'}", folder)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.mark.parametrize("rounds", [3])  # each round a race; a lost one waits out SQLite's lock
@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("sqlite", marks=SHARED_SQLITE),
        pytest.param("postgresql", marks=SHARED_POSTGRESQL),
    ],
)
def test_two_editors_same_revision_one_wins_other_409(
    backend: str, rounds: int, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        server: Server = request.getfixturevalue("sqlite_server")
    else:
        server = request.getfixturevalue("postgresql_server").server
    editors = [httpx.Client(base_url=server.url, timeout=30) for _ in range(2)]
    try:
        sid = editors[0].post(API, json={"name": "Contended"}).json()["id"]
        for revision in range(1, rounds + 1):
            statuses = _race(editors, f"{API}/{sid}", revision)
            assert sorted(statuses.values()) == [200, 409], statuses
            winner = next(i for i, status in statuses.items() if status == 200)
            latest = editors[0].get(f"{API}/{sid}").json()
            assert latest["latest_revision"] == revision + 1
            assert latest["revision"]["inputs"]["name"] == f"Editor {winner}, from revision {revision}"
        numbers = [r["number"] for r in editors[0].get(f"{API}/{sid}/revisions").json()]
        assert numbers == list(range(1, rounds + 2))
    finally:
        for editor in editors:
            editor.close()


@SHARED_SQLITE
def test_metrics_are_the_sum_over_every_worker(sqlite_server: Server) -> None:
    """/metrics, answered by either worker, counts the requests both answered (the log says who did).
    Only this test asks `sqlite_server` for the presets, so their count is this test's 120."""
    server = sqlite_server
    deadline = time.monotonic() + 60
    while server.log.read_text().count("Application startup complete") < 2:  # both workers, not just the first
        assert time.monotonic() < deadline, server.tail()
        time.sleep(0.2)

    def get(_: int) -> int:
        return httpx.get(f"{server.url}/api/v1/presets", timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(get, range(120))) == {200}
    scrape = httpx.get(f"{server.url}/metrics", timeout=30).text
    sample = 'llm_tco_requests_total{method="GET",route="/api/v1/presets",status="200"} '
    counted = next(float(line.removeprefix(sample)) for line in scrape.splitlines() if line.startswith(sample))
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    by_worker = Counter(line["pid"] for line in lines if line.get("route") == "/api/v1/presets")
    assert counted == sum(by_worker.values()) == 120
    assert len(by_worker) == 2, f"one worker answered everything: {by_worker}"


@SHARED_POSTGRESQL
def test_postgresql_going_away_is_503_then_recovers_by_itself(postgresql_server: Behind) -> None:
    server, proxy = postgresql_server.server, postgresql_server.proxy
    with httpx.Client(base_url=server.url, timeout=30) as http:
        before = http.post(API, json={"name": "Before the outage"}).json()
        assert http.get(API).status_code == 200
        proxy.down()
        try:
            _outage_checks(http)
            for _ in range(3):  # every pooled connection: each answers 503, none hangs
                listing = http.get(API)
                assert listing.status_code == 503, listing.text
            page = http.get("/scenarios")
            assert page.status_code == 503
            assert "database is unavailable" in page.text
            assert http.get("/healthz").status_code == 200  # the process is fine: do not restart it
            ready = http.get("/readyz")
            assert ready.status_code == 503
            assert "unreachable" in ready.json()["database"]
        finally:
            proxy.up()
        waited = _recovers(http)
        assert http.get(f"{API}/{before['id']}").json() == before
        assert http.get("/readyz").status_code == 200
        assert server.alive()
        errors = [line for line in http.get("/metrics").text.splitlines() if "database_unavailable" in line]
        assert errors and float(errors[-1].split()[-1]) >= 4
        print(f"recovered {waited:.2f} s after the database came back")
