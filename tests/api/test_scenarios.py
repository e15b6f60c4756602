"""Saved scenarios: every endpoint, the revision and conflict rules, frozen prices."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import saved
from app.engine import PriceSheet, Scenario
from app.presets import presets
from app.services import price

API = "/api/v1/scenarios"


def create(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = client.post(API, json=fields)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_is_revision_1_with_the_estimate_totals(client: TestClient) -> None:
    scenario = presets()["support-ticket-categorisation"].scenario.model_dump(mode="json")
    body = create(client, **scenario)
    assert (body["name"], body["latest_revision"], body["archived"]) == (scenario["name"], 1, False)
    revision = body["revision"]
    assert (revision["number"], revision["action"], revision["author"]) == (1, "created", "local")
    estimate = client.post("/api/v1/estimate", json=scenario).json()
    assert revision["totals"] == {k: v["total_usd"] for k, v in estimate["strategies"].items()}
    assert revision["recommendation"] == estimate["verdict"]["recommendation"] == "prompting"
    assert revision["tco_ratio"] == estimate["verdict"]["tco_ratio"]
    assert revision["inputs"] == Scenario.model_validate(scenario).model_dump(mode="json")
    assert revision["prices"]["catalog_version"] == estimate["catalog_version"] == revision["catalog_version"]


def test_read_and_404(client: TestClient) -> None:
    made = create(client, name="One")
    assert client.get(f"{API}/{made['id']}").json() == made
    assert client.get(f"{API}/999").status_code == 404
    assert client.get(f"{API}/0").status_code == 422


def test_edit_makes_revision_2_and_a_stale_edit_is_409_with_nothing_written(client: TestClient) -> None:
    made = create(client, name="Budget", horizon_months=36)
    sid = made["id"]
    edited = client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Budget v2", "horizon_months": 12}})
    assert edited.status_code == 200
    body = edited.json()
    assert (body["latest_revision"], body["name"], body["revision"]["action"]) == (2, "Budget v2", "edited")
    assert body["revision"]["totals"]["prompting"] < made["revision"]["totals"]["prompting"]

    stale = client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Lost update"}})
    assert stale.status_code == 409
    assert "latest is 2" in stale.json()["detail"]
    after = client.get(f"{API}/{sid}").json()
    assert (after["latest_revision"], after["name"]) == (2, "Budget v2")
    assert [r["number"] for r in client.get(f"{API}/{sid}/revisions").json()] == [1, 2]


def test_two_editors_of_the_same_revision_one_wins(client: TestClient) -> None:
    sid = create(client, name="Shared")["id"]
    first = client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Alice"}})
    second = client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Bob"}})
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    assert client.get(f"{API}/{sid}").json()["name"] == "Alice"


def test_edit_validates_like_estimate(client: TestClient) -> None:
    sid = create(client, name="X")["id"]
    response = client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"workload": {"input_tokens": -1}}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == "scenario.workload.input_tokens"
    response = client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"prompting": {"model": "x:y"}}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == "prompting.model"
    assert client.get(f"{API}/{sid}").json()["latest_revision"] == 1
    assert client.put(f"{API}/999", json={"revision": 1, "scenario": {}}).status_code == 404


def test_archive_hides_restore_returns_nothing_lost(client: TestClient) -> None:
    sid = create(client, name="Old")["id"]
    create(client, name="Kept")
    archived = client.delete(f"{API}/{sid}")
    assert archived.status_code == 200 and archived.json()["archived"] is True
    names = lambda archived: [i["name"] for i in client.get(API, params={"archived": archived}).json()["items"]]  # noqa: E731
    assert names("false") == ["Kept"]
    assert names("true") == ["Old"]
    assert sorted(names("all")) == ["Kept", "Old"]
    assert client.get(f"{API}/{sid}").json()["revision"]["number"] == 1  # still readable
    restored = client.post(f"{API}/{sid}/restore")
    assert restored.json()["archived"] is False
    assert sorted(names("false")) == ["Kept", "Old"]
    assert client.delete(f"{API}/999").status_code == 404


def test_list_search_sort_and_paging(client: TestClient) -> None:
    for preset in presets().values():
        create(client, **preset.scenario.model_dump(mode="json"))
    create(client, name="100% literal_name")
    saved = len(presets()) + 1
    page = client.get(API, params={"limit": 2}).json()
    assert page["total"] == saved and len(page["items"]) == 2
    assert page["items"][0]["name"] == "100% literal_name"  # newest first
    rest = client.get(API, params={"limit": 10, "offset": 2}).json()["items"]
    assert len(rest) == saved - 2
    assert [i["name"] for i in client.get(API, params={"search": "LEGAL"}).json()["items"]] == [
        "Legal clause extraction"
    ]
    assert client.get(API, params={"search": "0%"}).json()["total"] == 1  # % is literal, not a wildcard
    assert client.get(API, params={"search": "l_t"}).json()["total"] == 0  # _ too
    by_name = [i["name"].lower() for i in client.get(API, params={"sort": "name"}).json()["items"]]
    assert by_name == sorted(by_name)
    by_tco = [i["revision"]["tco_ratio"] for i in client.get(API, params={"sort": "tco"}).json()["items"]]
    assert by_tco[0] == max(by_tco)
    recommendations = [
        i["revision"]["recommendation"] for i in client.get(API, params={"sort": "recommendation"}).json()["items"]
    ]
    assert recommendations == sorted(recommendations)
    assert client.get(API, params={"sort": "nope"}).status_code == 422


def test_revisions_and_their_estimates_never_change(client: TestClient) -> None:
    sid = create(client, name="Pinned", horizon_months=24)["id"]
    first = client.get(f"{API}/{sid}/estimate").json()
    client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Pinned", "horizon_months": 6}})
    assert client.get(f"{API}/{sid}/estimate", params={"revision": 1}).json() == first
    latest = client.get(f"{API}/{sid}/estimate").json()
    assert latest["horizon_months"] == 6
    one = client.get(f"{API}/{sid}/revisions/1").json()
    assert one["inputs"]["horizon_months"] == 24 and one["number"] == 1
    assert client.get(f"{API}/{sid}/revisions/3").status_code == 404
    assert client.get(f"{API}/{sid}/estimate", params={"revision": 7}).status_code == 404


@pytest.fixture
def old_catalog(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Save as if the catalog priced gpt-4o input at 99 USD per 1M (yesterday's catalog)."""

    def old_price(scenario: Scenario, *, prefix: str = "") -> PriceSheet:
        sheet = price(scenario, prefix=prefix)
        old = sheet.prompting.model_copy(update={"input": 99.0})
        return sheet.model_copy(update={"prompting": old, "catalog_version": "old-catalog"})

    monkeypatch.setattr(saved, "price", old_price)
    return monkeypatch


def _prompting_input(client: TestClient, sid: int, revision: int) -> float:
    doc = client.get(f"{API}/{sid}/estimate", params={"revision": revision}).json()
    return float(doc["prices_used"]["prompting"]["values"]["input"])


def test_edit_keeps_frozen_prices_of_unchanged_ids_reprice_moves_to_today(
    client: TestClient, old_catalog: pytest.MonkeyPatch
) -> None:
    sid = create(client, name="Frozen")["id"]
    old_catalog.undo()  # the catalog has moved on since revision 1
    client.put(f"{API}/{sid}", json={"revision": 1, "scenario": {"name": "Frozen", "horizon_months": 24}})
    assert _prompting_input(client, sid, 2) == 99.0  # same model id: its frozen price stays
    assert client.get(f"{API}/{sid}/revisions/2").json()["catalog_version"] == "old-catalog"

    other = {"name": "Frozen", "prompting": {"model": "openai:gpt-4.1"}}
    client.put(f"{API}/{sid}", json={"revision": 2, "scenario": other})
    assert _prompting_input(client, sid, 3) == 2.0  # a newly chosen model: today's catalog
    assert "old-catalog; new ids at genai-prices" in client.get(f"{API}/{sid}/revisions/3").json()["catalog_version"]

    stale = client.post(f"{API}/{sid}/reprice", json={"revision": 2})
    assert stale.status_code == 409
    repriced = client.post(f"{API}/{sid}/reprice", json={"revision": 3}).json()
    assert (repriced["latest_revision"], repriced["revision"]["action"]) == (4, "repriced")
    assert repriced["revision"]["inputs"] == client.get(f"{API}/{sid}/revisions/3").json()["inputs"]
    assert repriced["revision"]["catalog_version"].startswith("genai-prices")
    assert _prompting_input(client, sid, 1) == 99.0  # the old revisions keep their figures


def test_reprice_at_today_changes_the_totals_and_keeps_the_old(
    client: TestClient, old_catalog: pytest.MonkeyPatch
) -> None:
    made = create(client, name="Repriced")
    old_catalog.undo()
    repriced = client.post(f"{API}/{made['id']}/reprice", json={"revision": 1}).json()
    assert repriced["revision"]["totals"]["prompting"] < made["revision"]["totals"]["prompting"]
    assert client.get(f"{API}/{made['id']}/revisions/1").json()["totals"] == made["revision"]["totals"]
    assert client.post(f"{API}/999/reprice", json={"revision": 1}).status_code == 404
