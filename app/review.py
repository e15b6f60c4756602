"""The review trail of a saved scenario: submit for review, approve or request changes, comments on a
revision, and read-only share links. Every step leaves an audit entry in the same transaction.

draft --submit--> in_review --approve--> approved
                            --request changes--> changes_requested --submit--> in_review
Any new revision (an edit, a re-price) makes the scenario a draft again; `approved_revision` stays on
the revision a reviewer approved, so the approved figures stay visible (app/db/queries.add_revision).
Each step names the revision it acts on, and is refused (StaleRevision) if that is not the latest:
nobody approves figures they have not seen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import update
from sqlmodel import Session, col, select

from app import audit
from app.auth.keys import digest, new_token
from app.db.models import CommentRow, RevisionRow, ScenarioRow, ShareLinkRow, utcnow
from app.db.queries import StaleRevision, get_revision

STATUS_LABELS = {
    "draft": "Draft",
    "in_review": "In review",
    "approved": "Approved",
    "changes_requested": "Changes requested",
}
MAX_COMMENT = 5000
MAX_SHARE_DAYS = 365


class ReviewError(ValueError):
    """A step the scenario's status does not allow, or a bad comment; nothing was written."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


_STEPS = {
    "submitted": (("draft", "changes_requested"), "in_review"),
    "approved": (("in_review",), "approved"),
    "changes_requested": (("in_review",), "changes_requested"),
}


def _move(
    session: Session, *, row: ScenarioRow, revision: int, action: str, actor: str, comment: str = ""
) -> ScenarioRow:
    """One status step, decided by one UPDATE (status and latest revision as the caller saw them)."""
    sources, target = _STEPS[action]
    assert row.id is not None
    if revision != row.latest_revision:
        raise StaleRevision(revision, row.latest_revision)
    if row.status not in sources:
        raise ReviewError(
            f"a scenario that is {STATUS_LABELS[row.status].lower()} cannot be {action.replace('_', ' ')}"
        )
    text = _comment_text(comment, required=action == "changes_requested")
    values: dict[str, object] = {"status": target}
    if action == "approved":
        values["approved_revision"] = revision
    moved = session.execute(
        update(ScenarioRow)
        .where(
            col(ScenarioRow.id) == row.id,
            col(ScenarioRow.latest_revision) == revision,
            col(ScenarioRow.status).in_(sources),
        )
        .values(**values)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        session.refresh(row)
        if row.latest_revision != revision:
            raise StaleRevision(revision, row.latest_revision)
        raise ReviewError(f"someone moved this scenario to {STATUS_LABELS[row.status].lower()} meanwhile")
    if text:
        session.add(CommentRow(scenario_id=row.id, revision=revision, author=actor, body=text, created_at=utcnow()))
    audit.record(session, actor=actor, action=action, scenario_id=row.id, revision=revision, detail=text[:2000])
    session.commit()
    session.refresh(row)
    return row


def submit(session: Session, *, row: ScenarioRow, revision: int, actor: str, comment: str = "") -> ScenarioRow:
    return _move(session, row=row, revision=revision, action="submitted", actor=actor, comment=comment)


def approve(session: Session, *, row: ScenarioRow, revision: int, actor: str, comment: str = "") -> ScenarioRow:
    return _move(session, row=row, revision=revision, action="approved", actor=actor, comment=comment)


def request_changes(session: Session, *, row: ScenarioRow, revision: int, actor: str, comment: str) -> ScenarioRow:
    """Needs a comment: the editor must learn what to change."""
    return _move(session, row=row, revision=revision, action="changes_requested", actor=actor, comment=comment)


def _comment_text(body: str, *, required: bool) -> str:
    text = body.replace("\x00", "").strip()
    if required and not text:
        raise ReviewError("say what should change", field="comment")
    if len(text) > MAX_COMMENT:
        raise ReviewError(f"at most {MAX_COMMENT:,} characters", field="comment")
    return text


def add_comment(session: Session, *, row: ScenarioRow, revision: int, actor: str, body: str) -> CommentRow:
    """A comment on any existing revision (older ones too: a reviewer may explain an approval later)."""
    assert row.id is not None
    if get_revision(session, scenario_id=row.id, number=revision) is None:
        raise ReviewError(f"no revision {revision}; the latest is {row.latest_revision}", field="revision")
    text = _comment_text(body, required=True)
    comment = CommentRow(scenario_id=row.id, revision=revision, author=actor, body=text, created_at=utcnow())
    session.add(comment)
    audit.record(session, actor=actor, action="commented", scenario_id=row.id, revision=revision, detail=text)
    session.commit()
    return comment


def comments(session: Session, *, scenario_id: int) -> Sequence[CommentRow]:
    """Oldest first, as a conversation reads."""
    query = select(CommentRow).where(CommentRow.scenario_id == scenario_id).order_by(col(CommentRow.id))
    return session.exec(query).all()


# --- share links ---


def create_share(
    session: Session, *, row: ScenarioRow, revision: int, actor: str, days: int
) -> tuple[ShareLinkRow, str]:
    """A link to one revision, read-only; its secret is shown this once."""
    assert row.id is not None
    if get_revision(session, scenario_id=row.id, number=revision) is None:
        raise ReviewError(f"no revision {revision}; the latest is {row.latest_revision}", field="revision")
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise ReviewError(f"1 to {MAX_SHARE_DAYS} days", field="days")
    secret = new_token()
    now = utcnow()
    link = ShareLinkRow(
        scenario_id=row.id,
        revision=revision,
        token_hash=digest(secret),
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(link)
    session.flush()
    detail = f"link {link.id}, revision {revision}, for {days} days"
    audit.record(session, actor=actor, action="share_created", scenario_id=row.id, revision=revision, detail=detail)
    session.commit()
    return link, secret


def shares(session: Session, *, scenario_id: int) -> Sequence[ShareLinkRow]:
    query = select(ShareLinkRow).where(ShareLinkRow.scenario_id == scenario_id).order_by(col(ShareLinkRow.id).desc())
    return session.exec(query).all()


def revoke_share(session: Session, *, link: ShareLinkRow, actor: str) -> None:
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        session.add(link)
        audit.record(
            session,
            actor=actor,
            action="share_revoked",
            scenario_id=link.scenario_id,
            revision=link.revision,
            detail=f"link {link.id}",
        )
        session.commit()


def shared(session: Session, *, secret: str) -> tuple[ScenarioRow, RevisionRow] | str:
    """What a share link opens, or why it does not (the same words for unknown, revoked and expired
    would hide nothing worth hiding, so each says what happened)."""
    link = session.exec(select(ShareLinkRow).where(ShareLinkRow.token_hash == digest(secret))).first()
    if link is None:
        return "This link is not valid: check that it was copied whole."
    if link.revoked_at is not None:
        return "This link was revoked by the people who shared it."
    if link.expires_at <= utcnow():
        return "This link has expired: ask for a new one."
    row = session.get(ScenarioRow, link.scenario_id)
    revision = get_revision(session, scenario_id=link.scenario_id, number=link.revision)
    if row is None or revision is None:
        return "This link is not valid: check that it was copied whole."
    return row, revision
