"""POST /estimate, /validate, /estimate/batch; the catalog and presets; errors by field path."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.engine import Estimate, Scenario, estimate
from app.presets import presets
from app.services import price

API = "/api/v1"


def test_estimate_equals_the_engine_to_the_cent(client: TestClient) -> None:
    scenario = presets()["content-moderation"].scenario
    response = client.post(f"{API}/estimate", json=scenario.model_dump(mode="json"))
    assert response.status_code == 200
    document = Estimate.model_validate(response.json())
    assert document == estimate(scenario, price(scenario))
    assert document.verdict.recommendation == "fine_tuning"


def test_empty_scenario_is_valid(client: TestClient) -> None:
    response = client.post(f"{API}/estimate", json={})
    assert response.status_code == 200
    assert set(response.json()["strategies"]) == {"prompting", "rag", "fine_tuning"}


def test_validate_fills_defaults_without_estimating(client: TestClient) -> None:
    response = client.post(f"{API}/validate", json={"horizon_months": 12})
    assert response.json() == {"valid": True, "scenario": Scenario(horizon_months=12).model_dump(mode="json")}


def test_bad_fields_are_named_by_path(client: TestClient) -> None:
    body = {"workload": {"input_tokens": -1, "monthly_growth": 5}, "horizon_months": 0, "extra": 1}
    response = client.post(f"{API}/estimate", json=body)
    assert response.status_code == 422
    locs = {e["loc"] for e in response.json()["detail"]}
    assert locs == {"workload.input_tokens", "workload.monthly_growth", "horizon_months", "extra"}


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400"])
def test_nan_and_infinity_are_422_not_500(client: TestClient, value: str) -> None:
    body = '{"team": {"engineer_week_usd": ' + value + "}}"
    response = client.post(f"{API}/estimate", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"].startswith("team.engineer_week_usd")


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(f"{API}/estimate", content=b'{"workload": ', headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_unknown_model_lists_closest_ids(client: TestClient) -> None:
    response = client.post(f"{API}/estimate", json={"prompting": {"model": "openai:gpt-4oo"}})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == "prompting.model"
    assert "openai:gpt-4o" in error["msg"]


def test_batch_equals_single_estimates(client: TestClient) -> None:
    scenarios = [p.scenario.model_dump(mode="json") for p in presets().values()]
    response = client.post(f"{API}/estimate/batch", params={"detail": "full"}, json={"scenarios": scenarios})
    assert response.status_code == 200
    batch = response.json()["estimates"]
    singles = [client.post(f"{API}/estimate", json=s).json() for s in scenarios]
    assert batch == singles


def test_batch_summary_drops_monthly_series(client: TestClient) -> None:
    response = client.post(f"{API}/estimate/batch", json={"scenarios": [{}, {"horizon_months": 12}]})
    first, second = response.json()["estimates"]
    assert "monthly" not in first["strategies"]["prompting"]
    assert first["strategies"]["prompting"]["total_usd"] > second["strategies"]["prompting"]["total_usd"]


def test_batch_errors_name_the_scenario(client: TestClient) -> None:
    body = {"scenarios": [{}, {"prompting": {"model": "nope:model"}}]}
    response = client.post(f"{API}/estimate/batch", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == "scenarios.1.prompting.model"


def test_batch_limit(client: TestClient) -> None:
    response = client.post(f"{API}/estimate/batch", json={"scenarios": [{}] * 51})
    assert response.status_code == 422
    assert "at most 50" in response.json()["detail"][0]["msg"]


def test_sweep_of_volume(client: TestClient) -> None:
    values = [10_000, 1_000_000, 100_000_000]
    body = {"scenario": {}, "sweep": {"field": "workload.requests_per_month", "values": values}}
    response = client.post(f"{API}/estimate/batch", json=body)
    assert response.status_code == 200
    data = response.json()
    assert data["values"] == values
    ratios = [e["verdict"]["tco_ratio"] for e in data["estimates"]]
    assert ratios == sorted(ratios)
    single = client.post(f"{API}/estimate", json={"workload": {"requests_per_month": 1_000_000}}).json()
    assert data["estimates"][1]["verdict"] == single["verdict"]


@pytest.mark.parametrize(
    ("sweep", "loc"),
    [
        ({"field": "task.kind", "values": [1]}, "sweep.field"),
        ({"field": "nope.field", "values": [1]}, "sweep.field"),
        ({"field": "horizon_months", "values": [12, 500]}, "sweep.values.1"),
    ],
)
def test_bad_sweeps(client: TestClient, sweep: dict[str, object], loc: str) -> None:
    response = client.post(f"{API}/estimate/batch", json={"scenario": {}, "sweep": sweep})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_batch_needs_one_shape(client: TestClient) -> None:
    assert client.post(f"{API}/estimate/batch", json={}).status_code == 422
    both = {"scenarios": [{}], "scenario": {}, "sweep": {"field": "horizon_months", "values": [1]}}
    assert client.post(f"{API}/estimate/batch", json=both).status_code == 422


def test_oversized_body_is_413(client: TestClient) -> None:
    body = b'{"name": "' + b"x" * 300_000 + b'"}'
    response = client.post(f"{API}/estimate", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_catalog_search_and_entry(client: TestClient) -> None:
    page = client.get(f"{API}/catalog", params={"search": "h100", "kind": "gpu"}).json()
    assert page["total"] == len(page["entries"]) >= 2
    assert all(e["kind"] == "gpu" and e["source"] and e["as_of"] for e in page["entries"])
    entry = client.get(f"{API}/catalog/openai:gpt-4o").json()
    assert (entry["input"], entry["output"]) == (2.5, 10.0)
    missing = client.get(f"{API}/catalog/openai:gpt-4oo")
    assert missing.status_code == 404
    assert "openai:gpt-4o" in missing.json()["detail"]
    assert client.get(f"{API}/catalog", params={"kind": "nope"}).status_code == 422


def test_presets(client: TestClient) -> None:
    listed = client.get(f"{API}/presets").json()
    assert {p["slug"] for p in listed} == set(presets())
    one = client.get(f"{API}/presets/support-ticket-categorisation").json()
    assert one["seed"] == "001_59553dbd3b622bb7.txt"
    assert client.get(f"{API}/presets/nope").status_code == 404
