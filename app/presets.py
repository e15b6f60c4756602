"""Bundled example scenarios (presets/*.yaml) and the reading of scenario files.

A preset file is `{seed, scenario}`: the seed article it comes from and a
scenario document. A plain scenario file is the scenario document alone; the
command line accepts both.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from app.engine import Scenario

PRESETS_DIR = Path(__file__).resolve().parent.parent / "presets"


class Preset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str
    """File name without `.yaml`; stable, used in URLs."""
    seed: str
    """The seed article (shared/seeds/) the numbers come from."""
    scenario: Scenario


class ScenarioFileError(ValueError):
    """A file that is not a scenario: unreadable, not YAML, or not a mapping."""


def read_document(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioFileError(f"{path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise ScenarioFileError(f"{path}: not valid YAML{where}: {problem}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ScenarioFileError(f"{path}: a scenario is a mapping of fields, not a {type(data).__name__}")
    return data


def scenario_document(data: dict[str, Any]) -> dict[str, Any]:
    """The scenario part of a file: the `scenario` of a preset, or the whole document."""
    if set(data) <= {"seed", "scenario"} and isinstance(data.get("scenario"), dict):
        return data["scenario"]
    return data


def load_preset(path: Path) -> Preset:
    data = read_document(path)
    return Preset.model_validate({"slug": path.stem, **data})


@functools.cache
def presets() -> dict[str, Preset]:
    """Every bundled preset by slug, in file-name order."""
    return {p.stem: load_preset(p) for p in sorted(PRESETS_DIR.glob("*.yaml"))}
