"""Finance on the calculator: own cost lines as form rows (added, removed, errors beside their field,
nothing typed lost, kept by links and saves), the currency named on the page, and both verdict bases."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from fastapi.testclient import TestClient
from htmlkit import Node, dom, form_data

from app.engine import Scenario
from app.web import forms

HX = {"HX-Request": "true"}


def _query(text: str) -> dict[str, str]:
    return dict(parse_qsl(text, keep_blank_values=True))


AUDIT = {
    "extra_costs.0.name": "Compliance audit",
    "extra_costs.0.strategies.prompting": "false",
    "extra_costs.0.strategies.rag": "false",
    "extra_costs.0.strategies.fine_tuning": "true",
    "extra_costs.0.category": "evaluation",
    "extra_costs.0.one_time_usd": "5,000",
    "extra_costs.0.monthly_usd": "",
    "extra_costs.0.from_month": "3",
}


def page(client: TestClient, params: dict[str, str], **kwargs: object) -> Node:
    response = client.get("/?" + urlencode(params), **kwargs)  # type: ignore[arg-type]
    assert response.status_code in (200, 422), response.text
    return dom(response.text)


def test_a_cost_line_from_the_form_is_costed_and_shown_in_its_row(client: TestClient) -> None:
    root = page(client, AUDIT)
    row = root.find("fieldset", class_="extra-cost", data_row="0")
    assert row.find("input", name="extra_costs.0.name").attrs["value"] == "Compliance audit"
    assert row.find("input", name="extra_costs.0.one_time_usd").attrs["value"] == "5000"  # as read
    assert "checked" in row.find("input", type="checkbox", name="extra_costs.0.strategies.fine_tuning").attrs
    assert "checked" not in row.find("input", type="checkbox", name="extra_costs.0.strategies.rag").attrs
    # its own "Remove" button, a labelled field for every part, and the template outside the form
    assert row.find("button", data_remove_extra="").text() == "Remove this cost line"
    assert root.find("label", for_="extra_costs__0__from_month").text().startswith("From month")
    assert not root.find("form", id="calculator").find_all("template")
    assert root.find("template", id="extra-cost-template")
    # the form reads the line back into the scenario
    parsed = forms.parse({k: v[-1] for k, v in form_data(root.find("form", id="calculator")).items()})
    assert parsed.scenario is not None
    [line] = parsed.scenario.extra_costs
    assert (line.name, line.strategies, line.one_time_usd, line.from_month) == (
        "Compliance audit",
        ["fine_tuning"],
        5_000.0,
        3,
    )


def test_errors_go_beside_the_row_they_belong_to_and_keep_the_text(client: TestClient) -> None:
    # rows 0 and 3 (row 1 and 2 were removed in the browser); row 3 has a bad amount
    bad = AUDIT | {
        "extra_costs.3.name": "Security review",
        "extra_costs.3.strategies.rag": "true",
        "extra_costs.3.monthly_usd": "lots",
        "extra_costs.3.from_month": "2",
    }
    fragment = client.get("/?" + urlencode(bad), headers=HX).text
    root = dom(fragment)
    assert root.find("p", id="err-extra_costs__3__monthly_usd").text() == "'lots' is not a number"
    # a rule the model checks (a month after the horizon) also lands on the row that broke it
    late = AUDIT | {
        "horizon_months": "12",
        "extra_costs.3.strategies.rag": "true",
        "extra_costs.3.name": "Late",
        "extra_costs.3.one_time_usd": "1",
        "extra_costs.3.from_month": "13",
    }
    root = page(client, late)
    assert root.find("p", id="err-extra_costs__3__from_month").text() == "month 13 is after the horizon (12 months)"
    assert root.find("input", name="extra_costs.3.from_month").attrs["value"] == "13"  # nothing typed is lost
    assert root.find("input", name="extra_costs.3.from_month").attrs["aria-invalid"] == "true"
    assert "check" in root.find("details", id="group-finance").find("summary").text()


def test_a_link_and_a_save_keep_the_lines_and_their_ranges(client: TestClient) -> None:
    scenario = Scenario.model_validate(
        {
            "extra_costs": [
                {"name": "A", "strategies": ["rag"], "monthly_usd": 100, "from_month": 2},
                {"name": "B", "strategies": ["prompting", "fine_tuning"], "category": "maintenance", "one_time_usd": 7},
            ],
            "ranges": {"extra_costs.0.monthly_usd": {"low": 50, "high": 400, "source": "quote"}},
        }
    )
    reopened = forms.parse(_query(forms.query_of(scenario)))
    assert reopened.scenario is not None
    assert reopened.scenario.extra_costs == scenario.extra_costs
    assert reopened.scenario.ranges == scenario.ranges
    # the page shows the range of a line's amount under it, and a save keeps everything
    root = page(client, forms.values_of(scenario))
    assert root.find("input", name="ranges.extra_costs.0.monthly_usd.low").attrs["value"] == "50"
    data = {k: v[-1] for k, v in form_data(root.find("form", id="calculator")).items()} | {"name": "With lines"}
    response = client.post("/scenarios", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    sid = re.fullmatch(r"/scenarios/(\d+)\b.*", response.headers["location"])[1]  # type: ignore[index]
    saved = client.get(f"/api/v1/scenarios/{sid}/revisions/1").json()["inputs"]
    assert Scenario.model_validate(saved).extra_costs == scenario.extra_costs
    assert Scenario.model_validate(saved).ranges == scenario.ranges


def test_the_page_names_the_currency_and_both_verdict_bases(client: TestClient) -> None:
    root = page(client, {"finance.currency": "EUR", "finance.usd_to_currency": "0.5", "finance.discount_rate": "0.1"})
    caption = root.find("table", class_="totals").find("caption").text()
    assert caption.endswith("in EUR (1 USD = 0.5 EUR, the scenario's rate)")
    assert root.find("td", data_strategy="prompting").text().endswith(" EUR")
    bases = root.find("p", id="verdict-bases").text()
    assert bases.startswith("Weighed on nominal TCO. On present values, the ratio is")
    # a bad code stays as typed with its message beside it
    bad = page(client, {"finance.currency": "EURO"})
    assert bad.find("p", id="err-finance__currency").text().startswith("not an ISO 4217 currency code")
    assert bad.find("input", name="finance.currency").attrs["value"] == "EURO"


def test_the_scenario_page_and_the_revision_diff_name_each_cost_line(client: TestClient) -> None:
    line = {"name": "Audit", "strategies": ["rag", "fine_tuning"], "category": "evaluation", "one_time_usd": 5_000}
    body = {"name": "With an audit", "extra_costs": [line], "finance": {"currency": "EUR", "usd_to_currency": 0.9}}
    made = client.post("/api/v1/scenarios", json=body)
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    shown = dom(client.get(f"/scenarios/{sid}").text)
    text = shown.find("main").text()
    assert "Own cost line: Audit" in text
    assert "5,000.00 USD once in month 1; evaluation; paid by RAG, Fine-tuning" in text
    assert shown.find("table", class_="totals").find("td", data_strategy="rag").text().endswith(" EUR")

    edited = {**body, "extra_costs": [{**line, "monthly_usd": 250, "from_month": 4}]}
    assert client.put(f"/api/v1/scenarios/{sid}", json={"revision": 1, "scenario": edited}).status_code == 200
    diff = dom(client.get(f"/scenarios/{sid}/diff?a=1&b=2").text)
    row = diff.find("table", class_="diff-inputs").find("tr", data_path="extra_costs.0")
    before, after = (td.text() for td in row.find_all("td"))
    assert before == "Audit: 5,000.00 USD once in month 1; evaluation; paid by RAG, Fine-tuning"
    assert after == (
        "Audit: 5,000.00 USD once in month 4 and 250.00 USD a month from month 4; evaluation; paid by RAG, Fine-tuning"
    )
