"""`llm-tco catalog --check`: stale dates, ended and ending models, and the saved scenarios using them."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session
from typer.testing import CliRunner

from app.catalog import PRICING_DIR, Catalog, load_catalog
from app.catalog_check import SavedScenario, check, model_fields
from app.cli import app
from app.db.queries import set_archived
from app.db.session import get_engine
from app.engine import Scenario
from app.presets import presets
from app.saved import save
from app.settings import get_settings

runner = CliRunner()
AFTER = "2027-02-01"  # after gpt-4o's shutdown of 2027-01-14
BEFORE = "2026-12-02"  # 43 days before it


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite file, migrated by `llm-tco migrate`."""
    url = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    yield url
    get_settings.cache_clear()


def _save(url: str, name: str, **changes: Any) -> int:
    scenario = Scenario.model_validate({"name": name, "start_month": "2026-12", **changes})
    with Session(get_engine(url), expire_on_commit=False) as session:
        row = save(session, scenario=scenario, author="tester")
    assert row.id is not None
    return row.id


def _check(today: str) -> Any:
    return runner.invoke(app, ["catalog", "--check", "--today", today])


def test_a_saved_scenario_on_a_shut_down_model_fails_the_check(database: str) -> None:
    id = _save(database, "Old moderation", prompting={"model": "openai:gpt-4o"}, rag={"enabled": False})
    result = _check(AFTER)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    want = f'FAIL scenario {id} "Old moderation": prompting.model openai:gpt-4o shut down 2027-01-14; successor '
    assert any(line.startswith(want) for line in lines), result.stdout
    assert "ENDED openai:gpt-4o: shut down 2027-01-14; successor openai:gpt-6-luna" in lines
    assert lines[-1].startswith("FAILED: 1 uses of ended models")
    assert not any(line.startswith(("FAIL preset", "WARN preset")) for line in lines)  # presets are current


def test_the_same_scenario_before_the_shutdown_is_a_warning(database: str) -> None:
    id = _save(database, "Old moderation", prompting={"model": "openai:gpt-4o"}, rag={"enabled": False})
    result = _check(BEFORE)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f'WARN scenario {id} "Old moderation": prompting.model openai:gpt-4o shuts down 2027-01-14; successor ' in (
        result.stdout
    )
    assert "SOON openai:gpt-4o: shuts down 2027-01-14; successor openai:gpt-6-luna" in lines
    assert lines[-1].startswith("OK: 0 uses of ended models, 1 uses of models ending within 180 days")


def test_archived_scenarios_and_a_disabled_rags_fields_are_left_out(database: str) -> None:
    kept = _save(database, "RAG on gpt-4o", rag={"enabled": True, "model": "openai:gpt-4o"})
    off = _save(database, "RAG off", rag={"enabled": False, "model": "openai:gpt-4o"})
    archived = _save(database, "Archived", prompting={"model": "openai:gpt-4o"})
    with Session(get_engine(database), expire_on_commit=False) as session:
        from app.db.queries import get_scenario

        row = get_scenario(session, scenario_id=archived)
        assert row is not None
        set_archived(session, scenario=row, archived=True, actor="tester")
    result = _check(AFTER)
    assert result.exit_code == 1
    assert f'FAIL scenario {kept} "RAG on gpt-4o": rag.model openai:gpt-4o' in result.stdout
    assert f"scenario {off} " not in result.stdout and f"scenario {archived} " not in result.stdout


def test_an_empty_database_and_current_presets_pass(database: str) -> None:
    result = _check(BEFORE)
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.stdout and result.stdout.splitlines()[-1].startswith("OK: 0 uses of ended models")


def test_a_preset_on_a_shut_down_model_fails() -> None:
    documents = {"old": presets()["content-moderation"].scenario.model_dump(mode="json")}
    documents["old"]["prompting"]["model"] = "openai:gpt-4.1-nano"
    report = check(load_catalog(), documents, today=dt.date(2026, 12, 2))
    assert report.exit_code == 1
    assert "FAIL preset old: prompting.model openai:gpt-4.1-nano shut down 2026-10-23; successor " in "\n".join(
        report.lines()
    )


def test_a_tune_that_stopped_training_counts_as_ended() -> None:
    doc = Scenario.model_validate({"fine_tuning": {"model": "openai:ft:gpt-4o-mini"}}).model_dump(mode="json")
    saved = [SavedScenario(7, "Tuned", doc)]
    report = check(load_catalog(), {}, saved, today=dt.date(2027, 1, 10))  # training ended 2027-01-06
    assert report.exit_code == 1
    assert [(u.field, u.end.event) for u in report.failing] == [("fine_tuning.model", "training ends")]
    assert [(u.field, u.end.event) for u in report.uses if not u.end.past] == [("fine_tuning.model", "shutdown")]


def test_model_fields_reads_every_id_field() -> None:
    doc = Scenario.model_validate(
        {"rag": {"enabled": True, "reranker": "cohere:rerank-v3.5"}, "fine_tuning": {"move_to": "openai:ft:gpt-4.1"}}
    ).model_dump(mode="json")
    assert [f for f, _ in model_fields(doc)] == [
        "prompting.model",
        "rag.model",
        "rag.embedding_model",
        "rag.vector_db",
        "rag.reranker",
        "fine_tuning.model",
        "fine_tuning.move_to",
        "fine_tuning.gpu",
    ]


def test_stale_as_of_dates_are_warnings(tmp_path: Path) -> None:
    pricing = tmp_path / "pricing"
    shutil.copytree(PRICING_DIR, pricing)
    gpus = yaml.safe_load((pricing / "gpus.yaml").read_text())
    entry = gpus["entries"][0]
    entry["as_of"] = dt.date(2020, 1, 1)
    (pricing / "gpus.yaml").write_text(yaml.safe_dump(gpus, sort_keys=False))
    lifecycle = yaml.safe_load((pricing / "lifecycle.yaml").read_text())
    life = lifecycle["entries"][0]
    life["lifecycle"]["as_of"] = dt.date(2020, 2, 2)
    (pricing / "lifecycle.yaml").write_text(yaml.safe_dump(lifecycle, sort_keys=False))
    catalog = Catalog(pricing)
    today = catalog.reference_date + dt.timedelta(days=10)  # the pin is fresh
    report = check(catalog, {}, today=today)
    lines = report.lines()
    assert report.pin is None and not any(line.startswith("STALE pin:") for line in lines)
    assert f"STALE {entry['id']}: prices as_of 2020-01-01 (pricing/gpus.yaml)" in lines
    assert f"STALE {life['id']}: lifecycle as_of 2020-02-02 (genai-prices+pricing/lifecycle.yaml)" in lines
    # a genai-prices model that lifecycle.yaml only extends keeps the pin's date: not stale on its own
    assert not any(line.startswith(f"STALE {life['id']}: prices") for line in lines)
    assert report.exit_code == 0

    later = check(catalog, {}, today=catalog.reference_date + dt.timedelta(days=181))
    assert later.pin == catalog.reference_date
    pin_lines = [line for line in later.lines() if line.startswith("STALE pin:")]
    assert pin_lines == [f"STALE pin: genai-prices reference_date {catalog.reference_date} (pricing/genai-prices.yaml)"]


def test_a_preset_priced_from_a_stale_date_is_named_but_does_not_fail() -> None:
    """cohere:rerank-v3.5 was read on 2025-12-31: 336 days before 2026-12-02, past the 180 allowed."""
    doc = presets()["internal-docs-qa"].scenario.model_dump(mode="json")
    assert doc["rag"]["reranker"] != "cohere:rerank-v3.5"
    doc["rag"] |= {"enabled": True, "reranker": "cohere:rerank-v3.5"}
    report = check(load_catalog(), {"docs": doc}, today=dt.date(2026, 12, 2))
    assert report.exit_code == 0  # a date to check again, not a model gone
    assert [(where, path, s.id, s.as_of) for where, path, s in report.stale_uses] == [
        ("preset docs", "rag.reranker", "cohere:rerank-v3.5", dt.date(2025, 12, 31))
    ]
    lines = report.lines()
    assert "WARN preset docs: rag.reranker cohere:rerank-v3.5 prices as_of 2025-12-31 (stale)" in lines
    assert lines[-1].endswith("stale dates (1 used)")


def test_no_preset_is_priced_from_a_stale_date() -> None:
    """The presets are what a new user sees first: on 2026-12-02 every catalog entry they use had been
    read within 180 days (`llm-tco catalog --check` says when that stops being true; a stale date
    warns, it does not fail the suite)."""
    documents = {slug: p.scenario.model_dump(mode="json") for slug, p in presets().items()}
    documents["(the calculator's defaults)"] = Scenario.model_validate({"rag": {"enabled": True}}).model_dump(
        mode="json"
    )
    report = check(load_catalog(), documents, today=dt.date(2026, 12, 2))
    assert report.stale_uses == [], report.lines()
