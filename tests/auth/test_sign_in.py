"""Sign-in, sessions and sign-out: cookie flags, the same answer for a wrong name or password,
slowing down per account and per address, and a signed-out or disabled session refused on the server."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session
from teamkit import PASSWORD, Team

from app.auth import accounts, keys
from app.auth.guard import PRE_COOKIE, SESSION_COOKIE


def _form_client(team: Team, **kwargs: object) -> tuple[TestClient, str]:
    """A browser that opened the sign-in page: its pre-session cookie and the form's CSRF token."""
    client = team.anonymous(follow_redirects=False, **kwargs)
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and token and client.cookies.get(PRE_COOKIE)
    return client, token.group(1)


def _sign_in(client: TestClient, csrf: str, username: str, password: str, next_: str = "/") -> httpx.Response:
    data = {"username": username, "password": password, "next": next_, "csrf_token": csrf}
    return client.post("/sign-in", data=data)


def test_sign_in_sets_a_signed_http_only_lax_cookie_and_goes_where_asked(team: Team) -> None:
    client, csrf = _form_client(team)
    response = _sign_in(client, csrf, "Reviewer", PASSWORD, "/scenarios?q=a")
    assert response.status_code == 303 and response.headers["location"] == "/scenarios?q=a"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    assert client.get("/scenarios").status_code == 200
    assert "reviewer" in client.get("/account").text


def test_the_cookie_is_secure_under_https(team: Team) -> None:
    client, csrf = _form_client(team, base_url="https://testserver")
    response = _sign_in(client, csrf, "viewer", PASSWORD)
    assert "Secure" in response.headers["set-cookie"]


def test_wrong_password_and_unknown_user_read_the_same(team: Team) -> None:
    client, csrf = _form_client(team)
    wrong = _sign_in(client, csrf, "viewer", "not the password")
    unknown = _sign_in(client, csrf, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong username or password." in wrong.text and "Wrong username or password." in unknown.text
    assert 'value="viewer"' in wrong.text  # the username is kept


def test_next_never_leaves_the_site(team: Team) -> None:
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)"):
        client, csrf = _form_client(team)
        response = _sign_in(client, csrf, "viewer", PASSWORD, target)
        assert response.headers["location"] == "/", target


def test_failures_slow_down_per_account_even_with_the_right_password(team: Team) -> None:
    client, csrf = _form_client(team)
    for _ in range(team.settings.sign_in_free_failures):
        assert _sign_in(client, csrf, "editor", "wrong password!").status_code == 401
    refused = _sign_in(client, csrf, "editor", PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "Too many failed sign-ins" in refused.text
    other, csrf2 = _form_client(team)  # another account is not slowed by this one's failures (same address: under 4x)
    assert _sign_in(other, csrf2, "viewer", PASSWORD).status_code == 303


def test_failures_slow_down_per_address_across_accounts(team: Team) -> None:
    client, csrf = _form_client(team)
    for i in range(4 * team.settings.sign_in_free_failures):
        assert _sign_in(client, csrf, f"guess{i}", "wrong password!").status_code == 401
    assert _sign_in(client, csrf, "viewer", PASSWORD).status_code == 429


def test_a_success_clears_the_account_count(team: Team) -> None:
    client, csrf = _form_client(team)
    for _ in range(team.settings.sign_in_free_failures - 1):
        _sign_in(client, csrf, "admin", "wrong password!")
    assert _sign_in(client, csrf, "admin", PASSWORD).status_code == 303
    client2, csrf2 = _form_client(team)
    for _ in range(team.settings.sign_in_free_failures - 1):
        assert _sign_in(client2, csrf2, "admin", "wrong password!").status_code == 401


def test_sign_out_ends_the_session_on_the_server(team: Team) -> None:
    client = team.signed_in("editor")
    client.follow_redirects = False
    stolen = client.cookies.get(SESSION_COOKIE)
    assert client.get("/account").status_code == 200
    out = client.post("/sign-out", data={})
    assert out.status_code == 303 and out.headers["location"].startswith("/sign-in")
    copy = team.anonymous(follow_redirects=False)
    copy.cookies.set(SESSION_COOKIE, stolen or "")
    assert copy.get("/account").status_code == 303  # sent to sign in: the copy is worthless
    assert copy.get("/api/v1/scenarios").status_code == 401


def test_a_forged_cookie_is_anonymous(team: Team) -> None:
    client = team.anonymous(follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, keys.sign(b"another key entirely, not the app's own", "x" * 40))
    assert client.get("/scenarios").status_code == 303


def test_disabling_an_account_ends_its_sessions_and_tokens(team: Team) -> None:
    browser, script = team.signed_in("viewer"), team.bearer("viewer")
    assert browser.get("/api/v1/scenarios").status_code == script.get("/api/v1/scenarios").status_code == 200
    with Session(team.engine, expire_on_commit=False) as session:
        user = accounts.get_user(session, username="viewer")
        assert user is not None
        accounts.update_user(session, user=user, actor="admin", disabled=True)
    assert browser.get("/api/v1/scenarios").status_code == 401
    refused = script.get("/api/v1/scenarios")
    assert refused.status_code == 401 and "disabled" in refused.json()["detail"]
    client, csrf = _form_client(team)
    assert "disabled" in _sign_in(client, csrf, "viewer", PASSWORD).text


def test_the_sign_in_form_needs_its_csrf_token(team: Team) -> None:
    client, _ = _form_client(team)
    response = client.post("/sign-in", data={"username": "viewer", "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
