"""The engine stays pure: importing it and estimating loads no web, database, chart or catalog module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = (
    "fastapi",
    "starlette",
    "sqlmodel",
    "sqlalchemy",
    "jinja2",
    "plotly",
    "app.catalog",
    "genai_prices",
)

PROGRAM = """
import json, sys
import app.engine
from app.engine import PriceSheet, Scenario, estimate
from app.engine.prices import TokenPrices

gpt4o = TokenPrices(id="openai:gpt-4o", source="test", input=2.5, cached_input=1.25, output=10.0)
tuned = TokenPrices(id="openai:ft:gpt-4o-mini", source="test", input=0.3, cached_input=0.15, output=1.2, training=3.0)
sheet = PriceSheet(catalog_version="test", prompting=gpt4o, fine_tuning=tuned)
est = estimate(Scenario.model_validate({"rag": {"enabled": False}}), sheet)
print(json.dumps({
    "total": est.strategies["prompting"].total_usd,
    "modules": sorted(sys.modules),
}))
"""


def test_engine_imports_no_web_db_chart_or_catalog_module():
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    result = json.loads(done.stdout)
    assert result["total"] > 0  # the estimate really ran
    modules = set(result["modules"])
    assert "app.engine" in modules
    assert {"numpy", "pydantic"} <= modules
    loaded = sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert loaded == []


def test_engine_needs_only_numpy_and_pydantic():
    # every top-level package loaded is the stdlib's, numpy's, pydantic's (and its typing helpers) or app's
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; import app.engine; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules}), ensure_ascii=True)); "
            "print(json.dumps(sorted(sys.stdlib_module_names)))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded, stdlib = (set(json.loads(line)) for line in done.stdout.splitlines())
    allowed = {"app", "numpy", "pydantic", "pydantic_core", "typing_extensions", "typing_inspection", "annotated_types"}
    extra = sorted(m for m in loaded - stdlib - allowed if not m.startswith("_"))
    assert extra == []
