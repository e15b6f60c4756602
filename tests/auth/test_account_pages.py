"""One's own account page: who you are and what your role may do, API tokens (the secret shown once and
never again, a revoke button for your own tokens only), the password form (errors beside the fields,
passwords never echoed), and what local mode says instead."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from teamkit import PASSWORD, Team, htmlkit

from app.auth import accounts, keys
from app.auth.guard import SESSION_COOKIE
from app.auth.roles import ROLE_LABELS
from app.db.models import ROLES, ApiTokenRow, AuditRow, UserRow, utcnow

NEW_PASSWORD = "a brand new passphrase"


def _everything_shown(html: str) -> list[str]:
    """Every text and attribute value of a page: where a secret could appear."""
    root = htmlkit.dom(html)
    return [root.text()] + [v for node in root.iter() for v in node.attrs.values()]


def _make_token(client: TestClient, **form: str) -> tuple[Any, str]:
    made = client.post("/account/tokens", data={"name": "Budget sheet", "scope": "read", "days": "30"} | form)
    assert made.status_code == 201, made.text[:500]
    root = htmlkit.dom(made.text)
    return root, root.find("input", id="new-secret").attrs["value"]


def _rows(html: str) -> dict[str, Any]:
    """The token table's rows by token name."""
    table = htmlkit.dom(html).find("table", class_="tokens")
    return {tr.find("th").text(): tr for tr in table.find("tbody").find_all("tr")}


def _cell(row: Any, label: str) -> str:
    return str(row.find("td", data_label=label).text())


def _audit(team: Team, action: str) -> list[AuditRow]:
    with team.session() as session:
        return list(session.exec(select(AuditRow).where(AuditRow.action == action)).all())


@pytest.mark.parametrize("role", ROLES)
def test_the_page_says_who_you_are_and_what_your_role_may_do(team: Team, role: str) -> None:
    root = htmlkit.dom(team.signed_in(role).get("/account").text)
    facts = {div.find("dt").text(): div.find("dd").text() for div in root.find("dl", class_="facts").find_all("div")}
    name, duties = ROLE_LABELS[role].split(": ", 1)
    assert facts["Username"] == role
    assert facts["Role"].replace(" :", ":") == f"{name}: {duties}."  # "<strong>name</strong>: duties."
    write = root.find("p", id="help-scope-write").text()
    assert ("create and edit scenarios" in write) is (role in ("editor", "admin"))
    assert ("approve or request changes" in write) is (role in ("reviewer", "admin"))


def test_a_new_token_is_shown_once_and_never_again(team: Team) -> None:
    me = team.signed_in("reviewer")
    made = me.post("/account/tokens", data={"name": "Budget sheet", "scope": "read", "days": "30"})
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    root = htmlkit.dom(made.text)
    box = root.find("input", id="new-secret")
    secret = box.attrs["value"]
    assert secret.startswith("tco_") and "readonly" in box.attrs
    assert root.find("label", for_="new-secret").text() == "Token"
    said = root.find("div", class_="secret-box").text()
    assert "it will not be shown again" in said
    curl = root.find("pre", class_="command").text()
    assert curl == f'curl -H "Authorization: Bearer {secret}" http://testserver/api/v1/scenarios'
    assert team.anonymous(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/scenarios").status_code == 200
    again = me.get("/account")
    assert not any(secret in shown for shown in _everything_shown(again.text))
    row = _rows(again.text)["Budget sheet"]
    assert _cell(row, "Token") == secret[:10] + "\u2026" and _cell(row, "Scope") == "read"
    with team.session() as session:
        stored = session.exec(select(ApiTokenRow)).one()
    assert stored.token_hash == keys.digest(secret) and secret not in stored.model_dump_json()
    assert len(_audit(team, "token_created")) == 1  # recorded once, by accounts.create_token


def test_the_token_list_shows_scope_dates_use_and_state(team: Team) -> None:
    me = team.signed_in("editor")
    _, live = _make_token(me, name="Live", scope="write", days="")
    _make_token(me, name="Old")
    _make_token(me, name="Gone")
    with team.session() as session:
        old = session.exec(select(ApiTokenRow).where(ApiTokenRow.name == "Old")).one()
        old.expires_at = utcnow() - dt.timedelta(days=1)
        session.add(old)
        session.commit()
        gone = session.exec(select(ApiTokenRow).where(ApiTokenRow.name == "Gone")).one()
        accounts.revoke_token(session, token=gone, actor="editor")
    assert team.anonymous(headers={"Authorization": f"Bearer {live}"}).get("/api/v1/scenarios").status_code == 200
    rows = _rows(me.get("/account").text)
    assert list(rows) == ["Gone", "Old", "Live"]  # newest first
    expected_expiry = (utcnow() + dt.timedelta(days=team.settings.token_days)).strftime("%Y-%m-%d")
    assert _cell(rows["Live"], "Scope") == "write" and _cell(rows["Live"], "Expires") == expected_expiry  # default days
    assert _cell(rows["Live"], "Last used").endswith(" UTC") and _cell(rows["Old"], "Last used") == "never"
    assert _cell(rows["Live"], "State") == "active Revoke" and rows["Live"].find_all("form")
    assert _cell(rows["Old"], "State") == "expired" and not rows["Old"].find_all("form")
    assert _cell(rows["Gone"], "State").startswith("revoked ") and not rows["Gone"].find_all("form")


def test_a_bad_token_form_keeps_what_was_typed_and_says_why_beside_the_field(team: Team) -> None:
    me = team.signed_in("viewer")
    for form, field, message in (
        ({"name": "  ", "days": "30"}, "name", "1 to 100 characters, to tell your tokens apart."),
        ({"name": "Sheet", "days": "0"}, "days", "1 to 3,650 days."),
        ({"name": "Sheet", "days": "ninety"}, "days", "A whole number of days."),
        ({"name": "Sheet", "days": "30", "scope": "admin"}, "scope", "read or write."),
    ):
        answer = me.post("/account/tokens", data={"scope": "write"} | form)
        assert answer.status_code == 422, form
        root = htmlkit.dom(answer.text)
        assert root.find(id=f"err-{field}").text() == message
        if field != "scope":
            box = root.find("input", id=f"token-{field}")
            assert box.attrs["aria-invalid"] == "true" and f"err-{field}" in box.attrs["aria-describedby"].split()
        typed = htmlkit.form_data(root.find("form", action="/account/tokens"))
        assert typed["name"] == [form["name"].strip()] and typed["days"] == [form["days"]]
        assert root.find("input", id="scope-write").attrs.get("checked") is not None or field == "scope"
        assert not root.find_all("input", id="new-secret")
    with team.session() as session:
        assert session.exec(select(ApiTokenRow)).all() == []


def test_revoking_stops_the_token_and_anothers_token_is_404(team: Team) -> None:
    me, other = team.signed_in("reviewer"), team.signed_in("editor")
    _, secret = _make_token(me)
    api = team.anonymous(headers={"Authorization": f"Bearer {secret}"})
    row = _rows(me.get("/account").text)["Budget sheet"]
    action = row.find("form").attrs["action"]
    token_id = int(action.split("/")[3])
    assert other.post(action, data={}).status_code == 404  # not yours: as if it did not exist
    assert other.post("/account/tokens/99999/revoke", data={}).status_code == 404
    assert api.get("/api/v1/scenarios").status_code == 200  # still works
    done = me.post(action, data={}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/account?done=revoked&token={token_id}"
    page = htmlkit.dom(me.get(done.headers["location"]).text)
    assert page.find("p", class_="notice").text() == "Token \u201cBudget sheet\u201d revoked: it stopped working."
    assert api.get("/api/v1/scenarios").status_code == 401
    assert me.post(action, data={}, follow_redirects=False).status_code == 303  # twice: still one entry
    assert len(_audit(team, "token_revoked")) == 1


def test_the_password_form_says_what_is_wrong_beside_each_field(team: Team) -> None:
    me = team.signed_in("editor")
    answer = me.post("/account/password", data={"current": "nope", "new": "short", "repeat": "short"})
    assert answer.status_code == 422
    root = htmlkit.dom(answer.text)
    assert root.find(id="err-current").text() == "This is not your current password."
    assert root.find(id="err-new").text() == "Use 10 to 200 characters."
    assert root.find(id="err-repeat").text() == ""
    form = root.find("form", action="/account/password")
    assert all(box.attrs.get("value", "") == "" for box in form.find_all("input", type="password"))  # never echoed
    assert [b.attrs["id"] for b in form.find_all("input", aria_invalid="true")] == ["current", "new"]
    differ = me.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD + "!"})
    assert differ.status_code == 422
    assert (
        htmlkit.dom(differ.text).find(id="err-repeat").text()
        == "The two new passwords differ: type the same one twice."
    )
    assert _audit(team, "password_changed") == []


def test_a_new_password_keeps_this_session_and_ends_the_others(team: Team) -> None:
    me, elsewhere = team.signed_in("editor"), team.signed_in("editor")
    elsewhere.follow_redirects = False
    done = me.post(
        "/account/password",
        data={"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/account?done=password"
    assert any(c.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in c for c in done.headers.get_list("set-cookie"))
    me.cookies.set(SESSION_COOKIE, done.cookies[SESSION_COOKIE])
    page = me.get(done.headers["location"])
    assert page.status_code == 200
    assert htmlkit.dom(page.text).find("p", class_="notice").text().startswith("Password changed.")
    assert elsewhere.get("/account").status_code == 303  # the other session was signed out
    with team.session() as session:
        user = session.exec(select(UserRow).where(UserRow.username == "editor")).one()
        assert accounts.hasher.verify(NEW_PASSWORD, user.password_hash)
    assert len(_audit(team, "password_changed")) == 1


def test_in_local_mode_the_page_explains_there_are_no_accounts_or_tokens(client: TestClient) -> None:
    page = client.get("/account")
    root = htmlkit.dom(page.text)
    assert page.status_code == 200
    assert "Local mode: no sign-in" in root.find("header").text()  # the header of every page says so
    assert "There are no accounts and no API tokens in local mode" in root.find("main").text()
    commands = [pre.text() for pre in root.find_all("pre", class_="command")]
    assert commands[0] == "llm-tco users create NAME --role admin" and "AUTH_REQUIRED=true llm-tco serve" in commands[1]
    assert not root.find_all("form", action="/account/tokens") and not root.find_all("input", type="password")
    client.follow_redirects = False
    made = client.post("/account/tokens", data={"name": "x", "scope": "read", "days": "3"})
    assert made.status_code == 303 and made.headers["location"] == "/account"
