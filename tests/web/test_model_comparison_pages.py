"""Right-sizing the API model on every face (issue 20): the calculator's pick list and its answer, the
JSON API with its refusals, the CSV and XLSX exports, the command line. The arithmetic itself is
checked by hand in tests/engine/test_model_comparison.py; here the faces must agree with the engine."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from htmlkit import dom
from typer.testing import CliRunner

from app.cli import app as cli
from app.presets import presets

PRESET = "would-a-smaller-model-do"
API = "/api/v1"


@pytest.fixture(scope="module")
def body() -> dict:
    return presets()[PRESET].scenario.model_dump(mode="json")


@pytest.fixture(scope="module")
def answer(calculator: TestClient, body: dict) -> dict:
    response = calculator.post(f"{API}/estimate", json=body)
    assert response.status_code == 200
    return response.json()


def test_the_preset_compares_three_models_and_the_acceptable_one_moves_the_baseline(answer: dict) -> None:
    found = answer["model_comparison"]
    assert [m["model"] for m in found["models"]] == [
        "openai:gpt-6.2-sol",
        "openai:gpt-6.1-terra",
        "openai:gpt-6-luna",
        "anthropic:claude-haiku-5-5",
    ]
    assert found["baseline_model"] == "openai:gpt-6.1-terra" != found["chosen_model"]
    terra = found["models"][1]
    assert answer["strategies"]["prompting"]["total_usd"] == terra["total_usd"]
    assert terra["saving_usd"] == round(found["models"][0]["total_usd"] - terra["total_usd"], 2)
    assert answer["prices_used"]["prompting"]["id"] == "openai:gpt-6.1-terra"
    assert "you marked it good enough" in answer["verdict"]["summary"]


def test_the_page_shows_the_pick_list_the_table_and_the_chart(calculator: TestClient, answer: dict) -> None:
    page = dom(calculator.get(f"/?preset={PRESET}").text)
    rows = page.find("div", id="candidate-rows")
    assert [i.attrs["value"] for i in rows.find_all("input", type="text")] == [
        "openai:gpt-6.1-terra",
        "openai:gpt-6-luna",
        "anthropic:claude-haiku-5-5",
    ]
    ticked = [box.attrs["id"] for box in rows.find_all("input", type="checkbox") if "checked" in box.attrs]
    assert ticked == ["f-prompting__acceptable__0"]
    assert page.find("template", id="candidate-template") is not None
    section = page.find("section", id="models")
    assert section.find("p", id="models-summary").text() == answer["model_comparison"]["summary"]
    cells = [[td.text() for td in tr.find_all("td")] for tr in section.find("table").find("tbody").find_all("tr")]
    assert [c[0] for c in cells][:2] == ["openai:gpt-6.2-sol (chosen)", "openai:gpt-6.1-terra"]
    assert cells[1][3] == f"{answer['model_comparison']['models'][1]['total_usd']:,.2f}"
    figure = json.loads(page.find("div", id="chart-models").attrs["data-figure"])
    assert figure["data"][0]["x"] == [m["total_usd"] for m in answer["model_comparison"]["models"]]


def test_a_candidate_row_searches_the_api_models(calculator: TestClient) -> None:
    response = calculator.get("/catalog/options/prompting.candidates.4", params={"prompting.candidates.4": "gpt-6"})
    assert response.status_code == 200 and 'value="openai:gpt-6.1-terra"' in response.text
    assert calculator.get("/catalog/options/prompting.candidates.x").status_code == 404


def test_an_unknown_candidate_is_refused_above_the_list_and_kept(calculator: TestClient) -> None:
    params = {"prompting.candidates.0": "openai:gpt-6.1-terra", "prompting.candidates.2": "openai:gpt-4x"}
    response = calculator.get("/", params=params)
    assert response.status_code == 422
    page = dom(response.text)
    message = page.find("p", id="err-prompting__candidates").text()
    assert "unknown catalog id 'openai:gpt-4x'; closest: openai:" in message
    assert page.find("input", id="f-prompting__candidates__2").attrs["value"] == "openai:gpt-4x"
    assert "open" in page.find("details", id="group-prompting").attrs


def test_the_api_refuses_thirteen_candidates_and_unknown_ids(calculator: TestClient) -> None:
    many = calculator.post(f"{API}/estimate", json={"prompting": {"candidates": [f"openai:m{k}" for k in range(13)]}})
    assert many.status_code == 422
    [error] = many.json()["detail"]
    assert error["loc"] == "prompting.candidates" and "at most 12" in error["msg"]
    unknown = calculator.post(
        f"{API}/estimate", json={"prompting": {"candidates": ["openai:gpt-6.1-terra", "openai:gpt-4x"]}}
    )
    assert unknown.status_code == 422
    [error] = unknown.json()["detail"]
    assert error["loc"] == "prompting.candidates.1" and "closest: openai:" in error["msg"]


def test_the_csv_and_the_workbook_carry_the_comparison(calculator: TestClient, body: dict, answer: dict) -> None:
    text = calculator.post(f"{API}/export.csv", params={"shape": "models"}, json=body).text
    rows = list(csv.DictReader(io.StringIO(text)))
    models = answer["model_comparison"]["models"]
    assert [r["model"] for r in rows] == [m["model"] for m in models]
    assert [r["total_usd"] for r in rows] == [f"{m['total_usd']:.2f}" for m in models]
    assert [r["baseline"] for r in rows] == ["false", "true", "false", "false"]
    assert rows[2]["acceptable"] == "false" and rows[0]["currency"] == "USD"
    book = openpyxl.load_workbook(io.BytesIO(calculator.post(f"{API}/export.xlsx", json=body).content))
    sheet = book["Models"]
    assert sheet["A1"].value == answer["model_comparison"]["summary"]
    table = list(sheet.iter_rows(min_row=3, values_only=True))
    assert table[0][:6] == ("model", "chosen", "acceptable", "baseline", "route", "total_usd")
    assert [(r[0], r[5]) for r in table[1:]] == [(m["model"], m["total_usd"]) for m in models]


def test_the_command_line_compares_the_models_it_is_given(tmp_path: Path) -> None:
    preset = Path(__file__).resolve().parents[2] / "presets" / "content-moderation.yaml"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "estimate",
            str(preset),
            "--compare-models",
            "openai:gpt-6.1-terra, openai:gpt-6-luna",
            "--acceptable",
            "openai:gpt-6.1-terra",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)["model_comparison"]
    assert found["baseline_model"] == "openai:gpt-6.1-terra"
    assert [m["model"] for m in found["models"]][1:] == ["openai:gpt-6.1-terra", "openai:gpt-6-luna"]
    table = runner.invoke(cli, ["estimate", str(preset), "--compare-models", "openai:gpt-6-luna"])
    assert table.exit_code == 0 and "The same workload on other API models" in table.output
    assert "Advice only" in " ".join(table.output.split())
    bad = runner.invoke(cli, ["estimate", str(preset), "--compare-models", "openai:gpt-4x"])
    assert bad.exit_code == 2 and "prompting.candidates.0: unknown catalog id 'openai:gpt-4x'" in bad.output
