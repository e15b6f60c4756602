"""CSRF, beyond tests/auth/test_csrf_and_tokens.py (archive without, with a wrong and with another
session's token; a cross-site Origin; bearer tokens; curl in local mode): saving a scenario and
signing out need the token too, an htmx request without its header is refused, a signed-in browser's
API writes need the header whatever the method, the Origin and Sec-Fetch-Site rules, and a token never
counts from the address or a multipart body. Each refusal changes nothing, audit log included.

Both modes: auth (a signed-in editor) and local (no sign-in; the token is bound to "local").
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import func, select
from teamkit import Team

from app.auth import keys
from app.auth.guard import SESSION_COOKIE
from app.db.models import AuditRow, ScenarioRow

API = "/api/v1/scenarios"
MODES = ["auth", "local"]


@dataclass
class Browser:
    """A browser of either mode: `page` sends the CSRF header as htmx does; `bare` has the same cookies
    and no header (what another site's form or fetch can send); `token` is what the page's forms carry."""

    page: TestClient
    bare: TestClient
    token: str


def _browser(mode: str, team: Team, client: TestClient) -> Browser:
    if mode == "auth":
        page = team.signed_in("editor")
        bare = team.anonymous(follow_redirects=False)
        bare.cookies = page.cookies
        return Browser(page, bare, page.headers["x-csrf-token"])
    token = keys.csrf_token(keys.secret(team.settings.secret_key), "local")
    assert client.headers["x-csrf-token"] == token
    return Browser(client, TestClient(client.app, follow_redirects=False), token)


def _counts(team: Team) -> tuple[int, int]:
    """(scenarios, audit entries): a refused request must change neither."""
    with team.session() as session:
        scenarios = session.exec(select(func.count()).select_from(ScenarioRow)).one()
        entries = session.exec(select(func.count()).select_from(AuditRow)).one()
    return int(scenarios), int(entries)


def _refused(response: Response) -> None:
    assert response.status_code == 403, response.text[:300]


def _archived(team: Team, sid: int) -> bool:
    with team.session() as session:
        row = session.get(ScenarioRow, sid)
        assert row is not None
        return row.archived_at is not None


@pytest.mark.parametrize("mode", MODES)
def test_saving_a_scenario_from_the_form_needs_its_token(mode: str, team: Team, client: TestClient) -> None:
    browser = _browser(mode, team, client)
    form = {"name": "From the form"}
    before = _counts(team)
    _refused(browser.bare.post("/scenarios", data=form))
    _refused(browser.bare.post("/scenarios", data=form | {"csrf_token": "x" * 43}))
    _refused(browser.bare.post(f"/scenarios?csrf_token={browser.token}", data=form))  # never from the address
    _refused(browser.bare.post("/scenarios", files={"csrf_token": (None, browser.token), "name": (None, "x")}))
    assert _counts(team) == before
    saved = browser.bare.post("/scenarios", data=form | {"csrf_token": browser.token})
    assert saved.status_code == 303 and saved.headers["location"].startswith("/scenarios/")
    assert _counts(team)[0] == before[0] + 1


@pytest.mark.parametrize("mode", MODES)
def test_an_htmx_request_without_its_header_is_refused(mode: str, team: Team, client: TestClient) -> None:
    browser = _browser(mode, team, client)
    sid = browser.page.post(API, json={"name": "Budget"}).json()["id"]
    before = _counts(team)
    htmx = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/scenarios/{sid}"}
    _refused(browser.bare.post(f"/scenarios/{sid}/archive", headers=htmx))
    _refused(browser.bare.post(f"/scenarios/{sid}/archive", headers=htmx | {"X-CSRF-Token": ""}))
    assert not _archived(team, sid) and _counts(team) == before
    done = browser.bare.post(f"/scenarios/{sid}/archive", headers=htmx | {"X-CSRF-Token": browser.token})
    assert done.status_code == 303 and _archived(team, sid)


def test_signing_out_needs_the_token_and_a_refusal_keeps_the_session(team: Team) -> None:
    browser = _browser("auth", team, TestClient(team.app))  # type: ignore[arg-type]
    _refused(browser.bare.post("/sign-out"))
    _refused(browser.bare.post("/sign-out", data={"csrf_token": "0" * 43}))
    assert browser.bare.get("/account").status_code == 200  # still signed in
    out = browser.bare.post("/sign-out", data={"csrf_token": browser.token})
    assert out.status_code == 303 and out.headers["location"].startswith("/sign-in")
    again = team.anonymous(follow_redirects=False)
    again.cookies.set(SESSION_COOKIE, browser.page.cookies.get(SESSION_COOKIE) or "")
    assert again.get("/account").status_code == 303


def test_a_signed_in_browsers_api_writes_need_the_header_for_every_method(team: Team) -> None:
    browser = _browser("auth", team, TestClient(team.app))  # type: ignore[arg-type]
    sid = browser.page.post(API, json={"name": "Budget"}).json()["id"]
    before = _counts(team)
    for method, url, body in [
        ("POST", API, {"name": "x"}),
        ("PUT", f"{API}/{sid}", {"revision": 1, "scenario": {"name": "y"}}),
        ("DELETE", f"{API}/{sid}", None),
        ("POST", f"{API}/{sid}/reprice", {"revision": 1}),
        ("POST", f"{API}/{sid}/comments", {"revision": 1, "body": "hi"}),
        ("POST", f"{API}/{sid}/submit", {"revision": 1}),
        ("POST", "/api/v1/estimate", {}),  # saves nothing, but a cookie alone is never enough
    ]:
        _refused(browser.bare.request(method, url, json=body))
    assert _counts(team) == before and not _archived(team, sid)
    assert browser.page.delete(f"{API}/{sid}").status_code == 200


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Origin": "http://testserver"}, True),
        ({"Sec-Fetch-Site": "same-origin"}, True),
        ({"Origin": "null"}, False),  # a sandboxed frame, a data: page
        ({"Origin": "http://testserver.evil.example"}, False),
        ({"Origin": "https://testserver"}, False),  # another scheme is another origin
        ({"Sec-Fetch-Site": "same-site"}, False),  # a sibling subdomain is not this site
        ({"Sec-Fetch-Site": "cross-site"}, False),
    ],
)
def test_the_origin_of_a_form_post(
    mode: str, headers: dict[str, str], allowed: bool, team: Team, client: TestClient
) -> None:
    """Even with the right token: a request another origin made is refused."""
    browser = _browser(mode, team, client)
    sid = browser.page.post(API, json={"name": "Budget"}).json()["id"]
    response = browser.bare.post(f"/scenarios/{sid}/archive", data={"csrf_token": browser.token}, headers=headers)
    assert response.status_code == (303 if allowed else 403), response.text[:200]
    assert _archived(team, sid) is allowed


@pytest.mark.parametrize("headers", [{"Origin": "null"}, {"Sec-Fetch-Site": "same-site"}])
def test_local_mode_api_calls_from_another_origin_are_refused(client: TestClient, headers: dict[str, str]) -> None:
    script = TestClient(client.app)
    _refused(script.post(API, json={"name": "x"}, headers=headers))
    assert script.post(API, json={"name": "x"}).status_code == 201  # curl: no Origin, no Sec-Fetch-Site
