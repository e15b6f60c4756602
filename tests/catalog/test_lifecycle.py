"""Model lifecycles in the catalog: the vendors' announced dates, validated, and shown on the catalog API and page.

The facts asserted here are the ones pricing/*.yaml cites (read 2026-12-02): a change of them is a
change of the sources, made on purpose.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from app.catalog import PRICING_DIR, Catalog, CatalogError, load_catalog
from app.main import create_app
from app.settings import Settings

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _pricing_with(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    target = tmp_path / "pricing"
    shutil.copytree(PRICING_DIR, target)
    (target / "zz-test.yaml").write_text(yaml.safe_dump({"entries": entries}, sort_keys=False))
    return target


def _life(**dates: Any) -> dict[str, Any]:
    return {"source": "https://vendor.example/deprecations", "as_of": "2026-12-02", **dates}


def _errors(tmp_path: Path, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with pytest.raises(CatalogError) as info:
        Catalog(_pricing_with(tmp_path, entries))
    return info.value.errors


# --- the facts ---


@pytest.mark.parametrize(
    ("id", "shutdown", "successor"),
    [
        ("openai:gpt-4o", "2027-01-14", "openai:gpt-6-luna"),
        ("openai:gpt-4o-mini", "2027-01-14", "openai:gpt-6-luna"),
        ("openai:gpt-4.1", "2027-01-14", "openai:gpt-6-luna"),
        ("openai:gpt-4.1-mini", "2027-01-14", "openai:gpt-6-luna"),
        ("openai:gpt-4.1-nano", "2026-10-23", "openai:gpt-5.6-luna"),
        ("openai:gpt-5", "2026-12-11", "openai:gpt-6.1-sol"),
        ("openai:gpt-5-mini", "2026-12-11", "openai:gpt-6.1-terra"),
        ("openai:o3", "2026-12-11", "openai:gpt-5.6-sol"),
        ("anthropic:claude-sonnet-4-5", "2026-11-30", "anthropic:claude-sonnet-5-5"),
        ("google:gemini-2.5-pro", "2026-12-01", "google:gemini-3.8-flash"),
    ],
)
def test_announced_shutdowns_and_successors(catalog: Catalog, id: str, shutdown: str, successor: str) -> None:
    life = catalog.get(id).lifecycle
    assert life is not None and life.shutdown_on == D(shutdown) and life.successor == successor
    assert life.source.startswith("https://") and life.as_of == D("2026-12-02")
    assert catalog.get(id).deprecated  # listed last, badged on the catalog page


@pytest.mark.parametrize(
    "tune", ["openai:ft:gpt-4o", "openai:ft:gpt-4o-mini", "openai:ft:gpt-4.1", "openai:ft:gpt-4.1-mini"]
)
def test_openai_tunes_take_no_job_from_2027_01_06_and_die_with_their_base(catalog: Catalog, tune: str) -> None:
    life = catalog.get(tune).lifecycle
    assert life is not None
    assert (life.training_ends_on, life.shutdown_on, life.successor) == (D("2027-01-06"), D("2027-01-14"), None)
    base = catalog.get(tune.replace("ft:", "")).lifecycle
    assert base is not None and base.shutdown_on == life.shutdown_on


def test_a_lifecycle_keeps_the_prices_and_their_source(catalog: Catalog) -> None:
    """openai:gpt-4o's prices still come from genai-prices, with genai-prices' source and date."""
    entry = catalog.get("openai:gpt-4o")
    assert (entry.input, entry.cached_input, entry.output) == (2.5, 1.25, 10.0)
    assert entry.source != entry.lifecycle.source  # type: ignore[union-attr]
    assert entry.as_of == catalog.reference_date
    assert entry.origin == "genai-prices+pricing/lifecycle.yaml"


def test_current_frontier_models_announce_no_end(catalog: Catalog) -> None:
    for id in ("openai:gpt-6-luna", "openai:gpt-6.1-sol", "anthropic:claude-sonnet-5-5", "google:gemini-3.8-flash"):
        assert catalog.get(id).lifecycle is None, id


def test_the_sentence_pages_show(catalog: Catalog) -> None:
    life = catalog.get("openai:gpt-4o").lifecycle
    assert life is not None
    assert life.sentence(lambda id: id.partition(":")[2]) == "shuts down 2027-01-14; successor gpt-6-luna"
    tune = catalog.get("openai:ft:gpt-4o-mini").lifecycle
    assert tune is not None
    assert tune.sentence() == "shuts down 2027-01-14; no new fine-tuning jobs from 2027-01-06"


# --- bad data: a clear error naming the file, the entry and the field ---


def test_a_date_that_cannot_be_parsed(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path, [{"id": "openai:gpt-6-luna", "kind": "llm", "lifecycle": _life(shutdown_on="2027-13-01")}]
    )
    assert [e["loc"] for e in errors] == [("pricing", "zz-test.yaml", "entries", 0, "lifecycle", "shutdown_on")]


def test_dates_out_of_order(tmp_path: Path) -> None:
    life = _life(deprecated_on="2027-02-01", shutdown_on="2027-01-14")
    errors = _errors(tmp_path, [{"id": "openai:gpt-6-luna", "kind": "llm", "lifecycle": life}])
    assert errors[0]["loc"][:5] == ("pricing", "zz-test.yaml", "entries", 0, "lifecycle")
    assert "deprecated_on 2027-02-01 is after shutdown_on 2027-01-14" in errors[0]["msg"]


def test_a_lifecycle_with_no_date(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path, [{"id": "openai:gpt-6-luna", "kind": "llm", "lifecycle": _life(successor="openai:gpt-6.1-sol")}]
    )
    assert "at least one of deprecated_on, shutdown_on, training_ends_on" in errors[0]["msg"]


def test_an_unknown_successor_lists_the_closest(tmp_path: Path) -> None:
    life = _life(shutdown_on="2027-06-01", successor="openai:gpt-6.1-sool")
    errors = _errors(tmp_path, [{"id": "openai:gpt-6-luna", "kind": "llm", "lifecycle": life}])
    assert [e["loc"] for e in errors] == [("pricing", "zz-test.yaml", "openai:gpt-6-luna", "lifecycle", "successor")]
    assert errors[0]["msg"].startswith(
        "successor 'openai:gpt-6.1-sool' is not in the catalog; closest: openai:gpt-6.1-sol"
    )


def test_a_successor_of_another_kind(tmp_path: Path) -> None:
    life = _life(shutdown_on="2027-06-01", successor="openai:text-embedding-3-small")
    errors = _errors(tmp_path, [{"id": "openai:gpt-6-luna", "kind": "llm", "lifecycle": life}])
    assert [e["msg"] for e in errors] == [
        "successor 'openai:text-embedding-3-small' is an embedding; 'openai:gpt-6-luna' is an llm"
    ]


def test_successors_that_form_a_cycle(tmp_path: Path) -> None:
    entries = [
        {
            "id": "openai:gpt-6-luna",
            "kind": "llm",
            "lifecycle": _life(shutdown_on="2027-06-01", successor="openai:gpt-6.1-sol"),
        },
        {
            "id": "openai:gpt-6.1-sol",
            "kind": "llm",
            "lifecycle": _life(shutdown_on="2027-07-01", successor="openai:gpt-6-luna"),
        },
    ]
    messages = [e["msg"] for e in _errors(tmp_path, entries)]
    assert "successors form a cycle: openai:gpt-6-luna -> openai:gpt-6.1-sol -> openai:gpt-6-luna" in messages


def test_a_new_entry_with_only_a_lifecycle_needs_its_own_source(tmp_path: Path) -> None:
    errors = _errors(tmp_path, [{"id": "acme:model-1", "kind": "llm", "lifecycle": _life(shutdown_on="2027-01-01")}])
    assert errors[0]["loc"] == ("pricing", "zz-test.yaml", "entries", 0, "source")


def test_prices_without_their_own_source_are_refused(tmp_path: Path) -> None:
    entry = {
        "id": "openai:gpt-6-luna",
        "kind": "llm",
        "batch_discount": 0.5,
        "lifecycle": _life(shutdown_on="2027-06-01"),
    }
    errors = _errors(tmp_path, [entry])
    assert "source and as_of are needed" in errors[0]["msg"]


# --- where people see it ---


def test_the_catalog_api_carries_the_lifecycle() -> None:
    client = TestClient(create_app(Settings(database_url="sqlite://", seed_presets=False)))
    body = client.get("/api/v1/catalog/openai:ft:gpt-4o").json()
    assert body["lifecycle"] == {
        "deprecated_on": "2026-10-14",
        "shutdown_on": "2027-01-14",
        "training_ends_on": "2027-01-06",
        "successor": None,
        "source": "https://developers.openai.com/api/docs/deprecations",
        "as_of": "2026-12-02",
        "note": body["lifecycle"]["note"],
    }
    assert client.get("/api/v1/catalog/openai:gpt-6-luna").json()["lifecycle"] is None


def test_the_catalog_page_says_when_a_model_shuts_down_and_what_replaces_it() -> None:
    client = TestClient(create_app(Settings(database_url="sqlite://", seed_presets=False)))
    page = client.get("/catalog", params={"q": "gpt-4o-mini", "kind": "llm"}).text
    assert "shuts down 2027-01-14; successor gpt-6-luna" in page
    assert 'href="https://developers.openai.com/api/docs/deprecations"' in page
