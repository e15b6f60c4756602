"""The price catalog: data validity, real values, id resolution, and its error messages."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

import app.catalog as catalog_module
from app.catalog import (
    PIN_FILE,
    PRICING_DIR,
    SCHEMA_FILE,
    Catalog,
    CatalogError,
    GenaiPricesPin,
    PricingEntry,
    PricingFile,
    UnknownCatalogId,
    load_catalog,
    schema_text,
)
from app.engine.scenario import Scenario

YAML_FILES = sorted(p for p in PRICING_DIR.glob("*.yaml") if p.name != PIN_FILE)


def _entries() -> list[tuple[str, PricingEntry]]:
    return [(p.name, e) for p in YAML_FILES for e in PricingFile.model_validate(yaml.safe_load(p.read_text())).entries]


def _pricing_copy(tmp_path: Path) -> Path:
    target = tmp_path / "pricing"
    shutil.copytree(PRICING_DIR, target)
    return target


def _add_file(pricing: Path, name: str, entries: list[dict[str, object]]) -> None:
    (pricing / name).write_text(yaml.safe_dump({"entries": entries}, sort_keys=False))


def _locs(exc: CatalogError) -> list[tuple[object, ...]]:
    return [e["loc"] for e in exc.errors]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# --- the data ---------------------------------------------------------------------------


def test_every_pricing_file_validates() -> None:
    assert len(YAML_FILES) >= 5
    for path in YAML_FILES:
        PricingFile.model_validate(yaml.safe_load(path.read_text()))
    pin = GenaiPricesPin.model_validate(yaml.safe_load((PRICING_DIR / PIN_FILE).read_text()))
    assert pin.version == "0.2.3"
    assert pin.reference_date == dt.date(2026, 11, 23)


def test_extra_fields_are_rejected() -> None:
    good = {
        "id": "x:gpu",
        "kind": "gpu",
        "gpu_hour_usd": 1.0,
        "serving_tokens_per_second": 100.0,
        "training_tokens_per_second": 10.0,
        "source": "https://example.com",
        "as_of": "2026-01-01",
    }
    PricingEntry.model_validate(good)
    with pytest.raises(ValidationError) as info:
        PricingEntry.model_validate({**good, "discount": 0.1})
    assert info.value.errors()[0]["type"] == "extra_forbidden"
    with pytest.raises(ValidationError, match="input not allowed for kind 'gpu'"):
        PricingEntry.model_validate({**good, "input": 1.0})
    with pytest.raises(ValidationError, match="kind 'fine_tune' needs deployments"):
        PricingEntry.model_validate(
            {
                **good,
                "kind": "fine_tune",
                "gpu_hour_usd": None,
                "serving_tokens_per_second": None,
                "training_tokens_per_second": None,
            }
        )


def test_a_bad_entry_stops_the_catalog_with_its_location(tmp_path: Path) -> None:
    pricing = _pricing_copy(tmp_path)
    _add_file(
        pricing,
        "zz-bad.yaml",
        [
            {
                "id": "acme:plan",
                "kind": "vector_db",
                "monthly_usd": 5,
                "seats": 3,
                "source": "https://acme.example",
                "as_of": "2026-01-01",
            }
        ],
    )
    with pytest.raises(CatalogError) as info:
        Catalog(pricing)
    assert ("pricing", "zz-bad.yaml", "entries", 0, "seats") in _locs(info.value)


def test_every_entry_has_a_source_and_a_date(catalog: Catalog) -> None:
    for _, entry in _entries():  # an entry adding only a lifecycle to genai-prices has the lifecycle's
        source, as_of = (entry.source, entry.as_of) if entry.source else (entry.lifecycle.source, entry.lifecycle.as_of)  # type: ignore[union-attr]
        assert source.startswith("https://")
        assert isinstance(as_of, dt.date)
    for entry in catalog:
        assert entry.source and isinstance(entry.as_of, dt.date), entry.id


def test_no_id_is_in_two_files(tmp_path: Path) -> None:
    counts = Counter(e.id for _, e in _entries())
    assert [i for i, n in counts.items() if n > 1] == []
    pricing = _pricing_copy(tmp_path)
    _add_file(
        pricing,
        "zz-dup.yaml",
        [
            {
                "id": "pinecone:standard",
                "kind": "vector_db",
                "monthly_usd": 1,
                "source": "https://acme.example",
                "as_of": "2026-01-01",
            }
        ],
    )
    with pytest.raises(
        CatalogError, match=re.escape("duplicate id 'pinecone:standard', already in pricing/vector-dbs.yaml")
    ):
        Catalog(pricing)


def test_extensions_never_contradict_genai_prices(tmp_path: Path) -> None:
    genai = catalog_module._genai_entries("0.2.3", dt.date(2026, 11, 23))
    extended = [e for _, e in _entries() if e.id in genai]
    assert {e.id for e in extended} >= {"openai:ft:gpt-4o-mini", "openai:ft:gpt-4o"}
    for entry in extended:
        for field in ("input", "cached_input", "output", "batch_discount"):
            ours, theirs = getattr(entry, field), getattr(genai[entry.id], field)
            assert ours is None or theirs is None or ours == pytest.approx(theirs), (entry.id, field)
    pricing = _pricing_copy(tmp_path)
    _add_file(
        pricing,
        "zz-contra.yaml",
        [
            {
                "id": "openai:gpt-6-luna",
                "kind": "llm",
                "input": 2.0,
                "source": "https://acme.example",
                "as_of": "2026-01-01",
            }
        ],
    )
    with pytest.raises(CatalogError, match=r"input 2.0 contradicts genai-prices \(0.1\)"):
        Catalog(pricing)


def test_schema_json_is_current() -> None:
    current = (PRICING_DIR / SCHEMA_FILE).read_text()
    assert current == schema_text(), "pricing/schema.json is stale: run `python -m app.catalog --write-schema`"


# --- values -----------------------------------------------------------------------------


def test_genai_prices_values(catalog: Catalog) -> None:
    gpt4o = catalog.get("openai:gpt-4o")
    assert (gpt4o.kind, gpt4o.input, gpt4o.cached_input, gpt4o.output) == ("llm", 2.5, 1.25, 10.0)
    assert gpt4o.batch_discount == 0.5
    # its prices are genai-prices', dated by the pin; pricing/lifecycle.yaml adds only its lifecycle
    assert gpt4o.origin == "genai-prices+pricing/lifecycle.yaml" and gpt4o.as_of == dt.date(2026, 11, 23)
    assert gpt4o.source == "https://developers.openai.com/api/docs/pricing"
    assert catalog.get("openai:text-embedding-3-small").kind == "embedding"
    assert catalog.get("openai:text-embedding-3-small").input == 0.02
    assert catalog.get("voyageai:voyage-3.5").kind == "embedding"
    assert catalog.get("together:meta-llama/Meta-Llama-3-8B-Instruct-Lite").input == 0.1  # 002's 0.10 host
    # Time-of-day prices resolve at noon UTC (DeepSeek's standard hours), tiers at their base.
    deepseek = catalog.get("deepseek:deepseek-chat")
    assert (deepseek.input, deepseek.output) == (0.27, 1.1) and "12:00 UTC" in (deepseek.note or "")
    assert "base tier" in (catalog.get("anthropic:claude-sonnet-4-5").note or "")
    # Models without a per-token price are left out.
    assert "openai:whisper-1" not in catalog and "openai:tts-1" not in catalog


def test_yaml_values(catalog: Catalog) -> None:
    ft = catalog.get("openai:ft:gpt-4o-mini")
    assert (ft.kind, ft.input, ft.output, ft.training, ft.deployments) == ("fine_tune", 0.3, 1.2, 3.0, ("hosted",))
    assert ft.batch_discount == 0.5  # from genai-prices' batch variant
    assert ft.origin == "genai-prices+pricing/openai.yaml"
    nano = catalog.get("openai:ft:gpt-4.1-nano")
    assert (nano.input, nano.cached_input, nano.output, nano.training) == (0.2, 0.05, 0.8, 1.5)
    assert nano.origin == "pricing/openai.yaml"
    gpu = catalog.get("lambda:h100-80gb")
    assert (gpu.kind, gpu.gpu_hour_usd, gpu.input) == ("gpu", 4.29, None)  # lambda.ai/pricing, 2026-09
    assert gpu.serving_tokens_per_second and gpu.training_tokens_per_second
    assert catalog.get("pinecone:standard").monthly_usd == 50
    assert catalog.get("cohere:rerank-v3.5").usd_per_1k_requests == 2.0
    assert catalog.get("cohere:rerank-v3.5").deprecated
    assert catalog.get("cohere:rerank-v4.0-pro").usd_per_1k_requests == 2.5
    assert catalog.get("fireworks:llama-v3p1-8b-instruct").batch_discount == 0.5
    assert catalog.get("fireworks:llama-v3p1-8b-instruct-lora").deployments == ("dedicated",)  # no serverless LoRA


def test_the_reference_date_decides_dated_prices(tmp_path: Path) -> None:
    pricing = _pricing_copy(tmp_path)
    pin = (pricing / PIN_FILE).read_text().replace("reference_date: 2026-11-23", "reference_date: 2026-08-01")
    (pricing / PIN_FILE).write_text(pin)
    earlier = Catalog(pricing)
    assert earlier.get("deepseek:deepseek-v4-pro").input == 0.435  # price before 2026-08-17
    assert load_catalog().get("deepseek:deepseek-v4-pro").input == 0.66
    assert earlier.get("openai:gpt-4o").as_of == dt.date(2026, 8, 1)


# --- ids --------------------------------------------------------------------------------


def test_unknown_id_lists_the_closest_and_returns_nothing(catalog: Catalog) -> None:
    with pytest.raises(UnknownCatalogId) as info:
        catalog.get("openai:gpt-4x")
    exc = info.value
    assert exc.id == "openai:gpt-4x"
    assert "openai:gpt-4o" in exc.closest and len(exc.closest) <= 5
    assert str(exc).startswith("unknown catalog id 'openai:gpt-4x'; closest: openai:")
    assert isinstance(exc, LookupError)
    with pytest.raises(UnknownCatalogId, match="no close match"):
        catalog.get("zzzz:qqqq")
    with pytest.raises(CatalogError) as sheet_info:
        catalog.price_sheet(Scenario.model_validate({"prompting": {"model": "openai:gpt-4x"}}))
    [error] = sheet_info.value.errors
    assert error["loc"] == ("prompting", "model") and "closest: openai:" in error["msg"]


def test_search(catalog: Catalog) -> None:
    hits = catalog.search("GPT-4O", kind="llm")
    assert hits and all("gpt-4o" in (e.id + e.name).lower() and e.kind == "llm" for e in hits)
    flags = [e.deprecated for e in catalog.search("llama-3.1-8b")]
    assert True in flags and flags == sorted(flags)  # deprecated last
    gpus = [e.id for e in catalog.search(kind="gpu")]
    assert "lambda:h100-80gb" in gpus and "modal:l4" in gpus
    assert [e.id for e in catalog.search("h100", kind="gpu", limit=1)] == ["lambda:h100-80gb"]
    assert len(catalog.search(limit=3)) == 3
    assert catalog.ids() == sorted(catalog.ids()) and len(catalog.ids()) == len(catalog)
    with pytest.raises(ValueError, match="unknown kind"):
        catalog.search(kind="model")


# --- price sheets -----------------------------------------------------------------------


def test_default_scenario_resolves_to_a_full_sheet(catalog: Catalog) -> None:
    sheet = catalog.price_sheet(Scenario())
    assert sheet.catalog_version == catalog.version
    assert (sheet.prompting.id, sheet.prompting.input, sheet.prompting.output) == ("openai:gpt-6.2-sol", 2.0, 10.0)
    assert sheet.prompting.batch_discount == 0.5 and sheet.prompting.cached_input == 0.1
    assert sheet.rag is not None and sheet.rag.id == "openai:gpt-6.2-sol"
    assert sheet.embedding is not None and sheet.embedding.input == 0.02
    assert sheet.vector_db is not None and sheet.vector_db.monthly_usd == 50
    assert sheet.reranker is None
    assert (sheet.fine_tuning.id, sheet.fine_tuning.training) == ("tinker:qwen3-8b-lora", 0.44)
    assert (sheet.fine_tuning.input, sheet.fine_tuning.cached_input, sheet.fine_tuning.output) == (0.195, 0.039, 0.6)
    assert sheet.prompting.successor is None and sheet.fine_tuning.successor is None  # nothing retires
    assert sheet.gpu is not None and sheet.gpu.gpu_hour_usd == 4.29


def test_dedicated_scenario(catalog: Catalog) -> None:
    scenario = Scenario.model_validate(
        {"fine_tuning": {"deployment": "dedicated", "model": "meta:llama-3.1-8b-instruct", "gpu": "modal:a100-80gb"}}
    )
    sheet = catalog.price_sheet(scenario)
    ft = sheet.fine_tuning
    assert (ft.input, ft.cached_input, ft.output, ft.batch_discount, ft.training) == (0.0, 0.0, 0.0, 0.0, None)
    assert sheet.gpu is not None and (sheet.gpu.id, sheet.gpu.gpu_hour_usd) == ("modal:a100-80gb", 2.4984)


def test_serverless_scenario_with_reranker(catalog: Catalog) -> None:
    scenario = Scenario.model_validate(
        {
            "fine_tuning": {"deployment": "serverless", "model": "tinker:qwen3-8b-lora"},
            "rag": {"reranker": "cohere:rerank-v4.0-fast", "vector_db": "qdrant:standard-small"},
        }
    )
    sheet = catalog.price_sheet(scenario)
    assert (sheet.fine_tuning.input, sheet.fine_tuning.output, sheet.fine_tuning.training) == (0.195, 0.6, 0.44)
    assert sheet.fine_tuning.cached_input == 0.039
    assert sheet.reranker is not None and sheet.reranker.usd_per_1k_requests == 2.0


def test_a_lora_fireworks_no_longer_serves_serverless_is_refused_at_its_field(catalog: Catalog) -> None:
    scenario = Scenario.model_validate(
        {"fine_tuning": {"deployment": "serverless", "model": "fireworks:llama-v3p1-8b-instruct-lora"}}
    )
    with pytest.raises(CatalogError) as info:
        catalog.price_sheet(scenario)
    assert info.value.errors == [
        {
            "loc": ("fine_tuning", "model"),
            "msg": "'fireworks:llama-v3p1-8b-instruct-lora' does not support deployment 'serverless' "
            "(supports: dedicated)",
        }
    ]


def test_rag_disabled_skips_its_ids(catalog: Catalog) -> None:
    scenario = Scenario.model_validate({"rag": {"enabled": False, "embedding_model": "nope:nothing"}})
    sheet = catalog.price_sheet(scenario)
    assert (sheet.rag, sheet.embedding, sheet.vector_db, sheet.reranker) == (None, None, None, None)


def test_every_bad_id_is_reported_at_once_with_its_field(catalog: Catalog) -> None:
    scenario = Scenario.model_validate(
        {
            "prompting": {"model": "openai:text-embedding-3-small"},
            "rag": {"embedding_model": "openai:gpt-4o", "vector_db": "lambda:h100-80gb"},
            "fine_tuning": {"deployment": "dedicated", "model": "tinker:qwen3-8b-lora", "gpu": "pinecone:standard"},
        }
    )
    with pytest.raises(CatalogError) as info:
        catalog.price_sheet(scenario)
    errors = {e["loc"]: e["msg"] for e in info.value.errors}
    assert (
        errors[("prompting", "model")]
        == "'openai:text-embedding-3-small' is an embedding; prompting.model needs an llm"
    )
    assert "needs an embedding" in errors[("rag", "embedding_model")]
    assert "needs a vector_db" in errors[("rag", "vector_db")]
    assert errors[("fine_tuning", "model")] == (
        "'tinker:qwen3-8b-lora' does not support deployment 'dedicated' (supports: hosted, serverless)"
    )
    assert "needs a gpu" in errors[("fine_tuning", "gpu")]
    assert str(info.value).startswith("5 catalog errors in the scenario")


def test_an_llm_without_a_price_is_an_error(catalog: Catalog) -> None:
    assert catalog.get("azure:davinci").output is None
    with pytest.raises(CatalogError, match="'azure:davinci' has no output price"):
        catalog.price_sheet(Scenario.model_validate({"prompting": {"model": "azure:davinci"}}))


def test_training_price_may_be_missing_only_when_the_scenario_gives_one(tmp_path: Path) -> None:
    pricing = _pricing_copy(tmp_path)
    _add_file(
        pricing,
        "zz-tune.yaml",
        [
            {
                "id": "acme:tune",
                "kind": "fine_tune",
                "input": 1.0,
                "output": 2.0,
                "deployments": ["hosted"],
                "source": "https://acme.example",
                "as_of": "2026-01-01",
            }
        ],
    )
    catalog = Catalog(pricing)
    with pytest.raises(CatalogError) as info:
        catalog.price_sheet(Scenario.model_validate({"fine_tuning": {"model": "acme:tune"}}))
    assert info.value.errors == [
        {"loc": ("fine_tuning", "model"), "msg": "'acme:tune' has no training price in the catalog"}
    ]
    for given in ({"cost_per_run_usd": 100.0}, {"prices": {"training": 2.0}}):
        sheet = catalog.price_sheet(Scenario.model_validate({"fine_tuning": {"model": "acme:tune", **given}}))
        assert sheet.fine_tuning.training is None and sheet.fine_tuning.input == 1.0


# --- version and loading ----------------------------------------------------------------


def test_version_changes_when_a_pricing_file_changes(tmp_path: Path) -> None:
    pricing = _pricing_copy(tmp_path)
    same = Catalog(pricing)
    assert same.version == load_catalog().version
    assert re.fullmatch(r"genai-prices 0\.2\.3\+pricing\.[0-9a-f]{12}", same.version)
    path = pricing / "vector-dbs.yaml"
    path.write_text(path.read_text().replace("monthly_usd: 50", "monthly_usd: 55"))
    changed = Catalog(pricing)
    assert changed.version != same.version
    assert changed.get("pinecone:standard").monthly_usd == 55


def test_installed_genai_prices_must_match_the_pin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_module, "_installed_genai_prices_version", lambda: "0.2.4")
    with pytest.raises(CatalogError, match=re.escape("installed genai-prices 0.2.4 differs from the pinned 0.2.3")):
        Catalog()


def test_update_prices_is_never_started(monkeypatch: pytest.MonkeyPatch) -> None:
    from genai_prices import data_snapshot, update_prices

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("genai-prices UpdatePrices must never run")

    for name in ("__init__", "start", "fetch"):
        monkeypatch.setattr(update_prices.UpdatePrices, name, boom)
    monkeypatch.setattr(data_snapshot, "set_custom_snapshot", boom)
    assert Catalog().get("openai:gpt-4o").input == 2.5
    assert data_snapshot._custom_snapshot is None


def test_load_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()


def test_the_command_line_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert catalog_module.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith(load_catalog().version) and "fine_tune" in out
