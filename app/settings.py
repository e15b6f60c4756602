"""Every setting of the app, in one class. Each is read from the environment (upper case) or `.env`.

docs/settings.md lists them; a test checks that it lists every one.
"""

from __future__ import annotations

import functools

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", use_attribute_docstrings=True)

    database_url: str = "sqlite:///var/llm-tco.sqlite3"
    """SQLAlchemy URL of the database. SQLite by default (the file is created, with its folder);
    PostgreSQL as `postgresql+psycopg://user:password@host/dbname`."""
    host: str = "127.0.0.1"
    """Address `llm-tco serve` binds to."""
    port: int = Field(default=8000, ge=1, le=65535)
    """Port `llm-tco serve` listens on."""
    seed_presets: bool = True
    """Save the bundled presets as scenarios when the database has none (first start)."""
    max_body_bytes: int = Field(default=32_000_000, ge=1_000)
    """Largest request body accepted; a larger one is answered 413."""
    max_batch: int = Field(default=10_000, ge=1, le=100_000)
    """Most scenarios (or sweep values) one `POST /api/v1/estimate/batch` may carry."""
    max_batch_draws: int = Field(default=1_000_000, ge=1, le=100_000_000)
    """Most Monte Carlo draws one `POST /api/v1/estimate/batch?uncertainty=true` may run: the sum of
    `uncertainty.draws` over its scenarios that carry ranges."""
    local_author: str = "local"
    """Author recorded on revisions while the app runs without sign-in."""


@functools.cache
def get_settings() -> Settings:
    return Settings()
