"""Moving a deployment between databases: `llm-tco export-all` and `llm-tco import` (app/transfer.py).

The round trip fills a SQLite database through the app's own routes and functions (scenarios, edits,
re-prices, review steps, comments, share links, accounts, tokens, the audit log), exports it, imports it
into PostgreSQL (or SQLite when TEST_POSTGRES_URL is not set), exports that, imports it into a new SQLite
file and exports again: the three documents carry the same rows, and the app on each copy answers as on
the source, byte for byte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opskit import BACKENDS, TEST_KEY
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import create_engine, event, func, inspect, select
from sqlmodel import Session, SQLModel
from suitekit import move_the_catalog
from typer.testing import CliRunner

from app import saved, transfer
from app.auth import accounts, keys
from app.auth.guard import SESSION_COOKIE
from app.cli import app as cli_app
from app.db.migrate import head, upgrade
from app.db.models import ApiTokenRow, AuditRow, ScenarioRow, SessionRow, ShareLinkRow, SignInFailureRow, UserRow
from app.db.session import get_engine
from app.main import create_app
from app.presets import presets
from app.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent.parent
PRESETS = len(presets())
"""The presets `seed_presets` saves, one scenario and one revision each."""
PASSWORD = "correct horse battery"
API = "/api/v1/scenarios"

NewUrl = Callable[[str, Path], str]


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: the hashes still move with the accounts and verify on the target."""
    monkeypatch.setattr(accounts, "hasher", PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),)))
    monkeypatch.setattr(accounts, "_DUMMY_HASH", accounts.hasher.hash("a password nobody has"))


@pytest.fixture
def new_db(fresh_database_url: NewUrl, tmp_path: Path) -> Callable[[str], str]:
    """new_db(backend): the URL of a new database of that backend, migrated to head."""

    def make(backend: str) -> str:
        url = fresh_database_url(backend, tmp_path)
        upgrade(url)
        return url

    return make


def session_on(url: str) -> Session:
    return Session(get_engine(url), expire_on_commit=False)


def export(url: str) -> dict[str, Any]:
    with session_on(url) as session:
        return transfer.export_all(session)


def load(url: str, document: Any) -> dict[str, int]:
    with session_on(url) as session:
        return transfer.import_all(session, document)


def counts(url: str) -> dict[str, int]:
    with session_on(url) as session:
        return transfer.counts(session)


def rows_of(url: str, model: type[SQLModel]) -> int:
    with session_on(url) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


class Deployment:
    """A team deployment (sign-in required) served from `url`, with clients that stay open until `close`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.settings = Settings(
            database_url=url, auth_required=True, secret_key=TEST_KEY, seed_presets=False, max_body_bytes=200_000
        )
        self.app = create_app(self.settings)
        self.stack = ExitStack()

    def close(self) -> None:
        self.stack.close()

    def client(self, **kwargs: Any) -> TestClient:
        return self.stack.enter_context(TestClient(self.app, **kwargs))

    def signed_in(self, username: str) -> TestClient:
        """Signed in with PASSWORD through `accounts.sign_in`, as the sign-in form does."""
        with session_on(self.url) as session:
            found = accounts.sign_in(
                session, username=username, password=PASSWORD, address="testclient", free_failures=5, session_hours=1
            )
        assert not isinstance(found, accounts.Refused), found
        _, raw = found
        key = keys.secret(TEST_KEY)
        client = self.client(headers={"X-CSRF-Token": keys.csrf_token(key, raw)})
        client.cookies.set(SESSION_COOKIE, keys.sign(key, raw))
        return client


def _share_secret(page: str) -> str:
    return page.split("/shared/", 1)[1].split('"', 1)[0]


def fill(url: str) -> dict[str, Any]:
    """Every kind of record, made the way the app makes them; the secrets a user would hold."""
    with session_on(url) as session:
        for role in ("admin", "editor", "reviewer", "viewer"):
            accounts.create_user(session, username=role, role=role, password=PASSWORD, actor="cli:setup")
        accounts.create_user(session, username="leaver", role="viewer", password=PASSWORD, actor="admin")
        assert saved.seed_presets(session, author="admin") == PRESETS
    app = Deployment(url)
    try:
        editor, reviewer = app.signed_in("editor"), app.signed_in("reviewer")
        sid = editor.post(API, json={"name": "Budget 2026", "description": "Coût estimé — 東京 team"}).json()["id"]
        editor.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget 2026", "horizon_months": 24}})
        editor.post(f"{API}/{sid}/reprice", json={"revision": 2}).raise_for_status()
        editor.post(f"{API}/{sid}/comments", json={"revision": 1, "body": "Labels at 12 USD? Check."})
        editor.post(f"{API}/{sid}/submit", json={"revision": 3}).raise_for_status()
        reviewer.post(f"{API}/{sid}/request-changes", json={"revision": 3, "comment": "=1+1 is not a price"})
        editor.post(f"{API}/{sid}/submit", json={"revision": 3}).raise_for_status()
        assert reviewer.post(f"{API}/{sid}/approve", json={"revision": 3}).json()["status"] == "approved"
        editor.put(f"{API}/{sid}", json={"revision": 3, "scenario": {"name": "Budget 2026 b"}}).raise_for_status()
        share = _share_secret(editor.post(f"/scenarios/{sid}/shares", data={"revision": "3", "days": "30"}).text)
        revoked_share = _share_secret(editor.post(f"/scenarios/{sid}/shares", data={"revision": "1"}).text)
        with session_on(url) as session:
            second = session.execute(select(func.max(ShareLinkRow.id))).scalar_one()
        editor.post(f"/scenarios/{sid}/shares/{second}/revoke", data={}).raise_for_status()
        editor.post(f"/scenarios/{sid}/duplicate", data={"revision": "3"})
        editor.delete(f"{API}/2").raise_for_status()  # a preset archived, and left so
        editor.delete(f"{API}/3").raise_for_status()
        editor.post(f"{API}/3/restore").raise_for_status()
        with session_on(url) as session:
            owner = accounts.get_user(session, username="viewer")
            assert owner is not None
            _, token = accounts.create_token(session, user=owner, name="budget sheet", scope="read", days=30)
            old, revoked_token = accounts.create_token(session, user=owner, name="old sheet", scope="read", days=30)
            accounts.revoke_token(session, token=old, actor="viewer")
            leaver = accounts.get_user(session, username="leaver")
            assert leaver is not None
            accounts.update_user(session, user=leaver, actor="admin", disabled=True)
            refused = accounts.sign_in(
                session, username="editor", password="wrong", address="10.0.0.9", free_failures=5, session_hours=1
            )
            assert isinstance(refused, accounts.Refused)
        bearer = app.client(headers={"Authorization": f"Bearer {token}"})
        assert bearer.get(f"{API}/{sid}").status_code == 200  # sets the token's last_used_at
    finally:
        app.close()
    return {"scenario": sid, "share": share, "revoked_share": revoked_share, "token": token, "revoked": revoked_token}


def served(url: str, secrets: dict[str, Any]) -> dict[str, Any]:
    """What the app on `url` answers: every scenario's detail, revisions, CSV, comments and audit trail,
    the list, the whole audit log, what the share links and tokens open. Signs in (which the log records)."""
    app = Deployment(url)
    try:
        viewer, admin = app.signed_in("viewer"), app.signed_in("admin")
        listing = viewer.get(API, params={"archived": "all", "limit": 500}).json()
        answers: dict[str, Any] = {"list": listing}
        for item in listing["items"]:
            sid = item["id"]
            detail = viewer.get(f"{API}/{sid}")
            assert detail.status_code == 200
            answers[f"{sid}"] = detail.json()
            answers[f"{sid}/revisions"] = viewer.get(f"{API}/{sid}/revisions").json()
            answers[f"{sid}/revisions/1"] = viewer.get(f"{API}/{sid}/revisions/1").json()
            answers[f"{sid}/comments"] = viewer.get(f"{API}/{sid}/comments").json()
            answers[f"{sid}/audit"] = viewer.get(f"{API}/{sid}/audit").json()
            answers[f"{sid}/export.csv"] = viewer.get(f"{API}/{sid}/export.csv").content
            answers[f"{sid}/export.csv?revision=1&shape=wide"] = viewer.get(
                f"{API}/{sid}/export.csv", params={"revision": 1, "shape": "wide"}
            ).content
        answers["audit.csv"] = admin.get("/admin/audit.csv").text
        anonymous = app.client(follow_redirects=False)
        answers["share"] = anonymous.get(f"/shared/{secrets['share']}/export.csv").content
        answers["revoked share"] = anonymous.get(f"/shared/{secrets['revoked_share']}").status_code
        answers["token"] = app.client(headers={"Authorization": f"Bearer {secrets['token']}"}).get(API).status_code
        answers["revoked token"] = (
            app.client(headers={"Authorization": f"Bearer {secrets['revoked']}"}).get(API).status_code
        )
        with session_on(url) as session:
            leaver = accounts.sign_in(
                session, username="leaver", password=PASSWORD, address="x", free_failures=5, session_hours=1
            )
        answers["leaver"] = leaver.message if isinstance(leaver, accounts.Refused) else "signed in"
        return answers
    finally:
        app.close()


def _without_new_sign_ins(before: str, after: str) -> None:
    """The whole log on a copy is the source's, plus the sign-ins of this test on the copy (newest first)."""
    old, new = before.splitlines(), after.splitlines()
    assert new[0] == old[0] and new[len(new) - len(old) + 1 :] == old[1:]
    assert all(",signed_in," in line for line in new[1 : len(new) - len(old) + 1])


@pytest.mark.parametrize("middle", BACKENDS)
def test_a_round_trip_through_another_database_keeps_every_record_and_every_answer(
    middle: str, new_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    move_the_catalog(monkeypatch)  # each re-price finds new prices, so it adds a revision
    source = new_db("sqlite")
    secrets = fill(source)
    first = export(source)
    assert first["format"] == "llm-tco-export" and first["version"] == 1
    assert first["schema"] == head() and first["exported_at"].endswith("+00:00")
    empty = [name for name, rows in first["tables"].items() if not rows]
    assert not empty, f"the round trip must carry rows of every exported table; none of {empty}"
    assert {r["username"] for r in first["tables"]["app_user"]} >= {"admin", "leaver"}
    assert all(r["password_hash"].startswith("$argon2id$") for r in first["tables"]["app_user"])
    scenario = first["tables"]["scenario"][-2]
    assert scenario["created_at"].endswith("+00:00") and isinstance(first["tables"]["revision"][0]["inputs"], dict)
    assert [r["id"] for r in first["tables"]["audit"]] == sorted(r["id"] for r in first["tables"]["audit"])
    assert rows_of(source, SessionRow) and rows_of(source, SignInFailureRow)  # there, and left behind
    before = served(source, secrets)
    assert before["share"].startswith(b"scenario,revision,strategy,") and before["token"] == 200
    assert (before["revoked share"], before["revoked token"]) == (404, 401)
    assert before["leaver"] == "This account is disabled: ask an admin."
    # served() signed in on the source: export again, so the copies hold those sign-ins' audit entries too
    first = export(source)

    copy_ = new_db(middle)
    assert load(copy_, first) == {name: len(rows) for name, rows in first["tables"].items()}
    second = export(copy_)
    last = new_db("sqlite")
    load(last, second)
    third = export(last)
    assert first["tables"] == second["tables"] == third["tables"]
    assert rows_of(copy_, SessionRow) == rows_of(copy_, SignInFailureRow) == 0

    log = before.pop("audit.csv")
    for target in (copy_, last):
        after = served(target, secrets)
        _without_new_sign_ins(log, after.pop("audit.csv"))
        assert after == before

    # new records after the move get new ids, past the imported ones (PostgreSQL: the sequences moved)
    with session_on(copy_) as session:
        top = {m: session.execute(select(func.max(m.id))).scalar_one() for m in (ScenarioRow, AuditRow, UserRow)}
        top[ApiTokenRow] = session.execute(select(func.max(ApiTokenRow.id))).scalar_one()
    app = Deployment(copy_)
    try:
        editor = app.signed_in("editor")
        made = editor.post(API, json={"name": "After the move"})
        assert made.status_code == 201 and made.json()["id"] == top[ScenarioRow] + 1
        with session_on(copy_) as session:
            accounts.create_user(session, username="newcomer", role="viewer", password=PASSWORD, actor="admin")
            owner = accounts.get_user(session, username="newcomer")
            assert owner is not None and owner.id == top[UserRow] + 1
            token, _ = accounts.create_token(session, user=owner, name="t", scope="read", days=1)
            assert token.id == top[ApiTokenRow] + 1
            newest = session.execute(select(func.max(AuditRow.id))).scalar_one()
            assert newest > top[AuditRow]
    finally:
        app.close()


EXPORTED = {"app_user", "scenario", "api_token", "audit", "comment", "revision", "share_link"}


def test_every_table_is_exported_or_excluded_on_purpose(new_db: Callable[[str], str]) -> None:
    models = [table.name for table in SQLModel.metadata.sorted_tables]
    exported = [table.name for table in transfer.tables()]
    assert set(exported) == EXPORTED, (
        "a table is neither known to be exported nor excluded: add it to EXPORTED here (and give the round "
        "trip rows of it) or to transfer.EXCLUDED (and say why in docs/data-transfer.md)"
    )
    assert {"user_session", "sign_in_failure"} == transfer.EXCLUDED and set(models) >= transfer.EXCLUDED
    assert set(exported) | transfer.EXCLUDED == set(models) and not set(exported) & transfer.EXCLUDED
    for table in transfer.tables():  # parents are inserted before their children
        for key in table.foreign_keys:
            assert exported.index(key.column.table.name) < exported.index(table.name)
    url = new_db("sqlite")
    migrated = set(inspect(get_engine(url)).get_table_names()) - {"alembic_version"}
    assert migrated == set(models), "a table made by a migration but not in app/db/models.py would not be moved"
    assert list(export(url)["tables"]) == exported


def test_a_table_added_to_the_models_later_is_exported_without_anyone_listing_it() -> None:
    from sqlalchemy import Column, ForeignKey, Integer, Table

    future = Table(
        "future_thing",
        SQLModel.metadata,
        Column("id", Integer, primary_key=True),
        Column("scenario_id", Integer, ForeignKey("scenario.id")),
    )
    try:
        names = [table.name for table in transfer.tables()]
        assert "future_thing" in names and names.index("scenario") < names.index("future_thing")
    finally:
        SQLModel.metadata.remove(future)
    assert "future_thing" not in [table.name for table in transfer.tables()]


def small(url: str) -> dict[str, Any]:
    """The presets, an account with a token, a comment and a share link, made by the app's functions."""
    from app import review

    with session_on(url) as session:
        user = accounts.create_user(session, username="ada", role="admin", password=PASSWORD, actor="cli:setup")
        accounts.create_token(session, user=user, name="sheet", scope="read", days=5)
        saved.seed_presets(session, author="ada")
        row = session.get(ScenarioRow, 1)
        assert row is not None
        review.add_comment(session, row=row, revision=1, actor="ada", body="Looks right.")
        review.create_share(session, row=row, revision=1, actor="ada", days=3)
    return export(url)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_target_that_holds_records_is_refused_and_left_alone(backend: str, new_db: Callable[[str], str]) -> None:
    document = small(new_db("sqlite"))
    target = new_db(backend)
    with session_on(target) as session:
        saved.seed_presets(session, author="someone")
    before = export(target)["tables"]
    with pytest.raises(transfer.TransferError) as refused:
        load(target, document)
    message = str(refused.value)
    assert "not empty" in message
    assert f"scenario holds {PRESETS} rows" in message and f"revision holds {PRESETS} rows" in message
    assert "app_user" not in message  # only the tables that hold rows are named
    assert export(target)["tables"] == before


def _mutate(document: dict[str, Any], change: str) -> Any:
    if change == "a list":
        return [document]
    if change == "format":
        document["format"] = "llm-tco-scenarios"
    elif change == "version":
        document["version"] = 2
    elif change == "schema":
        document["schema"] = "fb804e5d5a4d"
    elif change == "a table missing":
        del document["tables"]["audit"]
    elif change == "an excluded table":
        document["tables"]["user_session"] = []
    elif change == "rows not a list":
        document["tables"]["scenario"] = {"1": document["tables"]["scenario"][0]}
    return document


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("a list", 'its "format" should be "llm-tco-export"'),
        ("format", 'its "format" should be "llm-tco-export"'),
        ("version", "export format version 2: this LLM TCO reads version 1"),
        ("schema", "made at schema revision 'fb804e5d5a4d', this LLM TCO is at"),
        ("a table missing", "missing ['audit'], unknown []"),
        ("an excluded table", "missing [], unknown ['user_session']"),
        ("rows not a list", "table scenario: not a list of rows"),
    ],
)
def test_a_document_of_another_kind_or_schema_is_refused(change: str, says: str, new_db: Callable[[str], str]) -> None:
    document = _mutate(small(new_db("sqlite")), change)
    target = new_db("sqlite")
    with pytest.raises(transfer.TransferError) as refused:
        load(target, document)
    assert says in str(refused.value)
    assert set(counts(target).values()) == {0}


def _spoil(tables: dict[str, list[dict[str, Any]]], kind: str) -> None:
    """One bad row, in one of the last tables inserted (so that the earlier ones are in when it fails)."""
    if kind == "a dangling reference":
        tables["share_link"][0]["scenario_id"] = 999
    elif kind == "a duplicate id":
        tables["revision"].append(dict(tables["revision"][0]))
    elif kind == "a datetime without offset":
        tables["share_link"][0]["expires_at"] = "2026-01-01T00:00:00"
    elif kind == "text in a number column":
        tables["comment"][0]["revision"] = "one"
    elif kind == "a text too long":
        tables["revision"][-1]["author"] = "x" * 201
    elif kind == "a column missing":
        del tables["revision"][2]["totals"]
    elif kind == "a null where none may be":
        tables["share_link"][0]["token_hash"] = None


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("a dangling reference", "the database refused a row of table share_link, so nothing was imported"),
        ("a duplicate id", "the database refused a row of table revision, so nothing was imported"),
        ("a datetime without offset", "table share_link, row 1: expires_at is '2026-01-01T00:00:00', an ISO"),
        ("text in a number column", "table comment, row 1: revision is 'one', not a int"),
        ("a text too long", f"table revision, row {PRESETS}: author has 201 characters, at most 200 fit"),
        ("a column missing", "table revision, row 3: missing columns ['totals'], unknown columns []"),
        ("a null where none may be", "table share_link, row 1: token_hash is null, and the column may not be"),
    ],
)
def test_one_bad_row_imports_nothing(backend: str, kind: str, says: str, new_db: Callable[[str], str]) -> None:
    good = small(new_db("sqlite"))
    bad = json.loads(json.dumps(good))
    _spoil(bad["tables"], kind)
    target = new_db(backend)
    with pytest.raises(transfer.TransferError) as refused:
        load(target, bad)
    assert says in str(refused.value)
    assert set(counts(target).values()) == {0}, "all or nothing: the rows before the bad one are gone too"
    assert load(target, good)["scenario"] == PRESETS  # and the database is as it was: the good document goes in
    assert export(target)["tables"] == good["tables"]


def test_a_database_not_at_the_newest_schema_is_refused_both_ways(
    fresh_database_url: NewUrl, tmp_path: Path, new_db: Callable[[str], str]
) -> None:
    document = small(new_db("sqlite"))
    old = fresh_database_url("sqlite", tmp_path)
    upgrade(old, "fb804e5d5a4d")
    with pytest.raises(transfer.TransferError, match="source database is at schema revision fb804e5d5a4d"):
        export(old)
    with pytest.raises(transfer.TransferError, match=r"target database is at schema revision fb804e5d5a4d.*migrate"):
        load(old, document)
    never = fresh_database_url("sqlite", tmp_path)
    with pytest.raises(transfer.TransferError, match=r"\(none: not migrated\)"):
        load(never, document)


def cli(*args: str, url: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """`python -m app.cli ARGS` in a process of its own, on DATABASE_URL=url."""
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], input=stdin, capture_output=True, env=env, cwd=ROOT, timeout=120
    )


@pytest.fixture
def cli_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """cli_on(url, *args, stdin=""): `llm-tco ARGS` in this process (typer's runner), on DATABASE_URL=url."""
    runner = CliRunner()

    def run(url: str, *args: str, stdin: str = "") -> Any:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        return runner.invoke(cli_app, list(args), input=stdin)

    yield run
    get_settings.cache_clear()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_commands_move_a_database_end_to_end(
    backend: str,
    fresh_database_url: NewUrl,
    tmp_path: Path,
    new_db: Callable[[str], str],
    cli_on: Callable[..., Any],
) -> None:
    source = new_db("sqlite")
    document = small(source)
    path = tmp_path / "move.json"
    # export in this process (typer's runner keeps stdout and stderr apart), import in a process of its
    # own: one real `python -m app.cli` process, reading the document from a pipe, is enough to show the
    # commands work as a shell runs them, and each costs seconds of imports
    exported = cli_on(source, "export-all", str(path))
    assert exported.exit_code == 0, exported.stderr
    assert exported.stdout == ""  # the document went to the file, the counts to stderr
    report = exported.stderr
    total = sum(len(rows) for rows in document["tables"].values())
    assert total > 20 and f"Exported {total} rows in 7 tables." in report
    assert [line.split()[:3] for line in report.splitlines() if "share_link" in line] == [["share_link", "│", "1"]]
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["tables"] == document["tables"] and written["schema"] == head()
    assert not path.with_name("move.json.partial").exists()

    target = fresh_database_url(backend, tmp_path)  # not migrated: `import` migrates it first
    imported = cli("import", "-", url=target, stdin=path.read_bytes())
    assert imported.returncode == 0, imported.stderr.decode()
    lines = imported.stdout.decode().splitlines()
    assert any(line.split()[:3] == ["revision", "│", str(PRESETS)] for line in lines), lines
    assert f"Imported {total} rows in 7 tables." in lines[-1]

    again = cli_on(target, "import", str(path))
    assert again.exit_code == 1
    assert "Nothing imported: the target database is not empty (app_user holds 1 row," in again.stderr

    back = cli_on(target, "export-all")
    assert back.exit_code == 0, back.stderr
    assert json.loads(back.stdout)["tables"] == document["tables"]


def test_the_import_command_says_why_it_refuses(
    tmp_path: Path, new_db: Callable[[str], str], cli_on: Callable[..., Any]
) -> None:
    target = new_db("sqlite")
    not_json = cli_on(target, "import", "-", stdin="scenario,revision\n")
    assert not_json.exit_code == 1 and "stdin is not JSON" in not_json.stderr
    missing = cli_on(target, "import", str(tmp_path / "nowhere.json"))
    assert missing.exit_code == 1 and "Cannot read" in missing.stderr and "nowhere.json" in missing.stderr
    other = cli_on(target, "import", "-", stdin=json.dumps({"format": "llm-tco-export", "version": 9}))
    assert other.exit_code == 1 and "export format version 9" in other.stderr
    assert set(counts(target).values()) == {0}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_presets_round_trip_quickly(backend: str, new_db: Callable[[str], str]) -> None:
    """The size and time of moving the presets (printed with -s), and a bound far above them."""
    source = new_db("sqlite")
    with session_on(source) as session:
        saved.seed_presets(session, author="local")
    started = time.perf_counter()
    document = export(source)
    text = json.dumps(document)
    exported_s = time.perf_counter() - started
    target = new_db(backend)
    started = time.perf_counter()
    load(target, json.loads(text))
    imported_s = time.perf_counter() - started
    print(f"\n{PRESETS} presets, {backend}: {len(text):,} bytes; export {exported_s:.3f} s, import {imported_s:.3f} s")
    assert export(target)["tables"] == document["tables"]
    assert len(text) < 200_000 and exported_s + imported_s < 10


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_export_is_one_snapshot_while_the_app_goes_on_writing(backend: str, new_db: Callable[[str], str]) -> None:
    """A writer commits after the export has read its first table: no table of the export shows it, so
    the document is the database as it was at one instant (a backup taken while the app runs)."""
    url = new_db(backend)
    small(url)
    engine = get_engine(url)
    writes: list[str] = []

    def write_meanwhile(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if writes or "FROM app_user" not in statement:
            return
        with Session(create_engine(url)) as other:  # another connection, as another worker would be
            saved.save(other, scenario=next(iter(presets().values())).scenario, author="meanwhile")
        writes.append("one more scenario")

    event.listen(engine, "after_cursor_execute", write_meanwhile)
    try:
        document = export(url)
    finally:
        event.remove(engine, "after_cursor_execute", write_meanwhile)
    assert writes == ["one more scenario"]
    assert [row["id"] for row in document["tables"]["scenario"]] == list(range(1, PRESETS + 1))
    assert all(row["actor"] != "meanwhile" for row in document["tables"]["audit"])
    assert counts(url)["scenario"] == PRESETS + 1  # the write happened, and the next export has it
    assert len(export(url)["tables"]["scenario"]) == PRESETS + 1
