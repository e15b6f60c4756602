"""Tables. Alembic owns the schema (alembic/versions); `create_all` is only for tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, DateTime, TypeDecorator, UniqueConstraint, event
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
    status: str = Field(default="draft", max_length=20, sa_column_kwargs={"server_default": "draft"})
    """draft, in_review, approved or changes_requested (app/review.py moves it)."""
    approved_revision: int | None = None
    """The revision a reviewer approved last; it stays visible while later edits are drafts."""


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


# --- teams: accounts, sign-in, tokens, and the review trail (issue 6) ---

ROLES = ("admin", "editor", "reviewer", "viewer")
STATUSES = ("draft", "in_review", "approved", "changes_requested")


class UserRow(SQLModel, table=True):
    """An account. Disabled, never deleted: the trail names its actions by username."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    """Lower case: letters, digits, `.`, `_` and `-`."""
    role: str = Field(max_length=20)
    """admin, editor, reviewer or viewer."""
    password_hash: str = Field(max_length=500)
    """Argon2id (pwdlib)."""
    created_at: dt.datetime = _utc(nullable=False)
    disabled_at: dt.datetime | None = _utc(nullable=True)


class SessionRow(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, and signing
    out deletes the row, so a copied cookie stops working at once."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: dt.datetime = _utc(nullable=False)
    expires_at: dt.datetime = _utc(nullable=False)


class ApiTokenRow(SQLModel, table=True):
    """A bearer token for /api/v1, shown once; stored as its SHA-256."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=20)
    """The token's first characters, to tell tokens apart in lists."""
    token_hash: str = Field(max_length=64, unique=True)
    scope: str = Field(max_length=10)
    """read (GET only: CSV and JSON for spreadsheets) or write (whatever the owner's role allows)."""
    created_at: dt.datetime = _utc(nullable=False)
    expires_at: dt.datetime = _utc(nullable=False)
    last_used_at: dt.datetime | None = _utc(nullable=True)
    revoked_at: dt.datetime | None = _utc(nullable=True)


class SignInFailureRow(SQLModel, table=True):
    """Failed sign-ins in a row, per account (`user:<name>`) and per address (`addr:<ip>`)."""

    __tablename__ = "sign_in_failure"

    key: str = Field(max_length=300, primary_key=True)
    failures: int = 0
    last_at: dt.datetime = _utc(nullable=False)


class CommentRow(SQLModel, table=True):
    """A comment on one revision of a scenario."""

    __tablename__ = "comment"

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True)
    revision: int = Field(ge=1)
    author: str = Field(max_length=64)
    body: str = Field(max_length=5000)
    created_at: dt.datetime = _utc(nullable=False)


class AuditRow(SQLModel, table=True):
    """One entry of the append-only audit log: who did what, when, to which revision.

    The database refuses UPDATE and DELETE on this table, and TRUNCATE on PostgreSQL (triggers below,
    also made by the migrations).
    """

    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _utc(nullable=False, index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=40)
    scenario_id: int | None = Field(default=None, foreign_key="scenario.id", index=True)
    revision: int | None = None
    detail: str = Field(default="", max_length=2000)


class ShareLinkRow(SQLModel, table=True):
    """A read-only link to one revision for someone without an account; stored as its SHA-256."""

    __tablename__ = "share_link"

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True)
    revision: int = Field(ge=1)
    token_hash: str = Field(max_length=64, unique=True)
    created_by: str = Field(max_length=64)
    created_at: dt.datetime = _utc(nullable=False)
    expires_at: dt.datetime = _utc(nullable=False)
    revoked_at: dt.datetime | None = _utc(nullable=True)


APPEND_ONLY_SQLITE = [
    f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
    f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
]
"""The statements that make `audit` append-only, per dialect, as migration a8cc9c0496a9 runs them (it
imports these two lists, so they must not change: a new statement goes in a new migration and below)."""
NO_TRUNCATE_POSTGRESQL = [
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
]
"""PostgreSQL's TRUNCATE fires no DELETE trigger: it is refused by one of its own, the statement that
migration 5d7f9b1c3e42 runs (tests/test_audit_append_only.py checks that both schemas have the same
triggers). SQLite has no TRUNCATE."""


@event.listens_for(AuditRow.__table__, "after_create")  # type: ignore[attr-defined]
def _append_only(table: Any, connection: Any, **_: Any) -> None:
    """After `create_all` (tests): the triggers the migrations make, per dialect."""
    statements = {
        "sqlite": APPEND_ONLY_SQLITE,
        "postgresql": [*APPEND_ONLY_POSTGRESQL, *NO_TRUNCATE_POSTGRESQL],
    }.get(connection.dialect.name, [])
    for statement in statements:
        connection.exec_driver_sql(statement)
