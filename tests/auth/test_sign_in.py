"""Sign-in, sessions and sign-out: the form, the cookie's flags, the same answer for a wrong name or
password, slowing down per account and per address, `next` never leaving the site, a signed-out or
disabled session refused on the server, and what local mode and an empty deployment say instead."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from teamkit import PASSWORD, Team, htmlkit

from app.auth import accounts, keys
from app.auth.guard import PRE_COOKIE, SESSION_COOKIE
from app.db.models import AuditRow, SessionRow
from app.main import create_app
from app.settings import Settings
from app.web.account import _wait_words


def _form_client(team: Team, **kwargs: Any) -> tuple[TestClient, str]:
    """A browser that opened the sign-in page: its pre-session cookie and the form's CSRF token."""
    client = team.anonymous(follow_redirects=False, **kwargs)
    page = client.get("/sign-in")
    assert page.status_code == 200 and client.cookies.get(PRE_COOKIE)
    form = htmlkit.form_data(htmlkit.dom(page.text).find("form", action="/sign-in"))
    return client, form["csrf_token"][0]


def _sign_in(client: TestClient, csrf: str, username: str, password: str, next_: str = "/") -> httpx.Response:
    data = {"username": username, "password": password, "next": next_, "csrf_token": csrf}
    return client.post("/sign-in", data=data)


def _session_cookie(response: httpx.Response) -> str:
    found = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return found[0]


def _attributes(cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in cookie.split(";")[1:]]
    return {k.lower(): v for k, _, v in (p.partition("=") for p in parts)}


def _error_text(html: str) -> str:
    return str(htmlkit.dom(html).find(id="sign-in-error").text())


def test_the_form_labels_its_fields_and_keeps_next_in_a_hidden_field(team: Team) -> None:
    page = team.anonymous().get("/sign-in", params={"next": "/scenarios?q=a"})
    root = htmlkit.dom(page.text)
    form = root.find("form", action="/sign-in")
    assert form.attrs["method"] == "post"
    for field, kind, complete in (("username", "text", "username"), ("password", "password", "current-password")):
        box = form.find("input", name=field)
        assert box.attrs["type"] == kind and box.attrs["autocomplete"] == complete and "required" in box.attrs
        assert form.find("label", for_=box.attrs["id"]).text() == field.capitalize()
    assert form.find("input", name="next").attrs == {"type": "hidden", "name": "next", "value": "/scenarios?q=a"}
    assert form.find("button", type="submit").text() == "Sign in"


def test_sign_in_sets_a_signed_http_only_lax_cookie_and_goes_where_asked(team: Team) -> None:
    client, csrf = _form_client(team)
    response = _sign_in(client, csrf, "Reviewer", PASSWORD, "/scenarios?q=a")
    assert response.status_code == 303 and response.headers["location"] == "/scenarios?q=a"
    cookie = _session_cookie(response)
    flags = _attributes(cookie)
    assert "httponly" in flags and flags["samesite"] == "lax" and flags["path"] == "/"
    assert flags["max-age"] == str(team.settings.session_hours * 3600)
    assert "secure" not in flags  # plain http: a Secure cookie would never come back
    raw = keys.unsign(keys.secret(team.settings.secret_key), client.cookies[SESSION_COOKIE])
    assert raw is not None  # the value is signed with the app's key
    page = client.get("/account")
    assert page.status_code == 200
    assert htmlkit.dom(page.text).find("dl", class_="facts").find("dd").text() == "reviewer"


def test_the_cookie_is_secure_under_https(team: Team) -> None:
    client, csrf = _form_client(team, base_url="https://testserver")
    response = _sign_in(client, csrf, "viewer", PASSWORD)
    assert response.status_code == 303
    assert "secure" in _attributes(_session_cookie(response))


def test_wrong_password_and_unknown_user_read_the_same_and_keep_the_username(team: Team) -> None:
    client, csrf = _form_client(team)
    wrong = _sign_in(client, csrf, "viewer", "not the password")
    unknown = _sign_in(client, csrf, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert _error_text(wrong.text) == _error_text(unknown.text) == "Wrong username or password."
    form = htmlkit.dom(wrong.text).find("form", action="/sign-in")
    assert form.find("input", name="username").attrs["value"] == "viewer"  # kept
    password = form.find("input", name="password")
    assert "value" not in password.attrs and password.attrs["aria-invalid"] == "true"  # never echoed
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")


def test_blank_fields_are_named_beside_them_and_not_counted_as_failures(team: Team) -> None:
    client, csrf = _form_client(team)
    for _ in range(team.settings.sign_in_free_failures + 1):
        blank = _sign_in(client, csrf, "editor", "")
        assert blank.status_code == 422
    root = htmlkit.dom(blank.text)
    assert root.find(id="err-password").text() == "Enter your password."
    assert root.find(id="err-username").text() == ""
    assert root.find("input", name="password").attrs["aria-invalid"] == "true"
    assert "err-password" in root.find("input", name="password").attrs["aria-describedby"].split()
    assert _sign_in(client, csrf, "editor", PASSWORD).status_code == 303  # blank posts cost nothing


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)", "/\t/evil.example", ""],
)
def test_next_never_leaves_the_site(team: Team, target: str) -> None:
    client, csrf = _form_client(team)
    response = _sign_in(client, csrf, "viewer", PASSWORD, target)
    assert response.status_code == 303 and response.headers["location"] == "/"
    page = team.anonymous().get("/sign-in", params={"next": target})
    assert htmlkit.form_data(htmlkit.dom(page.text).find("form", action="/sign-in"))["next"] == ["/"]


def test_a_local_next_with_its_query_is_kept(team: Team) -> None:
    client, csrf = _form_client(team)
    response = _sign_in(client, csrf, "viewer", PASSWORD, "/scenarios/1?revision=2")
    assert response.headers["location"] == "/scenarios/1?revision=2"


def test_failures_slow_down_per_account_even_with_the_right_password(team: Team) -> None:
    client, csrf = _form_client(team)
    for _ in range(team.settings.sign_in_free_failures):
        assert _sign_in(client, csrf, "editor", "wrong password!").status_code == 401
    refused = _sign_in(client, csrf, "editor", PASSWORD)
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert wait >= 1
    assert _error_text(refused.text) == f"Too many failed sign-ins: try again in {_wait_words(wait)}."
    assert htmlkit.form_data(htmlkit.dom(refused.text).find("form", action="/sign-in"))["username"] == ["editor"]
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    other, csrf2 = _form_client(team)  # another account from the same address is not slowed (under 4x)
    assert _sign_in(other, csrf2, "viewer", PASSWORD).status_code == 303


def test_failures_slow_down_per_address_across_accounts(team: Team) -> None:
    client, csrf = _form_client(team, client=("203.0.113.7", 40000))
    for i in range(4 * team.settings.sign_in_free_failures):
        assert _sign_in(client, csrf, f"guess{i}", "wrong password!").status_code == 401
    blocked = _sign_in(client, csrf, "viewer", PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    elsewhere, csrf2 = _form_client(team, client=("198.51.100.9", 40000))
    assert _sign_in(elsewhere, csrf2, "viewer", PASSWORD).status_code == 303  # the account itself is fine


def test_a_success_clears_the_account_count(team: Team) -> None:
    client, csrf = _form_client(team)
    for _ in range(team.settings.sign_in_free_failures - 1):
        assert _sign_in(client, csrf, "admin", "wrong password!").status_code == 401
    assert _sign_in(client, csrf, "admin", PASSWORD).status_code == 303
    client2, csrf2 = _form_client(team)
    for _ in range(team.settings.sign_in_free_failures - 1):  # a full allowance again, not one left
        assert _sign_in(client2, csrf2, "admin", "wrong password!").status_code == 401


def test_the_wait_reads_in_seconds_then_minutes() -> None:
    assert [_wait_words(s) for s in (1, 2, 59, 60, 61, 900)] == [
        "1 second",
        "2 seconds",
        "59 seconds",
        "1 minute",
        "2 minutes",
        "15 minutes",
    ]


def test_sign_out_ends_the_session_on_the_server(team: Team) -> None:
    client = team.signed_in("editor")
    client.follow_redirects = False
    stolen = client.cookies.get(SESSION_COOKIE) or ""
    assert client.get("/account").status_code == 200
    out = client.post("/sign-out", data={})
    assert out.status_code == 303 and out.headers["location"] == "/sign-in?signed_out=1"
    assert _attributes(_session_cookie(out))["max-age"] == "0"  # the browser forgets it
    said = htmlkit.dom(team.anonymous().get(out.headers["location"]).text).find("p", class_="notice")
    assert said.text() == "You are signed out: your session ended on the server."
    with team.session() as session:
        assert session.exec(select(SessionRow)).all() == []
        assert session.exec(select(AuditRow).where(AuditRow.action == "signed_out")).one().actor == "editor"
    copy = team.anonymous(follow_redirects=False)
    copy.cookies.set(SESSION_COOKIE, stolen)
    sent = copy.get("/account")
    assert sent.status_code == 303 and sent.headers["location"] == "/sign-in?next=%2Faccount"  # the copy is worthless
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
    answer = _sign_in(client, csrf, "viewer", PASSWORD)
    assert answer.status_code == 401 and _error_text(answer.text) == "This account is disabled: ask an admin."


def test_the_sign_in_form_needs_its_csrf_token(team: Team) -> None:
    client, _ = _form_client(team)
    response = client.post("/sign-in", data={"username": "viewer", "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_signed_in_the_page_says_who_you_are_and_where_to_go_on(team: Team) -> None:
    page = team.signed_in("reviewer").get("/sign-in", params={"next": "/compare"})
    notice = htmlkit.dom(page.text).find("p", class_="notice")
    assert notice.text().startswith("You are signed in as reviewer (Reviewer (finance)).")
    assert notice.find("a").attrs["href"] == "/compare"


def test_signing_in_as_someone_else_ends_the_session_before(team: Team) -> None:
    browser = team.signed_in("reviewer")
    browser.follow_redirects = False
    before = browser.cookies.get(SESSION_COOKIE) or ""
    switched = browser.post("/sign-in", data={"username": "viewer", "password": PASSWORD, "next": "/account"})
    assert switched.status_code == 303 and switched.headers["location"] == "/account"
    copy = team.anonymous(follow_redirects=False)
    copy.cookies.set(SESSION_COOKIE, before)
    assert copy.get("/account").status_code == 303  # the reviewer's session ended on the server
    with team.session() as session:
        assert [e.actor for e in session.exec(select(AuditRow).where(AuditRow.action == "signed_out"))] == ["reviewer"]


def test_in_local_mode_there_is_no_sign_in(client: TestClient) -> None:
    page = client.get("/sign-in")
    root = htmlkit.dom(page.text)
    assert page.status_code == 200 and not root.find_all("input", type="password")
    assert root.find("section", class_="auth-card").find("a", href="/").text() == "Open the calculator"
    assert "There is no sign-in here." in root.find("section", class_="auth-card").text()
    client.follow_redirects = False
    posted = client.post("/sign-in", data={"username": "x", "password": "y" * 12})
    assert posted.status_code == 303 and posted.headers["location"] == "/"
    assert SESSION_COOKIE not in posted.headers.get("set-cookie", "")
    out = client.post("/sign-out")
    assert out.status_code == 303 and out.headers["location"] == "/"


def test_with_no_account_yet_the_page_says_how_to_make_the_first_admin(
    db_engine: Engine, auth_settings: Settings
) -> None:
    app = create_app(auth_settings)
    app.state.session_factory = lambda: Session(db_engine, expire_on_commit=False)
    with TestClient(app) as browser:
        root = htmlkit.dom(browser.get("/sign-in").text)
    assert root.find("pre", class_="command").text() == "llm-tco users create NAME --role admin"
    assert not root.find_all("input", type="password")
