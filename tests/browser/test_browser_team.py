"""A team deployment in a real browser (AUTH_REQUIRED=true, accounts made by `llm-tco users`): signing
in and out, and the finance review flow: an editor submits, a reviewer requests changes and then
approves, an edit after approval starts a new draft while the approved revision stays visible."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright", reason="browser tests skipped: the Python package playwright is not installed")

from pagekit import TEAM_PASSWORD, NewPage, Watch, sign_in
from playwright.sync_api import Page, expect

Shot = Callable[[Page, str], Path]


def test_sign_in_is_required_and_sign_out_ends_the_session(
    new_page: NewPage, team_server: Any, screenshot: Shot, watch: Watch
) -> None:
    watch.allow(r"status of 401 .*/sign-in")  # the wrong password's answer, on purpose
    page = new_page(base_url=team_server.url)
    page.goto("/scenarios")
    expect(page).to_have_url(f"{team_server.url}/sign-in?next=%2Fscenarios")
    page.get_by_label("Username").fill("viewer")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_have_text("Wrong username or password.")
    expect(page.get_by_label("Username")).to_have_value("viewer")
    screenshot(page, "team-sign-in-error")
    page.get_by_label("Password").fill(TEAM_PASSWORD)
    page.get_by_label("Password").press("Enter")  # the keyboard is enough
    expect(page).to_have_url(f"{team_server.url}/scenarios")
    expect(page.locator(".top .who")).to_contain_text("viewer (viewer)")
    cookie = next(c for c in page.context.cookies() if c["name"] == "tco_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{team_server.url}/sign-in?signed_out=1")
    page.context.add_cookies([cookie])  # the old cookie, replayed: the server ended its session
    page.goto("/scenarios")
    expect(page).to_have_url(f"{team_server.url}/sign-in?next=%2Fscenarios")


def test_the_review_flow_from_draft_to_approved_and_a_new_draft(
    new_page: NewPage, team_server: Any, screenshot: Shot, watch: Watch
) -> None:
    watch.allow(r"status of 422 .*/request-changes")  # changes requested without a comment, on purpose
    editor = new_page(base_url=team_server.url)
    sign_in(editor, "editor", "/scenarios/1")
    expect(editor.locator("#review .badge")).to_have_text("Draft")
    editor.get_by_role("button", name="Submit revision 1 for review").click()
    expect(editor.locator("p.notice")).to_have_text("Submitted for review.")
    expect(editor.locator("#review .badge")).to_have_text("In review")

    reviewer = new_page(base_url=team_server.url)
    sign_in(reviewer, "reviewer", "/scenarios/1")
    reviewer.get_by_role("button", name="Request changes").click()
    expect(reviewer.locator("#err-review-decision")).to_have_text("Say what should change.")
    reviewer.get_by_label("Comment (required to request changes)").fill("Label cost: use 15 USD.")
    reviewer.get_by_role("button", name="Request changes").click()
    expect(reviewer.locator("#review .badge")).to_have_text("Changes requested")
    expect(reviewer.locator(".comment-body")).to_have_text("Label cost: use 15 USD.")

    editor.reload()
    editor.get_by_role("button", name="Submit revision 1 for review").click()
    reviewer.reload()
    reviewer.get_by_role("button", name="Approve revision 1").click()
    expect(reviewer.locator("#review .badge")).to_have_text("Approved")
    expect(reviewer.locator(".approved-note")).to_contain_text("Revision 1 was approved by reviewer")
    expect(reviewer.get_by_role("button", name="Edit")).to_have_count(0)  # a reviewer does not edit

    editor.goto("/scenarios/1/edit")
    editor.get_by_role("button", name="Save revision 2").click()
    expect(editor.locator("#review .badge")).to_have_text("Draft")
    note = editor.locator(".approved-note")
    expect(note).to_contain_text("Revision 2 (the latest) is a draft")
    note.get_by_role("link", name="View the approved revision 1").click()
    expect(editor).to_have_url(f"{team_server.url}/scenarios/1?revision=1")
    audit = editor.locator("table.audit tbody tr")
    expect(audit.first).to_have_attribute("data-action", "edited")
    actions = [a for a in audit.evaluate_all("rows => rows.map(r => r.dataset.action)")]
    assert actions[:5] == ["edited", "approved", "submitted", "changes_requested", "submitted"], actions
    screenshot(editor, "team-review-trail")
