"""The one-page report (issue 17): a saved revision's, at its frozen prices, and the calculator's current
inputs'; the same headline, gates, totals and prices as the API and the calculator, and nothing to click
but links (no form, no button)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from htmlkit import Node, dom, fetch

from app.presets import presets
from app.web import forms
from app.web.sources import cited

API = "/api/v1/scenarios"
SLUG = "content-moderation"


def save(client: TestClient, slug: str = SLUG) -> dict[str, Any]:
    response = client.post(API, json=presets()[slug].scenario.model_dump(mode="json"))
    assert response.status_code == 201, response.text
    return dict(response.json())


def assert_nothing_to_press(root: Node) -> None:
    assert not root.find_all("form"), "the report has a form"
    assert not root.find_all("button"), "the report has a button"
    assert not root.find_all("nav"), "the report has the site's nav"


def test_the_report_of_a_revision_matches_the_api(client: TestClient) -> None:
    made = save(client)
    sid = made["id"]
    rev = client.get(f"{API}/{sid}/revisions/1").json()
    estimate = client.get(f"{API}/{sid}/estimate", params={"revision": 1}).json()
    root = fetch(client, f"/scenarios/{sid}/report?revision=1")
    assert_nothing_to_press(root)
    assert root.find("h1").text() == made["name"]
    meta = root.find("p", id="report-meta").text()
    assert "Revision 1 (the latest)" in meta and "UTC" in meta
    # the headline and the two verdict lines
    assert root.find("p", id="headline").text() == estimate["verdict"]["summary"]
    assert estimate["verdict"]["cost"]["text"] in root.find("li", id="verdict-cost").text()
    assert estimate["verdict"]["readiness"]["text"] in root.find("li", id="verdict-readiness").text()
    # six gates, one line each, with their reasons
    gates = root.find("ol", class_="report-gates").find_all("li")
    assert len(gates) == len(estimate["verdict"]["gates"]) == 6
    for li, gate in zip(gates, estimate["verdict"]["gates"], strict=True):
        reason = dom(f"<p>{cited(gate['reason'])}</p>").text()  # each citation names its article, linked
        assert gate["name"] in li.text() and reason in li.text()
        assert li.find("span", class_="badge").text() == ("passed" if gate["passed"] else "failed")
    # totals, as the revision saved them, and the annual rows
    totals = {
        td.attrs["data-strategy"]: td.text()
        for td in root.find("table", class_="totals").find_all("td")
        if "data-strategy" in td.attrs
    }
    assert totals == {s: f"{t:,.0f} USD" for s, t in rev["totals"].items()}
    annual = {tr.attrs["data-strategy"]: tr for tr in root.find("table", class_="annual").find("tbody").find_all("tr")}
    assert set(annual) == set(estimate["strategies"])
    for s, est in estimate["strategies"].items():
        cells = [td.text() for td in annual[s].find_all("td")]
        assert cells == [f"{y['total_usd']:,.0f} USD" for y in est["annual"]]
    labels = [th.text() for th in root.find("table", class_="annual").find("thead").find_all("th")][1:]
    assert labels[0].startswith(estimate["strategies"]["prompting"]["annual"][0]["label"])
    # the cumulative chart, drawn by app.js
    assert root.find("div", class_="chart", id="chart-cumulative").attrs["data-figure"]
    # prices used, with their dates, and the catalog version
    prices = {tr.attrs["data-price"]: tr for tr in root.find("table", class_="prices-used").find_all("tr")
              if "data-price" in tr.attrs}  # fmt: skip
    assert set(prices) == set(estimate["prices_used"])
    for key, used in estimate["prices_used"].items():
        assert used["id"] in prices[key].text()
        assert prices[key].find("td", class_="as-of").text() == (used["as_of"] or "n/a")
    assert root.find("span", id="catalog-version").text() == estimate["catalog_version"]
    assert estimate["catalog_version"] == rev["catalog_version"]
    # review status
    status = root.find("p", id="review-status").text()
    assert "revision 1 (the latest) is a draft" in status and "No revision is approved yet" in status


def test_the_latest_revision_is_the_default_and_its_approval_is_shown(client: TestClient) -> None:
    sid = save(client)["id"]
    assert client.post(f"{API}/{sid}/submit", json={"revision": 1}).status_code == 200
    approved = client.post(f"{API}/{sid}/approve", json={"revision": 1})
    assert approved.status_code == 200, approved.text
    root = fetch(client, f"/scenarios/{sid}/report")
    assert "Revision 1 (the latest)" in root.find("p", id="report-meta").text()
    status = root.find("p", id="review-status").text()
    assert "Revision 1 is approved, by local on" in status and "UTC" in status


def test_the_scenario_page_links_its_report(client: TestClient) -> None:
    sid = save(client)["id"]
    root = fetch(client, f"/scenarios/{sid}")
    link = root.find("a", class_="report-link")
    assert link.text() == "Report (print or PDF)"
    assert link.attrs["href"] == f"/scenarios/{sid}/report?revision=1"


def test_an_unknown_scenario_or_revision_is_a_404(client: TestClient) -> None:
    assert "No scenario 99." in fetch(client, "/scenarios/99/report", 404).text()
    sid = save(client)["id"]
    assert "no revision 4" in fetch(client, f"/scenarios/{sid}/report?revision=4", 404).text()


def test_the_calculator_report_reproduces_the_calculator(client: TestClient) -> None:
    query = forms.query_of(presets()[SLUG].scenario)
    calculator = fetch(client, "/?" + query)
    link = calculator.find("a", id="report-link")
    assert link.attrs["href"] == "/report?" + query
    root = fetch(client, link.attrs["href"])
    assert_nothing_to_press(root)
    assert root.find("p", id="headline").text() == calculator.find("p", id="headline").text()
    assert "Current inputs, not saved" in root.find("p", id="report-meta").text()
    assert not root.find_all("p", id="review-status")
    mine = [td.text() for td in root.find("table", class_="totals").find_all("td") if "data-strategy" in td.attrs]
    theirs = [
        td.text() for td in calculator.find("table", class_="totals").find_all("td") if "data-strategy" in td.attrs
    ]
    assert mine == theirs


def test_the_calculator_report_of_bad_inputs_names_them(client: TestClient) -> None:
    root = fetch(client, "/report?workload.requests_per_day=-5", 422)
    assert_nothing_to_press(root)
    assert root.find("ul", class_="errors").find_all("li")


def test_the_calculator_report_link_follows_each_recompute(client: TestClient) -> None:
    """The link sits in the results, which every recompute replaces: it always names the inputs shown."""
    changed = presets()[SLUG].scenario.model_copy(update={"horizon_months": 24})
    query = forms.query_of(changed)
    fragment = dom(client.get("/?" + query, headers={"HX-Request": "true"}).text)
    assert fragment.find("a", id="report-link").attrs["href"] == "/report?" + query
