"""Every setting is documented, in the code and in docs/settings.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import Settings

DOC = (Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    field = Settings.model_fields[name]
    assert field.description, f"{name} has no docstring"
    assert f"`{name.upper()}`" in DOC, f"docs/settings.md does not list {name.upper()}"


def test_the_doc_lists_no_setting_that_does_not_exist() -> None:
    import re

    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", DOC, flags=re.MULTILINE))
    assert listed == {name.upper() for name in Settings.model_fields}


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:p@127.0.0.1/x")
    monkeypatch.setenv("MAX_BATCH", "7")
    settings = Settings()
    assert (settings.database_url, settings.max_batch) == ("postgresql+psycopg://u:p@127.0.0.1/x", 7)
