"""The guided start (`/start`, issue 17) and the answer's layout: five questions fill the calculator's
form, the answer leads with the verdict, the totals and the cumulative chart, a phone's summary bar
follows each recompute, and the charts keep their labels on the chart."""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlsplit

from fastapi.testclient import TestClient
from htmlkit import Node, dom

from app.engine import Scenario
from app.services import estimate_one
from app.web import figures, forms, guided

ANSWERS = {
    "workload.requests_per_month": "2,000,000",
    "workload.input_tokens": "1500",
    "workload.output_tokens": "",  # left empty: the default
    "task.kind": "knowledge",
    "task.prompting_tried": "true",
    "task.labeled_examples": "5000",
    "task.eval_harness": "exists",
}


def test_the_questions_fill_the_inputs_they_name_and_nothing_else(client: TestClient) -> None:
    response = client.get("/start", params=ANSWERS, follow_redirects=False)
    assert response.status_code == 303
    url = urlsplit(response.headers["location"])
    assert url.path == "/"
    query = dict(parse_qsl(url.query))
    assert query.pop("guided") == "1"
    query.pop("start_month")  # every link carries its first month (forms.LINK_KEEPS)
    assert query == {
        "workload.requests_per_month": "2000000",
        "workload.input_tokens": "1500",
        "task.kind": "knowledge",
        "task.prompting_tried": "true",
        "task.labeled_examples": "5000",
        "task.eval_harness": "exists",
    }
    page = dom(client.get(response.headers["location"]).text)
    assert "Every other input keeps its default" in page.find("p", id="guided-notice").text()
    assert page.find(id="f-workload__requests_per_month").attrs["value"] == "2000000"
    assert page.find(id="f-workload__output_tokens").attrs["value"] == "200"  # the default, as the form shows it
    assert not page.find_all(id="guided-link")


def test_every_question_names_a_real_input_and_the_form_links_to_them(client: TestClient) -> None:
    known = forms.defaults()
    assert 3 <= len(guided.QUESTIONS) <= 5
    assert all(path in known for path in guided.PATHS)
    page = dom(client.get("/start").text)
    for path in guided.PATHS:
        assert page.find_all(name=path), path
    radios = page.find_all("input", name="task.eval_harness")
    assert [r.attrs["value"] for r in radios if "checked" in r.attrs] == ["missing"]  # the default, checked
    assert page.find(id="f-workload__requests_per_month").attrs["placeholder"] == "100,000"
    calculator = dom(client.get("/").text)
    assert calculator.find("p", id="guided-link").find("a").attrs["href"] == "/start"


def test_a_mistake_comes_back_beside_its_question_with_every_answer_kept(client: TestClient) -> None:
    bad = ANSWERS | {"workload.requests_per_month": "two million", "task.labeled_examples": "-3"}
    response = client.get("/start", params=bad, follow_redirects=False)
    assert response.status_code == 422
    page = dom(response.text)
    volume = page.find(id="f-workload__requests_per_month")
    assert volume.attrs["value"] == "two million" and volume.attrs["aria-invalid"] == "true"
    assert page.find("p", id="err-workload__requests_per_month").text() == "'two million' is not a number"
    assert "greater than or equal to 0" in page.find("p", id="err-task__labeled_examples").text()
    assert page.find(id="f-workload__input_tokens").attrs["value"] == "1500"
    kind = [r.attrs["value"] for r in page.find_all("input", name="task.kind") if "checked" in r.attrs]
    assert kind == ["knowledge"]


def test_the_answer_leads_with_the_verdict_the_totals_and_the_cumulative_chart(client: TestClient) -> None:
    page = dom(client.get("/").text)
    results = page.find(id="results")
    first = next(c for c in results.children if isinstance(c, Node))
    assert first.tag == "article" and "verdict" in first.classes()
    assert results.find("table", class_="totals") and results.find(id="chart-cumulative")
    ids = [e.attrs["id"] for e in results.find_all("div", class_="chart")]
    assert ids[0] == "chart-cumulative"
    text = results.text()
    assert text.index("Recommendation") < text.index("Over 36 months") < text.index("Cumulative TCO per strategy")
    assert text.index("Cumulative TCO per strategy") < text.index("Decision gates")


def test_the_summary_bar_carries_the_recommendation_and_the_totals_and_follows_a_recompute(
    client: TestClient,
) -> None:
    page = dom(client.get("/").text)
    bar = page.find("aside", id="summary-bar")
    doc = estimate_one(Scenario())
    shown = {d.attrs["data-strategy"]: d.find("dd").text() for d in bar.find_all("div")}
    assert shown == {s: f"{e['total_usd']:,.0f} USD" for s, e in doc["strategies"].items()}
    assert bar.find(id="summary-rec").text() == "Prompting"
    assert bar.find("a").attrs["href"] == "#answer"

    fragment = dom(client.get("/?workload.requests_per_month=5000000", headers={"HX-Request": "true"}).text)
    oob = fragment.find("aside", id="summary-bar")
    assert oob.attrs["hx-swap-oob"] == "true"
    after = estimate_one(Scenario.model_validate({"workload": {"requests_per_month": 5_000_000}}))
    assert oob.find(data_strategy="fine_tuning").find("dd").text() == (
        f"{after['strategies']['fine_tuning']['total_usd']:,.0f} USD"
    )

    invalid = client.get("/?workload.requests_per_month=abc", headers={"HX-Request": "true"})
    assert "summary-bar" not in invalid.text  # a form in error keeps the last valid bar, as it keeps the results


def test_the_volume_charts_labels_sit_on_its_log_axis() -> None:
    """plotly.js places an annotation on a log axis at log10 of its x (a shape takes the value itself):
    at x=100000 the label "this scenario" landed at 10^100000, off the chart."""
    doc = estimate_one(Scenario())
    current = doc["monthly_requests"][0]  # 100,000
    volumes = figures.volume_grid(current, doc["verdict"]["break_even_requests_per_month"])
    fig = figures.volume(doc, volumes, {s: [1.0] * len(volumes) for s in doc["strategies"]})
    labels = {a["text"]: a for a in fig["layout"]["annotations"]}
    assert labels["this scenario"]["x"] == 5.0  # log10(100,000)
    shape = next(s for s in fig["layout"]["shapes"] if s["line"]["dash"] == "dot")
    assert shape["x0"] == current
    lo, hi = fig["layout"]["xaxis"]["range"]
    assert (lo, hi) == (math.log10(volumes[0]), math.log10(volumes[-1]))
    assert lo <= labels["this scenario"]["x"] <= hi


def test_every_legend_sits_below_the_plot_in_the_charts_box() -> None:
    doc = estimate_one(Scenario())
    for fig in (figures.cumulative(doc), figures.savings(doc), figures.monthly(doc)):
        assert fig["layout"]["legend"] == figures.LEGEND
    assert figures.LEGEND["yref"] == "container" and figures.LEGEND["yanchor"] == "bottom"
    narrow = figures.monthly(doc)["narrow"]
    assert narrow["xaxis"] == figures.NARROW_YEARS and narrow["xaxis3"] == figures.NARROW_YEARS


def test_a_recompute_carries_no_chart_table_and_each_is_fetched_when_opened(client: TestClient) -> None:
    """The numbers tables were most of a recompute's elements (1,368 of 1,574): the fragment links each
    instead, and the link answers the very table the full page shows for the same inputs."""
    query = "workload.requests_per_month=250000&horizon_months=24"
    page = dom(client.get("/?" + query).text)
    fragment = dom(client.get("/?" + query, headers={"HX-Request": "true"}).text)
    lazy = fragment.find_all("details", class_="numbers")
    assert len(lazy) == 4 and not any(d.find_all("table") for d in lazy)
    for details in lazy:
        url = details.attrs["hx-get"]
        chart = url.split("?")[0].removeprefix("/numbers/")
        assert details.attrs["hx-trigger"] == "toggle once"
        answer = client.get(url)
        assert answer.status_code == 200
        table = dom(answer.text).find("table")
        shown = page.find(id=chart).parent.find("table")  # the full page's table of the same chart
        assert table.text() == shown.text() and len(table.find_all("tr")) == len(shown.find_all("tr"))
    assert client.get("/numbers/chart-nope?" + query).status_code == 404
    assert client.get("/numbers/chart-volume?workload.requests_per_month=abc").status_code == 422
