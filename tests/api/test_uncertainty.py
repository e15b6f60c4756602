"""Uncertainty through the API: `?uncertainty=true` on estimates, batches and saved revisions, the seeds'
ranges, the batch draws cap, and the percentiles in the exports (CSV, XLSX, JSON), each checked
against the JSON numbers, to the cent."""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import exports, saved, services
from app.db import queries
from app.engine import Estimate, PriceSheet, Scenario
from app.main import create_app
from app.presets import presets
from app.settings import Settings

API = "/api/v1"
DRAWS_CAP = 30_000

RANGES = {
    "team.label_cost_usd": {"low": 5, "high": 20, "source": "002: 5-20 USD per example"},
    "prompting.few_shot_examples": {"low": 2, "high": 10, "source": "001: 2-10 examples"},
    "workload.requests_per_day": {"low": 300_000, "high": 800_000, "source": "traffic forecast"},
}


def moderation(**changes: Any) -> dict[str, Any]:
    """The content-moderation preset with three ranges and 2,000 draws seeded 7 (fast, and not the defaults)."""
    document = presets()["content-moderation"].scenario.model_dump(mode="json")
    ranges = copy.deepcopy(RANGES)  # a test may edit its copy (the sweep drops one); never the module's
    return {**document, "ranges": ranges, "uncertainty": {"draws": 2_000, "seed": 7}, **changes}


@pytest.fixture(scope="module")
def stateless() -> Iterator[TestClient]:
    """The estimate endpoints touch no database: one app, with a small draws cap to test."""
    settings = Settings(database_url="sqlite://", max_batch=50, max_batch_draws=DRAWS_CAP, seed_presets=False)
    with TestClient(create_app(settings)) as client:
        yield client


def estimate(client: TestClient, scenario: dict[str, Any], **params: Any) -> dict[str, Any]:
    response = client.post(f"{API}/estimate", params=params, json=scenario)
    assert response.status_code == 200, response.text
    return dict(response.json())


def engine_uncertainty(scenario: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    docs = services.estimate_all(
        [Scenario.model_validate(scenario)], uncertainty=True, detail="full" if full else "summary"
    )
    return dict(docs[0]["uncertainty"])


# --- POST /estimate?uncertainty=true ---


def test_the_flag_adds_the_engines_uncertainty_and_nothing_else(stateless: TestClient) -> None:
    plain = estimate(stateless, moderation())
    assert "uncertainty" not in plain
    doc = estimate(stateless, moderation(), uncertainty="true")
    assert {k: v for k, v in doc.items() if k != "uncertainty"} == plain
    unc = doc["uncertainty"]
    assert unc == engine_uncertainty(moderation())
    Estimate.model_validate(doc)

    assert (unc["draws"], unc["seed"]) == (2_000, 7)
    assert [r["path"] for r in unc["ranges"]] == sorted(RANGES)
    by_path = {r["path"]: r for r in unc["ranges"]}
    assert (by_path["team.label_cost_usd"]["low"], by_path["team.label_cost_usd"]["mode"]) == (5, 10)
    assert by_path["workload.requests_per_day"]["mode"] == 500_000
    assert set(unc["strategies"]) == set(doc["strategies"]) == {"prompting", "fine_tuning"}
    for name, p in unc["strategies"].items():
        assert p["p10_usd"] < p["p50_usd"] < p["p90_usd"], name  # the volume is ranged: a real spread
        bands = p["cumulative_usd"]
        assert len(bands["p50"]) == doc["horizon_months"]
        assert bands["p10"][-1] == p["p10_usd"] and bands["p90"][-1] == p["p90_usd"]
        point = doc["strategies"][name]["total_usd"]
        assert p["p10_usd"] < point < p["p90_usd"]
    assert unc["tco_ratio"]["p10"] < doc["verdict"]["tco_ratio"] < unc["tco_ratio"]["p90"]
    assert 0 < unc["win_probability"] <= 1 and unc["gate5_probability"] == unc["win_probability"]
    assert sum(unc["recommendation_shares"].values()) == pytest.approx(1)
    assert unc["summary"].startswith("Over 2,000 draws of 3 ranged inputs")
    assert unc["tornado"]["tco_ratio"] == doc["verdict"]["tco_ratio"]
    assert any(t["from_range"] and t["path"] == "workload.requests_per_day" for t in unc["tornado"]["inputs"])


def test_a_fixed_seed_reproduces_to_the_cent_another_seed_does_not(stateless: TestClient) -> None:
    first = estimate(stateless, moderation(), uncertainty="true")
    assert estimate(stateless, moderation(), uncertainty="true") == first
    other = estimate(stateless, moderation(uncertainty={"draws": 2_000, "seed": 8}), uncertainty="true")
    assert (
        other["uncertainty"]["strategies"]["prompting"]["p50_usd"]
        != (first["uncertainty"]["strategies"]["prompting"]["p50_usd"])
    )
    assert other["strategies"] == first["strategies"]  # the point estimate does not draw


def test_without_ranges_every_draw_is_the_point_estimate(stateless: TestClient) -> None:
    doc = estimate(stateless, {}, uncertainty="true")
    unc = doc["uncertainty"]
    assert unc["ranges"] == []
    for name, p in unc["strategies"].items():
        assert p["p10_usd"] == p["p50_usd"] == p["p90_usd"] == doc["strategies"][name]["total_usd"]
    assert unc["summary"].startswith("No input carries a range")
    assert all(not t["from_range"] for t in unc["tornado"]["inputs"])


@pytest.mark.parametrize(
    ("ranges", "loc", "words"),
    [
        ({"team.label_cost_usd": {"low": 100, "high": 200}}, "ranges.team.label_cost_usd", "outside its range"),
        ({"team.label_cost_usd": {"low": -1, "high": 20}}, "ranges.team.label_cost_usd.low", "at least 0"),
        ({"team.label_cost_usd": {"low": 20, "high": 5}}, "ranges.team.label_cost_usd", "must not exceed"),
        ({"team.label_cost": {"low": 5, "high": 20}}, "ranges.team.label_cost", "team.label_cost_usd"),
        ({"team.label_cost_usd": {"low": "cheap", "high": 20}}, "ranges.team.label_cost_usd.low", "number"),
        ({"prompting.prices.input": {"low": 3, "high": 4}}, "ranges.prompting.prices.input", "the catalog's"),
    ],
)
def test_a_bad_range_is_422_naming_it(stateless: TestClient, ranges: dict[str, Any], loc: str, words: str) -> None:
    response = stateless.post(f"{API}/estimate", params={"uncertainty": "true"}, json={"ranges": ranges})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == loc
    assert words in error["msg"]


@pytest.mark.parametrize(
    ("settings", "loc"),
    [
        ({"draws": 0}, "uncertainty.draws"),
        ({"draws": 100_001}, "uncertainty.draws"),
        ({"seed": -1}, "uncertainty.seed"),
    ],
)
def test_bad_uncertainty_settings_are_422(stateless: TestClient, settings: dict[str, int], loc: str) -> None:
    response = stateless.post(f"{API}/estimate", params={"uncertainty": "true"}, json={"uncertainty": settings})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [loc]


def test_the_flag_must_be_a_boolean(stateless: TestClient) -> None:
    response = stateless.post(f"{API}/estimate", params={"uncertainty": "maybe"}, json={})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == "query.uncertainty"


# --- POST /ranges/seeds ---


def test_seed_ranges_fill_what_fits_and_say_why_not(stateless: TestClient) -> None:
    scenario = presets()["content-moderation"].scenario.model_dump(mode="json")
    mine = {"team.label_cost_usd": {"low": 8, "high": 12, "source": "our annotators' quote"}}
    response = stateless.post(f"{API}/ranges/seeds", json={**scenario, "ranges": mine})
    assert response.status_code == 200
    body = response.json()
    expected, skipped = services.with_seed_ranges(Scenario.model_validate({**scenario, "ranges": mine}))
    assert body == {"scenario": expected.model_dump(mode="json"), "skipped": skipped}

    ranges = body["scenario"]["ranges"]
    assert ranges["team.label_cost_usd"] == {**mine["team.label_cost_usd"]}  # the scenario's own, kept
    assert body["skipped"]["team.label_cost_usd"] == "has a range already; kept"
    assert ranges["fine_tuning.runs_per_cycle"] == {"low": 5, "high": 15, "source": "003: budget 5 to 15 training runs"}
    assert body["skipped"]["fine_tuning.gpu_hour_usd"] == "applies to dedicated GPUs only"  # the preset is hosted
    assert set(ranges) | set(body["skipped"]) >= {"team.golden_examples", "prompting.few_shot_examples"}

    doc = estimate(stateless, body["scenario"], uncertainty="true")
    assert [r["path"] for r in doc["uncertainty"]["ranges"]] == sorted(ranges)


def test_seed_ranges_of_a_bad_scenario_are_422(stateless: TestClient) -> None:
    response = stateless.post(f"{API}/ranges/seeds", json={"prompting": {"model": "openai:gpt-4oo"}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == "prompting.model"


# --- POST /estimate/batch?uncertainty=true ---


@pytest.mark.parametrize("detail", ["full", "summary"])
def test_batch_of_scenarios_equals_single_estimates(stateless: TestClient, detail: str) -> None:
    scenarios = [moderation(), moderation(uncertainty={"draws": 1_000, "seed": 3}), {}]
    response = stateless.post(
        f"{API}/estimate/batch", params={"uncertainty": "true", "detail": detail}, json={"scenarios": scenarios}
    )
    assert response.status_code == 200, response.text
    batch = [e["uncertainty"] for e in response.json()["estimates"]]
    assert batch == [engine_uncertainty(s, full=detail == "full") for s in scenarios]
    singles = [estimate(stateless, s, uncertainty="true")["uncertainty"] for s in scenarios]
    for got, single in zip(batch, singles, strict=True):
        for name, p in got["strategies"].items():
            assert ("cumulative_usd" in p) == (detail == "full")
            assert {k: v for k, v in p.items() if k != "cumulative_usd"} == {
                k: v for k, v in single["strategies"][name].items() if k != "cumulative_usd"
            }
    assert batch[0]["draws"] == 2_000 and batch[1]["draws"] == 1_000


def test_batch_without_the_flag_has_no_uncertainty(stateless: TestClient) -> None:
    response = stateless.post(f"{API}/estimate/batch", json={"scenarios": [moderation()]})
    assert "uncertainty" not in response.json()["estimates"][0]


def test_sweep_with_uncertainty_equals_single_estimates(stateless: TestClient) -> None:
    base = moderation()
    del base["ranges"]["workload.requests_per_day"]  # the swept field takes each value in turn
    values = [400_000, 600_000]
    body = {"scenario": base, "sweep": {"field": "workload.requests_per_day", "values": values}}
    response = stateless.post(f"{API}/estimate/batch", params={"uncertainty": "true", "detail": "full"}, json=body)
    assert response.status_code == 200, response.text
    got = [e["uncertainty"] for e in response.json()["estimates"]]
    for value, unc in zip(values, got, strict=True):
        single = {**base, "workload": {**base["workload"], "requests_per_day": value}}
        assert unc == estimate(stateless, single, uncertainty="true")["uncertainty"]
    assert got[0]["strategies"]["prompting"]["p50_usd"] < got[1]["strategies"]["prompting"]["p50_usd"]


def test_batch_draws_cap(stateless: TestClient) -> None:
    ranged = moderation(uncertainty={"draws": 10_000, "seed": 1})
    at_cap = stateless.post(
        f"{API}/estimate/batch", params={"uncertainty": "true"}, json={"scenarios": [ranged] * 3 + [{}] * 20}
    )
    assert at_cap.status_code == 200, at_cap.text  # 30,000 draws; scenarios without ranges draw nothing

    over = stateless.post(f"{API}/estimate/batch", params={"uncertainty": "true"}, json={"scenarios": [ranged] * 4})
    assert over.status_code == 422
    [error] = over.json()["detail"]
    assert error["loc"] == "scenarios"
    assert "40,000 Monte Carlo draws" in error["msg"] and "at most 30,000" in error["msg"]

    sweep = {"scenario": ranged, "sweep": {"field": "horizon_months", "values": [12, 24, 36, 48]}}
    over = stateless.post(f"{API}/estimate/batch", params={"uncertainty": "true"}, json=sweep)
    assert over.status_code == 422
    [error] = over.json()["detail"]
    assert error["loc"] == "sweep.values"
    assert "40,000 Monte Carlo draws" in error["msg"]

    # a sweep of the draws themselves counts each value's, not the base scenario's
    few = moderation(uncertainty={"draws": 1, "seed": 1})
    sweep = {"scenario": few, "sweep": {"field": "uncertainty.draws", "values": [20_000, 20_000]}}
    over = stateless.post(f"{API}/estimate/batch", params={"uncertainty": "true"}, json=sweep)
    assert over.status_code == 422
    assert "40,000 Monte Carlo draws" in over.json()["detail"][0]["msg"]

    # the cap is on draws run: without the flag, or with fewer draws each, the same batches pass
    assert stateless.post(f"{API}/estimate/batch", json={"scenarios": [ranged] * 4}).status_code == 200
    fewer = moderation(uncertainty={"draws": 7_500, "seed": 1})
    response = stateless.post(f"{API}/estimate/batch", params={"uncertainty": "true"}, json={"scenarios": [fewer] * 4})
    assert response.status_code == 200


def test_a_bad_range_in_a_batch_is_422(stateless: TestClient) -> None:
    body = {"scenarios": [{}, {"ranges": {"team.label_cost_usd": {"low": 100, "high": 200}}}]}
    response = stateless.post(f"{API}/estimate/batch", params={"uncertainty": "true"}, json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == "scenarios.1.ranges.team.label_cost_usd"


def test_openapi_documents_the_flag_and_the_seeds_endpoint(stateless: TestClient) -> None:
    spec = stateless.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method in [
        ("/api/v1/estimate", "post"),
        ("/api/v1/estimate/batch", "post"),
        ("/api/v1/scenarios/{scenario_id}/estimate", "get"),
        ("/api/v1/scenarios/{scenario_id}/export.xlsx", "get"),
        ("/api/v1/scenarios/{scenario_id}/export.json", "get"),
        ("/api/v1/export.xlsx", "post"),
        ("/api/v1/export.json", "post"),
    ]:
        [flag] = [p for p in paths[path][method]["parameters"] if p["name"] == "uncertainty"]
        assert flag["in"] == "query"
        assert (flag["schema"]["type"], flag["schema"]["default"]) == ("boolean", False)
        assert "P10, P50 and P90" in flag["description"]
    seeds = paths["/api/v1/ranges/seeds"]["post"]
    assert seeds["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SeededScenario"
    }
    assert set(spec["components"]["schemas"]["SeededScenario"]["properties"]) == {"scenario", "skipped"}
    [shape] = [p for p in paths["/api/v1/export.csv"]["post"]["parameters"] if p["name"] == "shape"]
    assert "percentiles" in str(shape["schema"])


# --- saved revisions: the ranges and the seed are inputs ---


def create(client: TestClient, scenario: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}/scenarios", json=scenario)
    assert response.status_code == 201, response.text
    return dict(response.json())


def saved_uncertainty(client: TestClient, sid: int, revision: int | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"uncertainty": "true"} | ({"revision": revision} if revision else {})
    response = client.get(f"{API}/scenarios/{sid}/estimate", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_save_then_read_reproduces_the_posted_uncertainty(client: TestClient) -> None:
    made = create(client, moderation())
    inputs = made["revision"]["inputs"]
    assert inputs["ranges"] == Scenario.model_validate(moderation()).model_dump(mode="json")["ranges"]
    assert inputs["uncertainty"] == {"draws": 2_000, "seed": 7}

    posted = client.post(f"{API}/estimate", params={"uncertainty": "true"}, json=moderation()).json()
    read = saved_uncertainty(client, made["id"])
    assert read == posted  # same inputs, same (today's) prices, same seed: to the cent
    assert saved_uncertainty(client, made["id"], 1) == read
    plain = client.get(f"{API}/scenarios/{made['id']}/estimate").json()
    assert "uncertainty" not in plain


def test_edit_and_reprice_keep_the_ranges_older_revisions_keep_their_draws(client: TestClient) -> None:
    made = create(client, moderation())
    sid = made["id"]
    first = saved_uncertainty(client, sid)

    narrower = {**RANGES, "team.label_cost_usd": {"low": 9, "high": 11, "source": "quote"}}
    edited = client.put(f"{API}/scenarios/{sid}", json={"revision": 1, "scenario": moderation(ranges=narrower)})
    assert edited.status_code == 200
    assert edited.json()["revision"]["inputs"]["ranges"]["team.label_cost_usd"]["high"] == 11
    second = saved_uncertainty(client, sid)
    assert second["uncertainty"]["ranges"] != first["uncertainty"]["ranges"]
    assert saved_uncertainty(client, sid, 1) == first

    reseeded = client.put(
        f"{API}/scenarios/{sid}",
        json={"revision": 2, "scenario": moderation(ranges=narrower, uncertainty={"draws": 3_000, "seed": 99})},
    )
    assert reseeded.json()["revision"]["inputs"]["uncertainty"] == {"draws": 3_000, "seed": 99}
    assert saved_uncertainty(client, sid)["uncertainty"]["draws"] == 3_000

    repriced = client.post(f"{API}/scenarios/{sid}/reprice", json={"revision": 3})
    assert repriced.status_code == 200
    # today's catalog gives the prices revision 3 froze: the re-price adds nothing (issue 17)
    assert repriced.json()["latest_revision"] == 3
    assert repriced.json()["revision"]["inputs"] == client.get(f"{API}/scenarios/{sid}/revisions/3").json()["inputs"]
    assert saved_uncertainty(client, sid, 1) == first
    assert saved_uncertainty(client, sid, 2) == second


def test_a_revision_keeps_its_frozen_prices_in_the_draws(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Saved when gpt-4o input cost 99 USD per 1M: its percentiles stay at that price after a re-price."""

    def old_price(scenario: Scenario, *, prefix: str = "") -> PriceSheet:
        sheet = services.price(scenario, prefix=prefix)
        return sheet.model_copy(update={"prompting": sheet.prompting.model_copy(update={"input": 99.0})})

    monkeypatch.setattr(saved, "price", old_price)
    sid = create(client, moderation())["id"]
    monkeypatch.undo()
    old = saved_uncertainty(client, sid)
    client.post(f"{API}/scenarios/{sid}/reprice", json={"revision": 1})
    today = saved_uncertainty(client, sid)
    assert (
        today["uncertainty"] == client.post(f"{API}/estimate?uncertainty=true", json=moderation()).json()["uncertainty"]
    )
    old_p50 = old["uncertainty"]["strategies"]["prompting"]["p50_usd"]
    assert old_p50 > 10 * today["uncertainty"]["strategies"]["prompting"]["p50_usd"]
    assert saved_uncertainty(client, sid, 1) == old


def test_duplicate_keeps_ranges_and_seed(db_engine: Engine) -> None:
    with Session(db_engine, expire_on_commit=False) as session:
        row = saved.save(session, scenario=Scenario.model_validate(moderation()), author="t")
        assert row.id is not None
        first = queries.get_revision(session, scenario_id=row.id, number=1)
        assert first is not None
        copy = saved.duplicate(session, revision=first, name="Copy", author="t")
        assert copy.id is not None
        again = queries.get_revision(session, scenario_id=copy.id, number=1)
        assert again is not None
        assert {k: v for k, v in again.inputs.items() if k != "name"} == {
            k: v for k, v in first.inputs.items() if k != "name"
        }
        assert (
            saved.estimate_revision(again, uncertainty=True)["uncertainty"]
            == saved.estimate_revision(first, uncertainty=True)["uncertainty"]
        )


def test_a_revision_saved_before_ranges_existed_still_estimates(client: TestClient, db_engine: Engine) -> None:
    """Inputs are JSON: a row written before `ranges` and `uncertainty` existed reads with their defaults."""
    scenario = Scenario()
    sheet = services.price(scenario)
    inputs = scenario.model_dump(mode="json")
    del inputs["ranges"], inputs["uncertainty"]
    doc = services.estimate_one(scenario, sheet)
    with Session(db_engine, expire_on_commit=False) as session:
        row = queries.create_scenario(
            session,
            name="Old",
            description="",
            revision={
                "action": "created",
                "author": "t",
                "inputs": inputs,
                "prices": sheet.model_dump(mode="json"),
                "catalog_version": sheet.catalog_version,
                "totals": {k: v["total_usd"] for k, v in doc["strategies"].items()},
                "recommendation": doc["verdict"]["recommendation"],
                "tco_ratio": doc["verdict"]["tco_ratio"],
            },
        )
    unc = saved_uncertainty(client, int(row.id or 0))["uncertainty"]
    assert (unc["draws"], unc["seed"], unc["ranges"]) == (10_000, 1, [])


# --- exports ---


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def check_percentiles_csv(text: str, doc: dict[str, Any]) -> None:
    strategies = [s for s in ("prompting", "rag", "fine_tuning") if s in doc["strategies"]]
    header = text.splitlines()[0].split(",")
    assert header == [
        "month",
        "period",
        *(
            c
            for s in strategies
            for c in (f"{s}_cumulative_usd", *(f"{s}_cumulative_{b}_usd" for b in ("p10", "p50", "p90")))
        ),
        "currency",
    ]
    rows = rows_of(text)
    assert [int(r["month"]) for r in rows] == list(range(1, doc["horizon_months"] + 1))
    assert {r["currency"] for r in rows} == {doc["currency"]}
    bands = doc["uncertainty"]["strategies"]
    for m, row in enumerate(rows):
        for s in strategies:
            assert float(row[f"{s}_cumulative_usd"]) == doc["strategies"][s]["cumulative_usd"][m]
            for b in ("p10", "p50", "p90"):
                assert float(row[f"{s}_cumulative_{b}_usd"]) == bands[s]["cumulative_usd"][b][m]
    last = rows[-1]
    for s in strategies:  # the last month's band is the TCO's percentiles (10,000 draws or fewer)
        assert float(last[f"{s}_cumulative_p50_usd"]) == bands[s]["p50_usd"]


def sections(ws: Any) -> list[list[tuple[Any, ...]]]:
    blocks: list[list[tuple[Any, ...]]] = [[]]
    for row in ws.iter_rows(values_only=True):
        if all(v is None for v in row):
            blocks.append([])
        else:
            blocks[-1].append(tuple(v for v in row))
    return [b for b in blocks if b]


def trim(row: tuple[Any, ...], n: int) -> tuple[Any, ...]:
    return row[:n]


def check_percentiles_sheet(data: bytes, doc: dict[str, Any]) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Summary", "Monthly", "Annual", "Inputs", "Prices", "Lifecycle events", "Percentiles"]
    ws = wb["Percentiles"]
    unc = doc["uncertainty"]
    items, strategies, ranges, tornado, months = sections(ws)

    assert trim(items[0], 3) == ("item", "value", "note")
    said = {row[0]: row[1] for row in items[1:]}
    assert said == {
        "draws": unc["draws"],
        "seed": unc["seed"],
        "tco_ratio.p10": unc["tco_ratio"]["p10"],
        "tco_ratio.p50": unc["tco_ratio"]["p50"],
        "tco_ratio.p90": unc["tco_ratio"]["p90"],
        "tornado.tco_ratio": unc["tornado"]["tco_ratio"],
        "win_probability": unc["win_probability"],
        "gate5_probability": unc["gate5_probability"],
        "summary": unc["summary"],
    }

    columns = ("strategy", "p10_usd", "p50_usd", "p90_usd", "mean_usd", "recommendation_share")
    assert trim(strategies[0], 6) == columns
    assert {row[0]: trim(row, 6)[1:] for row in strategies[1:]} == {
        s: (p["p10_usd"], p["p50_usd"], p["p90_usd"], p["mean_usd"], unc["recommendation_shares"][s])
        for s, p in unc["strategies"].items()
    }

    range_columns = ("path", "low", "mode", "high", "source")
    assert trim(ranges[0], 5) == range_columns
    assert [dict(zip(range_columns, trim(row, 5), strict=True)) for row in ranges[1:]] == unc["ranges"]

    tornado_columns = tuple(unc["tornado"]["inputs"][0])
    assert trim(tornado[0], len(tornado_columns)) == tornado_columns
    assert [dict(zip(tornado_columns, trim(r, len(tornado_columns)), strict=True)) for r in tornado[1:]] == unc[
        "tornado"
    ]["inputs"]

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [
            months[0],
            *(
                [int(r[0]), r[1], *(f"{x:.2f}" if isinstance(x, float | int) else x for x in r[2:] if x is not None)]
                for r in months[1:]
            ),
        ]
    )
    check_percentiles_csv(out.getvalue(), doc)

    assert all(cell.font.b for cell in ws[1] if cell.value is not None)
    assert ws.freeze_panes == "A2"
    labels = {row[0].value: row[1] for row in ws.iter_rows() if row[0].value is not None}
    assert labels["win_probability"].number_format == "0.0%"
    assert labels["tco_ratio.p50"].number_format == '0.00"x"'
    assert labels["prompting"].number_format == "#,##0.00"


def test_percentile_exports_of_a_posted_scenario_equal_its_json(client: TestClient) -> None:
    doc = client.post(f"{API}/estimate", params={"uncertainty": "true"}, json=moderation()).json()

    response = client.post(f"{API}/export.csv", params={"shape": "percentiles"}, json=moderation())
    assert response.status_code == 200
    disposition = 'attachment; filename="content-moderation-at-scale-percentiles.csv"'
    assert response.headers["content-disposition"] == disposition
    check_percentiles_csv(response.text, doc)

    xlsx = client.post(f"{API}/export.xlsx", params={"uncertainty": "true"}, json=moderation())
    check_percentiles_sheet(xlsx.content, doc)
    inputs = dict(openpyxl.load_workbook(io.BytesIO(xlsx.content))["Inputs"].iter_rows(min_row=2, values_only=True))
    assert (inputs["ranges.team.label_cost_usd.low"], inputs["ranges.team.label_cost_usd.high"]) == (5, 20)
    assert inputs["ranges.team.label_cost_usd.source"] == "002: 5-20 USD per example"
    assert (inputs["uncertainty.draws"], inputs["uncertainty.seed"]) == (2_000, 7)
    plain = client.post(f"{API}/export.xlsx", json=moderation())
    assert "Percentiles" not in openpyxl.load_workbook(io.BytesIO(plain.content)).sheetnames

    assert client.post(f"{API}/export.json", params={"uncertainty": "true"}, json=moderation()).json() == doc
    assert "uncertainty" not in client.post(f"{API}/export.json", json=moderation()).json()


def test_percentile_exports_of_a_revision_are_pinned(client: TestClient) -> None:
    sid = create(client, moderation())["id"]
    base = f"{API}/scenarios/{sid}"
    doc = saved_uncertainty(client, sid, 1)

    def files() -> tuple[str, bytes, dict[str, Any]]:
        return (
            client.get(f"{base}/export.csv", params={"shape": "percentiles", "revision": 1}).text,
            client.get(f"{base}/export.xlsx", params={"uncertainty": "true", "revision": 1}).content,
            client.get(f"{base}/export.json", params={"uncertainty": "true", "revision": 1}).json(),
        )

    before = files()
    check_percentiles_csv(before[0], doc)
    check_percentiles_sheet(before[1], doc)
    inputs = client.get(f"{base}/revisions/1").json()["inputs"]
    assert before[2] == {**doc, "revision": 1, "scenario": inputs}
    assert (
        client.get(f"{base}/export.csv", params={"shape": "percentiles"})
        .headers["content-disposition"]
        .endswith('-r1-percentiles.csv"')
    )

    client.put(base, json={"revision": 1, "scenario": moderation(uncertainty={"draws": 2_000, "seed": 8})})
    assert files() == before  # byte for byte, after an edit
    latest = client.get(f"{base}/export.csv", params={"shape": "percentiles"}).text
    assert latest != before[0]
    check_percentiles_csv(latest, saved_uncertainty(client, sid, 2))


def test_range_sources_are_text_never_formulas(client: TestClient) -> None:
    source = '=HYPERLINK("http://evil.example","x")'
    scenario = moderation(ranges={"team.label_cost_usd": {"low": 5, "high": 20, "source": source}})
    data = client.post(f"{API}/export.xlsx", params={"uncertainty": "true"}, json=scenario).content
    ws = openpyxl.load_workbook(io.BytesIO(data))["Percentiles"]
    [cell] = [c for row in ws.iter_rows() for c in row if c.value == source]
    assert cell.data_type == "s"


def test_a_percentiles_csv_needs_the_uncertainty() -> None:
    document = services.estimate_one(Scenario())
    with pytest.raises(exports.NoUncertainty):
        exports.csv_export(document, shape="percentiles")
    [summary] = services.estimate_all([Scenario()], detail="summary", uncertainty=True)
    with pytest.raises(exports.NoUncertainty):
        exports.csv_export(summary, shape="percentiles")
