"""Sign-in bookkeeping stays small: stale failure runs and expired sessions are deleted as sign-ins happen."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select
from teamkit import PASSWORD, Team

from app.auth import accounts
from app.db.models import SessionRow, SignInFailureRow, UserRow, utcnow


def _sign_in(team: Team, password: str) -> object:
    with team.session() as session:
        return accounts.sign_in(
            session, username="editor", password=password, address="10.0.0.9", free_failures=5, session_hours=1
        )


def test_stale_failures_and_expired_sessions_are_pruned_at_each_sign_in(team: Team) -> None:
    long_ago = utcnow() - accounts.FAILURE_MEMORY - dt.timedelta(minutes=1)
    with team.session() as session:
        editor = session.exec(select(UserRow).where(UserRow.username == "editor")).one()
        session.add(SignInFailureRow(key="addr:203.0.113.7", failures=3, last_at=long_ago))
        session.add(SignInFailureRow(key="user:someone", failures=1, last_at=utcnow()))  # recent: kept
        expired = utcnow() - dt.timedelta(minutes=1)
        session.add(SessionRow(user_id=editor.id, token_hash="e" * 64, created_at=long_ago, expires_at=expired))
        session.commit()
    assert isinstance(_sign_in(team, "not the password"), accounts.Refused)
    with team.session() as session:
        keys = set(session.exec(select(SignInFailureRow.key)).all())
        assert keys == {"user:someone", "user:editor", "addr:10.0.0.9"}
        assert session.exec(select(SessionRow).where(SessionRow.token_hash == "e" * 64)).first() is None
    assert not isinstance(_sign_in(team, PASSWORD), accounts.Refused)
    with team.session() as session:
        assert set(session.exec(select(SignInFailureRow.key)).all()) == {"user:someone", "addr:10.0.0.9"}
