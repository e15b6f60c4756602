"""Team: a team deployment under test (see conftest.py's `team` fixture), importable by test modules."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session
from suitekit import TESTS, load

from app.auth import accounts, keys
from app.auth.guard import SESSION_COOKIE
from app.settings import Settings

htmlkit = load("htmlkit_for_auth", TESTS / "web" / "htmlkit.py")
"""tests/web/htmlkit.py, for every test here."""

PASSWORD = "correct horse battery"
"""Every test account's password."""


@dataclass
class Team:
    """A team deployment on one database: `app`, `engine`, and a way to open clients."""

    app: object
    engine: Engine
    settings: Settings
    stack: ExitStack

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def anonymous(self, **kwargs: object) -> TestClient:
        return self.stack.enter_context(TestClient(self.app, **kwargs))  # type: ignore[arg-type]

    def signed_in(self, username: str) -> TestClient:
        """A client with a live session of `username` and that session's CSRF header (as htmx sends it)."""
        with self.session() as session:
            found = accounts.sign_in(
                session,
                username=username,
                password=PASSWORD,
                address="testclient",
                free_failures=self.settings.sign_in_free_failures,
                session_hours=self.settings.session_hours,
            )
        assert not isinstance(found, accounts.Refused), found
        _, raw = found
        key = keys.secret(self.settings.secret_key)
        client = self.anonymous(headers={"X-CSRF-Token": keys.csrf_token(key, raw)})
        client.cookies.set(SESSION_COOKIE, keys.sign(key, raw))
        return client

    def token(self, username: str, scope: str = "read", days: int = 30) -> str:
        with self.session() as session:
            user = accounts.get_user(session, username=username)
            assert user is not None
            _, secret = accounts.create_token(session, user=user, name=f"{scope} token", scope=scope, days=days)
        return secret

    def bearer(self, username: str, scope: str = "read") -> TestClient:
        return self.anonymous(headers={"Authorization": f"Bearer {self.token(username, scope)}"})
