"""Fixtures of a team deployment: an app with sign-in required (AUTH_REQUIRED=true) on each test's
database, one account per role, and clients signed in as each of them or holding an API token.

Passwords are hashed with a cheap Argon2 here (the real cost is ~0.1 s a hash); sessions are made
through `accounts.sign_in`, the same function the sign-in form calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.engine import Engine
from sqlmodel import Session
from suitekit import TESTS, load
from teamkit import PASSWORD, Team

from app.auth import accounts
from app.db.models import ROLES
from app.settings import Settings

_api = load("tests_api_fixtures", TESTS / "api" / "conftest.py")

client = _api.client
client_on = _api.client_on
settings = _api.settings
db_engine = _api.db_engine
postgres_engine = _api.postgres_engine
wire = _api.wire
pooled_app = _api.pooled_app
TEST_KEY = _api.TEST_KEY


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),)))
    monkeypatch.setattr(accounts, "_DUMMY_HASH", accounts.hasher.hash("a password nobody has"))


@pytest.fixture
def auth_settings() -> Settings:
    return Settings(
        database_url="sqlite://",
        max_body_bytes=200_000,
        max_batch=50,
        seed_presets=False,
        secret_key=TEST_KEY,
        auth_required=True,
    )


@pytest.fixture
def team(db_engine: Engine, auth_settings: Settings) -> Iterator[Team]:
    """One account per role, named after it (admin, editor, reviewer, viewer), password PASSWORD."""
    with ExitStack() as stack:
        app = stack.enter_context(pooled_app(auth_settings))
        wire(app, db_engine)
        with Session(db_engine, expire_on_commit=False) as session:
            for role in ROLES:
                accounts.create_user(session, username=role, role=role, password=PASSWORD, actor="setup")
        yield Team(app, db_engine, auth_settings, stack)


@pytest.fixture
def as_role(team: Team) -> Callable[[str], TestClient]:
    return team.signed_in
