"""`llm-tco users` and `llm-tco tokens` on a SQLite file, as an admin would run them: passwords asked
twice or read from stdin, refusals in one line with exit code 1, a token's secret printed once, and
every action in the audit log as `cli:<OS user>`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.auth import accounts, keys
from app.cli import app
from app.db.models import ApiTokenRow, AuditRow, SessionRow, UserRow
from app.db.session import get_engine
from app.settings import get_settings

runner = CliRunner()
PASSWORD = "a long password"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite file, not migrated yet: the commands migrate it as `serve` does. The OS user is `ops`."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr("getpass.getuser", lambda: "ops")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run(*args: str, stdin: str = "") -> Any:
    return runner.invoke(app, list(args), input=stdin)


def create(name: str, role: str, password: str = PASSWORD) -> Any:
    return run("users", "create", name, "--role", role, "--password-stdin", stdin=password + "\n")


def one_line_refusal(result: Any, text: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == text and "Traceback" not in result.output


def db(url: str) -> Session:
    return Session(get_engine(url), expire_on_commit=False)


def test_a_fresh_database_is_migrated_first(database: str) -> None:
    listed = run("users", "list")
    assert listed.exit_code == 0 and "No accounts yet" in listed.stdout
    assert "alembic_version" in inspect(get_engine(database)).get_table_names()


def test_an_unreachable_database_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a file").write_text("not a folder")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'a file' / 'db.sqlite3'}")  # its folder cannot be
    get_settings.cache_clear()
    try:
        result = run("users", "list")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Cannot open the database at sqlite:///")


def test_create_list_role_disable_enable(database: str) -> None:
    made = create("Ada", "admin")
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith("Created ada (admin).")
    assert run("users", "role", "ada", "reviewer").stdout.strip() == "ada is now reviewer."
    assert run("users", "role", "ada", "reviewer").stdout.strip() == "ada is already reviewer."
    assert run("users", "disable", "ada").stdout.startswith("Disabled ada")
    assert run("users", "disable", "ada").stdout.strip() == "ada is already disabled."
    listed = run("users", "list").stdout
    [line] = [line for line in listed.splitlines() if " ada " in line]
    assert "reviewer" in line and "disabled 20" in line
    assert run("users", "enable", "ada").stdout.strip() == "Enabled ada."
    with db(database) as session:
        user = session.exec(select(UserRow)).one()
        assert user.disabled_at is None and user.role == "reviewer" and user.password_hash.startswith("$argon2id$")
        entries = session.exec(select(AuditRow)).all()
    assert [e.action for e in entries] == ["user_created", "user_changed", "user_disabled", "user_enabled"]
    assert {e.actor for e in entries} == {"cli:ops"}


def test_the_password_is_asked_twice_without_echo(database: str) -> None:
    made = run(
        "users", "create", "bob", "--role", "viewer", stdin=f"{PASSWORD} x\nnot the same\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert made.exit_code == 0, made.output
    assert made.output.count("Password for bob:") == 2 and made.output.count("Repeat the password:") == 2
    assert "do not match" in made.output and PASSWORD not in made.output
    with db(database) as session:
        user = session.exec(select(UserRow)).one()
    assert accounts.hasher.verify(PASSWORD, user.password_hash)


def test_refusals_are_one_line_and_exit_1(database: str) -> None:
    one_line_refusal(create("bob", "viewer", "short"), "Password: 10 to 200 characters.")
    bad_name = run("users", "create", "Bad Name", "--role", "viewer", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    one_line_refusal(bad_name, "Username: 2 to 64 characters: lower-case letters, digits, '.', '_' or '-'.")
    assert "Password for" not in bad_name.output  # refused before asking for a password
    create("bob", "viewer")
    taken = run("users", "create", "bob", "--role", "admin")
    one_line_refusal(taken, "Username: bob already exists (`llm-tco users list`).")
    for args in (("users", "disable", "nobody"), ("users", "role", "nobody", "admin"), ("users", "enable", "x1")):
        assert run(*args).exit_code == 1, args
    one_line_refusal(run("users", "password", "nobody"), "No account 'nobody': `llm-tco users list` shows them.")
    with db(database) as session:
        assert [u.username for u in session.exec(select(UserRow)).all()] == ["bob"]


def test_users_password_sets_it_and_ends_the_sessions(database: str) -> None:
    create("eve", "editor")
    with db(database) as session:
        signed = accounts.sign_in(
            session, username="eve", password=PASSWORD, address="t", free_failures=5, session_hours=1
        )
        assert not isinstance(signed, accounts.Refused)
    one_line_refusal(
        run("users", "password", "eve", "--password-stdin", stdin="short\n"), "Password: 10 to 200 characters."
    )
    done = run("users", "password", "eve", stdin="another long one\nanother long one\n")
    assert done.exit_code == 0 and "Password of eve set" in done.stdout
    with db(database) as session:
        user = session.exec(select(UserRow)).one()
        assert accounts.hasher.verify("another long one", user.password_hash)
        assert session.exec(select(SessionRow)).all() == []
        assert session.exec(select(AuditRow).where(AuditRow.action == "password_changed")).one().actor == "cli:ops"


def test_tokens_create_prints_the_secret_once_and_stores_its_hash(database: str) -> None:
    create("eve", "editor")
    made = run("tokens", "create", "--user", "eve", "--name", "sheet", "--scope", "write", "--days", "7")
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith("tco_") and "\n" not in secret  # stdout is the secret alone
    assert "it will not be shown again" in made.stderr and secret not in made.stderr
    listed = run("tokens", "list").stdout
    assert "sheet" in listed and "write" in listed and secret[:10] in listed and secret not in listed
    with db(database) as session:
        token = session.exec(select(ApiTokenRow)).one()
        assert token.token_hash == keys.digest(secret)
        assert (token.expires_at - token.created_at).days == 7
        assert session.exec(select(AuditRow).where(AuditRow.action == "token_created")).one().actor == "eve"
    assert (
        run("tokens", "revoke", str(token.id)).stdout.strip()
        == f'Revoked token {token.id} "sheet": it stopped working.'
    )
    again = run("tokens", "revoke", str(token.id))
    assert again.exit_code == 0 and "already revoked" in again.stdout
    assert "revoked 20" in run("tokens", "list").stdout
    one_line_refusal(run("tokens", "revoke", "999"), "No token 999: `llm-tco tokens list` shows them.")
    with db(database) as session:
        revoked = session.exec(select(AuditRow).where(AuditRow.action == "token_revoked")).all()
    assert [e.actor for e in revoked] == ["cli:ops"]  # once, by the CLI


def test_tokens_default_days_filters_and_refusals(database: str) -> None:
    create("eve", "editor")
    create("bob", "viewer")
    assert run("tokens", "create", "--user", "eve", "--name", "default").exit_code == 0
    assert run("tokens", "create", "--user", "bob", "--name", "bobs").exit_code == 0
    with db(database) as session:
        token = session.exec(select(ApiTokenRow).where(ApiTokenRow.name == "default")).one()
    assert token.scope == "read" and (token.expires_at - token.created_at).days == get_settings().token_days
    mine = run("tokens", "list", "--user", "bob").stdout
    assert "bobs" in mine and "default" not in mine
    one_line_refusal(run("tokens", "create", "--user", "eve", "--name", "x", "--days", "0"), "Days: 1 to 3,650 days.")
    one_line_refusal(
        run("tokens", "create", "--user", "nobody", "--name", "x"),
        "No account 'nobody': `llm-tco users list` shows them.",
    )
    assert run("tokens", "create", "--user", "eve", "--name", "x", "--scope", "admin").exit_code == 2  # a usage error
