"""Who may take which review step, through the API and through the scenario page's forms, in a team
deployment (`team`: an account per role): a refused step is 403 and writes nothing; an allowed one is
recorded under the account that took it; each role's page offers only the buttons it may use."""

from __future__ import annotations

from typing import Any

import pytest
from teamkit import Team, htmlkit

Node = htmlkit.Node

API = "/api/v1/scenarios"


def _scenario(team: Team, *, submitted: bool = False) -> int:
    editor = team.signed_in("editor")
    sid = int(editor.post(API, json={"name": "Budget"}).json()["id"])
    if submitted:
        assert editor.post(f"{API}/{sid}/submit", json={"revision": 1}).status_code == 200
    return sid


def _trail(team: Team, sid: int) -> list[tuple[str, str, int | None]]:
    """(actor, action, revision), oldest first, read by a viewer."""
    response = team.signed_in("viewer").get(f"{API}/{sid}/audit")
    assert response.status_code == 200, response.text
    return [(e["actor"], e["action"], e["revision"]) for e in reversed(response.json())]


def _status(team: Team, sid: int) -> tuple[str, int | None, int]:
    body = team.signed_in("viewer").get(f"{API}/{sid}").json()
    return body["status"], body["approved_revision"], body["latest_revision"]


REFUSED_API = [
    ("viewer", "post", "comments", {"revision": 1, "body": "A note."}, False),
    ("viewer", "post", "submit", {"revision": 1}, False),
    ("viewer", "post", "approve", {"revision": 1}, True),
    ("viewer", "post", "request-changes", {"revision": 1, "comment": "No."}, True),
    ("editor", "post", "approve", {"revision": 1}, True),
    ("editor", "post", "request-changes", {"revision": 1, "comment": "No."}, True),
    ("reviewer", "post", "submit", {"revision": 1}, False),
    ("reviewer", "put", "", {"revision": 1, "scenario": {"name": "Renamed"}}, False),
    ("reviewer", "post", "reprice", {"revision": 1}, False),
    ("reviewer", "delete", "", None, False),
]


@pytest.mark.parametrize(("role", "method", "step", "body", "in_review"), REFUSED_API)
def test_a_role_without_the_permission_gets_403_from_the_api_and_nothing_is_written(
    team: Team, role: str, method: str, step: str, body: Any, in_review: bool
) -> None:
    sid = _scenario(team, submitted=in_review)
    before = (_status(team, sid), _trail(team, sid))
    url = f"{API}/{sid}/{step}".rstrip("/")
    response = team.signed_in(role).request(method.upper(), url, **({"json": body} if body else {}))
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert (_status(team, sid), _trail(team, sid)) == before
    assert team.signed_in("viewer").get(f"{API}/{sid}/comments").json() == []


REFUSED_PAGES = [
    ("viewer", "comments", {"revision": "1", "body": "A note."}, False),
    ("viewer", "submit", {"revision": "1"}, False),
    ("viewer", "approve", {"revision": "1"}, True),
    ("viewer", "shares", {"revision": "1"}, False),
    ("editor", "approve", {"revision": "1"}, True),
    ("editor", "request-changes", {"revision": "1", "comment": "No."}, True),
    ("reviewer", "submit", {"revision": "1"}, False),
    ("reviewer", "edit", {"revision": "1", "name": "Renamed"}, False),
    ("reviewer", "reprice", {"revision": "1"}, False),
]


STEPS_REFUSED_BACK = {"comments", "submit", "approve", "request-changes"}
"""The review steps: a refusal goes back to the scenario page with its reason (303); the rest answer 403."""


@pytest.mark.parametrize(("role", "step", "data", "in_review"), REFUSED_PAGES)
def test_a_role_without_the_permission_is_refused_by_the_forms_and_nothing_is_written(
    team: Team, role: str, step: str, data: dict[str, str], in_review: bool
) -> None:
    sid = _scenario(team, submitted=in_review)
    before = (_status(team, sid), _trail(team, sid))
    client = team.signed_in(role)
    client.follow_redirects = False
    response = client.post(f"/scenarios/{sid}/{step}", data=data)
    if step in STEPS_REFUSED_BACK:
        assert response.status_code == 303, response.text[:500]
        location = response.headers["location"]
        assert location.startswith(f"/scenarios/{sid}?") and location.endswith("#review")
        page = client.get(location)
        assert page.status_code == 200
        assert f"Not done: a {role} may not " in page.text  # the reason, beside the form
        typed = data.get("body") or data.get("comment")
        if typed:
            assert typed in page.text  # what was typed is kept
    else:
        assert response.status_code == 403, response.text[:500]
        assert response.headers["content-type"].startswith("text/html")
    assert (_status(team, sid), _trail(team, sid)) == before


def test_a_reviewer_approves_and_the_audit_says_reviewer(team: Team) -> None:
    sid = _scenario(team, submitted=True)
    reviewer = team.signed_in("reviewer")
    approved = reviewer.post(f"{API}/{sid}/approve", json={"revision": 1, "comment": "Checked."})
    assert approved.status_code == 200, approved.text
    assert _status(team, sid) == ("approved", 1, 1)
    assert _trail(team, sid) == [("editor", "created", 1), ("editor", "submitted", 1), ("reviewer", "approved", 1)]
    comments = team.signed_in("viewer").get(f"{API}/{sid}/comments").json()
    assert [(c["author"], c["body"]) for c in comments] == [("reviewer", "Checked.")]


def test_a_reviewer_requests_changes_through_the_form_and_the_editor_submits_again(team: Team) -> None:
    sid = _scenario(team, submitted=True)
    reviewer = team.signed_in("reviewer")
    reviewer.follow_redirects = False
    asked = reviewer.post(f"/scenarios/{sid}/request-changes", data={"revision": "1", "comment": "Cite the quote."})
    assert asked.status_code == 303 and asked.headers["location"] == f"/scenarios/{sid}?changes_requested=1"
    editor = team.signed_in("editor")
    editor.follow_redirects = False
    again = editor.post(f"/scenarios/{sid}/submit", data={"revision": "1"})
    assert again.status_code == 303
    assert _trail(team, sid)[-2:] == [("reviewer", "changes_requested", 1), ("editor", "submitted", 1)]


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_editors_and_reviewers_comment_under_their_own_name(team: Team, role: str) -> None:
    sid = _scenario(team)
    response = team.signed_in(role).post(f"{API}/{sid}/comments", json={"revision": 1, "body": f"From {role}."})
    assert response.status_code == 201 and response.json()["author"] == role
    assert _trail(team, sid)[-1] == (role, "commented", 1)


def test_a_read_token_cannot_take_a_review_step_a_write_token_can(team: Team) -> None:
    sid = _scenario(team, submitted=True)
    read = team.bearer("reviewer", "read")
    assert read.get(f"{API}/{sid}/audit").status_code == 200
    assert read.get(f"{API}/{sid}/audit.csv").status_code == 200
    assert read.post(f"{API}/{sid}/approve", json={"revision": 1}).status_code == 403
    assert read.post(f"{API}/{sid}/comments", json={"revision": 1, "body": "x"}).status_code == 403
    assert _status(team, sid) == ("in_review", None, 1)
    write = team.bearer("reviewer", "write")
    assert write.post(f"{API}/{sid}/approve", json={"revision": 1}).status_code == 200
    assert _trail(team, sid)[-1] == ("reviewer", "approved", 1)


def test_nobody_signed_in_reads_nothing_of_the_trail(team: Team) -> None:
    sid = _scenario(team)
    stranger = team.anonymous(follow_redirects=False)
    for path in ("comments", "audit", "audit.csv"):
        assert stranger.get(f"{API}/{sid}/{path}").status_code == 401
    assert stranger.post(f"{API}/{sid}/submit", json={"revision": 1}).status_code == 401
    assert stranger.get(f"/scenarios/{sid}").status_code == 303


# --- the panel offers each role only what it may do ---


def _panel(team: Team, role: str, sid: int) -> Node:
    response = team.signed_in(role).get(f"/scenarios/{sid}")
    assert response.status_code == 200, response.text[:500]
    return htmlkit.dom(response.text).find("section", id="review")


def _actions(panel: Node) -> set[str]:
    """The review actions the panel's forms post to (their action or a button's formaction)."""
    out = set()
    for form in panel.find_all("form"):
        buttons = form.find_all("button")
        targets = [form.attrs["action"], *(b.attrs["formaction"] for b in buttons if "formaction" in b.attrs)]
        out |= {t.rsplit("/", 1)[-1] if "/shares/" not in t else "revoke" for t in targets}
    return out


@pytest.mark.parametrize(
    ("role", "draft", "in_review"),
    [
        ("viewer", set(), set()),
        ("editor", {"submit", "comments", "shares"}, {"comments", "shares"}),
        ("reviewer", {"comments", "shares"}, {"approve", "request-changes", "comments", "shares"}),
        ("admin", {"submit", "comments", "shares"}, {"approve", "request-changes", "comments", "shares"}),
    ],
)
def test_the_panel_shows_each_role_only_its_buttons(
    team: Team, role: str, draft: set[str], in_review: set[str]
) -> None:
    sid = _scenario(team)
    assert _actions(_panel(team, role, sid)) == draft
    team.signed_in("editor").post(f"{API}/{sid}/submit", json={"revision": 1})
    panel = _panel(team, role, sid)
    assert _actions(panel) == in_review
    badge = panel.find("h2", id="review-title").find("span", class_="badge")
    assert badge.text() == "In review"
    if "approve" in in_review:
        buttons = [b.text() for b in panel.find("form", id="decision-form").find_all("button")]
        assert buttons == ["Approve revision 1", "Request changes"]
    else:
        assert not panel.find_all("form", id="decision-form")


def test_the_panel_buttons_the_reviewer_sees_work_as_posted(team: Team) -> None:
    sid = _scenario(team, submitted=True)
    reviewer = team.signed_in("reviewer")
    reviewer.follow_redirects = False
    form = _panel(team, "reviewer", sid).find("form", id="decision-form")
    fields = {n.attrs["name"]: n.attrs.get("value", "") for n in form.find_all("input")}
    assert fields["revision"] == "1" and fields["csrf_token"]
    fields["comment"] = "Looks right."
    done = reviewer.post(form.attrs["action"], data=fields)
    assert done.status_code == 303, done.text[:500]
    assert _status(team, sid) == ("approved", 1, 1)
    assert _trail(team, sid)[-1] == ("reviewer", "approved", 1)
