"""The review trail through the JSON API (local mode: the actor is "local"): every status step and
every refusal, approval pinned across later revisions, comments on any revision, and the audit log as
JSON and CSV with an entry for every action, which the database will not let anyone change or delete.
Each test runs on SQLite and on PostgreSQL (`db_engine`)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select
from suitekit import move_the_catalog

from app.db.models import AuditRow

API = "/api/v1/scenarios"
AUDIT_CSV_COLUMNS = ["at", "actor", "action", "revision", "detail"]


def _new(client: TestClient, name: str = "Budget") -> int:
    response = client.post(API, json={"name": name})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _step(client: TestClient, sid: int, step: str, revision: int, comment: str | None = None) -> Any:
    body: dict[str, Any] = {"revision": revision}
    if comment is not None:
        body["comment"] = comment
    return client.post(f"{API}/{sid}/{step}", json=body)


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


def _trail(client: TestClient, sid: int) -> list[tuple[str, str, int | None]]:
    """(actor, action, revision) of the scenario's audit log, oldest first."""
    response = client.get(f"{API}/{sid}/audit")
    assert response.status_code == 200, response.text
    return [(e["actor"], e["action"], e["revision"]) for e in reversed(response.json())]


def test_draft_to_in_review_to_approved(client: TestClient) -> None:
    sid = _new(client)
    created = client.get(f"{API}/{sid}").json()
    assert (created["status"], created["approved_revision"]) == ("draft", None)

    submitted = _ok(_step(client, sid, "submit", 1, "Ready for finance."))
    assert (submitted["status"], submitted["approved_revision"], submitted["latest_revision"]) == ("in_review", None, 1)
    assert submitted["revision"]["number"] == 1 and "inputs" in submitted["revision"]  # ScenarioDetail

    approved = _ok(_step(client, sid, "approve", 1))
    assert (approved["status"], approved["approved_revision"]) == ("approved", 1)
    listed = client.get(API).json()["items"]
    assert [(s["id"], s["status"], s["approved_revision"]) for s in listed] == [(sid, "approved", 1)]
    assert _trail(client, sid) == [("local", "created", 1), ("local", "submitted", 1), ("local", "approved", 1)]
    # the note given on submitting is a comment on the revision
    comments = client.get(f"{API}/{sid}/comments").json()
    assert [(c["revision"], c["author"], c["body"]) for c in comments] == [(1, "local", "Ready for finance.")]


def test_changes_requested_then_back_in_review_then_approved(client: TestClient) -> None:
    sid = _new(client)
    _ok(_step(client, sid, "submit", 1))
    asked = _ok(_step(client, sid, "request-changes", 1, "Labels cost 20 USD, not 5."))
    assert (asked["status"], asked["approved_revision"]) == ("changes_requested", None)
    again = _ok(_step(client, sid, "submit", 1))
    assert again["status"] == "in_review"
    assert _ok(_step(client, sid, "approve", 1))["status"] == "approved"
    assert [a for _, a, _ in _trail(client, sid)] == [
        "created",
        "submitted",
        "changes_requested",
        "submitted",
        "approved",
    ]
    assert _trail(client, sid)[2] == ("local", "changes_requested", 1)
    detail = client.get(f"{API}/{sid}/audit").json()[2]["detail"]  # newest first: the request for changes
    assert detail == "Labels cost 20 USD, not 5."


@pytest.mark.parametrize(
    ("setup", "step"),
    [
        ([], "approve"),  # a draft is not in review
        ([], "request-changes"),
        (["submit"], "submit"),  # already in review
        (["submit", "approve"], "submit"),  # approved: a new revision makes a draft first
        (["submit", "approve"], "approve"),
        (["submit", "approve"], "request-changes"),
        (["submit", "request-changes"], "approve"),  # changes requested: submit again first
        (["submit", "request-changes"], "request-changes"),
    ],
)
def test_a_step_the_status_does_not_allow_is_409_and_writes_nothing(
    client: TestClient, setup: list[str], step: str
) -> None:
    sid = _new(client)
    for done in setup:
        _ok(_step(client, sid, done, 1, "Why."))
    before = client.get(f"{API}/{sid}").json()
    trail = _trail(client, sid)
    refused = _step(client, sid, step, 1, "Why.")
    assert refused.status_code == 409, refused.text
    assert "cannot be" in refused.json()["detail"]
    after = client.get(f"{API}/{sid}").json()
    assert (after["status"], after["approved_revision"]) == (before["status"], before["approved_revision"])
    assert _trail(client, sid) == trail


def test_a_step_on_a_revision_that_is_not_the_latest_is_409(client: TestClient) -> None:
    sid = _new(client)
    _ok(_step(client, sid, "submit", 1))
    edited = client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget v2"}})
    assert edited.status_code == 200 and edited.json()["status"] == "draft"  # a new revision: a draft again
    for step in ("submit", "approve", "request-changes"):
        stale = _step(client, sid, step, 1, "On the old figures.")
        assert stale.status_code == 409, (step, stale.text)
        assert "not the latest" in stale.json()["detail"] and "2" in stale.json()["detail"]
    assert _step(client, sid, "submit", 3).status_code == 409  # a revision that does not exist yet
    assert client.get(f"{API}/{sid}").json()["status"] == "draft"
    assert [a for _, a, _ in _trail(client, sid)] == ["created", "submitted", "edited"]
    assert _ok(_step(client, sid, "submit", 2))["status"] == "in_review"


@pytest.mark.parametrize("comment", [None, "", "   \n\t "])
def test_requesting_changes_without_a_comment_is_422_at_comment(client: TestClient, comment: str | None) -> None:
    sid = _new(client)
    _ok(_step(client, sid, "submit", 1))
    refused = _step(client, sid, "request-changes", 1, comment)
    assert refused.status_code == 422, refused.text
    assert [e["loc"] for e in refused.json()["detail"]] == ["comment"]
    assert client.get(f"{API}/{sid}").json()["status"] == "in_review"
    assert client.get(f"{API}/{sid}/comments").json() == []


def test_a_comment_too_long_is_422_at_comment(client: TestClient) -> None:
    sid = _new(client)
    _ok(_step(client, sid, "submit", 1))
    refused = _step(client, sid, "approve", 1, "x" * 5001)
    assert refused.status_code == 422 and [e["loc"] for e in refused.json()["detail"]] == ["comment"]
    assert client.get(f"{API}/{sid}").json()["status"] == "in_review"
    assert _ok(_step(client, sid, "approve", 1, "x" * 5000))["status"] == "approved"


def test_editing_after_approval_makes_a_draft_and_keeps_the_approved_revision(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    move_the_catalog(monkeypatch)  # each re-price finds new prices, so it adds a revision
    sid = _new(client)
    _ok(_step(client, sid, "submit", 1))
    _ok(_step(client, sid, "approve", 1))
    approved_totals = client.get(f"{API}/{sid}/revisions/1").json()["totals"]

    edited = client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget", "horizon_months": 24}})
    body = _ok(edited)
    assert (body["status"], body["approved_revision"], body["latest_revision"]) == ("draft", 1, 2)
    repriced = _ok(client.post(f"{API}/{sid}/reprice", json={"revision": 2}))
    assert (repriced["status"], repriced["approved_revision"], repriced["latest_revision"]) == ("draft", 1, 3)
    # the approved revision is still there, with its figures
    assert client.get(f"{API}/{sid}/revisions/1").json()["totals"] == approved_totals
    assert client.get(f"{API}/{sid}/export.csv?revision=1").status_code == 200

    _ok(_step(client, sid, "submit", 3))
    assert _ok(_step(client, sid, "approve", 3))["approved_revision"] == 3


def test_comments_attach_to_any_revision_old_ones_too(client: TestClient) -> None:
    sid = _new(client)
    client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget"}})
    first = client.post(f"{API}/{sid}/comments", json={"revision": 1, "body": "Where do the labels come from?"})
    assert first.status_code == 201, first.text
    made = first.json()
    assert set(made) == {"id", "revision", "author", "body", "created_at"}
    assert (made["revision"], made["author"], made["body"]) == (1, "local", "Where do the labels come from?")
    second = client.post(f"{API}/{sid}/comments", json={"revision": 2, "body": "  The vendor quote.  "})
    assert second.status_code == 201 and second.json()["body"] == "The vendor quote."  # trimmed
    listed = client.get(f"{API}/{sid}/comments").json()
    assert [(c["revision"], c["body"]) for c in listed] == [
        (1, "Where do the labels come from?"),
        (2, "The vendor quote."),
    ]
    assert _trail(client, sid)[-2:] == [("local", "commented", 1), ("local", "commented", 2)]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"revision": 9, "body": "On nothing."}, "revision"),
        ({"revision": 1, "body": ""}, "body"),
        ({"revision": 1, "body": "  "}, "body"),
        ({"revision": 1, "body": "x" * 5001}, "body"),
        ({"revision": 1}, "body"),
        ({"revision": 1, "body": "ok", "extra": 1}, "extra"),
    ],
)
def test_a_bad_comment_is_422_at_its_field(client: TestClient, body: dict[str, Any], loc: str) -> None:
    sid = _new(client)
    refused = client.post(f"{API}/{sid}/comments", json=body)
    assert refused.status_code == 422, refused.text
    assert [e["loc"] for e in refused.json()["detail"]] == [loc]
    assert client.get(f"{API}/{sid}/comments").json() == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "submit", {"revision": 1}),
        ("post", "approve", {"revision": 1}),
        ("post", "request-changes", {"revision": 1, "comment": "x"}),
        ("post", "comments", {"revision": 1, "body": "x"}),
        ("get", "comments", None),
        ("get", "audit", None),
        ("get", "audit.csv", None),
    ],
)
def test_a_scenario_that_does_not_exist_is_404(client: TestClient, method: str, path: str, body: Any) -> None:
    response = getattr(client, method)(f"{API}/999/{path}", **({"json": body} if body else {}))
    assert response.status_code == 404, response.text


def _share(client: TestClient, sid: int, revision: int) -> tuple[int, str]:
    """A share link made through the scenario page's form: its id (from the audit) and its secret."""
    page = client.post(f"/scenarios/{sid}/shares", data={"revision": str(revision), "days": "2"})
    assert page.status_code == 201, page.text
    secret = re.search(r"/shared/([A-Za-z0-9_\-]+)", page.text)
    assert secret is not None
    detail = client.get(f"{API}/{sid}/audit").json()[0]["detail"]
    found = re.match(r"link (\d+),", detail)
    assert found is not None, detail
    return int(found.group(1)), secret.group(1)


def test_the_audit_log_has_an_entry_for_every_action_as_json_and_csv(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    move_the_catalog(monkeypatch)  # each re-price finds new prices, so it adds a revision
    sid = _new(client)
    assert client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget"}}).status_code == 200
    assert client.post(f"{API}/{sid}/reprice", json={"revision": 2}).status_code == 200
    copy = client.post(f"/scenarios/{sid}/duplicate", data={"revision": "2"}, follow_redirects=False)
    assert copy.status_code == 303
    assert client.delete(f"{API}/{sid}").status_code == 200
    assert client.post(f"{API}/{sid}/restore").status_code == 200
    _ok(_step(client, sid, "submit", 3))
    _ok(_step(client, sid, "request-changes", 3, '=HYPERLINK("http://x")'))
    _ok(_step(client, sid, "submit", 3))
    _ok(_step(client, sid, "approve", 3, "Fine."))
    assert client.post(f"{API}/{sid}/comments", json={"revision": 1, "body": "+1 on the first"}).status_code == 201
    link_id, _ = _share(client, sid, 2)
    revoked = client.post(f"/scenarios/{sid}/shares/{link_id}/revoke", data={}, follow_redirects=False)
    assert revoked.status_code == 303

    expected = [
        ("local", "created", 1),
        ("local", "edited", 2),
        ("local", "repriced", 3),
        ("local", "duplicated", 2),
        ("local", "archived", 3),
        ("local", "restored", 3),
        ("local", "submitted", 3),
        ("local", "changes_requested", 3),
        ("local", "submitted", 3),
        ("local", "approved", 3),
        ("local", "commented", 1),
        ("local", "share_created", 2),
        ("local", "share_revoked", 2),
    ]
    assert _trail(client, sid) == expected
    entries = client.get(f"{API}/{sid}/audit").json()
    assert all(set(e) == {"id", "at", "actor", "action", "revision", "detail"} for e in entries)
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)  # newest first

    response = client.get(f"{API}/{sid}/audit.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith('.csv"')
    reader = csv.reader(io.StringIO(response.text))
    assert next(reader) == AUDIT_CSV_COLUMNS
    rows = [dict(zip(AUDIT_CSV_COLUMNS, line, strict=True)) for line in reader]
    assert [(r["actor"], r["action"], int(r["revision"])) for r in reversed(rows)] == expected
    # to the second, in the same order, as a spreadsheet reads a date and time: no T, no offset (UTC)
    assert [r["at"] for r in rows] == [e["at"][:19].replace("T", " ") for e in entries]
    # text cells are neutralised for spreadsheets: a comment typed as a formula stays text
    asked = next(r for r in rows if r["action"] == "changes_requested")
    assert asked["detail"] == '\'=HYPERLINK("http://x")'
    comment = next(r for r in rows if r["action"] == "commented")
    assert comment["detail"] == "'+1 on the first"
    # the JSON keeps the text as typed
    assert next(e for e in entries if e["action"] == "changes_requested")["detail"] == '=HYPERLINK("http://x")'


def _rows(engine: Engine) -> list[tuple[int | None, str, str, str]]:
    with Session(engine) as session:
        return [(e.id, e.actor, e.action, e.detail) for e in session.exec(select(AuditRow).order_by(col(AuditRow.id)))]


def test_the_database_refuses_to_change_or_delete_an_audit_entry(client: TestClient, db_engine: Engine) -> None:
    sid = _new(client)
    _ok(_step(client, sid, "submit", 1))
    before = _rows(db_engine)
    assert [a for _, _, a, _ in before] == ["created", "submitted"]

    with Session(db_engine) as session, pytest.raises(DatabaseError, match="append-only"):
        entry = session.exec(select(AuditRow).where(AuditRow.action == "submitted")).one()
        entry.actor = "someone else"
        session.add(entry)
        session.commit()
    with Session(db_engine) as session, pytest.raises(DatabaseError, match="append-only"):
        session.delete(session.exec(select(AuditRow).where(AuditRow.action == "created")).one())
        session.commit()

    assert _rows(db_engine) == before
    assert _trail(client, sid) == [("local", "created", 1), ("local", "submitted", 1)]


def test_the_review_routes_declare_their_answers_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    scenario = "/api/v1/scenarios/{scenario_id}"
    for step in ("submit", "approve", "request-changes"):
        declared = paths[f"{scenario}/{step}"]["post"]["responses"]
        assert {"200", "404", "409", "422"} <= set(declared), (step, sorted(declared))
        assert declared["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ScenarioDetail"
        }
    assert {"201", "404", "422"} <= set(paths[f"{scenario}/comments"]["post"]["responses"])
    assert {"200", "404"} <= set(paths[f"{scenario}/comments"]["get"]["responses"])
    assert {"200", "404"} <= set(paths[f"{scenario}/audit"]["get"]["responses"])
    assert any(m.startswith("text/csv") for m in paths[f"{scenario}/audit.csv"]["get"]["responses"]["200"]["content"])
    out = client.get("/openapi.json").json()["components"]["schemas"]["ScenarioOut"]["properties"]
    assert {"status", "approved_revision"} <= set(out)
