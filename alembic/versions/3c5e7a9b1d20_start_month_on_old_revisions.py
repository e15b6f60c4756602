"""start_month on revisions saved before the calendar (issue 14)

Revision ID: 3c5e7a9b1d20
Revises: a8cc9c0496a9
Create Date: 2026-12-02 12:40:00

A revision saved before scenarios had a `start_month` would otherwise read as starting next month
every time it is opened, so its periods (and the lifecycle events a re-price finds) would drift with
the clock. It gets the month its plan began then: the calendar month after its `created_at`, UTC,
which is what the default would have been on the day it was saved. No schema change: the inputs are
a JSON document.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op

revision: str = "3c5e7a9b1d20"
down_revision: str | Sequence[str] | None = "a8cc9c0496a9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_revision = sa.table(
    "revision",
    sa.column("id", sa.Integer()),
    sa.column("inputs", sa.JSON()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def month_after(moment: datetime) -> str:
    """ "YYYY-MM" of the calendar month after `moment` (UTC; a naive time is UTC, as SQLite keeps it)."""
    at = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    year, month = (at.year + 1, 1) if at.month == 12 else (at.year, at.month + 1)
    return f"{year:04d}-{month:02d}"


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_revision.c.id, _revision.c.inputs, _revision.c.created_at)).all()
    for id_, inputs, created_at in rows:
        if isinstance(inputs, dict) and "start_month" not in inputs:
            bind.execute(
                _revision.update()
                .where(_revision.c.id == id_)
                .values(inputs=inputs | {"start_month": month_after(created_at)})
            )


def downgrade() -> None:
    """The code before this revision refuses inputs it does not know (`extra="forbid"`): the calendar
    fields leave every revision, those saved with them too (a downgrade loses what it cannot read)."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(_revision.c.id, _revision.c.inputs)).all()
    for id_, inputs in rows:
        if not isinstance(inputs, dict):
            continue
        kept = {k: v for k, v in inputs.items() if k != "start_month"}
        tuning = kept.get("fine_tuning")
        if isinstance(tuning, dict) and "move_to" in tuning:
            kept["fine_tuning"] = {k: v for k, v in tuning.items() if k != "move_to"}
        if kept != inputs:
            bind.execute(_revision.update().where(_revision.c.id == id_).values(inputs=kept))
