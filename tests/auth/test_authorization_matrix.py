"""Who may call what: every route of the app x every kind of caller, with the status the access rules
(app/auth/policy.py) promise. The routes are read from the app itself, so a new route is in this matrix
the day it is added, and a route without a rule stops create_app() (tested below).

Callers: anonymous, a session of each role, an admin's read token and an editor's write token. The
expectation: denied -> 403; anonymous on a non-public route -> 401 on /api/v1 and /openapi.json, a
303 to /sign-in on pages; allowed -> neither 401 nor 403, and never a 5xx. Bearer tokens count only on
/api/v1 and /openapi.json: on a page a token alone is anonymous.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session
from teamkit import PASSWORD, Team

from app import review, saved
from app.auth import accounts, keys
from app.auth.guard import PRE_COOKIE, NoRule, route_table
from app.auth.policy import RULES
from app.auth.roles import ROLE_PERMISSIONS, TOKEN_SCOPES, Permission
from app.db.migrate import alembic_config
from app.main import create_app
from app.presets import presets

FORMS = {"/sign-in": {"username": "viewer", "password": PASSWORD}}
"""Forms sent in full, where the route itself would answer 401 or 403 to an empty one."""
CALLERS = ["anonymous", "viewer", "reviewer", "editor", "admin", "read-token:admin", "write-token:editor"]
ROUTES = sorted(
    (method, str(c.path))
    for c in iter_route_contexts(create_app().router.routes)
    for method in c.methods or ()
    if method != "HEAD"
)


def _allowed(caller: str, permission: Permission, api: bool, method: str) -> bool | None:
    """True or False, or None for "sign-in needed" (no credential this route accepts)."""
    token_on_page = ":" in caller and not api  # a script, not a browser: no session, no CSRF token
    if permission is Permission.PUBLIC:
        return method == "GET" or not token_on_page
    if caller == "anonymous" or (caller.startswith(("read-token", "write-token")) and not api):
        return None
    if ":" in caller:
        scope, role = caller.split("-token:")
        return permission in ROLE_PERMISSIONS[role] & TOKEN_SCOPES[scope]
    return permission in ROLE_PERMISSIONS[caller]


@pytest.fixture
def world(db_engine: Engine, team: Team) -> dict[str, Any]:
    """Real rows for every path parameter: a saved scenario with a share link, a user, a token."""
    with Session(db_engine, expire_on_commit=False) as session:
        row = saved.save(session, scenario=next(iter(presets().values())).scenario, author="editor")
        _, share = review.create_share(session, row=row, revision=1, actor="editor", days=7)
        target = accounts.create_user(session, username="target", role="viewer", password=PASSWORD, actor="setup")
        owner = accounts.get_user(session, username="viewer")
        assert owner is not None
        token, _ = accounts.create_token(session, user=owner, name="t", scope="read", days=7)
        link = review.shares(session, scenario_id=row.id)[0]  # type: ignore[arg-type]
    return {
        "scenario_id": row.id,
        "number": 1,
        "token": share,
        "share_id": link.id,
        "user_id": target.id,
        "token_id": token.id,
        "entry_id": "openai:gpt-4o",
        "slug": next(iter(presets())),
        "path": "prompting.model",
    }


def _url(template: str, world: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name == "path" and template.startswith("/static/"):
            return "css/app.css"
        return str(world[name])

    return re.sub(r"\{([^}]+)\}", fill, template)


def _client(team: Team, caller: str) -> TestClient:
    if caller == "anonymous":  # a visitor with the pre-session cookie and its CSRF token, as the sign-in form has
        pre = "p" * 24
        client = team.anonymous(follow_redirects=False, headers={"X-CSRF-Token": _pre_csrf(team, pre)})
        client.cookies.set(PRE_COOKIE, pre)
        return client
    if ":" in caller:
        scope, role = caller.split("-token:")
        secret = team.token(role, scope)
        return team.anonymous(follow_redirects=False, headers={"Authorization": f"Bearer {secret}"})
    client = team.signed_in(caller)
    client.follow_redirects = False
    return client


def _stamp_head(engine: Any) -> None:
    with engine.begin() as connection:
        MigrationContext.configure(connection).stamp(ScriptDirectory.from_config(alembic_config("sqlite://")), "head")


def _pre_csrf(team: Team, pre: str) -> str:
    return keys.csrf_token(keys.secret(team.settings.secret_key), pre)


@pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True)  # the guard's answers do not depend on the database
@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_route_answers_every_caller_as_its_rule_says(
    team: Team, world: dict[str, Any], method: str, template: str
) -> None:
    permission = RULES[(method, template)]
    if template == "/readyz":  # tables made by create_all: mark them migrated, or readiness says 503
        _stamp_head(team.engine)
    api = template.startswith("/api/") or template == "/openapi.json"  # where tokens count
    url = _url(template, world)
    for caller in CALLERS:
        client = _client(team, caller)
        body: dict[str, Any] = {"json": {}} if api else {"data": FORMS.get(template, {})}
        response = client.request(method, url, **(body if method != "GET" else {}))
        allowed = _allowed(caller, permission, api, method)
        where = f"{caller} {method} {url} -> {response.status_code}: {response.text[:200]}"
        assert response.status_code < 500, where
        if allowed is None:
            if api:
                assert response.status_code == 401, where
            else:
                assert response.status_code == 303, where
                assert response.headers["location"].startswith("/sign-in?next="), where
        elif allowed:
            assert response.status_code not in (401, 403), where
        else:
            assert response.status_code == 403, where


def test_every_rule_names_a_route_of_the_app() -> None:
    stale, missing = set(RULES) - set(ROUTES), set(ROUTES) - set(RULES)
    assert not stale and not missing, {"rules without a route": stale, "routes without a rule": missing}


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


def test_docs_teams_lists_exactly_the_access_rules() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "teams.md").read_text()
    listed = {
        (m, p): Permission(perm) for m, p, perm in re.findall(r"^\| `([A-Z]+)` \| `([^`]+)` \| (\w+) \|$", doc, re.M)
    }
    assert listed == RULES
