"""The audit log is append-only in the database itself: UPDATE and DELETE are refused on SQLite and
PostgreSQL, TRUNCATE on PostgreSQL, whether the schema was made by the migrations or by `create_all`;
and the app, run as a PostgreSQL role that owns nothing (docs/app-role.sql, quoted in docs/deploy.md),
cannot take the triggers away.

The databases are tests/test_migrations.py's `empty_db` (a new SQLite file, or a new PostgreSQL schema
when TEST_POSTGRES_URL is set, by scripts/with-postgres.sh; skipped with the reason when unset). tests/
has no packages, so that module is loaded by its path and its fixture re-exported; nothing is copied.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, func, select
from suitekit import TESTS, load

from app.db.migrate import at_head, downgrade, upgrade
from app.db.models import AuditRow, ScenarioRow, utcnow
from app.db.session import get_engine

_migrations = load("tests_migrations_fixtures", TESTS / "test_migrations.py")

empty_db = _migrations.empty_db
POSTGRES_URL: str = _migrations.POSTGRES_URL
only_postgres = pytest.mark.skipif(not POSTGRES_URL, reason=_migrations.POSTGRES_SKIPPED)

ROOT = Path(__file__).resolve().parent.parent
APP_ROLE_SQL = ROOT / "docs" / "app-role.sql"
DEPLOY_MD = ROOT / "docs" / "deploy.md"
REFUSED = "append-only"
NOT_OWNER = r"must be owner|permission denied"


def _add_entry(url: str, detail: str = "kept") -> None:
    with Session(get_engine(url)) as session:
        session.add(AuditRow(at=utcnow(), actor="t", action="created", detail=detail))
        session.commit()


def _details(url: str) -> list[str]:
    with Session(get_engine(url)) as session:
        return list(session.exec(select(AuditRow.detail).order_by(AuditRow.id)).all())


def _refused(url: str, statement: str, match: str = REFUSED) -> None:
    """`statement` fails with an error whose message matches `match`, in a transaction of its own."""
    with pytest.raises(DBAPIError, match=match), get_engine(url).begin() as connection:
        connection.exec_driver_sql(statement)


def _triggers(connection: Connection) -> list[tuple[str, str]]:
    """The audit table's triggers, (name, definition), as the database reports them."""
    if connection.dialect.name == "postgresql":
        sql = (
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = 'audit'::regclass AND NOT tgisinternal ORDER BY tgname"
        )
    else:
        sql = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit' ORDER BY name"
    return [(name, definition) for name, definition in connection.execute(text(sql)).all()]


@pytest.mark.parametrize("made_by", ["migrations", "create_all"])
def test_the_audit_log_refuses_update_delete_and_truncate(empty_db: str, made_by: str) -> None:
    if made_by == "migrations":
        upgrade(empty_db)
    else:
        SQLModel.metadata.create_all(get_engine(empty_db))
    _add_entry(empty_db)

    _refused(empty_db, "UPDATE audit SET detail = 'changed'")
    _refused(empty_db, "DELETE FROM audit")
    if get_engine(empty_db).dialect.name == "postgresql":  # SQLite has no TRUNCATE
        _refused(empty_db, "TRUNCATE audit")
    assert _details(empty_db) == ["kept"]

    _add_entry(empty_db, "appended")  # appending still works
    assert _details(empty_db) == ["kept", "appended"]


def test_the_migrations_and_create_all_make_the_same_triggers(empty_db: str) -> None:
    """NO_TRUNCATE_POSTGRESQL (app/db/models.py) and migration 5d7f9b1c3e42 each write the statement out."""
    upgrade(empty_db)
    with get_engine(empty_db).connect() as connection:
        migrated = _triggers(connection)
    downgrade(empty_db)
    with get_engine(empty_db).begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    SQLModel.metadata.create_all(get_engine(empty_db))
    with get_engine(empty_db).connect() as connection:
        assert _triggers(connection) == migrated
        expected = {"audit_no_update", "audit_no_delete"}
        if connection.dialect.name == "postgresql":
            expected = {"audit_append_only", "audit_no_truncate"}
        assert {name for name, _ in migrated} == expected


def test_the_truncate_trigger_comes_and_goes_with_its_migration(empty_db: str) -> None:
    upgrade(empty_db, "3c5e7a9b1d20")
    with get_engine(empty_db).connect() as connection:
        before = _triggers(connection)
    upgrade(empty_db)
    with get_engine(empty_db).connect() as connection:
        after = _triggers(connection)
    downgrade(empty_db, "3c5e7a9b1d20")
    with get_engine(empty_db).connect() as connection:
        assert _triggers(connection) == before
    added = {name for name, _ in after} - {name for name, _ in before}
    assert added == ({"audit_no_truncate"} if get_engine(empty_db).dialect.name == "postgresql" else set())


# --- the app as a role that owns nothing (docs/app-role.sql, docs/deploy.md) ---


def test_deploy_md_quotes_the_app_role_sql_verbatim() -> None:
    assert APP_ROLE_SQL.read_text() in DEPLOY_MD.read_text()


def psql_statements(sql: str, **variables: str) -> list[str]:
    """The statements of a psql script with its :"name" (identifier) and :'name' (literal) variables
    filled in, as `psql -v name=value` does; comments and blank lines dropped."""

    def fill(match: re.Match[str]) -> str:
        quote, value = match.group(1), variables[match.group(2)]
        return quote + value.replace(quote, quote * 2) + quote

    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    filled = re.sub(r""":(["'])(\w+)\1""", fill, "\n".join(lines))
    return [statement.strip() for statement in filled.split(";") if statement.strip()]


def test_psql_statements_fills_identifiers_and_literals() -> None:
    sql = '-- a comment\nCREATE ROLE :"app" PASSWORD :\'password\';\nGRANT x\n    TO :"app";\n'
    assert psql_statements(sql, app='a"b', password="it's") == [
        "CREATE ROLE \"a\"\"b\" PASSWORD 'it''s'",
        'GRANT x\n    TO "a""b"',
    ]


@dataclass
class Roles:
    owner_url: str
    app_url: str
    app: str
    schema: str


def _role_url(user: str, password: str, schema: str) -> str:
    url = make_url(POSTGRES_URL).set(username=user, password=password)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture
def roles() -> Iterator[Roles]:
    """An owner role (not a superuser) that owns a new schema and migrated it to head, and an app role
    made by docs/app-role.sql as a superuser runs it; both dropped afterwards (roles are per server)."""
    suffix = uuid.uuid4().hex[:12]
    owner, app, schema = f"tco_owner_{suffix}", f"tco_app_{suffix}", f"roles_{suffix}"
    owner_password, app_password = uuid.uuid4().hex, uuid.uuid4().hex
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE \"{owner}\" LOGIN PASSWORD '{owner_password}'")
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{owner}"')
    owner_url, app_url = _role_url(owner, owner_password, schema), _role_url(app, app_password, schema)
    try:
        upgrade(owner_url)
        statements = psql_statements(
            APP_ROLE_SQL.read_text(),
            app=app,
            password=app_password,
            owner=owner,
            schema=schema,
            DBNAME=str(make_url(POSTGRES_URL).database),
        )
        with admin.connect() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
        yield Roles(owner_url=owner_url, app_url=app_url, app=app, schema=schema)
    finally:
        get_engine(owner_url).dispose()
        get_engine(app_url).dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            for role in (app, owner):
                exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
                if exists:  # DROP OWNED: its privileges, default privileges included, go first
                    connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                    connection.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()


@only_postgres
def test_the_app_role_reads_and_writes_the_tables(roles: Roles) -> None:
    now = utcnow()
    with Session(get_engine(roles.app_url)) as session:
        scenario = ScenarioRow(name="As the app", created_at=now, updated_at=now)
        session.add(scenario)
        session.flush()
        session.add(AuditRow(at=now, actor="t", action="created", scenario_id=scenario.id, detail="kept"))
        session.commit()
    with Session(get_engine(roles.app_url)) as session:
        assert session.exec(select(ScenarioRow.name)).all() == ["As the app"]
        assert session.exec(select(func.count()).select_from(AuditRow)).one() == 1
        session.exec(select(ScenarioRow)).one().name = "Renamed"  # UPDATE elsewhere is allowed
        session.commit()
    assert at_head(roles.app_url)  # it reads alembic_version (/readyz does)


@only_postgres
def test_the_app_role_cannot_take_the_audit_triggers_away(roles: Roles) -> None:
    _add_entry(roles.app_url)
    for statement in (
        "ALTER TABLE audit DISABLE TRIGGER ALL",
        "ALTER TABLE audit DISABLE TRIGGER audit_append_only",
        "ALTER TABLE audit DISABLE TRIGGER audit_no_truncate",
        "DROP TRIGGER audit_append_only ON audit",
        "DROP TRIGGER audit_no_truncate ON audit",
        "DROP FUNCTION audit_append_only() CASCADE",
        "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RETURN NULL; END $$",
        "DROP TABLE audit",
        "ALTER TABLE audit RENAME TO audit_old",
        "TRUNCATE audit",
        "SET session_replication_role = replica",  # would skip every trigger
    ):
        _refused(roles.app_url, statement, NOT_OWNER)
    _refused(roles.app_url, "UPDATE audit SET detail = 'changed'")
    _refused(roles.app_url, "DELETE FROM audit")
    assert _details(roles.app_url) == ["kept"]
    with get_engine(roles.app_url).connect() as connection:
        assert [name for name, _ in _triggers(connection)] == ["audit_append_only", "audit_no_truncate"]


@only_postgres
def test_migrating_as_the_app_role_is_a_no_op_at_head_and_refused_when_behind(roles: Roles) -> None:
    """What `llm-tco serve` (which migrates first) does under the app role; docs/deploy.md says it."""
    upgrade(roles.app_url)  # at head: nothing to do, nothing written
    assert at_head(roles.app_url)

    downgrade(roles.owner_url, "3c5e7a9b1d20")  # as if a release with a new migration was installed
    with pytest.raises(DBAPIError, match=NOT_OWNER):
        upgrade(roles.app_url)
    with get_engine(roles.owner_url).connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "3c5e7a9b1d20"  # rolled back
    upgrade(roles.owner_url)  # the owner migrates as ever; then the app role is at head again
    assert at_head(roles.app_url)
