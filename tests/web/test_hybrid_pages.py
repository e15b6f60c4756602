"""The hybrid strategy on every face (issue 20): the calculator and its charts, a refusal beside the
field, the JSON API, the CSV and XLSX exports, saved revisions (an old one keeps its figures), the
compare page, the report, Monte Carlo and the command line. The arithmetic is checked by hand in
tests/engine/test_hybrid.py; here every face must agree with the engine's document."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from htmlkit import Node, dom, fetch
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from app.cli import app as cli
from app.presets import PRESETS_DIR, presets

PRESET = "support-assistant-layers"
API = "/api/v1"


def body(**changes: Any) -> dict[str, Any]:
    doc = presets()[PRESET].scenario.model_dump(mode="json")
    for key, value in changes.items():
        doc[key] = {**doc[key], **value} if isinstance(value, dict) else value
    return doc


def estimate(client: TestClient, **changes: Any) -> dict[str, Any]:
    response = client.post(f"{API}/estimate", json=body(**changes))
    assert response.status_code == 200, response.text
    return dict(response.json())


def figure(root: Node, chart: str) -> dict[str, Any]:
    return dict(json.loads(root.find("div", id=chart).attrs["data-figure"]))


def totals_shown(root: Node) -> dict[str, str]:
    cells = root.find("table", class_="totals").find_all("td")
    return {td.attrs["data-strategy"]: td.text() for td in cells if "data-strategy" in td.attrs}


def test_the_preset_weighs_the_hybrid_against_rag(client: TestClient) -> None:
    doc = estimate(client)
    assert list(doc["strategies"]) == ["prompting", "rag", "fine_tuning", "hybrid"]
    v = doc["verdict"]
    assert (v["tuned"], v["simpler"], v["recommendation"]) == ("hybrid", "rag", "hybrid")
    rag, hybrid = doc["strategies"]["rag"]["total_usd"], doc["strategies"]["hybrid"]["total_usd"]
    assert abs(v["tco_ratio"] - rag / hybrid) < 1e-4  # the exact totals' ratio, the shown ones' to 4 places
    assert v["summary"].startswith("Build the hybrid: RAG feeding a tune.")
    assert doc["strategies"]["hybrid"]["compute_only_usd"] is not None


def test_the_calculator_shows_the_hybrid_in_its_answer_and_its_charts(client: TestClient) -> None:
    doc = estimate(client)
    root = fetch(client, f"/?preset={PRESET}")
    options = [o.attrs["value"] for o in root.find("select", id="f-task__kind").find_all("option")]
    assert options == ["behavior", "knowledge", "both"]
    assert root.find("p", id="headline").text() == doc["verdict"]["summary"]
    assert root.find("p", class_="ratio").text().startswith("TCO of RAG / TCO of hybrid:")
    assert totals_shown(root)["hybrid"] == f"{doc['strategies']['hybrid']['total_usd']:,.0f} USD"
    cumulative = figure(root, "chart-cumulative")
    assert [t["name"] for t in cumulative["data"]] == ["Prompting", "RAG", "Fine-tuning", "Hybrid"]
    assert cumulative["data"][3]["y"] == doc["strategies"]["hybrid"]["cumulative_usd"]
    volume = figure(root, "chart-volume")
    line = [t for t in volume["data"] if t["name"] == "Hybrid x 2 (the 2x line)"]
    hybrid = [t for t in volume["data"] if t["name"] == "Hybrid"]
    assert line and hybrid and line[0]["y"] == [round(2 * y, 2) for y in hybrid[0]["y"]]
    changes = root.find("ul", class_="changes").text()
    assert "Hybrid wins by 2x above" in changes and "Fine-tuning" not in changes
    assert "weighs the hybrid" in root.find("ol", class_="gates").text()


def test_both_without_rag_is_refused_beside_the_task_kind_and_kept(client: TestClient) -> None:
    response = client.get("/", params={"task.kind": "both", "rag.enabled": "false"})
    assert response.status_code == 422
    root = dom(response.text)
    assert "turn RAG on" in root.find("p", id="err-task__kind").text()
    chosen = [o for o in root.find("select", id="f-task__kind").find_all("option") if "selected" in o.attrs]
    assert [o.attrs["value"] for o in chosen] == ["both"]
    refused = client.post(f"{API}/estimate", json=body(rag={"enabled": False}))
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == "task.kind" and "turn RAG on" in error["msg"]


def test_the_csv_shapes_and_the_workbook_carry_the_hybrid(client: TestClient) -> None:
    doc = estimate(client)
    wide = list(
        csv.DictReader(io.StringIO(client.post(f"{API}/export.csv", params={"shape": "wide"}, json=body()).text))
    )
    assert [float(r["hybrid_total_usd"]) for r in wide] == [
        m["total_usd"] for m in doc["strategies"]["hybrid"]["monthly"]
    ]
    long = csv.DictReader(io.StringIO(client.post(f"{API}/export.csv", json=body()).text))
    cents = sum(round(float(r["usd"]) * 100) for r in long if r["strategy"] == "hybrid")
    assert cents == round(doc["strategies"]["hybrid"]["total_usd"] * 100)  # ties out to the cent
    book = openpyxl.load_workbook(io.BytesIO(client.post(f"{API}/export.xlsx", json=body()).content))
    summary = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Tuned route"][0] == "hybrid" and summary["Recommendation"][0] == "hybrid"
    header = next(book["Monthly"].iter_rows(values_only=True))
    assert "hybrid_total_usd" in header and "hybrid_retrieval_usd" in header
    column = get_column_letter(header.index("hybrid_total_usd") + 1)
    months = doc["horizon_months"]
    assert summary["hybrid"][0] == f"=SUM(Monthly!{column}2:{column}{months + 1})"  # the hybrid's own months
    cells = [row[header.index("hybrid_total_usd")] for row in book["Monthly"].iter_rows(min_row=2, values_only=True)]
    assert cells == [m["total_usd"] for m in doc["strategies"]["hybrid"]["monthly"]]


def test_a_revision_saved_before_the_task_needed_both_keeps_its_figures(client: TestClient) -> None:
    made = client.post(f"{API}/scenarios", json=body(task={"kind": "behavior"}))
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    before = client.get(f"{API}/scenarios/{sid}/estimate", params={"revision": 1}).json()
    assert "hybrid" not in before["strategies"] and before["verdict"]["tuned"] == "fine_tuning"
    edited = client.put(f"{API}/scenarios/{sid}", json={"revision": 1, "scenario": body()})
    assert edited.status_code == 200, edited.text
    assert set(edited.json()["revision"]["totals"]) == {"prompting", "rag", "fine_tuning", "hybrid"}
    assert client.get(f"{API}/scenarios/{sid}/estimate", params={"revision": 1}).json() == before
    assert set(made.json()["revision"]["totals"]) == {"prompting", "rag", "fine_tuning"}
    # the compare page lines the old and the new up, the hybrid's row empty for the old one
    other = client.post(f"{API}/scenarios", json=body(task={"kind": "behavior"}, name="Behaviour only")).json()
    root = fetch(client, f"/compare?ids={sid}&ids={other['id']}")
    row = root.find("table", class_="compare").find("tr", data_strategy="hybrid").find_all("td")
    assert row[0].text() == f"{edited.json()['revision']['totals']['hybrid']:,.0f} USD"
    assert row[1].text() == "n/a"  # not an option for a behaviour task: no figure, not a zero
    # the report of revision 2 shows the hybrid, that of revision 1 does not
    report = fetch(client, f"/scenarios/{sid}/report?revision=2")
    assert "hybrid" in totals_shown(report)
    assert "hybrid" not in totals_shown(fetch(client, f"/scenarios/{sid}/report?revision=1"))


def test_monte_carlo_and_the_tornado_weigh_the_hybrid(client: TestClient) -> None:
    ranged = body(
        ranges={"rag.retrieved_chunks": {"low": 3, "high": 10, "source": "a guess"}}, uncertainty={"draws": 500}
    )
    response = client.post(f"{API}/estimate", params={"uncertainty": "true"}, json=ranged)
    assert response.status_code == 200, response.text
    unc = response.json()["uncertainty"]
    assert set(unc["strategies"]) == {"prompting", "rag", "fine_tuning", "hybrid"}
    assert "hybrid" in unc["recommendation_shares"]
    assert "the hybrid (RAG feeding a tune) wins by 2x" in unc["summary"]
    assert unc["tornado"]["tco_ratio"] == response.json()["verdict"]["tco_ratio"]


def test_the_command_line_prints_the_hybrid() -> None:
    result = CliRunner().invoke(cli, ["estimate", str(PRESETS_DIR / f"{PRESET}.yaml")])
    assert result.exit_code == 0, result.output
    assert "Hybrid" in result.output and "RAG over Hybrid; 2x needed" in result.output
    assert "Build the hybrid: RAG feeding a tune." in result.output


def test_the_five_questions_offer_both_and_lead_to_the_hybrid(client: TestClient) -> None:
    radios = dom(client.get("/start").text).find_all("input", name="task.kind")
    assert [r.attrs["value"] for r in radios] == ["behavior", "knowledge", "both"]
    response = client.get("/start", params={"task.kind": "both"}, follow_redirects=False)
    assert response.status_code == 303
    answer = fetch(client, response.headers["location"])
    assert "hybrid" in totals_shown(answer)
