"""Engines and sessions. One engine per database URL and process (each worker has its own pool)."""

from __future__ import annotations

import functools
import os
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
            if not in_memory:
                _OPENED.setdefault(url, _identity(str(parsed.database)))
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=FULL")  # each commit is on disk before it is answered
            cursor.close()

    return engine


_OPENED: dict[str, tuple[int, int] | None] = {}
"""Device and inode of each SQLite file when this process first connected to it."""


def _identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def sqlite_file_problem(url: str) -> str:
    """Why the SQLite file of `url` is no longer the one this process opened ("" when it is, or when
    the URL is not a SQLite file). Open connections keep a removed or replaced file alive, so a query
    still succeeds while every write goes to a file nobody will read again."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return ""
    opened = _OPENED.get(url)
    if opened is None:
        return ""  # not opened yet by this process
    now = _identity(str(parsed.database))
    if now is None:
        return f"the SQLite file {parsed.database} was removed after this process opened it: restore it and restart"
    if now != opened:
        return (
            f"the SQLite file {parsed.database} was replaced after this process opened it: restart to open the new one"
        )
    return ""


DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
"""What a lost, refused, locked or saturated database raises: answered 503, never 500."""

UNAVAILABLE_MESSAGE = (
    "The database is unavailable right now, so this request could not be completed. "
    "The app reconnects by itself: try again in a few seconds."
)
