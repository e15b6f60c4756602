"""The account page (password, API tokens shown once) and the admin pages (accounts, the audit log)."""

from __future__ import annotations

import csv
import io
import re

from sqlmodel import select
from teamkit import PASSWORD, Team

from app.db.models import ApiTokenRow, UserRow


def test_a_new_token_is_shown_once_and_works_then_revoked_it_stops(team: Team) -> None:
    me = team.signed_in("reviewer")
    made = me.post("/account/tokens", data={"name": "Budget sheet", "scope": "read", "days": "30"})
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    secret = re.search(r'id="new-secret" class="secret-value" readonly value="(tco_[^"]+)"', made.text)
    assert secret
    api = team.anonymous(headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert api.get("/api/v1/scenarios").status_code == 200
    again = me.get("/account").text
    assert secret.group(1) not in again and "Budget sheet" in again
    with team.session() as session:
        token = session.exec(select(ApiTokenRow).where(ApiTokenRow.name == "Budget sheet")).one()
    assert team.signed_in("editor").post(f"/account/tokens/{token.id}/revoke", data={}).status_code == 404
    assert me.post(f"/account/tokens/{token.id}/revoke", data={}, follow_redirects=False).status_code == 303
    assert api.get("/api/v1/scenarios").status_code == 401


def test_a_bad_token_form_says_why_beside_the_field(team: Team) -> None:
    me = team.signed_in("viewer")
    response = me.post("/account/tokens", data={"name": "", "scope": "read", "days": "30"})
    assert response.status_code == 422 and "1 to 100 characters" in response.text
    response = me.post("/account/tokens", data={"name": "x", "scope": "read", "days": "0"})
    assert response.status_code == 422 and "1 to 3,650 days" in response.text


def test_changing_ones_password_checks_the_current_one(team: Team) -> None:
    me = team.signed_in("editor")
    wrong = me.post(
        "/account/password", data={"current": "nope", "new": "a new password!", "repeat": "a new password!"}
    )
    assert wrong.status_code == 422 and "not your current password" in wrong.text
    differ = me.post(
        "/account/password", data={"current": PASSWORD, "new": "a new password!", "repeat": "another one!!"}
    )
    assert differ.status_code == 422 and "differ" in differ.text
    done = me.post(
        "/account/password", data={"current": PASSWORD, "new": "a new password!", "repeat": "a new password!"}
    )
    assert done.status_code == 200 and "Password changed" in done.text  # followed to the account page, still in


def test_admin_creates_changes_disables_and_enables_accounts(team: Team) -> None:
    admin = team.signed_in("admin")
    made = admin.post(
        "/admin/users", data={"username": "Finance.Lead", "role": "reviewer", "password": "long enough pw"}
    )
    assert made.status_code == 200 and "Account created" in made.text
    with team.session() as session:
        user = session.exec(select(UserRow).where(UserRow.username == "finance.lead")).one()
    assert admin.post(f"/admin/users/{user.id}", data={"action": "role", "role": "editor"}).status_code == 200
    assert admin.post(f"/admin/users/{user.id}", data={"action": "disable"}).status_code == 200
    with team.session() as session:
        user = session.get(UserRow, user.id)  # type: ignore[assignment]
        assert user is not None and user.role == "editor" and user.disabled_at is not None
    admin.post(f"/admin/users/{user.id}", data={"action": "enable"})
    dup = admin.post("/admin/users", data={"username": "finance.lead", "role": "viewer", "password": "long enough pw"})
    assert dup.status_code == 422 and "already exists" in dup.text
    rows = list(csv.DictReader(io.StringIO(admin.get("/admin/audit.csv").text)))
    actions = [r["action"] for r in rows if r["actor"] == "admin"]
    assert {"user_created", "user_changed", "user_disabled", "user_enabled"} <= set(actions)


def test_an_admin_cannot_lock_themselves_out(team: Team) -> None:
    admin = team.signed_in("admin")
    with team.session() as session:
        me = session.exec(select(UserRow).where(UserRow.username == "admin")).one()
    demoted = admin.post(f"/admin/users/{me.id}", data={"action": "role", "role": "viewer"})
    assert demoted.status_code == 422 and "your own admin role" in demoted.text
    disabled = admin.post(f"/admin/users/{me.id}", data={"action": "disable"})
    assert disabled.status_code == 422 and "your own account" in disabled.text
    assert admin.get("/admin/users").status_code == 200


def test_local_mode_header_and_account_page_say_so(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/account").text
    assert "local mode" in page and "Local mode: no sign-in" in client.get("/").text
