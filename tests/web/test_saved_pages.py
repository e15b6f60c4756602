"""The saved-scenario pages, the comparison and the price catalog, read as a browser would: each page
is parsed (stdlib html.parser) and checked by its structure, forms are submitted with what they hold."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from htmlkit import Node, dom, fetch, form_data
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.db.models import RevisionRow
from app.presets import presets
from app.web import saved_views
from app.web import scenarios as scenario_pages

API = "/api/v1/scenarios"
EVIL = "<script>alert(1)</script>"


page = fetch


# --- saved scenarios made through the API ---


def create(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = client.post(API, json=fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


def preset(slug: str = "support-ticket-categorisation", **changes: Any) -> dict[str, Any]:
    return presets()[slug].scenario.model_dump(mode="json") | changes


def list_names(root: Node) -> list[str]:
    table = root.find("table", class_="scenario-list")
    return [row.find("a").text() for row in table.find("tbody").find_all("tr")]


def assert_safe(root: Node) -> None:
    """No inline script, no event-handler attribute (the CSP would block them anyway)."""
    for n in root.iter():
        assert n.tag != "script" or n.attrs.get("src"), "inline <script>"
        assert not any(k.startswith("on") for k in n.attrs), f"{n.tag} has an on* attribute"


def assert_labelled(root: Node) -> None:
    """Every visible input, select and textarea has a <label for> naming it."""
    labels = {n.attrs.get("for") for n in root.find_all("label")}
    for n in root.iter():
        if n.tag in ("input", "select", "textarea") and n.attrs.get("type") not in ("hidden", "submit"):
            assert n.attrs.get("id") in labels, f"unlabelled {n.tag} {n.attrs}"


# --- the list ---


def test_list_search_sort_archived_and_paging(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    small = create(client, **preset(name="Small tickets"))
    big = create(client, **preset("content-moderation", name="Big moderation"))
    gone = create(client, **preset(name="Old tickets"))
    assert client.delete(f"{API}/{gone['id']}").status_code == 200

    root = page(client, "/scenarios")
    assert_safe(root)
    assert_labelled(root)
    assert list_names(root) == ["Big moderation", "Small tickets"]  # newest first, archived hidden
    first = root.find("table", class_="scenario-list").find("tbody").find("tr")
    cells = [td.text() for td in first.find_all("td")]
    assert cells[0] == "Draft"  # the review status (issue 6)
    assert cells[1] == "Fine-tuning" or cells[1] in ("Prompting", "RAG")
    assert cells[-1] == "1" and cells[-2].endswith("UTC")

    assert list_names(page(client, "/scenarios?q=TICK")) == ["Small tickets"]
    tco = [big["revision"]["totals"][big["revision"]["recommendation"]], small["revision"]["totals"]["prompting"]]
    by_tco = list_names(page(client, "/scenarios?sort=tco"))
    assert by_tco == (["Big moderation", "Small tickets"] if tco[0] >= tco[1] else ["Small tickets", "Big moderation"])
    assert "recommends" in page(client, "/scenarios?sort=tco").find("caption").text()
    assert list_names(page(client, "/scenarios?sort=name")) == ["Big moderation", "Small tickets"]

    archived = page(client, "/scenarios?q=tickets&archived=on")
    assert list_names(archived) == ["Old tickets", "Small tickets"]
    row = archived.find("tr", class_="is-archived")
    assert row.find("span", class_="archived").text() == "archived"
    assert "checked" in archived.find("input", id="archived").attrs

    empty = page(client, "/scenarios?q=nothing-like-this")
    assert "No saved scenario matches" in empty.find("p", class_="empty").text()

    monkeypatch.setattr(scenario_pages, "PAGE_SIZE", 1)
    first_page = page(client, "/scenarios?sort=name")
    assert list_names(first_page) == ["Big moderation"]
    following = first_page.find("a", rel="next").attrs["href"]
    assert list_names(page(client, following)) == ["Small tickets"]


def test_list_empty_state(client: TestClient) -> None:
    root = page(client, "/scenarios")
    assert "No saved scenario yet" in root.find("p", class_="empty").text()
    assert not root.find_all("table")


# --- one scenario ---


def test_scenario_page_shows_inputs_results_history_and_exports(client: TestClient) -> None:
    made = create(client, **preset())
    sid = made["id"]
    root = page(client, f"/scenarios/{sid}?saved=1")
    assert_safe(root)
    assert root.find("h1").text() == made["name"]
    assert root.find("p", class_="notice").text() == "Saved."
    # inputs: label, value and unit; a value unlike the default is marked
    rows = {div.find("dt").text(): div for div in root.find("dl", class_="inputs-list").find_all("div")}
    per_day = root.find_all("dl", class_="inputs-list")[0].find_all("div")[1]
    assert per_day.find("dt").text() == "Requests per day"
    assert per_day.find("dd").text().startswith("1,000 requests / day")
    assert "changed" in per_day.classes()
    assert "changed" not in rows["Peak to average"].classes()
    # results, from the frozen prices
    verdict = root.find("article", class_="verdict")
    assert verdict.find("span", class_="rec").text() == "Prompting"
    totals = {td.attrs["data-strategy"]: td.text() for td in root.find("table", class_="totals").find_all("td")
              if "data-strategy" in td.attrs}  # fmt: skip
    assert totals["prompting"] == f"{made['revision']['totals']['prompting']:,.0f} USD"
    assert len(root.find_all("div", class_="chart")) == 4
    assert "plotly" in " ".join(s.attrs["src"] for s in root.find_all("script"))
    # history
    history = root.find("table", class_="history").find("tbody").find_all("tr")
    assert len(history) == 1
    assert [td.text() for td in history[0].find_all("td")][:3] == ["1", "created", "local"]
    # exports of the shown revision
    links = {a.text(): a.attrs["href"] for a in root.find("p", class_="exports").find_all("a")}
    assert set(links) == {"CSV, long", "CSV, wide", "CSV, percentiles", "CSV, annual", "XLSX", "JSON"}
    expected = {
        "CSV, long": "text/csv",
        "CSV, wide": "text/csv",
        "CSV, percentiles": "text/csv",
        "CSV, annual": "text/csv",
        "XLSX": "spreadsheetml",
        "JSON": "application/json",
    }
    for text, href in links.items():
        assert "revision=1" in href
        response = client.get(href)
        assert response.status_code == 200
        assert expected[text] in response.headers["content-type"]
    assert client.get(links["CSV, wide"]).text.splitlines()[0].startswith("month")
    assert "prompting_cumulative_p90_usd" in client.get(links["CSV, percentiles"]).text.splitlines()[0]
    assert client.get(links["CSV, annual"]).text.splitlines()[0].startswith("year,first_period,last_period,months")
    assert "uncertainty" in client.get(links["JSON"]).json()  # finance gets the draws too
    # no diff form with one revision
    assert not root.find_all("form", class_="diff-form")


def test_unknown_scenario_is_a_404_page(client: TestClient) -> None:
    root = page(client, "/scenarios/12", 404)
    assert "No scenario 12." in root.find("section", class_="error-page").text()
    made = create(client, name="One")
    assert "no revision 7" in page(client, f"/scenarios/{made['id']}?revision=7", 404).text()


# --- editing ---


def edit_form(client: TestClient, sid: int) -> tuple[Node, dict[str, list[str]]]:
    root = page(client, f"/scenarios/{sid}/edit")
    form = root.find("form", id="calculator")
    return root, form_data(form)


def post_edit(client: TestClient, sid: int, data: dict[str, list[str]], status: int) -> Node:
    response = client.post(f"/scenarios/{sid}/edit", data=data, follow_redirects=False)
    assert response.status_code == status, response.text[:2000]
    return dom(response.text)


def test_edit_makes_revision_2_and_the_diff_shows_what_changed(client: TestClient) -> None:
    made = create(client, **preset(name="Tickets"))
    sid = made["id"]
    root, data = edit_form(client, sid)
    assert_safe(root)
    assert root.find("h1").text() == "Edit Tickets"
    assert data["revision"] == ["1"]
    assert data["workload.input_tokens"] == ["400"]
    save = root.find("button", formaction=f"/scenarios/{sid}/edit")
    assert save.text() == "Save revision 2"

    data["workload.input_tokens"] = ["4000"]
    response = client.post(f"/scenarios/{sid}/edit", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/scenarios/{sid}?saved=1"
    shown = page(client, response.headers["location"])
    assert shown.find("p", class_="notice").text() == "Saved."
    history = shown.find("table", class_="history").find("tbody").find_all("tr")
    assert [tr.find("td").text() for tr in history] == ["2", "1"]
    assert history[0].find_all("td")[1].text() == "edited"
    assert history[1].find("a").attrs["href"] == f"/scenarios/{sid}?revision=1"
    diff_form = shown.find("form", class_="diff-form")
    assert form_data(diff_form) == {"a": ["1"], "b": ["2"]}

    old = page(client, f"/scenarios/{sid}?revision=1")
    assert "Revision 1 of 2" in old.find("header", class_="scenario-head").text()
    assert "revision=1" in old.find("p", class_="exports").find("a").attrs["href"]

    diff = page(client, f"/scenarios/{sid}/diff?a=1&b=2")
    assert_safe(diff)
    changed = diff.find("table", class_="diff-inputs").find("tbody").find_all("tr")
    assert [tr.attrs["data-path"] for tr in changed] == ["workload.input_tokens"]
    assert changed[0].find("th").text() == "Workload: Input tokens"
    assert [td.text() for td in changed[0].find_all("td")] == ["400 tokens", "4,000 tokens"]
    after = client.get(f"{API}/{sid}").json()["revision"]["totals"]
    row = diff.find("table", class_="diff-totals").find("tr", data_strategy="prompting")
    before_text, after_text, change = (td.text() for td in row.find_all("td"))
    assert before_text == f"{made['revision']['totals']['prompting']:,.0f} USD"
    assert after_text == f"{after['prompting']:,.0f} USD"
    assert change.startswith("+") and "changed" in row.classes()
    verdict = diff.find("tr", class_="verdict-row")
    assert verdict.find("th").text() == "Recommendation"


def test_a_stale_edit_is_409_with_the_values_kept(client: TestClient) -> None:
    sid = create(client, **preset(name="Shared"))["id"]
    _, mine = edit_form(client, sid)
    _, theirs = edit_form(client, sid)
    theirs["workload.output_tokens"] = ["20"]
    post_edit(client, sid, theirs, 303)

    mine["workload.input_tokens"] = ["777"]
    root = post_edit(client, sid, mine, 409)
    message = root.find("p", id="err-form").text()
    assert "Someone saved revision 2" in message and "nothing was saved" in message
    assert root.find("input", name="workload.input_tokens").attrs["value"] == "777"
    assert root.find("input", name="revision").attrs["value"] == "2"  # saving again goes on top of theirs
    assert client.get(f"{API}/{sid}").json()["latest_revision"] == 2


def test_a_bad_value_is_422_with_the_message_beside_its_field(client: TestClient) -> None:
    sid = create(client, **preset(name="Typo"))["id"]
    _, data = edit_form(client, sid)
    data["workload.input_tokens"] = ["12abc"]
    data["workload.output_tokens"] = ["99"]
    root = post_edit(client, sid, data, 422)
    assert "not a number" in root.find("p", id="err-workload__input_tokens").text()
    assert root.find("input", name="workload.input_tokens").attrs["value"] == "12abc"
    assert root.find("input", name="workload.output_tokens").attrs["value"] == "99"
    assert root.find("input", name="revision").attrs["value"] == "1"

    data["workload.input_tokens"] = ["400"]
    data["prompting.model"] = ["openai:gpt-4x"]
    root = post_edit(client, sid, data, 422)
    assert "gpt-4x" in root.find("p", id="err-prompting__model").text()
    assert root.find("input", name="prompting.model").attrs["value"] == "openai:gpt-4x"
    assert client.get(f"{API}/{sid}").json()["latest_revision"] == 1


# --- actions ---


def post(client: TestClient, url: str, data: dict[str, str] | None = None, status: int = 303) -> Any:
    response = client.post(url, data=data or {}, follow_redirects=False)
    assert response.status_code == status, response.text[:2000]
    return response


def test_duplicate_keeps_inputs_and_prices(client: TestClient) -> None:
    made = create(client, **preset(name=EVIL))
    response = post(client, f"/scenarios/{made['id']}/duplicate", {"revision": "1"})
    copy_id = int(response.headers["location"].split("/")[2].split("?")[0])
    assert copy_id != made["id"]
    copy = client.get(f"{API}/{copy_id}").json()
    assert copy["name"] == f"Copy of {EVIL}"
    assert copy["revision"]["totals"] == made["revision"]["totals"]
    assert copy["revision"]["prices"] == made["revision"]["prices"]
    root = page(client, response.headers["location"])
    assert root.find("h1").text() == f"Copy of {EVIL}"
    assert "copy" in root.find("p", class_="notice").text()


def test_archive_and_restore(client: TestClient) -> None:
    sid = create(client, name="Archive me")["id"]
    response = post(client, f"/scenarios/{sid}/archive")
    assert response.headers["location"] == f"/scenarios/{sid}?archived=1"
    root = page(client, response.headers["location"])
    assert root.find("h1").find("span", class_="archived").text() == "archived"
    assert root.find("form", action=f"/scenarios/{sid}/restore").find("button").text() == "Restore"
    assert not root.find_all("form", action=f"/scenarios/{sid}/archive")
    assert not root.find_all("table", class_="scenario-list") and not list_names_or_empty(client)

    post(client, f"/scenarios/{sid}/restore")
    root = page(client, f"/scenarios/{sid}")
    assert not root.find("h1").find_all("span")
    assert root.find("form", action=f"/scenarios/{sid}/archive").attrs["data-confirm"]
    assert list_names_or_empty(client) == ["Archive me"]


def list_names_or_empty(client: TestClient) -> list[str]:
    root = page(client, "/scenarios")
    return list_names(root) if root.find_all("table", class_="scenario-list") else []


def test_reprice_adds_a_revision_and_a_stale_one_is_refused(client: TestClient, db_engine: Engine) -> None:
    sid = create(client, **preset(name="Prices"))["id"]
    with Session(db_engine) as s:  # revision 1 froze a price the catalog no longer gives
        rev = s.exec(select(RevisionRow).where(RevisionRow.scenario_id == sid)).one()
        rev.prices = rev.prices | {"prompting": rev.prices["prompting"] | {"input": 99.0}}
        s.add(rev)
        s.commit()
    form = page(client, f"/scenarios/{sid}").find("form", action=f"/scenarios/{sid}/reprice")
    data = form_data(form)
    assert data.pop("csrf_token") == [client.headers["X-CSRF-Token"]]  # the guard checks it
    assert data == {"revision": ["1"]}
    response = post(client, f"/scenarios/{sid}/reprice", {"revision": "1"})
    assert response.headers["location"] == f"/scenarios/{sid}?repriced=1"
    root = page(client, response.headers["location"])
    assert "Re-priced" in root.find("p", class_="notice").text()
    history = root.find("table", class_="history").find("tbody").find_all("tr")
    assert [tr.find_all("td")[1].text() for tr in history] == ["repriced", "created"]

    stale = dom(post(client, f"/scenarios/{sid}/reprice", {"revision": "1"}, status=409).text)
    assert "Not re-priced: revision 1 is not the latest (the latest is 2)" in stale.find("p", class_="error").text()
    assert client.get(f"{API}/{sid}").json()["latest_revision"] == 2


def test_the_diff_shows_the_lifecycle_events_a_reprice_changed(client: TestClient, db_engine: Engine) -> None:
    """Revision 1 froze gpt-4o's prices before its shutdown was announced (as revisions saved before the
    catalog had lifecycles did); the re-price takes today's lifecycle, and the diff names the move."""
    doc = preset(name="Announced", start_month="2026-12", horizon_months=36)
    doc["prompting"]["model"] = "openai:gpt-4o"
    sid = create(client, **doc)["id"]
    with Session(db_engine) as s:
        rev = s.exec(select(RevisionRow).where(RevisionRow.scenario_id == sid)).one()
        assert rev.prices["prompting"]["id"] == "openai:gpt-4o"
        rev.prices = rev.prices | {"prompting": rev.prices["prompting"] | {"lifecycle": None, "successor": None}}
        s.add(rev)
        s.commit()
    before = client.get(f"{API}/{sid}/estimate").json()
    assert not [e for e in before["lifecycle_events"] if e["strategy"] == "prompting"]
    post(client, f"/scenarios/{sid}/reprice", {"revision": "1"})
    after = client.get(f"{API}/{sid}/estimate").json()
    [move] = [e for e in after["lifecycle_events"] if e["strategy"] == "prompting"]
    # gpt-4o shuts down 2027-01-14: month 2 of a plan from 2026-12, costed as 1 week of re-validation
    assert (move["month"], move["period"], move["successor"]) == (2, "2027-01", "openai:gpt-6-luna")
    assert move["cost_usd"] > 0

    diff = page(client, f"/scenarios/{sid}/diff?a=1&b=2")
    assert_safe(diff)
    rows = diff.find("table", class_="diff-events").find("tbody").find_all("tr")
    [row] = [tr for tr in rows if tr.attrs["data-strategy"] == "prompting"]
    assert (row.attrs["data-model"], row.attrs["data-event"]) == ("openai:gpt-4o", "migration")
    cells = [td.text() for td in row.find_all("td")]
    assert cells[0] == "openai:gpt-4o" and cells[1] == "none"
    assert cells[2] == f"month 2 (2027-01): moves to openai:gpt-6-luna, {move['cost_usd']:,.0f} USD"

    same = page(client, f"/scenarios/{sid}/diff?a=2&b=2")
    assert not same.find_all("table", class_="diff-events")
    assert "The lifecycle events are the same in both revisions." in same.text()


def _event(month: int, successor: str | None = "b", cost: float = 10.0, model: str = "a") -> dict[str, Any]:
    return {
        "month": month, "period": "", "strategy": "prompting", "model": model,
        "event": "migration", "successor": successor, "cost_usd": cost, "note": "",
    }  # fmt: skip


def test_lifecycle_changes_match_an_event_by_strategy_model_and_kind() -> None:
    assert saved_views.lifecycle_changes([_event(2)], [_event(2)]) == []
    [moved] = saved_views.lifecycle_changes([_event(2)], [_event(5)])  # the vendor moved the date: one row
    assert (moved["before"]["month"], moved["after"]["month"]) == (2, 5)
    [cost] = saved_views.lifecycle_changes([_event(2)], [_event(2, cost=11.0)])
    assert cost["model"] == "a"
    [successor] = saved_views.lifecycle_changes([_event(2)], [_event(2, successor="c")])
    assert successor["after"]["successor"] == "c"
    gone, new = saved_views.lifecycle_changes([_event(3, model="x")], [_event(7, model="y")])
    assert (gone["model"], gone["after"], new["model"], new["before"]) == ("x", None, "y", None)


# --- comparison ---


def test_compare_two_highlights_what_differs_and_draws_one_chart(client: TestClient) -> None:
    a = create(client, **preset(name=EVIL))
    b = create(client, **preset(name="Bigger", workload={"requests_per_day": 50_000, "input_tokens": 400}))
    root = page(client, f"/compare?ids={a['id']}&ids={b['id']}")
    assert_safe(root)
    assert_labelled(root)
    heads = [th.find("a").text() for th in root.find("table", class_="compare").find("thead").find_all("th")[1:]]
    assert heads == [EVIL, "Bigger"]
    shown = root.find("table", class_="compare-inputs")
    rows = {tr.attrs["data-path"]: tr for tr in shown.find("tbody").find_all("tr")}
    assert "changed" in rows["workload.requests_per_day"].classes()
    assert [td.text() for td in rows["workload.requests_per_day"].find_all("td")] == [
        "1,000 requests / day",
        "50,000 requests / day",
    ]
    assert all("changed" in tr.classes() for tr in rows.values())  # by default, only what differs
    everything = root.find("details", class_="all-inputs").find("tbody").find_all("tr")
    same = [tr for tr in everything if tr.attrs["data-path"] == "workload.input_tokens"]
    assert same and "changed" not in same[0].classes()
    totals = root.find("table", class_="compare").find("tr", data_strategy="prompting").find_all("td")
    assert totals[0].text() == f"{a['revision']['totals']['prompting']:,.0f} USD"
    charts = root.find_all("div", class_="chart")
    assert len(charts) == 1
    figure = json.loads(charts[0].attrs["data-figure"])
    assert len(figure["data"]) == 2
    assert "<script>" not in figure["data"][0]["name"]
    picked = form_data(root.find("form", class_="compare-pick"))
    assert sorted(picked["ids"]) == sorted([str(a["id"]), str(b["id"])])


@pytest.mark.parametrize("count", [1, 5])
def test_compare_needs_two_to_four(client: TestClient, count: int) -> None:
    ids = [create(client, name=f"S{i}")["id"] for i in range(count)]
    root = page(client, "/compare?" + "&".join(f"ids={i}" for i in ids))
    message = root.find("p", class_="error").text()
    assert f"you picked {count}" in message
    assert not root.find_all("table", class_="compare") and not root.find_all("div", class_="chart")
    assert len(root.find("form", class_="compare-pick").find_all("input", type="checkbox")) == count


def test_compare_names_unknown_ids(client: TestClient) -> None:
    sid = create(client, name="Only")["id"]
    root = page(client, f"/compare?ids={sid}&ids=999")
    assert "No scenario 999" in root.find("p", class_="error").text()
    assert "not a scenario number" in page(client, "/compare?ids=1&ids=x").find("p", class_="error").text()
    assert not page(client, "/compare").find_all("p", class_="error")


# --- the price catalog ---


def test_catalog_search_and_kind(client: TestClient) -> None:
    root = page(client, "/catalog?q=gpt-4o&kind=llm")
    assert_safe(root)
    assert_labelled(root)
    rows = root.find("table", class_="catalog").find("tbody").find_all("tr")
    assert rows
    for tr in rows:
        cells = tr.find_all("td")
        assert "gpt-4o" in tr.attrs["data-id"] + cells[0].text().lower()
        assert cells[1].text() == "API model"
        assert "Input:" in cells[2].text() and cells[3].find("a").attrs["href"].startswith("https://")
    gpus = page(client, "/catalog?kind=gpu").find("table", class_="catalog").find("tbody").find_all("tr")
    assert gpus and all("GPU hour" in tr.find_all("td")[2].text() for tr in gpus)
    assert "No kind" in page(client, "/catalog?kind=spaceship").find("p", class_="error").text()
    everything = page(client, "/catalog")
    assert "page 1 of" in everything.find("main").text()
    assert everything.find("a", rel="next")
    assert "No price matches" in page(client, "/catalog?q=zzzz-nothing").find("p", class_="empty").text()


# --- user text is text ---


def test_names_are_escaped_everywhere(client: TestClient) -> None:
    a = create(client, name=EVIL, description=EVIL)
    b = create(client, name="Plain")
    for url in ("/scenarios", f"/scenarios/{a['id']}", f"/compare?ids={a['id']}&ids={b['id']}"):
        response = client.get(url)
        assert EVIL not in response.text
        root = dom(response.text)
        assert_safe(root)
        assert any(n.text() == EVIL for n in root.find_all("a") + root.find_all("h1"))


def test_the_scenario_page_shows_the_prices_used_not_the_words_catalog_price(client: TestClient) -> None:
    """A price left to the catalog reads as the number the estimate used, with the entry and its date."""
    sid = create(client, **preset(name="Priced"))["id"]
    used = client.get(f"{API}/{sid}/estimate").json()["prices_used"]["prompting"]
    root = page(client, f"/scenarios/{sid}")
    line = root.find("div", data_path="prompting.prices.input")
    text = " ".join(line.find("dd").text().split())
    number = f"{used['values']['input']:g}"
    assert text.startswith(number) and f"(catalog {used['id']}, as of {used['as_of']})" in text, text
    assert "catalog price" not in " ".join(root.find("dl", class_="inputs-list").text().split())
