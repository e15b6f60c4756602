"""The llm-tco command line: outputs parse back to the engine's numbers; bad files fail clearly."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.engine import CATEGORIES, Estimate, Scenario
from app.presets import PRESETS_DIR, presets, read_document, scenario_document
from app.services import estimate_one, with_seed_ranges

runner = CliRunner()
PRESET = PRESETS_DIR / "content-moderation.yaml"


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


@pytest.mark.parametrize("path", sorted(PRESETS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_estimate_table_shows_totals_verdict_and_every_gate(path: Path) -> None:
    result = invoke("estimate", str(path))
    assert result.exit_code == 0, result.output
    document = Estimate.model_validate_json(invoke("estimate", str(path), "--format", "json").stdout)
    out = result.stdout
    for strategy in document.strategies.values():
        assert f"{strategy.total_usd:,.2f}" in out
        assert f"{strategy.cost_per_1k_requests_usd:,.2f}" in out
    assert "Verdict:" in out
    for gate in document.verdict.gates:
        assert f"{gate.id}. {gate.name}" in out
        assert gate.reason[:40] in out.replace("\n", " ")


def test_json_is_the_estimate_document() -> None:
    result = invoke("estimate", str(PRESET), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data["strategies"]) == {"prompting", "fine_tuning"}  # rag disabled: absent, not zero
    assert data["verdict"]["recommendation"] == "fine_tuning"
    assert len(data["verdict"]["gates"]) == 6
    assert data["catalog_version"].startswith("genai-prices ")
    assert data["strategies"]["fine_tuning"]["compute_only_usd"] < data["strategies"]["fine_tuning"]["total_usd"]


def test_csv_long_shape_sums_to_the_totals() -> None:
    document = Estimate.model_validate_json(invoke("estimate", str(PRESET), "--format", "json").stdout)
    result = invoke("estimate", str(PRESET), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["scenario", "revision", "strategy", "month", "period", "category", "usd", "currency"]
    assert len(rows) == len(document.strategies) * document.horizon_months * len(CATEGORIES)
    sums: dict[str, float] = defaultdict(float)
    for row in rows:
        sums[row["strategy"]] += float(row["usd"])
    for name, strategy in document.strategies.items():
        # months are rounded to cents one by one: the sum may differ by a cent per month and category
        assert sums[name] == pytest.approx(strategy.total_usd, abs=0.01 * document.horizon_months * len(CATEGORIES))


def test_bad_fields_one_line_each_with_path_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "workload:\n  input_tokens: -5\n  monthly_growth: -2\nhorizon_months: 500\nprompting:\n  colour: red\n"
    )
    result = invoke("estimate", str(bad))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 4
    joined = "\n".join(lines)
    for path in ("workload.input_tokens", "workload.monthly_growth", "horizon_months", "prompting.colour"):
        assert f"bad.yaml: {path}: " in joined


def test_unknown_model_lists_the_closest_ids(tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text("prompting:\n  model: openai:gpt-4oo\n")
    result = invoke("estimate", str(bad))
    assert result.exit_code == 2
    assert "prompting.model" in result.stderr
    assert "openai:gpt-4o" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [("workload: [1, 2\n", "not valid YAML"), ("- a\n- b\n", "mapping"), (None, "No such file")],
)
def test_unreadable_files(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "scenario.yaml"
    if content is not None:
        path.write_text(content)
    result = invoke("estimate", str(path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_empty_file_is_the_default_scenario(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    result = invoke("estimate", str(path), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["scenario_name"] == "Untitled scenario"


def test_presets_lists_every_preset() -> None:
    result = invoke("presets", "--json")
    slugs = {p["slug"] for p in json.loads(result.stdout)}
    assert {"content-moderation", "support-ticket-categorisation", "legal-clause-extraction"} <= slugs


def test_catalog_search_shows_price_source_and_date() -> None:
    result = invoke("catalog", "--search", "gpt-4o-mini", "--limit", "200")
    assert result.exit_code == 0
    assert "openai:gpt-4o-mini" in result.stdout
    assert "input 0.15" in result.stdout
    result = invoke("catalog", "--kind", "gpu")
    assert "lambda:h100-80gb" in result.stdout


# --- uncertainty ---

RANGED = """\
name: Ranged
workload:
  requests_per_day: 500000
team:
  label_cost_usd: 10
ranges:
  team.label_cost_usd: {low: 5, high: 20, source: "002: 5-20 USD per example"}
  workload.requests_per_day: {low: 300000, high: 800000, source: traffic forecast}
uncertainty:
  draws: 2000
  seed: 7
"""


@pytest.fixture
def ranged(tmp_path: Path) -> Path:
    path = tmp_path / "ranged.yaml"
    path.write_text(RANGED)
    return path


def test_uncertainty_json_is_the_engines_and_absent_without_the_flag(ranged: Path) -> None:
    result = invoke("estimate", str(ranged), "--format", "json", "--uncertainty")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    scenario = Scenario.model_validate(scenario_document(read_document(ranged)))
    assert data["uncertainty"] == estimate_one(scenario, uncertainty=True)["uncertainty"]
    assert (data["uncertainty"]["draws"], data["uncertainty"]["seed"]) == (2000, 7)
    assert json.loads(invoke("estimate", str(ranged), "--format", "json", "--uncertainty").stdout) == data
    assert "uncertainty" not in json.loads(invoke("estimate", str(ranged), "--format", "json").stdout)


def test_uncertainty_table_prints_percentiles_probabilities_and_summary(ranged: Path) -> None:
    result = invoke("estimate", str(ranged), "-u")
    assert result.exit_code == 0, result.output
    unc = json.loads(invoke("estimate", str(ranged), "--format", "json", "-u").stdout)["uncertainty"]
    out = result.stdout
    assert "2,000 draws, seed 7, 2 ranged inputs" in out
    for p in unc["strategies"].values():
        for key in ("p10_usd", "p50_usd", "p90_usd", "mean_usd"):
            assert f"{p[key]:,.2f}" in out
    ratio = unc["tco_ratio"]
    assert f"TCO ratio: P10 {ratio['p10']:.2f}x, P50 {ratio['p50']:.2f}x, P90 {ratio['p90']:.2f}x" in out
    assert f"Fine-tuning wins by 2x: {unc['win_probability']:.1%} of draws" in out
    assert f"gate 5 passes: {unc['gate5_probability']:.1%}" in out
    assert unc["summary"] in out.replace("\n", " ")
    assert "team.label_cost_usd: 5 .. 10 .. 20" in out
    assert "Uncertainty" not in invoke("estimate", str(ranged)).stdout


def test_seed_ranges_adds_the_seeds_ranges() -> None:
    result = invoke("estimate", str(PRESET), "--format", "json", "--seed-ranges")
    assert result.exit_code == 0, result.output
    ranges = json.loads(result.stdout)["uncertainty"]["ranges"]
    seeded, _ = with_seed_ranges(presets()["content-moderation"].scenario)
    assert [r["path"] for r in ranges] == sorted(seeded.ranges)
    assert {r["path"]: r["source"] for r in ranges}["fine_tuning.runs_per_cycle"] == "003: budget 5 to 15 training runs"


def test_percentiles_csv_implies_uncertainty(ranged: Path) -> None:
    data = json.loads(invoke("estimate", str(ranged), "--format", "json", "-u").stdout)
    result = invoke("estimate", str(ranged), "--format", "csv", "--shape", "percentiles")
    assert result.exit_code == 0, result.output
    header, *rows = list(csv.reader(io.StringIO(result.stdout)))
    assert header[:6] == [
        "month",
        "period",
        "prompting_cumulative_usd",
        "prompting_cumulative_p10_usd",
        "prompting_cumulative_p50_usd",
        "prompting_cumulative_p90_usd",
    ]
    assert len(rows) == data["horizon_months"]
    last = dict(zip(header, rows[-1], strict=True))
    for name, p in data["uncertainty"]["strategies"].items():
        assert float(last[f"{name}_cumulative_p10_usd"]) == p["p10_usd"]
        assert float(last[f"{name}_cumulative_p90_usd"]) == p["p90_usd"]


def test_a_bad_range_is_one_line_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("ranges:\n  team.label_cost_usd: {low: 100, high: 200}\n")
    result = invoke("estimate", str(bad), "-u")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{bad}: ranges.team.label_cost_usd: the value 10 lies outside its range 100 to 200"
    ]
    bad.write_text("ranges:\n  prompting.prices.input: {low: 3, high: 4}\n")
    result = invoke("estimate", str(bad), "-u")
    assert result.exit_code == 2
    assert "ranges.prompting.prices.input: the value used, 2 (the catalog's)" in result.stderr
