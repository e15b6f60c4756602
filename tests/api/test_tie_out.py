"""Issue 16, tie-out: every figure in cents adds up, in every format (docs/cost-model.md, section 11).

Over the presets and random scenarios built on them (Hypothesis; in a random currency, with prices
that move and an own cost line), priced by the real catalog:
- JSON: a month's categories add up to the month, the months (and the years) to the total, the cumulative series is
  the running sum of the months, the compute-only figure is its three categories, the cost per
  1,000 requests is the rounded total over the requests; every cell, month and total is within a
  cent of the engine's exact value (and the total within half a cent);
- the long and wide CSVs and the XLSX Summary and Monthly sheets (the CLI prints the same CSV) carry
  those same cells, and their own sums give the same totals.
Everything is compared in integer cents, so no float sum hides a cent.
"""

from __future__ import annotations

import csv
import io
import runpy
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from app import exports
from app.engine import CATEGORIES, STRATEGIES, Scenario, build_inputs, run
from app.engine.comparison import baseline_of
from app.presets import presets
from app.services import ScenarioError, estimate_one, price

ROOT = Path(__file__).resolve().parents[2]
SLUGS = sorted(presets())


def cents(x: float) -> int:
    return round(x * 100)


def exact_cells(scenario: Scenario, baseline: str | None = None) -> tuple[dict[str, np.ndarray], float]:
    """The engine's unrounded (months, 8) cells of each strategy, in the scenario's currency (the kernel's
    USD times `finance.usd_to_currency`), and the requests served; on the `baseline` API model when a
    model comparison moved it (`model_comparison.baseline_model`)."""
    sheet = price(scenario)
    if baseline is not None:
        scenario, sheet = baseline_of(scenario, sheet, baseline)
    costs, _ = run(build_inputs([scenario], [sheet]))
    months = scenario.horizon_months
    rate = scenario.finance.usd_to_currency
    cells = {s: costs.categories(s, 0, months) * rate for s in STRATEGIES}
    return cells, float(np.cumsum(costs.requests[0, :months])[-1])


def check_json(doc: dict[str, Any], scenario: Scenario) -> None:
    exact, served = exact_cells(scenario, (doc.get("model_comparison") or {}).get("baseline_model"))
    for name, s in doc["strategies"].items():
        running = 0
        months = []
        for m, month in enumerate(s["monthly"]):
            cells = [cents(month["categories"][c]) for c in CATEGORIES]
            assert sum(cells) == cents(month["total_usd"]), (name, m + 1)  # the month's categories
            running += cents(month["total_usd"])
            assert cents(s["cumulative_usd"][m]) == running, (name, m + 1)  # the running sum of the months
            months.append(cents(month["total_usd"]))
            for k, c in enumerate(cells):  # each cell within a cent of its exact value
                assert abs(c - exact[name][m, k] * 100) < 1 + 1e-6, (name, m + 1, CATEGORIES[k])
            assert abs(months[-1] - exact[name][m].sum() * 100) < 1 + 1e-6
        assert sum(months) == cents(s["total_usd"]), name  # the months add up to the total
        assert sum(cents(y["total_usd"]) for y in s["annual"]) == cents(s["total_usd"])  # and the years
        for y in s["annual"]:
            assert sum(cents(v) for v in y["categories"].values()) == cents(y["total_usd"])
        assert abs(cents(s["total_usd"]) - exact[name].sum() * 100) <= 0.5 + 1e-6, name
        if served > 0:  # from the rounded total, as shown
            assert s["cost_per_1k_requests_usd"] == round(s["total_usd"] / served * 1000, 2)
        if name == "fine_tuning":
            compute = [cents(mo["categories"][c]) for mo in s["monthly"] for c in ("training", "inference", "hosting")]
            assert cents(s["compute_only_usd"]) == sum(compute)
        for month in s["monthly"]:
            assert all(str(v) != "-0.0" for v in [month["total_usd"], *month["categories"].values()])


def check_csvs(doc: dict[str, Any]) -> None:
    totals = {n: cents(s["total_usd"]) for n, s in doc["strategies"].items()}
    long = list(csv.DictReader(io.StringIO(exports.csv_export(doc, shape="long"))))
    by_strategy: dict[str, int] = defaultdict(int)
    by_month: dict[tuple[str, int], int] = defaultdict(int)
    for row in long:
        by_strategy[row["strategy"]] += cents(float(row["usd"]))
        by_month[row["strategy"], int(row["month"])] += cents(float(row["usd"]))
    assert dict(by_strategy) == totals
    for n, s in doc["strategies"].items():
        assert [by_month[n, m["month"]] for m in s["monthly"]] == [cents(m["total_usd"]) for m in s["monthly"]]

    wide = list(csv.DictReader(io.StringIO(exports.csv_export(doc, shape="wide"))))
    for n in doc["strategies"]:
        for row in wide:
            assert cents(float(row[f"{n}_total_usd"])) == sum(cents(float(row[f"{n}_{c}_usd"])) for c in CATEGORIES)
        assert sum(cents(float(row[f"{n}_total_usd"])) for row in wide) == totals[n]

    annual = list(csv.DictReader(io.StringIO(exports.csv_export(doc, shape="annual"))))
    for n in doc["strategies"]:
        assert sum(cents(float(row[f"{n}_total_usd"])) for row in annual) == totals[n]


def check_xlsx(doc: dict[str, Any], scenario: Scenario) -> None:
    # data_only: the Summary totals and the Annual cells are formulas over the Monthly sheet; what a reader
    # that does not calculate sees is their cached values (tests/api/test_xlsx_recalc.py recalculates them).
    book = load_workbook(io.BytesIO(exports.xlsx_export(doc, scenario)), data_only=True)
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows() if row[0].value in doc["strategies"]}
    monthly = list(book["Monthly"].iter_rows(values_only=True))
    annual = list(book["Annual"].iter_rows(values_only=True))
    header = list(monthly[0])
    for n, s in doc["strategies"].items():
        column = header.index(f"{n}_total_usd")
        cells = [cents(r[column]) for r in monthly[1:] if isinstance(r[column], int | float)]
        assert sum(cells) == cents(s["total_usd"])
        total = summary[n]
        assert isinstance(total, int | float), "the Summary total is a number"
        assert cents(total) == sum(cells)
        column = list(annual[0]).index(f"{n}_total_usd")
        assert sum(cents(r[column]) for r in annual[1:]) == cents(s["total_usd"])


presets_then_random = st.builds(
    dict,
    slug=st.sampled_from(SLUGS),
    horizon_months=st.integers(1, 60),
    requests_per_month=st.floats(0, 5e7, allow_nan=False),
    monthly_growth=st.floats(-0.2, 0.2, allow_nan=False),
    input_tokens=st.integers(0, 8_000),
    output_tokens=st.integers(0, 1_500),
    rag=st.booleans(),
    deployment=st.sampled_from(["hosted", "serverless", "dedicated"]),
    rate=st.sampled_from([1.0, 0.92, 151.37, 0.0123]),
    api_change=st.floats(-0.6, 0.5, allow_nan=False),
    gpu_change=st.floats(-0.6, 0.5, allow_nan=False),
    extra=st.none()
    | st.tuples(st.floats(0, 1e6, allow_nan=False), st.floats(0, 1e5, allow_nan=False), st.integers(1, 60)),
)


def build(case: dict[str, Any]) -> Scenario:
    doc = presets()[case["slug"]].scenario.model_dump(mode="json")
    doc["horizon_months"] = case["horizon_months"]
    doc["workload"] |= {
        "requests_per_month": case["requests_per_month"],
        "requests_per_day": None,
        "monthly_growth": case["monthly_growth"],
        "input_tokens": case["input_tokens"],
        "output_tokens": case["output_tokens"],
    }
    doc["rag"]["enabled"] = case["rag"] or doc["task"]["kind"] == "both"  # the hybrid's task needs RAG
    doc["fine_tuning"] |= {"deployment": case["deployment"], "model": ""}  # the deployment's default tune
    doc["finance"] |= {
        "currency": "USD" if case["rate"] == 1.0 else "EUR",
        "usd_to_currency": case["rate"],
        "api_price_change_per_year": case["api_change"],
        "gpu_price_change_per_year": case["gpu_change"],
    }
    if case["extra"] is not None:
        one_time, monthly, month = case["extra"]
        doc["extra_costs"] = [
            {
                "name": "Own line",
                "strategies": ["rag", "fine_tuning", "hybrid"],
                "category": "maintenance",
                "one_time_usd": one_time,
                "monthly_usd": monthly,
                "from_month": min(month, case["horizon_months"]),
            }
        ]
    return Scenario.model_validate(doc)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_preset_ties_out_in_every_format(slug: str) -> None:
    scenario = presets()[slug].scenario
    doc = estimate_one(scenario)
    check_json(doc, scenario)
    check_csvs(doc)
    check_xlsx(doc, scenario)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=presets_then_random)
def test_random_scenarios_tie_out_in_every_format(case: dict[str, Any]) -> None:
    scenario = build(case)
    try:
        doc = estimate_one(scenario)
    except ScenarioError as exc:  # 20% growth a month for 60 months, in a currency of 151 per USD
        assert "which no figure can show to the cent" in str(exc)
        assume(False)
    check_json(doc, scenario)
    check_csvs(doc)
    check_xlsx(doc, scenario)


def test_the_tie_out_of_002s_months_by_hand() -> None:
    """38,020.8333 a month: running totals 38,020.83, 76,041.67, 114,062.50 give the months .83, .84, .83."""
    from app.engine.estimate import tied_cents

    month = 500_000 * 365 / 12 * 0.0025  # 38,020.8333...
    cells = np.zeros((1, 12, 8))
    cells[0, :, CATEGORIES.index("inference")] = month
    tied = tied_cents(cells)[0].sum(axis=1)
    assert list(tied[:4]) == [3_802_083, 3_802_084, 3_802_083, 3_802_083]
    assert tied.sum() == 45_625_000  # 456,250.00 = 1,250 x 365, where 12 x 38,020.83 = 456,249.96


def test_the_documented_worked_example_still_holds() -> None:
    """docs/worked_example.py re-derives every figure of docs/cost-model.md by hand and exits on a mismatch."""
    runpy.run_path(str(ROOT / "docs" / "worked_example.py"), run_name="__main__")


@pytest.mark.parametrize("month", [0, 13, 6.5])
def test_a_fiscal_year_start_outside_1_to_12_is_refused_at_its_path(month: float) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings

    with TestClient(create_app(Settings(database_url="sqlite://", seed_presets=False))) as client:
        response = client.post("/api/v1/estimate", json={"finance": {"fiscal_year_start_month": month}})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == ["finance.fiscal_year_start_month"]
