"""CSRF on every state-changing browser request, and API tokens: scopes, expiry, revocation, hashing."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from teamkit import Team

from app.auth import accounts
from app.db.models import ApiTokenRow, ScenarioRow, utcnow

API = "/api/v1/scenarios"


def _scenario(client: TestClient) -> int:
    response = client.post(API, json={"name": "Budget"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _archived(team: Team, sid: int) -> bool:
    with team.session() as session:
        row = session.get(ScenarioRow, sid)
        assert row is not None
        return row.archived_at is not None


@pytest.mark.parametrize("mode", ["auth", "local"])
def test_a_form_post_without_its_token_is_refused_and_changes_nothing(
    mode: str, team: Team, client: TestClient
) -> None:
    browser = team.signed_in("editor") if mode == "auth" else client
    sid = _scenario(browser)
    good = dict(browser.headers)["x-csrf-token"]
    bare = team.anonymous(follow_redirects=False) if mode == "auth" else TestClient(client.app, follow_redirects=False)
    bare.cookies = browser.cookies
    for data in ({}, {"csrf_token": "0" * 43}, {"csrf_token": good[:-1] + ("0" if good[-1] != "0" else "1")}):
        response = bare.post(f"/scenarios/{sid}/archive", data=data)
        assert response.status_code == 403, data
        assert "security token" in response.text
    assert browser.get(f"{API}/{sid}").json()["archived"] is False
    done = bare.post(f"/scenarios/{sid}/archive", data={"csrf_token": good})
    assert done.status_code == 303
    assert browser.get(f"{API}/{sid}").json()["archived"] is True


def test_an_htmx_post_needs_the_header_and_another_sessions_token_is_refused(team: Team) -> None:
    editor, other = team.signed_in("editor"), team.signed_in("admin")
    sid = _scenario(editor)
    thief = team.anonymous(
        follow_redirects=False, headers={"HX-Request": "true", "X-CSRF-Token": other.headers["x-csrf-token"]}
    )
    thief.cookies = editor.cookies
    assert thief.post(f"/scenarios/{sid}/archive").status_code == 403
    assert not _archived(team, sid)


def test_a_cross_site_origin_is_refused_even_with_a_token(team: Team, client: TestClient) -> None:
    editor = team.signed_in("editor")
    sid = _scenario(editor)
    evil = {"Origin": "https://evil.example"}
    assert editor.post(f"/scenarios/{sid}/archive", headers=evil).status_code == 403
    assert client.post(API, json={"name": "x"}, headers=evil).status_code == 403  # local mode API
    assert client.post(API, json={"name": "x"}, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert not _archived(team, sid)


def test_local_mode_api_calls_from_scripts_need_no_token(client: TestClient) -> None:
    script = TestClient(client.app)  # no cookie, no CSRF header, no Origin: curl
    assert script.post(API, json={"name": "From curl"}).status_code == 201


def test_a_signed_in_browser_posting_to_the_api_needs_the_csrf_header(team: Team) -> None:
    editor = team.signed_in("editor")
    bare = team.anonymous()
    bare.cookies = editor.cookies
    assert bare.post(API, json={"name": "x"}).status_code == 403
    assert editor.post(API, json={"name": "x"}).status_code == 201


def test_a_bearer_token_needs_no_csrf(team: Team) -> None:
    assert team.bearer("editor", "write").post(API, json={"name": "Scripted"}).status_code == 201


# --- tokens ---


def test_a_read_token_pulls_json_csv_and_xlsx_and_nothing_else(team: Team) -> None:
    sid = _scenario(team.signed_in("editor"))
    reader = team.bearer("admin", "read")
    assert reader.get(f"{API}/{sid}").status_code == 200
    assert reader.get(f"{API}/{sid}/export.csv?shape=wide").headers["content-type"].startswith("text/csv")
    assert reader.get(f"{API}/{sid}/export.xlsx").status_code == 200
    assert reader.get(f"{API}/{sid}/export.json").status_code == 200
    for method, url, body in [
        ("POST", "/api/v1/estimate", {}),
        ("POST", API, {"name": "x"}),
        ("PUT", f"{API}/{sid}", {"revision": 1, "scenario": {"name": "y"}}),
        ("DELETE", f"{API}/{sid}", None),
        ("POST", f"{API}/{sid}/comments", {"revision": 1, "body": "hi"}),
    ]:
        response = reader.request(method, url, json=body)
        assert response.status_code == 403, (method, url)
        assert "read-only" in response.json()["detail"]


def test_a_write_token_does_what_its_role_allows(team: Team) -> None:
    assert team.bearer("editor", "write").post(API, json={"name": "ok"}).status_code == 201
    viewer = team.bearer("viewer", "write")
    assert viewer.post("/api/v1/validate", json={}).status_code == 200
    assert viewer.post(API, json={"name": "no"}).status_code == 403


def test_tokens_are_only_for_the_api(team: Team) -> None:
    pages = team.bearer("admin", "write")
    pages.follow_redirects = False
    assert pages.get("/scenarios").status_code == 303


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Bearer tco_unknown", "unknown token"),
        ("Basic dXNlcjpwYXNz", "Authorization: Bearer"),
        ("Bearer ", "Authorization: Bearer"),
    ],
)
def test_unknown_and_malformed_tokens_are_401(team: Team, header: str, reason: str) -> None:
    response = team.anonymous(headers={"Authorization": header}).get(API)
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_revoked_and_expired_tokens_are_401(team: Team) -> None:
    revoked, expired = team.token("viewer"), team.token("viewer")
    with team.session() as session:
        rows = session.exec(select(ApiTokenRow).order_by(ApiTokenRow.id)).all()  # type: ignore[arg-type]
        accounts.revoke_token(session, token=rows[-2], actor="viewer")
        rows[-1].expires_at = utcnow() - dt.timedelta(seconds=1)
        session.add(rows[-1])
        session.commit()
    for secret, reason in ((revoked, "revoked"), (expired, "expired")):
        response = team.anonymous(headers={"Authorization": f"Bearer {secret}"}).get(API)
        assert response.status_code == 401 and reason in response.json()["detail"]


def test_tokens_are_stored_hashed(team: Team) -> None:
    secret = team.token("reviewer")
    with Session(team.engine) as session:
        rows = session.exec(select(ApiTokenRow)).all()
    stored = " ".join(f"{r.token_hash} {r.prefix} {r.name}" for r in rows)
    assert secret not in stored and secret[12:] not in stored
