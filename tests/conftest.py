"""What every test shares, read before any test module: each pytest-xdist worker's own PostgreSQL database.

`make test` runs pytest on every core (`-n auto`). scripts/with-postgres.sh starts one throwaway server
and names one database in TEST_POSTGRES_URL; here each worker (gw0, gw1, ...) creates a database of its
own beside it, `<database>_<worker>`, and points TEST_POSTGRES_URL at it before the test modules read
it, so no two workers ever share tables. The database is dropped when the worker ends. A serial run
(`-n 0`, or no xdist) uses the script's database as it is. SQLite files and ports are per test already
(tmp_path, port 0).
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from suitekit import duplicate_node_ids, ungrouped

os.environ.setdefault("ALLOWED_HOSTS", '["testserver"]')
"""Starlette's TestClient names its host `testserver`: allowed beside the loopback names (app/hosts.py)
in every app a test makes; tests of the allow-list itself pass their own `allowed_hosts`."""

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_SERVER_URL = os.environ.get("TEST_POSTGRES_URL", "")


def _admin(sql: str) -> None:
    engine = create_engine(_SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def _worker_database() -> str:
    """CREATE DATABASE <database>_<worker> (anew: a killed run may have left one); its URL."""
    url = make_url(_SERVER_URL)
    name = f"{url.database}_{_WORKER}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


if _WORKER and _SERVER_URL:
    os.environ["TEST_POSTGRES_URL"] = _worker_database()


ONE_DATABASE = (
    "web/test_*.py",
    "auth/test_xss.py",
    "auth/test_authorization_matrix.py",
    "auth/test_review_roles.py",
    "auth/test_csrf.py",
    "auth/test_security_headers.py",
    "auth/test_account_pages.py",
    "auth/test_admin_pages.py",
    "auth/test_guard_basics.py",
    "api/test_estimates.py",
    "api/test_finance_api.py",
    "api/test_uncertainty.py",
    "api/test_exports.py",
    "api/test_csv_injection.py",
    "api/test_limits.py",
    "api/test_generated_client.py",
)
"""Test modules whose checks do not depend on the database (pages rendered, rules of access, estimates
and their exports): their `db_engine` tests run on SQLite only, which halves their time. The modules
that exercise storage (saving, searching, revisions, reviews, sign-in sessions and tokens, migrations,
transfers, faults, concurrency, schemathesis on saved scenarios) run on SQLite and on PostgreSQL."""


def _on_postgresql_needlessly(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    if callspec is None or callspec.params.get("db_engine") != "postgresql":
        return False
    where = item.path.relative_to(Path(__file__).parent).as_posix()
    return any(fnmatch.fnmatch(where, pattern) for pattern in ONE_DATABASE)


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own, which suffixes a grouped test's id with @<group>
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the PostgreSQL runs of the ONE_DATABASE modules. Refuse a run that pytest-xdist would get
    wrong without a word: two tests with one node id (it runs one of them), or marked groups it did not
    keep together (pytest 9.2 with xdist 3.8 did that)."""
    needless = [item for item in items if _on_postgresql_needlessly(item)]
    if needless:
        config.hook.pytest_deselected(items=needless)
        items[:] = [item for item in items if not _on_postgresql_needlessly(item)]
    twice = duplicate_node_ids(item.nodeid for item in items)
    if twice:
        raise pytest.UsageError(
            f"{len(twice)} node ids name more than one test (give each a distinct id):\n  " + "\n  ".join(twice[:20])
        )
    lost = ungrouped(items) if getattr(config.option, "loadgroup", False) else []
    if lost:
        raise pytest.UsageError(
            f"pytest-xdist did not group {len(lost)} tests marked xdist_group (it would spread them over the "
            f"workers), e.g. {lost[0]}: check the pytest and pytest-xdist versions of requirements-lock.txt"
        )


def pytest_sessionstart(session: pytest.Session) -> None:
    """var/screenshots (the browser tests' artifacts) is emptied once per run, by the process that runs
    the session: pytest-xdist's workers each write into it, and would delete each other's files."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(Path(__file__).resolve().parents[1] / "var" / "screenshots", ignore_errors=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _WORKER and _SERVER_URL:  # FORCE: the pools of the tests' engines still hold connections to it
        _admin(f'DROP DATABASE IF EXISTS "{make_url(os.environ["TEST_POSTGRES_URL"]).database}" WITH (FORCE)')


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """A shuffled run (`-p randomly`) names its seed at the end, where `-q` still shows it."""
    if config.pluginmanager.hasplugin("randomly"):
        seed = config.getoption("randomly_seed")
        terminalreporter.write_line(
            f"pytest-randomly shuffled this run: replay its order with -p randomly --randomly-seed={seed}"
        )
