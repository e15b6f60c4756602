"""The calendar on the calculator: the start month field and its link, the model lifecycle events beside
the verdict and on the cumulative chart, the calendar months of the charts' tables, and the tune's model
following a switch of deployment."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from htmlkit import Node, dom
from starlette.datastructures import QueryParams

from app.engine.scenario import DEFAULT_TUNE, next_month
from app.web import forms

HX = {"HX-Request": "true"}
GPT_4O = {"prompting.model": "openai:gpt-4o", "start_month": "2026-12", "horizon_months": "36"}
"""gpt-4o shuts down on 2027-01-14: month 2 of a scenario starting 2026-12; its successor is gpt-6-luna."""
TUNED_4O_MINI = {
    "fine_tuning.model": "openai:ft:gpt-4o-mini",
    "fine_tuning.deployment": "hosted",
    "start_month": "2026-12",
}
"""OpenAI tunes take no job from 2027-01-06 and ft:gpt-4o-mini shuts down 2027-01-14, no successor named."""


def figure(page: Node, chart_id: str) -> dict[str, Any]:
    fig: dict[str, Any] = json.loads(page.find("div", id=chart_id).attrs["data-figure"])
    return fig


def table_of(page: Node, chart_id: str) -> tuple[list[str], list[list[str]]]:
    block = page.find("div", id=chart_id).parent
    assert block is not None
    table = block.find("table")
    head = [th.text() for th in table.find("thead").find_all("th")]
    rows = [[td.text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]
    return head, rows


# --- the start month ---


def test_the_start_month_field_shows_its_default_format_and_what_it_does(calculator: TestClient) -> None:
    page = dom(calculator.get("/").text)
    group = page.find("details", id="group-horizon")
    field = group.find("input", id="f-start_month")
    assert field.attrs["name"] == "start_month"
    assert field.attrs["value"] == field.attrs["placeholder"] == next_month()
    help_text = group.find("p", id="f-start_month-help").text()
    assert "migrated on their dates" in help_text and "YYYY-MM" in help_text
    assert group.find("label", for_="f-start_month").text() == "First month"


@pytest.mark.parametrize(
    ("text", "message"),
    [("2026-13", "'2026-13' is not a calendar month"), ("1999-01", "1999-01 is outside 2020-01 to 2100-12")],
)
def test_a_bad_start_month_gets_its_message_beside_the_field(calculator: TestClient, text: str, message: str) -> None:
    response = calculator.get("/", params={"start_month": text})
    assert response.status_code == 422
    page = dom(response.text)
    assert message in page.find("p", id="err-start_month").text()
    field = page.find("input", id="f-start_month")
    assert field.attrs["value"] == text and field.attrs["aria-invalid"] == "true"  # kept as typed
    assert "open" in page.find("details", id="group-horizon").attrs

    fragment = calculator.get("/", params={"start_month": text}, headers=HX)
    assert fragment.headers["hx-reswap"] == "none"
    assert message in dom(fragment.text).find("p", id="err-start_month").text()


def test_the_link_keeps_the_start_month_even_at_its_default(calculator: TestClient) -> None:
    link = calculator.get("/", params={"start_month": next_month()}, headers=HX).headers["hx-replace-url"]
    assert dict(parse_qsl(urlsplit(link).query)) == {"start_month": next_month()}
    link = calculator.get("/", params=GPT_4O, headers=HX).headers["hx-replace-url"]
    query = dict(parse_qsl(urlsplit(link).query))
    assert query["start_month"] == "2026-12" and query["prompting.model"] == "openai:gpt-4o"
    reopened = dom(calculator.get(link).text)
    assert reopened.find("input", id="f-start_month").attrs["value"] == "2026-12"


# --- lifecycle events beside the verdict ---


def test_a_retiring_model_is_listed_under_the_verdict_with_its_cost(calculator: TestClient) -> None:
    page = dom(calculator.get("/", params=GPT_4O).text)
    section = page.find("section", id="lifecycle")
    assert section.find("h3").text() == "Model lifecycle"
    [event] = section.find_all("li")
    assert event.attrs["data-month"] == "2" and event.attrs["data-period"] == "2027-01"
    assert "event-migration" in event.classes()
    text = event.text()
    assert "gpt-4o shuts down on 2027-01-14 (month 2, 2027-01)" in text
    assert "gpt-6-luna" in text and "(4,000.12 USD)" in text
    # right under the verdict's reasons (the gates), before the tables and charts that follow
    siblings = [c for c in section.parent.children if isinstance(c, Node)] if section.parent else []
    assert "verdict-more" in siblings[siblings.index(section) - 1].classes()


def test_no_lifecycle_list_without_events(calculator: TestClient) -> None:
    page = dom(calculator.get("/").text)
    assert page.find("h2", id="verdict-title")
    assert not page.find_all(id="lifecycle")


def test_a_tune_that_cannot_be_kept_up_stands_out(calculator: TestClient) -> None:
    page = dom(calculator.get("/", params=TUNED_4O_MINI).text)
    [event] = page.find("section", id="lifecycle").find_all("li", class_="event-not_maintainable")
    assert event.find("span", class_="badge").text() == "changes the verdict"
    assert "fine-tuning cannot be kept up from month 2 (2027-01)" in event.text()
    assert "Fine-tuning" not in page.find("span", class_="rec").text()


def test_the_saved_partial_reads_an_estimate_without_a_calendar() -> None:
    """A revision estimated before start months existed has no periods: the charts fall back to months."""
    from app.web import figures

    doc: dict[str, Any] = {
        "horizon_months": 2,
        "verdict": {"break_even_month": None},
        "strategies": {"prompting": {"cumulative_usd": [1.0, 2.0]}},
    }
    assert figures.cumulative(doc)["data"][0]["x"] == [1, 2]
    assert figures.cumulative_table(doc)["columns"] == ["Month", "Prompting"]


# --- the charts ---


def test_the_cumulative_chart_marks_each_event_and_reads_calendar_months(calculator: TestClient) -> None:
    page = dom(calculator.get("/", params=GPT_4O).text)
    fig = figure(page, "chart-cumulative")
    assert all(t["x"][0] == "2026-12" and t["x"][-1] == "2029-11" for t in fig["data"])
    layout = fig["layout"]
    assert layout["xaxis"]["type"] == "date" and layout["xaxis"]["hoverformat"] == "%Y-%m"
    [marker] = [a for a in layout["annotations"] if a["text"] == "gpt-4o retires"]
    assert marker["x"] == "2027-01"
    assert {"type": "line", "x0": "2027-01", "x1": "2027-01"}.items() <= next(
        s for s in layout["shapes"] if s["x0"] == "2027-01"
    ).items()
    assert any(s["line"]["dash"] == "dot" for s in layout["shapes"] if s["x0"] == "2027-01")

    head, rows = table_of(page, "chart-cumulative")
    assert head[:2] == ["Month", "Period"]
    assert rows[0][:2] == ["1", "2026-12"] and rows[1][:2] == ["2", "2027-01"]
    head, rows = table_of(page, "chart-monthly")
    assert head[:2] == ["Month", "Period"] and rows[-1][1] == "2029-11"
    assert figure(page, "chart-monthly")["data"][0]["x"][0] == "2026-12"


def test_the_not_maintainable_month_is_marked_on_the_chart(calculator: TestClient) -> None:
    fig = figure(dom(calculator.get("/", params=TUNED_4O_MINI).text), "chart-cumulative")
    texts = {a["text"]: a["x"] for a in fig["layout"]["annotations"]}
    assert texts["fine-tuning stops (ft:gpt-4o-mini)"] == "2027-01"


# --- the tune's model follows the deployment ---


@pytest.mark.parametrize("model", [DEFAULT_TUNE["hosted"], ""])
def test_switching_to_dedicated_takes_its_default_model(calculator: TestClient, model: str) -> None:
    form = {"fine_tuning.deployment": "dedicated", "fine_tuning.model": model}
    parsed = forms.parse(form)
    assert parsed.scenario is not None and parsed.scenario.fine_tuning.model == "qwen:qwen3-8b"
    assert parsed.values["fine_tuning.model"] == "qwen:qwen3-8b" and parsed.rewritten == ("fine_tuning.model",)

    response = calculator.get("/", params=form, headers=HX)
    assert response.status_code == 200 and "hx-reswap" not in response.headers
    fragment = dom(response.text)
    assert fragment.find("h2", id="verdict-title")
    field = fragment.find("input", id="f-fine_tuning__model")  # back to the form, out of band
    assert field.attrs["value"] == "qwen:qwen3-8b" and field.attrs["hx-swap-oob"] == "true"
    assert "fine_tuning.model=qwen%3Aqwen3-8b" in response.headers["hx-replace-url"]

    page = dom(calculator.get("/", params=form).text)
    assert page.find("input", id="f-fine_tuning__model").attrs["value"] == "qwen:qwen3-8b"
    assert page.find("p", id="err-fine_tuning__model").text() == ""


def test_switching_back_to_hosted_takes_the_hosted_default() -> None:
    parsed = forms.parse(QueryParams({"fine_tuning.deployment": "serverless", "fine_tuning.model": "qwen:qwen3-8b"}))
    assert parsed.scenario is not None and parsed.scenario.fine_tuning.model == DEFAULT_TUNE["serverless"]
    kept = forms.parse({"fine_tuning.deployment": "hosted", "fine_tuning.model": DEFAULT_TUNE["hosted"]})
    assert kept.rewritten == ()


def test_a_model_the_user_chose_stays_and_gets_the_catalogs_message(calculator: TestClient) -> None:
    form = {"fine_tuning.deployment": "dedicated", "fine_tuning.model": "openai:ft:gpt-4o-mini"}
    assert forms.parse(form).rewritten == ()
    response = calculator.get("/", params=form, headers=HX)
    assert response.headers["hx-reswap"] == "none"
    fragment = dom(response.text)
    message = fragment.find("p", id="err-fine_tuning__model").text()
    assert "does not support deployment 'dedicated'" in message
    assert not fragment.find_all("input", id="f-fine_tuning__model")  # what was typed is not touched


def test_the_annual_table_adds_up_to_the_tco(calculator: TestClient) -> None:
    """14 months from 2026-12 with fiscal years from July: FY2027 (7 months) and FY2028 (7 months), whose
    cells add up to each strategy's TCO to the cent."""
    query = {"start_month": "2026-12", "horizon_months": "14", "finance.fiscal_year_start_month": "7"}
    page = dom(calculator.get("/", params=query).text)
    table = page.find("table", class_="annual")
    head = [th.text() for th in table.find("thead").find_all("th")]
    assert head == ["Strategy", "FY2027 (7 months)", "FY2028 (7 months)"]
    assert "fiscal year" in table.find("caption").text()
    doc = calculator.post("/api/v1/estimate", json={k: v for k, v in query.items() if "." not in k} | {
        "horizon_months": 14, "finance": {"fiscal_year_start_month": 7}}).json()  # fmt: skip
    for row in table.find("tbody").find_all("tr"):
        cells = [float(td.text().replace(" USD", "").replace(",", "")) for td in row.find_all("td")]
        total = doc["strategies"][row.attrs["data-strategy"]]["total_usd"]
        assert round(sum(cells) * 100) == round(total * 100)


def test_the_totals_show_the_present_value_when_a_discount_rate_is_set(calculator: TestClient) -> None:
    plain = dom(calculator.get("/").text).find("table", class_="totals")
    assert "Present value" not in plain.find("thead").text()
    page = dom(calculator.get("/", params={"finance.discount_rate": "0.08"}).text)
    table = page.find("table", class_="totals")
    assert "Present value at 8% a year" in table.find("thead").text()
    doc = calculator.post("/api/v1/estimate", json={"finance": {"discount_rate": 0.08}}).json()
    shown = [td.text() for td in table.find("tbody").find_all("td", class_="npv")]
    assert shown == [f"{s['npv_usd']:,.0f} USD" for s in doc["strategies"].values()]
