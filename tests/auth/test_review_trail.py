"""The finance review trail: status steps, approval pinned across edits, comments on revisions, share
links, and an audit entry for every action, which the database will not let anyone change."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import select
from teamkit import Team

from app.db.models import AuditRow, RevisionRow, ShareLinkRow, utcnow

API = "/api/v1/scenarios"


def _trail(team: Team, sid: int) -> list[tuple[str, str, int | None]]:
    """(actor, action, revision), oldest first, from the API."""
    entries = team.signed_in("viewer").get(f"{API}/{sid}/audit").json()
    return [(e["actor"], e["action"], e["revision"]) for e in reversed(entries)]


def test_submit_approve_edit_then_a_new_draft_keeps_the_approval(team: Team) -> None:
    editor, reviewer = team.signed_in("editor"), team.signed_in("reviewer")
    sid = editor.post(API, json={"name": "Budget"}).json()["id"]
    assert editor.post(f"{API}/{sid}/submit", json={"revision": 1}).json()["status"] == "in_review"
    approved = reviewer.post(f"{API}/{sid}/approve", json={"revision": 1, "comment": "Checked the labels."}).json()
    assert (approved["status"], approved["approved_revision"]) == ("approved", 1)
    edited = editor.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget v2"}}).json()
    assert (edited["status"], edited["approved_revision"], edited["latest_revision"]) == ("draft", 1, 2)
    assert team.signed_in("viewer").get(f"{API}/{sid}/revisions/1").status_code == 200  # still there, still approved
    page = reviewer.get(f"/scenarios/{sid}").text
    assert "Revision 1 was approved by reviewer" in page and "View the approved revision 1" in page
    comments = reviewer.get(f"{API}/{sid}/comments").json()
    assert [(c["revision"], c["author"], c["body"]) for c in comments] == [(1, "reviewer", "Checked the labels.")]


def test_changes_requested_need_a_comment_and_go_back_to_review(team: Team) -> None:
    editor, reviewer = team.signed_in("editor"), team.signed_in("reviewer")
    sid = editor.post(API, json={"name": "Budget"}).json()["id"]
    editor.post(f"{API}/{sid}/submit", json={"revision": 1})
    missing = reviewer.post(f"{API}/{sid}/request-changes", json={"revision": 1})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == "comment"
    asked = reviewer.post(f"{API}/{sid}/request-changes", json={"revision": 1, "comment": "Labels cost 20 USD."})
    assert asked.json()["status"] == "changes_requested"
    assert editor.post(f"{API}/{sid}/submit", json={"revision": 1}).json()["status"] == "in_review"


def test_refused_steps_and_stale_revisions_are_409(team: Team) -> None:
    editor, reviewer = team.signed_in("editor"), team.signed_in("reviewer")
    sid = editor.post(API, json={"name": "Budget"}).json()["id"]
    assert reviewer.post(f"{API}/{sid}/approve", json={"revision": 1}).status_code == 409  # a draft
    editor.post(f"{API}/{sid}/submit", json={"revision": 1})
    assert editor.post(f"{API}/{sid}/submit", json={"revision": 1}).status_code == 409  # already in review
    editor.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "B2"}})
    stale = reviewer.post(f"{API}/{sid}/approve", json={"revision": 1})
    assert stale.status_code == 409 and "not the latest" in stale.json()["detail"]


@pytest.mark.parametrize(
    ("role", "step", "allowed"),
    [
        ("viewer", "submit", False),
        ("viewer", "comments", False),
        ("reviewer", "submit", False),
        ("editor", "approve", False),
        ("editor", "request-changes", False),
        ("reviewer", "approve", True),
        ("editor", "comments", True),
        ("reviewer", "comments", True),
    ],
)
def test_each_role_may_take_only_its_own_steps(team: Team, role: str, step: str, allowed: bool) -> None:
    editor = team.signed_in("editor")
    sid = editor.post(API, json={"name": "Budget"}).json()["id"]
    if step in ("approve", "request-changes"):
        editor.post(f"{API}/{sid}/submit", json={"revision": 1})
    body = {"revision": 1, "body": "A note."} if step == "comments" else {"revision": 1, "comment": "A note."}
    response = team.signed_in(role).post(f"{API}/{sid}/{step}", json=body)
    assert (response.status_code in (200, 201)) is allowed, response.text
    if not allowed:
        assert response.status_code == 403
    else:
        assert _trail(team, sid)[-1][0] == role


def _catalog_moved_since(team: Team, sid: int, number: int) -> None:
    """Revision `number` froze a prompting price today's catalog no longer gives."""
    with team.session() as session:
        query = select(RevisionRow).where(RevisionRow.scenario_id == sid, RevisionRow.number == number)
        rev = session.exec(query).one()
        rev.prices = rev.prices | {"prompting": rev.prices["prompting"] | {"input": 99.0}}
        session.add(rev)
        session.commit()


def test_every_action_leaves_an_audit_entry_with_its_actor_and_revision(team: Team) -> None:
    editor, reviewer = team.signed_in("editor"), team.signed_in("reviewer")
    sid = editor.post(API, json={"name": "Budget"}).json()["id"]
    editor.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget"}})
    _catalog_moved_since(team, sid, 2)  # else the re-price finds the same prices and adds nothing
    editor.post(f"{API}/{sid}/reprice", json={"revision": 2})
    editor.post(f"{API}/{sid}/comments", json={"revision": 1, "body": "On the first one."})
    editor.post(f"{API}/{sid}/submit", json={"revision": 3})
    reviewer.post(f"{API}/{sid}/request-changes", json={"revision": 3, "comment": "More labels."})
    editor.post(f"{API}/{sid}/submit", json={"revision": 3})
    reviewer.post(f"{API}/{sid}/approve", json={"revision": 3})
    editor.delete(f"{API}/{sid}")
    editor.post(f"{API}/{sid}/restore")
    page = editor.post(f"/scenarios/{sid}/shares", data={"revision": "3", "days": "2"})
    assert page.status_code == 201
    with team.session() as session:
        link = session.exec(select(ShareLinkRow)).one()
    editor.post(f"/scenarios/{sid}/shares/{link.id}/revoke", data={})
    editor.post(f"/scenarios/{sid}/duplicate", data={"revision": "3"})
    assert _trail(team, sid) == [
        ("editor", "created", 1),
        ("editor", "edited", 2),
        ("editor", "repriced", 3),
        ("editor", "commented", 1),
        ("editor", "submitted", 3),
        ("reviewer", "changes_requested", 3),
        ("editor", "submitted", 3),
        ("reviewer", "approved", 3),
        ("editor", "archived", 3),
        ("editor", "restored", 3),
        ("editor", "share_created", 3),
        ("editor", "share_revoked", 3),
        ("editor", "duplicated", 3),
    ]
    rows = list(csv.DictReader(io.StringIO(editor.get(f"{API}/{sid}/audit.csv").text)))
    assert [r["action"] for r in reversed(rows)] == [a for _, a, _ in _trail(team, sid)]
    assert set(rows[0]) == {"at", "actor", "action", "revision", "detail"}


def test_the_audit_log_refuses_updates_and_deletes(team: Team) -> None:
    team.signed_in("editor").post(API, json={"name": "Budget"})
    with team.session() as session:
        before = [(e.id, e.actor, e.action) for e in session.exec(select(AuditRow)).all()]
    for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
        with team.session() as session, pytest.raises(DatabaseError, match="append-only"):
            session.execute(text(statement))
            session.commit()
    with team.session() as session:
        assert [(e.id, e.actor, e.action) for e in session.exec(select(AuditRow)).all()] == before
    assert ("editor", "created") in [(actor, action) for _, actor, action in before]


def test_a_share_link_opens_one_revision_read_only_without_an_account(team: Team) -> None:
    editor = team.signed_in("editor")
    sid = editor.post(API, json={"name": "Shared budget"}).json()["id"]
    page = editor.post(f"/scenarios/{sid}/shares", data={"revision": "1", "days": "3"})
    url = page.text.split('id="share-url" class="secret-value" readonly value="', 1)[1].split('"', 1)[0]
    path = url.split("://", 1)[1].split("/", 1)[1]
    stranger = team.anonymous(follow_redirects=False)
    shared = stranger.get("/" + path)
    assert shared.status_code == 200 and "Shared budget" in shared.text
    assert shared.headers["referrer-policy"] == "no-referrer" and shared.headers["cache-control"] == "no-store"
    assert 'action="/scenarios' not in shared.text  # no edit, review or share controls
    mine = stranger.get(f"/{path}/export.csv").text
    assert mine == editor.get(f"{API}/{sid}/export.csv?revision=1").text
    assert editor.get(f"/scenarios/{sid}").text.count(path.split("/")[-1]) == 0  # shown once, never again
    with team.session() as session:
        link = session.exec(select(ShareLinkRow)).one()
        link.expires_at = utcnow() - dt.timedelta(seconds=1)
        session.add(link)
        session.commit()
    expired = stranger.get("/" + path)
    assert expired.status_code == 404 and "expired" in expired.text
    assert stranger.get("/shared/not-a-real-link").status_code == 404


def test_a_revoked_share_link_stops(team: Team) -> None:
    editor = team.signed_in("editor")
    sid = editor.post(API, json={"name": "Shared"}).json()["id"]
    page = editor.post(f"/scenarios/{sid}/shares", data={"revision": "1"})
    secret = page.text.split("/shared/", 1)[1].split('"', 1)[0]
    with team.session() as session:
        link = session.exec(select(ShareLinkRow)).one()
    assert team.signed_in("viewer").post(f"/scenarios/{sid}/shares/{link.id}/revoke", data={}).status_code == 403
    editor.post(f"/scenarios/{sid}/shares/{link.id}/revoke", data={})
    refused = team.anonymous().get(f"/shared/{secret}")
    assert refused.status_code == 404 and "revoked" in refused.text


def test_the_panel_shows_each_role_only_its_buttons(team: Team) -> None:
    editor = team.signed_in("editor")
    sid = editor.post(API, json={"name": "Budget"}).json()["id"]
    editor.post(f"{API}/{sid}/submit", json={"revision": 1})
    pages = {role: team.signed_in(role).get(f"/scenarios/{sid}").text for role in ("viewer", "editor", "reviewer")}
    assert "Approve revision 1" in pages["reviewer"] and "Request changes" in pages["reviewer"]
    assert "Approve revision 1" not in pages["editor"] and "Approve revision 1" not in pages["viewer"]
    assert "Add comment" in pages["editor"] and "Add comment" not in pages["viewer"]
    assert "Create share link" not in pages["viewer"] and ">Edit<" not in pages["viewer"]
    assert "waits for a reviewer" in pages["editor"]


def test_a_web_request_for_changes_without_a_comment_keeps_the_page_and_says_why(team: Team) -> None:
    editor, reviewer = team.signed_in("editor"), team.signed_in("reviewer")
    sid = editor.post(API, json={"name": "Budget"}).json()["id"]
    editor.post(f"{API}/{sid}/submit", json={"revision": 1})
    response = reviewer.post(f"/scenarios/{sid}/request-changes", data={"revision": "1", "comment": " "})
    assert [r.status_code for r in response.history] == [303]  # back to the page: a reload sends nothing
    assert response.status_code == 200 and "Say what should change." in response.text
    done = reviewer.post(f"/scenarios/{sid}/approve", data={"revision": "1"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/scenarios/{sid}?approved=1"
