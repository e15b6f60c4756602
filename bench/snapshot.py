"""The engine's answers, as digests, for checking that a speed-up changed no bit of them (issue 18).

Builds `--count` random scenarios from the presets (a fixed seed: the same scenarios on every run),
each perturbed within its fields' bounds (volume, tokens, growth, horizon, deployment, RAG on or off,
the kind of task, the gates' inputs, a discount rate, price trends, a currency, own cost lines), and
writes one SHA-256 per answer:

- each scenario estimated alone (what POST /api/v1/estimate and the calculator answer);
- all of them in one batch, full and summary (POST /api/v1/estimate/batch);
- each one's volume chart (`tco_by_volume` over its grid).

    .venv/bin/python bench/snapshot.py --out before.json      # on the old code
    .venv/bin/python bench/snapshot.py --compare before.json  # on the new: every digest must match

Floats are written with `repr` through json, so equal digests mean equal bits.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine import Scenario
from app.engine.estimate import estimate_documents, tco_by_volume
from app.presets import presets
from app.services import price
from app.web.figures import volume_grid

BASES = (
    "content-moderation",
    "internal-docs-qa",
    "legal-clause-extraction",
    "structured-output",
    "support-ticket-categorisation",
)
"""The presets the random scenarios start from, named: a preset added later leaves the scenarios, and so
the digests, as they were (the model comparison has tests of its own)."""


KINDS = ("behavior", "knowledge")
"""The kinds of task drawn by default: those of the baselines made before `both` (the hybrid) existed.
Tests pass `kinds=(*KINDS, "both")` to cover the hybrid too."""


def scenarios(count: int, seed: int = 20261202, kinds: tuple[str, ...] = KINDS) -> list[Scenario]:
    rng = np.random.default_rng(seed)
    bases = [presets()[slug].scenario.model_dump(mode="json") for slug in BASES]
    out = []
    for i in range(count):
        doc = json.loads(json.dumps(bases[i % len(bases)]))
        doc["ranges"] = {}
        doc["horizon_months"] = int(rng.choice([6, 12, 24, 36, 60]))
        doc["workload"] = {
            "requests_per_month": float(10 ** rng.uniform(2, 9)),
            "monthly_growth": float(rng.choice([0.0, 0.02, -0.01, 0.1])),
            "input_tokens": int(rng.integers(50, 8000)),
            "output_tokens": int(rng.integers(10, 2000)),
            "peak_to_average": float(rng.uniform(1, 5)),
            "latency_budget_ms": None if rng.random() < 0.7 else float(rng.uniform(200, 3000)),
        }
        task = doc["task"]
        task["kind"] = str(rng.choice(list(kinds)))
        task["prompting_tried"] = bool(rng.random() < 0.5)
        task["eval_harness"] = str(rng.choice(["exists", "budgeted", "missing"]))
        task["narrow_and_stable"] = bool(rng.random() < 0.5)
        task["labeled_examples"] = int(rng.choice([0, 500, 1000, 5000, 50000]))
        doc["rag"]["enabled"] = bool(rng.random() < 0.7) or task["kind"] == "both"  # the hybrid needs RAG
        deployment = str(rng.choice(["hosted", "serverless", "dedicated"]))
        if deployment != doc["fine_tuning"]["deployment"]:
            doc["fine_tuning"]["deployment"] = deployment
            doc["fine_tuning"].pop("model", None)  # the deployment's default tune
            doc["fine_tuning"]["prices"] = {}
        doc["fine_tuning"]["retrain_every_months"] = None if rng.random() < 0.3 else int(rng.choice([1, 3, 6, 12]))
        finance = doc.setdefault("finance", {})
        finance["discount_rate"] = float(rng.choice([0.0, 0.0, 0.08, 0.25]))
        finance["verdict_basis"] = str(rng.choice(["nominal", "npv"])) if finance["discount_rate"] else "nominal"
        finance["api_price_change_per_year"] = float(rng.choice([0.0, 0.0, -0.3, 0.1]))
        finance["gpu_price_change_per_year"] = float(rng.choice([0.0, -0.1]))
        finance["fiscal_year_start_month"] = int(rng.choice([1, 4, 7]))
        if rng.random() < 0.2:
            finance["currency"], finance["usd_to_currency"] = "EUR", 0.92
        doc["extra_costs"] = [
            {
                "name": f"line {k}",
                "strategies": (["fine_tuning", "hybrid"] if task["kind"] == "both" else ["fine_tuning"])
                if k % 2
                else ["prompting", "rag"],
                "one_time_usd": float(rng.integers(0, 20000)),
                "monthly_usd": float(rng.integers(0, 3000)),
                "from_month": 1 + k,
            }
            for k in range(int(rng.choice([0, 0, 1, 3])))
        ]
        out.append(Scenario.model_validate(doc))
    return out


def digest(document: Any) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def snapshot(count: int) -> dict[str, str]:
    cases = scenarios(count)
    sheets = [price(s) for s in cases]
    out: dict[str, str] = {}
    for i, (scenario, sheet) in enumerate(zip(cases, sheets, strict=True)):
        [doc] = estimate_documents([scenario], [sheet])
        out[f"alone/{i}"] = digest(doc)
        grid = volume_grid(doc["monthly_requests"][0], doc["verdict"]["break_even_requests_per_month"])
        out[f"volume/{i}"] = digest(tco_by_volume(scenario, sheet, grid))
    for detail in ("full", "summary"):
        docs = estimate_documents(cases, sheets, detail=detail)
        out.update({f"batch-{detail}/{i}": digest(d) for i, d in enumerate(docs)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    now = snapshot(args.count)
    if args.out:
        args.out.write_text(json.dumps(now, indent=0, sort_keys=True))
        print(f"{len(now)} digests written to {args.out}")
    if args.compare:
        before = json.loads(args.compare.read_text())
        differ = sorted(k for k in before if before[k] != now.get(k))
        print(f"{len(before) - len(differ)} of {len(before)} answers identical to the bit")
        for key in differ[:20]:
            print("  differs:", key)
        sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
