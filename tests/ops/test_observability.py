"""What an operator relies on, in process: probes, request ids, the request log, metrics, 503 for a
database that is away (pages, API and the guard's own lookups), and the SQLite and pool settings."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opskit import TEST_KEY
from sqlalchemy import text
from sqlmodel import Session, SQLModel, create_engine
from typer.testing import CliRunner

from app.auth import accounts, keys
from app.cli import _metrics_folder
from app.cli import app as cli
from app.db.migrate import upgrade
from app.db.session import get_engine
from app.main import create_app
from app.observability import JsonFormatter, TextFormatter
from app.settings import Settings

DEAD_DATABASE = "postgresql+psycopg://nobody:nothing@127.0.0.1:1/none"  # port 1: refused at once
SAMPLE = re.compile(r"^(\w+)\{(.*)\} ([0-9.e+-]+)$")


def _settings(url: str, **extra: object) -> Settings:
    return Settings(database_url=url, seed_presets=False, secret_key=TEST_KEY, **extra)  # type: ignore[arg-type]


def _client(settings: Settings) -> TestClient:
    app = create_app(settings)
    csrf = keys.csrf_token(keys.secret(TEST_KEY), "local")
    return TestClient(app, headers={"X-CSRF-Token": csrf}, raise_server_exceptions=False)


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'ops.sqlite3'}"
    upgrade(url)
    yield url
    get_engine(url).dispose()


def metric(client: TestClient, name: str, **labels: str) -> float:
    """A sample's value from /metrics (0 when absent)."""
    wanted = {f'{k}="{v}"' for k, v in labels.items()}
    for line in client.get("/metrics").text.splitlines():
        match = SAMPLE.match(line)
        if match and match[1] == name and wanted == set(match[2].split(",")):
            return float(match[3])
    return 0.0


def test_healthz_and_readyz_on_a_migrated_database(migrated: str) -> None:
    with _client(_settings(migrated)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        assert ready.json()["migrations"].startswith("at head ")
        assert ready.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_readyz_is_503_when_the_sqlite_file_is_not_the_one_opened(migrated: str, tmp_path: Path, how: str) -> None:
    """Open connections keep a removed file alive: queries still answer, and every write would go to a
    file nobody reads again. /readyz compares the file's device and inode with those it opened."""
    path = tmp_path / "ops.sqlite3"
    with _client(_settings(migrated)) as client:
        assert client.get("/readyz").status_code == 200
        path.unlink()
        if how == "replaced":
            path.write_bytes(b"")  # a new file at the same path: another inode
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"] == (
            f"the SQLite file {path} was {how} after this process opened it: "
            + ("restore it and restart" if how == "removed" else "restart to open the new one")
        )
        assert client.get("/healthz").status_code == 200


def test_readyz_is_503_and_says_what_to_run_when_the_schema_is_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}"
    SQLModel.metadata.create_all(get_engine(url))  # tables, but no Alembic version: not at head
    with _client(_settings(url)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "run `llm-tco migrate`" in ready.json()["migrations"]
        assert client.get("/healthz").status_code == 200
    get_engine(url).dispose()


def test_an_unreachable_database_is_503_with_a_message_on_api_and_pages() -> None:
    with _client(_settings(DEAD_DATABASE)) as client:
        before = metric(client, "llm_tco_errors_total", kind="database_unavailable")
        api = client.get("/api/v1/scenarios")
        assert api.status_code == 503
        assert api.json()["detail"].startswith("The database is unavailable right now")
        assert api.headers["retry-after"] == "5"
        saved = client.post("/api/v1/scenarios", json={"name": "Lost?"})
        assert saved.status_code == 503
        page = client.get("/scenarios")
        assert page.status_code == 503
        assert "text/html" in page.headers["content-type"]
        assert "The database is unavailable right now" in page.text
        assert "content-security-policy" in page.headers
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"].startswith("unreachable")
        assert client.post("/api/v1/estimate", json={}).status_code == 200  # estimates need no database
        assert metric(client, "llm_tco_errors_total", kind="database_unavailable") == before + 3


def test_the_guard_answers_503_when_it_cannot_look_a_caller_up(migrated: str) -> None:
    """Team mode: sessions and tokens are looked up before any route runs, outside the app's handlers."""
    settings = _settings(migrated, auth_required=True)
    app = create_app(settings)
    dead = create_engine(DEAD_DATABASE)
    app.state.session_factory = lambda: Session(dead)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.get("/api/v1/scenarios", headers={"Authorization": "Bearer tco_" + "x" * 40})
        assert api.status_code == 503
        assert api.json()["detail"].startswith("The database is unavailable right now")
        client.cookies.set("tco_session", keys.sign(keys.secret(TEST_KEY), "y" * 43))
        page = client.get("/scenarios")
        assert page.status_code == 503
        assert "The database is unavailable right now" in page.text


def test_every_answer_has_a_request_id_and_a_tame_one_from_the_proxy_is_kept(migrated: str) -> None:
    with _client(_settings(migrated)) as client:
        ids = {client.get(path).headers["x-request-id"] for path in ("/healthz", "/no-such-page", "/api/v1/presets")}
        assert len(ids) == 3
        assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
        kept = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a.42:1"})
        assert kept.headers["x-request-id"] == "edge-7f3a.42:1"
        for bad in (b"two words", b"x" * 101, b"<script>", "é".encode()):
            replaced = client.get("/healthz", headers={"X-Request-ID": bad})
            assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])


def test_one_log_line_per_request_with_route_status_duration_and_no_share_secret(
    migrated: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "S3cretShareToken_" + "q" * 30
    with _client(_settings(migrated)) as client, caplog.at_level(logging.INFO, logger="llm_tco.request"):
        response = client.get("/api/v1/presets", headers={"X-Request-ID": "req-1"})
        client.get(f"/shared/{secret}")
        client.get("/healthz")  # probes are logged at debug level only
    lines = [r for r in caplog.records if r.name == "llm_tco.request"]
    assert [(r.method, r.route, r.status) for r in lines] == [  # type: ignore[attr-defined]
        ("GET", "/api/v1/presets", 200),
        ("GET", "/shared/{token}", 404),
    ]
    first = lines[0]
    assert first.request_id == "req-1" == response.headers["x-request-id"]  # type: ignore[attr-defined]
    assert first.duration_ms > 0  # type: ignore[attr-defined]
    assert secret not in caplog.text
    assert lines[1].path == "/shared/{token}"  # type: ignore[attr-defined]
    doc = json.loads(JsonFormatter().format(first))
    assert {"time", "level", "logger", "message", "pid", "request_id", "method", "route", "status"} <= set(doc)
    assert doc["level"] == "info"
    assert doc["time"].endswith("+00:00")
    assert "request_id=req-1" in TextFormatter().format(first)


def test_metrics_count_requests_latency_and_estimates(migrated: str) -> None:
    with _client(_settings(migrated)) as client:
        scrape = client.get("/metrics")
        assert scrape.headers["content-type"].startswith("text/plain")
        labels = {"method": "GET", "route": "/api/v1/scenarios/{scenario_id}", "status": "404"}
        requests = metric(client, "llm_tco_requests_total", **labels)
        latency = metric(
            client, "llm_tco_request_duration_seconds_count", method="GET", route="/api/v1/scenarios/{scenario_id}"
        )
        point = metric(client, "llm_tco_estimates_total", kind="point")
        monte_carlo = metric(client, "llm_tco_estimates_total", kind="monte_carlo")
        for n in (7, 8, 9):
            assert client.get(f"/api/v1/scenarios/{n}").status_code == 404
        assert client.post("/api/v1/estimate", json={}).status_code == 200
        assert client.post("/api/v1/estimate/batch", json={"scenarios": [{}, {}, {}]}).status_code == 200
        ranged = {"ranges": {"team.label_cost_usd": {"low": 5, "high": 20}}, "uncertainty": {"draws": 100}}
        assert client.post("/api/v1/estimate?uncertainty=true", json=ranged).status_code == 200
        assert metric(client, "llm_tco_requests_total", **labels) == requests + 3
        assert (
            metric(
                client, "llm_tco_request_duration_seconds_count", method="GET", route="/api/v1/scenarios/{scenario_id}"
            )
            == latency + 3
        )
        assert metric(client, "llm_tco_estimates_total", kind="point") == point + 4
        assert metric(client, "llm_tco_estimates_total", kind="monte_carlo") == monte_carlo + 1
        client.get("/no/such/page")
        assert metric(client, "llm_tco_requests_total", method="GET", route="(unmatched)", status="404") >= 1


def test_sqlite_files_are_wal_with_a_busy_timeout_and_full_sync(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pragmas.sqlite3'}"
    with get_engine(url).connect() as connection:
        pragma = {p: connection.execute(text(f"PRAGMA {p}")).scalar() for p in ("journal_mode", "busy_timeout")}
        pragma |= {p: connection.execute(text(f"PRAGMA {p}")).scalar() for p in ("synchronous", "foreign_keys")}
    assert pragma == {"journal_mode": "wal", "busy_timeout": 5000, "synchronous": 2, "foreign_keys": 1}
    get_engine(url).dispose()


def test_postgresql_engines_pool_by_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.settings import get_settings

    monkeypatch.setenv("DB_POOL_SIZE", "7")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "3")
    monkeypatch.setenv("DB_POOL_TIMEOUT_S", "2.5")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        engine = get_engine("postgresql+psycopg://u:p@127.0.0.1:1/pooled")
        assert (engine.pool.size(), engine.pool._max_overflow, engine.pool._timeout) == (7, 3, 2.5)  # type: ignore[attr-defined]
        assert engine.pool._pre_ping  # type: ignore[attr-defined]
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()


def test_serve_refuses_reload_with_several_workers() -> None:
    result = CliRunner().invoke(cli, ["serve", "--workers", "2", "--reload"])
    assert result.exit_code == 1
    assert "--reload serves one worker" in result.output


def test_the_metrics_folder_is_emptied_at_each_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"old counts")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    _metrics_folder(8000)
    assert list(folder.iterdir()) == []


def test_a_token_lookup_still_works_after_the_guard_change(migrated: str) -> None:
    """The guard's lookups, wrapped for 503, still let a good token in."""
    settings = _settings(migrated, auth_required=True)
    with Session(get_engine(migrated)) as session:
        user = accounts.create_user(session, username="ops", role="viewer", password="a long password 1", actor="t")
        _, secret = accounts.create_token(session, user=user, name="t", scope="read", days=1)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/scenarios", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
