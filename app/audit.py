"""The append-only audit log: who did what, when, to which scenario and revision.

`record` adds an entry to the caller's transaction, so an action and its entry are committed together
or not at all. Nothing here updates or deletes; the database refuses both (app/db/models.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from app.db.models import AuditRow, utcnow
from app.exports import neutralise, to_csv

ACTIONS = {
    "created": "created the scenario",
    "edited": "edited: a new revision",
    "repriced": "re-priced at today's catalog",
    "duplicated": "duplicated",
    "archived": "archived",
    "restored": "restored",
    "submitted": "submitted for review",
    "approved": "approved",
    "changes_requested": "requested changes",
    "commented": "commented",
    "share_created": "created a read-only share link",
    "share_revoked": "revoked a share link",
    "user_created": "created an account",
    "user_changed": "changed an account",
    "user_disabled": "disabled an account",
    "user_enabled": "enabled an account",
    "password_changed": "changed a password",
    "token_created": "created an API token",
    "token_revoked": "revoked an API token",
    "signed_in": "signed in",
    "signed_out": "signed out",
}
"""Every action the log knows, with the words the pages use for it."""


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    scenario_id: int | None = None,
    revision: int | None = None,
    detail: str = "",
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(
        AuditRow(
            at=utcnow(), actor=actor, action=action, scenario_id=scenario_id, revision=revision, detail=detail[:2000]
        )
    )


def entries(
    session: Session, *, scenario_id: int | None = None, limit: int | None = 10_000, offset: int = 0
) -> Sequence[AuditRow]:
    """Newest first; one scenario's, or the whole log (`limit=None`: every entry), skipping `offset`."""
    query = select(AuditRow)
    if scenario_id is not None:
        query = query.where(AuditRow.scenario_id == scenario_id)
    return session.exec(query.order_by(col(AuditRow.id).desc()).offset(offset).limit(limit)).all()


def count(session: Session) -> int:
    """How many entries the whole log holds."""
    return session.exec(select(func.count()).select_from(AuditRow)).one()


COLUMNS = ("at", "actor", "action", "scenario_id", "revision", "detail")


def csv_text(rows: Sequence[AuditRow], *, with_scenario: bool) -> str:
    """The log as CSV, every text cell (actor, action, detail) neutralised: a detail typed as `=...`, or with
    a line inside it that starts so (a comment `ok` CR `=1+1`), stays text in a spreadsheet."""
    columns = COLUMNS if with_scenario else tuple(c for c in COLUMNS if c != "scenario_id")
    table = [[neutralise(v) if isinstance(v, str) else v for v in (getattr(e, c) for c in columns)] for e in rows]
    for line, e in zip(table, rows, strict=True):
        line[0] = spreadsheet_time(e.at)
    return to_csv(table, columns)


def spreadsheet_time(at: dt.datetime) -> str:
    """`2026-12-02 22:33:28`, in UTC: a date and time Google Sheets, Excel and LibreOffice read as one
    when they import a CSV (an ISO string with `T`, fractions and an offset stays text in all three)."""
    utc = at if at.tzinfo is None else at.astimezone(dt.UTC).replace(tzinfo=None)  # stored naive are UTC
    return utc.strftime("%Y-%m-%d %H:%M:%S")
