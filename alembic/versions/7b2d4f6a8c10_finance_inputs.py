"""finance inputs and own cost lines on revisions (issue 16)

Revision ID: 7b2d4f6a8c10
Revises: 5d7f9b1c3e42
Create Date: 2026-12-02 16:30:00

No schema change: a revision's inputs are a JSON document, and a revision saved before these fields
reads them at their defaults (calendar years, no discounting, the nominal basis, today's prices, USD,
no own cost line, prompt weeks still to spend). The upgrade has nothing to do; the downgrade takes the
fields out, because the code before this revision refuses inputs it does not know.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "7b2d4f6a8c10"
down_revision: str | Sequence[str] | None = "5d7f9b1c3e42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_revision = sa.table("revision", sa.column("id", sa.Integer()), sa.column("inputs", sa.JSON()))


def upgrade() -> None:
    """Nothing to write: every new input has a default that is what the older code computed."""


def without_finance(inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs as the code before issue 16 read them: no `finance`, no `extra_costs` (nor ranges on
    them) and no `prompting.prompt_weeks_sunk`."""
    kept = {k: v for k, v in inputs.items() if k not in ("finance", "extra_costs")}
    prompting = kept.get("prompting")
    if isinstance(prompting, dict) and "prompt_weeks_sunk" in prompting:
        kept["prompting"] = {k: v for k, v in prompting.items() if k != "prompt_weeks_sunk"}
    ranges = kept.get("ranges")
    if isinstance(ranges, dict):
        kept["ranges"] = {
            k: v
            for k, v in ranges.items()
            if not k.startswith(("finance.", "extra_costs.")) and k != "prompting.prompt_weeks_sunk"
        }
    return kept


def downgrade() -> None:
    """A downgrade loses what the older code cannot read: a revision in EUR reads as USD again, and its
    own cost lines are gone (their figures were never stored, only the inputs)."""
    bind = op.get_bind()
    for id_, inputs in bind.execute(sa.select(_revision.c.id, _revision.c.inputs)).all():
        if isinstance(inputs, dict):
            kept = without_finance(inputs)
            if kept != inputs:
                bind.execute(_revision.update().where(_revision.c.id == id_).values(inputs=kept))
