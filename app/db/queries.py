"""Queries, keyword-only. Revisions are only ever inserted; the latest number moves by compare-and-set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import and_, func, update
from sqlmodel import Session, col, select

from app import audit
from app.db.models import RevisionRow, ScenarioRow, utcnow

Archived = Literal["false", "true", "all"]
Sort = Literal["updated", "name", "tco", "recommendation"]


class StaleRevision(Exception):
    """The revision an update names is no longer the latest: nothing was written."""

    def __init__(self, expected: int, latest: int) -> None:
        super().__init__(f"revision {expected} is not the latest (the latest is {latest}); reload and edit again")
        self.latest = latest


def create_scenario(
    session: Session, *, name: str, description: str, revision: dict[str, Any], detail: str = ""
) -> ScenarioRow:
    """Revision 1 and its audit entry, in one transaction (the author is the actor)."""
    now = utcnow()
    row = ScenarioRow(name=name, description=description, latest_revision=1, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    session.add(RevisionRow(scenario_id=row.id, number=1, created_at=now, **revision))
    audit.record(session, actor=revision["author"], action="created", scenario_id=row.id, revision=1, detail=detail)
    session.commit()
    return row


def add_revision(
    session: Session, *, scenario: ScenarioRow, expected: int, name: str, description: str, revision: dict[str, Any]
) -> RevisionRow:
    """Insert revision expected+1, only if `expected` is still the latest (one UPDATE decides). The
    scenario becomes a draft again (an approval stays pinned to the revision it approved)."""
    now = utcnow()
    moved = session.execute(
        update(ScenarioRow)
        .where(col(ScenarioRow.id) == scenario.id, col(ScenarioRow.latest_revision) == expected)
        .values(latest_revision=expected + 1, updated_at=now, name=name, description=description, status="draft")
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        current = session.get(ScenarioRow, scenario.id)
        raise StaleRevision(expected, current.latest_revision if current else expected)
    assert scenario.id is not None
    row = RevisionRow(scenario_id=scenario.id, number=expected + 1, created_at=now, **revision)
    session.add(row)
    audit.record(
        session, actor=revision["author"], action=revision["action"], scenario_id=scenario.id, revision=expected + 1
    )
    session.commit()
    session.refresh(scenario)
    return row


def get_scenario(session: Session, *, scenario_id: int) -> ScenarioRow | None:
    return session.get(ScenarioRow, scenario_id)


def get_revision(session: Session, *, scenario_id: int, number: int) -> RevisionRow | None:
    query = select(RevisionRow).where(RevisionRow.scenario_id == scenario_id, RevisionRow.number == number)
    return session.exec(query).first()


def list_revisions(session: Session, *, scenario_id: int) -> Sequence[RevisionRow]:
    query = select(RevisionRow).where(RevisionRow.scenario_id == scenario_id).order_by(col(RevisionRow.number))
    return session.exec(query).all()


def list_scenarios(
    session: Session, *, search: str | None, archived: Archived, sort: Sort, limit: int, offset: int
) -> tuple[int, list[tuple[ScenarioRow, RevisionRow]]]:
    """A page of scenarios with their latest revision, and the count before paging."""
    latest = and_(
        col(RevisionRow.scenario_id) == ScenarioRow.id, col(RevisionRow.number) == ScenarioRow.latest_revision
    )
    query = select(ScenarioRow, RevisionRow).join(RevisionRow, latest)
    if search:
        query = query.where(func.lower(ScenarioRow.name).contains(search.lower(), autoescape=True))
    if archived == "false":
        query = query.where(col(ScenarioRow.archived_at).is_(None))
    elif archived == "true":
        query = query.where(col(ScenarioRow.archived_at).is_not(None))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    orders: dict[str, list[Any]] = {
        "updated": [col(ScenarioRow.updated_at).desc()],
        "name": [func.lower(ScenarioRow.name)],
        "tco": [col(RevisionRow.tco_ratio).desc()],
        "recommendation": [col(RevisionRow.recommendation), col(ScenarioRow.updated_at).desc()],
    }
    order = orders[sort]
    rows = session.exec(query.order_by(*order, col(ScenarioRow.id)).limit(limit).offset(offset)).all()
    return total, [(s, r) for s, r in rows]


def set_archived(session: Session, *, scenario: ScenarioRow, archived: bool, actor: str) -> ScenarioRow:
    if (scenario.archived_at is not None) != archived:
        action = "archived" if archived else "restored"
        audit.record(session, actor=actor, action=action, scenario_id=scenario.id, revision=scenario.latest_revision)
    scenario.archived_at = utcnow() if archived else None
    session.add(scenario)
    session.commit()
    session.refresh(scenario)
    return scenario


def count_scenarios(session: Session) -> int:
    return session.exec(select(func.count()).select_from(ScenarioRow)).one()
