"""Every answer carries the security headers: pages, the API, static files, exports, the guard's
refusals and redirects, CSRF refusals, and the error answers (404, 405, 413, 422 and a bug's 500).

tests/web/test_calculator.py checks the calculator page in local mode; this file checks the rest.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from teamkit import Team

from app.api import reference
from app.web import catalog_page
from app.web.templating import assets

API = "/api/v1/scenarios"


def assert_secured(response: Response, where: str) -> None:
    csp = response.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("script-src") == ["'self'"], f"{where}: {csp!r}"
    assert directives.get("frame-ancestors") == ["'none'"], f"{where}: {csp!r}"
    assert directives.get("object-src") == ["'none'"], f"{where}: {csp!r}"
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") in ("same-origin", "no-referrer"), where
    assert response.headers.get("x-frame-options") == "DENY", where


def _team_cases(team: Team) -> dict[str, tuple[Callable[[], Response], int]]:
    def anonymous() -> TestClient:
        return team.anonymous(follow_redirects=False)

    def viewer() -> TestClient:
        client = team.signed_in("viewer")
        client.follow_redirects = False
        return client

    editor = team.signed_in("editor")
    sid = editor.post(API, json={"name": "Headers"}).json()["id"]
    bare = team.anonymous(follow_redirects=False)  # the editor's cookie without the CSRF header
    bare.cookies = editor.cookies
    return {
        "sign-in page": (lambda: anonymous().get("/sign-in"), 200),
        "guard: page to sign-in": (lambda: anonymous().get("/scenarios"), 303),
        "guard: htmx to sign-in": (lambda: anonymous().get("/scenarios", headers={"HX-Request": "true"}), 401),
        "guard: API 401": (lambda: anonymous().get(API), 401),
        "guard: bad token 401": (lambda: anonymous().get(API, headers={"Authorization": "Bearer tco_nope"}), 401),
        "guard: page 403": (lambda: viewer().get("/admin/users"), 403),
        "guard: API 403": (lambda: viewer().post(API, json={"name": "x"}), 403),
        "guard: read token 403": (lambda: team.bearer("viewer").post("/api/v1/estimate", json={}), 403),
        "CSRF 403": (lambda: bare.post(f"/scenarios/{sid}/archive"), 403),
        "page": (lambda: viewer().get(f"/scenarios/{sid}"), 200),
        "API JSON": (lambda: viewer().get(f"{API}/{sid}"), 200),
        "API CSV": (lambda: team.bearer("viewer").get(f"{API}/{sid}/export.csv"), 200),
        "API XLSX": (lambda: team.bearer("viewer").get(f"{API}/{sid}/export.xlsx"), 200),
        "OpenAPI": (lambda: viewer().get("/openapi.json"), 200),
        "API docs": (lambda: viewer().get("/docs"), 200),
        "static": (lambda: anonymous().get(assets().url("css/app.css")), 200),
        "sign-out redirect": (lambda: viewer().post("/sign-out"), 303),
        "page 404": (lambda: viewer().get("/no-such-page"), 404),
        "scenario 404": (lambda: viewer().get("/scenarios/999999"), 404),
        "API 404": (lambda: viewer().get(f"{API}/999999"), 404),
        "API 405": (lambda: viewer().patch(f"{API}/{sid}"), 405),
        "API 422": (lambda: editor.post(API, json={"name": 5}), 422),
        "API 413": (lambda: editor.post(API, content=b"{" + b" " * 300_000 + b"}"), 413),
    }


def test_every_kind_of_answer_in_team_mode_is_secured(team: Team) -> None:
    failures = []
    for case, (send, status) in _team_cases(team).items():
        response = send()
        try:
            assert response.status_code == status, f"status {response.status_code}: {response.text[:120]}"
            assert_secured(response, case)
        except AssertionError as exc:
            failures.append(f"{case}: {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", ["/", "/scenarios", "/catalog", "/api/v1/presets", "js/app.js"])
def test_local_mode_answers_are_secured(client: TestClient, path: str) -> None:
    response = client.get(path if path.startswith("/") else assets().url(path))
    assert response.status_code == 200
    assert_secured(response, path)


@pytest.mark.parametrize("path", ["/catalog", "/api/v1/catalog"])
def test_a_bugs_500_is_secured_too(team: Team, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """An unhandled exception is answered outside the app's middleware by Starlette: the headers must
    still be there (app/web/middleware.py renders that answer itself)."""

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalog_page, "load_catalog", broken)
    monkeypatch.setattr(reference, "load_catalog", broken)
    client = TestClient(team.app, raise_server_exceptions=False)  # type: ignore[arg-type]
    client.cookies = team.signed_in("viewer").cookies
    response = client.get(path)
    assert response.status_code == 500
    assert_secured(response, path)
    assert "a bug" not in response.text  # the exception stays in the log


def test_a_bug_still_reaches_the_log(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendering the 500 with headers does not swallow the exception: the server still sees it."""

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalog_page, "load_catalog", broken)
    client = TestClient(team.app)  # type: ignore[arg-type]
    client.cookies = team.signed_in("viewer").cookies
    with pytest.raises(RuntimeError, match="a bug"):
        client.get("/catalog")
