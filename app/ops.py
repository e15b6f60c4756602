"""Probes and metrics for whoever runs the app: /healthz, /readyz and /metrics (docs/deploy.md)."""

from __future__ import annotations

from typing import Any

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from app import offload
from app.db.migrate import head
from app.db.session import DATABASE_UNAVAILABLE, sqlite_file_problem
from app.observability import metrics_body

router = APIRouter(include_in_schema=False)


def readiness(session_factory: Any, database_url: str = "") -> tuple[bool, dict[str, str]]:
    """(ready, why): the database answers, its schema is the one this code was written for, and a
    SQLite file is still the one this process opened."""
    try:
        with session_factory() as session:
            connection = session.connection()
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_revision()
    except DATABASE_UNAVAILABLE as exc:
        return False, {"status": "unavailable", "database": f"unreachable ({type(exc).__name__})"}
    replaced = sqlite_file_problem(database_url) if database_url else ""
    if replaced:
        return False, {"status": "unavailable", "database": replaced}
    if current != head():
        migrations = f"at {current or 'no schema'}, not at head {head()}: run `llm-tco migrate`"
        return False, {"status": "unavailable", "database": "reachable", "migrations": migrations}
    return True, {"status": "ready", "database": "reachable", "migrations": f"at head {head()}"}


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving: restart it when this fails."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Send it traffic: 200 when the database is reachable and migrated to head, else 503 and why. On the
    probes' own threads (app/offload.py): a pool taken by heavy requests does not make it late."""
    app = request.app
    ready, body = await offload.probe(app, readiness, app.state.session_factory, app.state.settings.database_url)
    return JSONResponse(body, status_code=200 if ready else 503, headers={"cache-control": "no-store"})


@router.get("/metrics")
def metrics() -> Response:
    """Prometheus text format: requests, latency, estimates computed and errors (all workers' sums)."""
    body, content_type = metrics_body()
    return Response(body, media_type=content_type, headers={"cache-control": "no-store"})
