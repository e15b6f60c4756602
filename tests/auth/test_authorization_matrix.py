"""Who may call what: every route of the app x every kind of caller, with the status the access rules
(app/auth/policy.py) promise. The routes are read from the app itself (the walk of
app/auth/guard.route_table), so a new route is in this matrix the day it is added, and a route
without a rule stops create_app() (tested below).

Callers: anonymous, a session of each role, an admin's read token and an editor's write token. The
expectation: denied -> 403; anonymous on a non-public route -> 401 on /api/v1 and /openapi.json, a
303 to /sign-in on pages; allowed -> neither 401 nor 403, and never a 5xx. Bearer tokens count only on
/api/v1 and /openapi.json: on a page a token alone is anonymous.

One team deployment per database backend serves the whole matrix (a module fixture): its rows are
made once, and each route's test sends its requests to it with fresh credentials.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, SQLModel
from teamkit import PASSWORD

from app import review, saved
from app.auth import accounts, keys
from app.auth.guard import PRE_COOKIE, SESSION_COOKIE, NoRule, route_table
from app.auth.policy import ROUTE_CHECKS, RULES, SCENARIO
from app.auth.roles import ROLE_PERMISSIONS, TOKEN_SCOPES, Permission
from app.db.migrate import alembic_config
from app.db.models import ROLES
from app.main import create_app
from app.presets import presets
from app.settings import Settings

FORMS = {"/sign-in": {"username": "viewer", "password": PASSWORD}}
"""Forms sent in full, where the route itself would answer 401 or 403 to an empty one."""
CALLERS = ["anonymous", "viewer", "reviewer", "editor", "admin", "read-token:admin", "write-token:editor"]
ROUTES = sorted(
    (method, str(c.path))
    for c in iter_route_contexts(create_app().router.routes)
    for method in c.methods or ()
    if method != "HEAD"  # HEAD follows GET (policy.rule)
)
ROOT = Path(__file__).resolve().parents[2]


def _allowed(caller: str, permission: Permission, api: bool, method: str) -> bool | None:
    """True or False, or None for "sign-in needed" (no credential this route accepts)."""
    token_on_page = ":" in caller and not api  # a script, not a browser: no session, no CSRF token
    if permission is Permission.PUBLIC:
        return method == "GET" or not token_on_page
    if caller == "anonymous" or token_on_page:
        return None
    if ":" in caller:
        scope, role = caller.split("-token:")
        return permission in ROLE_PERMISSIONS[role] & TOKEN_SCOPES[scope]
    return permission in ROLE_PERMISSIONS[caller]


class Deployment:
    """A team deployment (sign-in required) with a row behind every path parameter."""

    def __init__(self, app: FastAPI, settings: Settings, world: dict[str, Any], tokens: dict[str, str]) -> None:
        self.app, self.settings, self.world, self.tokens = app, settings, world, tokens
        self.key = keys.secret(settings.secret_key)

    def client(self, caller: str) -> TestClient:
        """A fresh client of `caller`: sessions are signed in anew (an earlier route may have signed
        one out), with their CSRF header as htmx sends it."""
        if caller == "anonymous":  # a visitor with the pre-session cookie and its token, as the sign-in form has
            pre = "p" * 24
            csrf = {"X-CSRF-Token": keys.csrf_token(self.key, pre)}
            client = TestClient(self.app, follow_redirects=False, headers=csrf)
            client.cookies.set(PRE_COOKIE, pre)
            return client
        if ":" in caller:
            secret = self.tokens[caller]
            return TestClient(self.app, follow_redirects=False, headers={"Authorization": f"Bearer {secret}"})
        with self.app.state.session_factory() as session:
            found = accounts.sign_in(
                session, username=caller, password=PASSWORD, address="matrix", free_failures=5, session_hours=1
            )
        assert not isinstance(found, accounts.Refused), found
        raw = found[1]
        client = TestClient(self.app, follow_redirects=False, headers={"X-CSRF-Token": keys.csrf_token(self.key, raw)})
        client.cookies.set(SESSION_COOKIE, keys.sign(self.key, raw))
        return client


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def deployment(request: pytest.FixtureRequest) -> Iterator[Deployment]:
    api = sys.modules["tests_api_fixtures"]  # tests/api/conftest.py, loaded by this folder's conftest.py
    if request.param == "postgresql":
        if not api.POSTGRES_URL:
            pytest.skip(api.POSTGRES_SKIPPED)
        engine = request.getfixturevalue("postgres_engine")
        SQLModel.metadata.drop_all(engine)
    else:
        engine = api._sqlite_memory()
    SQLModel.metadata.create_all(engine)
    with engine.begin() as connection:  # create_all's tables, marked as migrated: /readyz answers 200
        MigrationContext.configure(connection).stamp(ScriptDirectory.from_config(alembic_config("sqlite://")), "head")
    settings = Settings(database_url="sqlite://", seed_presets=False, secret_key=api.TEST_KEY, auth_required=True)
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "hasher", cheap)
        patch.setattr(accounts, "_DUMMY_HASH", cheap.hash("a password nobody has"))
        app = create_app(settings)
        api.wire(app, engine)
        with Session(engine, expire_on_commit=False) as session:
            users = {
                role: accounts.create_user(session, username=role, role=role, password=PASSWORD, actor="setup")
                for role in ROLES
            }
            row = saved.save(session, scenario=next(iter(presets().values())).scenario, author="editor")
            assert row.id is not None
            _, share = review.create_share(session, row=row, revision=1, actor="editor", days=7)
            link = review.shares(session, scenario_id=row.id)[0]
            target = accounts.create_user(session, username="target", role="viewer", password=PASSWORD, actor="setup")
            token, _ = accounts.create_token(session, user=users["viewer"], name="t", scope="read", days=7)
            tokens = {}
            for caller in CALLERS:
                if ":" in caller:
                    scope, role = caller.split("-token:")
                    _, tokens[caller] = accounts.create_token(
                        session, user=users[role], name=caller, scope=scope, days=7
                    )
        world = {
            "scenario_id": row.id,
            "number": 1,
            "token": share,
            "share_id": link.id,
            "user_id": target.id,
            "token_id": token.id,
            "entry_id": "openai:gpt-4o",
            "slug": next(iter(presets())),
            "path": "prompting.model",
            "chart_id": "chart-cumulative",
        }
        yield Deployment(app, settings, world, tokens)
    if request.param == "sqlite":
        engine.dispose()


def _url(template: str, world: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name == "path" and template.startswith("/static/"):
            return "css/app.css"
        return str(world[name])

    return re.sub(r"\{([^}]+)\}", fill, template)


REFUSED_BACK = {("POST", f"{SCENARIO}/{step}") for step in ("submit", "approve", "request-changes", "comments")}
"""Page steps whose refusal goes back to the scenario page with the reason (app.web.review), not a 403."""


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_route_answers_every_caller_as_its_rule_says(deployment: Deployment, method: str, template: str) -> None:
    permission = ROUTE_CHECKS.get((method, template), RULES[(method, template)])  # what the caller meets
    api = template.startswith("/api/") or template == "/openapi.json"  # where tokens count
    url = _url(template, deployment.world)
    failures = []
    for caller in CALLERS:
        body: dict[str, Any] = {"json": {}} if api else {"data": FORMS.get(template, {})}
        response = deployment.client(caller).request(method, url, **(body if method != "GET" else {}))
        allowed = _allowed(caller, permission, api, method)
        status = response.status_code
        if allowed is None:
            location = response.headers.get("location", "")
            ok = status == 401 if api else (status == 303 and location.startswith("/sign-in?next="))
            expected = "401" if api else "303 to /sign-in"
        elif allowed:
            ok, expected = status not in (401, 403) and status < 500, "neither 401, 403 nor 5xx"
        elif (method, template) in REFUSED_BACK:
            location = response.headers.get("location", "")
            page = url.rsplit("/", 1)[0]
            ok, expected = status == 303 and location.startswith(page + "?"), f"303 back to {page}"
        else:
            ok, expected = status == 403, "403"
        if not ok:
            failures.append(f"{caller}: {status}, expected {expected} ({permission}): {response.text[:160]}")
    assert not failures, f"{method} {url}\n" + "\n".join(failures)


def test_every_rule_names_a_route_of_the_app() -> None:
    stale, missing = set(RULES) - set(ROUTES), set(ROUTES) - set(RULES)
    assert not stale and not missing, {"rules without a route": stale, "routes without a rule": missing}


def test_the_matrix_walks_the_routes_the_guard_checks() -> None:
    """The matrix's routes are the guard's table (HEAD aside): the same walk, nothing left out."""
    guarded = {(m, p) for _, m, p, _ in route_table(create_app().router.routes) if m != "HEAD"}
    assert guarded == set(ROUTES)


def test_a_route_without_a_rule_stops_the_app() -> None:
    app = create_app()
    app.get("/forgotten")(lambda: "served unchecked")
    with pytest.raises(NoRule, match="GET /forgotten"):
        route_table(app.router.routes)


def test_the_guard_refuses_a_route_added_after_start_rather_than_serve_it() -> None:
    """Even a route added to a running app (no create_app check) is refused, never served unchecked."""
    app: FastAPI = create_app()
    with TestClient(app) as client:
        client.get("/static/css/app.css")  # the middleware stack is built
        app.get("/late")(lambda: "served unchecked")
        response = client.get("/late")
    assert "served unchecked" not in response.text


DOC_ROW = re.compile(r"^\| `([A-Z]+)` \| `([^`]+)` \| (\w+) \|$", re.M)


def test_docs_teams_lists_exactly_the_access_rules() -> None:
    """docs/teams.md's "Access rules" tables name every rule once, with its permission: no drift."""
    doc = (ROOT / "docs" / "teams.md").read_text()
    section = doc.split("\n## Access rules\n", 1)[1].split("\n## ", 1)[0]
    rows = DOC_ROW.findall(section)
    listed = {(m, p): Permission(perm) for m, p, perm in rows}
    assert len(rows) == len(listed), "a rule is listed twice"
    assert listed == RULES, {
        "in the doc only": set(listed.items()) - set(RULES.items()),
        "in the code only": set(RULES.items()) - set(listed.items()),
    }


def test_docs_teams_grants_each_role_exactly_its_permissions() -> None:
    """The "Roles" table of docs/teams.md (permission x viewer, reviewer, editor, admin) is ROLE_PERMISSIONS."""
    doc = (ROOT / "docs" / "teams.md").read_text()
    section = doc.split("\n## Roles\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    roles = header[1:5]
    assert sorted(roles) == sorted(ROLE_PERMISSIONS)
    granted: dict[str, set[Permission]] = {role: set() for role in roles}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        for role, cell in zip(roles, cells[1:5], strict=True):
            if cell == "yes":
                granted[role].add(Permission(cells[0]))
    assert granted == {role: set(ROLE_PERMISSIONS[role]) - {Permission.PUBLIC} for role in roles}
