"""Issue 17's fixes as a user meets them in a real browser (tests/web/test_issue17_fixes.py pins the
same fixes over HTTP; these check what the pages show and what pressing their buttons does):

- a viewer sees no Save button, and why; an editor sees "Save scenario" (team server);
- Re-price with an unchanged catalog adds no revision and says so;
- each CSV shape downloads under its own file name;
- duplicating twice gives "Copy of X", then "Copy of X (2)";
- a range on an empty field names the value the field stands for;
- a refused review step lands back on the scenario page with its message, and a reload sends nothing;
- the API docs name docs/api.md, never the old shared/design/api-contract.md.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest

pytest.importorskip("playwright", reason="browser tests skipped: the Python package playwright is not installed")

from pagekit import NewPage, error_id, field_id, recompute, settled, sign_in
from playwright.sync_api import Page, Request, expect

from app.presets import presets

API = "/api/v1/scenarios"
PRESET = "support-ticket-categorisation"
DAY = "workload.requests_per_day"
_names = itertools.count(1)


def unique_name(what: str) -> str:
    """A name no other test uses (each server's database is shared by the whole run)."""
    return f"{what} {next(_names)} (issue 17 browser test)"


def csrf_headers(page: Page) -> dict[str, str]:
    """The CSRF header a signed-in page sends with htmx (base.html's hx-headers), for page.request."""
    return dict(json.loads(page.locator("body").get_attribute("hx-headers") or "{}"))


def create(page: Page, name: str, headers: dict[str, str] | None = None) -> int:
    """Save the support-ticket preset under `name` through the API; its id."""
    body = presets()[PRESET].scenario.model_dump(mode="json") | {"name": name}
    made = page.request.post(API, data=body, headers=headers or {})
    assert made.status == 201, made.text()
    return int(made.json()["id"])


def api(page: Page, sid: int) -> dict[str, Any]:
    got = page.request.get(f"{API}/{sid}")
    assert got.status == 200, got.text()
    return dict(got.json())


# --- 1. Save only for a role that may save ---


def test_a_viewer_sees_why_there_is_no_save_button_and_an_editor_sees_it(new_page: NewPage, team_server: Any) -> None:
    viewer = new_page(base_url=team_server.url)
    sign_in(viewer, "viewer", "/")
    settled(viewer)
    expect(viewer.get_by_role("button", name="Recompute")).to_be_visible()
    expect(viewer.get_by_role("button", name="Save scenario")).to_have_count(0)
    expect(viewer.locator("button[formmethod='post']")).to_have_count(0)
    why = viewer.locator("#save-not-allowed")
    expect(why).to_be_visible()
    expect(why).to_contain_text("A viewer may not save scenarios")

    editor = new_page(base_url=team_server.url)
    sign_in(editor, "editor", "/")
    settled(editor)
    expect(editor.get_by_role("button", name="Save scenario")).to_be_visible()
    expect(editor.locator("#save-not-allowed")).to_have_count(0)


# --- 2. a re-price that finds the same prices saves nothing ---


def test_reprice_with_an_unchanged_catalog_adds_no_revision_and_says_so(page: Page) -> None:
    sid = create(page, unique_name("Re-price"))
    page.goto(f"/scenarios/{sid}")
    page.once("dialog", lambda dialog: dialog.accept())  # the form's "Re-price at today's catalog?" confirm
    page.get_by_role("button", name="Re-price at today's catalog").click()
    page.wait_for_url(re.compile(rf"/scenarios/{sid}\?unchanged=1$"))
    expect(page.locator("p.notice")).to_have_text(
        ["Prices unchanged: the catalog gives the same prices as revision 1; nothing was saved."]
    )
    expect(page.get_by_text(re.compile(r"Revision 1 \(the latest\)"))).to_be_visible()
    expect(page.locator("table.history tbody tr")).to_have_count(1)
    assert api(page, sid)["latest_revision"] == 1


# --- 3. each CSV shape under its own file name ---


def test_each_csv_shape_downloads_under_its_own_file_name(page: Page) -> None:
    sid = create(page, unique_name("CSV names"))
    page.goto(f"/scenarios/{sid}")
    links = page.locator("p.exports a", has_text="CSV")
    labels = links.all_inner_texts()
    assert labels == ["CSV, long", "CSV, wide", "CSV, percentiles", "CSV, annual"], labels
    names: dict[str, str] = {}
    for label in labels:
        with page.expect_download() as info:
            page.get_by_role("link", name=label, exact=True).click()
        download = info.value
        assert download.failure() is None, label
        names[label.removeprefix("CSV, ")] = download.suggested_filename
    assert len(set(names.values())) == len(names), names
    long = names["long"]
    assert long.endswith("-r1.csv"), long
    stem = long.removesuffix(".csv")
    assert names == {
        "long": f"{stem}.csv",
        "wide": f"{stem}-wide.csv",
        "percentiles": f"{stem}-percentiles.csv",
        "annual": f"{stem}-annual.csv",
    }


# --- 4. copies get distinct names ---


def test_duplicating_twice_numbers_the_second_copy(page: Page) -> None:
    name = unique_name("Duplicate")
    sid = create(page, name)
    expected = [f"Copy of {name}", f"Copy of {name} (2)"]
    copies = []
    for heading in expected:
        page.goto(f"/scenarios/{sid}")
        page.get_by_role("button", name="Duplicate", exact=True).click()
        page.wait_for_url(lambda url: re.search(rf"/scenarios/(?!{sid}\b)\d+", url) is not None)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        copies.append(int(re.findall(r"/scenarios/(\d+)", page.url)[0]))
    assert len(set(copies)) == 2 and sid not in copies
    assert [api(page, i)["name"] for i in copies] == expected


# --- 5. a range on an empty field names the value it stands for ---


def test_a_range_on_an_empty_field_names_the_value_it_stands_for(page: Page) -> None:
    page.goto("/")
    settled(page)
    expect(page.locator(field_id(DAY))).to_have_value("")  # empty: the volume is given per month
    folded = page.locator("#range-workload__requests_per_day")
    if folded.get_attribute("open") is None:  # the volume's ranges start unfolded; unfold it if not
        folded.locator("summary").click()
    low, high = field_id(f"ranges.{DAY}.low"), field_id(f"ranges.{DAY}.high")
    expect(page.locator(low)).to_be_visible()

    def typed() -> None:
        page.fill(low, "10")
        page.fill(high, "100")

    recompute(page, typed)
    message = page.locator(error_id(f"ranges.{DAY}"))
    expect(message).to_be_visible()
    expect(message).to_have_text(
        "this field is empty, so it stands for the volume per month: 100,000 a month is 3,287.67 a day, "
        "outside its range 10 to 100"
    )
    expect(page.locator("#form-status")).to_contain_text("needs a fix")


# --- 6. a refused review step: back on the scenario page, its message there, a reload sends nothing ---


def test_a_refused_approval_lands_on_the_scenario_page_and_a_reload_sends_nothing(
    new_page: NewPage, team_server: Any
) -> None:
    editor = new_page(base_url=team_server.url)
    sign_in(editor, "editor", "/scenarios")
    token = csrf_headers(editor)
    sid = create(editor, unique_name("Stale approval"), token)
    assert editor.request.post(f"{API}/{sid}/submit", data={"revision": 1}, headers=token).ok

    reviewer = new_page(base_url=team_server.url)
    sign_in(reviewer, "reviewer", f"/scenarios/{sid}")
    settled(reviewer)
    approve = reviewer.get_by_role("button", name="Approve revision 1")
    expect(approve).to_be_visible()

    # while the reviewer reads revision 1, the editor saves revision 2 and submits it
    moved = editor.request.put(f"{API}/{sid}", data={"revision": 1, "scenario": {"name": "v2"}}, headers=token)
    assert moved.ok, moved.text()
    assert editor.request.post(f"{API}/{sid}/submit", data={"revision": 2}, headers=token).ok

    reviewer.get_by_label("Comment (required to request changes)").fill("Looks fine")
    with reviewer.expect_response(lambda r: r.request.method == "POST") as posted:
        approve.click()
    assert posted.value.status == 303
    assert posted.value.url == f"{team_server.url}/scenarios/{sid}/approve"
    reviewer.wait_for_url(re.compile(rf"/scenarios/{sid}\?[^#]*refused=decision[^#]*#review$"))
    settled(reviewer)
    problem = reviewer.locator("#err-review-decision")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("Not done: you acted on revision 1, but revision 2 is now the latest.")
    expect(problem.get_by_role("link")).to_have_attribute("href", f"/scenarios/{sid}/diff?a=1&b=2")
    expect(reviewer.locator("#decision-comment")).to_have_value("Looks fine")  # what was typed, kept
    expect(reviewer.get_by_role("button", name="Approve revision 2")).to_be_visible()

    sent: list[Request] = []
    reviewer.on("request", lambda request: sent.append(request))
    reviewer.reload()
    settled(reviewer)
    assert [r.method for r in sent if r.url.split("#")[0] == reviewer.url.split("#")[0]] == ["GET"]
    assert [r.url for r in sent if r.method != "GET"] == [], "the reload sent the step again"
    expect(reviewer.locator("#err-review-decision")).to_contain_text("Not done: you acted on revision 1")
    assert api(reviewer, sid)["status"] == "in_review"


# --- 7. the API docs name docs/api.md ---


def test_the_api_docs_name_docs_api_md_not_the_old_contract(page: Page) -> None:
    page.goto("/scenarios")
    page.get_by_role("link", name="API", exact=True).click()
    page.wait_for_url(re.compile(r"/docs$"))
    description = page.locator(".swagger-ui .info .description")
    expect(description).to_contain_text("docs/api.md")
    expect(page.locator("a[href*='api-contract']")).to_have_count(0)
    assert "api-contract" not in page.locator("body").inner_text()
    assert "api-contract" not in page.content()
