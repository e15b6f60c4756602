"""Finance inputs through the API and every output: bad input gets a 422 at its path; a currency, a
price trend, a discount rate and an own cost line each show in JSON, CSV and XLSX, by hand."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

API = "/api/v1"

# 100,000 requests of 1,000 input tokens a month on prompting's default model (no end announced) at
# 2.50 USD per 1M, nothing else, over 13 months: RAG off, and no people, labels or harness anywhere (as in
# tests/engine's `quiet`).
QUIET: dict[str, Any] = {
    "start_month": "2027-01",
    "horizon_months": 13,
    "workload": {"requests_per_month": 100_000, "input_tokens": 1_000, "output_tokens": 0},
    "task": {"eval_harness": "exists"},
    "team": {"golden_examples": 0},
    "prompting": {
        "prices": {"input": 2.5, "cached_input": 1.25, "output": 10.0},
        "system_prompt_tokens": 0,
        "few_shot_examples": 0,
        "prompt_weeks": 0,
        "maintenance_hours": 0,
        "revalidation_weeks": 0,
    },
    "rag": {"enabled": False},
}


@pytest.mark.parametrize(
    ("finance", "loc"),
    [
        ({"discount_rate": -1}, "finance.discount_rate"),
        ({"discount_rate": 10}, "finance.discount_rate"),
        ({"currency": "EURO"}, "finance.currency"),
        ({"currency": "XYZ", "usd_to_currency": 2}, "finance.currency"),
        ({"currency": "EUR", "usd_to_currency": 0}, "finance.usd_to_currency"),
        ({"currency": "EUR", "usd_to_currency": -0.9}, "finance.usd_to_currency"),
        ({"usd_to_currency": 0.9}, "finance.usd_to_currency"),  # a rate for USD itself
        ({"fiscal_year_start_month": 0}, "finance.fiscal_year_start_month"),
        ({"fiscal_year_start_month": 13}, "finance.fiscal_year_start_month"),
        ({"api_price_change_per_year": -1}, "finance.api_price_change_per_year"),
        ({"verdict_basis": "real"}, "finance.verdict_basis"),
    ],
    ids=str,
)
def test_bad_finance_inputs_get_a_422_at_their_path(client: TestClient, finance: dict[str, Any], loc: str) -> None:
    response = client.post(f"{API}/estimate", json={"finance": finance})
    assert response.status_code == 422, response.text
    assert loc in {e["loc"] for e in response.json()["detail"]}


@pytest.mark.parametrize(
    ("line", "loc"),
    [
        ({"strategies": ["distillation"]}, "extra_costs.0.strategies.0"),
        ({"strategies": []}, "extra_costs.0.strategies"),
        ({"category": "marketing"}, "extra_costs.0.category"),
        ({"from_month": 14}, "extra_costs.0.from_month"),  # after the 13-month horizon
        ({"name": ""}, "extra_costs.0.name"),
        ({"monthly_usd": -5}, "extra_costs.0.monthly_usd"),
    ],
    ids=str,
)
def test_bad_extra_cost_lines_get_a_422_at_their_path(client: TestClient, line: dict[str, Any], loc: str) -> None:
    good = {"name": "Audit", "strategies": ["fine_tuning"], "monthly_usd": 100}
    response = client.post(f"{API}/estimate", json={**QUIET, "extra_costs": [{**good, **line}]})
    assert response.status_code == 422, response.text
    assert loc in {e["loc"] for e in response.json()["detail"]}


def test_a_range_on_a_missing_extra_cost_line_is_refused(client: TestClient) -> None:
    body = {**QUIET, "ranges": {"extra_costs.0.monthly_usd": {"low": 1, "high": 2}}}
    response = client.post(f"{API}/estimate", json=body)
    assert response.status_code == 422
    assert {e["loc"] for e in response.json()["detail"]} == {"ranges.extra_costs.0.monthly_usd"}


FINANCE = {
    **QUIET,
    "finance": {"currency": "EUR", "usd_to_currency": 0.5, "api_price_change_per_year": -0.3},
    "extra_costs": [
        {"name": "Compliance audit", "strategies": ["prompting"], "category": "evaluation", "one_time_usd": 600},
    ],
}
"""Month m of prompting's inference costs 250 x 0.7^((m-1)/12) USD; the audit adds 600 USD in month 1;
everything is shown in EUR at 0.5 per USD."""


def test_currency_trend_and_own_line_in_json_csv_and_xlsx(client: TestClient) -> None:
    doc = client.post(f"{API}/estimate", json=FINANCE).json()
    assert doc["currency"] == "EUR"
    p = doc["strategies"]["prompting"]
    # month 1: 250 USD of inference + the 600 USD audit = 850 USD = 425.00 EUR
    assert p["monthly"][0]["categories"] == pytest.approx(
        {"inference": 125.0, "evaluation": 300.0}
        | {c: 0.0 for c in ("engineering", "labeling", "training", "hosting", "retrieval", "maintenance")}
    )
    # month 13: 250 x 0.7 = 175 USD = 87.50 EUR
    assert p["monthly"][12]["categories"]["inference"] == 87.50
    # the TCO: 0.5 x (600 + 250 x sum of 0.7^(k/12) for k = 0..12), tied out to the cent
    exact = 0.5 * (600 + sum(250 * 0.7 ** (k / 12) for k in range(13)))
    assert p["total_usd"] == pytest.approx(exact, abs=0.01)
    assert round(sum(m["total_usd"] for m in p["monthly"]), 2) == p["total_usd"]

    long = list(csv.DictReader(io.StringIO(client.post(f"{API}/export.csv", json=FINANCE).text)))
    assert {row["currency"] for row in long} == {"EUR"}
    prompting = [row for row in long if row["strategy"] == "prompting"]
    assert round(sum(float(row["usd"]) for row in prompting), 2) == p["total_usd"]
    annual = list(csv.DictReader(io.StringIO(client.post(f"{API}/export.csv?shape=annual", json=FINANCE).text)))
    assert [(r["year"], r["currency"]) for r in annual] == [("2027", "EUR"), ("2028", "EUR")]
    assert round(sum(float(r["prompting_total_usd"]) for r in annual), 2) == p["total_usd"]

    book = openpyxl.load_workbook(io.BytesIO(client.post(f"{API}/export.xlsx", json=FINANCE).content), data_only=True)
    header = next(row for row in book["Summary"].iter_rows(values_only=True) if row[0] == "Strategy")
    assert header[1:5] == ("Total EUR", "Cost per 1k requests EUR", "Compute-only EUR", "Present value EUR")
    lines = list(book["Own cost lines"].iter_rows(values_only=True))
    assert lines[0][-1] == "total per strategy EUR"
    # the audit as typed (600 USD once in month 1), and what it adds to prompting: 600 x 0.5 = 300.00 EUR
    assert lines[1] == ("Compliance audit", "prompting", "evaluation", 1, 600, 0, 300.0)


def test_a_discount_rate_shows_both_bases_in_json_and_the_workbook(client: TestClient) -> None:
    body = {**QUIET, "finance": {"discount_rate": 0.12}}
    doc = client.post(f"{API}/estimate", json=body).json()
    # 250 a month for 13 months at 12% a year: 250 x sum of 1.12^(-m/12), m = 1..13
    npv = 250 * sum(1.12 ** (-m / 12) for m in range(1, 14))
    assert doc["strategies"]["prompting"]["npv_usd"] == pytest.approx(npv, abs=0.01)
    assert doc["verdict"]["basis"] == "nominal"
    assert doc["verdict"]["other_basis"]["basis"] == "npv"
    assert "On present value at 12% a year" in doc["verdict"]["summary"]
    book = openpyxl.load_workbook(io.BytesIO(client.post(f"{API}/export.xlsx", json=body).content), data_only=True)
    summary = {row[0]: row for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["prompting"][4] == doc["strategies"]["prompting"]["npv_usd"]
    assert summary["Summary"][1] == doc["verdict"]["summary"]


def test_costs_too_large_to_show_to_the_cent_get_a_422(client: TestClient) -> None:
    """10^12 requests a month of 2,000,000 tokens at 2.50 per 1M: 5e12 USD a month, 6e13 over 12 months;
    in a currency of 1.5 per USD that is 9e13, where a float stops holding every cent."""
    big = {**QUIET, "horizon_months": 12, "workload": {"requests_per_month": 1e12, "input_tokens": 2_000_000}}
    assert client.post(f"{API}/estimate", json=big).status_code == 200
    big["finance"] = {"currency": "EUR", "usd_to_currency": 1.5}
    response = client.post(f"{API}/estimate", json=big)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["msg"].startswith("the costs reach 9e+13 EUR over the horizon")
    batch = client.post(f"{API}/estimate/batch", json={"scenarios": [QUIET, big]})
    assert batch.status_code == 422
    assert [e["loc"] for e in batch.json()["detail"]] == ["scenarios.1"]
