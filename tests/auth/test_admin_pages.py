"""The admin pages: every account with its role and state, creating one (what was typed kept, the
password never), changing a role, disabling, enabling and setting a password (303 and a notice, or 422
and the reason in the account's row), no way to lock oneself out, and the whole audit log, paged and
as CSV with no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select
from teamkit import PASSWORD, Team, htmlkit

from app import audit
from app.auth import accounts
from app.auth.roles import ROLE_LABELS
from app.db.models import ROLES, AuditRow, UserRow

NEW = {"username": "Finance.Lead", "role": "reviewer", "password": "long enough password"}


def _user(team: Team, username: str) -> UserRow:
    with team.session() as session:
        return session.exec(select(UserRow).where(UserRow.username == username)).one()


def _row(html: str, user: UserRow) -> Any:
    return htmlkit.dom(html).find("tr", id=f"user-{user.id}")


def _entries(team: Team, action: str) -> list[AuditRow]:
    with team.session() as session:
        return list(session.exec(select(AuditRow).where(AuditRow.action == action)).all())


def _change(admin: TestClient, user: UserRow, **form: str) -> Any:
    return admin.post(f"/admin/users/{user.id}", data=form, follow_redirects=False)


def _notice(admin: TestClient, location: str) -> str:
    return str(htmlkit.dom(admin.get(location).text).find("p", class_="notice").text())


def test_the_page_lists_every_account_and_offers_the_changes(team: Team) -> None:
    root = htmlkit.dom(team.signed_in("admin").get("/admin/users").text)
    rows = {tr.find("th").text(): tr for tr in root.find("table", class_="users").find("tbody").find_all("tr")}
    assert list(rows) == ["admin (you)", "editor", "reviewer", "viewer"]
    editor = rows["editor"]
    assert [editor.find("td", data_label=k).text() for k in ("Role", "State")] == ["Editor", "active"]
    assert editor.find("td", data_label="Created").text().endswith(" UTC")
    actions = [htmlkit.form_data(f)["action"] for f in editor.find_all("form")]
    assert actions == [["role"], ["password"], ["disable"]]
    for form in editor.find_all("form"):
        for box in form.find_all("select") + form.find_all("input", type="password"):
            assert form.find("label", for_=box.attrs["id"]).text()  # every control has a label
    assert not rows["admin (you)"].find_all("form")  # nothing to lock yourself out with
    options = root.find("select", id="new-role").find_all("option")
    assert [o.text() for o in options] == [ROLE_LABELS[r] for r in ROLES]
    assert root.find("a", href="/admin/audit")


def test_an_admin_creates_an_account_that_can_sign_in(team: Team) -> None:
    admin = team.signed_in("admin")
    made = admin.post("/admin/users", data=NEW, follow_redirects=False)
    user = _user(team, "finance.lead")  # stored in lower case
    assert made.status_code == 303 and made.headers["location"] == f"/admin/users?done=created&user={user.id}"
    assert _notice(admin, made.headers["location"]).startswith("Account created: finance.lead, Reviewer (finance).")
    assert user.role == "reviewer" and user.password_hash.startswith("$argon2")
    with team.session() as session:
        signed = accounts.sign_in(
            session, username="finance.lead", password=NEW["password"], address="t", free_failures=5, session_hours=1
        )
    assert not isinstance(signed, accounts.Refused)
    [entry] = _entries(team, "user_created")[-1:]
    assert entry.actor == "admin" and entry.detail == "finance.lead as reviewer"
    assert len([e for e in _entries(team, "user_created") if e.actor == "admin"]) == 1  # recorded once


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"username": "viewer"}, "username", "viewer already exists."),
        (
            {"username": "no spaces allowed"},
            "username",
            "2 to 64 characters: lower-case letters, digits, '.', '_' or '-'.",
        ),
        ({"password": "short"}, "password", "10 to 200 characters."),
        ({"role": "owner"}, "role", "one of admin, editor, reviewer, viewer."),
    ],
)
def test_a_refused_account_keeps_what_was_typed_but_the_password(
    team: Team, form: dict[str, str], field: str, message: str
) -> None:
    answer = team.signed_in("admin").post("/admin/users", data=NEW | form)
    assert answer.status_code == 422
    root = htmlkit.dom(answer.text)
    assert root.find(id=f"err-{field}").text() == message
    control = root.find(id=f"new-{field}")
    assert control.attrs["aria-invalid"] == "true" and "autofocus" in control.attrs
    assert f"err-{field}" in control.attrs["aria-describedby"].split()
    typed = htmlkit.form_data(root.find("form", action="/admin/users"))
    assert typed["username"] == [(NEW | form)["username"]]
    assert typed["role"] == [(NEW | form)["role"] if field != "role" else "admin"]  # an unknown role: none chosen
    assert typed["password"] == [""]  # never sent back
    with team.session() as session:
        assert len(session.exec(select(UserRow)).all()) == len(ROLES)


def test_an_admin_changes_a_role_disables_enables_and_sets_a_password(team: Team) -> None:
    admin = team.signed_in("admin")
    viewer, session_of_viewer = _user(team, "viewer"), team.signed_in("viewer")
    session_of_viewer.follow_redirects = False
    token = team.bearer("viewer")

    assert session_of_viewer.post("/api/v1/scenarios", json={"name": "Mine"}).status_code == 403
    done = _change(admin, viewer, action="role", role="editor")
    assert done.status_code == 303 and done.headers["location"] == f"/admin/users?done=role&user={viewer.id}"
    assert _notice(admin, done.headers["location"]) == "viewer is now Editor."
    assert _user(team, "viewer").role == "editor"
    assert session_of_viewer.post("/api/v1/scenarios", json={"name": "Mine"}).status_code == 201  # at once

    done = _change(admin, viewer, action="disable")
    assert _notice(admin, done.headers["location"]).startswith("viewer is disabled")
    assert session_of_viewer.get("/account").status_code == 303 and token.get("/api/v1/scenarios").status_code == 401
    row = _row(admin.get("/admin/users").text, viewer)
    assert row.find("td", data_label="State").text().startswith("disabled ")
    assert htmlkit.form_data(row.find_all("form")[-1])["action"] == ["enable"]

    done = _change(admin, viewer, action="enable")
    assert _notice(admin, done.headers["location"]).startswith("viewer is enabled again")
    assert token.get("/api/v1/scenarios").status_code == 200  # its tokens work again

    again = team.signed_in("viewer")
    again.follow_redirects = False
    done = _change(admin, viewer, action="password", password="a password set by admin")
    assert _notice(admin, done.headers["location"]) == "Password of viewer set; their sessions were signed out."
    assert again.get("/account").status_code == 303
    assert accounts.hasher.verify("a password set by admin", _user(team, "viewer").password_hash)

    for action in ("user_changed", "user_disabled", "user_enabled", "password_changed"):
        assert [(e.actor, e.detail) for e in _entries(team, action)] == [
            ("admin", "viewer is now editor" if action == "user_changed" else "viewer")
        ], action


def test_an_admin_cannot_lock_themselves_out(team: Team) -> None:
    admin = team.signed_in("admin")
    me = _user(team, "admin")
    for form, message in (
        ({"action": "role", "role": "viewer"}, "You cannot drop your own admin role: another admin must."),
        ({"action": "disable"}, "You cannot disable your own account: another admin must."),
        (
            {"action": "password", "password": "a new one, long enough"},
            "Change your own password on your account page: it asks for the current one.",
        ),
    ):
        answer = _change(admin, me, **form)
        assert answer.status_code == 422, form
        assert _row(answer.text, me).find("p", id=f"err-user-{me.id}").text() == message
    me = _user(team, "admin")
    assert me.role == "admin" and me.disabled_at is None and accounts.hasher.verify(PASSWORD, me.password_hash)
    assert admin.get("/admin/users").status_code == 200  # still in, still admin
    assert _entries(team, "user_changed") == _entries(team, "user_disabled") == []


def test_a_refused_change_is_said_in_the_accounts_row(team: Team) -> None:
    admin = team.signed_in("admin")
    editor = _user(team, "editor")
    short = _change(admin, editor, action="password", password="short")
    assert short.status_code == 422
    row = _row(short.text, editor)
    assert row.find("p", id=f"err-user-{editor.id}").text() == "10 to 200 characters."
    box = row.find("input", type="password")
    assert box.attrs["aria-invalid"] == "true" and "autofocus" in box.attrs
    unknown = _change(admin, editor, action="delete")
    assert unknown.status_code == 422
    assert _row(unknown.text, editor).find("p", id=f"err-user-{editor.id}").text() == (
        "Choose one of: role, disable, enable, password."
    )
    assert _change(admin, editor, action="role", role="owner").status_code == 422
    assert _user(team, "editor").role == "editor"
    assert admin.post("/admin/users/99999", data={"action": "disable"}).status_code == 404


def test_the_audit_log_is_paged_a_hundred_at_a_time_newest_first(team: Team) -> None:
    admin = team.signed_in("admin")
    with team.session() as session:
        for i in range(230):
            audit.record(session, actor="script", action="commented", detail=f"entry {i}")
        session.commit()
        total = len(session.exec(select(AuditRow)).all())
        newest = session.exec(select(AuditRow).order_by(col(AuditRow.id).desc())).all()
    pages = -(-total // 100)
    first = htmlkit.dom(admin.get("/admin/audit").text)
    rows = first.find("table", class_="audit").find("tbody").find_all("tr")
    assert len(rows) == 100
    assert [r.find_all("td")[-1].text() for r in rows[:2]] == [newest[0].detail, newest[1].detail]
    assert first.find("a", rel="next").attrs["href"] == "/admin/audit?page=2" and not first.find_all("a", rel="prev")
    assert f"Page 1 of {pages}" in first.find("nav", class_="pager").text()
    last = htmlkit.dom(admin.get("/admin/audit", params={"page": pages}).text)
    tail = last.find("table", class_="audit").find("tbody").find_all("tr")
    assert len(tail) == total - 100 * (pages - 1) and tail[-1].find_all("td")[-1].text() == newest[-1].detail
    assert last.find("a", rel="prev").attrs["href"] == f"/admin/audit?page={pages - 1}" and not last.find_all(
        "a", rel="next"
    )
    beyond = htmlkit.dom(admin.get("/admin/audit", params={"page": pages + 1}).text)
    assert not beyond.find_all("table") and beyond.find("p", class_="empty").text().startswith(
        f"There is no page {pages + 1}"
    )


def test_the_audit_csv_is_the_whole_log_and_never_a_formula(team: Team) -> None:
    admin = team.signed_in("admin")
    with team.session() as session:
        for i in range(120):
            audit.record(session, actor="script", action="commented", detail=f"entry {i}")
        audit.record(session, actor="=cmd|' /C calc'!A0", action="commented", detail='=HYPERLINK("http://x","y")')
        session.commit()
        stored = session.exec(select(AuditRow).order_by(col(AuditRow.id).desc())).all()
    response = admin.get("/admin/audit.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="llm-tco-audit-')
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["at", "actor", "action", "scenario_id", "revision", "detail"]
    assert len(rows) - 1 == len(stored)  # the whole log, not a page
    assert rows[1][1:3] == ["'=cmd|' /C calc'!A0", "commented"] and rows[1][5] == '\'=HYPERLINK("http://x","y")'
    assert [r[5] for r in rows[2:4]] == [stored[1].detail, stored[2].detail]  # newest first
    assert not [cell for row in rows[1:] for cell in row if cell[:1] in ("=", "+", "-", "@")]
