"""Tables. Alembic owns the schema (alembic/versions); `create_all` is only for tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, DateTime, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in and out: SQLite keeps no zone, so one is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: use datetime.now(UTC)")
        return None if value is None else value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _utc(**kwargs: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


class ScenarioRow(SQLModel, table=True):
    """A saved scenario: a name over a history of revisions. Archived, never deleted."""

    __tablename__ = "scenario"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    description: str = Field(default="", max_length=5000)
    latest_revision: int = Field(default=1, ge=1)
    created_at: dt.datetime = _utc(nullable=False)
    updated_at: dt.datetime = _utc(nullable=False, index=True)
    archived_at: dt.datetime | None = _utc(nullable=True)


class RevisionRow(SQLModel, table=True):
    """One immutable state of a scenario: its inputs, the prices it used, and its headline figures.

    Nothing updates a revision once written; an edit or a re-price adds the next one.
    """

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("scenario_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True)
    number: int = Field(ge=1)
    action: str = Field(max_length=20)
    """created, edited or repriced."""
    author: str = Field(max_length=200)
    created_at: dt.datetime = _utc(nullable=False)
    inputs: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The scenario document, every default filled in."""
    prices: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The PriceSheet it was computed with, frozen."""
    catalog_version: str = Field(max_length=200)
    totals: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """Total USD per strategy, for lists and diffs without recomputing."""
    recommendation: str = Field(max_length=20)
    tco_ratio: float | None = None
