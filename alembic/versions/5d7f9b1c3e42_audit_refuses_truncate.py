"""the audit log refuses TRUNCATE on PostgreSQL (issue 15)

Revision ID: 5d7f9b1c3e42
Revises: 3c5e7a9b1d20
Create Date: 2026-12-02 12:50:00

The audit log is append-only: a8cc9c0496a9 made triggers that refuse UPDATE and DELETE, but
PostgreSQL's TRUNCATE fires no DELETE trigger, so `TRUNCATE audit` emptied it. A statement trigger
BEFORE TRUNCATE, with the same function and message ('the audit log is append-only'), refuses it.
SQLite has no TRUNCATE (its `DELETE FROM audit` is refused already): nothing to do there.

The statement is written out here, not imported from app/db/models.py (NO_TRUNCATE_POSTGRESQL, what
`create_all` runs): a migration must do the same thing whatever the models become later.
tests/test_audit_append_only.py checks that both give the same triggers.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5d7f9b1c3e42"
down_revision: str | Sequence[str] | None = "3c5e7a9b1d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )


def downgrade() -> None:
    """Before a8cc9c0496a9's downgrade drops the function: the trigger depends on it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_no_truncate ON audit")
