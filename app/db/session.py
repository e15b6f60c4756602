"""Engines and sessions. One engine per database URL and process (each worker has its own pool)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import StaticPool
from sqlmodel import create_engine

from app.settings import get_settings


@functools.cache
def get_engine(url: str) -> Engine:
    """SQLite files get their folder created, foreign keys enforced, WAL mode (readers never wait for
    the writer, and a crashed process loses no committed write) and a busy timeout (a write waits for
    another process's write instead of failing); `sqlite://` is one shared in-memory database (tests).
    PostgreSQL gets a pool per process, sized by the DB_POOL_* settings, whose connections are tested
    before use, so the app recovers by itself when the database comes back after an outage."""
    settings = get_settings()
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    sqlite = parsed.get_backend_name() == "sqlite"
    in_memory = sqlite and parsed.database in (None, "", ":memory:")
    if sqlite:
        kwargs["connect_args"] = {"check_same_thread": False}
        if in_memory:
            kwargs["poolclass"] = StaticPool
        else:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs.update(
            pool_pre_ping=True,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_s,
            pool_recycle=1_800,
        )
        if parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 5}  # a dead host: 503 in seconds, not a hung request
    engine = create_engine(url, **kwargs)
    if sqlite:
        busy_ms = settings.sqlite_busy_timeout_ms

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=FULL")  # each commit is on disk before it is answered
            cursor.close()

    return engine


DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
"""What a lost, refused, locked or saturated database raises: answered 503, never 500."""

UNAVAILABLE_MESSAGE = (
    "The database is unavailable right now, so this request could not be completed. "
    "The app reconnects by itself: try again in a few seconds."
)
