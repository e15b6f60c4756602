"""The two faces lean on neither: app/api and app/web import shared code (app/deps.py, app/services.py,
...), never each other, so either can change without breaking the other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, lazily or not (`from app.api import errors` counts as app.api.errors)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


@pytest.mark.parametrize(("face", "other"), [("api", "web"), ("web", "api")])
def test_a_face_never_imports_the_other(face: str, other: str) -> None:
    crossing = {
        f"{path.relative_to(APP.parent)}: {module}"
        for path in sorted((APP / face).glob("*.py"))
        for module in imported_modules(path)
        if module == f"app.{other}" or module.startswith(f"app.{other}.")
    }
    assert not crossing, f"app/{face} imports app/{other}; move what both need to a neutral module: {sorted(crossing)}"


COMPOSITION_ROOT = APP / "main.py"
"""The one module that assembles the app from both faces (and hands the guard its page renderer)."""


def test_shared_code_imports_neither_face() -> None:
    """app/auth, app/db, app/engine and the modules beside them sit below both faces: a face imports
    them, never the other way round (the guard gets the pages' renderer from app/main.py)."""
    shared = [
        path
        for path in sorted(APP.rglob("*.py"))
        if path != COMPOSITION_ROOT and path.relative_to(APP).parts[0] not in ("web", "api")
    ]
    upward = {
        f"{path.relative_to(APP.parent)}: {module}"
        for path in shared
        for module in imported_modules(path)
        if module.startswith(("app.web", "app.api"))
    }
    assert len(shared) > 20 and not upward, sorted(upward)


def test_the_check_sees_an_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from app.api import deps\n", encoding="utf-8")
    assert "app.api.deps" in imported_modules(probe)
