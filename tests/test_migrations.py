"""Alembic owns the schema: upgrade, downgrade and upgrade again on an empty database, then no drift
between the migrated schema and the models (SQLModel.metadata).

Each test runs on a temporary SQLite file and on PostgreSQL (TEST_POSTGRES_URL, set by
scripts/with-postgres.sh; skipped with the reason when unset), there in a schema of its own
(search_path) that is dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, select

from app.db.migrate import alembic_config, at_head, downgrade, upgrade
from app.db.models import RevisionRow, ScenarioRow
from app.db.session import get_engine
from app.engine import Scenario

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
POSTGRES_SKIPPED = "PostgreSQL tests skipped: " + (
    os.environ.get("TEST_POSTGRES_SKIPPED")
    or "TEST_POSTGRES_URL is not set (`make test` sets it through scripts/with-postgres.sh)"
)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason=POSTGRES_SKIPPED))]


@pytest.fixture(params=BACKENDS)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a new SQLite file, or a new PostgreSQL schema first on the search_path."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        yield url
        get_engine(url).dispose()
        return
    schema = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    try:
        yield rendered
    finally:
        get_engine(rendered).dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def tables(url: str) -> set[str]:
    with get_engine(url).connect() as connection:
        return set(inspect(connection).get_table_names())


def drift(url: str, metadata: MetaData) -> list[Any]:
    """What autogenerate would write to bring the database at `url` to `metadata`: [] when they agree.

    Types, nullability, indexes, unique and foreign keys are compared (compare_type; server defaults
    too, though no model has one). SQLModel's AutoString and our UTCDateTime compare as the VARCHAR(n)
    and TIMESTAMP WITH TIME ZONE they render as, on SQLite and PostgreSQL alike, so nothing is filtered.
    """
    with get_engine(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(context, metadata))


def test_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"branched migrations {heads}: merge them"


def test_upgrade_downgrade_upgrade_then_no_drift(empty_db: str) -> None:
    assert tables(empty_db) == set()
    assert not at_head(empty_db)

    upgrade(empty_db)
    assert at_head(empty_db)
    assert tables(empty_db) == {"alembic_version", *SQLModel.metadata.tables}

    downgrade(empty_db)
    assert tables(empty_db) == {"alembic_version"}
    assert not at_head(empty_db)
    with get_engine(empty_db).connect() as connection:
        inspector = inspect(connection)
        if connection.dialect.name == "postgresql":
            assert inspector.get_sequence_names() == []
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 0

    upgrade(empty_db)
    assert at_head(empty_db)
    assert drift(empty_db, SQLModel.metadata) == []


def test_upgrade_twice_is_a_no_op(empty_db: str) -> None:
    upgrade(empty_db)
    upgrade(empty_db)
    assert at_head(empty_db)
    assert drift(empty_db, SQLModel.metadata) == []


def _models_with_changes() -> MetaData:
    """A copy of the models with one change of each kind the drift check must see."""
    changed = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(changed)
    scenario, revision = changed.tables["scenario"], changed.tables["revision"]
    scenario.append_column(Column("owner", String(200), nullable=True))
    Table("team", changed, Column("id", Integer, primary_key=True))
    Index("ix_revision_author", revision.c.author)
    revision.c.catalog_version.type = String(500)
    revision.c.tco_ratio.nullable = False
    return changed


def test_the_drift_check_sees_a_missing_column_table_index_type_and_nullability(empty_db: str) -> None:
    upgrade(empty_db)
    found = drift(empty_db, _models_with_changes())
    flat = [d for item in found for d in (item if isinstance(item, list) else [item])]
    kinds = {d[0] for d in flat}
    assert {"add_column", "add_table", "add_index", "modify_type", "modify_nullable"} <= kinds, found
    assert ("scenario", "owner") in {(d[2], d[3].name) for d in flat if d[0] == "add_column"}
    assert "team" in {d[1].name for d in flat if d[0] == "add_table"}
    assert "ix_revision_author" in {d[1].name for d in flat if d[0] == "add_index"}


def test_revisions_saved_before_the_calendar_get_the_month_after_they_were_saved(empty_db: str) -> None:
    """3c5e7a9b1d20: without a stored start_month a revision would start "next month" whenever it is
    read. 2026-11-23 -> 2026-12; 2026-12-31 23:30 UTC -> 2027-01 (the year turns); a stored month stays."""
    upgrade(empty_db, "a8cc9c0496a9")
    saved = {
        dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC): None,
        dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC): None,
        dt.datetime(2026, 11, 1, tzinfo=dt.UTC): "2025-03",
    }
    doc = Scenario().model_dump(mode="json")
    del doc["start_month"], doc["fine_tuning"]["move_to"]  # as the code before the calendar saved it
    with Session(get_engine(empty_db)) as session:
        row = ScenarioRow(name="Old", created_at=min(saved), updated_at=max(saved), latest_revision=len(saved))
        session.add(row)
        session.flush()
        for number, (at, month) in enumerate(saved.items(), 1):
            inputs = doc if month is None else doc | {"start_month": month}
            revision = RevisionRow(
                scenario_id=row.id, number=number, action="edited", author="t", created_at=at, inputs=inputs,
                prices={}, catalog_version="v", totals={}, recommendation="prompting",
            )  # fmt: skip
            session.add(revision)
        session.commit()

    def months() -> list[str | None]:
        with Session(get_engine(empty_db)) as session:
            revisions = session.exec(select(RevisionRow).order_by(RevisionRow.number)).all()
            return [r.inputs.get("start_month") for r in revisions]

    upgrade(empty_db)
    assert months() == ["2026-12", "2027-01", "2025-03"]
    with Session(get_engine(empty_db)) as session:
        for r in session.exec(select(RevisionRow)).all():
            Scenario.model_validate(r.inputs)  # today's code reads every one of them
    downgrade(empty_db, "a8cc9c0496a9")
    assert months() == [None, None, None]  # the code before the calendar refuses fields it does not know


def test_finance_inputs_leave_the_revisions_on_a_downgrade_and_read_at_their_defaults(empty_db: str) -> None:
    """7b2d4f6a8c10: a revision saved before issue 16 (no finance, no own cost lines) reads at today's
    defaults; one saved with them loses them on a downgrade, as the older code refuses unknown inputs."""
    upgrade(empty_db, "5d7f9b1c3e42")
    old = Scenario().model_dump(mode="json")
    del old["finance"], old["extra_costs"], old["prompting"]["prompt_weeks_sunk"]  # as the code before saved it
    new = Scenario.model_validate(
        {
            "finance": {"currency": "EUR", "usd_to_currency": 0.9},
            "extra_costs": [{"name": "Audit", "strategies": ["rag"], "monthly_usd": 10}],
            "ranges": {
                "extra_costs.0.monthly_usd": {"low": 5, "high": 20},
                "team.label_cost_usd": {"low": 5, "high": 20},
            },
        }
    ).model_dump(mode="json")
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with Session(get_engine(empty_db)) as session:
        row = ScenarioRow(name="Both", created_at=at, updated_at=at, latest_revision=2)
        session.add(row)
        session.flush()
        for number, inputs in enumerate((old, new), 1):
            session.add(
                RevisionRow(
                    scenario_id=row.id, number=number, action="edited", author="t", created_at=at, inputs=inputs,
                    prices={}, catalog_version="v", totals={}, recommendation="prompting",
                )
            )  # fmt: skip
        session.commit()

    def revisions() -> list[dict[str, Any]]:
        with Session(get_engine(empty_db)) as session:
            return [r.inputs for r in session.exec(select(RevisionRow).order_by(RevisionRow.number)).all()]

    upgrade(empty_db)
    before, after = revisions()
    assert Scenario.model_validate(before) == Scenario.model_validate(old)  # at today's defaults
    assert Scenario.model_validate(before).finance.currency == "USD"
    assert after == new
    downgrade(empty_db, "5d7f9b1c3e42")
    for inputs in revisions():
        assert "finance" not in inputs and "extra_costs" not in inputs
        assert "prompt_weeks_sunk" not in inputs["prompting"]
    assert revisions()[1]["ranges"] == {"team.label_cost_usd": {"low": 5.0, "high": 20.0, "source": ""}}
