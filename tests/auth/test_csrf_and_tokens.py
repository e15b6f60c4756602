"""CSRF on every state-changing browser request (more in tests/auth/test_csrf.py), and API tokens:
scopes, what a spreadsheet's read token receives, role changes, expiry, revocation, the reasons and
WWW-Authenticate errors of refusals, where a token is read, hashing."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from teamkit import Team

from app.auth import accounts
from app.db.models import ApiTokenRow, ScenarioRow, UserRow, utcnow

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


def test_a_bearer_token_needs_no_csrf(team: Team) -> None:
    """A token is not ambient (another site's page cannot make a browser send it), so no CSRF token."""
    script = team.bearer("editor", "write")
    sid = _scenario(script)
    assert script.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Again"}}).status_code == 200


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
        ("POST", f"{API}/{sid}/reprice", {"revision": 1}),
        ("POST", f"{API}/{sid}/comments", {"revision": 1, "body": "hi"}),
        ("POST", f"{API}/{sid}/submit", {"revision": 1}),
        ("POST", f"{API}/{sid}/approve", {"revision": 1}),
        ("POST", "/api/v1/export.csv", {}),  # computes: a read token only reads what is saved
    ]:
        response = reader.request(method, url, json=body)
        assert response.status_code == 403, (method, url)
        assert "read-only" in response.json()["detail"] and "write token" in response.json()["detail"]


def test_a_read_token_pulls_what_a_spreadsheet_needs(team: Team) -> None:
    sid = _scenario(team.signed_in("editor"))
    reader = team.bearer("viewer", "read")
    document = reader.get(f"{API}/{sid}/export.json").json()
    rows = list(csv.DictReader(io.StringIO(reader.get(f"{API}/{sid}/export.csv?shape=wide").text)))
    assert len(rows) == document["horizon_months"]
    total = sum(float(r["prompting_total_usd"]) for r in rows)
    assert total == pytest.approx(document["strategies"]["prompting"]["total_usd"], abs=0.01 * len(rows))
    book = openpyxl.load_workbook(io.BytesIO(reader.get(f"{API}/{sid}/export.xlsx").content))
    assert book["Summary"]["B2"].value == "Budget"
    for url in (f"{API}/{sid}", f"{API}/{sid}/revisions", f"{API}/{sid}/audit.csv", "/api/v1/catalog", "/openapi.json"):
        assert reader.get(url).status_code == 200, url


def test_a_write_token_does_what_its_role_allows(team: Team) -> None:
    assert team.bearer("editor", "write").post(API, json={"name": "ok"}).status_code == 201
    viewer = team.bearer("viewer", "write")
    assert viewer.post("/api/v1/validate", json={}).status_code == 200
    assert viewer.post(API, json={"name": "no"}).status_code == 403


def test_a_role_change_applies_to_the_next_call_of_a_token(team: Team) -> None:
    script = team.bearer("editor", "write")
    assert script.post(API, json={"name": "one"}).status_code == 201
    with team.session() as session:
        editor = accounts.get_user(session, username="editor")
        assert editor is not None
        accounts.update_user(session, user=editor, actor="admin", role="viewer")
    assert script.post(API, json={"name": "two"}).status_code == 403
    assert script.get(API).status_code == 200


def test_tokens_count_only_in_the_authorization_header_of_the_api(team: Team) -> None:
    secret = team.token("admin", "write")
    anonymous = team.anonymous(follow_redirects=False)
    assert anonymous.get(API, params={"access_token": secret, "token": secret}).status_code == 401
    for page in ("/scenarios", "/admin/users"):
        assert anonymous.get(page, headers={"Authorization": f"Bearer {secret}"}).status_code == 303, page


@pytest.mark.parametrize(
    ("header", "reason", "error"),
    [
        ("Bearer tco_unknown", "unknown token", "invalid_token"),
        ("Basic dXNlcjpwYXNz", "Authorization: Bearer", "invalid_request"),
        ("Bearer ", "Authorization: Bearer", "invalid_request"),
        ("Bearer", "Authorization: Bearer", "invalid_request"),
    ],
)
def test_unknown_and_malformed_tokens_are_401(team: Team, header: str, reason: str, error: str) -> None:
    response = team.anonymous(headers={"Authorization": header}).get(API)
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert response.headers["www-authenticate"] == f'Bearer error="{error}"'


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


def _row(team: Team, secret: str) -> ApiTokenRow:
    with team.session() as session:
        return session.exec(select(ApiTokenRow).where(ApiTokenRow.prefix == secret[:10])).one()


def test_a_one_day_token_works_until_it_expires(team: Team) -> None:
    secret = team.token("viewer", "read", days=1)
    row = _row(team, secret)
    assert dt.timedelta(hours=23) < row.expires_at - utcnow() <= dt.timedelta(days=1)
    script = team.anonymous(headers={"Authorization": f"Bearer {secret}"})
    assert script.get(API).status_code == 200
    with team.session() as session:
        stored = session.get(ApiTokenRow, row.id)
        assert stored is not None
        stored.expires_at = utcnow() - dt.timedelta(minutes=1)
        session.add(stored)
        session.commit()
    refused = script.get(API)
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]
    assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_a_revoked_token_of_a_disabled_account_stays_refused_when_enabled_again(team: Team) -> None:
    secret = team.token("reviewer", "read")
    script = team.anonymous(headers={"Authorization": f"Bearer {secret}"})
    with team.session() as session:
        user = session.exec(select(UserRow).where(UserRow.username == "reviewer")).one()
        accounts.update_user(session, user=user, actor="admin", disabled=True)
    assert "disabled" in script.get(API).json()["detail"]
    with team.session() as session:
        accounts.revoke_token(session, token=_row(team, secret), actor="reviewer")
        user = session.exec(select(UserRow).where(UserRow.username == "reviewer")).one()
        accounts.update_user(session, user=user, actor="admin", disabled=False)
    refused = script.get(API)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_tokens_are_stored_hashed(team: Team) -> None:
    secret = team.token("reviewer")
    with Session(team.engine) as session:
        rows = session.exec(select(ApiTokenRow)).all()
    stored = " ".join(f"{r.token_hash} {r.prefix} {r.name}" for r in rows)
    assert secret not in stored and secret[12:] not in stored
    row = _row(team, secret)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.prefix == secret[:10] and len(secret) > 40
    assert row.last_used_at is None
    team.anonymous(headers={"Authorization": f"Bearer {secret}"}).get(API)
    assert _row(team, secret).last_used_at is not None


def test_swagger_try_it_out_with_a_token_writes_from_a_signed_in_browser(team: Team) -> None:
    """/docs declares the token scheme; Swagger sends it beside the browser's session cookie, without a
    CSRF header, and the token is what counts."""
    browser = team.signed_in("editor")
    schema = browser.get("/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["apiToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "llm-tco tokens create" in scheme["description"]
    operations = [op for path, ops in schema["paths"].items() if path.startswith("/api/v1") for op in ops.values()]
    # no token (local mode) or the bearer token (team mode), for the whole document: Swagger sends it once
    # authorized, and generated clients take a client with or without one (app/api/spec.py)
    assert schema["security"] == [{}, {"apiToken": []}]
    assert operations and not any("security" in op for op in operations)
    swagger = team.anonymous(headers={"Authorization": f"Bearer {team.token('editor', 'write')}"})
    swagger.cookies = browser.cookies
    assert swagger.post(API, json={"name": "From /docs"}).status_code == 201
