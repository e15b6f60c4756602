"""`llm-tco users` and `llm-tco tokens` on a SQLite file, as an admin would run them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.auth import keys
from app.cli import app
from app.db.models import ApiTokenRow, AuditRow, UserRow
from app.db.session import get_engine
from app.settings import get_settings

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url  # type: ignore[misc]
    get_settings.cache_clear()


def run(*args: str, stdin: str = ""):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=stdin)


def test_users_create_list_role_disable_enable(database: str) -> None:
    made = run("users", "create", "Ada", "--role", "admin", "--password-stdin", stdin="a long password\n")
    assert made.exit_code == 0, made.output
    assert "Created ada (admin)" in made.output
    assert run("users", "role", "ada", "reviewer").exit_code == 0
    assert run("users", "disable", "ada").exit_code == 0
    listed = run("users", "list").output
    assert "ada" in listed and "reviewer" in listed and "disabled" in listed
    assert run("users", "enable", "ada").exit_code == 0
    with Session(get_engine(database)) as session:
        user = session.exec(select(UserRow)).one()
        assert user.disabled_at is None and user.password_hash.startswith("$argon2id$")
        actors = {a.actor for a in session.exec(select(AuditRow)).all()}
    assert all(a.startswith("cli") for a in actors)


def test_users_refuses_a_short_password_and_an_unknown_user(database: str) -> None:
    short = run("users", "create", "bob", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1 and "10 to 200 characters" in short.output
    assert run("users", "disable", "nobody").exit_code == 1


def test_tokens_create_prints_the_secret_once_and_stores_its_hash(database: str) -> None:
    run("users", "create", "eve", "--role", "editor", "--password-stdin", stdin="a long password\n")
    made = run("tokens", "create", "--user", "eve", "--name", "sheet", "--scope", "write", "--days", "7")
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("tco_")
    listed = run("tokens", "list").output
    assert "sheet" in listed and "write" in listed and secret not in listed
    with Session(get_engine(database)) as session:
        token = session.exec(select(ApiTokenRow)).one()
    assert token.token_hash == keys.digest(secret)
    assert run("tokens", "revoke", str(token.id)).exit_code == 0
    assert "revoked" in run("tokens", "list").output
