"""Issue 17's bugs, each pinned by the behaviour that replaces it: Save only for a role that may save,
and a refused save that keeps the form; a re-price that finds the same prices saves nothing; each CSV
shape under its own file name; distinct names for copies; a refused review step answered by a 303."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from htmlkit import Node, dom, fetch, form_data
from sqlalchemy import Engine
from sqlmodel import Session, select
from suitekit import TESTS, load

from app.db.models import RevisionRow
from app.presets import presets

load("teamkit", TESTS / "auth" / "teamkit.py")  # tests/auth/conftest.py imports it by this name
_auth = load("tests_auth_fixtures", TESTS / "auth" / "conftest.py")
from teamkit import Team  # noqa: E402  (importable once loaded above)

team = _auth.team
auth_settings = _auth.auth_settings
cheap_hashes = _auth.cheap_hashes

API = "/api/v1/scenarios"
NAME = "Support ticket categorisation"


_page = fetch


def _create(client: TestClient, name: str = NAME) -> dict[str, Any]:
    doc = presets()["support-ticket-categorisation"].scenario.model_dump(mode="json") | {"name": name}
    response = client.post(API, json=doc)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _save_buttons(root: Node) -> list[Node]:
    return [b for b in root.find_all("button") if b.attrs.get("formmethod") == "post"]


def _calculator_form(root: Node) -> dict[str, list[str]]:
    return form_data(root.find("form", id="calculator"))


# --- 1. Save only for a role that may save; a refused save keeps what was typed ---


def test_a_viewer_sees_no_save_button_and_an_editor_does(team: Team) -> None:
    viewer = _page(team.signed_in("viewer"), "/")
    assert _save_buttons(viewer) == []
    assert viewer.find("p", id="save-not-allowed").text().startswith("A viewer may not save scenarios")
    assert [b.text() for b in viewer.find("fieldset", class_="save").find_all("button")] == ["Recompute"]

    editor = _page(team.signed_in("editor"), "/")
    [save] = _save_buttons(editor)
    assert (save.attrs["formaction"], save.text()) == ("/scenarios", "Save scenario")
    assert not editor.find_all("p", id="save-not-allowed")


def test_a_save_refused_for_the_role_comes_back_as_the_form_as_typed(team: Team) -> None:
    """The guard lets a form's save reach its route (app/auth/policy.py: compute), which checks the
    right to edit itself: a viewer's save comes back as the form as typed, with the reason."""
    sid = _create(team.signed_in("editor"))["id"]
    viewer = team.signed_in("viewer")
    typed = {"name": "My typed name", "description": "Kept, please", "horizon_months": "24"}

    refused = viewer.post("/scenarios", data=typed, follow_redirects=False)
    assert refused.status_code == 403
    root = dom(refused.text)
    assert root.find("p", id="err-form").text() == (
        "Not saved: a viewer may not create or edit scenarios; ask an admin for another role. "
        "Everything you typed is kept below: you can still recompute it."
    )
    values = _calculator_form(root)
    assert values["name"] == ["My typed name"] and values["horizon_months"] == ["24"]
    assert values["description"] == ["Kept, please"]

    edit = viewer.post(f"/scenarios/{sid}/edit", data={**typed, "revision": "1"}, follow_redirects=False)
    assert edit.status_code == 403
    assert _calculator_form(dom(edit.text))["name"] == ["My typed name"]
    assert team.signed_in("viewer").get(f"{API}/{sid}").json()["latest_revision"] == 1
    assert team.signed_in("viewer").get(API).json()["total"] == 1  # nothing was written


def test_an_invalid_save_comes_back_as_the_form_with_a_message(client: TestClient) -> None:
    typed = {"name": "Half typed", "horizon_months": "not a number"}
    refused = client.post("/scenarios", data=typed, follow_redirects=False)
    assert refused.status_code == 422
    root = dom(refused.text)
    assert (
        root.find("p", id="err-form").text()
        == "Not saved: correct the marked fields. Everything you typed is kept below."
    )
    assert _calculator_form(root)["horizon_months"] == ["not a number"]
    assert client.get(API).json()["total"] == 0


def test_a_save_refused_for_an_unknown_model_to_compare_says_so_above_the_pick_list(client: TestClient) -> None:
    """The catalog refuses `prompting.candidates.1`: its message lands in the pick list's one error slot."""
    typed = {"name": "Compared", "prompting.candidates.0": "openai:gpt-6.1-terra", "prompting.candidates.1": "x:nope"}
    refused = client.post("/scenarios", data=typed, follow_redirects=False)
    assert refused.status_code == 422
    root = dom(refused.text)
    assert "unknown catalog id 'x:nope'" in root.find("p", id="err-prompting__candidates").text()
    assert _calculator_form(root)["prompting.candidates.1"] == ["x:nope"]
    assert client.get(API).json()["total"] == 0


def test_a_stale_edit_comes_back_as_the_form_as_typed(client: TestClient) -> None:
    sid = _create(client)["id"]
    assert client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Theirs"}}).status_code == 200
    refused = client.post(f"/scenarios/{sid}/edit", data={"name": "Mine", "revision": "1"}, follow_redirects=False)
    assert refused.status_code == 409
    root = dom(refused.text)
    assert root.find("p", id="err-form").text().startswith("Someone saved revision 2 while you were editing revision 1")
    assert _calculator_form(root)["name"] == ["Mine"]


# --- 2. a re-price that finds the same prices saves nothing ---


def test_reprice_with_an_unchanged_catalog_adds_nothing_and_says_so(client: TestClient) -> None:
    sid = _create(client)["id"]
    response = client.post(f"/scenarios/{sid}/reprice", data={"revision": "1"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/scenarios/{sid}?unchanged=1"
    root = _page(client, response.headers["location"])
    assert [p.text() for p in root.find_all("p", class_="notice")] == [
        "Prices unchanged: the catalog gives the same prices as revision 1; nothing was saved."
    ]
    assert client.get(f"{API}/{sid}").json()["latest_revision"] == 1
    assert [e["action"] for e in client.get(f"{API}/{sid}/audit").json()] == ["created"]


def test_reprice_with_moved_prices_still_adds_a_revision(client: TestClient, db_engine: Engine) -> None:
    sid = _create(client)["id"]
    with Session(db_engine) as s:  # revision 1 froze a price the catalog has since changed
        rev = s.exec(select(RevisionRow).where(RevisionRow.scenario_id == sid)).one()
        rev.prices = rev.prices | {"prompting": rev.prices["prompting"] | {"input": 99.0}}
        s.add(rev)
        s.commit()
    response = client.post(f"/scenarios/{sid}/reprice", data={"revision": "1"}, follow_redirects=False)
    assert response.headers["location"] == f"/scenarios/{sid}?repriced=1"
    assert client.get(f"{API}/{sid}").json()["latest_revision"] == 2


# --- 3. each CSV shape under its own file name ---


def test_each_csv_shape_downloads_under_its_own_name(client: TestClient) -> None:
    sid = _create(client)["id"]
    stem = "support-ticket-categorisation-r1"
    expected = {
        "long": f"{stem}.csv",
        "wide": f"{stem}-wide.csv",
        "percentiles": f"{stem}-percentiles.csv",
        "annual": f"{stem}-annual.csv",
    }
    for shape, filename in expected.items():
        response = client.get(f"{API}/{sid}/export.csv", params={"shape": shape})
        assert response.status_code == 200
        assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    posted = client.post("/api/v1/export.csv", params={"shape": "wide"}, json={"name": NAME})
    assert posted.headers["content-disposition"] == 'attachment; filename="support-ticket-categorisation-wide.csv"'

    links = _page(client, f"/scenarios/{sid}").find("p", class_="exports").find_all("a")
    assert {a.text(): a.attrs["download"] for a in links} == {
        "CSV, long": expected["long"],
        "CSV, wide": expected["wide"],
        "CSV, percentiles": expected["percentiles"],
        "CSV, annual": expected["annual"],
        "XLSX": f"{stem}.xlsx",
        "JSON": f"{stem}.json",
    }


# --- 4. copies get distinct names ---


def test_duplicating_again_numbers_the_copies(client: TestClient) -> None:
    sid = _create(client, "X")["id"]
    names = []
    for _ in range(3):
        response = client.post(f"/scenarios/{sid}/duplicate", data={"revision": "1"}, follow_redirects=False)
        assert response.status_code == 303
        copy_id = int(response.headers["location"].split("/")[2].split("?")[0])
        names.append(client.get(f"{API}/{copy_id}").json()["name"])
    assert names == ["Copy of X", "Copy of X (2)", "Copy of X (3)"]


def test_a_long_name_keeps_room_for_the_copy_number(client: TestClient) -> None:
    sid = _create(client, "L" * 200)["id"]
    first, second = (
        client.post(f"/scenarios/{sid}/duplicate", data={"revision": "1"}, follow_redirects=False) for _ in range(2)
    )
    ids = [int(r.headers["location"].split("/")[2].split("?")[0]) for r in (first, second)]
    one, two = (client.get(f"{API}/{i}").json()["name"] for i in ids)
    assert len(one) == len(two) == 200 and one != two and two.endswith("L (2)")


# --- 5. a refused review step: 303 back to the scenario page, its message there ---


def test_a_refused_review_step_redirects_to_the_scenario_page_with_its_message(client: TestClient) -> None:
    sid = _create(client)["id"]  # a draft: nothing to approve
    typed = "Looks fine <b>to me</b>"
    response = client.post(
        f"/scenarios/{sid}/approve", data={"revision": "1", "comment": typed}, follow_redirects=False
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert (location.path, location.fragment) == (f"/scenarios/{sid}", "review")
    assert parse_qs(location.query)["refused"] == ["decision"]

    reloaded = client.get(response.headers["location"])  # a reload is a GET: the step is not sent again
    assert reloaded.status_code == 200
    panel = dom(reloaded.text).find("section", id="review")
    problem = panel.find("div", class_="review-problem")
    assert (
        problem.find("p", id="err-review-decision").text() == "Not done: a scenario that is draft cannot be approved."
    )
    assert form_data(panel.find("form", id="comment-form"))["body"] == [typed]  # kept, escaped
    assert "<b>to me</b>" not in reloaded.text
    assert client.get(f"{API}/{sid}").json()["status"] == "draft"


def test_a_stale_review_step_redirects_with_the_diff_link(client: TestClient) -> None:
    sid = _create(client)["id"]
    client.post(f"{API}/{sid}/submit", json={"revision": 1})
    client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "v2"}})
    client.post(f"{API}/{sid}/submit", json={"revision": 2})
    response = client.post(f"/scenarios/{sid}/approve", data={"revision": "1", "comment": "ok"}, follow_redirects=False)
    assert response.status_code == 303
    panel = _page(client, response.headers["location"]).find("section", id="review")
    error = panel.find("p", id="err-review-decision")
    assert error.text().startswith("Not done: you acted on revision 1, but revision 2 is now the latest.")
    assert error.find("a").attrs["href"] == f"/scenarios/{sid}/diff?a=1&b=2"
    assert form_data(panel.find("form", id="decision-form"))["comment"] == ["ok"]


def test_a_message_not_signed_by_the_app_is_not_shown(client: TestClient) -> None:
    sid = _create(client)["id"]
    forged = f"/scenarios/{sid}?refused=decision&message=Call+us+on+0800&sig=0000"
    root = _page(client, forged)
    assert "Call us on 0800" not in root.text()
    assert not root.find("section", id="review").find_all("div", class_="review-problem")
