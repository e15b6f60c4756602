"""Alembic from Python: upgrade to head, and ask whether a database is at head."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from alembic import command
from app.db.session import get_engine

ALEMBIC_INI = Path(__file__).resolve().parent.parent.parent / "alembic.ini"


def alembic_config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


@functools.cache
def head() -> str:
    """The schema revision this code is written for (there is one head: tests/test_migrations.py checks)."""
    revision = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert revision is not None, "no migrations"
    return revision


def at_head(url: str) -> bool:
    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head()
