"""Synthetic labels on the calculator and in the JSON API (issue 20): the fields, the generator in the
prices used, 002's caveat under gate 6, and a refusal beside the field that caused it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from htmlkit import dom

from app.engine.scenario import DEFAULT_API_MODEL

SYNTHETIC = {"fine_tuning.labels_source": "synthetic", "start_month": "2026-12"}


def test_the_form_offers_the_three_sources_and_says_what_002_asks(calculator: TestClient) -> None:
    page = dom(calculator.get("/").text)
    group = page.find("details", id="group-fine_tuning")
    select = group.find("select", id="f-fine_tuning__labels_source")
    assert [o.attrs["value"] for o in select.find_all("option")] == ["human", "synthetic", "mixed"]
    assert "terms of service" in group.text() and "validated" in group.text()
    for name in ("synthetic_share", "synthetic_prompt_tokens", "synthetic_review_share", "synthetic_model"):
        assert group.find("input", id=f"f-fine_tuning__{name}") is not None


def test_the_page_shows_the_generator_and_the_caveat_under_gate_6(calculator: TestClient) -> None:
    page = dom(calculator.get("/", params=SYNTHETIC).text)
    gates = page.find("ol", class_="gates").text()
    assert f"Synthetic labels (all of the training set, from {DEFAULT_API_MODEL}, 10% checked by a person)" in gates
    assert "terms of service" in gates


def test_a_generator_shut_down_at_the_start_is_refused_beside_its_field(calculator: TestClient) -> None:
    params = {**SYNTHETIC, "start_month": "2027-02", "fine_tuning.synthetic_model": "openai:gpt-4o"}
    response = calculator.get("/", params=params)
    assert response.status_code == 422
    page = dom(response.text)
    assert "shut down on 2027-01-14" in page.find("p", id="err-fine_tuning__synthetic_model").text()
    assert page.find("input", id="f-fine_tuning__synthetic_model").attrs["value"] == "openai:gpt-4o"  # kept


def test_the_api_prices_the_generator_and_refuses_a_dead_one(calculator: TestClient) -> None:
    body = {"start_month": "2026-12", "fine_tuning": {"labels_source": "mixed", "synthetic_share": 0.25}}
    doc = calculator.post("/api/v1/estimate", json=body).json()
    assert doc["prices_used"]["synthetic"]["id"] == DEFAULT_API_MODEL  # prompting's model
    assert "Synthetic labels (25% of the training set" in doc["verdict"]["gates"][5]["reason"]
    dead = {"start_month": "2027-02", "fine_tuning": {"labels_source": "synthetic", "synthetic_model": "openai:gpt-4o"}}
    response = calculator.post("/api/v1/estimate", json=dead)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == "fine_tuning.synthetic_model" and "shut down on 2027-01-14" in error["msg"]
    wrong = calculator.post("/api/v1/estimate", json={"fine_tuning": {"labels_source": "robots"}})
    assert wrong.status_code == 422
    assert "fine_tuning" in str(wrong.json()["detail"][0]["loc"])
