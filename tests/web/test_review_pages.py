"""The review trail on the scenario page and what a share link opens, read as a browser would (htmlkit):
the panel's status and forms, errors beside the form that caused them with what was typed kept, the
approved revision kept in view after later edits, comments by revision, the audit table, share links
shown once and revocable, and /shared/<secret>: one revision read-only, its exports, no account."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from htmlkit import Node, dom, form_data
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app import audit, review, saved
from app.db.models import ShareLinkRow, utcnow
from app.engine import Scenario
from app.main import create_app
from app.settings import Settings

API = "/api/v1/scenarios"


def _page(client: TestClient, url: str, status: int = 200) -> Node:
    response = client.get(url)
    assert response.status_code == status, response.text[:2000]
    return dom(response.text)


def _panel(root: Node) -> Node:
    return root.find("section", id="review")


def _post(client: TestClient, form: Node, **typed: str) -> Any:
    """Submit a form of the page as a browser would, with `typed` in its fields; no redirect followed."""
    data = {k: v[0] for k, v in form_data(form).items()} | typed
    return client.post(form.attrs["action"], data=data, follow_redirects=False)


def _refused(client: TestClient, response: Any) -> Node:
    """A refused step answers 303 back to the scenario page (a reload never sends it again): that page."""
    assert response.status_code == 303, response.text[:2000]
    assert response.headers["location"].endswith("#review")
    return _page(client, response.headers["location"])


def _new(client: TestClient, name: str = "Budget", **fields: Any) -> int:
    response = client.post(API, json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _step(client: TestClient, sid: int, step: str, revision: int, comment: str = "") -> None:
    response = client.post(f"{API}/{sid}/{step}", json={"revision": revision, "comment": comment})
    assert response.status_code == 200, response.text


def _badge(panel: Node) -> str:
    return panel.find("h2", id="review-title").find("span", class_="badge").text()


# --- the panel, in local mode (the local admin may take every step) ---


def test_the_panel_walks_a_scenario_from_draft_to_approved(client: TestClient) -> None:
    sid = _new(client)
    panel = _panel(_page(client, f"/scenarios/{sid}"))
    assert _badge(panel) == "Draft"
    assert "no revision is approved yet" in panel.find("p", class_="review-state").text()
    submit = panel.find("form", id="submit-form")
    assert form_data(submit)["revision"] == ["1"] and form_data(submit)["csrf_token"][0]
    assert not panel.find_all("form", id="decision-form")

    done = _post(client, submit, comment="Ready for finance.")
    assert done.status_code == 303 and done.headers["location"] == f"/scenarios/{sid}?submitted=1"
    root = _page(client, done.headers["location"])
    assert [n.text() for n in root.find_all("p", class_="notice")] == ["Submitted for review."]
    panel = _panel(root)
    assert _badge(panel) == "In review"
    assert not panel.find_all("form", id="submit-form")
    decision = panel.find("form", id="decision-form")
    assert [b.text() for b in decision.find_all("button")] == ["Approve revision 1", "Request changes"]
    assert decision.find("button", formaction=f"/scenarios/{sid}/request-changes").attrs["type"] == "submit"

    done = _post(client, decision)
    assert done.headers["location"] == f"/scenarios/{sid}?approved=1"
    panel = _panel(_page(client, done.headers["location"]))
    assert _badge(panel) == "Approved"
    note = panel.find("p", id="approved-note").text()
    assert note.startswith("Revision 1 (the latest) is approved.") and "approved by local on" in note
    head = _page(client, f"/scenarios/{sid}").find("p", class_="status-line")
    assert head.find("span", class_="badge").text() == "Approved"


def test_after_an_edit_the_approved_revision_stays_in_view(client: TestClient) -> None:
    sid = _new(client)
    _step(client, sid, "submit", 1)
    _step(client, sid, "approve", 1)
    assert client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget v2"}}).status_code == 200

    panel = _panel(_page(client, f"/scenarios/{sid}"))
    assert _badge(panel) == "Draft"
    note = panel.find("p", id="approved-note")
    assert note.find("strong").text() == "Revision 1 is approved. Revision 2 (the latest) is a draft."
    link = note.find("a")
    assert link.attrs["href"] == f"/scenarios/{sid}?revision=1" and link.text() == "View the approved revision 1"

    approved = _page(client, link.attrs["href"])  # the approved figures, as they were approved
    assert approved.find("h2", id="inputs-title").text() == "Inputs of revision 1"
    note = _panel(approved).find("p", id="approved-note")
    assert "You are viewing it." in note.text()
    assert note.find("a").attrs["href"] == f"/scenarios/{sid}"

    _step(client, sid, "submit", 2)
    note = _panel(_page(client, f"/scenarios/{sid}")).find("p", id="approved-note")
    assert note.find("strong").text() == "Revision 1 is approved. Revision 2 (the latest) is in review."

    listed = _page(client, "/scenarios").find("table", class_="scenario-list")
    status = listed.find("tbody").find("tr").find_all("td")[0]
    assert status.find("span", class_="badge").text() == "In review"
    assert status.find("span", class_="approved-revision").text() == "revision 1 approved"
    assert [th.text() for th in listed.find("thead").find_all("th")][:2] == ["Name", "Status"]


def test_a_request_for_changes_without_a_comment_is_refused_beside_the_form(client: TestClient) -> None:
    sid = _new(client)
    _step(client, sid, "submit", 1)
    decision = _panel(_page(client, f"/scenarios/{sid}")).find("form", id="decision-form")
    data = {k: v[0] for k, v in form_data(decision).items()} | {"comment": "   "}
    refused = client.post(f"/scenarios/{sid}/request-changes", data=data, follow_redirects=False)
    panel = _panel(_refused(client, refused))
    assert panel.find("p", id="err-review-decision").text() == "Say what should change."
    textarea = panel.find("textarea", id="decision-comment")
    assert textarea.attrs.get("aria-invalid") == "true" and "autofocus" in textarea.attrs
    assert "err-review-decision" in textarea.attrs["aria-describedby"]
    assert _badge(panel) == "In review"


def test_a_decision_on_a_stale_revision_keeps_what_was_typed(client: TestClient) -> None:
    sid = _new(client)
    _step(client, sid, "submit", 1)
    submit_again = _panel(_page(client, f"/scenarios/{sid}"))  # a reviewer's page, before the editor's edit
    decision = submit_again.find("form", id="decision-form")
    client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget v2"}})
    _step(client, sid, "submit", 2)  # in review again, on revision 2

    typed = "The labels look low; I checked them against the quote."
    root = _refused(client, _post(client, decision, comment=typed))
    assert root.find("h2", id="inputs-title").text() == "Inputs of revision 2"  # the figures to look at now
    panel = _panel(root)
    error = panel.find("p", id="err-review-decision")
    assert error.text().startswith("Not done: you acted on revision 1, but revision 2 is now the latest.")
    assert error.find("a").attrs["href"] == f"/scenarios/{sid}/diff?a=1&b=2"
    form = panel.find("form", id="decision-form")
    assert form_data(form)["comment"] == [typed]  # nothing typed is lost
    assert form_data(form)["revision"] == ["2"]  # the form now acts on the latest
    assert form.find("button").text() == "Approve revision 2"


def test_a_refusal_whose_form_is_gone_is_said_at_the_top_and_the_text_moves_to_a_comment(
    client: TestClient,
) -> None:
    sid = _new(client)
    _step(client, sid, "submit", 1)
    decision = _panel(_page(client, f"/scenarios/{sid}")).find("form", id="decision-form")
    client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget v2"}})  # a draft again

    typed = "Approved, subject to the vendor quote."
    panel = _panel(_refused(client, _post(client, decision, comment=typed)))
    assert not panel.find_all("form", id="decision-form")  # nothing to decide on a draft
    problem = panel.find("div", class_="review-problem")
    assert problem.attrs["role"] == "alert"
    assert problem.find("p", class_="error").text().startswith("Not done: you acted on revision 1")
    assert "kept in the comment box below" in problem.text()
    comment = panel.find("form", id="comment-form")
    assert form_data(comment)["body"] == [typed] and form_data(comment)["revision"] == ["2"]
    textarea = comment.find("textarea")
    assert "autofocus" in textarea.attrs and "err-review-decision" in textarea.attrs["aria-describedby"].split()


def test_a_status_that_moved_on_is_refused_with_the_reason(client: TestClient) -> None:
    sid = _new(client)
    submit = _panel(_page(client, f"/scenarios/{sid}")).find("form", id="submit-form")
    _step(client, sid, "submit", 1)  # someone else was quicker
    problem = _panel(_refused(client, _post(client, submit, comment="Please look."))).find(
        "div", class_="review-problem"
    )
    assert problem.find("p", id="err-review-submit").text() == (
        "Not done: a scenario that is in review cannot be submitted."
    )


def test_comments_by_revision_newest_first_and_on_an_older_revision(client: TestClient) -> None:
    sid = _new(client)
    client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget"}})
    old = _page(client, f"/scenarios/{sid}?revision=1")
    form = _panel(old).find("form", id="comment-form")
    assert old.find("label", for_="comment-body").text().startswith("Comment on revision 1")
    done = _post(client, form, body="Where do the labels come from?")
    assert done.status_code == 303
    assert done.headers["location"] == f"/scenarios/{sid}?revision=1&commented=1"  # back where it was written
    form = _panel(_page(client, f"/scenarios/{sid}")).find("form", id="comment-form")
    assert _post(client, form, body="The vendor's quote.").status_code == 303

    panel = _panel(_page(client, f"/scenarios/{sid}"))
    headings = panel.find_all("h4", class_="comments-revision")
    assert [h.text().split(" (")[0] for h in headings] == ["Revision 2", "Revision 1"]
    assert headings[1].find("a").attrs["href"] == f"/scenarios/{sid}?revision=1"
    lists = panel.find_all("ol", class_="comments")
    bodies = [[p.text() for p in ol.find_all("p", class_="comment-body")] for ol in lists]
    assert bodies == [["The vendor's quote."], ["Where do the labels come from?"]]

    panel = _panel(_refused(client, _post(client, form, body=" ")))
    assert panel.find("p", id="err-review-comment").text() == "Say what should change."
    assert panel.find("textarea", id="comment-body").attrs.get("aria-invalid") == "true"


def test_the_audit_table_and_its_csv_link(client: TestClient) -> None:
    sid = _new(client)
    _step(client, sid, "submit", 1, "=1+1")
    client.post(f"{API}/{sid}/comments", json={"revision": 1, "body": "Fine."})
    panel = _panel(_page(client, f"/scenarios/{sid}"))
    rows = panel.find("table", class_="audit").find("tbody").find_all("tr")
    assert [r.attrs["data-action"] for r in rows] == ["commented", "submitted", "created"]
    cells = [[td.text() for td in r.find_all("td")] for r in rows]
    assert [c[2] for c in cells] == [audit.ACTIONS[a] for a in ("commented", "submitted", "created")]
    assert [(c[1], c[3]) for c in cells] == [("local", "1")] * 3
    assert cells[1][4] == "=1+1" and cells[0][0].endswith("UTC")
    csv_link = next(a for a in panel.find_all("a") if a.text() == "Audit log as CSV")
    assert csv_link.attrs["href"] == f"/api/v1/scenarios/{sid}/audit.csv"
    lines = client.get(csv_link.attrs["href"]).text.splitlines()
    assert lines[0] == "at,actor,action,revision,detail" and len(lines) == 4


def test_every_control_of_the_panel_is_labelled_and_posts_its_csrf_token(client: TestClient) -> None:
    sid = _new(client)
    _step(client, sid, "submit", 1)
    made = _share(client, sid)
    panel = _panel(dom(made.text))
    labels = {n.attrs.get("for") for n in panel.find_all("label")}
    controls = [n for n in panel.iter() if n.tag in ("input", "textarea", "select")]
    visible = [n for n in controls if n.attrs.get("type") != "hidden"]
    shapes = {f"share-url-{shape}" for shape in ("long", "wide", "percentiles", "annual", "models", "xlsx")}
    assert {n.attrs["id"] for n in visible} == {"decision-comment", "comment-body", "share-url", "share-days", *shapes}
    assert all(n.attrs["id"] in labels for n in visible)
    forms = panel.find_all("form")
    assert len(forms) == 4  # decision, comment, share, revoke
    for form in forms:
        assert form.attrs["method"] == "post" and form_data(form).get("csrf_token", [""])[0], form.attrs
    for n in panel.iter():
        assert not any(k.startswith("on") for k in n.attrs), n.attrs


# --- share links ---


def _share(client: TestClient, sid: int, url: str | None = None, **typed: str) -> Any:
    form = _panel(_page(client, url or f"/scenarios/{sid}")).find("form", id="share-form")
    return _post(client, form, **typed)


def _secret_url(response: Any) -> str:
    value = _panel(dom(response.text)).find("input", id="share-url").attrs["value"]
    assert re.fullmatch(r"http://testserver/shared/[A-Za-z0-9_\-]{20,}", value), value
    return str(value)


def test_a_new_share_link_is_shown_once_and_listed_after(client: TestClient, db_engine: Engine) -> None:
    sid = _new(client)
    made = _share(client, sid, days="3")
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    url = _secret_url(made)
    secret = url.rsplit("/", 1)[1]
    notice = _panel(dom(made.text)).find("div", class_="secret")
    assert notice.attrs["role"] == "status" and "shown only this once" in notice.text()
    assert "autofocus" in notice.find("input").attrs and "readonly" in notice.find("input").attrs

    again = client.get(f"/scenarios/{sid}")
    assert secret not in again.text  # never shown again, never stored as such
    panel = _panel(dom(again.text))
    assert not panel.find_all("input", id="share-url")
    row = panel.find("table", class_="shares").find("tbody").find("tr")
    cells = [td.text() for td in row.find_all("td")]
    assert cells[1:3] == ["1", "local"] and cells[5].startswith("Active")
    link = _link(db_engine)
    assert (link.expires_at - link.created_at) == dt.timedelta(days=3)
    assert secret not in link.token_hash


def test_a_share_of_an_older_revision_comes_back_to_that_revision(client: TestClient) -> None:
    sid = _new(client)
    client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget v2"}})
    made = _share(client, sid, f"/scenarios/{sid}?revision=1")
    assert made.status_code == 201
    root = dom(made.text)
    assert root.find("h2", id="inputs-title").text() == "Inputs of revision 1"
    assert "New share link to revision 1" in _panel(root).find("div", class_="secret").text()


@pytest.mark.parametrize("days", ["0", "366", "two", "-1", "1.5"])
def test_bad_days_are_refused_beside_the_field_and_kept(client: TestClient, days: str) -> None:
    sid = _new(client)
    refused = _share(client, sid, days=days)
    assert refused.status_code == 422
    panel = _panel(dom(refused.text))
    assert panel.find("p", id="err-review-share").text() == "1 to 365 days."
    field = panel.find("input", id="share-days")
    assert field.attrs["value"] == days and field.attrs.get("aria-invalid") == "true"
    assert not panel.find_all("input", id="share-url")


def test_empty_days_take_the_default(client: TestClient, db_engine: Engine, settings: Settings) -> None:
    sid = _new(client)
    assert _share(client, sid, days="").status_code == 201
    link = _link(db_engine)
    assert link.expires_at - link.created_at == dt.timedelta(days=settings.share_link_days)


def test_the_shared_page_is_the_revision_read_only(client: TestClient) -> None:
    sid = _new(client, "Moderation budget", description="For the Q3 plan.")
    _step(client, sid, "submit", 1)
    _step(client, sid, "approve", 1)
    path = _secret_url(_share(client, sid)).split("testserver", 1)[1]
    client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Renamed later", "description": "Later."}})

    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["referrer-policy"] == "no-referrer" and response.headers["cache-control"] == "no-store"
    root = dom(response.text)
    assert root.find("h1").text() == "Moderation budget"  # the revision's own name, not a later one
    assert root.find("p", class_="description").text() == "For the Q3 plan."
    status = root.find("p", class_="status-line")
    assert status.find("span", class_="badge").text() == "Approved" and "approved revision" in status.text()
    assert "Revision 1," in root.find("header", class_="scenario-head").text()
    # the same results the scenario page shows for revision 1
    mine = _page(client, f"/scenarios/{sid}?revision=1")
    totals = [td.text() for td in root.find("table", class_="totals").find_all("td")]
    assert totals == [td.text() for td in mine.find("table", class_="totals").find_all("td")]
    assert root.find("h2", id="verdict-title").text() == mine.find("h2", id="verdict-title").text()
    # nothing to act with, nowhere that needs an account
    assert not root.find_all("form") and not root.find_all("nav") and not root.find_all("textarea")
    assert not root.find_all("section", id="review")
    links = {a.attrs["href"] for a in root.find_all("a")}
    cited = {link for link in links if link.startswith("/sources#")}  # the Sources page is public
    shapes = {f"{path}/export.csv?shape={shape}" for shape in ("wide", "percentiles", "annual", "models")}
    assert cited and links - cited == {"#main", "#uncertainty", f"{path}/export.csv", f"{path}/export.xlsx", *shapes}
    assert all(s.attrs.get("src") for s in root.find_all("script"))  # no inline script


def test_the_shared_exports_are_the_api_exports_of_that_revision(client: TestClient) -> None:
    sid = _new(client)
    path = _secret_url(_share(client, sid)).split("testserver", 1)[1]
    client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget", "horizon_months": 24}})
    shared_csv = client.get(f"{path}/export.csv")
    assert shared_csv.status_code == 200 and shared_csv.headers["referrer-policy"] == "no-referrer"
    api_csv = client.get(f"{API}/{sid}/export.csv?revision=1")
    assert shared_csv.text == api_csv.text
    assert shared_csv.text != client.get(f"{API}/{sid}/export.csv?revision=2").text
    assert shared_csv.headers["content-disposition"] == api_csv.headers["content-disposition"]
    shared_xlsx = client.get(f"{path}/export.xlsx")
    assert shared_xlsx.status_code == 200
    assert shared_xlsx.content == client.get(f"{API}/{sid}/export.xlsx?revision=1").content


def test_a_share_link_serves_every_csv_shape_and_the_page_shows_each_url(client: TestClient) -> None:
    """Every shape through the share link: the one URL IMPORTDATA or WEBSERVICE reaches in team mode."""
    sid = _new(client)
    made = _share(client, sid)
    url = _secret_url(made)
    path = url.split("testserver", 1)[1]
    shown = {i.attrs["id"]: i.attrs["value"] for i in _panel(dom(made.text)).find_all("input") if i.attrs.get("id")}
    assert shown["share-url-long"] == f"{url}/export.csv"
    assert shown["share-url-xlsx"] == f"{url}/export.xlsx"
    for shape in ("wide", "percentiles", "annual", "models"):
        assert shown[f"share-url-{shape}"] == f"{url}/export.csv?shape={shape}"
        answer = client.get(f"{path}/export.csv?shape={shape}")
        assert answer.status_code == 200, (shape, answer.text[:300])
        assert answer.text == client.get(f"{API}/{sid}/export.csv?revision=1&shape={shape}").text
        assert answer.headers["content-disposition"] == f'attachment; filename="budget-r1-{shape}.csv"'
    downloads = [a.attrs["href"] for a in dom(client.get(path).text).find_all("a") if "download" in a.attrs]
    assert downloads == [
        f"{path}/export.csv",
        f"{path}/export.csv?shape=wide",
        f"{path}/export.csv?shape=percentiles",
        f"{path}/export.csv?shape=annual",
        f"{path}/export.csv?shape=models",
        f"{path}/export.xlsx",
    ]
    assert client.get(f"{path}/export.csv?shape=tall").status_code == 404  # as any page with a bad address part


def _link(engine: Engine) -> ShareLinkRow:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(ShareLinkRow)).one()


def test_a_revoked_link_no_longer_opens(client: TestClient, db_engine: Engine) -> None:
    sid = _new(client)
    path = _secret_url(_share(client, sid)).split("testserver", 1)[1]
    assert client.get(path).status_code == 200
    row = _panel(_page(client, f"/scenarios/{sid}")).find("table", class_="shares").find("tbody").find("tr")
    revoke = row.find("form")
    assert revoke.attrs["data-confirm"].startswith("Revoke share link")
    done = _post(client, revoke)
    assert done.status_code == 303 and done.headers["location"] == f"/scenarios/{sid}?share_revoked=1"
    cells = _panel(_page(client, f"/scenarios/{sid}")).find("table", class_="shares").find_all("td")
    assert cells[5].text().startswith("Revoked on") and not cells[5].find_all("form")
    for url in (path, f"{path}/export.csv", f"{path}/export.xlsx"):
        refused = client.get(url)
        assert refused.status_code == 404 and refused.headers["cache-control"] == "no-store"
        assert "revoked" in dom(refused.text).find("section", class_="shared-gone").text()
    assert _link(db_engine).revoked_at is not None


def test_a_link_is_revoked_only_through_its_own_scenario(client: TestClient, db_engine: Engine) -> None:
    sid, other = _new(client), _new(client, "Other")
    path = _secret_url(_share(client, sid)).split("testserver", 1)[1]
    link = _link(db_engine)
    assert client.post(f"/scenarios/{other}/shares/{link.id}/revoke", data={}).status_code == 404
    assert client.post(f"/scenarios/{sid}/shares/{link.id + 1}/revoke", data={}).status_code == 404
    assert _link(db_engine).revoked_at is None and client.get(path).status_code == 200


def test_an_expired_or_unknown_link_does_not_open(client: TestClient, db_engine: Engine) -> None:
    sid = _new(client)
    path = _secret_url(_share(client, sid)).split("testserver", 1)[1]
    with Session(db_engine) as session:
        link = session.exec(select(ShareLinkRow)).one()
        link.expires_at = utcnow() - dt.timedelta(seconds=1)
        session.add(link)
        session.commit()
    expired = client.get(path)
    assert expired.status_code == 404 and expired.headers["referrer-policy"] == "no-referrer"
    assert "expired" in dom(expired.text).find("section", class_="shared-gone").text()
    assert client.get(f"{path}/export.csv").status_code == 404
    cells = _panel(_page(client, f"/scenarios/{sid}")).find("table", class_="shares").find_all("td")
    assert cells[5].text() == "Expired"
    unknown = client.get("/shared/" + "x" * 43)
    assert unknown.status_code == 404
    assert "not valid" in dom(unknown.text).find("section", class_="shared-gone").text()
    assert not dom(unknown.text).find_all("nav")


def test_a_share_link_opens_without_signing_in_in_team_mode(db_engine: Engine, settings: Settings) -> None:
    with Session(db_engine, expire_on_commit=False) as session:
        row = saved.save(session, scenario=Scenario(name="Team budget"), author="editor")
        _, secret = review.create_share(session, row=row, revision=1, actor="editor", days=2)
    team = create_app(settings.model_copy(update={"auth_required": True}))
    team.state.session_factory = lambda: Session(db_engine, expire_on_commit=False)
    with TestClient(team, follow_redirects=False) as stranger:
        assert stranger.get(f"/scenarios/{row.id}").status_code == 303  # everything else needs sign-in
        assert stranger.get(f"{API}/{row.id}/export.csv").status_code == 401
        opened = stranger.get(f"/shared/{secret}")
        assert opened.status_code == 200, opened.text[:500]
        root = dom(opened.text)
        assert root.find("h1").text() == "Team budget"
        assert not root.find_all("a", href="/sign-in") and not root.find_all("form")
        assert stranger.get(f"/shared/{secret}/export.csv").status_code == 200
        assert stranger.get(f"/shared/{secret}/export.xlsx").status_code == 200
